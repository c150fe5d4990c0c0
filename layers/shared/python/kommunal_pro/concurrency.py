"""Optimistic concurrency over HTTP: a record's version travels as an ETag and comes back as If-Match; a retried
submission is known by its Idempotency-Key."""

from __future__ import annotations

import re

from kommunal_pro.errors import BadRequest, PreconditionRequired

# What an If-Match may be: an ETag we sent (`"3"`, weak `W/"3"`) or its bare version; the document states the same.
IF_MATCH_PATTERN = r'^(W/)?("[0-9]{1,9}"|[0-9]{1,9})$'
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9-]{8,128}$"


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int:
    """The version the client last saw, from its If-Match header. Writes without one are refused (428)."""
    if not if_match:
        raise PreconditionRequired(
            "Send If-Match med den ETag du sidst læste (send If-Match with the ETag you last read)"
        )
    if not re.fullmatch(IF_MATCH_PATTERN, if_match.strip()):
        raise BadRequest("If-Match skal være en ETag fra en tidligere læsning (If-Match must be an ETag we sent)")
    return int(if_match.strip().removeprefix("W/").strip('"'))
