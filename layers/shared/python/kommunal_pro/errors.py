"""Typed domain errors. Each one knows its HTTP status; `kommunal_pro.api` turns them into problem+json."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RETRY_AFTER_SECONDS = 1  # what a 503 asks a client to wait before it retries the same request


@dataclass
class Problem(Exception):
    """An RFC 9457 problem: a status, a short title and a human-readable detail in Danish and English."""

    detail: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    status: int = 400
    title: str = "Bad request"
    extensions: dict[str, Any] = field(default_factory=dict)
    retry_after: int | None = None  # seconds, for a 503 the client may simply retry

    def __post_init__(self) -> None:
        super().__init__(self.detail)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://kommunal-pro.dk/problems/{self.title.lower().replace(' ', '-')}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = self.errors
        return body | self.extensions


class _Fixed(Problem):
    """A problem whose status and title are fixed by its class, so call sites say only what went wrong."""

    STATUS = 400
    TITLE = "Bad request"

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None, **extensions: Any) -> None:
        super().__init__(
            detail=detail, errors=errors or [], status=self.STATUS, title=self.TITLE, extensions=extensions
        )


class BadRequest(_Fixed):
    STATUS, TITLE = 400, "Bad request"


class Unauthenticated(_Fixed):
    STATUS, TITLE = 401, "Unauthenticated"


class Forbidden(_Fixed):
    STATUS, TITLE = 403, "Forbidden"


class NotFound(_Fixed):
    STATUS, TITLE = 404, "Not found"


class Conflict(_Fixed):
    STATUS, TITLE = 409, "Conflict"


class PreconditionFailed(_Fixed):
    STATUS, TITLE = 412, "Precondition failed"


class PayloadTooLarge(_Fixed):
    STATUS, TITLE = 413, "Payload too large"


class UnsupportedMediaType(_Fixed):
    STATUS, TITLE = 415, "Unsupported media type"


class InvalidInput(_Fixed):
    STATUS, TITLE = 422, "Invalid input"


class PreconditionRequired(_Fixed):
    STATUS, TITLE = 428, "Precondition required"


class ServiceBusy(_Fixed):
    """Storage was busy (a concurrent transaction, throttling): the same request may succeed in a moment."""

    STATUS, TITLE = 503, "Service busy"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.retry_after = RETRY_AFTER_SECONDS


class TooManyRequests(_Fixed):
    STATUS, TITLE = 429, "Too many requests"


class GatewayTimeout(_Fixed):
    STATUS, TITLE = 504, "Gateway timeout"


class InternalError(_Fixed):
    STATUS, TITLE = 500, "Internal error"


NOT_SIGNED_IN = "Du skal være logget ind (a valid bearer token is required)"
NO_SUCH_ROUTE = "Ukendt adresse (no such route)"
SEND_JSON = "Send JSON med Content-Type: application/json (send the body as application/json)"
UNEXPECTED = "Der opstod en uventet fejl; prøv igen (an unexpected error occurred; try again)"
_ACCESS_DENIED = Forbidden("Adgang nægtet (access denied)")
_THROTTLED = TooManyRequests("For mange forespørgsler; prøv igen om lidt (too many requests; try again shortly)")
_NO_ANSWER = GatewayTimeout("Tjenesten svarede ikke i tide; prøv igen (the service did not answer in time; try again)")

# What API Gateway answers itself, before any function runs, by gateway response type: the same problem+json
# as the functions answer. infra/api.py configures them as the REST API's gateway responses, and the local
# runner answers with them. Every 4XX and 5XX type has its own row, so that DEFAULT_4XX and DEFAULT_5XX only
# catch types API Gateway adds later. The body also carries API Gateway's own message, in "message".
GATEWAY_PROBLEMS: dict[str, Problem] = {
    "UNAUTHORIZED": Unauthenticated(NOT_SIGNED_IN),
    "ACCESS_DENIED": _ACCESS_DENIED,
    "EXPIRED_TOKEN": _ACCESS_DENIED,
    "INVALID_SIGNATURE": _ACCESS_DENIED,
    "INVALID_API_KEY": _ACCESS_DENIED,
    "WAF_FILTERED": Forbidden(
        "Forespørgslen blev afvist af firewallen (the request was blocked by the web application firewall)"
    ),
    # API Gateway answers a path or method it has no route for with 403 "Missing Authentication Token".
    "MISSING_AUTHENTICATION_TOKEN": NotFound(NO_SUCH_ROUTE),
    "RESOURCE_NOT_FOUND": NotFound(NO_SUCH_ROUTE),
    "REQUEST_TOO_LARGE": PayloadTooLarge("Forespørgslen er for stor (the request is too large)"),
    "UNSUPPORTED_MEDIA_TYPE": UnsupportedMediaType(SEND_JSON),
    "THROTTLED": _THROTTLED,
    "QUOTA_EXCEEDED": _THROTTLED,
    "BAD_REQUEST_BODY": BadRequest(
        "Forespørgslens krop skal være et JSON-objekt (the request body must be a JSON object)"
    ),
    "BAD_REQUEST_PARAMETERS": BadRequest(
        "Forespørgslens parametre er ugyldige (a request parameter is missing or invalid)"
    ),
    "DEFAULT_4XX": BadRequest("Forespørgslen blev afvist (the request was refused)"),
    "INTEGRATION_FAILURE": _NO_ANSWER,
    "INTEGRATION_TIMEOUT": _NO_ANSWER,
    "API_CONFIGURATION_ERROR": InternalError(UNEXPECTED),
    "AUTHORIZER_CONFIGURATION_ERROR": InternalError(UNEXPECTED),
    "AUTHORIZER_FAILURE": InternalError(UNEXPECTED),
    "DEFAULT_5XX": InternalError(UNEXPECTED),
}
