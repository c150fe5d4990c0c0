"""Questionnaire versions and their lifecycle: draft → active → retired.

A questionnaire has numbered versions. At most one is a draft (the one being edited) and at most one is
active (the one staff assign). Publishing freezes the draft as the active version forever and retires
the version it replaces; editing after that starts a new draft version. Assignments pin a version.
`QuestionnaireHead` is the questionnaire's current state; its `revision` changes with every change and
is the ETag clients send back with If-Match.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from kommunal_pro.clock import utc_now
from kommunal_pro.errors import Conflict
from kommunal_pro.models import ApiModel
from kommunal_pro.questionnaires.model import QuestionnaireDefinition, Text
from kommunal_pro.tenancy import Tenant


class Status(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


class VersionRef(ApiModel):
    tenant: Tenant
    questionnaire_id: str
    version: int


class QuestionnaireVersion(ApiModel):
    questionnaire_id: str
    tenant: Tenant
    version: int
    status: Status
    definition: QuestionnaireDefinition
    created_at: datetime
    created_by: str
    published_at: datetime | None = None
    published_by: str | None = None
    retired_at: datetime | None = None
    retired_by: str | None = None
    copied_from: VersionRef | None = None
    import_report: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def ref(self) -> VersionRef:
        return VersionRef(tenant=self.tenant, questionnaire_id=self.questionnaire_id, version=self.version)


class QuestionnaireHead(ApiModel):
    questionnaire_id: str
    tenant: Tenant
    title: Text
    latest_version: int
    active_version: int | None = None
    draft_version: int | None = None
    revision: int = 1
    updated_at: datetime
    updated_by: str
    copied_from: VersionRef | None = None

    @property
    def status(self) -> Status:
        """Active while a version can be assigned; retired once published and withdrawn; else a draft."""
        if self.active_version is not None:
            return Status.ACTIVE
        return Status.DRAFT if self.latest_version == self.draft_version == 1 else Status.RETIRED


def new_questionnaire(
    questionnaire_id: str, tenant: str, definition: QuestionnaireDefinition, actor: str, **origin: Any
) -> tuple[QuestionnaireHead, QuestionnaireVersion]:
    now = utc_now()
    version = QuestionnaireVersion(
        questionnaire_id=questionnaire_id,
        tenant=tenant,
        version=1,
        status=Status.DRAFT,
        definition=definition,
        created_at=now,
        created_by=actor,
        **origin,
    )
    head = QuestionnaireHead(
        questionnaire_id=questionnaire_id,
        tenant=tenant,
        title=definition.title,
        latest_version=1,
        draft_version=1,
        updated_at=now,
        updated_by=actor,
        copied_from=version.copied_from,
    )
    return head, version


def save_draft(
    head: QuestionnaireHead, draft: QuestionnaireVersion | None, definition: QuestionnaireDefinition, actor: str
) -> tuple[QuestionnaireHead, QuestionnaireVersion]:
    """Replace the draft, or start a new draft version when there is none."""
    now = utc_now()
    if draft is None:
        draft = QuestionnaireVersion(
            questionnaire_id=head.questionnaire_id,
            tenant=head.tenant,
            version=head.latest_version + 1,
            status=Status.DRAFT,
            definition=definition,
            created_at=now,
            created_by=actor,
            copied_from=head.copied_from,
        )
    else:
        draft = draft.model_copy(update={"definition": definition, "created_at": now, "created_by": actor})
    head = _changed(head, actor, now, latest_version=draft.version, draft_version=draft.version)
    return head.model_copy(update={"title": definition.title}), draft


def publish(
    head: QuestionnaireHead, draft: QuestionnaireVersion, active: QuestionnaireVersion | None, actor: str
) -> tuple[QuestionnaireHead, QuestionnaireVersion, QuestionnaireVersion | None]:
    """The draft becomes the active version; the version it replaces is retired."""
    now = utc_now()
    published = draft.model_copy(update={"status": Status.ACTIVE, "published_at": now, "published_by": actor})
    replaced = (
        active.model_copy(update={"status": Status.RETIRED, "retired_at": now, "retired_by": actor}) if active else None
    )
    return _changed(head, actor, now, active_version=draft.version, draft_version=None), published, replaced


def retire(
    head: QuestionnaireHead, active: QuestionnaireVersion, actor: str
) -> tuple[QuestionnaireHead, QuestionnaireVersion]:
    now = utc_now()
    retired = active.model_copy(update={"status": Status.RETIRED, "retired_at": now, "retired_by": actor})
    return _changed(head, actor, now, active_version=None), retired


def require_draft(head: QuestionnaireHead) -> int:
    if head.draft_version is None:
        raise Conflict("Spørgeskemaet har ingen kladde at udgive (the questionnaire has no draft to publish)")
    return head.draft_version


def require_active(head: QuestionnaireHead) -> int:
    if head.active_version is None:
        raise Conflict("Spørgeskemaet har ingen aktiv version at tilbagekalde (there is no active version to retire)")
    return head.active_version


def _changed(head: QuestionnaireHead, actor: str, now: datetime, **update: Any) -> QuestionnaireHead:
    return head.model_copy(update={**update, "revision": head.revision + 1, "updated_at": now, "updated_by": actor})
