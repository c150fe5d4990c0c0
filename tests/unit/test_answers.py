"""Server-side answer validation: every rule, enableWhen any/all, nested groups, repeats."""

from __future__ import annotations

from typing import Any

import pytest

from kommunal_pro.errors import InvalidInput
from kommunal_pro.questionnaires.answers import check_answer_shapes, enabled_items, validate_submission
from kommunal_pro.questionnaires.model import Answers, QuestionnaireDefinition


def _text(da: str) -> dict[str, str]:
    return {"da": da}


def _choice(link_id: str, codes: list[str], **extra: object) -> dict[str, Any]:
    options = [{"code": c, "display": _text(c), "score": i} for i, c in enumerate(codes)]
    return {"linkId": link_id, "type": "choice", "text": _text(link_id), "options": options, **extra}


# A rehabilitation check-in: smoking (with follow-ups), breathlessness, a nested group about sleep.
CHECK_IN = QuestionnaireDefinition.model_validate(
    {
        "title": _text("Tjek ind før samtale"),
        "items": [
            {"linkId": "ryger", "type": "boolean", "text": _text("Ryger du?"), "required": True},
            {
                "linkId": "cigaretter",
                "type": "integer",
                "text": _text("Hvor mange cigaretter om dagen?"),
                "required": True,
                "minValue": 1,
                "maxValue": 80,
                "enableWhen": [{"question": "ryger", "operator": "=", "answer": True}],
            },
            _choice("aandenoed", ["ingen", "let", "svaer"], required=True),
            {
                "linkId": "aandenoed-hvornaar",
                "type": "choice",
                "text": _text("Hvornår?"),
                "repeats": True,
                "options": [{"code": c, "display": _text(c)} for c in ("hvile", "trapper", "nat")],
                "enableWhen": [{"question": "aandenoed", "operator": "!=", "answer": "ingen"}],
            },
            {
                "linkId": "soevn",
                "type": "group",
                "text": _text("Søvn"),
                "required": True,
                "enableWhen": [
                    {"question": "aandenoed", "operator": "=", "answer": "svaer"},
                    {"question": "cigaretter", "operator": ">=", "answer": 20},
                ],
                "enableBehavior": "any",
                "items": [
                    {
                        "linkId": "timer",
                        "type": "decimal",
                        "text": _text("Timer søvn"),
                        "maxDecimalPlaces": 1,
                        "minValue": 0,
                        "maxValue": 24,
                    },
                    {
                        "linkId": "vaagen",
                        "type": "group",
                        "text": _text("Opvågninger"),
                        "items": [
                            {"linkId": "vaagen-antal", "type": "integer", "text": _text("Antal"), "required": True}
                        ],
                    },
                ],
            },
            {"linkId": "note", "type": "text", "text": _text("Hvad vil du tale om?"), "maxLength": 20},
            {"linkId": "sidst", "type": "date", "text": _text("Sidste indlæggelse")},
            {
                "linkId": "kontakt",
                "type": "boolean",
                "text": _text("Må vi ringe?"),
                "required": True,
                "enableWhen": [
                    {"question": "ryger", "operator": "exists", "answer": True},
                    {"question": "sidst", "operator": ">", "answer": "2026-01-01"},
                ],
                "enableBehavior": "all",
            },
        ],
    }
)


def _problems(answers: Answers) -> list[tuple[str, str, str]]:
    with pytest.raises(InvalidInput) as refused:
        validate_submission(CHECK_IN, answers)
    return [(p["location"].removeprefix("answers."), p["code"], p["messageDa"]) for p in refused.value.errors]


def test_a_complete_non_smoker_submission_is_accepted() -> None:
    validate_submission(CHECK_IN, {"ryger": [False], "aandenoed": ["ingen"], "note": ["Min vejrtrækning"]})


def test_a_smoker_must_say_how_many_and_the_answer_must_be_in_range() -> None:
    assert _problems({"ryger": [True], "aandenoed": ["ingen"]}) == [
        ("cigaretter", "required", "Spørgsmålet skal besvares")
    ]
    assert _problems({"ryger": [True], "cigaretter": [0], "aandenoed": ["ingen"]}) == [
        ("cigaretter", "out-of-range", "Tallet skal være mindst 1")
    ]
    assert _problems({"ryger": [True], "cigaretter": [2.5], "aandenoed": ["ingen"]}) == [
        ("cigaretter", "not-a-whole-number", "Skriv et helt tal")
    ]


def test_answers_to_hidden_questions_are_refused() -> None:
    problems = _problems({"ryger": [False], "cigaretter": [10], "aandenoed": ["ingen"], "aandenoed-hvornaar": ["nat"]})
    assert [(location, code) for location, code, _ in problems] == [
        ("cigaretter", "not-enabled"),
        ("aandenoed-hvornaar", "not-enabled"),
    ]
    assert "vises ikke" in problems[0][2]


def test_enable_behavior_any_opens_the_nested_group_and_its_required_questions() -> None:
    heavy_smoker: Answers = {"ryger": [True], "cigaretter": [25], "aandenoed": ["let"]}
    assert {"soevn", "timer", "vaagen", "vaagen-antal"} <= enabled_items(CHECK_IN, heavy_smoker)
    assert sorted(_problems(heavy_smoker)) == [
        ("soevn", "required", "Besvar mindst ét af spørgsmålene i gruppen"),
        ("vaagen-antal", "required", "Spørgsmålet skal besvares"),
    ]
    validate_submission(CHECK_IN, heavy_smoker | {"timer": [6.5], "vaagen-antal": [3]})
    assert _problems(heavy_smoker | {"timer": [6.5]}) == [("vaagen-antal", "required", "Spørgsmålet skal besvares")]
    light: Answers = {"ryger": [True], "cigaretter": [5], "aandenoed": ["let"]}
    assert "soevn" not in enabled_items(CHECK_IN, light) and "vaagen-antal" not in enabled_items(CHECK_IN, light)


def test_a_hidden_questions_answer_counts_as_absent_for_other_conditions() -> None:
    # 'cigaretter' is hidden for a non-smoker, so its (invalidly sent) 25 must not open the sleep group.
    assert "soevn" not in enabled_items(CHECK_IN, {"ryger": [False], "cigaretter": [25], "aandenoed": ["let"]})


def test_enable_behavior_all_with_exists_and_a_date_comparison() -> None:
    base: Answers = {"ryger": [False], "aandenoed": ["ingen"]}
    assert "kontakt" not in enabled_items(CHECK_IN, base | {"sidst": ["2025-12-24"]})
    assert "kontakt" in enabled_items(CHECK_IN, base | {"sidst": ["2026-03-02"]})
    assert _problems(base | {"sidst": ["2026-03-02"]}) == [("kontakt", "required", "Spørgsmålet skal besvares")]


def test_repeats_allow_several_answers_and_others_take_one() -> None:
    validate_submission(CHECK_IN, {"ryger": [False], "aandenoed": ["let"], "aandenoed-hvornaar": ["trapper", "nat"]})
    assert _problems({"ryger": [False, True], "aandenoed": ["let"]}) == [
        ("ryger", "one-answer-only", "Giv kun ét svar")
    ]


SHAPE_RULES = [
    ({"ryger": ["ja"]}, "wrong-type", "expected true or false", "Svar ja eller nej"),
    (
        {"aandenoed": ["meget"]},
        "unknown-option",
        "expected one of the option codes ingen, let, svaer",
        "Vælg en af svarmulighederne (ingen, let, svaer)",
    ),
    ({"note": ["x" * 21]}, "too-long", "at most 20 characters", "Skriv højst 20 tegn"),
    ({"note": ["   "]}, "blank", "an answer cannot be blank", "Skriv et svar"),
    ({"note": [7]}, "wrong-type", "expected text", "Skriv dit svar som tekst"),
    ({"sidst": ["24-12-2025"]}, "invalid-format", "expected an ISO 8601 date", "Skriv en dato som ÅÅÅÅ-MM-DD"),
    ({"timer": [7.25]}, "too-many-decimals", "at most 1 decimal", "Skriv højst 1 decimal"),
    ({"timer": [True]}, "wrong-type", "expected a number", "Skriv et tal"),
    ({"timer": [25]}, "out-of-range", "must be at most 24", "Tallet må højst være 24"),
    ({"soevn": [1]}, "not-a-question", "a group item takes no answer", "Her kan du ikke svare"),
    (
        {"vejret": ["fint"]},
        "unknown-item",
        "no question with this linkId in the questionnaire",
        "Spørgsmålet findes ikke",
    ),
]


@pytest.mark.parametrize(("answer", "code", "english", "danish"), SHAPE_RULES)
def test_each_shape_rule(answer: Answers, code: str, english: str, danish: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_answer_shapes(CHECK_IN, answer)
    [link_id] = answer
    assert refused.value.errors == [
        {"code": code, "location": f"answers.{link_id}", "messageDa": danish, "messageEn": english}
    ]


def test_drafts_need_not_be_complete_but_submissions_report_every_problem_at_once() -> None:
    check_answer_shapes(CHECK_IN, {"ryger": [True]})
    problems = _problems({"ryger": ["ja"], "aandenoed": ["meget"], "note": ["x" * 30]})
    assert [location for location, *_ in problems] == ["ryger", "aandenoed", "note"]
