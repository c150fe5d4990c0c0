"""Assigning questionnaires to citizens (employee module) and the planned timeline staff check first."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from kommunal_pro.assignments.access import CitizenAccess, default_citizen_access
from kommunal_pro.assignments.models import (
    Assignment,
    AssignmentRequest,
    AssignmentStatus,
    AssignmentView,
    Task,
    TaskView,
)
from kommunal_pro.assignments.repository import MAX_TASKS_PER_ASSIGNMENT, AssignmentRepository
from kommunal_pro.assignments.schedule import (
    AppointmentSchedule,
    Occurrence,
    TaskState,
    expand,
    expires_at,
    invalid_schedule,
    reschedule_appointment,
)
from kommunal_pro.audit import Access, AuditLog, default_audit_log
from kommunal_pro.auth import Principal
from kommunal_pro.citizens.models import StoredCitizen
from kommunal_pro.clock import utc_now
from kommunal_pro.errors import Conflict, Forbidden, NotFound
from kommunal_pro.organisations.models import MunicipalitySettings, ReminderChannel
from kommunal_pro.organisations.service import MunicipalityService
from kommunal_pro.organisations.service import default_service as default_municipality_service
from kommunal_pro.organisations.units import UnitService, default_unit_service
from kommunal_pro.questionnaires.repository import QuestionnaireRepository
from kommunal_pro.questionnaires.service import QuestionnaireService
from kommunal_pro.questionnaires.versions import QuestionnaireVersion, Status
from kommunal_pro.scheduling.due import due_attributes, next_message
from kommunal_pro.scheduling.timeline import ReminderPolicy, plan_messages
from kommunal_pro.storage.pages import Page
from kommunal_pro.storage.table import ConditionFailed, data_table


class AssignmentService:
    def __init__(
        self,
        assignments: AssignmentRepository,
        citizens: CitizenAccess,
        questionnaires: QuestionnaireService,
        municipalities: MunicipalityService,
        units: UnitService,
        audit: AuditLog,
    ) -> None:
        self._assignments = assignments
        self._citizens = citizens
        self._questionnaires = questionnaires
        self._municipalities = municipalities
        self._units = units
        self._audit = audit

    def assign(self, principal: Principal, citizen_id: str, request: AssignmentRequest) -> AssignmentView:
        resource = f"/v1/citizens/{citizen_id}/assignments"
        citizen = self._citizens.find(principal, citizen_id, unit_scoped=False)
        with self._audit.refusals(principal, Access.ASSIGNMENT_CHANGE, citizen.id, resource):
            version, occurrences = self._assignable(principal, citizen, request)
        settings = self._municipalities.get(principal, citizen.municipality).settings
        assignment = Assignment(
            id=str(uuid.uuid4()),
            municipality=citizen.municipality,
            citizen_id=citizen.id,
            questionnaire=version.ref,
            questionnaire_title=version.definition.title,
            unit_id=request.unit_id,
            course=request.course,
            schedule=request.schedule,
            reminder_policy=request.reminder_policy,
            created_at=utc_now(),
            created_by=principal.subject,
        )
        tasks = [
            Task(
                id=str(uuid.uuid4()),
                municipality=assignment.municipality,
                citizen_id=citizen.id,
                assignment_id=assignment.id,
                questionnaire=assignment.questionnaire,
                questionnaire_title=assignment.questionnaire_title,
                unit_id=assignment.unit_id,
                sequence=occurrence.sequence,
                opens_at=occurrence.opens_at,
                due_at=occurrence.due_at,
                expires_at=expires_at(occurrence.due_at, settings.grace_period_days),
            )
            for occurrence in occurrences
        ]
        view = self._view(assignment, tasks, citizen, settings)
        assigned = self._audit.event_put(principal, Access.ASSIGNMENT_CHANGE, citizen.id, resource)
        self._assignments.add(assignment, tasks, _due(view), [assigned])
        return view

    def _assignable(
        self, principal: Principal, citizen: StoredCitizen, request: AssignmentRequest
    ) -> tuple[QuestionnaireVersion, list[Occurrence]]:
        """The version to assign and its tasks' windows, or the Problem that refuses the assignment."""
        if request.unit_id not in self._units.staff_units(principal):
            raise Forbidden("Du kan kun tildele i dine egne enheder (you can only assign within your own units)")
        if not citizen.consent.given:
            raise Conflict("Borgeren har ikke givet samtykke til digital PRO (the citizen has not consented)")
        head, _ = self._questionnaires.latest(principal, request.questionnaire_id)
        number = request.version or head.active_version
        _, version = self._questionnaires.version(principal, request.questionnaire_id, number or head.latest_version)
        if version.status is not Status.ACTIVE:
            raise Conflict(
                f"Kun aktive spørgeskemaer kan tildeles; version {version.version} er {version.status} "
                f"(only active questionnaire versions can be assigned)"
            )
        occurrences = expand(request.schedule)
        if len(occurrences) > MAX_TASKS_PER_ASSIGNMENT:
            raise invalid_schedule(
                f"Højst {MAX_TASKS_PER_ASSIGNMENT} opgaver pr. tildeling", f"at most {MAX_TASKS_PER_ASSIGNMENT} tasks"
            )
        return version, occurrences

    def of_citizen(self, principal: Principal, citizen_id: str, limit: int, cursor: str | None) -> Page[AssignmentView]:
        """The citizen's assignments in a stable order (by id), each with its tasks."""
        citizen = self._citizens.access(
            principal, citizen_id, Access.ASSIGNMENTS_READ, f"/v1/citizens/{citizen_id}/assignments"
        )
        settings = self._municipalities.get(principal, citizen.municipality).settings
        assignments, next_cursor = self._assignments.assignments_page(citizen.municipality, citizen.id, limit, cursor)
        views = [
            self._view(a, self._assignments.tasks_of_assignment(citizen.municipality, a.id), citizen, settings)
            for a in assignments
        ]
        return Page(items=views, next_cursor=next_cursor)

    def cancel(self, principal: Principal, citizen_id: str, assignment_id: str) -> AssignmentView:
        """Stop the assignment: its tasks not yet answered are cancelled, so no reminders follow."""
        citizen, assignment, audited = self._changing(principal, citizen_id, assignment_id, _cancellable)
        tasks = self._assignments.tasks_of_assignment(citizen.municipality, assignment.id)
        pending = [t for t in tasks if t.state is TaskState.PENDING]
        now = utc_now()
        cancelled = assignment.model_copy(
            update={"status": AssignmentStatus.CANCELLED, "cancelled_at": now, "cancelled_by": principal.subject}
        )
        with _changed_meanwhile():
            self._assignments.cancel(cancelled, pending, [audited])
        tasks = [t.model_copy(update={"state": TaskState.CANCELLED}) if t in pending else t for t in tasks]
        settings = self._municipalities.get(principal, citizen.municipality).settings
        return self._view(cancelled, tasks, citizen, settings)

    def move_appointment(
        self, principal: Principal, citizen_id: str, assignment_id: str, appointment_at: datetime
    ) -> AssignmentView:
        """The answer window follows the booking: tasks not yet answered move with the appointment."""
        citizen, assignment, audited = self._changing(principal, citizen_id, assignment_id, _movable)
        assert isinstance(assignment.schedule, AppointmentSchedule)  # _movable checked it
        schedule = reschedule_appointment(assignment.schedule, appointment_at)
        (occurrence,) = expand(schedule)
        settings = self._municipalities.get(principal, citizen.municipality).settings
        tasks = self._assignments.tasks_of_assignment(citizen.municipality, assignment.id)
        moved = [
            t.model_copy(
                update={
                    "opens_at": occurrence.opens_at,
                    "due_at": occurrence.due_at,
                    "expires_at": expires_at(occurrence.due_at, settings.grace_period_days),
                }
            )
            for t in tasks
            if t.state is TaskState.PENDING
        ]
        changed = assignment.model_copy(update={"schedule": schedule})
        by_id = {t.id: t for t in moved}
        view = self._view(changed, [by_id.get(t.id, t) for t in tasks], citizen, settings)
        with _changed_meanwhile():
            self._assignments.reschedule(changed, moved, _due(view), [audited])
        return view

    def _changing(
        self, principal: Principal, citizen_id: str, assignment_id: str, check: Callable[[Assignment], None]
    ) -> tuple[StoredCitizen, Assignment, dict[str, Any]]:
        """The citizen and the assignment a change applies to, `check` raising the Problem that refuses it, and
        the Put of the change's "done" audit event for the transaction that writes it. A missing assignment or a
        refusing `check` is audited as refused at once."""
        resource = f"/v1/citizens/{citizen_id}/assignments/{assignment_id}"
        citizen = self._citizens.find(principal, citizen_id)
        with self._audit.refusals(principal, Access.ASSIGNMENT_CHANGE, citizen.id, resource):
            assignment = self._assignments.assignment(citizen.municipality, citizen.id, assignment_id)
            if assignment is None:
                raise NotFound("Tildelingen findes ikke (no such assignment)")
            check(assignment)
        return citizen, assignment, self._audit.event_put(principal, Access.ASSIGNMENT_CHANGE, citizen.id, resource)

    @staticmethod
    def _view(
        assignment: Assignment, tasks: list[Task], citizen: StoredCitizen, settings: MunicipalitySettings
    ) -> AssignmentView:
        policy = assignment.reminder_policy or settings.reminder_policy
        channel = citizen.reminder_channel(settings)
        now = utc_now()
        return AssignmentView(
            **assignment.model_dump(),
            tasks=[task_view(t, now, policy, channel) for t in sorted(tasks, key=lambda t: t.sequence)],
        )


def task_view(task: Task, now: datetime, policy: ReminderPolicy, channel: ReminderChannel | None) -> TaskView:
    """The task with its status now and, while it can still be answered, the messages planned for it."""
    status = task.status_at(now)
    planned = (
        plan_messages(task.opens_at, task.due_at, task.expires_at, policy, channel)
        if channel and task.state is TaskState.PENDING
        else []
    )
    return TaskView(**task.model_dump(), status=status, planned_messages=planned)


def _cancellable(assignment: Assignment) -> None:
    if assignment.status is AssignmentStatus.CANCELLED:
        raise Conflict("Tildelingen er allerede stoppet (the assignment is already cancelled)")


def _movable(assignment: Assignment) -> None:
    if not isinstance(assignment.schedule, AppointmentSchedule):
        raise Conflict("Kun tildelinger omkring en aftale kan flyttes (only appointment schedules move)")
    if assignment.status is AssignmentStatus.CANCELLED:
        raise Conflict("Tildelingen er stoppet (the assignment is cancelled)")


@contextmanager
def _changed_meanwhile() -> Iterator[None]:
    """A task answered, or the assignment changed, between reading and writing: nothing was written."""
    try:
        yield
    except ConditionFailed:
        raise Conflict("Forløbet er ændret imens; prøv igen (the assignment changed meanwhile; try again)") from None


def _due(view: AssignmentView) -> dict[str, dict[str, str]]:
    """Each task's Due index attributes: where the reminder job finds its first planned message."""
    return {t.id: due_attributes(t, next_message(t.planned_messages)) for t in view.tasks}


def default_service() -> AssignmentService:
    table = data_table()
    return AssignmentService(
        assignments=AssignmentRepository(table),
        citizens=default_citizen_access(),
        questionnaires=QuestionnaireService(QuestionnaireRepository(table)),
        municipalities=default_municipality_service(),
        units=default_unit_service(),
        audit=default_audit_log(),
    )
