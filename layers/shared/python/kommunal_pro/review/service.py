"""Staff before the conversation: the unit's worklist, responses with changes since last time, marking
them reviewed, FHIR export; the citizen's view of who read their data; the auditor's queries.
Every read of a citizen's data is audited before the data is returned."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from kommunal_pro.assignments.access import CitizenAccess, default_citizen_access
from kommunal_pro.assignments.repository import AssignmentRepository
from kommunal_pro.assignments.schedule import TaskStatus
from kommunal_pro.audit import Access, AuditEvent, AuditLog, AuditQuery, default_audit_log
from kommunal_pro.auth import Principal
from kommunal_pro.citizens.repository import CitizenRepository
from kommunal_pro.citizens.service import CitizenService, default_citizen_service
from kommunal_pro.clock import utc_now
from kommunal_pro.errors import Conflict, ErrorCode, Forbidden, InvalidInput, NotFound, error
from kommunal_pro.models import ApiModel
from kommunal_pro.organisations.service import MunicipalityService
from kommunal_pro.organisations.service import default_service as default_municipality_service
from kommunal_pro.organisations.units import UnitService, default_unit_service
from kommunal_pro.questionnaires.model import FlagLevel
from kommunal_pro.questionnaires.repository import QuestionnaireRepository
from kommunal_pro.questionnaires.versions import QuestionnaireVersion
from kommunal_pro.responses.fhir import export_response
from kommunal_pro.responses.models import HeadlineChange, Review, StoredResponse
from kommunal_pro.responses.repository import ResponseRepository
from kommunal_pro.review.views import LANGUAGE, StaffResponseView, flag_views, staff_view
from kommunal_pro.storage.pages import Page
from kommunal_pro.storage.table import ConditionFailed, data_table

WORKLIST_PAGE = 25
OVERDUE_LOOKBACK = timedelta(days=30)


class WorklistResponse(ApiModel):
    response_id: str
    citizen_id: str
    citizen_name: str | None
    questionnaire_title: str
    submitted_at: datetime
    level: FlagLevel | None
    flag_messages: list[str]
    wants_contact: bool
    headline: HeadlineChange | None


class WorklistTask(ApiModel):
    task_id: str
    citizen_id: str
    citizen_name: str | None
    questionnaire_title: str
    due_at: datetime
    status: Literal["overdue", "missed"]


class Worklist(Page[WorklistResponse]):
    """A page of the unit's unreviewed responses; the first page also lists its overdue tasks."""

    unit_id: str
    overdue_tasks: list[WorklistTask]


class AccessLogEntry(ApiModel):
    at: datetime
    municipality: str
    purpose: str
    action: Access
    unit: str | None
    staff_name: str | None


class ReviewService:
    def __init__(
        self,
        access: CitizenAccess,
        citizens: CitizenService,
        citizen_records: CitizenRepository,
        assignments: AssignmentRepository,
        questionnaires: QuestionnaireRepository,
        responses: ResponseRepository,
        municipalities: MunicipalityService,
        units: UnitService,
        audit: AuditLog,
    ) -> None:
        self._access = access
        self._citizens = citizens
        self._citizen_records = citizen_records
        self._assignments = assignments
        self._questionnaires = questionnaires
        self._responses = responses
        self._municipalities = municipalities
        self._units = units
        self._audit = audit

    def citizen_responses(
        self, principal: Principal, citizen_id: str, limit: int, cursor: str | None
    ) -> Page[StaffResponseView]:
        """The responses of the citizen the caller may see, by questionnaire and newest first within each, each
        with its change since the one before. Under unit scope, other units' responses are left out while
        reading, so pages stay full."""
        citizen = self._access.access(
            principal, citizen_id, Access.RESPONSES_READ, f"/v1/citizens/{citizen_id}/responses"
        )
        scope = self._access.unit_scope(principal)
        keep = None if scope is None else (lambda item: item.get("unit_id") in scope)
        responses, next_cursor = self._responses.page_of_citizens(
            [(citizen.municipality, citizen.id)], limit, cursor, keep
        )
        histories: dict[tuple[str, str], list[StoredResponse]] = {}  # by questionnaire, any version
        views = []
        for response in responses:
            ref = (response.questionnaire.tenant, response.questionnaire.questionnaire_id)
            if ref not in histories:
                history = self._responses.history(citizen.municipality, citizen.id, response.questionnaire)
                histories[ref] = _visible(scope, history)
            views.append(staff_view(response, histories[ref], self._version(response).definition))
        return Page(items=views, next_cursor=next_cursor)

    def response(self, principal: Principal, response_id: str) -> StaffResponseView:
        response, scope = self._readable(principal, response_id, Access.RESPONSE_READ, f"/v1/responses/{response_id}")
        return self._view(response, scope)

    def export(self, principal: Principal, response_id: str) -> dict[str, Any]:
        resource = f"/v1/responses/{response_id}/fhir"
        response, _ = self._readable(principal, response_id, Access.RESPONSE_EXPORT, resource)
        return export_response(response, self._version(response).definition)

    def review(self, principal: Principal, response_id: str, comment: str | None) -> StaffResponseView:
        resource = f"/v1/responses/{response_id}/review"
        response, scope = self._findable(principal, response_id)
        already = Conflict("Besvarelsen er allerede gennemset (the response has already been reviewed)")
        with self._audit.refusals(principal, Access.RESPONSE_REVIEW, response.citizen_id, resource):
            if response.reviewed is not None:
                raise already
        review = Review(by=principal.subject, by_name=principal.name, at=utc_now(), comment=comment)
        reviewed = self._audit.event_put(principal, Access.RESPONSE_REVIEW, response.citizen_id, resource)
        try:
            self._responses.mark_reviewed(response, review, [reviewed])
        except ConditionFailed:
            raise already from None  # reviewed by someone else a moment ago
        return self._view(response.model_copy(update={"reviewed": review}), scope)

    def worklist(self, principal: Principal, unit_id: str, cursor: str | None) -> Worklist:
        tenant = principal.tenant
        if unit_id not in self._units.staff_units(principal):
            raise Forbidden("Du kan kun se arbejdslisten for dine egne enheder (only your own units' worklists)")
        responses, next_cursor = self._responses.worklist_page(tenant, unit_id, WORKLIST_PAGE, cursor)
        tasks = [] if cursor else self._overdue(tenant, unit_id)
        for citizen_id in dict.fromkeys([r.citizen_id for r in responses] + [t.citizen_id for t in tasks]):
            self._audit.record(principal, Access.WORKLIST_READ, citizen_id, f"/v1/units/{unit_id}/worklist")
        return Worklist(
            unit_id=unit_id,
            items=[
                WorklistResponse(
                    response_id=r.id,
                    citizen_id=r.citizen_id,
                    citizen_name=r.citizen_name,
                    questionnaire_title=r.questionnaire_title.in_language(LANGUAGE),
                    submitted_at=r.submitted_at,
                    level=r.scores.level,
                    flag_messages=[f.message for f in flag_views(r.scores) if f.level is not FlagLevel.GREEN],
                    wants_contact=r.wants_contact,
                    headline=r.headline,
                )
                for r in responses
            ],
            overdue_tasks=tasks,
            next_cursor=next_cursor,
        )

    def access_log(self, principal: Principal) -> list[AccessLogEntry]:
        """Who read the citizen's data and why; the unit, or the staff member's name where the
        municipality has chosen to show names."""
        entries = []
        for record in self._citizens.own_records(principal):
            settings = self._municipalities.get_settings(record.municipality)
            events = self._audit.for_citizen(record.municipality, record.id)
            for event in (e for e in events if e.outcome == "done"):  # what was read or changed, not attempts
                entries.append(
                    AccessLogEntry(
                        at=event.at,
                        municipality=event.municipality,
                        purpose=event.purpose,
                        action=event.action,
                        unit=event.actor_units[0] if event.actor_units else None,
                        staff_name=event.actor_name if settings.access_log_shows_staff_names else None,
                    )
                )
        return sorted(entries, key=lambda e: e.at, reverse=True)

    def audit_events(self, principal: Principal, query: AuditQuery, cursor: str | None) -> Page[AuditEvent]:
        """The privacy officer's checks, within their own municipality."""
        if (query.citizen_id is None) == (query.staff is None):
            raise InvalidInput(
                "Angiv enten citizenId eller staff (give exactly one of citizenId and staff)",
                [
                    error(
                        ErrorCode.INVALID_COMBINATION,
                        "query",
                        "give exactly one of citizenId and staff",
                        "Angiv enten citizenId eller staff",
                    )
                ],
            )
        return self._audit.page(principal.tenant, query, cursor)

    def _readable(
        self, principal: Principal, response_id: str, action: Access, resource: str
    ) -> tuple[StoredResponse, frozenset[str] | None]:
        response, scope = self._findable(principal, response_id)
        self._audit.record(principal, action, response.citizen_id, resource)
        return response, scope

    def _findable(self, principal: Principal, response_id: str) -> tuple[StoredResponse, frozenset[str] | None]:
        """A response of the caller's municipality they may see (not yet audited), and the caller's unit scope.
        Its citizen needs no look-up: the response is theirs, in the caller's tenant and, under unit scope, unit."""
        scope = self._access.unit_scope(principal)
        response = self._responses.by_id(principal.tenant, response_id)
        if response is None or not _visible(scope, [response]):
            raise NotFound("Besvarelsen findes ikke (no such response)")
        return response, scope

    def _view(self, response: StoredResponse, scope: frozenset[str] | None) -> StaffResponseView:
        history = self._responses.history(response.municipality, response.citizen_id, response.questionnaire)
        return staff_view(response, _visible(scope, history), self._version(response).definition)

    def _version(self, response: StoredResponse) -> QuestionnaireVersion:
        ref = response.questionnaire
        version = self._questionnaires.version(ref.tenant, ref.questionnaire_id, ref.version)
        if version is None:
            raise NotFound("Spørgeskemaversionen findes ikke (the questionnaire version is gone)")
        return version

    def _overdue(self, tenant: str, unit_id: str) -> list[WorklistTask]:
        now = utc_now()
        tasks = self._assignments.pending_due_between(tenant, unit_id, now - OVERDUE_LOOKBACK, now)
        names = {
            c: (r.name if (r := self._citizen_records.get(tenant, c)) else None) for c in {t.citizen_id for t in tasks}
        }
        return [
            WorklistTask(
                task_id=t.id,
                citizen_id=t.citizen_id,
                citizen_name=names[t.citizen_id],
                questionnaire_title=t.questionnaire_title.in_language(LANGUAGE),
                due_at=t.due_at,
                status="overdue" if t.status_at(now) is TaskStatus.OVERDUE else "missed",
            )
            for t in tasks
        ]


def _visible(scope: frozenset[str] | None, responses: list[StoredResponse]) -> list[StoredResponse]:
    """Where staff see only their own units' records (`scope`), the responses given to those units."""
    return responses if scope is None else [r for r in responses if r.unit_id in scope]


def default_service() -> ReviewService:
    table = data_table()
    return ReviewService(
        access=default_citizen_access(),
        citizens=default_citizen_service(),
        citizen_records=CitizenRepository(table),
        assignments=AssignmentRepository(table),
        questionnaires=QuestionnaireRepository(table),
        responses=ResponseRepository(table),
        municipalities=default_municipality_service(),
        units=default_unit_service(),
        audit=default_audit_log(),
    )
