"""Every `errors[]` entry, from every producer, is a code of the closed vocabulary with a Danish and an English text.

The producers are driven through many bad inputs: the answer validator, the definition validator, the FHIR
importer, schedules and pydantic's own errors on the request models.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from kommunal_pro.assignments.models import AssignmentRequest
from kommunal_pro.assignments.schedule import RecurringSchedule, expand
from kommunal_pro.citizens.models import CitizenRegistration
from kommunal_pro.errors import ERROR_CODES, ErrorCode, InvalidInput, danish_number, pydantic_error
from kommunal_pro.questionnaires.answers import check_answer_shapes, validate_submission
from kommunal_pro.questionnaires.fhir.importer import import_questionnaire
from kommunal_pro.questionnaires.model import QuestionnaireDefinition
from kommunal_pro.questionnaires.validation import validate_definition
from tests.json_values import as_objects
from tests.tally import tally
from tests.unit.test_answers import CHECK_IN, SHAPE_RULES
from tests.unit.test_definition_validation import VALID
from tests.unit.test_fhir_questionnaires import REFUSED, fixture

CPR = "070365-4286"
# Reported only by the services behind a route; tests/integration/test_answering.py and test_review.py see them.
SERVICE_CODES = {ErrorCode.KEY_REUSED, ErrorCode.INVALID_COMBINATION}


def _refused(produce: Callable[[], object]) -> list[dict[str, str]]:
    with pytest.raises(InvalidInput) as refused:
        produce()
    return refused.value.errors


def _answer_entries() -> Iterator[dict[str, str]]:
    for answer, *_ in SHAPE_RULES:
        yield from _refused(lambda answer=answer: check_answer_shapes(CHECK_IN, answer))  # type: ignore[misc]
    for answers in (
        {"ryger": [False, True], "aandenoed": ["ingen"]},
        {"ryger": [True], "aandenoed": ["ingen"]},  # a required question left out
        {"ryger": [False], "cigaretter": [10], "aandenoed": ["ingen"]},  # a hidden question answered
        {"ryger": [True], "cigaretter": [0], "aandenoed": ["ingen"]},
        {"ryger": [True], "cigaretter": [25], "aandenoed": ["let"]},  # a required group left empty
    ):
        yield from _refused(lambda answers=answers: validate_submission(CHECK_IN, answers))  # type: ignore[misc]


def _broken_definition() -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    group = as_objects(data["items"][0]["items"])
    group[1]["linkId"] = "t1"  # a duplicate linkId
    group[2]["options"].append(copy.deepcopy(group[2]["options"][0]))  # a duplicate option code
    data["items"][2]["enableWhen"][0]["question"] = "t9"  # a condition on nothing
    data["items"][1]["maxLength"] = 3  # on an integer item
    data["scales"][0]["items"].append("t4")
    data["flagRules"][3]["codes"] = ["4"]
    data["feedback"][0]["scale"] = "nowhere"
    return data


def _definition_entries() -> Iterator[dict[str, str]]:
    definition = QuestionnaireDefinition.model_validate(_broken_definition())
    yield from _refused(lambda: validate_definition(definition))


def _fhir_entries() -> Iterator[dict[str, str]]:
    for name in REFUSED:
        yield from _refused(lambda name=name: import_questionnaire(fixture(name)))  # type: ignore[misc]
    yield from _refused(lambda: import_questionnaire({"resourceType": "Patient"}))
    cpr_title = {
        "resourceType": "Questionnaire",
        "status": "active",
        "title": f"Søvn {CPR}",
        "item": [{"linkId": "a", "type": "string", "text": "Hvad?"}],
    }
    yield from _refused(lambda: import_questionnaire(cpr_title))


def _schedule_entries() -> Iterator[dict[str, str]]:
    daily = RecurringSchedule(
        first_opens_at=datetime(2027, 1, 1, 8, tzinfo=UTC),
        every=1,
        unit="days",
        answer_window_hours=12,
        until=date(2027, 12, 31),
    )
    yield from _refused(lambda: expand(daily))


# Request bodies each of which pydantic refuses, for the models behind the staff routes.
BAD_BODIES: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (CitizenRegistration, {"name": "Hanne Jensen"}),  # cpr and consent missing
    (CitizenRegistration, {"cpr": "320199-0000", "name": "", "consentToDigitalPro": "maybe"}),
    (CitizenRegistration, {"cpr": CPR, "name": "x" * 201, "consentToDigitalPro": True, "language": "fr"}),
    (CitizenRegistration, {"cpr": CPR, "name": f"Hanne {CPR}", "consentToDigitalPro": True, "age": 61}),
    (CitizenRegistration, {"cpr": 704, "name": ["Hanne"], "consentToDigitalPro": True, "mobile": "22"}),
    (AssignmentRequest, {"questionnaireId": "who-5", "version": 0, "unitId": "nord", "schedule": {}}),
    (AssignmentRequest, {"questionnaireId": "", "unitId": "nord", "course": f"KOL {CPR}", "schedule": {}}),
    (
        AssignmentRequest,
        {
            "questionnaireId": "who-5",
            "version": 1.5,
            "unitId": "nord",
            "schedule": {
                "kind": "recurring",
                "firstOpensAt": "2027-03-01T08:00:00",
                "every": 400,
                "unit": "months",
                "answerWindowHours": 72,
            },
        },
    ),
]


def _pydantic_entries() -> Iterator[dict[str, str]]:
    for model, body in BAD_BODIES:
        with pytest.raises(ValidationError) as refused:
            model.model_validate(body)
        for detail in refused.value.errors():
            yield pydantic_error(detail, ".".join(["body", *map(str, detail["loc"])]))


def test_every_entry_from_every_producer_is_a_code_with_both_texts() -> None:
    entries = [
        *_answer_entries(),
        *_definition_entries(),
        *_fhir_entries(),
        *_schedule_entries(),
        *_pydantic_entries(),
    ]
    tally("error entries checked", len(entries))
    assert [e for e in entries if set(e) != {"code", "location", "messageDa", "messageEn"}] == []
    assert [e for e in entries if e["code"] not in set(ErrorCode)] == []
    assert [e for e in entries if not (e["location"] and e["messageDa"].strip() and e["messageEn"].strip())] == []
    assert [e for e in entries if "4286" in str(e)] == []  # a CPR number is never repeated
    # No code is dead: every one is reported by some bad input (the services' own by the integration tests).
    assert set(ErrorCode) - {ErrorCode(e["code"]) for e in entries} == SERVICE_CODES


def test_every_code_has_a_meaning_and_a_danish_text() -> None:
    assert list(ERROR_CODES) == list(ErrorCode)
    assert all(meaning and danish for meaning, danish in ERROR_CODES.values())
    assert all(code.value == code.value.lower() and " " not in code.value for code in ErrorCode)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"every": 0},
            ("out-of-range", "body.every", "Tallet skal være mindst 1", "Input should be greater than or equal to 1"),
        ),
        (
            {"answerWindowHours": 9000},
            (
                "out-of-range",
                "body.answerWindowHours",
                "Tallet må højst være 8.784",
                "Input should be less than or equal to 8784",
            ),
        ),
        (
            {"unit": "months"},
            (
                "unknown-option",
                "body.unit",
                "Vælg en af de tilladte værdier: 'days' eller 'weeks'",
                "Input should be 'days' or 'weeks'",
            ),
        ),
        (
            {"every": "two"},
            (
                "wrong-type",
                "body.every",
                "Skriv et helt tal",
                "Input should be a valid integer, unable to parse string as an integer",
            ),
        ),
        (
            {"every": 1.5},
            (
                "not-a-whole-number",
                "body.every",
                "Skriv et helt tal",
                "Input should be a valid integer, got a number with a fractional part",
            ),
        ),
        (
            {"firstOpensAt": None},
            ("wrong-type", "body.firstOpensAt", "Værdien har en forkert type", "Input should be a valid datetime"),
        ),
        ({"colour": "blå"}, ("unknown-field", "body.colour", "Feltet kendes ikke", "Extra inputs are not permitted")),
    ],
)
def test_pydantic_errors_get_a_code_and_a_danish_text_with_their_limit(
    body: dict[str, Any], expected: tuple[str, str, str, str]
) -> None:
    valid = {
        "firstOpensAt": "2027-03-01T08:00:00+01:00",
        "every": 2,
        "unit": "weeks",
        "answerWindowHours": 72,
        "count": 6,
    }
    with pytest.raises(ValidationError) as refused:
        RecurringSchedule.model_validate(valid | body)
    [detail] = refused.value.errors()
    entry = pydantic_error(detail, ".".join(["body", *map(str, detail["loc"])]))
    assert (entry["code"], entry["location"], entry["messageDa"], entry["messageEn"]) == expected


def test_a_missing_field_is_required() -> None:
    with pytest.raises(ValidationError) as refused:
        CitizenRegistration.model_validate({"cpr": CPR, "name": "Hanne Jensen"})
    [detail] = refused.value.errors()
    assert pydantic_error(detail, "body.consentToDigitalPro") == {
        "code": "required",
        "location": "body.consentToDigitalPro",
        "messageDa": "Udfyld feltet",
        "messageEn": "Field required",
    }


@pytest.mark.parametrize(("value", "written"), [(0, "0"), (1, "1"), (0.5, "0,5"), (1000, "1.000"), (-2.25, "-2,25")])
def test_numbers_in_danish_texts_have_a_decimal_comma(value: float, written: str) -> None:
    assert danish_number(value) == written


def test_our_validators_danish_and_english_texts_become_the_two_messages() -> None:
    with pytest.raises(ValidationError) as refused:
        CitizenRegistration.model_validate({"cpr": "320199-0000", "name": "Hanne Jensen", "consentToDigitalPro": True})
    [detail] = refused.value.errors()
    assert pydantic_error(detail, "body.cpr") == {
        "code": "invalid-value",
        "location": "body.cpr",
        "messageDa": "CPR-nummerets fødselsdato findes ikke",
        "messageEn": "the CPR birth date does not exist",
    }
