"""One page of a Query, and the opaque cursor that fetches the next one.

A cursor is DynamoDB's LastEvaluatedKey, bound to the query it came from: base64url of the key, a dot, and a
digest over the query's scope (index and partition) and the key. A cursor is refused (400) unless its digest
matches the query being asked, its key has exactly this query's key attributes as strings, and its partition
is the one being listed. So a cursor edited by hand, or taken from another unit's or another tenant's list,
never reaches DynamoDB; and a cursor grants nothing, since it can only start a list the caller may read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any, Generic, TypeVar

from pydantic import Field

from kommunal_pro.errors import BadRequest
from kommunal_pro.models import ApiModel
from kommunal_pro.storage.schema import PK, SK, Index

ItemT = TypeVar("ItemT")
MAX_CURSOR_LENGTH = 2000


class Page(ApiModel, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last page")


def query_page(
    table: Any,
    partition: tuple[str, str],
    limit: int,
    cursor: str | None,
    index: Index | None = None,
    **query: Any,
) -> tuple[list[dict[str, Any]], str | None]:
    """Up to `limit` items of a Query whose key condition fixes `partition` (attribute, value), from where
    `cursor` left off, and the cursor of the page after (None after the last)."""
    attributes = (PK, SK) if index is None else (PK, SK, index.partition_key, index.sort_key)
    scope = f"{index.name if index else 'table'}:{partition[0]}={partition[1]}"
    if index is not None:
        query["IndexName"] = index.name
    if cursor:
        query["ExclusiveStartKey"] = _decode(cursor, scope, attributes, partition)
    page = table.query(Limit=limit, **query)
    last = page.get("LastEvaluatedKey")
    return page["Items"], _encode(last, scope) if last else None


def _digest(scope: str, payload: str) -> str:
    mac = hmac.new(scope.encode(), payload.encode(), hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _encode(last_key: dict[str, Any], scope: str) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(last_key, sort_keys=True).encode()).decode().rstrip("=")
    return f"{payload}.{_digest(scope, payload)}"


def _decode(cursor: str, scope: str, attributes: tuple[str, ...], partition: tuple[str, str]) -> dict[str, Any]:
    refused = BadRequest("Ugyldig cursor; start forfra uden cursor (the cursor is not one this list gave out)")
    payload, _, digest = cursor.partition(".")
    if len(cursor) > MAX_CURSOR_LENGTH or not hmac.compare_digest(digest, _digest(scope, payload)):
        raise refused
    try:
        key = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError):
        raise refused from None
    if (
        not isinstance(key, dict)
        or set(key) != set(attributes)
        or not all(isinstance(value, str) for value in key.values())
        or key[partition[0]] != partition[1]
    ):
        raise refused
    return key
