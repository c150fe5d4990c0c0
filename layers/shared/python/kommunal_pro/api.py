"""API plumbing shared by every HTTP function: the resolver, authentication, role checks, problem+json.

A function module does three things: `app = create_app()`, routes with
`middlewares=[requires(<roles>, tenants=<the municipality service>)]`, and `lambda_handler = lambda_handler_for(app)`.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Protocol

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.api_gateway import Route
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from kommunal_pro.auth import Principal, Role, principal_from_event
from kommunal_pro.concurrency import IDEMPOTENCY_KEY_PATTERN, IF_MATCH_PATTERN
from kommunal_pro.config import get_settings
from kommunal_pro.errors import (
    ERROR_CODES,
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
    pydantic_error,
)
from kommunal_pro.json_body import body_size, check_json_body
from kommunal_pro.observability import logger, metrics
from kommunal_pro.storage.pages import DEFAULT_PAGE_SIZE, MAX_CURSOR_LENGTH, MAX_PAGE_SIZE
from kommunal_pro.storage.table import ConditionFailed, Contention

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.models import Tag
    from aws_lambda_powertools.event_handler.openapi.params import Dependant
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

PROBLEM_JSON = "application/problem+json"
# What a storage refusal that no service translated means to the caller: never a 500.
CHANGED_MEANWHILE = Conflict(
    "Data blev ændret imens; hent dem igen og prøv igen (the data changed meanwhile; fetch and retry)"
)
BUSY = ServiceBusy("Systemet er optaget lige nu; prøv igen om et øjeblik (the service is busy; retry in a moment)")
Middleware = Callable[[APIGatewayRestResolver, Callable[..., Response[Any]]], Response[Any]]
# The `cursor` query parameter of every paged list route.
CursorQuery = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_LENGTH, description="The `nextCursor` of the page before; none for the first page"),
]
# A page's size: `limit: LimitQuery = DEFAULT_PAGE_SIZE` (outside 1..MAX_PAGE_SIZE is a 422).
LimitQuery = Annotated[
    int,
    Query(ge=1, le=MAX_PAGE_SIZE, description=f"Items per page, at most {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})"),
]


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
    """The Lambda entry point: authenticate, check the caller's role and the body, then route, validate, resolve.

    The role is checked here, before Powertools validates the request, so a caller without the role is told
    403 and learns nothing of the route's fields (the route's own middleware checks it again, with the tenant)."""
    roles_by_route: dict[tuple[str, str], frozenset[Role]] = {}

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            principal = principal_from_event(event)
            if not roles_by_route:
                roles_by_route.update(_roles_by_route(app))
            if (roles := roles_by_route.get((event.get("httpMethod", ""), event.get("resource", "")))) is not None:
                principal.require_role(roles)
            _check_body(event)
            app.append_context(principal=principal)
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


@dataclass(frozen=True)
class RoleCheck:
    """Route middleware: the caller holds one of `roles` and `tenants()` finds their municipality enabled. It
    remembers its roles, so the OpenAPI document states them (`x-roles`)."""

    roles: frozenset[Role]
    tenants: Callable[[], TenantCheck]
    # Powertools names each middleware in its stack (and logs it) by `__name__`, as for a function.
    __name__ = "requires"

    def __call__(self, app: APIGatewayRestResolver, next_middleware: Callable[..., Response[Any]]) -> Response[Any]:
        principal = current_principal(app)
        principal.require_role(self.roles)
        self.tenants().ensure_enabled(principal)
        return next_middleware(app)


def _routes(app: APIGatewayRestResolver) -> list[Route]:
    """Powertools' route table: it has no public accessor, so this is the one place that reads it."""
    return app._static_routes + app._dynamic_routes


def _roles_by_route(app: APIGatewayRestResolver) -> dict[tuple[str, str], frozenset[Role]]:
    """Each route's accepted roles by (method, API Gateway resource path), from its RoleCheck."""
    return {
        (route.method, re.sub(r"<(\w+)>", r"{\1}", route.path)): check.roles
        for route in _routes(app)
        for check in route.middlewares
        if isinstance(check, RoleCheck)
    }


def requires(*roles: Role, tenants: Callable[[], TenantCheck]) -> RoleCheck:
    """Route middleware: the caller holds one of `roles` and `tenants()` finds their municipality enabled."""
    return RoleCheck(frozenset(roles), tenants)


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
    if media_type != "application/json":
        _as_plain_json(event)


def _as_plain_json(event: dict[str, Any]) -> None:
    """A JSON-family body (`application/fhir+json` from a FHIR tool) goes on as application/json: the one type
    Powertools' validation parses, which refused any other with an error that was once a 500."""
    for name in [name for name in event.get("headers") or {} if name.lower() == "content-type"]:
        event["headers"][name] = "application/json"
    for name in [name for name in event.get("multiValueHeaders") or {} if name.lower() == "content-type"]:
        event["multiValueHeaders"][name] = ["application/json"]


def _invalid_request(error: RequestValidationError) -> Response[Any]:
    details = error.errors()
    if any(e.get("type") == "json_invalid" for e in details):
        return problem_response(BadRequest("Forespørgslen er ikke gyldig JSON (the body is not valid JSON)"))
    errors = [pydantic_error(e, ".".join(str(part) for part in e.get("loc", ()))) for e in details]
    return problem_response(
        InvalidInput("Forespørgslen indeholder ugyldige felter (the request has invalid fields)", errors)
    )


def _unexpected(error: Exception) -> Response[Any]:
    logger.exception("unexpected error")
    return problem_response(InternalError(UNEXPECTED))


# --- The OpenAPI document -----------------------------------------------------------------------------------------
# What each route does, stated from what it is: its roles (its RoleCheck), its body, path ids and headers. Every
# error is problem+json with the one `Problem` schema.

TITLE = "Kommunal PRO"
VERSION = "1"
DESCRIPTION = (
    "Patient-reported outcomes for Danish municipalities. Every call carries a bearer token (Cognito); each "
    "operation names the roles it accepts in `x-roles`. Errors are application/problem+json (RFC 9457, the "
    "`Problem` schema). Writes of an existing record need `If-Match` with its last ETag; submitting answers "
    "needs an `Idempotency-Key`. A CPR number is only ever sent in a request body."
)
_REF = "#/components/schemas/"
# Headers the services refuse to go without: a missing If-Match is a 428, a missing or malformed
# Idempotency-Key a 400 (problem+json, not Powertools' 422), so they are optional to the resolver and marked
# required in the document.
REQUIRED_HEADERS: dict[str, tuple[str, dict[str, Any]]] = {
    "if-match": (
        "If-Match",
        {"type": "string", "title": "If-Match", "pattern": IF_MATCH_PATTERN, "description": "The ETag you last read"},
    ),
    "idempotency-key": (
        "Idempotency-Key",
        {
            "type": "string",
            "title": "Idempotency-Key",
            "pattern": IDEMPOTENCY_KEY_PATTERN,
            "description": "Letters, digits and dashes; a retry with the same key returns the same receipt",
        },
    ),
}
PROBLEM_SCHEMAS: dict[str, dict[str, Any]] = {
    "Problem": {
        "title": "Problem",
        "description": "An RFC 9457 problem: what went wrong, in Danish and English (`detail`). Some problems add "
        "fields, e.g. the existing citizen's id on a 409.",
        "type": "object",
        "properties": {
            "type": {"type": "string", "format": "uri", "title": "Type"},
            "title": {"type": "string", "title": "Title"},
            "status": {"type": "integer", "title": "Status"},
            "detail": {"type": "string", "title": "Detail"},
            "instance": {"type": "string", "title": "Instance"},
            "errors": {"type": "array", "items": {"$ref": f"{_REF}ProblemError"}, "title": "Errors"},
        },
        "required": ["type", "title", "status", "detail"],
        "additionalProperties": True,
    },
    "ProblemError": {
        "title": "ProblemError",
        "description": "One invalid field: a stable machine-readable `code`, where it is (`body.items.0.linkId`, "
        "`answers.<linkId>`, `header.Idempotency-Key`, `query.status`, `path.version`), and what is wrong in Danish "
        "(`messageDa`, to show the citizen or staff member at the field) and in English (`messageEn`).",
        "type": "object",
        "properties": {
            "code": {
                "type": "string",
                "title": "Code",
                "enum": [code.value for code in ERROR_CODES],
                "description": "What is wrong:\n"
                + "\n".join(f"- `{code.value}`: {meaning}" for code, (meaning, _) in ERROR_CODES.items()),
            },
            "location": {"type": "string", "title": "Location"},
            "messageDa": {
                "type": "string",
                "title": "Message in Danish",
                "description": "Danish, for the citizen or staff",
            },
            "messageEn": {"type": "string", "title": "Message in English", "description": "English"},
        },
        "required": ["code", "location", "messageDa", "messageEn"],
        "additionalProperties": False,
    },
}
_ERRORS = {
    400: "Bad request: the body is not valid JSON, a header is missing or malformed, or the cursor is not this list's",
    401: "No valid bearer token",
    403: "The caller's role or municipality does not allow this",
    404: "Not found",
    409: "Conflict: the state does not allow this, or the data changed meanwhile",
    412: "If-Match does not match the current ETag: fetch again and retry",
    413: "The request body is too large",
    415: "The body is not sent as application/json",
    422: "Invalid fields: `errors` names each one",
    428: "If-Match is required: send the ETag you last read",
    500: "Unexpected error",
    503: "The service is busy: retry after Retry-After seconds",
}
_SUCCESS = {200: "OK", 201: "Created", 204: "No content"}
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def problem(description: str) -> OpenAPIResponse:
    """An error response of a route, in problem+json (for a route's `responses={<status>: problem(...)}`)."""
    return {"description": description, "content": {PROBLEM_JSON: {"schema": {"$ref": f"{_REF}Problem"}}}}


def created(location: bool) -> dict[int, OpenAPIResponse]:
    """The `responses` of a route that answers 201, with the Location header where it sends one."""
    response: OpenAPIResponse = {"description": _SUCCESS[201]}
    if location:
        response["headers"] = {"Location": {"description": "The new resource's address", "schema": {"type": "string"}}}
    return {201: response}


def fhir_json(description: str) -> dict[int, OpenAPIResponse]:
    """The `responses` of a route that answers 200 with a FHIR R4 resource (application/fhir+json)."""
    return {200: {"description": description, "content": {"application/fhir+json": {"schema": {"type": "object"}}}}}


def error_statuses(method: str, dependant: Dependant) -> list[int]:
    """The error statuses a route can answer, from what it takes: every route authenticates (401, 403), may
    find storage busy (503) or fail (500); a body can be malformed, too large, not JSON or invalid; an id in the
    path may name nothing; a list's cursor may not be one it gave out; a write may conflict; If-Match may be
    missing, malformed or stale."""
    statuses = {401, 403, 500, 503}
    headers = {field.alias.lower() for field in dependant.header_params}
    if dependant.body_params:
        statuses |= {400, 413, 415, 422}
    if dependant.path_params:
        statuses |= {404, 422}
    if dependant.query_params:
        statuses.add(422)
    if any(field.alias == "cursor" for field in dependant.query_params):
        statuses.add(400)
    if method in _WRITES:
        statuses.add(409)
    if "if-match" in headers:
        statuses |= {400, 412, 428}
    if "idempotency-key" in headers:
        statuses.add(400)
    return sorted(statuses)


def _describe(app: APIGatewayRestResolver) -> None:
    """Fill in each route's tag, summary, description, roles, security and responses from the route itself."""
    for route in _routes(app):
        if route.openapi_extensions and "x-roles" in route.openapi_extensions:
            continue  # already described
        checks = [m for m in route.middlewares if isinstance(m, RoleCheck)]
        if len(checks) != 1:
            raise ValueError(f"{route.method} {route.path} needs exactly one requires(...) middleware")
        module = route.func.__module__.split(".")
        route.tags = route.tags or [module[1] if module[0] == "functions" and len(module) > 2 else module[-1]]
        route.summary = route.summary or route.func.__name__.replace("_", " ").capitalize()
        route.description = route.description or inspect.cleandoc(route.func.__doc__ or "")
        route.security = [{"bearer": []}]
        route.openapi_extensions = {"x-roles": sorted(role.value for role in checks[0].roles)}
        declared = dict(route.responses or {})
        success = {code: response for code, response in declared.items() if code < 400}
        if not success:
            success = {route.status_code: {"description": _SUCCESS.get(route.status_code, "OK")}}
        errors = {code: problem(_ERRORS[code]) for code in error_statuses(route.method, route.dependant)}
        errors |= {code: response for code, response in declared.items() if code >= 400}
        route.responses = dict(sorted((success | errors).items()))


def _tags(app: APIGatewayRestResolver) -> list[Tag | str]:
    """The function's tag, described by its handler module's docstring."""
    from aws_lambda_powertools.event_handler.openapi.models import Tag

    tags: dict[str, Tag] = {}
    for route in _routes(app):
        for tag in route.tags:
            doc = inspect.cleandoc(sys.modules[route.func.__module__].__doc__ or tag)
            tags.setdefault(tag, Tag(name=tag, description=" ".join(doc.split())))
    return list(tags.values())


def openapi_document(app: APIGatewayRestResolver) -> dict[str, Any]:
    """The function's OpenAPI document as it is served: routes described, every error the one `Problem`,
    the services' required headers required, no Powertools validation-error schemas."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer  # only the document needs it

    _describe(app)
    document: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(
            title=TITLE,
            version=VERSION,
            description=DESCRIPTION,
            security_schemes={
                "bearer": HTTPBearer(
                    bearerFormat="JWT",
                    description="An ID token from the Cognito user pool: staff (with role and municipality "
                    "claims) or citizens (MitID, with the CPR claim)",
                )
            },
            security=[{"bearer": []}],
            tags=_tags(app),
        )
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(name, None)
    schemas.update(PROBLEM_SCHEMAS)
    for item in document.get("paths", {}).values():
        for operation in item.values():
            # Powertools adds its own 422 to every route; `_describe` replaced it where the route can answer one.
            responses = operation["responses"]
            if "HTTPValidationError" in json.dumps(responses.get("422", {})):
                del responses["422"]
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "header" and parameter["name"].lower() in REQUIRED_HEADERS:
                    name, schema = REQUIRED_HEADERS[parameter["name"].lower()]
                    parameter |= {"name": name, "required": True, "schema": schema}
    return document
