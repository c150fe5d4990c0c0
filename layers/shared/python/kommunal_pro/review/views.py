"""A response as staff read it before the conversation: answers with their texts, scales with bands and
the change since the previous response to the same questionnaire, flags, and the series for a trend."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from kommunal_pro.cpr import NO_CPR
from kommunal_pro.models import ApiModel
from kommunal_pro.questionnaires.model import FlagLevel, ItemType, QuestionnaireDefinition, Scalar, Text
from kommunal_pro.questionnaires.scoring import ScoreResult
from kommunal_pro.questionnaires.versions import VersionRef
from kommunal_pro.responses.models import Review, StoredResponse

LANGUAGE = "da"  # staff read Danish


class ReviewRequest(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"comment": "Ringet op 12/3; aftalt opfølgning ved næste konsultation."}]}
    )

    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NO_CPR] | None = None


class AnswerView(ApiModel):
    link_id: str
    text: str
    values: list[Scalar]
    display: list[str]
    changed: bool | None = Field(None, description="Differs from the previous response; None when there is none")


class ScaleView(ApiModel):
    id: str
    name: str
    value: float | None
    band: str | None
    headline: bool
    previous_value: float | None = None
    delta: float | None = None
    previous_band: str | None = None
    crossed_band: bool = False


class FlagView(ApiModel):
    rule_id: str
    level: FlagLevel
    message: str


class SeriesPoint(ApiModel):
    response_id: str
    at: datetime
    value: float | None


class StaffResponseView(ApiModel):
    id: str
    municipality: str
    citizen_id: str
    citizen_name: str | None
    unit_id: str
    questionnaire: VersionRef
    questionnaire_title: str
    submitted_at: datetime
    level: FlagLevel | None
    flags: list[FlagView]
    scales: list[ScaleView]
    answers: list[AnswerView]
    feedback: list[str] = Field(description="What the citizen was shown after submitting")
    note: str | None
    wants_contact: bool
    reviewed: Review | None
    previous_response_id: str | None
    series: dict[str, list[SeriesPoint]] = Field(description="Each scale's values over time, oldest first")


def staff_view(
    response: StoredResponse, history: list[StoredResponse], definition: QuestionnaireDefinition
) -> StaffResponseView:
    """`history`: every response of the citizen to the same questionnaire, oldest first, this one included."""
    earlier = [r for r in history if r.submitted_at < response.submitted_at]
    previous = earlier[-1] if earlier else None
    before = {s.id: s for s in previous.scores.scales} if previous else {}
    scales = []
    for scale in response.scores.scales:
        old = before.get(scale.id)
        band, old_band = _label(scale.band), _label(old.band if old else None)
        scales.append(
            ScaleView(
                id=scale.id,
                name=scale.name.in_language(LANGUAGE),
                value=scale.value,
                band=band,
                headline=scale.headline,
                previous_value=old.value if old else None,
                delta=_delta(scale.value, old.value if old else None),
                previous_band=old_band,
                crossed_band=band is not None and old_band is not None and band != old_band,
            )
        )
    return StaffResponseView(
        id=response.id,
        municipality=response.municipality,
        citizen_id=response.citizen_id,
        citizen_name=response.citizen_name,
        unit_id=response.unit_id,
        questionnaire=response.questionnaire,
        questionnaire_title=response.questionnaire_title.in_language(LANGUAGE),
        submitted_at=response.submitted_at,
        level=response.scores.level,
        flags=flag_views(response.scores),
        scales=scales,
        answers=_answers(response, previous, definition),
        feedback=[text.in_language(LANGUAGE) for text in response.scores.feedback],
        note=response.note,
        wants_contact=response.wants_contact,
        reviewed=response.reviewed,
        previous_response_id=previous.id if previous else None,
        series={
            scale.id: [SeriesPoint(response_id=r.id, at=r.submitted_at, value=_value_of(r, scale.id)) for r in history]
            for scale in response.scores.scales
        },
    )


def flag_views(scores: ScoreResult) -> list[FlagView]:
    """The flags a response raised, in Danish, as staff see them on the response and on the worklist."""
    return [FlagView(rule_id=f.rule_id, level=f.level, message=f.message.in_language(LANGUAGE)) for f in scores.flags]


def _answers(
    response: StoredResponse, previous: StoredResponse | None, definition: QuestionnaireDefinition
) -> list[AnswerView]:
    """The answered questions in questionnaire order."""
    views = []
    for item in definition.all_items():
        values = response.answers.get(item.link_id)
        if not values:
            continue
        if item.type is ItemType.CHOICE:
            display = [(o.display.in_language(LANGUAGE) if (o := item.option(str(v))) else str(v)) for v in values]
        else:
            display = [str(v) for v in values]
        views.append(
            AnswerView(
                link_id=item.link_id,
                text=item.text.in_language(LANGUAGE) if item.text else item.link_id,
                values=values,
                display=display,
                changed=None if previous is None else previous.answers.get(item.link_id) != values,
            )
        )
    return views


def _value_of(response: StoredResponse, scale_id: str) -> float | None:
    return next((s.value for s in response.scores.scales if s.id == scale_id), None)


def _delta(value: float | None, previous: float | None) -> float | None:
    return None if value is None or previous is None else round(value - previous, 6)


def _label(band: Text | None) -> str | None:
    return band.in_language(LANGUAGE) if band is not None else None
