"""API plumbing shared by every HTTP function: the resolver, authentication, role checks, problem+json.

A function module does three things: `app = create_app()`, routes with
`middlewares=[requires(<roles>, tenants=<the municipality service>)]`, and `lambda_handler = lambda_handler_for(app)`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Protocol

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from kommunal_pro.auth import Principal, Role, principal_from_event
from kommunal_pro.config import get_settings
from kommunal_pro.errors import (
    NO_SUCH_ROUTE,
    SEND_JSON,
    UNEXPECTED,
    BadRequest,
    Conflict,
    InternalError,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    Problem,
    ServiceBusy,
    UnsupportedMediaType,
)
from kommunal_pro.json_body import body_size, check_json_body
from kommunal_pro.observability import logger, metrics
from kommunal_pro.storage.pages import MAX_CURSOR_LENGTH
from kommunal_pro.storage.table import ConditionFailed, Contention

PROBLEM_JSON = "application/problem+json"
# What a storage refusal that no service translated means to the caller: never a 500.
CHANGED_MEANWHILE = Conflict(
    "Data blev ændret imens; hent dem igen og prøv igen (the data changed meanwhile; fetch and retry)"
)
BUSY = ServiceBusy("Systemet er optaget lige nu; prøv igen om et øjeblik (the service is busy; retry in a moment)")
Middleware = Callable[[APIGatewayRestResolver, Callable[..., Response[Any]]], Response[Any]]
# The `cursor` query parameter of every paged list route.
CursorQuery = Annotated[str | None, Query(max_length=MAX_CURSOR_LENGTH)]


# Headers a browser may send and read: the token, JSON, optimistic concurrency and idempotency.
CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "If-Match", "Idempotency-Key"]
CORS_EXPOSE_HEADERS = ["ETag", "Location"]


def create_app() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True, cors=_cors())
    app.exception_handler(Problem)(problem_response)
    app.exception_handler(RequestValidationError)(_invalid_request)
    app.exception_handler(NotFoundError)(lambda _: problem_response(NotFound(NO_SUCH_ROUTE)))
    app.exception_handler(ConditionFailed)(lambda _: problem_response(CHANGED_MEANWHILE))
    app.exception_handler(Contention)(lambda _: problem_response(BUSY))
    app.exception_handler(Exception)(_unexpected)
    return app


def _cors() -> CORSConfig | None:
    """The configured web clients' origins (API Gateway answers the preflight; this covers the response)."""
    origins = [o.strip() for o in get_settings().cors_allowed_origins.split(",") if o.strip()]
    if not origins:
        return None
    return CORSConfig(
        allow_origin=origins[0],
        extra_origins=origins[1:],
        allow_headers=CORS_ALLOW_HEADERS,
        expose_headers=CORS_EXPOSE_HEADERS,
    )


def lambda_handler_for(app: APIGatewayRestResolver) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda entry point: check the body and authenticate before routing and validation, then resolve."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            _check_body(event)
            app.append_context(principal=principal_from_event(event))
        except Problem as problem:
            return {
                "statusCode": problem.status,
                "headers": {"Content-Type": PROBLEM_JSON},
                "body": json.dumps(problem.body(), ensure_ascii=False),
                "isBase64Encoded": False,
            }
        try:
            return app.resolve(event, context)
        finally:
            app.clear_context()

    return lambda_handler


class TenantCheck(Protocol):
    def ensure_enabled(self, principal: Principal) -> None:
        """Raise a Problem when the caller's municipality may not use the platform (yet)."""


def requires(*roles: Role, tenants: Callable[[], TenantCheck]) -> Middleware:
    """Route middleware: the caller holds one of `roles` and `tenants()` finds their municipality enabled."""
    accepted = frozenset(roles)

    def check_roles(app: APIGatewayRestResolver, next_middleware: Callable[..., Response[Any]]) -> Response[Any]:
        principal = current_principal(app)
        principal.require_role(accepted)
        tenants().ensure_enabled(principal)
        return next_middleware(app)

    return check_roles


def current_principal(app: APIGatewayRestResolver) -> Principal:
    principal: Principal = app.context["principal"]
    return principal


def json_response(
    body: BaseModel | Sequence[BaseModel], status: int = 200, headers: dict[str, str] | None = None
) -> Response[Any]:
    """A JSON response of a model or a list of models, by alias; Powertools validates it against the route's
    declared response model."""
    payload = _json(body) if isinstance(body, BaseModel) else [_json(model) for model in body]
    return Response(status_code=status, content_type="application/json", body=payload, headers=headers or {})


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)


def problem_response(problem: Problem) -> Response[Any]:
    if problem.status >= 500:
        logger.error("request failed", extra={"problem": problem.title})
    headers = {"Retry-After": str(problem.retry_after)} if problem.retry_after is not None else {}
    return Response(
        status_code=problem.status,
        content_type=PROBLEM_JSON,
        body=json.dumps(problem.body(), ensure_ascii=False),
        headers=headers,
    )


def _check_body(event: dict[str, Any]) -> None:
    body = event.get("body")
    if not body:
        return
    limit = get_settings().max_body_bytes
    if body_size(body) > limit:
        raise PayloadTooLarge(f"Forespørgslen er for stor (the request body exceeds {limit} bytes)")
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(SEND_JSON)
    check_json_body(body)


def _invalid_request(error: RequestValidationError) -> Response[Any]:
    errors = [
        {
            "location": ".".join(str(part) for part in e.get("loc", ())),
            "message": e.get("msg", "invalid"),
            "type": e.get("type", "invalid"),
        }
        for e in error.errors()
    ]
    if any(e["type"] == "json_invalid" for e in errors):
        return problem_response(BadRequest("Forespørgslen er ikke gyldig JSON (the body is not valid JSON)"))
    return problem_response(
        InvalidInput("Forespørgslen indeholder ugyldige felter (the request has invalid fields)", errors)
    )


def _unexpected(error: Exception) -> Response[Any]:
    logger.exception("unexpected error")
    return problem_response(InternalError(UNEXPECTED))
