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
