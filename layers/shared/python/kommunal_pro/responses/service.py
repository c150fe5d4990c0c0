"""The citizen module: my tasks, a task with its questionnaire, drafts, submitting, my history."""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from datetime import datetime, timedelta

from kommunal_pro.assignments.models import Task
from kommunal_pro.assignments.repository import AssignmentRepository
from kommunal_pro.assignments.schedule import TaskStatus
from kommunal_pro.auth import Principal
from kommunal_pro.citizens.models import StoredCitizen
from kommunal_pro.citizens.service import CitizenService, default_citizen_service
from kommunal_pro.clock import utc_now
from kommunal_pro.concurrency import IDEMPOTENCY_KEY_PATTERN
from kommunal_pro.errors import BadRequest, Conflict, ErrorCode, InvalidInput, NotFound, error
from kommunal_pro.questionnaires.answers import check_answer_shapes, validate_submission
from kommunal_pro.questionnaires.model import Answers
from kommunal_pro.questionnaires.repository import QuestionnaireRepository
from kommunal_pro.questionnaires.scoring import ScoreResult, score
from kommunal_pro.questionnaires.versions import QuestionnaireVersion, VersionRef
from kommunal_pro.responses.localized import citizen_questionnaire, feedback_for_citizen, scores_for_citizen
from kommunal_pro.responses.models import (
    CitizenTask,
    CitizenTaskDetail,
    Draft,
    HeadlineChange,
    Receipt,
    StoredResponse,
    Submission,
)
from kommunal_pro.responses.repository import ResponseRepository
from kommunal_pro.storage.pages import Page
from kommunal_pro.storage.table import ConditionFailed, Contention, data_table

ANSWERABLE = frozenset({TaskStatus.OPEN, TaskStatus.OVERDUE})
# What a citizen's task list shows unless asked otherwise: what can be answered and what is coming, not the
# finished tasks of past years.
UNFINISHED = (TaskStatus.OVERDUE, TaskStatus.OPEN, TaskStatus.SCHEDULED)
DRAFT_KEPT_AFTER_EXPIRY = timedelta(days=1)
SUBMIT_ATTEMPTS = 3


class CitizenResponseService:
    def __init__(
        self,
        citizens: CitizenService,
        assignments: AssignmentRepository,
        questionnaires: QuestionnaireRepository,
        responses: ResponseRepository,
    ) -> None:
        self._citizens = citizens
        self._assignments = assignments
        self._questionnaires = questionnaires
        self._responses = responses

    def my_tasks(
        self, principal: Principal, statuses: frozenset[TaskStatus], limit: int, cursor: str | None
    ) -> Page[CitizenTask]:
        """My tasks with one of `statuses` now, municipality by municipality, each in a stable order."""
        now = utc_now()
        records = self._records(principal)
        tasks, next_cursor = self._assignments.tasks_page(
            list(records), lambda task: task.status_at(now) in statuses, limit, cursor
        )
        views = [self._citizen_task(records[(t.municipality, t.citizen_id)], t, now) for t in tasks]
        return Page(items=views, next_cursor=next_cursor)

    def my_task(self, principal: Principal, task_id: str) -> CitizenTaskDetail:
        record, task = self._own_task(principal, task_id)
        version = self._version(task)
        return CitizenTaskDetail(
            **self._citizen_task(record, task, utc_now()).model_dump(),
            questionnaire=citizen_questionnaire(version.definition, record.language),
            draft=self._responses.draft(record.municipality, record.id, task.id),
        )

    def save_draft(self, principal: Principal, task_id: str, answers: Answers) -> Draft:
        """Partial answers, checked for shape only, so the citizen can continue later or elsewhere."""
        record, task = self._own_task(principal, task_id)
        self._require_answerable(task)
        check_answer_shapes(self._version(task).definition, answers)
        draft = Draft(task_id=task.id, answers=answers, saved_at=utc_now())
        try:
            self._responses.save_draft(record.municipality, record.id, draft, task.expires_at + DRAFT_KEPT_AFTER_EXPIRY)
        except ConditionFailed:
            raise _already_answered() from None
        return draft

    def submit(
        self, principal: Principal, task_id: str, submission: Submission, idempotency_key: str | None
    ) -> Receipt:
        """Validate against the pinned version, score, and store the response exactly once."""
        key = checked_idempotency_key(idempotency_key)
        record, task = self._own_task(principal, task_id)
        fingerprint = hashlib.sha256(f"{task.id}:{submission.model_dump_json()}".encode()).hexdigest()
        if replayed := self._replay(record, key, fingerprint):
            return replayed
        self._require_answerable(task)
        version = self._version(task)
        validate_submission(version.definition, submission.answers)
        scores = score(version.definition, submission.answers)
        response = StoredResponse(
            id=str(uuid.uuid4()),
            municipality=record.municipality,
            citizen_id=record.id,
            task_id=task.id,
            assignment_id=task.assignment_id,
            unit_id=task.unit_id,
            questionnaire=task.questionnaire,
            questionnaire_title=task.questionnaire_title,
            answers=submission.answers,
            scores=scores,
            note=submission.note or None,
            wants_contact=submission.wants_contact,
            submitted_at=utc_now(),
            citizen_name=record.name,
            headline=self._headline(record, task, scores),
        )
        receipt = self._receipt(response, version, record.language)
        for attempt in range(1, SUBMIT_ATTEMPTS + 1):
            try:
                self._responses.submit(response, receipt, key, fingerprint)
                return receipt
            except Contention:
                if attempt == SUBMIT_ATTEMPTS:
                    raise  # still busy: the client may retry with the same key (503, Retry-After)
                time.sleep(0.05 * attempt)  # a concurrent transaction held the task; it may have failed
            except ConditionFailed:
                break
        # Another submission got there first: the same one retried concurrently, or a different one.
        if replayed := self._replay(record, key, fingerprint):
            return replayed
        raise _already_answered()

    def my_responses(self, principal: Principal, limit: int, cursor: str | None) -> Page[Receipt]:
        """My responses municipality by municipality; within one, by questionnaire and newest first."""
        records = self._records(principal)
        responses, next_cursor = self._responses.page_of_citizens(list(records), limit, cursor)
        receipts = []
        for response in responses:
            version = self._questionnaires.version(*_pinned(response.questionnaire))
            if version is not None:
                language = records[(response.municipality, response.citizen_id)].language
                receipts.append(self._receipt(response, version, language))
        return Page(items=receipts, next_cursor=next_cursor)

    def _records(self, principal: Principal) -> dict[tuple[str, str], StoredCitizen]:
        """My records by (municipality, citizen id), in that order: the order my lists read them in."""
        records = sorted(self._citizens.own_records(principal), key=lambda r: (r.municipality, r.id))
        return {(r.municipality, r.id): r for r in records}

    def _headline(self, record: StoredCitizen, task: Task, scores: ScoreResult) -> HeadlineChange | None:
        """What a worklist row shows: the headline scale now and since the previous response."""
        scale = next((s for s in scores.scales if s.headline), None)
        if scale is None:
            return None
        history = self._responses.history(record.municipality, record.id, task.questionnaire)
        previous = next((s for s in history[-1].scores.scales if s.id == scale.id), None) if history else None
        before = previous.value if previous else None
        delta = None if scale.value is None or before is None else round(scale.value - before, 6)
        return HeadlineChange(scale_id=scale.id, name=scale.name, value=scale.value, previous_value=before, delta=delta)

    def _replay(self, record: StoredCitizen, key: str, fingerprint: str) -> Receipt | None:
        stored = self._responses.replay(record.municipality, record.id, key)
        if stored is None:
            return None
        stored_fingerprint, receipt = stored
        if stored_fingerprint != fingerprint:
            raise InvalidInput(
                "Idempotency-Key er brugt til en anden besvarelse (the key was used for another submission)",
                [error(ErrorCode.KEY_REUSED, "header.Idempotency-Key", "reused with a different request")],
            )
        return receipt

    def _own_task(self, principal: Principal, task_id: str) -> tuple[StoredCitizen, Task]:
        """The task among the caller's own records; another citizen's task does not exist for them (404)."""
        for record in self._citizens.own_records(principal):
            if task := self._assignments.task(record.municipality, record.id, task_id):
                return record, task
        raise NotFound("Opgaven findes ikke (no such task)")

    def _version(self, task: Task) -> QuestionnaireVersion:
        version = self._questionnaires.version(*_pinned(task.questionnaire))
        if version is None:
            raise NotFound("Spørgeskemaet findes ikke længere (the questionnaire version is gone)")
        return version

    @staticmethod
    def _citizen_task(record: StoredCitizen, task: Task, now: datetime) -> CitizenTask:
        return CitizenTask(
            id=task.id,
            municipality=task.municipality,
            questionnaire_title=task.questionnaire_title.in_language(record.language),
            status=task.status_at(now),
            opens_at=task.opens_at,
            due_at=task.due_at,
            expires_at=task.expires_at,
            completed_at=task.completed_at,
        )

    @staticmethod
    def _require_answerable(task: Task) -> None:
        status = task.status_at(utc_now())
        if status is TaskStatus.COMPLETED:
            raise _already_answered()
        if status not in ANSWERABLE:
            raise Conflict(
                f"Opgaven kan ikke besvares nu; den er {status} (the task cannot be answered: it is {status})"
            )

    @staticmethod
    def _receipt(response: StoredResponse, version: QuestionnaireVersion, language: str) -> Receipt:
        visible = version.definition.citizen_sees_scores
        return Receipt(
            response_id=response.id,
            task_id=response.task_id,
            questionnaire_title=response.questionnaire_title.in_language(language),
            submitted_at=response.submitted_at,
            feedback=feedback_for_citizen(response.scores, language),
            scores=scores_for_citizen(response.scores, language) if visible else None,
        )


def _pinned(ref: VersionRef) -> tuple[str, str, int]:
    return ref.tenant, ref.questionnaire_id, ref.version


def checked_idempotency_key(idempotency_key: str | None) -> str:
    if not idempotency_key or not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, idempotency_key):
        raise BadRequest(
            "Send en Idempotency-Key (8-128 tegn: bogstaver, tal, bindestreg) med besvarelsen "
            "(an Idempotency-Key header of 8-128 letters, digits or dashes is required)"
        )
    return idempotency_key


def _already_answered() -> Conflict:
    return Conflict("Opgaven er allerede besvaret (the task has already been answered)")


def default_service() -> CitizenResponseService:
    table = data_table()
    return CitizenResponseService(
        citizens=default_citizen_service(),
        assignments=AssignmentRepository(table),
        questionnaires=QuestionnaireRepository(table),
        responses=ResponseRepository(table),
    )
