"""Every list pages the same way: `limit` within 1..100, and a cursor this list did not give out is a 400."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest

from kommunal_pro.auth import Role
from kommunal_pro.storage.pages import MAX_PAGE_SIZE
from local.orgsync import sync_folder
from tests.org_data import NOW
from tests.support import UNIT, ApiClient, citizen, open_now, staff

NURSE = staff(Role.EMPLOYEE, "0751")
ADMIN = staff(Role.ADMIN, "0751")
NATIONAL_ADMIN = staff(Role.NATIONAL_ADMIN)
HANNE = citizen("070365-4286", "Hanne")
REFUSED = "Ugyldig cursor; start forfra uden cursor (the cursor is not one this list gave out)"
WHO5 = {f"who5-{n}": ["3"] for n in range(1, 6)}


@dataclass
class Lists:
    api: ApiClient
    hanne: str
    anders: str

    def routes(self) -> list[tuple[str, dict[str, Any]]]:
        """Each list and a caller who sees at least two items in it."""
        return [
            ("/v1/questionnaires", ADMIN),
            (f"/v1/citizens/{self.hanne}/responses", NURSE),
            (f"/v1/citizens/{self.hanne}/assignments", NURSE),
            ("/v1/me/responses", HANNE),
            ("/v1/me/tasks", HANNE),
            ("/v1/municipalities", NATIONAL_ADMIN),
            ("/v1/municipalities/0751/units", NURSE),
        ]


def _citizen_with_tasks(api: ApiClient, cpr: str, name: str) -> str:
    """A citizen with four open WHO-5 tasks, two of them answered."""
    registered = api.call(
        "POST", "/v1/citizens", claims=NURSE, body={"cpr": cpr, "name": name, "consentToDigitalPro": True}
    )
    assert registered.status == 201, registered.body
    citizen_id = registered.body["id"]
    once = open_now(due_in_days=3)
    for n in range(4):
        body = {"questionnaireId": "who-5", "unitId": UNIT, "schedule": once}
        assigned = api.call("POST", f"/v1/citizens/{citizen_id}/assignments", claims=NURSE, body=body)
        assert assigned.status == 201, assigned.body
        if n < 2:
            path = f"/v1/me/tasks/{assigned.body['tasks'][0]['id']}/response"
            headers = {"Idempotency-Key": f"paging-test-{n:04d}"}
            submitted = api.call("POST", path, claims=citizen(cpr, name), body={"answers": WHO5}, headers=headers)
            assert submitted.status == 201, submitted.body
    return str(citizen_id)


@pytest.fixture
def lists(api: ApiClient, seeded: Any) -> Lists:
    assert not sync_folder(now=NOW).aborted
    return Lists(
        api, _citizen_with_tasks(api, "070365-4286", "Hanne"), _citizen_with_tasks(api, "120455-1238", "Anders")
    )


def _first_cursor(api: ApiClient, path: str, claims: dict[str, Any]) -> str:
    result = api.call("GET", f"{path}{'&' if '?' in path else '?'}limit=1", claims=claims)
    assert result.status == 200 and len(result.body["items"]) == 1 and result.body["nextCursor"], (path, result.body)
    return str(result.body["nextCursor"])


def test_limit_outside_1_to_the_maximum_is_a_422_and_the_default_is_50(lists: Lists) -> None:
    for path, claims in lists.routes():
        for limit in ("0", "-1", str(MAX_PAGE_SIZE + 1), "ten"):
            result = lists.api.call("GET", f"{path}?limit={limit}", claims=claims)
            assert result.status == 422, (path, limit, result.body)
            assert [e["location"] for e in result.problem["errors"]] == ["query.limit"]
        widest = lists.api.call("GET", f"{path}?limit={MAX_PAGE_SIZE}", claims=claims)
        assert widest.status == 200 and len(widest.body["items"]) >= 2, (path, widest.body)
    municipalities = lists.api.call("GET", "/v1/municipalities", claims=NATIONAL_ADMIN).body
    assert len(municipalities["items"]) == 50 and municipalities["nextCursor"]


def test_a_tampered_garbage_or_foreign_cursor_is_refused(lists: Lists) -> None:
    routes = lists.routes()
    cursors = [_first_cursor(lists.api, path, claims) for path, claims in routes]
    for n, (path, claims) in enumerate(routes):
        own = cursors[n]
        payload, _, digest = own.rpartition(".")
        tampered = [
            own[:-1] + ("A" if own[-1] != "A" else "B"),
            f"{payload[:-2]}xx.{digest}",
            "not-a-cursor",
            "9~" + own.partition("~")[2],
            cursors[(n + 1) % len(routes)],  # another list's
        ]
        for cursor in tampered:
            result = lists.api.call("GET", f"{path}?cursor={quote(cursor)}", claims=claims)
            assert result.status == 400, (path, cursor, result.body)
            assert result.problem["detail"] == REFUSED
        too_long = lists.api.call("GET", f"{path}?cursor={'A' * 2001}", claims=claims)
        assert too_long.status == 422, (path, too_long.body)


@pytest.mark.parametrize("kind", ["responses", "assignments"])
def test_one_citizens_cursor_does_not_page_anothers_list(lists: Lists, kind: str) -> None:
    hannes = _first_cursor(lists.api, f"/v1/citizens/{lists.hanne}/{kind}", NURSE)
    result = lists.api.call("GET", f"/v1/citizens/{lists.anders}/{kind}?cursor={quote(hannes)}", claims=NURSE)
    assert result.status == 400 and result.problem["detail"] == REFUSED
