"""Server-side validation of a citizen's answers against the pinned questionnaire version.

`enabled_items` evaluates enableWhen/enableBehavior as FHIR R4 defines them: an item is shown when its
parent is shown and its conditions hold; the answer of a hidden question counts as absent; `=` holds
when at least one answer equals the value, `!=` when at least one answer differs; a comparison with no
answer is false. Shapes are checked for drafts; completeness (required when shown) on submission.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from kommunal_pro.errors import ErrorCode, InvalidInput, danish_number, error
from kommunal_pro.questionnaires.model import Answers, EnableWhen, Item, ItemType, Operator, QuestionnaireDefinition

Problem = dict[str, str]
# What is wrong with one value: its code, the English and the Danish text.
Fault = tuple[ErrorCode, str, str]
_COMPARE: dict[Operator, Callable[[Any, Any], bool]] = {
    Operator.EQUALS: operator.eq,
    Operator.NOT_EQUALS: operator.ne,
    Operator.GREATER: operator.gt,
    Operator.LESS: operator.lt,
    Operator.GREATER_OR_EQUAL: operator.ge,
    Operator.LESS_OR_EQUAL: operator.le,
}
_PARSE: dict[ItemType, Callable[[str], Any]] = {
    ItemType.DATE: date.fromisoformat,
    ItemType.DATETIME: datetime.fromisoformat,
    ItemType.TIME: time.fromisoformat,
}


def check_answer_shapes(definition: QuestionnaireDefinition, answers: Answers) -> None:
    """For drafts and previews: every answer fits its question, but nothing has to be complete."""
    _raise(list(_shape_problems(definition, answers)))


def validate_submission(definition: QuestionnaireDefinition, answers: Answers) -> None:
    """For submission: shapes, no answers to hidden items, and every required shown question answered."""
    problems = list(_shape_problems(definition, answers))
    if not problems:
        shown = enabled_items(definition, answers)
        by_id = definition.items_by_link_id()
        for link_id in answers:
            if link_id not in shown:
                problems.append(
                    _problem(
                        link_id,
                        ErrorCode.NOT_ENABLED,
                        "this question is not shown with the other answers, so it cannot be answered",
                    )
                )
        for link_id in sorted(shown):
            item = by_id[link_id]
            if not item.required:
                continue
            if item.is_question and not answers.get(link_id):
                problems.append(
                    _problem(link_id, ErrorCode.REQUIRED, "this question must be answered", "Spørgsmålet skal besvares")
                )
            elif item.type is ItemType.GROUP and not any(answers.get(i.link_id) for i in _descendants(item)):
                problems.append(
                    _problem(
                        link_id,
                        ErrorCode.REQUIRED,
                        "at least one question in this group must be answered",
                        "Besvar mindst ét af spørgsmålene i gruppen",
                    )
                )
    _raise(problems)


def enabled_items(definition: QuestionnaireDefinition, answers: Answers) -> set[str]:
    """The linkIds of every item shown for these answers."""
    by_id = definition.items_by_link_id()
    parents = {child.link_id: item.link_id for item in by_id.values() for child in item.items}
    memo: dict[str, bool] = {}

    def shown(link_id: str) -> bool:
        if link_id not in memo:
            item = by_id[link_id]
            parent = parents.get(link_id)
            memo[link_id] = (parent is None or shown(parent)) and _conditions_hold(item, by_id, visible_answers)
        return memo[link_id]

    def visible_answers(link_id: str) -> list[Any]:
        return answers.get(link_id, []) if link_id in by_id and shown(link_id) else []

    return {link_id for link_id in by_id if shown(link_id)}


def _conditions_hold(item: Item, by_id: dict[str, Item], answers_of: Callable[[str], list[Any]]) -> bool:
    if not item.enable_when:
        return True
    results = (_condition_holds(c, by_id[c.question], answers_of(c.question)) for c in item.enable_when)
    return any(results) if item.enable_behavior == "any" else all(results)


def _condition_holds(condition: EnableWhen, question: Item, values: list[Any]) -> bool:
    if condition.operator is Operator.EXISTS:
        return bool(values) == condition.answer
    compare = _COMPARE[condition.operator]
    parse = _PARSE.get(question.type)
    try:
        expected = parse(condition.answer) if parse else condition.answer  # type: ignore[arg-type]
        return any(compare(parse(value) if parse else value, expected) for value in values)
    except (TypeError, ValueError):
        return False  # an answer of another shape never meets the condition (answers are shape-checked)


def _descendants(item: Item) -> Iterator[Item]:
    for child in item.items:
        yield child
        yield from _descendants(child)


def _shape_problems(definition: QuestionnaireDefinition, answers: Answers) -> Iterator[Problem]:
    by_id = definition.items_by_link_id()
    for link_id, values in answers.items():
        item = by_id.get(link_id)
        if item is None:
            yield _problem(link_id, ErrorCode.UNKNOWN_ITEM, "no question with this linkId in the questionnaire")
        elif not item.is_question:
            yield _problem(link_id, ErrorCode.NOT_A_QUESTION, f"a {item.type} item takes no answer")
        elif len(values) > 1 and not item.repeats:
            yield _problem(link_id, ErrorCode.ONE_ANSWER_ONLY, "this question takes one answer", "Giv kun ét svar")
        else:
            for value in values:
                if fault := _value_problem(item, value):
                    yield _problem(link_id, *fault)


def _value_problem(item: Item, value: Any) -> Fault | None:
    kind = item.type
    if kind is ItemType.BOOLEAN:
        return (
            None if isinstance(value, bool) else (ErrorCode.WRONG_TYPE, "expected true or false", "Svar ja eller nej")
        )
    if kind in (ItemType.INTEGER, ItemType.DECIMAL):
        return _number_problem(item, value)
    if kind is ItemType.CHOICE:
        if isinstance(value, str) and item.option(value):
            return None
        codes = ", ".join(o.code for o in item.options)
        return (
            ErrorCode.UNKNOWN_OPTION,
            f"expected one of the option codes {codes}",
            f"Vælg en af svarmulighederne ({codes})",
        )
    if not isinstance(value, str):
        return ErrorCode.WRONG_TYPE, "expected text", "Skriv dit svar som tekst"
    if kind in _PARSE:
        try:
            _PARSE[kind](value)
        except ValueError:
            return ErrorCode.INVALID_FORMAT, f"expected an ISO 8601 {kind}", _FORMATS_DA[kind]
        return None
    if item.max_length is not None and len(value) > item.max_length:
        return (
            ErrorCode.TOO_LONG,
            f"at most {item.max_length} characters",
            f"Skriv højst {danish_number(item.max_length)} tegn",
        )
    return None if value.strip() else (ErrorCode.BLANK, "an answer cannot be blank", "Skriv et svar")


_FORMATS_DA = {
    ItemType.DATE: "Skriv en dato som ÅÅÅÅ-MM-DD",
    ItemType.DATETIME: "Skriv dato og klokkeslæt som ÅÅÅÅ-MM-DDTtt:mm",
    ItemType.TIME: "Skriv et klokkeslæt som tt:mm",
}


def _number_problem(item: Item, value: Any) -> Fault | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ErrorCode.WRONG_TYPE, "expected a number", "Skriv et tal"
    if item.type is ItemType.INTEGER and not float(value).is_integer():
        return ErrorCode.NOT_A_WHOLE_NUMBER, "expected a whole number", "Skriv et helt tal"
    if item.min_value is not None and value < item.min_value:
        low = item.min_value
        return ErrorCode.OUT_OF_RANGE, f"must be at least {low:g}", f"Tallet skal være mindst {danish_number(low)}"
    if item.max_value is not None and value > item.max_value:
        high = item.max_value
        return ErrorCode.OUT_OF_RANGE, f"must be at most {high:g}", f"Tallet må højst være {danish_number(high)}"
    places = item.max_decimal_places
    if places is not None and -Decimal(str(value)).as_tuple().exponent > places:  # type: ignore[operator]
        return (
            ErrorCode.TOO_MANY_DECIMALS,
            f"at most {places} decimal{'' if places == 1 else 's'}",
            f"Skriv højst {places} decimal{'' if places == 1 else 'er'}",
        )
    return None


def _problem(link_id: str, code: ErrorCode, message_en: str, message_da: str | None = None) -> Problem:
    return error(code, f"answers.{link_id}", message_en, message_da)


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise InvalidInput(f"Svarene har {len(problems)} fejl (the answers have {len(problems)} problems)", problems)
