"""Organisations: municipalities (tenants) and their onboarding; org units and the caller's own units."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path

from kommunal_pro.api import (
    CursorQuery,
    LimitQuery,
    create_app,
    current_principal,
    json_response,
    lambda_handler_for,
    requires,
)
from kommunal_pro.auth import STAFF_ROLES, Role
from kommunal_pro.concurrency import etag, expected_version
from kommunal_pro.organisations.models import Municipality, MunicipalityPatch
from kommunal_pro.organisations.service import default_service as municipality_service
from kommunal_pro.organisations.units import MyUnits, UnitSummary, default_unit_service
from kommunal_pro.orgsync.sync import SyncReport, default_sync_runs
from kommunal_pro.storage.pages import DEFAULT_PAGE_SIZE, Page
from kommunal_pro.tenancy import Tenant

app = create_app()
NATIONAL_ADMINS = requires(Role.NATIONAL_ADMIN, tenants=municipality_service)
MUNICIPAL_READERS = requires(Role.NATIONAL_ADMIN, Role.ADMIN, Role.EMPLOYEE, tenants=municipality_service)


@app.get("/v1/municipalities", middlewares=[NATIONAL_ADMINS])
def list_municipalities(
    cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_PAGE_SIZE
) -> Response[Page[Municipality]]:
    """Every municipality on the platform with its onboarding state and settings (national administrators), in
    code order. Pages with an opaque cursor."""
    return json_response(municipality_service().page(limit, cursor))


@app.get("/v1/municipalities/<code>", middlewares=[MUNICIPAL_READERS])
def get_municipality(code: Annotated[Tenant, Path()]) -> Response[Municipality]:
    """One municipality and its settings; the ETag is what a change sends back as If-Match."""
    municipality = municipality_service().get(current_principal(app), code)
    return json_response(municipality, headers={"ETag": etag(municipality.version)})


@app.patch("/v1/municipalities/<code>", middlewares=[NATIONAL_ADMINS])
def update_municipality(
    code: Annotated[Tenant, Path()],
    patch: Annotated[MunicipalityPatch, Body()],
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response[Municipality]:
    """Change a municipality's settings or onboarding state. Send If-Match with the ETag you last read: without it
    the change is refused (428), with a stale one it is refused (412)."""
    municipality = municipality_service().update(current_principal(app), code, patch, expected_version(if_match))
    return json_response(municipality, headers={"ETag": etag(municipality.version)})


@app.get("/v1/municipalities/<code>/units", middlewares=[MUNICIPAL_READERS])
def list_units(
    code: Annotated[Tenant, Path()], cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_PAGE_SIZE
) -> Response[Page[UnitSummary]]:
    """The municipality's active units by id, from the organisation sync; `parentId` makes the tree (a unit whose
    parent is not listed is a root). Pages with an opaque cursor."""
    municipality_service().get(current_principal(app), code)  # 403 for another municipality, 404 for an unknown one
    return json_response(default_unit_service().active_units(code, limit, cursor))


@app.get("/v1/org-sync/runs", middlewares=[NATIONAL_ADMINS])
def list_sync_runs(
    cursor: CursorQuery = None,
) -> Response[Page[SyncReport]]:
    """The nightly organisation sync's reports, newest first: what it changed, skipped or aborted on."""
    return json_response(default_sync_runs().newest_first(cursor))


@app.get("/v1/me/units", middlewares=[requires(*STAFF_ROLES, tenants=municipality_service)])
def list_my_units() -> Response[MyUnits]:
    """The units the caller (a staff member) belongs to, from their token and the organisation sync."""
    return json_response(default_unit_service().my_units(current_principal(app)))


lambda_handler = lambda_handler_for(app)
