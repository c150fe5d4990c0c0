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


def _problem(status: int, title: str) -> type[Problem]:
    """A Problem subclass with a fixed status and title, so call sites only say what went wrong."""

    def __init__(self: Problem, detail: str, errors: list[dict[str, Any]] | None = None, **extensions: Any) -> None:
        Problem.__init__(self, detail=detail, errors=errors or [], status=status, title=title, extensions=extensions)

    return type(title.title().replace(" ", ""), (Problem,), {"__init__": __init__})


BadRequest = _problem(400, "Bad request")
Unauthenticated = _problem(401, "Unauthenticated")
Forbidden = _problem(403, "Forbidden")
NotFound = _problem(404, "Not found")
Conflict = _problem(409, "Conflict")
PreconditionFailed = _problem(412, "Precondition failed")
PayloadTooLarge = _problem(413, "Payload too large")
UnsupportedMediaType = _problem(415, "Unsupported media type")
InvalidInput = _problem(422, "Invalid input")
PreconditionRequired = _problem(428, "Precondition required")
