"""What the questionnaire API returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from kommunal_pro.models import ApiModel
from kommunal_pro.questionnaires.model import Answers, QuestionnaireDefinition, Text
from kommunal_pro.questionnaires.versions import QuestionnaireHead, QuestionnaireVersion, Status, VersionRef
from kommunal_pro.tenancy import Tenant


class QuestionnaireSummary(ApiModel):
    id: str
    tenant: Tenant
    title: Text
    status: Status
    latest_version: int
    active_version: int | None
    draft_version: int | None
    updated_at: datetime
    updated_by: str
    copied_from: VersionRef | None

    @classmethod
    def of(cls, head: QuestionnaireHead) -> QuestionnaireSummary:
        return cls(
            id=head.questionnaire_id,
            status=head.status,
            **head.model_dump(
                include={
                    "tenant",
                    "title",
                    "latest_version",
                    "active_version",
                    "draft_version",
                    "updated_at",
                    "updated_by",
                    "copied_from",
                }
            ),
        )


class QuestionnaireView(ApiModel):
    """One version with its questionnaire's state; the ETag is the questionnaire's revision."""

    id: str
    tenant: Tenant
    version: int
    status: Status = Field(description="This version's status")
    definition: QuestionnaireDefinition
    created_at: datetime
    created_by: str
    published_at: datetime | None
    published_by: str | None
    retired_at: datetime | None
    retired_by: str | None
    copied_from: VersionRef | None
    import_report: list[dict[str, Any]]
    questionnaire: QuestionnaireSummary

    @classmethod
    def of(cls, head: QuestionnaireHead, version: QuestionnaireVersion) -> QuestionnaireView:
        fields = version.model_dump(exclude={"questionnaire_id"})
        return cls(id=version.questionnaire_id, questionnaire=QuestionnaireSummary.of(head), **fields)


class PreviewScoreRequest(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"answers": {"who5-1": ["3"], "who5-2": ["2"], "who5-3": ["4"], "who5-4": ["1"], "who5-5": ["3"]}}
            ]
        }
    )

    answers: Answers = Field(description="Sample answers: linkId → values (option codes for choice questions)")
