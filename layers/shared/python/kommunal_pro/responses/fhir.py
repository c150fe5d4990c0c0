"""FHIR R4 `QuestionnaireResponse` export of a submitted response.

| StoredResponse / definition       | QuestionnaireResponse                                                       |
|-----------------------------------|-----------------------------------------------------------------------------|
| id                                | id                                                                          |
| (submitted)                       | status `completed`; language `da` (the texts are the Danish ones)           |
| questionnaire (VersionRef)        | questionnaire: `<url>|<version>` of `export_questionnaire` for that version  |
| submitted_at                      | authored (a naive time is read as UTC, as `utc_now` stores it)              |
| citizen_id                        | subject: a logical reference, identifier `CITIZEN_ID_SYSTEM` + citizen_id;  |
|                                   |   never a CPR number (the export has no CPR to give)                        |
| answers, by the definition's tree | item: linkId and Danish text, nested as in the questionnaire; a question    |
|                                   |   without answers and a group without answered descendants are left out;   |
|                                   |   display items never appear                                                |
| children of a question            | under its first answer (`answer.item`): answers are kept per linkId, not    |
|                                   |   per answer; under `item.item` when the question itself is unanswered     |
| answers by item type              | boolean → valueBoolean, decimal → valueDecimal, integer → valueInteger,     |
|                                   |   date → valueDate, dateTime → valueDateTime, time → valueTime,             |
|                                   |   string/text → valueString, choice → valueCoding (the option's system,     |
|                                   |   code and Danish display; an unknown code keeps just the code)             |
| note                              | extension `CITIZEN_NOTE_EXTENSION` valueString (only when there is one)     |
| wants_contact                     | extension `WANTS_CONTACT_EXTENSION` valueBoolean (always, false included)   |
| scores.scales, in order           | one extension `SCALE_VALUE_EXTENSION` per scale, with the sub-extensions    |
|                                   |   `scale` valueCode (the scale id), `name` valueString (Danish),            |
|                                   |   `value` valueDecimal and `band` valueString (Danish); `value` and `band`  |
|                                   |   are left out when the scale has none (too few answers)                    |

Date, dateTime and time answers are written in the form FHIR requires: a dateTime without an offset is
Copenhagen wall-clock time (like every local time in Kommunal PRO) and gets its offset; a time loses any
offset (FHIR `time` has none) and gets its seconds. Answers to linkIds the definition does not have are not
exported; submission has already refused them.

The extension urls are fixed names, like the questionnaire's scoring extension, whatever `base_url` is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from kommunal_pro.clock import COPENHAGEN
from kommunal_pro.questionnaires.fhir.elements import FhirJson, compact, fhir_number
from kommunal_pro.questionnaires.fhir.exporter import questionnaire_url
from kommunal_pro.questionnaires.fhir.policy import DEFAULT_BASE_URL
from kommunal_pro.questionnaires.model import Answers, Item, ItemType, QuestionnaireDefinition, Scalar
from kommunal_pro.questionnaires.scoring import ScaleResult
from kommunal_pro.responses.models import StoredResponse

CITIZEN_ID_SYSTEM = f"{DEFAULT_BASE_URL}/citizen-id"
CITIZEN_NOTE_EXTENSION = f"{DEFAULT_BASE_URL}/StructureDefinition/citizen-note"
WANTS_CONTACT_EXTENSION = f"{DEFAULT_BASE_URL}/StructureDefinition/wants-contact"
SCALE_VALUE_EXTENSION = f"{DEFAULT_BASE_URL}/StructureDefinition/scale-value"

_VALUE_KEYS = {
    ItemType.BOOLEAN: "valueBoolean",
    ItemType.DECIMAL: "valueDecimal",
    ItemType.INTEGER: "valueInteger",
    ItemType.DATE: "valueDate",
    ItemType.DATETIME: "valueDateTime",
    ItemType.TIME: "valueTime",
    ItemType.STRING: "valueString",
    ItemType.TEXT: "valueString",
    ItemType.CHOICE: "valueCoding",
}


def export_response(
    response: StoredResponse, definition: QuestionnaireDefinition, *, base_url: str = DEFAULT_BASE_URL
) -> FhirJson:
    """The response as FHIR R4 QuestionnaireResponse JSON; `definition` is the version it answers."""
    ref = response.questionnaire
    extensions: list[FhirJson] = []
    if response.note:
        extensions.append({"url": CITIZEN_NOTE_EXTENSION, "valueString": response.note})
    extensions.append({"url": WANTS_CONTACT_EXTENSION, "valueBoolean": response.wants_contact})
    extensions += [_scale_extension(scale) for scale in response.scores.scales]
    items = (_export_item(item, response.answers) for item in definition.items)
    return compact(
        {
            "resourceType": "QuestionnaireResponse",
            "id": response.id,
            "language": "da",
            "extension": extensions,
            "questionnaire": f"{questionnaire_url(ref.questionnaire_id, base_url=base_url)}|{ref.version}",
            "status": "completed",
            "subject": {
                "type": "Patient",
                "identifier": {"system": CITIZEN_ID_SYSTEM, "value": response.citizen_id},
            },
            "authored": _instant(response.submitted_at),
            "item": [item for item in items if item is not None],
        }
    )


def _export_item(item: Item, answers: Answers) -> FhirJson | None:
    """The item with its answers and answered descendants, or None when nothing in it is answered."""
    if item.type is ItemType.DISPLAY:
        return None
    children = [child for child in (_export_item(c, answers) for c in item.items) if child is not None]
    values = answers.get(item.link_id, []) if item.is_question else []
    if not values and not children:
        return None
    exported: FhirJson = {"linkId": item.link_id}
    if item.text is not None:
        exported["text"] = item.text.da
    if values:
        exported["answer"] = [_answer(item, value) for value in values]
        if children:
            exported["answer"][0]["item"] = children
    else:
        exported["item"] = children
    return exported


def _answer(item: Item, value: Scalar) -> FhirJson:
    key = _VALUE_KEYS[item.type]
    converted: Any
    match item.type:
        case ItemType.CHOICE:
            option = item.option(str(value))
            converted = (
                compact({"system": option.system, "code": option.code, "display": option.display.da})
                if option is not None
                else {"code": str(value)}
            )
        case ItemType.INTEGER:
            converted = int(value)
        case ItemType.DATE:
            converted = date.fromisoformat(str(value)).isoformat()
        case ItemType.DATETIME:
            moment = datetime.fromisoformat(str(value))
            converted = (moment if moment.tzinfo else moment.replace(tzinfo=COPENHAGEN)).isoformat()
        case ItemType.TIME:
            converted = time.fromisoformat(str(value)).replace(tzinfo=None).isoformat()
        case _:
            converted = value
    return {key: converted}


def _scale_extension(scale: ScaleResult) -> FhirJson:
    parts: list[FhirJson] = [
        {"url": "scale", "valueCode": scale.id},
        {"url": "name", "valueString": scale.name.da},
    ]
    if scale.value is not None:
        parts.append({"url": "value", "valueDecimal": fhir_number(scale.value)})
    if scale.band is not None:
        parts.append({"url": "band", "valueString": scale.band.da})
    return {"url": SCALE_VALUE_EXTENSION, "extension": parts}


def _instant(moment: datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
