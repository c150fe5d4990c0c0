"""Responses: the citizen answering (my tasks, drafts, submitting, my history, who read my data) and staff
reading answers (with changes since last time), exporting them as FHIR and marking them reviewed."""

import json
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query

from kommunal_pro.api import (
    CursorQuery,
    LimitQuery,
    create_app,
    created,
    current_principal,
    fhir_json,
    json_response,
    lambda_handler_for,
    requires,
)
from kommunal_pro.assignments.schedule import TaskStatus
from kommunal_pro.auth import Role
from kommunal_pro.citizens.models import Preferences
from kommunal_pro.citizens.service import default_citizen_service
from kommunal_pro.organisations.service import default_service as municipality_service
from kommunal_pro.responses.models import CitizenTask, CitizenTaskDetail, Draft, DraftRequest, Receipt, Submission
from kommunal_pro.responses.service import UNFINISHED, default_service
from kommunal_pro.review.service import AccessLogEntry
from kommunal_pro.review.service import default_service as review_service
from kommunal_pro.review.views import ReviewRequest, StaffResponseView
from kommunal_pro.storage.pages import DEFAULT_PAGE_SIZE, Page

app = create_app()
CITIZENS = requires(Role.CITIZEN, tenants=municipality_service)
EMPLOYEES = requires(Role.EMPLOYEE, tenants=municipality_service)
ResourceId = Annotated[str, Path(min_length=1, max_length=64)]


@app.get("/v1/me/tasks", middlewares=[CITIZENS])
def my_tasks(
    status: Annotated[
        list[TaskStatus] | None,
        Query(description="Give one or more times; by default the unfinished ones: overdue, open and scheduled"),
    ] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Response[Page[CitizenTask]]:
    """My tasks with the statuses asked for (by default what can be answered or is coming, not the finished ones),
    municipality by municipality in a stable order; the app sorts them by due time. Pages with an opaque cursor."""
    statuses = frozenset(status or UNFINISHED)
    return json_response(default_service().my_tasks(current_principal(app), statuses, limit, cursor))


@app.get("/v1/me/tasks/<task_id>", middlewares=[CITIZENS])
def my_task(task_id: ResourceId) -> Response[CitizenTaskDetail]:
    """One of my tasks with its questionnaire and any draft answers."""
    return json_response(default_service().my_task(current_principal(app), task_id))


@app.put("/v1/me/tasks/<task_id>/draft", middlewares=[CITIZENS])
def save_draft(task_id: ResourceId, draft: Annotated[DraftRequest, Body()]) -> Response[Draft]:
    """Save answers so far; the citizen can come back and finish later."""
    return json_response(default_service().save_draft(current_principal(app), task_id, draft.answers))


@app.post("/v1/me/tasks/<task_id>/response", middlewares=[CITIZENS], responses=created(location=False))
def submit(
    task_id: ResourceId,
    submission: Annotated[Submission, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response[Receipt]:
    """Submit the answers. Retrying with the same Idempotency-Key returns the same receipt."""
    receipt = default_service().submit(current_principal(app), task_id, submission, idempotency_key)
    return json_response(receipt, 201)


@app.get("/v1/me/responses", middlewares=[CITIZENS])
def my_responses(cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_PAGE_SIZE) -> Response[Page[Receipt]]:
    """My submitted responses with the feedback I may see, by questionnaire and newest first within each. Pages
    with an opaque cursor."""
    return json_response(default_service().my_responses(current_principal(app), limit, cursor))


@app.put("/v1/me/preferences", middlewares=[CITIZENS])
def my_preferences(preferences: Annotated[Preferences, Body()]) -> Response[Preferences]:
    """Opt out of (or back into) invitations and reminders."""
    return json_response(default_citizen_service().set_preferences(current_principal(app), preferences))


@app.get("/v1/me/access-log", middlewares=[CITIZENS])
def my_access_log() -> Response[list[AccessLogEntry]]:
    """When staff read my data, and why."""
    return json_response(review_service().access_log(current_principal(app)))


@app.get("/v1/citizens/<citizen_id>/responses", middlewares=[EMPLOYEES])
def citizen_responses(
    citizen_id: ResourceId, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_PAGE_SIZE
) -> Response[Page[StaffResponseView]]:
    """The citizen's answers with scores, flags and change since the previous response, by questionnaire and
    newest first within each (audited). Pages with an opaque cursor."""
    return json_response(review_service().citizen_responses(current_principal(app), citizen_id, limit, cursor))


@app.get("/v1/responses/<response_id>", middlewares=[EMPLOYEES])
def read_response(response_id: ResourceId) -> Response[StaffResponseView]:
    """One response with scores, flags and the change since the previous one (audited)."""
    return json_response(review_service().response(current_principal(app), response_id))


@app.get(
    "/v1/responses/<response_id>/fhir",
    middlewares=[EMPLOYEES],
    responses=fhir_json("The response as a FHIR R4 QuestionnaireResponse"),
)
def export_response(response_id: ResourceId) -> Response[str]:
    """The response as a FHIR R4 QuestionnaireResponse (application/fhir+json)."""
    resource = review_service().export(current_principal(app), response_id)
    return Response(200, "application/fhir+json", json.dumps(resource, ensure_ascii=False))


@app.post("/v1/responses/<response_id>/review", middlewares=[EMPLOYEES])
def mark_reviewed(response_id: ResourceId, request: Annotated[ReviewRequest, Body()]) -> Response[StaffResponseView]:
    """Mark the response as reviewed; it leaves the unit's worklist."""
    return json_response(review_service().review(current_principal(app), response_id, request.comment))


lambda_handler = lambda_handler_for(app)
