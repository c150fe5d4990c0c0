"""Organisations: municipalities (tenants) and their onboarding; org units and the caller's own units."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path

from kommunal_pro.api import create_app, current_principal, json_response, lambda_handler_for, requires
from kommunal_pro.auth import STAFF_ROLES, Role
from kommunal_pro.concurrency import etag, expected_version
from kommunal_pro.organisations.models import Municipality, MunicipalityPatch
from kommunal_pro.organisations.service import default_service
from kommunal_pro.organisations.units import MyUnits, UnitNode, municipality_units, my_units
from kommunal_pro.tenancy import Tenant

app = create_app()


@app.get("/v1/municipalities", middlewares=[requires(Role.NATIONAL_ADMIN)])
def list_municipalities() -> Response[list[Municipality]]:
    return json_response([m.model_dump(mode="json", by_alias=True) for m in default_service().all()])


@app.get("/v1/municipalities/<code>", middlewares=[requires(Role.NATIONAL_ADMIN, Role.ADMIN, Role.EMPLOYEE)])
def get_municipality(code: Annotated[Tenant, Path()]) -> Response[Municipality]:
    municipality = default_service().get(current_principal(app), code)
    return json_response(municipality, headers={"ETag": etag(municipality.version)})


@app.patch("/v1/municipalities/<code>", middlewares=[requires(Role.NATIONAL_ADMIN)])
def update_municipality(
    code: Annotated[Tenant, Path()],
    patch: Annotated[MunicipalityPatch, Body()],
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response[Municipality]:
    municipality = default_service().update(current_principal(app), code, patch, expected_version(if_match))
    return json_response(municipality, headers={"ETag": etag(municipality.version)})


@app.get("/v1/municipalities/<code>/units", middlewares=[requires(Role.NATIONAL_ADMIN, Role.ADMIN, Role.EMPLOYEE)])
def list_units(code: Annotated[Tenant, Path()]) -> Response[list[UnitNode]]:
    """The municipality's active units as a tree, from the organisation sync."""
    default_service().get(current_principal(app), code)  # 403 for another municipality, 404 for an unknown one
    return json_response([node.model_dump(mode="json", by_alias=True) for node in municipality_units(code)])


@app.get("/v1/me/units", middlewares=[requires(*STAFF_ROLES)])
def list_my_units() -> Response[MyUnits]:
    return json_response(my_units(current_principal(app)))


lambda_handler = lambda_handler_for(app)
