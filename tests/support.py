"""Calling handlers as API Gateway does: the runner's route table, a proxy event, a verified principal."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import parse_qs, quote

from kommunal_pro.auth import Role
from local.apigateway import LocalLambdaContext, proxy_event
from local.seed import DEMO_UNIT
from local.server import Route, build_routes
from local.tokens import citizen_claims, dev_claims
from tests.json_values import as_object


@dataclass
class Result:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def problem(self) -> dict[str, Any]:
        assert self.headers.get("Content-Type") == "application/problem+json", self.headers
        return as_object(self.body)


@cache
def _routes() -> list[Route]:
    return build_routes()


UNIT = DEMO_UNIT


def staff(role: Role, municipality: str | None = "0751", **kwargs: Any) -> dict[str, Any]:
    """Staff claims; employees belong to the unit UNIT unless told otherwise."""
    if role is Role.CITIZEN:
        return citizen("010180-1234")
    if role is Role.EMPLOYEE:
        kwargs.setdefault("units", [UNIT])
    return dev_claims(role, None if role is Role.NATIONAL_ADMIN else municipality, **kwargs)


def citizen(cpr: str, name: str = "Borger") -> dict[str, Any]:
    return citizen_claims(cpr, name)


def change_municipality(api: ApiClient, code: str, settings: dict[str, Any]) -> Result:
    """As national-admin: read the municipality's ETag and PATCH `settings` (API field names) with it."""
    admin = staff(Role.NATIONAL_ADMIN)
    etag = api.call("GET", f"/v1/municipalities/{code}", claims=admin).headers["ETag"]
    result = api.call("PATCH", f"/v1/municipalities/{code}", claims=admin, body=settings, headers={"If-Match": etag})
    assert result.status == 200, result.body
    return result


class ApiClient:
    def call(
        self,
        method: str,
        path: str,
        *,
        claims: dict[str, Any] | None = None,
        body: Any = None,
        raw_body: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Result:
        path, _, query = path.partition("?")
        route, params = next(
            (r, m.groupdict()) for r in _routes() if r.method == method and (m := r.pattern.match(path))
        )
        headers = dict(headers or {})
        text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
        if text is not None:
            headers.setdefault("Content-Type", "application/json")
        event = proxy_event(
            method,
            path,
            resource=route.resource,
            path_parameters=params,
            query=parse_qs(query, keep_blank_values=True),
            headers=headers,
            body=text,
            claims=claims,
        )
        response = route.module.lambda_handler(event, LocalLambdaContext(function_name=route.function))
        payload = json.loads(response["body"]) if response.get("body") else None
        merged = dict(response.get("headers") or {})
        merged.update({k: ", ".join(v) for k, v in (response.get("multiValueHeaders") or {}).items()})
        return Result(response["statusCode"], merged, payload)

    def every_page(self, path: str, *, claims: dict[str, Any], limit: int) -> tuple[list[dict[str, Any]], int]:
        """Every item of a paged list, following `nextCursor` `limit` items at a time; and how many pages."""
        items: list[dict[str, Any]] = []
        cursor, pages = None, 0
        while pages == 0 or cursor is not None:
            query = f"limit={limit}" + (f"&cursor={quote(cursor)}" if cursor else "")
            result = self.call("GET", f"{path}{'&' if '?' in path else '?'}{query}", claims=claims)
            assert result.status == 200, result.body
            assert len(result.body["items"]) <= limit
            items += result.body["items"]
            cursor, pages = result.body["nextCursor"], pages + 1
            assert pages <= 1000, "the cursor never ends"
        return items, pages


def open_now(*, due_in_days: int) -> dict[str, str]:
    """A once-schedule that opened an hour ago: its task can be answered right away."""
    opens = datetime.now(UTC) - timedelta(hours=1)
    return {"kind": "once", "opensAt": opens.isoformat(), "dueAt": (opens + timedelta(days=due_in_days)).isoformat()}


def table_snapshot(table: Any) -> list[dict[str, Any]]:
    """The whole table, sorted, to show that a refused request wrote nothing (a Scan is fine in a test; product
    code never scans)."""
    items: list[dict[str, Any]] = []
    page: dict[str, Any] = table.scan()
    items += page["Items"]
    while "LastEvaluatedKey" in page:
        page = table.scan(ExclusiveStartKey=page["LastEvaluatedKey"])
        items += page["Items"]
    return sorted(items, key=lambda i: (i["PK"], i["SK"]))
