"""FHIR R4 QuestionnaireResponse export of submitted responses (kommunal_pro.responses.fhir)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from kommunal_pro.cpr import CPR_IN_TEXT
from kommunal_pro.questionnaires.answers import validate_submission
from kommunal_pro.questionnaires.fhir.exporter import export_questionnaire
from kommunal_pro.questionnaires.instruments import standard_instruments
from kommunal_pro.questionnaires.model import (
    AnswerOption,
    Answers,
    EnableWhen,
    Item,
    ItemType,
    QuestionnaireDefinition,
    Scale,
    ScaleMethod,
    Text,
    Title,
)
from kommunal_pro.questionnaires.scoring import score
from kommunal_pro.questionnaires.validation import validate_definition
from kommunal_pro.questionnaires.versions import VersionRef
from kommunal_pro.responses.fhir import (
    CITIZEN_ID_SYSTEM,
    CITIZEN_NOTE_EXTENSION,
    SCALE_VALUE_EXTENSION,
    WANTS_CONTACT_EXTENSION,
    export_response,
)
from kommunal_pro.responses.models import StoredResponse

CITIZEN_ID = "5f0c1d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f"
SUBMITTED = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)


def stored(
    definition: QuestionnaireDefinition,
    answers: Answers,
    *,
    questionnaire_id: str = "q-who5",
    version: int = 3,
    note: str | None = None,
    wants_contact: bool = False,
) -> StoredResponse:
    validate_submission(definition, answers)  # only answers a citizen could have submitted
    return StoredResponse(
        id="r-123",
        municipality="0751",
        citizen_id=CITIZEN_ID,
        task_id="t-1",
        assignment_id="a-1",
        unit_id="u-1",
        questionnaire=VersionRef(tenant="0751", questionnaire_id=questionnaire_id, version=version),
        questionnaire_title=definition.title,
        answers=answers,
        scores=score(definition, answers),
        note=note,
        wants_contact=wants_contact,
        submitted_at=SUBMITTED,
    )


def exported(response: StoredResponse, definition: QuestionnaireDefinition, **kwargs: Any) -> dict[str, Any]:
    """The export, after checking it is valid FHIR R4 and plain JSON."""
    resource = export_response(response, definition, **kwargs)
    QuestionnaireResponse.model_validate(resource)
    assert json.loads(json.dumps(resource)) == resource
    return resource


def extensions(resource: dict[str, Any], url: str) -> list[dict[str, Any]]:
    return [extension for extension in resource.get("extension", []) if extension["url"] == url]


def by_link_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["linkId"]: item for item in items}


def all_link_ids(items: list[dict[str, Any]]) -> list[str]:
    found = []
    for item in items:
        found.append(item["linkId"])
        found += all_link_ids(item.get("item", []))
        for answer in item.get("answer", []):
            found += all_link_ids(answer.get("item", []))
    return found


# --- WHO-5 ----------------------------------------------------------------------------------------------


def who5() -> QuestionnaireDefinition:
    return standard_instruments()["who-5"]


WHO5_ALL: Answers = {"who5-1": ["4"], "who5-2": ["3"], "who5-3": ["5"], "who5-4": ["4"], "who5-5": ["4"]}


def test_who5_response_is_valid_r4_and_points_at_the_exported_questionnaire_version() -> None:
    definition = who5()
    resource = exported(stored(definition, WHO5_ALL), definition)
    questionnaire = export_questionnaire(definition, questionnaire_id="q-who5", version=3, status="active")
    assert resource["resourceType"] == "QuestionnaireResponse"
    assert resource["id"] == "r-123"
    assert resource["status"] == "completed"
    assert resource["questionnaire"] == f"{questionnaire['url']}|{questionnaire['version']}"
    assert resource["questionnaire"] == "https://kommunal-pro.dk/fhir/Questionnaire/q-who5|3"
    assert resource["authored"] == "2024-05-01T08:30:00+00:00"
    assert resource["subject"] == {
        "type": "Patient",
        "identifier": {"system": CITIZEN_ID_SYSTEM, "value": CITIZEN_ID},
    }
    assert CITIZEN_ID_SYSTEM == "https://kommunal-pro.dk/fhir/citizen-id"


def test_base_url_is_the_one_the_questionnaire_was_exported_with() -> None:
    definition = who5()
    base_url = "https://fhir.example.dk/r4"
    resource = exported(stored(definition, WHO5_ALL), definition, base_url=base_url)
    questionnaire = export_questionnaire(
        definition, questionnaire_id="q-who5", version=3, status="active", base_url=base_url
    )
    assert resource["questionnaire"] == f"{questionnaire['url']}|3"
    # Extension urls and the citizen identifier system are fixed names, not deployment addresses.
    assert resource["subject"]["identifier"]["system"] == CITIZEN_ID_SYSTEM
    assert extensions(resource, WANTS_CONTACT_EXTENSION)


def test_who5_answers_are_codings_with_danish_texts_and_the_display_item_is_left_out() -> None:
    definition = who5()
    resource = exported(stored(definition, WHO5_ALL), definition)
    assert [item["linkId"] for item in resource["item"]] == ["who5-1", "who5-2", "who5-3", "who5-4", "who5-5"]
    first = resource["item"][0]
    assert first == {
        "linkId": "who5-1",
        "text": "I de sidste 2 uger har jeg været glad og i godt humør",
        "answer": [{"valueCoding": {"code": "4", "display": "Det meste af tiden"}}],
    }
    assert resource["item"][2]["answer"] == [{"valueCoding": {"code": "5", "display": "Hele tiden"}}]
    assert resource["language"] == "da"


def test_who5_scale_values_and_bands_are_extensions() -> None:
    definition = who5()
    resource = exported(stored(definition, WHO5_ALL), definition)
    assert extensions(resource, SCALE_VALUE_EXTENSION) == [
        {
            "url": SCALE_VALUE_EXTENSION,
            "extension": [
                {"url": "scale", "valueCode": "raw"},
                {"url": "name", "valueString": "Råscore (0–25)"},
                {"url": "value", "valueDecimal": 20},
                {"url": "band", "valueString": "Ikke lav trivsel"},
            ],
        },
        {
            "url": SCALE_VALUE_EXTENSION,
            "extension": [
                {"url": "scale", "valueCode": "percentage"},
                {"url": "name", "valueString": "Trivselsindeks (0–100)"},
                {"url": "value", "valueDecimal": 80},
                {"url": "band", "valueString": "Ikke lav trivsel"},
            ],
        },
    ]


def test_unanswered_questions_are_left_out_and_a_scale_without_value_has_none() -> None:
    definition = who5()
    for item in definition.items:
        item.required = False  # a draft-like partial answer set, as an author may allow it
    answers: Answers = {"who5-1": ["4"], "who5-2": [], "who5-4": ["0"]}
    resource = exported(stored(definition, answers), definition)
    assert [item["linkId"] for item in resource["item"]] == ["who5-1", "who5-4"]
    scales = extensions(resource, SCALE_VALUE_EXTENSION)
    assert [scale["extension"] for scale in scales] == [
        [{"url": "scale", "valueCode": "raw"}, {"url": "name", "valueString": "Råscore (0–25)"}],
        [{"url": "scale", "valueCode": "percentage"}, {"url": "name", "valueString": "Trivselsindeks (0–100)"}],
    ]


@pytest.mark.parametrize(
    ("note", "wants_contact"),
    [("Jeg vil gerne tale om min søvn.", True), (None, False), ("", True)],
)
def test_note_and_wants_contact_are_our_extensions(note: str | None, wants_contact: bool) -> None:
    definition = who5()
    resource = exported(stored(definition, WHO5_ALL, note=note, wants_contact=wants_contact), definition)
    assert CITIZEN_NOTE_EXTENSION == "https://kommunal-pro.dk/fhir/StructureDefinition/citizen-note"
    assert WANTS_CONTACT_EXTENSION == "https://kommunal-pro.dk/fhir/StructureDefinition/wants-contact"
    assert extensions(resource, CITIZEN_NOTE_EXTENSION) == (
        [{"url": CITIZEN_NOTE_EXTENSION, "valueString": note}] if note else []
    )
    assert extensions(resource, WANTS_CONTACT_EXTENSION) == [
        {"url": WANTS_CONTACT_EXTENSION, "valueBoolean": wants_contact}
    ]
    parsed = QuestionnaireResponse.model_validate(resource)
    assert parsed.extension is not None
    assert {extension.url for extension in parsed.extension} >= {WANTS_CONTACT_EXTENSION}


def test_no_cpr_number_anywhere() -> None:
    definition = who5()
    response = stored(definition, WHO5_ALL, note="Ring gerne efter kl. 10", wants_contact=True)
    resource = exported(response, definition)
    text = json.dumps(resource, ensure_ascii=False)
    assert not CPR_IN_TEXT.search(text)
    assert "cpr" not in text.lower()
    # The citizen is named only by the logical reference to our own citizen id.
    assert text.count(CITIZEN_ID) == 1
    assert set(resource["subject"]) == {"type", "identifier"}
    assert "reference" not in resource["subject"]


# --- every item type, nested ----------------------------------------------------------------------------

SYMPTOMS = [
    AnswerOption(code="sleep", system="urn:kommunal-pro:test", display=Text(da="Søvnbesvær", en="Sleep"), score=1),
    AnswerOption(code="pain", system="urn:kommunal-pro:test", display=Text(da="Smerter", en="Pain"), score=2),
    AnswerOption(code="none", display=Text(da="Ingen"), score=0),
]


def nested() -> QuestionnaireDefinition:
    definition = QuestionnaireDefinition(
        title=Title(da="Alle typer, indlejret", en="Every type, nested"),
        items=[
            Item(link_id="intro", type=ItemType.DISPLAY, text=Text(da="Velkommen")),
            Item(
                link_id="about",
                type=ItemType.GROUP,
                text=Text(da="Om dig", en="About you"),
                items=[
                    Item(
                        link_id="smoker",
                        type=ItemType.BOOLEAN,
                        text=Text(da="Ryger du?"),
                        items=[
                            Item(
                                link_id="cigarettes",
                                type=ItemType.INTEGER,
                                text=Text(da="Hvor mange om dagen?"),
                                enable_when=[EnableWhen(question="smoker", operator="=", answer=True)],
                            )
                        ],
                    ),
                    Item(
                        link_id="body",
                        type=ItemType.GROUP,
                        text=Text(da="Krop"),
                        items=[
                            Item(link_id="weight", type=ItemType.DECIMAL, text=Text(da="Vægt (kg)"), unit="kg"),
                            Item(link_id="height", type=ItemType.INTEGER, text=Text(da="Højde (cm)")),
                            Item(link_id="body-note", type=ItemType.DISPLAY, text=Text(da="Cirka er nok")),
                        ],
                    ),
                    Item(link_id="born", type=ItemType.DATE, text=Text(da="Fødselsdato")),
                    Item(link_id="last-visit", type=ItemType.DATETIME, text=Text(da="Sidste besøg")),
                    Item(link_id="bedtime", type=ItemType.TIME, text=Text(da="Sengetid")),
                ],
            ),
            Item(
                link_id="words",
                type=ItemType.GROUP,
                items=[
                    Item(link_id="name", type=ItemType.STRING, text=Text(da="Kaldenavn")),
                    Item(link_id="comments", type=ItemType.TEXT, text=Text(da="Kommentarer"), repeats=True),
                ],
            ),
            Item(
                link_id="symptoms",
                type=ItemType.CHOICE,
                text=Text(da="Hvilke gener har du?", en="Which complaints?"),
                repeats=True,
                options=SYMPTOMS,
            ),
            Item(
                link_id="unused",
                type=ItemType.GROUP,
                text=Text(da="Ubesvaret gruppe"),
                items=[
                    Item(link_id="unused-q", type=ItemType.INTEGER, text=Text(da="Ubesvaret")),
                    Item(link_id="unused-display", type=ItemType.DISPLAY, text=Text(da="Kun tekst")),
                ],
            ),
            Item(
                link_id="exercise",
                type=ItemType.BOOLEAN,
                text=Text(da="Motionerer du?"),
                items=[Item(link_id="exercise-kind", type=ItemType.STRING, text=Text(da="Hvilken motion?"))],
            ),
        ],
        scales=[
            Scale(id="burden", name=Text(da="Gener"), method=ScaleMethod.SUM, items=["symptoms"]),
            Scale(id="unused", name=Text(da="Ubrugt"), method=ScaleMethod.SUM, items=["unused-q"]),
        ],
    )
    validate_definition(definition)
    return definition


NESTED_ANSWERS: Answers = {
    "smoker": [True],
    "cigarettes": [10],
    "weight": [72.5],
    "height": [180],
    "born": ["1950-03-07"],
    "last-visit": ["2024-04-30T14:15:00+02:00"],
    "bedtime": ["22:30:00"],
    "name": ["Bodil"],
    "comments": ["Første", "Anden"],
    "symptoms": ["sleep", "pain"],
    "exercise-kind": ["Svømning"],
}


def nested_export(answers: Answers = NESTED_ANSWERS) -> dict[str, Any]:
    definition = nested()
    return exported(stored(definition, answers, questionnaire_id="q-nested", version=1), definition)


def test_every_item_type_nested_is_valid_r4() -> None:
    resource = nested_export()
    questionnaire = export_questionnaire(nested(), questionnaire_id="q-nested", version=1, status="active")
    assert resource["questionnaire"] == f"{questionnaire['url']}|{questionnaire['version']}"


def test_the_item_tree_mirrors_the_questionnaire() -> None:
    resource = nested_export()
    top = by_link_id(resource["item"])
    assert list(top) == ["about", "words", "symptoms", "exercise"]  # no display, no unanswered group
    about = top["about"]
    assert about["text"] == "Om dig"
    assert "answer" not in about
    assert [item["linkId"] for item in about["item"]] == ["smoker", "body", "born", "last-visit", "bedtime"]
    smoker = about["item"][0]
    # A question's children go under its answer (R4 QuestionnaireResponse.item.answer.item) …
    assert smoker == {
        "linkId": "smoker",
        "text": "Ryger du?",
        "answer": [
            {
                "valueBoolean": True,
                "item": [{"linkId": "cigarettes", "text": "Hvor mange om dagen?", "answer": [{"valueInteger": 10}]}],
            }
        ],
    }
    body = about["item"][1]
    assert [item["linkId"] for item in body["item"]] == ["weight", "height"]  # its display item left out
    # … and under item.item when the question itself has no answer (never both: invariant qrs-1).
    assert top["exercise"] == {
        "linkId": "exercise",
        "text": "Motionerer du?",
        "item": [{"linkId": "exercise-kind", "text": "Hvilken motion?", "answer": [{"valueString": "Svømning"}]}],
    }
    assert "text" not in top["words"]  # a group without text has none in the response either
    assert sorted(all_link_ids(resource["item"])) == sorted(
        ["about", "body", "words", "exercise", *NESTED_ANSWERS]  # each answered question once, and its groups
    )


def test_answers_are_typed_by_item_type() -> None:
    resource = nested_export()
    answers = {
        link_id: item["answer"]
        for link_id, item in _flatten(resource["item"]).items()
        if "answer" in item and link_id != "smoker"
    }
    assert answers == {
        "cigarettes": [{"valueInteger": 10}],
        "weight": [{"valueDecimal": 72.5}],
        "height": [{"valueInteger": 180}],
        "born": [{"valueDate": "1950-03-07"}],
        "last-visit": [{"valueDateTime": "2024-04-30T14:15:00+02:00"}],
        "bedtime": [{"valueTime": "22:30:00"}],
        "name": [{"valueString": "Bodil"}],
        "comments": [{"valueString": "Første"}, {"valueString": "Anden"}],
        "symptoms": [
            {"valueCoding": {"system": "urn:kommunal-pro:test", "code": "sleep", "display": "Søvnbesvær"}},
            {"valueCoding": {"system": "urn:kommunal-pro:test", "code": "pain", "display": "Smerter"}},
        ],
        "exercise-kind": [{"valueString": "Svømning"}],
    }
    parsed = QuestionnaireResponse.model_validate(resource)
    assert parsed.item is not None
    symptoms = next(item for item in parsed.item if item.linkId == "symptoms")
    assert symptoms.answer is not None
    assert [answer.valueCoding.code if answer.valueCoding else None for answer in symptoms.answer] == ["sleep", "pain"]


def test_boolean_false_and_zero_are_answers_not_omissions() -> None:
    answers: Answers = {"smoker": [False], "weight": [0], "height": [0], "symptoms": ["none"]}
    resource = nested_export(answers)
    flat = _flatten(resource["item"])
    assert flat["smoker"]["answer"] == [{"valueBoolean": False}]
    assert flat["weight"]["answer"] == [{"valueDecimal": 0}]
    assert flat["height"]["answer"] == [{"valueInteger": 0}]
    assert flat["symptoms"]["answer"] == [{"valueCoding": {"code": "none", "display": "Ingen"}}]
    assert list(by_link_id(resource["item"])) == ["about", "symptoms"]
    burden, unused = extensions(resource, SCALE_VALUE_EXTENSION)
    assert burden["extension"][2] == {"url": "value", "valueDecimal": 0}
    assert [part["url"] for part in unused["extension"]] == ["scale", "name"]


@pytest.mark.parametrize(
    ("kind", "link_id", "given", "written"),
    [
        # a dateTime without an offset is Copenhagen wall-clock time: summer and winter offsets
        ("valueDateTime", "last-visit", "2024-04-30T14:15:00", "2024-04-30T14:15:00+02:00"),
        ("valueDateTime", "last-visit", "2024-01-15T09:00", "2024-01-15T09:00:00+01:00"),
        ("valueDateTime", "last-visit", "2024-01-15T09:00:00Z", "2024-01-15T09:00:00+00:00"),
        ("valueTime", "bedtime", "22:30", "22:30:00"),  # FHIR time needs seconds
        ("valueTime", "bedtime", "22:30:00+01:00", "22:30:00"),  # and has no offset
        ("valueDate", "born", "19500307", "1950-03-07"),
    ],
)
def test_dates_and_times_are_written_as_fhir_requires(kind: str, link_id: str, given: str, written: str) -> None:
    resource = nested_export({link_id: [given]})
    assert _flatten(resource["item"])[link_id]["answer"] == [{kind: written}]


def test_only_the_scale_extensions_and_our_own_are_added() -> None:
    resource = nested_export()
    assert [extension["url"] for extension in resource["extension"]] == [
        WANTS_CONTACT_EXTENSION,
        SCALE_VALUE_EXTENSION,
        SCALE_VALUE_EXTENSION,
    ]


def _flatten(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for item in items:
        found[item["linkId"]] = item
        found |= _flatten(item.get("item", []))
        for answer in item.get("answer", []):
            found |= _flatten(answer.get("item", []))
    return found
