"""The standard instruments score as their manuals say: every band edge, the missing-answer rules, the flags."""

from __future__ import annotations

import pytest

from kommunal_pro.questionnaires.instruments import eq5d5l, standard_instruments
from kommunal_pro.questionnaires.model import Answers, FlagLevel, QuestionnaireDefinition
from kommunal_pro.questionnaires.scoring import ScoreResult, scale_range, score
from kommunal_pro.questionnaires.validation import definition_problems

INSTRUMENTS = standard_instruments()
WHO5, PHQ9, GAD7, EQ5D = (INSTRUMENTS[key] for key in ("who-5", "phq-9", "gad-7", "eq-5d-5l"))


def answers_totalling(total: int, link_ids: list[str], highest: int) -> Answers:
    """Codes (= scores) that add up to `total`, filling the first items first."""
    answers: Answers = {}
    for link_id in link_ids:
        answers[link_id] = [str(min(total, highest))]
        total -= min(total, highest)
    assert total == 0
    return answers


def scale_of(result: ScoreResult, scale_id: str) -> tuple[float | None, str | None]:
    [found] = [s for s in result.scales if s.id == scale_id]
    return found.value, found.band.en if found.band else None


def rule_ids(result: ScoreResult) -> list[str]:
    return [flag.rule_id for flag in result.flags]


# --- all four ----------------------------------------------------------------------------------------------


def test_the_library_holds_the_four_instruments_under_stable_ids() -> None:
    assert list(INSTRUMENTS) == ["who-5", "phq-9", "gad-7", "eq-5d-5l"]
    assert standard_instruments()["who-5"] is not WHO5  # fresh copies: a caller's edits stay its own


@pytest.mark.parametrize("definition", INSTRUMENTS.values(), ids=INSTRUMENTS.keys())
def test_definitions_are_valid_and_survive_the_wire(definition: QuestionnaireDefinition) -> None:
    assert list(definition_problems(definition)) == []
    wire = definition.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert QuestionnaireDefinition.model_validate(wire) == definition
    assert len([scale for scale in definition.scales if scale.headline]) == 1


@pytest.mark.parametrize("definition", INSTRUMENTS.values(), ids=INSTRUMENTS.keys())
def test_every_question_and_option_has_danish_text(definition: QuestionnaireDefinition) -> None:
    questions = [item for item in definition.all_items() if item.is_question]
    assert questions
    for item in questions:
        assert item.text is not None and item.text.da.strip(), item.link_id
        assert item.required or item.link_id.endswith("-difficulty"), item.link_id
        assert all(option.display.da.strip() for option in item.options), item.link_id
    assert all(rule.message.da.strip() for rule in definition.flag_rules)
    assert all(text.text.da.strip() for text in definition.feedback)


# --- WHO-5 -------------------------------------------------------------------------------------------------

WHO5_ITEMS = [f"who5-{n}" for n in range(1, 6)]


@pytest.mark.parametrize(
    ("raw", "band", "level"),
    [
        (0, "Poor well-being – likely depression", FlagLevel.RED),
        (7, "Poor well-being – likely depression", FlagLevel.RED),  # 28 %
        (8, "Poor well-being", FlagLevel.YELLOW),  # 32 %
        (12, "Poor well-being", FlagLevel.YELLOW),  # 48 %
        (13, "No sign of poor well-being", FlagLevel.GREEN),  # 52 %
        (25, "No sign of poor well-being", FlagLevel.GREEN),
    ],
)
def test_who5_bands_and_flags_at_every_edge(raw: int, band: str, level: FlagLevel) -> None:
    result = score(WHO5, answers_totalling(raw, WHO5_ITEMS, 5))
    assert scale_of(result, "raw") == (raw, band)
    assert scale_of(result, "percentage") == (raw * 4, band)
    assert result.level is level
    assert len(result.flags) == 1


def test_who5_feedback_names_low_well_being_below_13() -> None:
    low, fine = (score(WHO5, answers_totalling(raw, WHO5_ITEMS, 5)).feedback for raw in (12, 13))
    assert "trivsel er lav" in low[0].da
    assert fine[0].da.startswith("Tak for dine svar")
    assert WHO5.citizen_sees_scores


def test_who5_is_not_scored_with_an_answer_missing() -> None:
    answers = answers_totalling(25, WHO5_ITEMS, 5)
    del answers["who5-3"]
    result = score(WHO5, answers)
    assert scale_of(result, "raw") == (None, None)
    assert scale_of(result, "percentage") == (None, None)
    assert (result.flags, result.level, result.feedback) == ([], None, [])
    assert result.scales[0].answered == 4


def test_who5_percentage_is_the_headline_and_ranges_0_to_100() -> None:
    assert [scale.id for scale in WHO5.scales if scale.headline] == ["percentage"]
    assert [scale_range(scale, WHO5) for scale in WHO5.scales] == [(0, 25), (0, 100)]


# --- PHQ-9 -------------------------------------------------------------------------------------------------

PHQ9_ITEMS = [f"phq9-{n}" for n in range(1, 10)]


@pytest.mark.parametrize(
    ("total", "band", "level"),
    [
        (0, "Minimal depression", FlagLevel.GREEN),
        (4, "Minimal depression", FlagLevel.GREEN),
        (5, "Mild depression", FlagLevel.GREEN),
        (9, "Mild depression", FlagLevel.GREEN),
        (10, "Moderate depression", FlagLevel.YELLOW),
        (14, "Moderate depression", FlagLevel.YELLOW),
        (15, "Moderately severe depression", FlagLevel.YELLOW),
        (19, "Moderately severe depression", FlagLevel.YELLOW),
        (20, "Severe depression", FlagLevel.RED),
        (24, "Severe depression", FlagLevel.RED),
    ],
)
def test_phq9_bands_and_flags_at_every_edge(total: int, band: str, level: FlagLevel) -> None:
    answers = answers_totalling(total, PHQ9_ITEMS, 3)  # up to 24, item 9 stays "Slet ikke"
    result = score(PHQ9, answers)
    assert answers["phq9-9"] == ["0"]
    assert scale_of(result, "total") == (total, band)
    assert rule_ids(result) == [f"total-{level}"]
    assert result.level is level


def test_phq9_maximum_flags_severity_and_self_harm() -> None:
    result = score(PHQ9, answers_totalling(27, PHQ9_ITEMS, 3))
    assert scale_of(result, "total") == (27, "Severe depression")
    assert rule_ids(result) == ["total-red", "self-harm"]


@pytest.mark.parametrize("code", ["1", "2", "3"])
def test_phq9_any_thought_of_self_harm_flags_red_whatever_the_total(code: str) -> None:
    result = score(PHQ9, {**answers_totalling(0, PHQ9_ITEMS, 3), "phq9-9": [code]})
    assert rule_ids(result) == ["total-green", "self-harm"]
    assert result.level is FlagLevel.RED
    [flag] = [flag for flag in result.flags if flag.rule_id == "self-harm"]
    assert flag.item == "phq9-9"
    assert "tanker om selvskade" in flag.message.da and "kontakt borgeren" in flag.message.da


def test_phq9_self_harm_flags_even_when_too_few_answers_for_a_total() -> None:
    result = score(PHQ9, {"phq9-9": ["1"]})
    assert scale_of(result, "total") == (None, None)
    assert (rule_ids(result), result.level) == (["self-harm"], FlagLevel.RED)


@pytest.mark.parametrize(
    ("answered", "total"),
    [
        ({n: "1" for n in range(1, 9)}, 9),  # 8 answered, sum 8: 8 / 8 × 9
        ({n: "1" for n in range(1, 8)}, 9),  # 7 answered, sum 7: 7 / 7 × 9
        ({1: "1", 2: "1", 3: "1", 4: "1", 5: "0", 6: "0", 7: "0", 8: "0"}, 5),  # 4 / 8 × 9 = 4.5, half-up → 5
        ({1: "3", 2: "3", 3: "3", 4: "1", 5: "0", 6: "0", 7: "0"}, 13),  # 10 / 7 × 9 = 12.86 → 13
        ({n: "1" for n in range(1, 7)}, None),  # 3 missing: not scored
    ],
)
def test_phq9_prorates_up_to_two_missing_answers(answered: dict[int, str], total: int | None) -> None:
    result = score(PHQ9, {f"phq9-{n}": [code] for n, code in answered.items()})
    assert result.scales[0].value == total
    assert result.scales[0].answered == len(answered)


def test_phq9_difficulty_question_is_not_scored() -> None:
    answers: Answers = {**answers_totalling(3, PHQ9_ITEMS[:6], 3), "phq9-difficulty": ["3"]}
    result = score(PHQ9, answers)
    assert (result.scales[0].value, result.scales[0].answered) == (None, 6)


def test_phq9_feedback_always_gives_the_way_to_help() -> None:
    for total in (0, 9, 10, 27):
        texts = [text.da for text in score(PHQ9, answers_totalling(total, PHQ9_ITEMS, 3)).feedback]
        assert len(texts) == 2
        assert "112" in texts[-1]
    assert not PHQ9.citizen_sees_scores


# --- GAD-7 -------------------------------------------------------------------------------------------------

GAD7_ITEMS = [f"gad7-{n}" for n in range(1, 8)]


@pytest.mark.parametrize(
    ("total", "band", "level"),
    [
        (0, "Minimal anxiety", FlagLevel.GREEN),
        (4, "Minimal anxiety", FlagLevel.GREEN),
        (5, "Mild anxiety", FlagLevel.GREEN),
        (9, "Mild anxiety", FlagLevel.GREEN),
        (10, "Moderate anxiety", FlagLevel.YELLOW),
        (14, "Moderate anxiety", FlagLevel.YELLOW),
        (15, "Severe anxiety", FlagLevel.RED),
        (21, "Severe anxiety", FlagLevel.RED),
    ],
)
def test_gad7_bands_and_flags_at_every_edge(total: int, band: str, level: FlagLevel) -> None:
    result = score(GAD7, answers_totalling(total, GAD7_ITEMS, 3))
    assert scale_of(result, "total") == (total, band)
    assert rule_ids(result) == [f"total-{level}"]
    assert len(result.feedback) == 1


@pytest.mark.parametrize(
    ("answered", "total"),
    [
        (6, 7),  # sum 6: 6 / 6 × 7
        (5, 7),  # sum 5: 5 / 5 × 7
        (4, None),  # 3 missing: not scored
    ],
)
def test_gad7_prorates_up_to_two_missing_answers(answered: int, total: int | None) -> None:
    result = score(GAD7, {link_id: ["1"] for link_id in GAD7_ITEMS[:answered]})
    assert result.scales[0].value == total
    assert (result.flags == []) is (total is None)


def test_phq9_and_gad7_ranges() -> None:
    assert scale_range(PHQ9.scales[0], PHQ9) == (0, 27)
    assert scale_range(GAD7.scales[0], GAD7) == (0, 21)


# --- EQ-5D-5L ----------------------------------------------------------------------------------------------

DIMENSIONS = ["MO", "SC", "UA", "PD", "AD"]


def eq5d(state: str, vas: int | None = 70) -> Answers:
    """Answers for a health state written the usual way, e.g. '12345' = MO 1, SC 2, UA 3, PD 4, AD 5."""
    answers: Answers = {dimension: [level] for dimension, level in zip(DIMENSIONS, state, strict=True)}
    return answers if vas is None else {**answers, "VAS": [vas]}


# Expected by hand from the published decrements (Jensen et al. 2021, Table 4; Aalborg University's page on
# the Danish value set), level 1 = 0:
#   MO .041 .054 .157 .220 · SC .035 .050 .144 .209 · UA .033 .040 .139 .174
#   PD .048 .094 .381 .537 · AD .072 .191 .430 .618
@pytest.mark.parametrize(
    ("state", "index"),
    [
        ("11111", 1.0),
        # The paper gives −0.757 for the worst state: it sums the unrounded coefficients. The published
        # three-decimal decrements, which are what the CSV holds and what users of the value set apply,
        # give 1 − 1.758 = −0.758.
        ("55555", -0.758),  # 1 − 0.220 − 0.209 − 0.174 − 0.537 − 0.618
        ("12345", -0.074),  # 1 − 0 − 0.035 − 0.040 − 0.381 − 0.618
        ("54321", 0.548),  # 1 − 0.220 − 0.144 − 0.040 − 0.048 − 0
        ("21111", 0.959),  # 1 − 0.041
        ("11112", 0.928),  # 1 − 0.072
        ("11123", 0.761),  # 1 − 0.048 − 0.191: the worked example on Aalborg University's page
        ("33333", 0.571),  # 1 − 0.054 − 0.050 − 0.040 − 0.094 − 0.191
        ("22222", 0.771),  # 1 − 0.041 − 0.035 − 0.033 − 0.048 − 0.072
        ("44444", -0.251),  # 1 − 0.157 − 0.144 − 0.139 − 0.381 − 0.430
    ],
)
def test_eq5d_index_matches_the_danish_value_set_by_hand(state: str, index: float) -> None:
    assert scale_of(score(EQ5D, eq5d(state)), "index") == (index, None)


def test_eq5d_index_range_is_that_of_the_value_set() -> None:
    assert scale_range(EQ5D.scales[0], EQ5D) == (-0.758, 1.0)
    assert scale_range(EQ5D.scales[1], EQ5D) == (0, 100)


@pytest.mark.parametrize("missing", DIMENSIONS)
def test_eq5d_has_no_index_with_a_dimension_missing(missing: str) -> None:
    answers = eq5d("11111")
    del answers[missing]
    result = score(EQ5D, answers)
    assert scale_of(result, "index") == (None, None)
    assert result.scales[0].answered == 4
    assert scale_of(result, "vas") == (70, None)  # EQ VAS stands on its own
    assert result.feedback == []


@pytest.mark.parametrize("vas", [0, 100])
def test_eq5d_vas_is_its_own_scale(vas: int) -> None:
    assert scale_of(score(EQ5D, eq5d("11111", vas)), "vas") == (vas, None)
    assert scale_of(score(EQ5D, eq5d("11111", None)), "vas") == (None, None)
    assert scale_of(score(EQ5D, eq5d("11111", None)), "index") == (1.0, None)


@pytest.mark.parametrize(
    ("state", "flagged"),
    [
        ("11111", []),
        ("33333", []),
        ("14111", ["sc-severe"]),
        ("11115", ["ad-severe"]),
        ("54321", ["mo-severe", "sc-severe"]),
        ("55555", ["mo-severe", "sc-severe", "ua-severe", "pd-severe", "ad-severe"]),
    ],
)
def test_eq5d_flags_yellow_for_severe_or_extreme_problems(state: str, flagged: list[str]) -> None:
    result = score(EQ5D, eq5d(state))
    assert rule_ids(result) == flagged
    assert result.level is (FlagLevel.YELLOW if flagged else None)


def test_eq5d_value_table_is_read_from_the_csv() -> None:
    table = eq5d5l.value_table()
    assert table.constant == 1
    assert table.values["MO"] == {"1": 0, "2": -0.041, "3": -0.054, "4": -0.157, "5": -0.22}
    assert table.values["AD"]["5"] == -0.618
    assert sorted(table.values) == sorted(DIMENSIONS)
