"""FHIR R4 Questionnaire import/export against real third-party questionnaires (tests/fixtures/README.md)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kommunal_pro.cpr import CPR_IN_TEXT
from kommunal_pro.errors import InvalidInput
from kommunal_pro.questionnaires.fhir.exporter import export_questionnaire
from kommunal_pro.questionnaires.fhir.importer import ImportResult, import_questionnaire
from kommunal_pro.questionnaires.fhir.policy import ORDINAL_VALUE, SCORING_EXTENSION, TRANSLATION
from kommunal_pro.questionnaires.model import (
    AnswerOption,
    Band,
    Coding,
    EnableWhen,
    Feedback,
    FlagRule,
    Item,
    ItemType,
    Operator,
    QuestionnaireDefinition,
    Scale,
    Text,
    Title,
)
from kommunal_pro.questionnaires.validation import validate_definition
from tests.json_values import as_object

FIXTURES = Path(__file__).parents[1] / "fixtures" / "fhir" / "questionnaires"
SDC = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-"


def fixture(name: str) -> dict[str, Any]:
    return as_object(json.loads((FIXTURES / f"{name}.json").read_text()))


def without_items(resource: dict[str, Any], *link_ids: str) -> dict[str, Any]:
    """A copy without the named items: what an author does after reading the import's refusal."""
    resource = copy.deepcopy(resource)

    def prune(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {**item, "item": prune(item.get("item", []))} if "item" in item else item
            for item in items
            if item["linkId"] not in link_ids
        ]

    resource["item"] = prune(resource["item"])
    return resource


def problems(resource: Any) -> list[dict[str, str]]:
    with pytest.raises(InvalidInput) as raised:
        import_questionnaire(resource)
    assert raised.value.status == 422
    return raised.value.errors


def refusal(resource: Any) -> list[tuple[str, str]]:
    """The location and type of every problem import reports."""
    return [(problem["location"], problem["code"]) for problem in problems(resource)]


def messages(resource: Any) -> list[str]:
    return [f"{problem['location']}: {problem['messageEn']}" for problem in problems(resource)]


def round_trip(result: ImportResult) -> dict[str, Any]:
    """Export, validate strictly as R4, import again: the same definition must come back."""
    exported = export_questionnaire(result.definition, questionnaire_id="q-1", version=3, status="active")
    Questionnaire.model_validate(exported)
    assert import_questionnaire(exported).definition == result.definition
    return exported


def questionnaire(*items: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"resourceType": "Questionnaire", "status": "draft", "title": "Test", "item": list(items), **fields}


def question(link_id: str, kind: str = "string", **fields: Any) -> dict[str, Any]:
    return {"linkId": link_id, "type": kind, "text": f"Question {link_id}", **fields}


# --- every fixture ------------------------------------------------------------------------------------------

ENGLISH = (
    "warning",
    "language is 'en-US': its texts are imported as the Danish texts too (a Danish text is required); "
    "translate them before publishing",
)
NOT_IMPORTED = "not imported, as Kommunal PRO keeps its own identity and lifecycle: "
IMPORTED = {  # each fixture's import report: (severity, message), all at location "Questionnaire"
    "researchkitonfhir-gad7-contained-vs-ordinal": [
        ENGLISH,
        ("info", NOT_IMPORTED + "meta, status, subjectType, publisher, contact, useContext"),
    ],
    "researchkitonfhir-gcs-hl7-example": [
        ("info", NOT_IMPORTED + "id, text, status, experimental, subjectType, date, publisher"),
    ],
    "researchkitonfhir-multiple-enableWhen": [
        ENGLISH,
        ("info", NOT_IMPORTED + "meta, status, subjectType, publisher, contact, useContext"),
    ],
    "sdc-cap-nested-enableWhen": [
        ("info", NOT_IMPORTED + "id, text, version, status, date, publisher, contact, jurisdiction"),
    ],
}
REFUSED = {
    "sdc-phq9-ordinalValue-valueset": [("item H1/TS", "unsupported-fhir"), ("item H1/TS", "unsupported-fhir")],
    "lforms-loinc-phq9-ordinalValue-answerOption": [("item /44261-6", "unsupported-fhir")],
    "lforms-enableWhen-operators": [
        ("item Q9c-eq-B", "invalid-fhir"),
        ("item Q9c-noteq-B", "invalid-fhir"),
        ("item Q9d-eq-B", "invalid-fhir"),
        ("item Q9d-noteq-B", "invalid-fhir"),
        ("item Q10-ewe", "unsupported-fhir"),
    ],
}


def test_the_fixture_lists_cover_every_file() -> None:
    assert {path.stem for path in FIXTURES.glob("*.json")} == {*IMPORTED, *REFUSED}


@pytest.mark.parametrize(("name", "report"), IMPORTED.items())
def test_fixture_imports_and_round_trips(name: str, report: list[tuple[str, str]]) -> None:
    result = import_questionnaire(fixture(name))
    assert [(note.severity, note.message) for note in result.report] == report
    assert {note.location for note in result.report} == {"Questionnaire"}
    validate_definition(result.definition)  # an import can be stored as a draft
    round_trip(result)


@pytest.mark.parametrize(("name", "problems"), REFUSED.items())
def test_fixture_is_refused_with_every_problem_located(name: str, problems: list[tuple[str, str]]) -> None:
    assert refusal(fixture(name)) == problems


# --- per fixture --------------------------------------------------------------------------------------------


def test_sdc_phq9_is_refused_for_its_calculated_quantity_total() -> None:
    assert messages(fixture("sdc-phq9-ordinalValue-valueset")) == [
        f"item H1/TS: extension {SDC}calculatedExpression with the expression 'answers().sum(value.ordinal())' "
        "cannot be imported: it calculates the answer from other answers (define a total as a scale instead)",
        "item H1/TS: type 'quantity' (a number with a unit the citizen picks) is not supported; supported: "
        "group, display, boolean, decimal, integer, date, dateTime, time, string, text, choice",
    ]


def test_sdc_phq9_without_the_total_scores_its_nine_items_from_the_contained_value_set() -> None:
    result = import_questionnaire(without_items(fixture("sdc-phq9-ordinalValue-valueset"), "H1/TS"))
    definition = result.definition
    assert definition.title == Title(da="Patient Health Questionnaire - 9 Item")
    assert definition.name == "SDC - PHQ-9"
    assert definition.url == "http://hl7.org/fhir/uv/sdc/Questionnaire/questionnaire-sdc-profile-example-PHQ9"
    assert definition.description is not None and "FHIRpaths" in definition.description.da
    (group,) = definition.items
    assert group.type is ItemType.GROUP and group.text is not None and group.text.da.startswith("Over the last two")
    assert [item.link_id for item in group.items] == [f"H1/T1/Q{n}" for n in range(1, 10)]
    for item in group.items:
        assert item.type is ItemType.CHOICE
        assert [(o.code, o.display.da, o.score) for o in item.options] == [
            ("Not-at-all", "Not at all", 0),
            ("Several-days", "Several days", 1),
            ("More than half the days", "More than half the days", 2),
            ("Nearly every day", "Nearly every day", 3),
        ]
        assert {o.system for o in item.options} == {"http://hl7.org/fhir/uv/sdc/CodeSystem/CSPHQ9"}
    notes = {(note.severity, note.location, note.message) for note in result.report}
    assert (
        "warning",
        "Questionnaire",
        "extension http://hl7.org/fhir/StructureDefinition/rendering-styleSensitive ignored: a styling hint",
    ) in notes
    assert (
        "warning",
        "Questionnaire",
        "copyright not imported; if it must be shown, add it to the description",
    ) in notes
    exported = round_trip(result)
    assert exported["derivedFrom"] == [definition.url]
    assert exported["url"] == "https://kommunal-pro.dk/fhir/Questionnaire/q-1"


def test_sdc_phq9_total_becomes_a_scale_that_survives_the_round_trip() -> None:
    definition = import_questionnaire(without_items(fixture("sdc-phq9-ordinalValue-valueset"), "H1/TS")).definition
    bands = [(0, 4, "Minimal"), (5, 9, "Mild"), (10, 14, "Moderate"), (15, 19, "Moderately severe"), (20, 27, "Severe")]
    total = Scale(
        id="phq9",
        name=Text(da="PHQ-9 total", en="PHQ-9 total"),
        method="sum",
        items=[f"H1/T1/Q{n}" for n in range(1, 10)],
        bands=[Band(min=low, max=high, label=Text(da=label)) for low, high, label in bands],
        headline=True,
    )
    scored = definition.model_copy(
        update={
            "scales": [total],
            "flag_rules": [
                FlagRule(
                    id="suicide",
                    level="red",
                    message=Text(da="Selvmordstanker"),
                    item="H1/T1/Q9",
                    codes=["Nearly every day"],
                )
            ],
            "feedback": [Feedback(scale="phq9", min=0, max=4, text=Text(da="Ingen eller minimale symptomer"))],
            "citizen_sees_scores": True,
        }
    )
    exported = round_trip(ImportResult(definition=scored, report=[]))
    (scoring,) = exported["extension"]
    assert scoring["url"] == SCORING_EXTENSION
    assert json.loads(scoring["valueString"])["scales"][0]["bands"][2] == {
        "min": 10.0,
        "max": 14.0,
        "label": {"da": "Moderate"},
    }


def test_lforms_phq9_is_refused_only_for_its_calculated_total() -> None:
    (message,) = messages(fixture("lforms-loinc-phq9-ordinalValue-answerOption"))
    assert message.startswith(f"item /44261-6: extension {SDC}calculatedExpression with the expression 'iif(")
    assert message.endswith(
        "cannot be imported: it calculates the answer from other answers (define a total as a scale instead)"
    )


def test_lforms_phq9_variable_names_that_break_the_id_pattern_are_only_warned() -> None:
    resource = fixture("lforms-loinc-phq9-ordinalValue-answerOption")
    total = resource["item"][9]
    total["extension"] = [e for e in total["extension"] if not e["url"].endswith("calculatedExpression")]
    result = import_questionnaire(resource)
    variables = [note for note in result.report if note.message.startswith("variable ignored")]
    assert [note.message.split("(got ")[1].split(")")[0] for note in variables] == [
        *(f"'q{n}_value'" for n in range(1, 10)),
        "'any_questions_answered'",
    ]
    assert {(note.severity, note.location) for note in variables} == {("warning", "item /44261-6")}
    assert "String should match pattern" in variables[0].message
    items = result.definition.items_by_link_id()
    first = items["/44250-9"]
    assert first.required and first.codes == [
        Coding(system="http://loinc.org", code="44250-9", display="Little interest or pleasure in doing things?")
    ]
    assert [(o.system, o.code, o.display.da, o.score) for o in first.options] == [
        ("http://loinc.org", "LA6568-5", "Not at all", 0),
        ("http://loinc.org", "LA6569-3", "Several days", 1),
        ("http://loinc.org", "LA6570-1", "More than half the days", 2),
        ("http://loinc.org", "LA6571-9", "Nearly every day", 3),
    ]
    assert all(o.score is None for o in items["/69722-7"].options)
    assert items["/44261-6"].unit == "{score}"
    report = {(note.location, note.message) for note in result.report}
    assert (
        "item /44250-9",
        "extension http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl ('drop-down') ignored: "
        "a rendering hint; the app chooses its own controls",
    ) in report
    prefix_notes = [n for n in result.report if n.location == "item /44250-9" and "optionPrefix" in n.message]
    assert len(prefix_notes) == 1, "one note per item, not one per option"
    round_trip(result)


def test_lforms_enable_when_refuses_the_conditions_whose_answer_type_does_not_fit_their_question() -> None:
    found = messages(fixture("lforms-enableWhen-operators"))
    date_condition = (
        "enableWhen[0].answerInteger: Input should be a valid integer, unable to parse string as an integer "
        "(got '2022-09'); the condition's question 'Q9c' is a date item"
    )
    assert found[:2] == [f"item Q9c-eq-B: {date_condition}", f"item Q9c-noteq-B: {date_condition}"]
    assert found[2].startswith("item Q9d-eq-B: enableWhen[0].answerInteger") and found[2].endswith(
        "(got '13:30:00'); the condition's question 'Q9d' is a time item"
    )
    assert found[4].startswith(f"item Q10-ewe: extension {SDC}enableWhenExpression with the expression")


def test_lforms_enable_when_operators_map_once_the_refused_items_are_removed() -> None:
    refused = ("Q9c-eq-B", "Q9c-noteq-B", "Q9d-eq-B", "Q9d-noteq-B", "Q10-ewe")
    result = import_questionnaire(without_items(fixture("lforms-enableWhen-operators"), *refused))
    items = result.definition.items_by_link_id()

    def condition(link_id: str) -> tuple[str, str, Any]:
        (only,) = items[link_id].enable_when
        return only.question, only.operator.value, only.answer

    assert condition("Q1-exists") == ("Q1", "exists", True)
    assert condition("Q1-not-exists") == ("Q1", "exists", False)
    assert condition("Q1-not-true") == ("Q1", "!=", True)
    assert condition("Q2-equal") == ("Q2", "=", 5.6)
    assert condition("Q2-ge") == ("Q2", ">=", 4.8)
    assert condition("Q3-ge") == ("Q3", ">=", 4)
    assert condition("Q4-ge") == ("Q4", ">=", "2020-05-01")
    assert condition("Q7-gt") == ("Q7", ">", "tes")
    assert condition("Q7-le") == ("Q7", "<", "test")
    assert condition("Q7-le2") == ("Q7", "<=", "testing")
    assert condition("Q9-noteq-B") == ("Q9", "!=", "B")
    assert {c.operator for item in items.values() for c in item.enable_when} == set(Operator)
    assert items["Q8"].repeats is True  # "repeats": "true" (a string) reads as fhir.resources reads it
    assert items["Q8-eq-B-and-C"].enable_behavior == "all"
    assert [c.answer for c in items["Q8-eq-B-and-C"].enable_when] == ["B", "C"]
    # questions limited to listed values become choices whose codes are those values
    assert (items["Q9a"].type, [o.code for o in items["Q9a"].options]) == (ItemType.CHOICE, ["A", "B", "C"])
    assert (items["Q9b"].type, [o.code for o in items["Q9b"].options]) == (ItemType.CHOICE, ["12", "34", "56"])
    assert [o.code for o in items["Q9c"].options] == ["2022", "2022-09", "2022-09-20"]
    assert condition("Q9b-eq-B") == ("Q9b", "=", "34")
    assert condition("Q9a-noteq-B") == ("Q9a", "!=", "B")
    infos = {
        note.location for note in result.report if note.severity == "info" and "imported as a choice" in note.message
    }
    assert infos == {"item Q9a", "item Q9b", "item Q9c", "item Q9d"}
    round_trip(result)


def test_gad7_options_and_scores_come_from_the_contained_value_set() -> None:
    result = import_questionnaire(fixture("researchkitonfhir-gad7-contained-vs-ordinal"))
    definition = result.definition
    assert definition.title == Title(da="Generalized Anxiety Disorder - 7", en="Generalized Anxiety Disorder - 7")
    (group,) = definition.items
    assert group.required and group.link_id == "a2ae9518-55b5-41cc-928d-00132d1a3c1e"
    assert len(group.items) == 7 and all(item.required for item in group.items)
    assert group.items[6].link_id == "8c6a877a-3867-4b36-c097-2b342649cadb"
    assert group.items[0].text == Text(
        da="Feeling nervous, anxious, or on edge", en="Feeling nervous, anxious, or on edge"
    )
    for item in group.items:
        assert [(o.code, o.score) for o in item.options] == [
            ("Not-at-all", 0),
            ("Several-days", 1),
            ("More than half the days", 2),
            ("Nearly every day", 3),
        ]
    round_trip(result)


def test_gcs_options_come_from_three_contained_loinc_value_sets() -> None:
    definition = import_questionnaire(fixture("researchkitonfhir-gcs-hl7-example")).definition
    assert definition.title.da == "Glasgow Coma Score"
    assert definition.codes == [Coding(system="http://loinc.org", code="9269-2")]
    verbal, motor, eye = definition.items
    assert verbal.codes == [Coding(system="http://loinc.org", code="9270-0")]
    assert (len(verbal.options), len(motor.options), len(eye.options)) == (5, 6, 4)
    assert motor.options[5] == AnswerOption(
        code="LA6567-7", display=Text(da="Obeys commands"), system="http://loinc.org"
    )
    assert all(o.score is None for item in definition.items for o in item.options), "this GCS has no ordinalValue"


def test_multiple_enable_when_any_and_all() -> None:
    items = import_questionnaire(fixture("researchkitonfhir-multiple-enableWhen")).definition.items
    sky, grass, dozen, any_right, all_right = items
    expected = [
        EnableWhen(question=sky.link_id, operator="=", answer=True),
        EnableWhen(question=grass.link_id, operator="=", answer="green"),
        EnableWhen(question=dozen.link_id, operator="=", answer=12),
    ]
    assert (any_right.type, any_right.enable_behavior, any_right.enable_when) == (ItemType.DISPLAY, "any", expected)
    assert (all_right.enable_behavior, all_right.enable_when) == ("all", expected)
    assert grass.options[3].system == "urn:uuid:2dab6b0b-4518-4c39-9f7f-a9da98e7c2f3"


def test_cap_five_levels_of_nesting_with_limits() -> None:
    definition = import_questionnaire(fixture("sdc-cap-nested-enableWhen")).definition
    chain = [definition.items[0]]
    while chain[-1].items:
        chain.append(chain[-1].items[0])
    margins, _, involved, _, specify = chain
    assert [item.link_id for item in chain] == ["1", "1.1", "1.1.1", "1.1.1.1", "1.1.1.1.1.1"]
    assert specify.type is ItemType.DECIMAL and specify.required and margins.required
    assert (specify.min_value, specify.max_value, specify.max_decimal_places) == (0.01, 1000, 2)
    assert involved.type is ItemType.GROUP and involved.text is None
    assert involved.enable_when == [EnableWhen(question="1.1", operator="=", answer="M1")]
    tumor = definition.items_by_link_id()["2.2"]
    assert tumor.repeats and [o.code for o in tumor.options] == ["U1", "U2", "U3", "U4"]
    assert definition.title.da == "(Ask Richard)" and definition.name is None


# --- refusals -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", [None, [], "Questionnaire", 42, [{"resourceType": "Questionnaire"}]])
def test_not_a_json_object(resource: Any) -> None:
    assert refusal(resource) == [("Questionnaire", "invalid-fhir")]


def test_another_resource_type() -> None:
    assert messages({"resourceType": "Patient"}) == ["Questionnaire: resourceType is 'Patient', not 'Questionnaire'"]


def test_no_items() -> None:
    assert messages({"resourceType": "Questionnaire", "status": "draft", "title": "Empty"}) == [
        "Questionnaire: has no items"
    ]


def test_no_title_and_no_name() -> None:
    resource = questionnaire(question("a"))
    del resource["title"]
    assert messages(resource) == ["Questionnaire: has neither a title nor a name; a questionnaire needs a title"]


def test_name_is_the_title_when_there_is_no_title() -> None:
    resource = questionnaire(question("a"), name="PHQ9")
    del resource["title"]
    assert import_questionnaire(resource).definition.title == Title(da="PHQ9")


@pytest.mark.parametrize("kind", ["open-choice", "quantity", "attachment", "reference", "url", "question"])
def test_unsupported_item_types(kind: str) -> None:
    (problem,) = messages(questionnaire(question("a"), question("b", kind)))
    assert problem.startswith(f"item b: type '{kind}' (") and "is not supported" in problem


def test_answer_value_set_outside_the_questionnaire() -> None:
    resource = questionnaire(question("a", "choice", answerValueSet="http://loinc.org/vs/LL358-3"))
    assert messages(resource) == [
        "item a: answerValueSet 'http://loinc.org/vs/LL358-3' is not a ValueSet contained in the questionnaire; "
        "other value sets are not expanded, so the answer options are unknown"
    ]


def test_value_set_by_filter_is_refused_and_expansion_is_read() -> None:
    filtered = {
        "resourceType": "ValueSet",
        "id": "f",
        "status": "active",
        "compose": {
            "include": [{"system": "http://loinc.org", "filter": [{"property": "parent", "op": "=", "value": "X"}]}]
        },
    }
    expanded = {
        "resourceType": "ValueSet",
        "id": "e",
        "status": "active",
        "expansion": {
            "timestamp": "2024-01-01",
            "contains": [
                {
                    "system": "s",
                    "code": "x",
                    "display": "X",
                    "extension": [{"url": ORDINAL_VALUE, "valueDecimal": 2.5}],
                },
                {"code": "y", "contains": [{"system": "s", "code": "z", "display": "Z"}]},
            ],
        },
    }
    assert messages(questionnaire(question("a", "choice", answerValueSet="#f"), contained=[filtered])) == [
        "item a: ValueSet '#f' includes codes by filter, value set or whole code system; "
        "only listed codes can be imported",
        "item a: ValueSet '#f' lists no codes",
    ]
    item = import_questionnaire(questionnaire(question("a", "choice", answerValueSet="#e"), contained=[expanded]))
    options = item.definition.items[0].options
    assert [(o.code, o.display.da, o.score) for o in options] == [("x", "X", 2.5), ("y", "y", None), ("z", "Z", None)]


def test_enable_when_to_a_question_that_does_not_exist_is_mapped_for_validation_to_reject() -> None:
    condition = {"question": "nowhere", "operator": "=", "answerString": "x"}
    definition = import_questionnaire(questionnaire(question("a", enableWhen=[condition]))).definition
    assert definition.items[0].enable_when == [EnableWhen(question="nowhere", operator="=", answer="x")]


def test_enable_when_answer_that_validates_but_does_not_fit_its_question() -> None:
    wrong = {"question": "born", "operator": ">", "answerInteger": 2000}
    exists = {"question": "born", "operator": "exists", "answerString": "yes"}
    resource = questionnaire(
        question("born", "date"), question("a", enableWhen=[wrong]), question("b", enableWhen=[exists])
    )
    assert messages(resource) == [
        "item a: enableWhen[0].answerInteger does not fit the date question 'born', which takes answerDate",
        "item b: enableWhen[0].answerString does not fit operator 'exists', which takes answerBoolean",
    ]


def test_every_problem_is_reported_at_once() -> None:
    resource = questionnaire(
        question("ok"),
        question("upload", "attachment"),
        question("sex", "choice", answerValueSet="http://hl7.org/fhir/ValueSet/administrative-gender"),
        question("age", "integer", initial=[{"valueInteger": 40}]),
        question("shown", modifierExtension=[{"url": "http://example.org/negate", "valueBoolean": True}]),
        question(
            "hidden",
            extension=[{"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-hidden", "valueBoolean": True}],
        ),
        question("pick", "choice", answerOption=[{"valueString": "a", "initialSelected": True}]),
        question(
            "scored",
            "choice",
            answerOption=[
                {
                    "valueCoding": {"code": "a"},
                    "extension": [
                        {"url": ORDINAL_VALUE, "valueDecimal": 1},
                        {"url": "http://hl7.org/fhir/StructureDefinition/itemWeight", "valueDecimal": 2},
                    ],
                }
            ],
        ),
        question(
            "born",
            "date",
            extension=[{"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueDate": "1900-01-01"}],
        ),
        {"linkId": "untitled", "type": "boolean"},
        question("broken", enableWhen=[{"question": "ok", "operator": "=", "answerInteger": "one"}]),
        {"linkId": "has space", "type": "string", "text": "Spaces in linkIds are not ours"},
    )
    expected = [  # location, type and what the message names
        ("item broken", "invalid-fhir", "enableWhen[0].answerInteger: Input should be a valid integer"),
        ("item shown", "unsupported-fhir", "modifierExtension http://example.org/negate"),
        ("item hidden", "unsupported-fhir", "questionnaire-hidden cannot be imported: it hides the item"),
        ("item upload", "unsupported-fhir", "type 'attachment' (a file upload) is not supported"),
        ("item sex", "unsupported-fhir", "answerValueSet 'http://hl7.org/fhir/ValueSet/administrative-gender'"),
        ("item age", "unsupported-fhir", "initial pre-fills the answer"),
        ("item pick", "unsupported-fhir", "answerOption[0].initialSelected"),
        ("item scored", "unsupported-fhir", "answerOption[0] score has conflicting values [1, 2]"),
        ("item born", "unsupported-fhir", "minValue valueDate '1900-01-01' is not a number"),
        ("item untitled", "unsupported-fhir", "a boolean item without text"),
        ("item has space", "invalid-format", "linkId: String should match pattern"),
    ]
    found = problems(resource)
    assert [(p["location"], p["code"]) for p in found] == [(location, kind) for location, kind, _ in expected]
    assert [feature for p, (*_, feature) in zip(found, expected, strict=True) if feature not in p["messageEn"]] == []


def test_harmless_and_no_op_extensions_are_noted() -> None:
    resource = questionnaire(
        question(
            "a",
            extension=[
                {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-hidden", "valueBoolean": False},
                {"url": "http://example.org/fhir/whatever", "valueString": "x"},
            ],
        ),
        _title={
            "extension": [
                {"url": "http://hl7.org/fhir/StructureDefinition/rendering-xhtml", "valueString": "<b>Test</b>"}
            ]
        },
    )
    notes = [(n.severity, n.location, n.message) for n in import_questionnaire(resource).report]
    assert notes == [
        (
            "warning",
            "Questionnaire",
            "extension http://hl7.org/fhir/StructureDefinition/rendering-xhtml ignored: "
            "an XHTML rendering of a text; the plain text is imported",
        ),
        (
            "info",
            "item a",
            "extension http://hl7.org/fhir/StructureDefinition/questionnaire-hidden has no effect "
            "with this value; ignored",
        ),
        (
            "warning",
            "item a",
            "unknown extension http://example.org/fhir/whatever ignored; "
            "check that the questionnaire means the same without it",
        ),
        ("info", "Questionnaire", "not imported, as Kommunal PRO keeps its own identity and lifecycle: status"),
    ]


def test_required_values_given_only_as_extensions_are_refused_not_a_crash() -> None:
    absent = {
        "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}]
    }
    resource = questionnaire(
        {
            "linkId": "g",
            "type": "group",
            "text": "Group",
            "item": [
                question("a", enableWhen=[{"question": "g", "_operator": absent, "answerString": "x"}]),
                {"_linkId": absent, "type": "string", "text": "No linkId"},
            ],
        },
    )
    assert messages(resource) == [
        "item a: enableWhen[0].operator: a value is required",
        "item g: item[1].linkId: a value is required",
    ]


def test_unknown_contained_resource_type_is_invalid_input_not_a_crash() -> None:
    assert refusal(questionnaire(question("a"), contained=[{"resourceType": "NoSuchThing"}])) == [
        ("Questionnaire", "invalid-fhir")
    ]


def test_translations_help_and_danish_language() -> None:
    translation = {
        "url": TRANSLATION,
        "extension": [{"url": "lang", "valueCode": "en"}, {"url": "content", "valueString": "Do you smoke?"}],
    }
    help_item = {
        "linkId": "smoke-info",
        "type": "display",
        "text": "Også e-cigaretter",
        "extension": [
            {
                "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl",
                "valueCodeableConcept": {"coding": [{"code": "help"}]},
            }
        ],
    }
    resource = questionnaire(
        {
            "linkId": "smoke",
            "type": "boolean",
            "text": "Ryger du?",
            "_text": {"extension": [translation]},
            "item": [help_item],
        },
        language="da-DK",
    )
    result = import_questionnaire(resource)
    (smoke,) = result.definition.items
    assert smoke.text == Text(da="Ryger du?", en="Do you smoke?")
    assert smoke.help == Text(da="Også e-cigaretter") and smoke.items == []
    assert not any("language" in note.message for note in result.report)
    round_trip(result)


# --- export -------------------------------------------------------------------------------------------------


def every_item_type() -> QuestionnaireDefinition:
    options = [
        AnswerOption(code="0", display=Text(da="Aldrig", en="Never"), system="urn:kp", score=0),
        AnswerOption(code="1", display=Text(da="Ofte", en="Often"), score=2.5),
        AnswerOption(code="x", display=Text(da="Ved ikke")),
    ]
    return QuestionnaireDefinition(
        title=Title(da="Alle typer", en="All types"),
        description=Text(da="Til test"),
        name="AllTypes",
        codes=[Coding(system="http://loinc.org", code="1-8", display="Test")],
        items=[
            Item(link_id="intro", type="display", text=Text(da="Velkommen", en="Welcome")),
            Item(
                link_id="g",
                type="group",
                text=Text(da="Gruppe"),
                required=True,
                items=[
                    Item(link_id="b", type="boolean", text=Text(da="Ja/nej"), help=Text(da="Hjælp", en="Help")),
                    Item(
                        link_id="d",
                        type="decimal",
                        text=Text(da="Vægt"),
                        min_value=0.5,
                        max_value=300,
                        max_decimal_places=1,
                        unit="kg",
                        read_only=True,
                    ),
                    Item(link_id="i", type="integer", text=Text(da="Alder"), min_value=0, max_value=120, prefix="3."),
                    Item(link_id="dt", type="date", text=Text(da="Dato")),
                    Item(link_id="dtt", type="dateTime", text=Text(da="Tidspunkt")),
                    Item(link_id="t", type="time", text=Text(da="Klokken")),
                    Item(link_id="s", type="string", text=Text(da="Navn"), max_length=80),
                    Item(link_id="txt", type="text", text=Text(da="Kommentar"), repeats=True),
                    Item(
                        link_id="c",
                        type="choice",
                        text=Text(da="Hvor tit?"),
                        options=options,
                        required=True,
                        codes=[Coding(system="urn:kp", code="c")],
                    ),
                ],
            ),
            Item(
                link_id="follow-up",
                type="string",
                text=Text(da="Uddyb"),
                enable_behavior="any",
                enable_when=[
                    EnableWhen(question="b", operator="=", answer=True),
                    EnableWhen(question="d", operator=">", answer=80.5),
                    EnableWhen(question="i", operator=">=", answer=65),
                    EnableWhen(question="dt", operator="<", answer="2020-01-01"),
                    EnableWhen(question="dtt", operator="<=", answer="2020-01-01T10:00:00+01:00"),
                    EnableWhen(question="t", operator="!=", answer="12:00:00"),
                    EnableWhen(question="s", operator="=", answer="ja"),
                    EnableWhen(question="txt", operator="exists", answer=True),
                    EnableWhen(question="c", operator="=", answer="1"),
                    EnableWhen(question="c", operator="exists", answer=False),
                ],
            ),
        ],
        scales=[Scale(id="often", name=Text(da="Hyppighed"), method="sum", items=["c"], decimals=1)],
        flag_rules=[FlagRule(id="old", level="yellow", message=Text(da="Ældre borger"), item="i", min=80)],
    )


@pytest.mark.parametrize("status", ["draft", "active", "retired"])
def test_export_of_every_item_type_is_valid_r4_and_imports_back(status: str) -> None:
    definition = every_item_type()
    exported = export_questionnaire(
        definition, questionnaire_id="abc-123", version=7, status=status, publisher="Aarhus Kommune"
    )
    Questionnaire.model_validate(exported)
    assert (exported["url"], exported["version"], exported["status"], exported["publisher"]) == (
        "https://kommunal-pro.dk/fhir/Questionnaire/abc-123",
        "7",
        status,
        "Aarhus Kommune",
    )
    assert "derivedFrom" not in exported
    assert exported["_title"]["extension"][0]["extension"][1] == {"url": "content", "valueString": "All types"}
    group = exported["item"][1]
    boolean, decimal, integer, *_, choice = group["item"]
    assert boolean["item"][0]["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "help"
    assert decimal["extension"] == [
        {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueDecimal": 0.5},
        {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueDecimal": 300},
        {"url": "http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces", "valueInteger": 1},
        {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unit", "valueCoding": {"display": "kg"}},
    ]
    assert integer["extension"][1] == {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": 120}
    assert choice["answerOption"][1] == {
        "valueCoding": {
            "code": "1",
            "display": "Ofte",
            "_display": {
                "extension": [
                    {
                        "url": TRANSLATION,
                        "extension": [{"url": "lang", "valueCode": "en"}, {"url": "content", "valueString": "Often"}],
                    }
                ]
            },
        },
        "extension": [{"url": ORDINAL_VALUE, "valueDecimal": 2.5}],
    }
    answers = [{k: v for k, v in c.items() if k.startswith("answer")} for c in exported["item"][2]["enableWhen"]]
    assert answers == [
        {"answerBoolean": True},
        {"answerDecimal": 80.5},
        {"answerInteger": 65},
        {"answerDate": "2020-01-01"},
        {"answerDateTime": "2020-01-01T10:00:00+01:00"},
        {"answerTime": "12:00:00"},
        {"answerString": "ja"},
        {"answerBoolean": True},
        {
            "answerCoding": {
                "code": "1",
                "display": "Ofte",
                "_display": choice["answerOption"][1]["valueCoding"]["_display"],
            }
        },
        {"answerBoolean": False},
    ]
    assert import_questionnaire(exported).definition == definition


def test_export_refuses_an_unknown_status() -> None:
    with pytest.raises(ValueError, match="status"):
        export_questionnaire(every_item_type(), questionnaire_id="a", version=1, status="published")


words = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), min_size=1, max_size=12).filter(
    str.strip
)
codes = words.map(lambda word: " ".join(word.split()))  # a FHIR code: no leading, trailing or double spaces
texts = st.builds(Text, da=words, en=st.none() | words)
cpr_free = words.filter(lambda word: not CPR_IN_TEXT.search(word))  # a title refuses CPR-shaped text
titles = st.builds(Title, da=cpr_free, en=st.none() | cpr_free)
ANSWERS = {
    ItemType.BOOLEAN: st.booleans(),
    ItemType.DECIMAL: st.floats(-1e6, 1e6, allow_nan=False),
    ItemType.INTEGER: st.integers(-1000, 1000),
    ItemType.DATE: st.sampled_from(["2020", "2020-02", "2020-02-29"]),
    ItemType.DATETIME: st.sampled_from(["2020-02-29T23:59:59+01:00", "2021-01-01T00:00:00Z"]),
    ItemType.TIME: st.sampled_from(["00:00:00", "13:30:15"]),
    ItemType.STRING: words,
    ItemType.TEXT: words,
}


@st.composite
def imported_definitions(draw: st.DrawFn) -> QuestionnaireDefinition:
    """Definitions as import makes them: questions of every type, options with scores, conditions on earlier
    questions with answers of the question's type, help, codes, and a group around some of them."""
    questions: list[Item] = []
    for number in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from([*ANSWERS, ItemType.CHOICE]))
        options = []
        if kind is ItemType.CHOICE:
            scores = st.none() | st.floats(-10, 10, allow_nan=False)
            options = [
                AnswerOption(
                    code=code, display=draw(texts), system=draw(st.none() | st.just("urn:x")), score=draw(scores)
                )
                for code in draw(st.lists(codes, min_size=1, max_size=4, unique=True))
            ]
        conditions = []
        for target in draw(st.lists(st.sampled_from(questions), max_size=2)) if questions else []:
            answer = (
                ANSWERS[target.type] if target.type in ANSWERS else st.sampled_from([o.code for o in target.options])
            )
            operator, answer = draw(st.sampled_from([("=", answer), ("!=", answer), ("exists", st.booleans())]))
            conditions.append(EnableWhen(question=target.link_id, operator=operator, answer=draw(answer)))
        questions.append(
            Item(
                link_id=f"q{number}",
                type=kind,
                text=draw(texts),
                help=draw(st.none() | texts),
                options=options,
                required=draw(st.booleans()),
                repeats=draw(st.booleans()),
                enable_when=conditions,
                enable_behavior=draw(st.sampled_from(["all", "any"])) if len(conditions) > 1 else None,
                codes=draw(st.lists(st.builds(Coding, system=st.just("http://loinc.org"), code=codes), max_size=1)),
            )
        )
    grouped = draw(st.integers(0, len(questions)))
    items = [Item(link_id="group", type="group", text=draw(texts), items=questions[:grouped])] if grouped else []
    return QuestionnaireDefinition(title=draw(titles), items=[*items, *questions[grouped:]])


@settings(max_examples=150, deadline=None)
@given(imported_definitions())
def test_any_imported_definition_survives_export_and_import(definition: QuestionnaireDefinition) -> None:
    round_trip(ImportResult(definition=definition, report=[]))


# --- garbage never crashes ----------------------------------------------------------------------------------

KEYS = [
    "resourceType",
    "item",
    "linkId",
    "type",
    "text",
    "_text",
    "answerOption",
    "valueCoding",
    "code",
    "extension",
    "url",
    "valueDecimal",
    "enableWhen",
    "question",
    "operator",
    "answerCoding",
    "answerValueSet",
    "contained",
    "id",
    "compose",
    "include",
    "concept",
    "title",
    "status",
    "required",
    "language",
    "modifierExtension",
    "_linkId",
    "_question",
]
VALUES = [
    "Questionnaire",
    "ValueSet",
    "choice",
    "group",
    "string",
    "integer",
    "=",
    "exists",
    "#vs",
    "draft",
    ORDINAL_VALUE,
    TRANSLATION,
    SCORING_EXTENSION,
    f"{SDC}calculatedExpression",
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=5)
    | st.sampled_from(VALUES),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), children, max_size=5)
    ),
    max_leaves=30,
)


def imports_or_refuses(resource: Any) -> None:
    try:
        result = import_questionnaire(resource)
    except InvalidInput as error:
        assert error.errors and all(
            set(p) == {"code", "location", "messageDa", "messageEn"} and all(p.values()) for p in error.errors
        )
    else:
        assert isinstance(result.definition, QuestionnaireDefinition)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_random_json_only_ever_raises_invalid_input(resource: Any) -> None:
    imports_or_refuses(resource)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_random_questionnaire_shapes_only_ever_raise_invalid_input(body: Any) -> None:
    resource = body if isinstance(body, dict) else {"item": body}
    imports_or_refuses({**resource, "resourceType": "Questionnaire"})


def paths(node: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [prefix] if prefix else []
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in children:
        found += paths(child, (*prefix, key))
    return found


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([*IMPORTED, *REFUSED]), st.data())
def test_a_fixture_with_one_value_replaced_only_ever_raises_invalid_input(name: str, data: st.DataObject) -> None:
    resource = fixture(name)
    path = data.draw(st.sampled_from(paths(resource)))
    parent: Any = resource  # objects and lists on the way down
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = data.draw(json_values)
    imports_or_refuses(resource)


def test_a_title_with_a_cpr_number_is_refused_and_not_repeated() -> None:
    resource = {
        "resourceType": "Questionnaire",
        "status": "active",
        "title": "Søvn 111111-1118",
        "item": [{"linkId": "a", "type": "string", "text": "Hvad?"}],
    }
    assert problems(resource) == [
        {
            "code": "contains-cpr",
            "location": "Questionnaire",
            "messageDa": "title.da: Fjern CPR-nummeret fra feltet",
            "messageEn": "title.da: the field must not contain a CPR number",
        }
    ]
