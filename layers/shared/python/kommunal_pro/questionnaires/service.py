"""Who may do what with questionnaires, and the steps of each use case.

Municipality staff read their own municipality's questionnaires and the national library; a
municipality `admin` edits their own; `national-admin` edits the national library. Another
municipality's questionnaires do not exist as far as a caller can tell (404).
"""

from __future__ import annotations

import uuid
from typing import Any

from kommunal_pro.auth import Principal
from kommunal_pro.errors import Forbidden, NotFound, PreconditionFailed
from kommunal_pro.questionnaires import versions as lifecycle
from kommunal_pro.questionnaires.answers import check_answer_shapes
from kommunal_pro.questionnaires.fhir.exporter import export_questionnaire
from kommunal_pro.questionnaires.fhir.importer import import_questionnaire
from kommunal_pro.questionnaires.instruments import standard_instruments
from kommunal_pro.questionnaires.model import Answers, QuestionnaireDefinition
from kommunal_pro.questionnaires.repository import QuestionnaireRepository
from kommunal_pro.questionnaires.scoring import ScoreResult, score
from kommunal_pro.questionnaires.validation import validate_definition
from kommunal_pro.questionnaires.versions import QuestionnaireHead, QuestionnaireVersion, Status
from kommunal_pro.storage.table import ConditionFailed, data_table
from kommunal_pro.tenancy import NATIONAL


class QuestionnaireService:
    def __init__(self, repository: QuestionnaireRepository) -> None:
        self._repository = repository

    def create(
        self, principal: Principal, definition: QuestionnaireDefinition, **origin: Any
    ) -> tuple[QuestionnaireHead, QuestionnaireVersion]:
        validate_definition(definition)
        head, version = lifecycle.new_questionnaire(
            str(uuid.uuid4()), principal.tenant, definition, principal.subject, **origin
        )
        self._save(head, version)
        return head, version

    def import_fhir(self, principal: Principal, resource: Any) -> tuple[QuestionnaireHead, QuestionnaireVersion]:
        imported = import_questionnaire(resource)
        report = [note.model_dump(mode="json", by_alias=True) for note in imported.report]
        return self.create(principal, imported.definition, import_report=report)

    def copy(self, principal: Principal, questionnaire_id: str) -> tuple[QuestionnaireHead, QuestionnaireVersion]:
        """A municipality's own draft made from a national questionnaire, linked to where it came from."""
        head = self._readable_head(principal, questionnaire_id)
        if head.tenant != NATIONAL or principal.tenant == NATIONAL:
            raise Forbidden(
                "Kun spørgeskemaer fra det nationale bibliotek kan kopieres til en kommune "
                "(only national questionnaires can be copied into a municipality)"
            )
        source = self._version(head, head.active_version or head.latest_version)
        return self.create(principal, source.definition, copied_from=source.ref)

    def search(
        self, principal: Principal, status: Status | None, text: str | None, limit: int, cursor: str | None
    ) -> tuple[list[QuestionnaireHead], str | None]:
        """The caller's own library, then the national one (one page may hold the end of one and the start of the
        other)."""
        return self._repository.heads_page(_readable_tenants(principal), status, text, limit, cursor)

    def latest(self, principal: Principal, questionnaire_id: str) -> tuple[QuestionnaireHead, QuestionnaireVersion]:
        head = self._readable_head(principal, questionnaire_id)
        return head, self._version(head, head.latest_version)

    def version(
        self, principal: Principal, questionnaire_id: str, number: int
    ) -> tuple[QuestionnaireHead, QuestionnaireVersion]:
        head = self._readable_head(principal, questionnaire_id)
        return head, self._version(head, number)

    def versions(self, principal: Principal, questionnaire_id: str) -> list[QuestionnaireVersion]:
        head = self._readable_head(principal, questionnaire_id)
        return self._repository.versions(head.tenant, head.questionnaire_id)

    def save_draft(
        self, principal: Principal, questionnaire_id: str, definition: QuestionnaireDefinition, expected_revision: int
    ) -> tuple[QuestionnaireHead, QuestionnaireVersion]:
        validate_definition(definition)
        head = self._editable_head(principal, questionnaire_id)
        draft = self._version(head, head.draft_version) if head.draft_version else None
        head, draft = lifecycle.save_draft(head, draft, definition, principal.subject)
        self._save(head, draft, expected_revision=expected_revision)
        return head, draft

    def publish(self, principal: Principal, questionnaire_id: str) -> tuple[QuestionnaireHead, QuestionnaireVersion]:
        head = self._editable_head(principal, questionnaire_id)
        draft = self._version(head, lifecycle.require_draft(head))
        active = self._version(head, head.active_version) if head.active_version else None
        validate_definition(draft.definition)
        changed, published, replaced = lifecycle.publish(head, draft, active, principal.subject)
        self._save(changed, *(v for v in (published, replaced) if v), expected_revision=head.revision)
        return changed, published

    def retire(self, principal: Principal, questionnaire_id: str) -> tuple[QuestionnaireHead, QuestionnaireVersion]:
        head = self._editable_head(principal, questionnaire_id)
        active = self._version(head, lifecycle.require_active(head))
        changed, retired = lifecycle.retire(head, active, principal.subject)
        self._save(changed, retired, expected_revision=head.revision)
        return changed, retired

    def export_fhir(self, principal: Principal, questionnaire_id: str, number: int) -> dict[str, Any]:
        head, version = self.version(principal, questionnaire_id, number)
        return export_questionnaire(
            version.definition,
            questionnaire_id=head.questionnaire_id,
            version=version.version,
            status=str(version.status),
            publisher=head.tenant,
        )

    def preview_score(self, principal: Principal, questionnaire_id: str, number: int, answers: Answers) -> ScoreResult:
        """Score sample answers with a version's scales and rules. Stores nothing."""
        _, version = self.version(principal, questionnaire_id, number)
        check_answer_shapes(version.definition, answers)
        return score(version.definition, answers)

    def _save(
        self, head: QuestionnaireHead, *versions: QuestionnaireVersion, expected_revision: int | None = None
    ) -> None:
        try:
            self._repository.save(head, *versions, expected_revision=expected_revision)
        except ConditionFailed:
            raise PreconditionFailed(
                "Spørgeskemaet er ændret af en anden siden du læste det; hent det igen "
                "(the questionnaire changed since you read it; fetch it again)"
            ) from None

    def _readable_head(self, principal: Principal, questionnaire_id: str) -> QuestionnaireHead:
        for tenant in _readable_tenants(principal):
            if head := self._repository.head(tenant, questionnaire_id):
                return head
        raise NotFound("Spørgeskemaet findes ikke (no such questionnaire)")

    def _editable_head(self, principal: Principal, questionnaire_id: str) -> QuestionnaireHead:
        head = self._readable_head(principal, questionnaire_id)
        if head.tenant != principal.tenant:
            raise Forbidden(
                "Nationale spørgeskemaer redigeres af den nationale administrator; kopiér det for at tilpasse det "
                "(national questionnaires are edited by national admins; copy it to adapt it)"
            )
        return head

    def _version(self, head: QuestionnaireHead, number: int) -> QuestionnaireVersion:
        version = self._repository.version(head.tenant, head.questionnaire_id, number)
        if version is None:
            raise NotFound(f"Version {number} findes ikke (questionnaire has no version {number})")
        return version


def _readable_tenants(principal: Principal) -> list[str]:
    own = principal.tenant
    return [own] if own == NATIONAL else [own, NATIONAL]


def default_service() -> QuestionnaireService:
    return QuestionnaireService(QuestionnaireRepository(data_table()))


def seed_standard_instruments(repository: QuestionnaireRepository, actor: str) -> int:
    """Publish WHO-5, PHQ-9, GAD-7 and EQ-5D-5L in the national library unless they are there already.
    Returns how many were added."""
    added = 0
    for questionnaire_id, definition in standard_instruments().items():
        if repository.head(NATIONAL, questionnaire_id):
            continue
        head, draft = lifecycle.new_questionnaire(questionnaire_id, NATIONAL, definition, actor)
        head, published, _ = lifecycle.publish(head, draft, None, actor)
        try:
            repository.save(head, published)
        except ConditionFailed:
            continue  # seeded concurrently by another run
        added += 1
    return added
