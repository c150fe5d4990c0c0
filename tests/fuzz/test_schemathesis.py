"""Schemathesis against the whole API, from the committed docs/openapi.json, with a token for each role.

In-process by default: the local API Gateway (`local.server.LocalApi`: routing, the authorizer, gateway problems)
as a WSGI app in front of the real handlers, on moto's in-process mock seeded with the demo data and one submitted
response, so path ids exist. Every operation is one test item per role: 100 cases (positive and negative data
mixed) for each role in its `x-roles`, 10 for every other role, which must get a 4xx. Hypothesis is derandomized,
so a failure reproduces. `make fuzz` runs the same items over HTTP against `python -m local` with many more cases
(KOMMUNAL_PRO_FUZZ_URL, KOMMUNAL_PRO_FUZZ_SCALE; see tests/fuzz/campaign.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from kommunal_pro.auth import Role
from kommunal_pro.errors import BadRequest
from kommunal_pro.json_body import check_json_body
from kommunal_pro.storage.pages import MAX_CURSOR_LENGTH
from tests.fuzz.client import FuzzClient, in_process_client, over_http_client
from tests.tally import tally

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
METHODS = ("get", "put", "post", "patch", "delete")
BASE_URL = os.environ.get("KOMMUNAL_PRO_FUZZ_URL")
SCALE = int(os.environ.get("KOMMUNAL_PRO_FUZZ_SCALE", "1"))
ALLOWED_CASES = 100 * SCALE
REFUSED_CASES = 10 * SCALE
# The share of generated cases whose path ids are taken from the seeded data (the rest are generated: 404s).
KNOWN_ID_PROBABILITY = 0.8
# What Schemathesis's positive-data check accepts for a schema-valid request by default.
SCHEMATHESIS_DEFAULT_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]

pytestmark: list[pytest.MarkDecorator] = [pytest.mark.xdist_group("fuzz")] if BASE_URL else []


def _items() -> Iterator[Any]:
    document = json.loads(DOCUMENT.read_text())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            for role in Role:
                allowed = role in operation.get("x-roles", [])
                cases = ALLOWED_CASES if allowed else REFUSED_CASES
                yield pytest.param(method.upper(), path, role, allowed, cases, id=f"{method.upper()} {path} as {role}")


@pytest.fixture(scope="module")
def client() -> Iterator[FuzzClient]:
    if BASE_URL:
        yield over_http_client(BASE_URL)
    else:
        with in_process_client() as local:
            yield local


@pytest.fixture(scope="module")
def schemas(client: FuzzClient) -> dict[Role, Any]:
    """The committed document once per role (its bearer token configured, so Schemathesis knows the request is
    authenticated and tries it without), with the seeded ids as dictionaries for the path parameters."""
    ids = client.seeded_ids()
    loaded = {}
    for role in Role:
        config = SchemathesisConfig.from_dict(
            {
                "auth": {"openapi": {"bearer": {"bearer": client.token(role)}}},
                "checks": {
                    # A schema-valid request may still break a rule the schema cannot state (exactly one of two
                    # query parameters, a CPR number's date, a schedule in the past): the documented 422; or send
                    # an If-Match that is well-formed but not the current version: the documented 412.
                    "positive_data_acceptance": {"expected-statuses": [*SCHEMATHESIS_DEFAULT_ACCEPTED, "412", "422"]}
                },
                "dictionaries": {name: {"values": values} for name, values in ids.items()},
                "parameters": {
                    f"path.{name}": {"dictionary": name, "probability": KNOWN_ID_PROBABILITY} for name in ids
                },
            }
        )
        schema = schemathesis.openapi.from_path(str(DOCUMENT), config=config)
        schema.hook("filter_body")(_storable_json)
        schema.hook("map_query")(_without_foreign_cursor)
        client.attach(schema)
        loaded[role] = schema
    return loaded


def _storable_json(context: Any, body: Any) -> bool:
    """Leave out bodies that break the rules JSON Schema cannot state (DynamoDB's number range, nesting depth):
    every route refuses them with a 400 before validation, which tests/integration/test_bad_input.py covers."""
    try:
        check_json_body(json.dumps(body))
    except (BadRequest, TypeError, ValueError):
        return False
    return True


def _without_foreign_cursor(context: Any, query: Any) -> Any:
    """A cursor is opaque and bound to its query: one the list did not give out is a documented 400 that JSON
    Schema cannot state. Leave out a well-formed made-up one; a malformed one (too long, not a string) stays."""
    if isinstance(query, dict) and isinstance(query.get("cursor"), str) and len(query["cursor"]) <= MAX_CURSOR_LENGTH:
        return {name: value for name, value in query.items() if name != "cursor"}
    return query


@pytest.mark.parametrize(("method", "path", "role", "allowed", "cases"), list(_items()))
def test_operation(
    client: FuzzClient, schemas: dict[Role, Any], method: str, path: str, role: Role, allowed: bool, cases: int
) -> None:
    operation = schemas[role][path][method]
    modes = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE)]
    if operation.path_parameters or operation.query or operation.headers or operation.body:
        modes.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    calls = 0

    @hypothesis.settings(
        max_examples=cases,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(modes))
    def run(case: Any) -> None:
        nonlocal calls
        calls += 1
        response = client.call_and_validate(case)
        assert allowed or 400 <= response.status_code < 500, f"{role} is not in x-roles but got {response.status_code}"

    try:
        run()
    except Exception:
        tally(f"schemathesis failures, role {role}", 1)
        raise
    finally:
        tally(f"schemathesis cases, role {role}", calls)
