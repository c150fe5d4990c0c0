"""One page of a Query, and the opaque cursor that fetches the next one.

A cursor is DynamoDB's LastEvaluatedKey, bound to the query it came from: base64url of the key, a dot, and a
digest over the query's scope (index and partition) and the key. A cursor is refused (400) unless its digest
matches the query being asked, its key has exactly this query's key attributes as strings, and its partition
is the one being listed. So a cursor edited by hand, or taken from another unit's or another tenant's list,
never reaches DynamoDB; and a cursor grants nothing, since it can only start a list the caller may read.

A list filtered after reading (`keep`) reads on until the page is full or the partition ends, at most
MAX_READS queries, so a filter never makes a page short unless a cursor follows it. A list of several
partitions read one after another (`query_pages`) has cursors "<partition's position>~<cursor there>".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from boto3.dynamodb.conditions import Key
from pydantic import Field

from kommunal_pro.errors import BadRequest
from kommunal_pro.models import ApiModel
from kommunal_pro.storage.schema import PK, SK, Index

ItemT = TypeVar("ItemT")
MAX_CURSOR_LENGTH = 2000
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_READS = 10
Keep = Callable[[dict[str, Any]], bool]


class Page(ApiModel, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last page")


@dataclass(frozen=True)
class Listing:
    """One Query of a list: the partition it reads (attribute, value), its index, the prefix its sort key
    begins with (which a cursor's key must have too), and the rest of the request (ScanIndexForward, or a
    KeyConditionExpression other than partition and prefix)."""

    partition: tuple[str, str]
    index: Index | None = None
    sort_prefix: str | None = None
    query: dict[str, Any] = field(default_factory=dict)

    @property
    def scope(self) -> str:
        scope = f"{self.index.name if self.index else 'table'}:{self.partition[0]}={self.partition[1]}"
        return scope if self.sort_prefix is None else f"{scope}:{self.sort_key}^{self.sort_prefix}"

    @property
    def sort_key(self) -> str:
        return SK if self.index is None else self.index.sort_key

    @property
    def key_condition(self) -> Any:
        condition = Key(self.partition[0]).eq(self.partition[1])
        return condition if self.sort_prefix is None else condition & Key(self.sort_key).begins_with(self.sort_prefix)

    @property
    def attributes(self) -> tuple[str, ...]:
        return (PK, SK) if self.index is None else (PK, SK, self.index.partition_key, self.index.sort_key)


def query_page(
    table: Any,
    partition: tuple[str, str],
    limit: int,
    cursor: str | None,
    index: Index | None = None,
    keep: Keep | None = None,
    sort_prefix: str | None = None,
    **query: Any,
) -> tuple[list[dict[str, Any]], str | None]:
    """Up to `limit` items of a Query of `partition` (attribute, value), from where `cursor` left off, and the
    cursor of the page after (None after the last)."""
    listing = Listing(partition, index, sort_prefix, query)
    start = _decode(cursor, listing) if cursor else None
    items, last = _fill(table, listing, limit, start, keep)
    return items, _encode(last, listing.scope) if last else None


def query_pages(
    table: Any, listings: Sequence[Listing], limit: int, cursor: str | None, keep: Keep | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Like query_page over several partitions in turn, each read to its end before the next."""
    position, start = 0, None
    if cursor:
        head, separator, inner = cursor.partition("~")
        if not separator or not head.isdigit() or int(head) >= len(listings):
            raise _refused()
        position = int(head)
        start = _decode(inner, listings[position])
    items: list[dict[str, Any]] = []
    while position < len(listings):
        listing = listings[position]
        more, last = _fill(table, listing, limit - len(items), start, keep)
        items += more
        if last:
            return items, f"{position}~{_encode(last, listing.scope)}"
        position, start = position + 1, None
        if len(items) == limit and position < len(listings):
            return items, f"{position}~.{_digest(listings[position].scope, '')}"
    return items, None


def _fill(
    table: Any, listing: Listing, limit: int, start: dict[str, Any] | None, keep: Keep | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The kept items of up to MAX_READS queries until `limit` are kept, and the key to go on from (None at
    the partition's end). A page that fills part-way through a read goes on from its last item."""
    query = {"KeyConditionExpression": listing.key_condition, **listing.query}
    if listing.index is not None:
        query["IndexName"] = listing.index.name
    items: list[dict[str, Any]] = []
    for _ in range(MAX_READS):
        page = table.query(Limit=limit, **query, **({"ExclusiveStartKey": start} if start else {}))
        batch, start = page["Items"], page.get("LastEvaluatedKey")
        for position, item in enumerate(batch):
            if keep is None or keep(item):
                items.append(item)
                if len(items) == limit:
                    more = start is not None or position < len(batch) - 1
                    return items, {a: item[a] for a in listing.attributes} if more else None
        if start is None:
            break
    return items, start


def _digest(scope: str, payload: str) -> str:
    mac = hmac.new(scope.encode(), payload.encode(), hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _encode(last_key: dict[str, Any], scope: str) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(last_key, sort_keys=True).encode()).decode().rstrip("=")
    return f"{payload}.{_digest(scope, payload)}"


def _refused() -> BadRequest:
    return BadRequest("Ugyldig cursor; start forfra uden cursor (the cursor is not one this list gave out)")


def _decode(cursor: str, listing: Listing) -> dict[str, Any] | None:
    """The key a cursor goes on from; None for the start of the partition (a cursor "." + digest, which
    query_pages gives when a page ends with a partition)."""
    payload, _, digest = cursor.partition(".")
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (a TypeError, so once a 500).
    expected = _digest(listing.scope, payload).encode()
    if len(cursor) > MAX_CURSOR_LENGTH or not hmac.compare_digest(digest.encode(errors="surrogateescape"), expected):
        raise _refused()
    if not payload:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError):
        raise _refused() from None
    attribute, value = listing.partition
    if (
        not isinstance(key, dict)
        or set(key) != set(listing.attributes)
        or not all(isinstance(v, str) for v in key.values())
        or key[attribute] != value
        or not key[listing.sort_key].startswith(listing.sort_prefix or "")
    ):
        raise _refused()
    return key
