"""Responses (citizen module): my tasks, drafts, submitting answers, my history."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path

from kommunal_pro.api import create_app, current_principal, json_response, lambda_handler_for, requires
from kommunal_pro.auth import Role
from kommunal_pro.responses.models import CitizenTask, CitizenTaskDetail, Draft, DraftRequest, Receipt, Submission
from kommunal_pro.responses.service import default_service

app = create_app()
CITIZENS = requires(Role.CITIZEN)
TaskId = Annotated[str, Path(min_length=1, max_length=64)]


@app.get("/v1/me/tasks", middlewares=[CITIZENS])
def my_tasks() -> Response[list[CitizenTask]]:
    """Open and overdue tasks first (soonest due first), then coming, then done."""
    tasks = default_service().my_tasks(current_principal(app))
    return json_response([t.model_dump(mode="json", by_alias=True) for t in tasks])


@app.get("/v1/me/tasks/<task_id>", middlewares=[CITIZENS])
def my_task(task_id: TaskId) -> Response[CitizenTaskDetail]:
    return json_response(default_service().my_task(current_principal(app), task_id))


@app.put("/v1/me/tasks/<task_id>/draft", middlewares=[CITIZENS])
def save_draft(task_id: TaskId, draft: Annotated[DraftRequest, Body()]) -> Response[Draft]:
    return json_response(default_service().save_draft(current_principal(app), task_id, draft.answers))


@app.post("/v1/me/tasks/<task_id>/response", middlewares=[CITIZENS])
def submit(
    task_id: TaskId,
    submission: Annotated[Submission, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response[Receipt]:
    """Submit the answers. Retrying with the same Idempotency-Key returns the same receipt."""
    receipt = default_service().submit(current_principal(app), task_id, submission, idempotency_key)
    return json_response(receipt, 201)


@app.get("/v1/me/responses", middlewares=[CITIZENS])
def my_responses() -> Response[list[Receipt]]:
    receipts = default_service().my_responses(current_principal(app))
    return json_response([r.model_dump(mode="json", by_alias=True) for r in receipts])


lambda_handler = lambda_handler_for(app)
