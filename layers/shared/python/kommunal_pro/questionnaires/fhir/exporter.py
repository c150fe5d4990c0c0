"""Export of a native definition as FHIR R4 Questionnaire JSON, which import reads back as the same definition."""

from __future__ import annotations

import json
from typing import Any

from kommunal_pro.questionnaires.fhir.elements import FhirJson, compact, fhir_number
from kommunal_pro.questionnaires.fhir.policy import (
    ANSWER_BY_TYPE,
    DEFAULT_BASE_URL,
    ITEM_CONTROL,
    ITEM_CONTROL_SYSTEM,
    MAX_DECIMAL_PLACES,
    MAX_VALUE,
    MIN_VALUE,
    ORDINAL_VALUE,
    SCORING_EXTENSION,
    TRANSLATION,
    UNIT,
)
from kommunal_pro.questionnaires.model import (
    AnswerOption,
    Coding,
    EnableWhen,
    Item,
    ItemType,
    Operator,
    QuestionnaireDefinition,
    Text,
)

_STATUSES = {"draft", "active", "retired"}


def questionnaire_url(questionnaire_id: str, *, base_url: str = DEFAULT_BASE_URL) -> str:
    """The canonical url export gives a questionnaire; with `|<version>` it names one exported version."""
    return f"{base_url}/Questionnaire/{questionnaire_id}"


def export_questionnaire(
    definition: QuestionnaireDefinition,
    *,
    questionnaire_id: str,
    version: int,
    status: str,
    publisher: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> FhirJson:
    """The definition as FHIR R4 Questionnaire JSON.

    Its canonical url is ours; the url an imported definition came with is where it is derived from.
    """
    if status not in _STATUSES:
        raise ValueError(f"status must be one of {sorted(_STATUSES)}, not {status!r}")
    by_id = definition.items_by_link_id()
    scoring = definition.model_dump(
        mode="json",
        by_alias=True,
        exclude_defaults=True,
        include={"scales", "flag_rules", "feedback", "citizen_sees_scores"},
    )
    return compact(
        {
            "resourceType": "Questionnaire",
            "id": questionnaire_id,
            "language": "da",
            "extension": [{"url": SCORING_EXTENSION, "valueString": json.dumps(scoring, ensure_ascii=False)}]
            if scoring
            else [],
            "url": questionnaire_url(questionnaire_id, base_url=base_url),
            "version": str(version),
            "name": definition.name,
            **_text_json("title", definition.title),
            "status": status,
            "publisher": publisher,
            **_text_json("description", definition.description),
            "derivedFrom": [definition.url] if definition.url else [],
            "code": [_coding_json(code) for code in definition.codes],
            "item": [_export_item(item, by_id) for item in definition.items],
        }
    )


def _export_item(item: Item, by_id: dict[str, Item]) -> FhirJson:
    children = [_export_item(child, by_id) for child in item.items]
    if item.help is not None:
        control = {"coding": [{"system": ITEM_CONTROL_SYSTEM, "code": "help"}]}
        children.append(
            {
                "linkId": f"{item.link_id}-help",
                **_text_json("text", item.help),
                "type": "display",
                "extension": [{"url": ITEM_CONTROL, "valueCodeableConcept": control}],
            }
        )
    return compact(
        {
            "linkId": item.link_id,
            "prefix": item.prefix,
            **_text_json("text", item.text),
            "type": item.type.value,
            "code": [_coding_json(code) for code in item.codes],
            "required": item.required or None,
            "repeats": item.repeats or None,
            "readOnly": item.read_only or None,
            "maxLength": item.max_length,
            "extension": _item_extensions(item),
            "enableWhen": [_export_condition(condition, by_id) for condition in item.enable_when],
            "enableBehavior": item.enable_behavior,
            "answerOption": [_export_option(option) for option in item.options],
            "item": children,
        }
    )


def _item_extensions(item: Item) -> list[FhirJson]:
    extensions: list[FhirJson] = [
        {"url": url, _number_key(item, value): fhir_number(value)}
        for url, value in ((MIN_VALUE, item.min_value), (MAX_VALUE, item.max_value))
        if value is not None
    ]
    if item.max_decimal_places is not None:
        extensions.append({"url": MAX_DECIMAL_PLACES, "valueInteger": item.max_decimal_places})
    if item.unit is not None:
        extensions.append({"url": UNIT, "valueCoding": {"display": item.unit}})
    return extensions


def _number_key(item: Item, value: float) -> str:
    return "valueInteger" if item.type is ItemType.INTEGER and float(value).is_integer() else "valueDecimal"


def _export_condition(condition: EnableWhen, by_id: dict[str, Item]) -> FhirJson:
    target = by_id.get(condition.question)
    answer: Any = condition.answer
    if condition.operator is Operator.EXISTS:
        key = "answerBoolean"
    elif target is not None and target.type is ItemType.CHOICE:
        option = target.option(str(answer))
        key, answer = "answerCoding", _option_coding(option) if option else {"code": str(answer)}
    elif target is not None and target.type in ANSWER_BY_TYPE:
        key = ANSWER_BY_TYPE[target.type]
    else:  # an unknown question: the answer's own type says it
        key = {bool: "answerBoolean", int: "answerInteger", float: "answerDecimal"}.get(type(answer), "answerString")
    return {"question": condition.question, "operator": condition.operator.value, key: answer}


def _export_option(option: AnswerOption) -> FhirJson:
    scores = [] if option.score is None else [{"url": ORDINAL_VALUE, "valueDecimal": option.score}]
    return compact({"valueCoding": _option_coding(option), "extension": scores})


def _option_coding(option: AnswerOption) -> FhirJson:
    return compact({"system": option.system, "code": option.code, **_text_json("display", option.display)})


def _coding_json(coding: Coding) -> FhirJson:
    return compact({"system": coding.system, "code": coding.code, "display": coding.display})


def _text_json(key: str, text: Text | None) -> FhirJson:
    """A text as a FHIR string plus, for English, the standard translation extension on `_<key>`."""
    if text is None:
        return {}
    if text.en is None:
        return {key: text.da}
    translation = {
        "url": TRANSLATION,
        "extension": [{"url": "lang", "valueCode": "en"}, {"url": "content", "valueString": text.en}],
    }
    return {key: text.da, f"_{key}": {"extension": [translation]}}
