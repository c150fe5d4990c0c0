"""Each rule that rejects a questionnaire definition, with the location and reason it reports."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from kommunal_pro.errors import InvalidInput
from kommunal_pro.questionnaires.model import QuestionnaireDefinition
from kommunal_pro.questionnaires.validation import validate_definition
from tests.json_values import as_objects


def _option(code: str, score: float | None) -> dict[str, Any]:
    return {"code": code, "display": {"da": f"Svar {code}"}, "score": score}


# A small valid questionnaire: three scored items in a group, a free-text follow-up, one scale, flags.
VALID: dict[str, Any] = {
    "title": {"da": "Træthed", "en": "Fatigue"},
    "items": [
        {
            "linkId": "traethed",
            "type": "group",
            "text": {"da": "De sidste 2 uger"},
            "items": [
                {
                    "linkId": f"t{n}",
                    "type": "choice",
                    "text": {"da": f"Spørgsmål {n}"},
                    "required": True,
                    "options": [_option(str(s), s) for s in range(4)],
                }
                for n in (1, 2, 3)
            ],
        },
        {"linkId": "alder", "type": "integer", "text": {"da": "Alder"}, "minValue": 18, "maxValue": 120},
        {
            "linkId": "uddyb",
            "type": "text",
            "text": {"da": "Uddyb"},
            "maxLength": 500,
            "enableWhen": [{"question": "t1", "operator": "=", "answer": "3"}],
        },
    ],
    "scales": [
        {
            "id": "total",
            "name": {"da": "Samlet"},
            "method": "sum",
            "items": ["t1", "t2", "t3"],
            "minAnswered": 3,
            "headline": True,
        }
    ],
    "flagRules": [
        {"id": "lav", "level": "green", "scale": "total", "min": 0, "max": 3, "message": {"da": "Lav træthed"}},
        {"id": "middel", "level": "yellow", "scale": "total", "min": 4, "max": 6, "message": {"da": "Træthed"}},
        {"id": "hoej", "level": "red", "scale": "total", "min": 7, "max": 9, "message": {"da": "Svær træthed"}},
        {"id": "t3-max", "level": "red", "item": "t3", "codes": ["3"], "message": {"da": "Udmattet"}},
    ],
    "feedback": [{"scale": "total", "min": 7, "text": {"da": "Tal med din sygeplejerske om træthed."}}],
}


def _with(change: Callable[[dict[str, Any]], None]) -> QuestionnaireDefinition:
    data = copy.deepcopy(VALID)
    change(data)
    return QuestionnaireDefinition.model_validate(data)


def _entries(definition: QuestionnaireDefinition) -> list[dict[str, str]]:
    with pytest.raises(InvalidInput) as refused:
        validate_definition(definition)
    assert refused.value.status == 422
    return refused.value.errors


def _problems(definition: QuestionnaireDefinition) -> list[tuple[str, str]]:
    return [(p["location"], p["messageEn"]) for p in _entries(definition)]


def _group(data: dict[str, Any]) -> list[dict[str, Any]]:
    return as_objects(data["items"][0]["items"])


def test_the_valid_definition_passes() -> None:
    validate_definition(QuestionnaireDefinition.model_validate(VALID))


def test_duplicate_link_ids_even_across_nesting() -> None:
    def duplicate(data: dict[str, Any]) -> None:
        data["items"][1]["linkId"] = "t2"

    assert {
        "code": "duplicate",
        "location": "item t2",
        "messageDa": "linkId 't2' bruges af 2 elementer; et linkId skal være entydigt",
        "messageEn": "linkId 't2' is used by 2 items; linkIds must be unique",
    } in _entries(_with(duplicate))


def test_enable_when_pointing_nowhere() -> None:
    def dangling(data: dict[str, Any]) -> None:
        data["items"][2]["enableWhen"][0]["question"] = "t9"

    assert _problems(_with(dangling)) == [
        ("item uddyb", "enableWhen refers to 't9', which is not an item of this questionnaire")
    ]
    assert [(p["code"], p["messageDa"]) for p in _entries(_with(dangling))] == [
        ("unknown-reference", "Henvisningen peger på noget, der ikke findes i spørgeskemaet")
    ]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (
            {"question": "t1", "operator": "=", "answer": "7"},
            "enableWhen answer '7' does not fit the choice item 't1' (its options are 0, 1, 2, 3)",
        ),
        (
            {"question": "t1", "operator": ">", "answer": "1"},
            "operator '>' cannot compare answers to the choice item 't1'",
        ),
        (
            {"question": "alder", "operator": ">", "answer": "2022-09"},
            "enableWhen answer '2022-09' does not fit the integer item 'alder'",
        ),
        ({"question": "alder", "operator": "exists", "answer": 1}, "enableWhen 'exists' takes true or false"),
        (
            {"question": "traethed", "operator": "exists", "answer": True},
            "enableWhen refers to 'traethed', a group item that has no answer",
        ),
    ],
)
def test_enable_when_of_an_incompatible_type(condition: dict[str, Any], message: str) -> None:
    def condition_on(data: dict[str, Any]) -> None:
        data["items"][2]["enableWhen"] = [condition]

    assert _problems(_with(condition_on)) == [("item uddyb", message)]


def test_enable_when_cycles_directly_and_through_a_group() -> None:
    def cycle(data: dict[str, Any]) -> None:
        data["items"][1]["enableWhen"] = [{"question": "uddyb", "operator": "exists", "answer": True}]
        data["items"][2]["enableWhen"] = [{"question": "alder", "operator": "exists", "answer": True}]

    assert [m for _, m in _problems(_with(cycle))] == ["enableWhen conditions form a cycle: alder → uddyb → alder"]

    def group_waits_for_its_child(data: dict[str, Any]) -> None:
        data["items"][0]["enableWhen"] = [{"question": "t1", "operator": "exists", "answer": True}]

    assert [m for _, m in _problems(_with(group_waits_for_its_child))] == [
        "enableWhen conditions form a cycle: traethed → t1 → traethed"
    ]


def test_choice_items_need_options_with_unique_codes() -> None:
    def no_options(data: dict[str, Any]) -> None:
        data["items"].append({"linkId": "tom", "type": "choice", "text": {"da": "Tom"}})

    def duplicate_codes(data: dict[str, Any]) -> None:
        _group(data)[0]["options"].append(_option("2", 2))

    assert _problems(_with(no_options)) == [("item tom", "a choice item needs answer options")]
    assert ("item t1", "answer option code '2' appears 2 times") in _problems(_with(duplicate_codes))


def test_scales_must_reference_existing_numeric_items() -> None:
    def unknown(data: dict[str, Any]) -> None:
        data["scales"][0]["items"] = ["t1", "t2", "t4"]

    def free_text(data: dict[str, Any]) -> None:
        data["scales"][0]["items"] = ["t1", "t2", "uddyb"]

    def unscored(data: dict[str, Any]) -> None:
        _group(data)[2]["options"][0]["score"] = None

    assert _problems(_with(unknown)) == [("scale total", "refers to unknown item 't4'")]
    assert _problems(_with(free_text)) == [
        ("scale total", "item 'uddyb' has no numeric value (a choice with scores, integer or decimal)")
    ]
    assert ("scale total", "item 't3' has no numeric value (a choice with scores, integer or decimal)") in _problems(
        _with(unscored)
    )


def test_flag_thresholds_that_overlap_or_leave_the_scale_range() -> None:
    def overlapping(data: dict[str, Any]) -> None:
        data["flagRules"][1]["max"] = 7

    def beyond(data: dict[str, Any]) -> None:
        data["flagRules"][2]["max"] = 12

    def unknown_code(data: dict[str, Any]) -> None:
        data["flagRules"][3]["codes"] = ["4"]

    assert _problems(_with(overlapping)) == [
        ("flag rule hoej", "overlaps flag rule 'middel' on total: a value would get two flags")
    ]
    assert _problems(_with(beyond)) == [("flag rule hoej", "thresholds 7.0..12.0 lie outside scale 'total' (0.0..9.0)")]
    assert _problems(_with(unknown_code)) == [("flag rule t3-max", "'4' is not an answer option of 't3'")]


def test_references_to_unknown_scales() -> None:
    def unknown(data: dict[str, Any]) -> None:
        data["flagRules"][0]["scale"] = "samlet"
        data["feedback"][0]["scale"] = "samlet"

    assert sorted(_problems(_with(unknown))) == [
        ("feedback 0", "refers to unknown scale 'samlet'"),
        ("flag rule lav", "refers to unknown scale 'samlet'"),
    ]


def test_every_problem_is_reported_at_once() -> None:
    def many(data: dict[str, Any]) -> None:
        data["items"][1]["linkId"] = "t2"
        data["items"][2]["maxLength"] = None
        data["items"][1]["maxLength"] = 5
        data["scales"][0]["items"].append("x")

    assert len(_problems(_with(many))) >= 3


def test_an_authors_problem_is_told_in_danish_too() -> None:
    def inverted(data: dict[str, Any]) -> None:
        data["items"][1] |= {"minValue": 120.5, "maxValue": 18}

    assert _entries(_with(inverted)) == [
        {
            "code": "invalid-definition",
            "location": "item alder",
            "messageDa": "minValue 120,5 er større end maxValue 18",
            "messageEn": "minValue 120.5 is greater than maxValue 18.0",
        }
    ]
