"""Optimistic concurrency over HTTP: a record's version travels as an ETag and comes back as If-Match."""

from __future__ import annotations

from kommunal_pro.errors import BadRequest, PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int:
    """The version the client last saw, from its If-Match header. Writes without one are refused (428)."""
    if not if_match:
        raise PreconditionRequired(
            "Send If-Match med den ETag du sidst læste (send If-Match with the ETag you last read)"
        )
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise BadRequest("If-Match skal være en ETag fra en tidligere læsning (If-Match must be an ETag we sent)")
    return int(value)
