"""Whole-definition rules a questionnaire must satisfy before it is stored.

Every problem is collected with its location (an item's linkId, a scale's or rule's id), so an author
sees all of them at once in one 422.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, time

from kommunal_pro.errors import ErrorCode, InvalidInput, danish_number, error
from kommunal_pro.questionnaires.model import (
    NUMERIC_TYPES,
    EnableWhen,
    FlagRule,
    Item,
    ItemType,
    Operator,
    QuestionnaireDefinition,
    Scale,
    ScaleMethod,
)
from kommunal_pro.questionnaires.scoring import scale_range

Problem = dict[str, str]
# FHIR allows >, <, >= and <= on these (text compares lexically).
ORDERED_TYPES = NUMERIC_TYPES | {ItemType.DATE, ItemType.DATETIME, ItemType.TIME, ItemType.STRING, ItemType.TEXT}
_ISO_PARSERS = {
    ItemType.DATE: date.fromisoformat,
    ItemType.DATETIME: datetime.fromisoformat,
    ItemType.TIME: time.fromisoformat,
}


def validate_definition(definition: QuestionnaireDefinition) -> None:
    problems = list(definition_problems(definition))
    if problems:
        raise InvalidInput(
            f"Spørgeskemaet har {len(problems)} fejl (the questionnaire definition has {len(problems)} problems)",
            problems,
        )


def definition_problems(definition: QuestionnaireDefinition) -> Iterator[Problem]:
    items = definition.all_items()
    for link_id, count in Counter(item.link_id for item in items).items():
        if count > 1:
            yield _problem(
                f"item {link_id}",
                f"linkId '{link_id}' is used by {count} items; linkIds must be unique",
                ErrorCode.DUPLICATE,
                f"linkId '{link_id}' bruges af {count} elementer; et linkId skal være entydigt",
            )
    by_id = {item.link_id: item for item in items}
    for item in items:
        yield from _item_problems(item, by_id)
    yield from _cycle_problems(definition.items, by_id)
    scale_problems = list(_scale_problems(definition, by_id))
    yield from scale_problems
    broken_scales = {problem["location"].removeprefix("scale ") for problem in scale_problems}
    yield from _flag_problems(definition, by_id, broken_scales)
    scale_ids = {scale.id for scale in definition.scales}
    for index, feedback in enumerate(definition.feedback):
        if feedback.scale not in scale_ids:
            yield _problem(
                f"feedback {index}", f"refers to unknown scale '{feedback.scale}'", ErrorCode.UNKNOWN_REFERENCE
            )


def _item_problems(item: Item, by_id: dict[str, Item]) -> Iterator[Problem]:
    where = f"item {item.link_id}"
    if item.type is ItemType.GROUP and not item.items:
        yield _problem(
            where, "a group must contain items", ErrorCode.INVALID_DEFINITION, "En gruppe skal indeholde spørgsmål"
        )
    if item.type is ItemType.DISPLAY and item.items:
        yield _problem(
            where,
            "a display item cannot contain items",
            ErrorCode.INVALID_DEFINITION,
            "En visningstekst kan ikke indeholde spørgsmål",
        )
    if item.type is not ItemType.GROUP and item.text is None:
        yield _problem(
            where,
            "a question or display item needs a Danish text",
            ErrorCode.INVALID_DEFINITION,
            "Skriv en dansk tekst",
        )
    if item.type is ItemType.CHOICE:
        if not item.options:
            yield _problem(
                where, "a choice item needs answer options", ErrorCode.INVALID_DEFINITION, "Tilføj svarmuligheder"
            )
        for code, count in Counter(option.code for option in item.options).items():
            if count > 1:
                yield _problem(
                    where,
                    f"answer option code '{code}' appears {count} times",
                    ErrorCode.DUPLICATE,
                    f"Svarmuligheden '{code}' findes {count} gange",
                )
    elif item.options:
        yield _problem(where, f"only choice items have answer options, not {item.type}")
    if item.max_length is not None and item.type not in (ItemType.STRING, ItemType.TEXT):
        yield _problem(
            where,
            "maxLength applies only to string and text items",
            ErrorCode.INVALID_DEFINITION,
            "maxLength gælder kun for tekstspørgsmål",
        )
    if (item.min_value is not None or item.max_value is not None) and item.type not in NUMERIC_TYPES:
        yield _problem(
            where,
            "minValue/maxValue apply only to integer and decimal items",
            ErrorCode.INVALID_DEFINITION,
            "minValue og maxValue gælder kun for talspørgsmål",
        )
    if item.min_value is not None and item.max_value is not None and item.min_value > item.max_value:
        yield _problem(
            where,
            f"minValue {item.min_value} is greater than maxValue {item.max_value}",
            ErrorCode.INVALID_DEFINITION,
            f"minValue {danish_number(item.min_value)} er større end maxValue {danish_number(item.max_value)}",
        )
    if item.type is ItemType.DISPLAY and item.required:
        yield _problem(
            where,
            "a display item has no answer, so it cannot be required",
            ErrorCode.INVALID_DEFINITION,
            "En visningstekst har intet svar og kan ikke være påkrævet",
        )
    if len(item.enable_when) > 1 and not item.enable_behavior:
        yield _problem(
            where,
            "several enableWhen conditions need enableBehavior 'all' or 'any'",
            ErrorCode.INVALID_DEFINITION,
            "Flere enableWhen-betingelser kræver enableBehavior 'all' eller 'any'",
        )
    for condition in item.enable_when:
        yield from _condition_problems(where, condition, by_id)


def _condition_problems(where: str, condition: EnableWhen, by_id: dict[str, Item]) -> Iterator[Problem]:
    target = by_id.get(condition.question)
    if target is None:
        yield _problem(
            where,
            f"enableWhen refers to '{condition.question}', which is not an item of this questionnaire",
            ErrorCode.UNKNOWN_REFERENCE,
        )
        return
    if not target.is_question:
        yield _problem(where, f"enableWhen refers to '{condition.question}', a {target.type} item that has no answer")
        return
    answer, operator = condition.answer, condition.operator
    if operator is Operator.EXISTS:
        if not isinstance(answer, bool):
            yield _problem(
                where,
                "enableWhen 'exists' takes true or false",
                ErrorCode.INVALID_DEFINITION,
                "enableWhen 'exists' tager true eller false",
            )
        return
    if operator not in (Operator.EQUALS, Operator.NOT_EQUALS) and target.type not in ORDERED_TYPES:
        yield _problem(
            where, f"operator '{operator}' cannot compare answers to the {target.type} item '{target.link_id}'"
        )
        return
    if not _answer_fits(target, answer):
        yield _problem(
            where,
            f"enableWhen answer {answer!r} does not fit the {target.type} item '{target.link_id}'"
            + (f" (its options are {', '.join(o.code for o in target.options)})" if target.options else ""),
        )


def _answer_fits(target: Item, answer: object) -> bool:
    if target.type is ItemType.BOOLEAN:
        return isinstance(answer, bool)
    if target.type is ItemType.INTEGER:
        return isinstance(answer, int) and not isinstance(answer, bool)
    if target.type is ItemType.DECIMAL:
        return isinstance(answer, int | float) and not isinstance(answer, bool)
    if target.type is ItemType.CHOICE:
        return isinstance(answer, str) and target.option(answer) is not None
    if target.type in _ISO_PARSERS:
        try:
            _ISO_PARSERS[target.type](answer)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
        return True
    return isinstance(answer, str)


def _cycle_problems(roots: list[Item], by_id: dict[str, Item]) -> Iterator[Problem]:
    """An item's visibility depends on its enableWhen questions and on its parent's visibility;
    a loop in those dependencies means no item in it could ever be shown."""
    depends: dict[str, set[str]] = {link_id: set() for link_id in by_id}

    def link(items: list[Item], parent: str | None) -> None:
        for item in items:
            depends[item.link_id].update(c.question for c in item.enable_when if c.question in by_id)
            if parent:
                depends[item.link_id].add(parent)
            link(item.items, item.link_id)

    link(roots, None)
    reported: set[frozenset[str]] = set()
    for start in depends:
        path = _find_cycle(start, depends)
        if path and frozenset(path) not in reported:
            reported.add(frozenset(path))
            cycle = " → ".join([*path, path[0]])
            yield _problem(
                f"item {start}",
                f"enableWhen conditions form a cycle: {cycle}",
                ErrorCode.INVALID_DEFINITION,
                f"enableWhen-betingelserne danner en løkke: {cycle}",
            )


def _find_cycle(start: str, depends: dict[str, set[str]]) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    while stack:
        node, path = stack.pop()
        for nxt in depends[node]:
            if nxt == start:
                return path
            if nxt not in path:
                stack.append((nxt, [*path, nxt]))
    return None


def _scale_problems(definition: QuestionnaireDefinition, by_id: dict[str, Item]) -> Iterator[Problem]:
    for scale_id, count in Counter(scale.id for scale in definition.scales).items():
        if count > 1:
            yield _problem(
                f"scale {scale_id}",
                f"scale id '{scale_id}' is used {count} times",
                ErrorCode.DUPLICATE,
                f"Skalaen '{scale_id}' findes {count} gange",
            )
    for scale in definition.scales:
        where = f"scale {scale.id}"
        for link_id in scale.items:
            item = by_id.get(link_id)
            if item is None:
                yield _problem(where, f"refers to unknown item '{link_id}'", ErrorCode.UNKNOWN_REFERENCE)
            elif scale.method is ScaleMethod.VALUE_TABLE:
                if item.type is not ItemType.CHOICE:
                    yield _problem(where, f"a value table needs choice items; '{link_id}' is {item.type}")
            elif not _is_numeric(item):
                yield _problem(
                    where, f"item '{link_id}' has no numeric value (a choice with scores, integer or decimal)"
                )
        if scale.min_answered is not None and scale.min_answered > len(scale.items):
            yield _problem(where, f"minAnswered {scale.min_answered} exceeds the scale's {len(scale.items)} items")
        if scale.value_table is not None:
            for link_id, values in scale.value_table.values.items():
                item = by_id.get(link_id)
                if link_id not in scale.items:
                    yield _problem(
                        where, f"the value table has values for '{link_id}', which is not one of the scale's items"
                    )
                elif item is not None and item.type is ItemType.CHOICE:
                    for code in set(values) - {o.code for o in item.options}:
                        yield _problem(
                            where,
                            f"the value table has a value for unknown option '{code}' of '{link_id}'",
                            ErrorCode.UNKNOWN_REFERENCE,
                        )


def _is_numeric(item: Item) -> bool:
    if item.type is ItemType.CHOICE:
        return bool(item.options) and all(option.score is not None for option in item.options)
    return item.type in NUMERIC_TYPES


def _flag_problems(
    definition: QuestionnaireDefinition, by_id: dict[str, Item], broken_scales: set[str]
) -> Iterator[Problem]:
    for rule_id, count in Counter(rule.id for rule in definition.flag_rules).items():
        if count > 1:
            yield _problem(
                f"flag rule {rule_id}",
                f"flag rule id '{rule_id}' is used {count} times",
                ErrorCode.DUPLICATE,
                f"Reglen '{rule_id}' findes {count} gange",
            )
    scales = {scale.id: scale for scale in definition.scales}
    valid: list[FlagRule] = []
    for rule in definition.flag_rules:
        if rule.scale in broken_scales:
            continue  # its scale's own problems are reported; its range would only add noise
        problems = list(_rule_problems(rule, scales, by_id, definition))
        yield from problems
        if not problems:
            valid.append(rule)
    for index, first in enumerate(valid):
        for second in valid[index + 1 :]:
            if (first.scale, first.item) == (second.scale, second.item) and _overlap(first, second):
                yield _problem(
                    f"flag rule {second.id}",
                    f"overlaps flag rule '{first.id}' on {first.scale or first.item}: a value would get two flags",
                )


def _rule_problems(
    rule: FlagRule, scales: dict[str, Scale], by_id: dict[str, Item], definition: QuestionnaireDefinition
) -> Iterator[Problem]:
    where = f"flag rule {rule.id}"
    low, high = _bounds(rule)
    if low > high:
        yield _problem(where, f"min {rule.min} is greater than max {rule.max}")
    if rule.scale is not None:
        scale = scales.get(rule.scale)
        if scale is None:
            yield _problem(where, f"refers to unknown scale '{rule.scale}'", ErrorCode.UNKNOWN_REFERENCE)
            return
        smallest, largest = scale_range(scale, definition)
        if (rule.min is not None and not smallest <= rule.min <= largest) or (
            rule.max is not None and not smallest <= rule.max <= largest
        ):
            yield _problem(
                where, f"thresholds {rule.min}..{rule.max} lie outside scale '{scale.id}' ({smallest}..{largest})"
            )
        return
    item = by_id.get(rule.item or "")
    if item is None or not item.is_question:
        yield _problem(
            where,
            f"refers to '{rule.item}', which is not a question of this questionnaire",
            ErrorCode.UNKNOWN_REFERENCE,
        )
    elif rule.codes:
        if item.type is not ItemType.CHOICE:
            yield _problem(where, f"answer codes apply to choice items; '{item.link_id}' is {item.type}")
        for code in [c for c in rule.codes if item.option(c) is None]:
            yield _problem(where, f"'{code}' is not an answer option of '{item.link_id}'", ErrorCode.UNKNOWN_REFERENCE)
    elif item.type not in NUMERIC_TYPES:
        yield _problem(where, f"a min/max rule needs an integer or decimal item; '{item.link_id}' is {item.type}")


def _bounds(rule: FlagRule) -> tuple[float, float]:
    return (-math.inf if rule.min is None else rule.min, math.inf if rule.max is None else rule.max)


def _overlap(first: FlagRule, second: FlagRule) -> bool:
    if first.codes or second.codes:
        return bool(set(first.codes) & set(second.codes))
    (low1, high1), (low2, high2) = _bounds(first), _bounds(second)
    return low1 <= high2 and low2 <= high1


def _problem(
    location: str, message_en: str, code: ErrorCode = ErrorCode.INVALID_DEFINITION, message_da: str | None = None
) -> Problem:
    return error(code, location, message_en, message_da)
