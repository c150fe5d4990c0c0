"""Assignments (employee module): register and find citizens, assign questionnaires, the unit's worklist;
and the auditor's view of the audit log."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from kommunal_pro.api import (
    CursorQuery,
    LimitQuery,
    create_app,
    created,
    current_principal,
    json_response,
    lambda_handler_for,
    problem,
    requires,
)
from kommunal_pro.assignments.access import default_citizen_access
from kommunal_pro.assignments.models import AppointmentMove, AssignmentRequest, AssignmentView
from kommunal_pro.assignments.service import default_service
from kommunal_pro.audit import Access, AuditEvent, AuditQuery
from kommunal_pro.auth import Role
from kommunal_pro.citizens.models import Citizen, CitizenRegistration, CprLookup
from kommunal_pro.citizens.service import default_citizen_service
from kommunal_pro.models import IsoInstant
from kommunal_pro.organisations.service import default_service as municipality_service
from kommunal_pro.review.service import Worklist
from kommunal_pro.review.service import default_service as review_service
from kommunal_pro.storage.pages import DEFAULT_PAGE_SIZE, Page

app = create_app()
EMPLOYEES = requires(Role.EMPLOYEE, tenants=municipality_service)
AUDITORS = requires(Role.AUDITOR, tenants=municipality_service)
ResourceId = Annotated[str, Path(min_length=1, max_length=64)]


@app.post("/v1/citizens", middlewares=[EMPLOYEES], responses=created(location=True))
def register_citizen(registration: Annotated[CitizenRegistration, Body()]) -> Response[Citizen]:
    """Register a citizen in the caller's municipality; the same CPR twice is a 409 with the existing id."""
    citizen = default_citizen_service().register(current_principal(app), registration)
    return json_response(citizen, 201, {"Location": f"/v1/citizens/{citizen.id}"})


@app.post(
    "/v1/citizens/search",
    middlewares=[EMPLOYEES],
    responses={404: problem("No citizen with that CPR number in the caller's municipality")},
)
def find_citizen(lookup: Annotated[CprLookup, Body()]) -> Response[Citizen]:
    """Find a citizen of the caller's municipality by CPR number (in the body, never in the URL)."""
    return json_response(default_citizen_access().search(current_principal(app), lookup))


@app.get("/v1/citizens/<citizen_id>", middlewares=[EMPLOYEES])
def get_citizen(citizen_id: ResourceId) -> Response[Citizen]:
    """The citizen's details without the CPR number (the read is audited)."""
    citizen = default_citizen_access().access(
        current_principal(app), citizen_id, Access.CITIZEN_READ, f"/v1/citizens/{citizen_id}"
    )
    return json_response(citizen.public())


@app.post("/v1/citizens/<citizen_id>/assignments", middlewares=[EMPLOYEES], responses=created(location=False))
def assign(citizen_id: ResourceId, request: Annotated[AssignmentRequest, Body()]) -> Response[AssignmentView]:
    """Assign a published questionnaire version once, recurring or around an appointment. The response shows
    every task and when its invitation and reminders would go out."""
    return json_response(default_service().assign(current_principal(app), citizen_id, request), 201)


@app.get("/v1/citizens/<citizen_id>/assignments", middlewares=[EMPLOYEES])
def list_assignments(
    citizen_id: ResourceId, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_PAGE_SIZE
) -> Response[Page[AssignmentView]]:
    """The citizen's assignments with their tasks and planned messages, in a stable order (audited). Pages with
    an opaque cursor."""
    return json_response(default_service().of_citizen(current_principal(app), citizen_id, limit, cursor))


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


@app.get("/v1/units/<unit_id>/worklist", middlewares=[EMPLOYEES])
def worklist(unit_id: ResourceId, cursor: CursorQuery = None) -> Response[Worklist]:
    """What the unit should look at: unreviewed responses (red, yellow, wants contact, the rest; newest
    first) and overdue tasks. Pages with an opaque cursor."""
    return json_response(review_service().worklist(current_principal(app), unit_id, cursor))


@app.get("/v1/audit", middlewares=[AUDITORS])
def audit_events(
    citizen_id: Annotated[str | None, Query(alias="citizenId", max_length=64)] = None,
    staff: Annotated[str | None, Query(max_length=128)] = None,
    since: Annotated[IsoInstant | None, Query()] = None,
    cursor: CursorQuery = None,
) -> Response[Page[AuditEvent]]:
    """The privacy officer's check of who read what, by citizen or by staff member, in their municipality,
    newest first, optionally since a time (ISO 8601 with an offset). Pages with an opaque cursor."""
    query = AuditQuery(citizen_id=citizen_id, staff=staff, since=since)
    return json_response(review_service().audit_events(current_principal(app), query, cursor))


lambda_handler = lambda_handler_for(app)
