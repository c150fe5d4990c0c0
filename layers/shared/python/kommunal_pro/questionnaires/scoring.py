"""Scoring: a citizen's answers → scale values and bands, flags for staff, feedback texts for the citizen.

Pure functions without I/O, so submission, preview-score and tests share one code path. The rules that
DESIGN.md §4 leaves open are decided here:

- **Item scores.** A choice answer scores its option's `score` (a valueTable scale looks the code up in its
  table instead); several codes on one item (multiple choice) score the sum of their scores; a code without a
  score (e.g. "ved ikke") scores nothing. A decimal/integer answer scores its value (several values: their
  sum). Any other answer scores nothing, and an item that scores nothing counts as missing.
- **Missing answers.** Fewer scored items than `min_answered` → no value (None, never 0), no band, and no
  flags or feedback from that scale. When `min_answered` is not set it is every item for an unprorated sum
  and for a valueTable (a missing item would silently bias the value), and 1 for a mean or a prorated sum,
  which already scale to the items answered. A valueTable scale with `min_answered` below its item count
  lets a missing item contribute 0; set it only where the tariff says so.
- **Prorating** (sum only): mean of the answered items × the number of items, before transform and rounding.
- **Arithmetic is decimal**: every number is read as the decimal it was written as (Decimal(str(x))), so
  1 − 0.22 − 0.209 is exactly 0.571, and rounding to `decimals` is half-up, halves away from zero
  (0.1235 → 0.124, a prorated 4.5 → 5, −0.0005 → −0.001), the way manuals and people round, not float's
  round-half-even on binary approximations (where round(0.1235, 3) is 0.123).
- **Ranges are inclusive** (min ≤ value ≤ max, a missing bound is open) for bands, flag rules and feedback;
  the band is the first that matches.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeGuard

from kommunal_pro.models import ApiModel

from .model import (
    NUMERIC_TYPES,
    Answers,
    FlagLevel,
    FlagRule,
    Item,
    ItemType,
    QuestionnaireDefinition,
    Scalar,
    Scale,
    ScaleMethod,
    Text,
)

_INFINITY = Decimal("Infinity")
_SEVERITY = {FlagLevel.GREEN: 0, FlagLevel.YELLOW: 1, FlagLevel.RED: 2}


class ScaleResult(ApiModel):
    id: str
    name: Text
    value: float | None
    band: Text | None
    answered: int
    of: int
    headline: bool


class Flag(ApiModel):
    rule_id: str
    level: FlagLevel
    message: Text
    scale: str | None = None
    item: str | None = None


class ScoreResult(ApiModel):
    scales: list[ScaleResult]
    flags: list[Flag]
    level: FlagLevel | None = None
    feedback: list[Text]


def score(definition: QuestionnaireDefinition, answers: Answers) -> ScoreResult:
    """Score answers (linkId → values) with the definition's scales, flag rules and feedback."""
    items = definition.items_by_link_id()
    scales: list[ScaleResult] = []
    values: dict[str, Decimal | None] = {}
    for scale in definition.scales:
        answered, value = _scale_value(scale, items, answers)
        values[scale.id] = value
        scales.append(
            ScaleResult(
                id=scale.id,
                name=scale.name,
                value=None if value is None else float(value),
                band=next((band.label for band in scale.bands if _within(value, band.min, band.max)), None),
                answered=answered,
                of=len(scale.items),
                headline=scale.headline,
            )
        )
    flags = [
        Flag(rule_id=rule.id, level=rule.level, message=rule.message, scale=rule.scale, item=rule.item)
        for rule in definition.flag_rules
        if _rule_matches(rule, values, items, answers)
    ]
    return ScoreResult(
        scales=scales,
        flags=flags,
        level=max((flag.level for flag in flags), key=_SEVERITY.__getitem__, default=None),
        feedback=[f.text for f in definition.feedback if _within(values.get(f.scale), f.min, f.max)],
    )


def scale_range(scale: Scale, definition: QuestionnaireDefinition) -> tuple[float, float]:
    """The lowest and highest value the scale can take, after transform and rounding.

    It honours `min_answered` and prorating, so a threshold outside it can never match. A numeric item
    without min/max makes a bound infinite; when fewer items can ever score than `min_answered` needs, the
    scale never has a value and the range is empty: (inf, -inf).
    """
    if not scale.multiply:  # a constant, and Infinity × 0 is undefined
        fixed = float(_finish(Decimal(0), scale))
        return fixed, fixed
    items = definition.items_by_link_id()
    bounds = [b for b in (_item_bounds(scale, items.get(link_id)) for link_id in scale.items) if b is not None]
    needed = _min_answered(scale)
    if len(bounds) < needed:
        return math.inf, -math.inf
    lows = sorted(low for low, _ in bounds)
    highs = sorted((high for _, high in bounds), reverse=True)
    if _is_scaled(scale):
        # The lowest mean of at least `needed` items is the mean of the `needed` lowest ones.
        factor = len(scale.items) if scale.method is ScaleMethod.SUM else 1
        low = sum(lows[:needed], Decimal(0)) * factor / needed
        high = sum(highs[:needed], Decimal(0)) * factor / needed
    else:
        # The lowest sum takes the `needed` lowest items plus any other item that can lower it.
        start = _dec(scale.value_table.constant) if scale.value_table else Decimal(0)
        low = start + sum(lows[:needed], Decimal(0)) + sum((x for x in lows[needed:] if x < 0), Decimal(0))
        high = start + sum(highs[:needed], Decimal(0)) + sum((x for x in highs[needed:] if x > 0), Decimal(0))
    ends = sorted(float(_finish(end, scale)) for end in (low, high))
    return ends[0], ends[1]


def _scale_value(scale: Scale, items: dict[str, Item], answers: Answers) -> tuple[int, Decimal | None]:
    """How many of the scale's items scored, and the scale's value (None when too few did)."""
    scores = [
        s
        for s in (_item_score(scale, items.get(link_id), answers.get(link_id) or []) for link_id in scale.items)
        if s is not None
    ]
    if len(scores) < _min_answered(scale):
        return len(scores), None
    total = sum(scores, Decimal(0))
    if scale.method is ScaleMethod.MEAN:
        value = total / len(scores)
    elif scale.method is ScaleMethod.SUM and scale.prorate:
        value = total * len(scale.items) / len(scores)
    elif scale.value_table is not None:
        value = _dec(scale.value_table.constant) + total
    else:
        value = total
    return len(scores), _finish(value, scale)


def _item_score(scale: Scale, item: Item | None, given: list[Scalar]) -> Decimal | None:
    if item is None:
        return None
    if _is_numeric(scale, item):
        found = [_dec(v) for v in given if _is_number(v)]
    else:
        scores = _code_scores(scale, item)
        found = [_dec(scores[code]) for code in dict.fromkeys(v for v in given if isinstance(v, str)) if code in scores]
    return sum(found, Decimal(0)) if found else None


def _item_bounds(scale: Scale, item: Item | None) -> tuple[Decimal, Decimal] | None:
    """The lowest and highest score an answered item can have; None if it can never score."""
    if item is None:
        return None
    if _is_numeric(scale, item):
        low = _dec(item.min_value) if item.min_value is not None else -_INFINITY
        high = _dec(item.max_value) if item.max_value is not None else _INFINITY
        if item.repeats:  # any number of values is summed
            low, high = (low if low >= 0 else -_INFINITY), (high if high <= 0 else _INFINITY)
        return low, high
    scores = [_dec(s) for s in _code_scores(scale, item).values()]
    if not scores:
        return None
    if not item.repeats:
        return min(scores), max(scores)
    # Several different codes are summed: all the negative ones give the lowest sum, all positive the highest.
    negative, positive = [s for s in scores if s < 0], [s for s in scores if s > 0]
    low = sum(negative, Decimal(0)) if negative else min(scores)
    high = sum(positive, Decimal(0)) if positive else max(scores)
    return low, high


def _code_scores(scale: Scale, item: Item) -> dict[str, float]:
    """What each answer code of the item is worth on this scale."""
    if scale.value_table is not None:
        return scale.value_table.values.get(item.link_id, {})
    if item.type is ItemType.CHOICE:
        return {option.code: option.score for option in item.options if option.score is not None}
    return {}


def _is_numeric(scale: Scale, item: Item) -> bool:
    return scale.value_table is None and item.type in NUMERIC_TYPES


def _is_scaled(scale: Scale) -> bool:
    """A mean, or a prorated sum: the value is already scaled to the items answered."""
    return scale.method is ScaleMethod.MEAN or (scale.method is ScaleMethod.SUM and scale.prorate)


def _min_answered(scale: Scale) -> int:
    if scale.min_answered is not None:
        return scale.min_answered
    return 1 if _is_scaled(scale) else len(scale.items)


def _finish(value: Decimal, scale: Scale) -> Decimal:
    """Transform (× multiply + add), then round half-up to `decimals`."""
    value = value * _dec(scale.multiply) + _dec(scale.add)
    if scale.decimals is None or not value.is_finite():
        return value
    return value.quantize(Decimal(1).scaleb(-scale.decimals), rounding=ROUND_HALF_UP)


def _rule_matches(rule: FlagRule, values: dict[str, Decimal | None], items: dict[str, Item], answers: Answers) -> bool:
    if rule.scale is not None:
        return _within(values.get(rule.scale), rule.min, rule.max)
    if rule.item not in items:
        return False
    given = answers.get(rule.item) or []
    if rule.codes:
        return any(isinstance(v, str) and v in rule.codes for v in given)
    return any(_within(_dec(v), rule.min, rule.max) for v in given if _is_number(v))


def _within(value: Decimal | None, low: float | None, high: float | None) -> bool:
    return value is not None and (low is None or _dec(low) <= value) and (high is None or value <= _dec(high))


def _is_number(value: Scalar) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _dec(number: float) -> Decimal:
    """The decimal a number was written as: 0.1 is 0.1, not 0.1000000000000000055…"""
    return Decimal(str(number))
