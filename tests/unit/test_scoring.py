"""The scoring engine on small definitions built here: methods, missing answers, rounding, bands, flags."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from kommunal_pro.questionnaires.model import (
    AnswerOption,
    Answers,
    Band,
    Feedback,
    FlagLevel,
    FlagRule,
    Item,
    ItemType,
    QuestionnaireDefinition,
    Scalar,
    Scale,
    ScaleMethod,
    Text,
    Title,
    ValueTable,
)
from kommunal_pro.questionnaires.scoring import scale_range, score


def choice(link_id: str, scores: Mapping[str, float | None], *, repeats: bool = False) -> Item:
    return Item(
        link_id=link_id,
        type=ItemType.CHOICE,
        repeats=repeats,
        options=[AnswerOption(code=code, display=Text(da=code), score=s) for code, s in scores.items()],
    )


def number(link_id: str, low: float | None = None, high: float | None = None, *, repeats: bool = False) -> Item:
    return Item(link_id=link_id, type=ItemType.DECIMAL, min_value=low, max_value=high, repeats=repeats)


def scale(items: list[str], method: ScaleMethod = ScaleMethod.SUM, **fields: object) -> Scale:
    return Scale.model_validate({"id": "s", "name": Text(da="Skala"), "method": method, "items": items, **fields})


def rule(rule_id: str, level: FlagLevel, **fields: object) -> FlagRule:
    return FlagRule.model_validate({"id": rule_id, "level": level, "message": Text(da=rule_id), **fields})


def questionnaire(items: list[Item], scales: list[Scale], **fields: object) -> QuestionnaireDefinition:
    return QuestionnaireDefinition.model_validate(
        {"title": Title(da="Test"), "items": items, "scales": scales, **fields}
    )


ZERO_TO_THREE = {str(n): n for n in range(4)}
ABC = [choice(link_id, ZERO_TO_THREE) for link_id in "abc"]


def value(definition: QuestionnaireDefinition, answers: Answers) -> float | None:
    return score(definition, answers).scales[0].value


# --- methods -------------------------------------------------------------------------------------------


def test_sum_adds_the_option_scores_of_the_answered_codes() -> None:
    result = score(questionnaire(ABC, [scale(["a", "b", "c"])]), {"a": ["1"], "b": ["3"], "c": ["0"]})
    [total] = result.scales
    assert (total.value, total.answered, total.of) == (4, 3, 3)


def test_mean_of_the_answered_items() -> None:
    definition = questionnaire(ABC, [scale(["a", "b", "c"], ScaleMethod.MEAN)])
    assert value(definition, {"a": ["1"], "b": ["2"], "c": ["3"]}) == 2
    assert value(definition, {"a": ["1"], "c": ["2"]}) == 1.5


def test_value_table_adds_the_codes_values_to_the_constant() -> None:
    table = ValueTable(constant=1, values={"a": {"0": 0, "1": -0.25}, "b": {"0": 0, "1": -0.5}})
    definition = questionnaire(ABC[:2], [scale(["a", "b"], ScaleMethod.VALUE_TABLE, value_table=table)])
    assert value(definition, {"a": ["1"], "b": ["1"]}) == 0.25
    assert value(definition, {"a": ["0"], "b": ["0"]}) == 1
    # A code the table does not know scores nothing, so the item is missing and there is no index.
    assert value(definition, {"a": ["1"], "b": ["3"]}) is None


def test_a_numeric_answer_scores_its_value() -> None:
    definition = questionnaire([number("x"), number("y")], [scale(["x", "y"])])
    assert value(definition, {"x": [2.5], "y": [-1]}) == 1.5


def test_answers_that_are_no_score_count_as_missing() -> None:
    definition = questionnaire([number("x"), choice("c", {"yes": 1, "unknown": None})], [scale(["x", "c"])])
    assert value(definition, {"x": [True], "c": ["yes"]}) is None  # a boolean is no number
    assert value(definition, {"x": ["2"], "c": ["yes"]}) is None  # nor is text
    assert value(definition, {"x": [2], "c": ["unknown"]}) is None  # an option without a score
    assert value(definition, {"x": [2], "c": ["nonsense"]}) is None  # a code that is no option
    assert value(definition, {"x": [2], "c": ["yes"]}) == 3


def test_multiple_choice_scores_the_sum_of_the_chosen_options() -> None:
    definition = questionnaire([choice("m", {"x": 1, "y": 2, "z": None}, repeats=True)], [scale(["m"])])
    assert value(definition, {"m": ["x", "y"]}) == 3
    assert value(definition, {"m": ["x", "z"]}) == 1
    assert value(definition, {"m": ["z"]}) is None


def test_answers_to_unknown_link_ids_are_ignored() -> None:
    definition = questionnaire(
        ABC,
        [scale(["a", "ghost"], min_answered=1)],
        flag_rules=[rule("f", FlagLevel.RED, item="ghost", codes=["1"])],
    )
    result = score(definition, {"a": ["2"], "ghost": ["1"], "elsewhere": ["3"]})
    assert (result.scales[0].value, result.scales[0].answered) == (2, 1)
    assert result.flags == []


# --- missing answers -----------------------------------------------------------------------------------


def test_min_answered_zero_is_refused_by_the_model() -> None:
    with pytest.raises(ValidationError):
        scale(["a"], min_answered=0)


@pytest.mark.parametrize("method", [ScaleMethod.SUM, ScaleMethod.MEAN])
@pytest.mark.parametrize("prorate", [False, True])
def test_a_scale_without_answers_has_no_value_never_zero(method: ScaleMethod, prorate: bool) -> None:
    result = score(questionnaire(ABC, [scale(["a", "b", "c"], method, prorate=prorate)]), {})
    [total] = result.scales
    assert (total.value, total.band, total.answered) == (None, None, 0)


def test_an_answer_scoring_zero_is_a_value() -> None:
    definition = questionnaire(ABC, [scale(["a", "b", "c"], ScaleMethod.MEAN)])
    assert value(definition, {"a": ["0"]}) == 0


def test_an_unprorated_sum_needs_every_item_unless_told_otherwise() -> None:
    assert value(questionnaire(ABC, [scale(["a", "b", "c"])]), {"a": ["3"], "b": ["3"]}) is None
    assert value(questionnaire(ABC, [scale(["a", "b", "c"], min_answered=2)]), {"a": ["3"], "b": ["3"]}) == 6


def test_a_mean_needs_one_answer_unless_told_otherwise() -> None:
    definition = questionnaire(ABC, [scale(["a", "b", "c"], ScaleMethod.MEAN, min_answered=2)])
    assert value(definition, {"a": ["3"]}) is None
    assert value(definition, {"a": ["3"], "b": ["1"]}) == 2


def test_prorating_scales_the_mean_of_the_answered_to_all_items() -> None:
    items = [choice(link_id, ZERO_TO_THREE) for link_id in "abcd"]
    definition = questionnaire(items, [scale(list("abcd"), prorate=True, min_answered=3)])
    assert value(definition, {"a": ["1"], "b": ["2"], "c": ["3"], "d": ["0"]}) == 6  # complete: the plain sum
    assert value(definition, {"a": ["1"], "b": ["2"], "c": ["3"]}) == 8  # 6 / 3 × 4
    assert value(definition, {"a": ["1"], "b": ["2"]}) is None  # below min_answered


def test_a_prorated_value_is_rounded_after_prorating() -> None:
    items = [choice(link_id, ZERO_TO_THREE) for link_id in "abcd"]
    definition = questionnaire(items, [scale(list("abcd"), prorate=True, min_answered=3, decimals=0)])
    assert value(definition, {"a": ["1"], "b": ["1"], "c": ["3"]}) == 7  # 5 / 3 × 4 = 6.67


def test_a_value_table_item_may_be_missing_only_where_min_answered_allows() -> None:
    table = ValueTable(constant=1, values={"a": {"1": -0.25}, "b": {"1": -0.5}})
    definition = questionnaire(ABC[:2], [scale(["a", "b"], ScaleMethod.VALUE_TABLE, value_table=table, min_answered=1)])
    assert value(definition, {"a": ["1"]}) == 0.75


def test_no_flags_or_feedback_from_a_scale_without_value() -> None:
    definition = questionnaire(
        ABC,
        [scale(["a", "b", "c"])],
        flag_rules=[rule("any", FlagLevel.GREEN, scale="s", max=100)],
        feedback=[Feedback(scale="s", text=Text(da="Tak"))],
    )
    result = score(definition, {"a": ["0"]})
    assert (result.flags, result.level, result.feedback) == ([], None, [])


# --- transform and rounding ------------------------------------------------------------------------------


def test_the_value_is_multiplied_then_added_to() -> None:
    definition = questionnaire(ABC, [scale(["a", "b", "c"], multiply=4, add=-2)])
    assert value(definition, {"a": ["1"], "b": ["1"], "c": ["1"]}) == 10


@pytest.mark.parametrize(
    ("written", "decimals", "rounded"),
    [
        (0.1235, 3, 0.124),  # float's round(0.1235, 3) is 0.123: 0.1235 is 0.12349999… in binary
        (2.5, 0, 3),  # half-up, not round-half-even's 2
        (0.125, 2, 0.13),
        (-0.0005, 3, -0.001),  # halves go away from zero
        (1.0004, 3, 1.0),
        (7, 0, 7),
    ],
)
def test_rounding_is_decimal_half_up(written: float, decimals: int, rounded: float) -> None:
    definition = questionnaire([number("x")], [scale(["x"], decimals=decimals)])
    assert value(definition, {"x": [written]}) == rounded


def test_decimal_arithmetic_has_no_binary_residue() -> None:
    definition = questionnaire([number("x"), number("y")], [scale(["x", "y"])])
    assert value(definition, {"x": [0.1], "y": [0.2]}) == 0.3  # 0.1 + 0.2 in floats is 0.30000000000000004


def test_without_decimals_the_value_is_not_rounded() -> None:
    definition = questionnaire(ABC, [scale(["a", "b", "c"], ScaleMethod.MEAN)])
    assert value(definition, {"a": ["1"], "b": ["0"], "c": ["0"]}) == pytest.approx(1 / 3, abs=1e-15)


# --- bands, flags, feedback ----------------------------------------------------------------------------

BANDED = questionnaire(
    [number("x")],
    [
        scale(
            ["x"],
            bands=[
                Band(min=0, max=4, label=Text(da="lav")),
                Band(min=5, max=9, label=Text(da="middel")),
                Band(min=9, max=20, label=Text(da="høj")),
            ],
        )
    ],
)


@pytest.mark.parametrize(
    ("x", "band"),
    [(0, "lav"), (4, "lav"), (4.5, None), (5, "middel"), (9, "middel"), (9.5, "høj"), (20, "høj"), (21, None)],
)
def test_the_band_is_the_first_whose_inclusive_range_holds_the_value(x: float, band: str | None) -> None:
    label = score(BANDED, {"x": [x]}).scales[0].band
    assert (label.da if label else None) == band


OPEN_RULES = questionnaire(
    [number("x")],
    [scale(["x"])],
    flag_rules=[
        rule("high", FlagLevel.RED, scale="s", min=20),
        rule("middle", FlagLevel.YELLOW, scale="s", min=10, max=19),
        rule("low", FlagLevel.GREEN, scale="s", max=9),
    ],
)


@pytest.mark.parametrize(
    ("x", "rule_id", "level"),
    [
        (-50, "low", FlagLevel.GREEN),
        (9, "low", FlagLevel.GREEN),
        (10, "middle", FlagLevel.YELLOW),
        (19, "middle", FlagLevel.YELLOW),
        (20, "high", FlagLevel.RED),
        (1e9, "high", FlagLevel.RED),
    ],
)
def test_scale_rules_match_inclusive_ranges_with_open_bounds(x: float, rule_id: str, level: FlagLevel) -> None:
    result = score(OPEN_RULES, {"x": [x]})
    assert [flag.rule_id for flag in result.flags] == [rule_id]
    assert result.level is level
    assert (result.flags[0].scale, result.flags[0].item) == ("s", None)


def test_a_value_between_rules_gets_no_flag() -> None:
    assert score(OPEN_RULES, {"x": [9.5]}).flags == []


ITEM_RULES = questionnaire(
    [choice("mood", {"good": 0, "bad": 2, "awful": 3}, repeats=True), number("weight"), *ABC],
    [scale(["a", "b", "c"])],
    flag_rules=[
        rule("mood", FlagLevel.YELLOW, item="mood", codes=["bad", "awful"]),
        rule("awful", FlagLevel.RED, item="mood", codes=["awful"]),
        rule("weight-loss", FlagLevel.YELLOW, item="weight", max=50),
        rule("total", FlagLevel.GREEN, scale="s", min=0),
    ],
)


@pytest.mark.parametrize(
    ("answers", "rule_ids", "level"),
    [
        ({"mood": ["good"]}, [], None),
        ({"mood": ["good", "bad"]}, ["mood"], FlagLevel.YELLOW),
        ({"mood": ["awful"]}, ["mood", "awful"], FlagLevel.RED),
        ({"weight": [50]}, ["weight-loss"], FlagLevel.YELLOW),
        ({"weight": [50.1]}, [], None),
        ({"weight": [True]}, [], None),
        ({"weight": [51, 49]}, ["weight-loss"], FlagLevel.YELLOW),
        ({"a": ["0"], "b": ["0"], "c": ["0"], "mood": ["awful"]}, ["mood", "awful", "total"], FlagLevel.RED),
        ({"a": ["0"], "b": ["0"], "c": ["0"]}, ["total"], FlagLevel.GREEN),
    ],
)
def test_item_rules_and_the_most_severe_level(answers: Answers, rule_ids: list[str], level: FlagLevel | None) -> None:
    result = score(ITEM_RULES, answers)
    assert [flag.rule_id for flag in result.flags] == rule_ids
    assert result.level is level


def test_a_flag_carries_its_rule() -> None:
    [flag] = [f for f in score(ITEM_RULES, {"mood": ["awful"]}).flags if f.rule_id == "awful"]
    assert (flag.level, flag.message.da, flag.item, flag.scale) == (FlagLevel.RED, "awful", "mood", None)


def test_feedback_shows_the_texts_whose_range_holds_the_value() -> None:
    definition = questionnaire(
        ABC,
        [scale(["a", "b", "c"])],
        feedback=[
            Feedback(scale="s", max=4, text=Text(da="lav")),
            Feedback(scale="s", min=5, text=Text(da="høj")),
            Feedback(scale="s", text=Text(da="altid")),
            Feedback(scale="other", text=Text(da="aldrig")),
        ],
    )
    assert [t.da for t in score(definition, {"a": ["1"], "b": ["1"], "c": ["2"]}).feedback] == ["lav", "altid"]
    assert [t.da for t in score(definition, {"a": ["1"], "b": ["1"], "c": ["3"]}).feedback] == ["høj", "altid"]


def test_the_result_serialises_in_camel_case() -> None:
    result = score(ITEM_RULES, {"mood": ["awful"]}).model_dump(by_alias=True)
    assert result["flags"][0]["ruleId"] == "mood"
    assert set(result["scales"][0]) == {"id", "name", "value", "band", "answered", "of", "headline"}


# --- scale_range -----------------------------------------------------------------------------------------


def range_of(items: list[Item], method: ScaleMethod = ScaleMethod.SUM, **fields: object) -> tuple[float, float]:
    definition = questionnaire(items, [scale([item.link_id for item in items], method, **fields)])
    return scale_range(definition.scales[0], definition)


def test_range_of_a_sum_and_a_mean() -> None:
    assert range_of(ABC) == (0, 9)
    assert range_of(ABC, method=ScaleMethod.MEAN) == (0, 3)
    assert range_of([choice("a", {"x": 1, "y": 2}), choice("b", {"x": -1, "y": 5})], method=ScaleMethod.MEAN) == (
        -1,
        5,
    )


def test_range_after_transform_and_rounding() -> None:
    assert range_of(ABC, multiply=4, add=1) == (1, 37)
    assert range_of(ABC, multiply=-1, add=10) == (1, 10)  # a negative factor swaps the bounds
    assert range_of(ABC, multiply=-0.5) == (-4.5, 0)
    assert range_of(ABC, multiply=1 / 3, decimals=1) == (0, 3)
    assert range_of(ABC, multiply=0, add=7) == (7, 7)


def test_range_of_a_value_table() -> None:
    table = ValueTable(constant=1, values={"a": {"1": 0, "2": -0.2}, "b": {"1": 0, "2": -0.3, "3": 0.1}})
    assert range_of(ABC[:2], method=ScaleMethod.VALUE_TABLE, value_table=table) == (0.5, 1.1)


def test_range_when_items_may_be_missing() -> None:
    signed = [choice("p", {"x": 2, "y": 4}), choice("n", {"x": -3, "y": -1}), choice("m", {"x": -2, "y": 3})]
    # Any one item may be the only one answered: the lowest sum takes every item that can be negative.
    assert range_of(signed, min_answered=1) == (-5, 7)
    assert range_of(signed, min_answered=3) == (-3, 6)
    assert range_of(signed, method=ScaleMethod.MEAN, min_answered=1) == (-3, 4)
    assert range_of(signed, method=ScaleMethod.MEAN, min_answered=2) == (-2.5, 3.5)
    assert range_of(signed, prorate=True, min_answered=2) == (-7.5, 10.5)  # the mean range × 3 items


def test_range_of_multiple_choice_and_numbers() -> None:
    assert range_of([choice("m", {"x": -1, "y": -2, "z": 4, "w": 1}, repeats=True)]) == (-3, 5)
    assert range_of([choice("m", {"x": 1, "y": 2}, repeats=True)]) == (1, 3)
    assert range_of([number("x", 0, 100)]) == (0, 100)
    assert range_of([number("x", 0)]) == (0, math.inf)
    assert range_of([number("x", high=-1)]) == (-math.inf, -1)
    assert range_of([number("x", 1, 10, repeats=True)]) == (1, math.inf)
    assert range_of([number("x", -1, 10, repeats=True)], multiply=-1) == (-math.inf, math.inf)


def test_range_of_a_scale_that_can_never_have_a_value_is_empty() -> None:
    unscored = Item(link_id="t", type=ItemType.TEXT)
    assert range_of([unscored, *ABC[:1]]) == (math.inf, -math.inf)
    assert range_of(ABC, min_answered=4) == (math.inf, -math.inf)


# --- properties ------------------------------------------------------------------------------------------

SCORES = st.integers(-500, 500).map(lambda n: n / 100)


@st.composite
def scored_answers(draw: st.DrawFn) -> tuple[QuestionnaireDefinition, Answers]:
    """A random scale over random choice and numeric items, with random valid answers to some of them."""
    items: list[Item] = []
    answers: Answers = {}
    method = draw(st.sampled_from(ScaleMethod))
    for index in range(draw(st.integers(1, 5))):
        link_id = f"q{index}"
        repeats = draw(st.booleans())
        if method is ScaleMethod.VALUE_TABLE or draw(st.booleans()):
            scores = draw(st.lists(SCORES | st.none(), min_size=1, max_size=4))
            items.append(choice(link_id, {f"o{n}": s for n, s in enumerate(scores)}, repeats=repeats))
            codes = [f"o{n}" for n in range(len(scores))]
            chosen: list[Scalar] = draw(
                st.lists(st.sampled_from(codes), min_size=1, unique=True, max_size=len(codes) if repeats else 1)
            )
        else:
            low, high = sorted(draw(st.lists(st.integers(-20, 20), min_size=2, max_size=2)))
            items.append(number(link_id, low, high, repeats=repeats))
            chosen = draw(st.lists(st.integers(low, high), min_size=1, max_size=3 if repeats else 1))
        if draw(st.booleans()):
            answers[link_id] = chosen
    link_ids = [item.link_id for item in items]
    table = None
    if method is ScaleMethod.VALUE_TABLE:
        values = {item.link_id: {o.code: draw(SCORES) for o in item.options} for item in items}
        table = ValueTable(constant=draw(SCORES), values=values)
    definition = questionnaire(
        items,
        [
            scale(
                link_ids,
                method,
                value_table=table,
                min_answered=draw(st.none() | st.integers(1, len(items))),
                prorate=draw(st.booleans()),
                multiply=draw(st.sampled_from([-2, -0.5, 0.25, 1, 4])),
                add=draw(SCORES),
                decimals=draw(st.none() | st.integers(0, 3)),
            )
        ],
    )
    return definition, answers


@given(scored_answers())
def test_every_value_lies_within_the_scale_range(case: tuple[QuestionnaireDefinition, Answers]) -> None:
    definition, answers = case
    low, high = scale_range(definition.scales[0], definition)
    result = value(definition, answers)
    assert result is None or low <= result <= high


@given(st.lists(st.lists(SCORES, min_size=1, max_size=4), min_size=1, max_size=6), st.data())
def test_the_range_of_a_complete_sum_is_reached(option_scores: list[list[float]], data: st.DataObject) -> None:
    items = [choice(f"q{i}", {f"o{n}": s for n, s in enumerate(scores)}) for i, scores in enumerate(option_scores)]
    definition = questionnaire(items, [scale([item.link_id for item in items], decimals=2)])
    pick = data.draw(st.sampled_from([min, max]))
    answers: Answers = {item.link_id: [pick(item.options, key=lambda o: o.score or 0).code] for item in items}
    low, high = scale_range(definition.scales[0], definition)
    assert value(definition, answers) == (low if pick is min else high)
