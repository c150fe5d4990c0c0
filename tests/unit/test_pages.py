"""One page type with a cursor bound to its query: paging follows DynamoDB, and a cursor that is not this
list's own is a 400 before it can reach DynamoDB."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from boto3.dynamodb.conditions import Key

from kommunal_pro.errors import BadRequest
from kommunal_pro.storage import pages
from kommunal_pro.storage.pages import query_page
from kommunal_pro.storage.schema import GSI2

UNIT_A = "0751#UNIT#nord#WORKLIST"
UNIT_B = "0751#UNIT#syd#WORKLIST"


@pytest.fixture
def worklists(table: Any) -> Any:
    for unit, count in ((UNIT_A, 5), (UNIT_B, 2)):
        for n in range(count):
            table.put_item(Item={"PK": f"{unit}-{n}", "SK": "RESPONSE", "GSI2PK": unit, "GSI2SK": f"{n:03d}"})
    return table


def _page(table: Any, unit: str, cursor: str | None, limit: int = 2) -> tuple[list[dict[str, Any]], str | None]:
    return query_page(
        table, (GSI2.partition_key, unit), limit, cursor, GSI2, KeyConditionExpression=Key("GSI2PK").eq(unit)
    )


def test_pages_follow_the_cursor_until_the_last_page(worklists: Any) -> None:
    seen, cursor, pages = [], None, 0
    while True:
        items, cursor = _page(worklists, UNIT_A, cursor)
        seen += [item["GSI2SK"] for item in items]
        pages += 1
        if cursor is None:
            break

    assert (pages, seen) == (3, ["000", "001", "002", "003", "004"])


def test_a_cursor_looks_opaque_and_carries_no_partition_in_the_clear(worklists: Any) -> None:
    _, cursor = _page(worklists, UNIT_A, None)

    assert cursor is not None and "UNIT" not in cursor and "#" not in cursor


def _forge(key: dict[str, str], digest: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=") + "." + digest


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda c: "not-a-cursor", id="garbage"),
        pytest.param(lambda c: c.split(".")[0], id="no digest"),
        pytest.param(lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"), id="digest changed"),
        pytest.param(lambda c: _forge({"GSI2PK": UNIT_A}, c.split(".")[1]), id="key changed"),
        pytest.param(lambda c: c + "." * 2000, id="too long"),
        # Found by Schemathesis: non-ASCII text where the digest goes was a TypeError in compare_digest, a 500.
        pytest.param(lambda c: c.split(".")[0] + ".ß\u00d8,\uf600", id="non-ASCII digest"),
        pytest.param(lambda c: "2K\u008d.", id="non-ASCII payload"),
    ],
)
def test_a_tampered_cursor_is_refused(worklists: Any, tamper: Any) -> None:
    _, cursor = _page(worklists, UNIT_A, None)

    with pytest.raises(BadRequest, match="not one this list gave out"):
        _page(worklists, UNIT_A, tamper(cursor))


def test_another_lists_cursor_is_refused(worklists: Any) -> None:
    _, cursor = _page(worklists, UNIT_A, None)

    with pytest.raises(BadRequest, match="not one this list gave out"):
        _page(worklists, UNIT_B, cursor)


@pytest.mark.parametrize(
    "key",
    [
        pytest.param({"GSI2PK": UNIT_A}, id="attributes missing"),
        pytest.param({"PK": "x", "SK": "y", "GSI2PK": UNIT_A, "GSI2SK": 7}, id="not a string"),
        pytest.param({"PK": "x", "SK": "y", "GSI2PK": UNIT_B, "GSI2SK": "000"}, id="another partition"),
    ],
)
def test_a_cursor_with_a_valid_digest_but_a_key_this_query_cannot_take_is_refused(worklists: Any, key: Any) -> None:
    """The digest is no secret: whoever computes it still cannot hand DynamoDB a key of the wrong shape."""
    forged = pages._encode(key, f"GSI2:GSI2PK={UNIT_A}")

    with pytest.raises(BadRequest, match="not one this list gave out"):
        _page(worklists, UNIT_A, forged)


def _walk(read: Any) -> tuple[list[str], list[int]]:
    """Every page of `read(cursor)`: the sort keys in order and each page's size."""
    seen: list[str] = []
    sizes: list[int] = []
    cursor = None
    while True:
        items, cursor = read(cursor)
        seen += [i["GSI2SK"] for i in items]
        sizes.append(len(items))
        if cursor is None:
            return seen, sizes


def test_a_filter_reads_on_until_the_page_is_full(worklists: Any) -> None:
    odd = lambda item: int(item["GSI2SK"]) % 2 == 1  # noqa: E731
    seen, sizes = _walk(lambda c: query_page(worklists, (GSI2.partition_key, UNIT_A), 2, c, GSI2, keep=odd))
    assert (seen, sizes) == (["001", "003"], [2, 0])


def test_a_filter_that_keeps_nothing_stops_after_the_bounded_reads_with_a_cursor(
    worklists: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "MAX_READS", 2)
    items, cursor = query_page(worklists, (GSI2.partition_key, UNIT_A), 1, None, GSI2, keep=lambda _: False)
    assert items == [] and cursor is not None  # short, but the cursor goes on: 2 reads of 1 item
    rest, _ = _walk(lambda c: query_page(worklists, (GSI2.partition_key, UNIT_A), 1, c or cursor, GSI2))
    assert rest == ["002", "003", "004"]


def test_several_partitions_page_one_after_the_other_with_each_item_once(worklists: Any) -> None:
    listings = [pages.Listing((GSI2.partition_key, unit), GSI2) for unit in (UNIT_B, UNIT_A)]
    for limit in (1, 2, 3, 7):
        seen, sizes = _walk(lambda c, n=limit: pages.query_pages(worklists, listings, n, c))
        assert seen == ["000", "001", "000", "001", "002", "003", "004"]
        assert all(size == limit for size in sizes[:-1])


@pytest.mark.parametrize("cursor", ["2~", "x~abc", "1", "0~not-a-cursor"])
def test_a_cursor_of_several_partitions_that_is_not_theirs_is_refused(worklists: Any, cursor: str) -> None:
    listings = [pages.Listing((GSI2.partition_key, unit), GSI2) for unit in (UNIT_B, UNIT_A)]
    with pytest.raises(BadRequest):
        pages.query_pages(worklists, listings, 2, cursor)


def test_a_cursor_must_keep_its_lists_sort_key_prefix(table: Any) -> None:
    for sk in ("ASSIGNMENT#1", "ASSIGNMENT#2", "RESPONSE#1"):
        table.put_item(Item={"PK": "0751#CITIZEN#c1", "SK": sk})
    partition = ("PK", "0751#CITIZEN#c1")
    items, cursor = query_page(table, partition, 1, None, sort_prefix="ASSIGNMENT#")
    assert [i["SK"] for i in items] == ["ASSIGNMENT#1"] and cursor
    forged = pages._encode(
        {"PK": partition[1], "SK": "RESPONSE#0"}, pages.Listing(partition, None, "ASSIGNMENT#").scope
    )
    with pytest.raises(BadRequest):
        query_page(table, partition, 1, forged, sort_prefix="ASSIGNMENT#")
