"""What the citizen submits and what is kept of it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints

from kommunal_pro.assignments.schedule import TaskStatus
from kommunal_pro.models import ApiModel
from kommunal_pro.questionnaires.model import Answers, Text
from kommunal_pro.questionnaires.scoring import ScoreResult
from kommunal_pro.questionnaires.versions import VersionRef
from kommunal_pro.tenancy import Tenant

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class DraftRequest(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"answers": {"who5-1": ["3"], "who5-2": ["2"]}}]})

    answers: Answers


class Submission(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "answers": {"who5-1": ["3"], "who5-2": ["2"], "who5-3": ["4"], "who5-4": ["1"], "who5-5": ["3"]},
                    "note": "Jeg sover dårligt efter operationen.",
                    "wantsContact": True,
                }
            ]
        }
    )

    answers: Answers
    note: Note | None = Field(None, description="What the citizen wants to talk about")
    wants_contact: bool = Field(False, description="'I would like to be contacted'")


class Draft(ApiModel):
    task_id: str
    answers: Answers
    saved_at: datetime


class Review(ApiModel):
    by: str
    by_name: str | None
    at: datetime
    comment: str | None


class HeadlineChange(ApiModel):
    """The headline scale's value and its change since the previous response, fixed when submitted."""

    scale_id: str
    name: Text
    value: float | None
    previous_value: float | None
    delta: float | None


class StoredResponse(ApiModel):
    id: str
    municipality: Tenant
    citizen_id: str
    task_id: str
    assignment_id: str
    unit_id: str
    questionnaire: VersionRef
    questionnaire_title: Text
    answers: Answers
    scores: ScoreResult
    note: str | None
    wants_contact: bool
    submitted_at: datetime
    citizen_name: str | None = None
    headline: HeadlineChange | None = None
    reviewed: Review | None = None


class ScaleForCitizen(ApiModel):
    name: str
    value: float | None
    band: str | None


class Receipt(ApiModel):
    """What the citizen gets back after submitting; the same for a retried submission."""

    response_id: str
    task_id: str
    questionnaire_title: str
    submitted_at: datetime
    feedback: list[str]
    scores: list[ScaleForCitizen] | None = Field(None, description="Only where the questionnaire shows them")


class CitizenTask(ApiModel):
    id: str
    municipality: Tenant
    questionnaire_title: str
    status: TaskStatus
    opens_at: datetime
    due_at: datetime
    expires_at: datetime
    completed_at: datetime | None = None


class Page(ApiModel):
    title: str | None
    items: list[dict[str, Any]]


class CitizenQuestionnaire(ApiModel):
    """The pinned version in the citizen's language, split into pages by its top-level groups."""

    title: str
    description: str | None
    language: str
    pages: list[Page]


class CitizenTaskDetail(CitizenTask):
    questionnaire: CitizenQuestionnaire
    draft: Draft | None = None
