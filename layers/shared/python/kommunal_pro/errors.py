"""Typed domain errors. Each one knows its HTTP status; `kommunal_pro.api` turns them into problem+json."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
        self.retry_after = 1
