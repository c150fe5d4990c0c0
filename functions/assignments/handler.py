"""Assignments (employee module): register and find citizens, assign questionnaires, cancel assignments."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from kommunal_pro.api import create_app, current_principal, json_response, lambda_handler_for, requires
from kommunal_pro.assignments.models import AppointmentMove, AssignmentRequest, AssignmentView
from kommunal_pro.assignments.service import default_service
from kommunal_pro.auth import Role
from kommunal_pro.citizens.models import Citizen, CitizenRegistration, CprLookup
from kommunal_pro.citizens.service import default_citizen_service

app = create_app()
EMPLOYEES = requires(Role.EMPLOYEE)
ResourceId = Annotated[str, Path(min_length=1, max_length=64)]


@app.post("/v1/citizens", middlewares=[EMPLOYEES])
def register_citizen(registration: Annotated[CitizenRegistration, Body()]) -> Response[Citizen]:
    """Register a citizen in the caller's municipality; the same CPR twice is a 409 with the existing id."""
    citizen = default_citizen_service().register(current_principal(app), registration)
    return json_response(citizen, 201, {"Location": f"/v1/citizens/{citizen.id}"})


@app.post("/v1/citizens/search", middlewares=[EMPLOYEES])
def find_citizen(lookup: Annotated[CprLookup, Body()]) -> Response[Citizen]:
    """Find a citizen of the caller's municipality by CPR number (in the body, never in the URL)."""
    return json_response(default_citizen_service().search(current_principal(app), lookup))


@app.get("/v1/citizens/<citizen_id>", middlewares=[EMPLOYEES])
def get_citizen(citizen_id: ResourceId) -> Response[Citizen]:
    return json_response(default_citizen_service().get(current_principal(app), citizen_id).public())


@app.post("/v1/citizens/<citizen_id>/assignments", middlewares=[EMPLOYEES])
def assign(citizen_id: ResourceId, request: Annotated[AssignmentRequest, Body()]) -> Response[AssignmentView]:
    """Assign a published questionnaire version once, recurring or around an appointment. The response shows
    every task and when its invitation and reminders would go out."""
    return json_response(default_service().assign(current_principal(app), citizen_id, request), 201)


@app.get("/v1/citizens/<citizen_id>/assignments", middlewares=[EMPLOYEES])
def list_assignments(citizen_id: ResourceId) -> Response[list[AssignmentView]]:
    views = default_service().list(current_principal(app), citizen_id)
    return json_response([v.model_dump(mode="json", by_alias=True) for v in views])


@app.post("/v1/citizens/<citizen_id>/assignments/<assignment_id>/cancel", middlewares=[EMPLOYEES])
def cancel_assignment(citizen_id: ResourceId, assignment_id: ResourceId) -> Response[AssignmentView]:
    """Stop future tasks and reminders; answers already given stay."""
    return json_response(default_service().cancel(current_principal(app), citizen_id, assignment_id))


@app.post("/v1/citizens/<citizen_id>/assignments/<assignment_id>/appointment", middlewares=[EMPLOYEES])
def move_appointment(
    citizen_id: ResourceId, assignment_id: ResourceId, move: Annotated[AppointmentMove, Body()]
) -> Response[AssignmentView]:
    """The consultation moved: tasks not yet answered move their answer window with it."""
    view = default_service().move_appointment(current_principal(app), citizen_id, assignment_id, move.appointment_at)
    return json_response(view)


lambda_handler = lambda_handler_for(app)
