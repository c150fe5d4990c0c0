"""The isolation matrix (issue 11): every route of the route table × every role × token variant × unit, through
the local runner's front door (`LocalApi.handle`: API Gateway and the Cognito authorizer in front of the real
handlers), each cell's status asserted and every DynamoDB key it touched checked against the caller's tenant.

Two municipalities are seeded once for the module, 0751 Aarhus and 0101 København, each with two units, a
published questionnaire of its own, and a citizen with an assignment in the first unit, a task and a submitted
response; unit-scoped visibility is on in both. In an "other" cell the path ids point at the other municipality's
(or unit's) objects. A write carries the route's documented example body (an empty object for a role the route
refuses) and a stale If-Match, so an own write answers 2xx or a documented 4xx; safe routes run first.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest

from kommunal_pro.auth import CLAIM_ROLES, Role
from kommunal_pro.concurrency import etag
from kommunal_pro.storage.table import audit_table, data_table
from local import tokens
from local.seed import seed_demo_municipality
from local.server import LocalApi, Route, build_routes, openapi_json
from tests.conftest import moto_environment
from tests.integration.test_questionnaires import SLEEP
from tests.json_values import as_object, as_str
from tests.support import ApiClient, change_municipality, open_now
from tests.tally import tally

# One worker, one seeded table: the cells of later routes see what the writes of earlier ones did.
pytestmark = pytest.mark.xdist_group("isolation-matrix")

SECRET = "isolation-matrix-signing-secret-" + "x" * 32
WRONG_KEY = "someone-elses-signing-secret-" + "y" * 32
AARHUS, COPENHAGEN = "0751", "0101"
UNITS = {AARHUS: ("sundhedscenter-nord", "sundhedscenter-syd"), COPENHAGEN: ("sundhedshus-amager", "sundhedshus-valby")}
# Not the CPR number of the API examples, which the matrix sends to POST /v1/citizens in both municipalities.
CITIZENS = {AARHUS: ("150372-2229", "Birthe Sørensen"), COPENHAGEN: ("280574-1210", "Jens Poulsen")}
NATIONAL = "national"

OWN, OTHER = "own municipality", "other municipality"
BAD_TOKENS = ("no token", "expired token", "tampered payload", "alg: none", "signed with a wrong key")
OWN_UNIT, OTHER_UNIT = "own unit", "other unit (unit-scoped visibility on)"

# Path parameters that name a tenant's object. A national admin keeps the registry of every municipality, so
# `code` binds them to nothing.
TENANT_BOUND = frozenset({"citizen_id", "assignment_id", "task_id", "response_id", "questionnaire_id", "unit_id"})
# The seeded objects whose ids a caller from another municipality must never get back.
FOREIGN_IDS = ("citizen_id", "assignment_id", "task_id", "response_id", "questionnaire_id")
# Path parameters whose object unit-scoped visibility hides from staff outside the object's unit.
UNIT_BOUND = frozenset({"citizen_id", "assignment_id", "response_id", "unit_id"})
# What an own write with the example body and a stale If-Match may answer besides a 2xx: a body that does not fit
# the seeded object (400/422, e.g. WHO-5 answers to another questionnaire), a state that does not allow it (409,
# e.g. a task already answered), a stale or missing If-Match (412/428), or a search for the example CPR before or
# after the example registration ran (404: the cells' order under xdist is not fixed).
OWN_WRITE_REFUSALS = frozenset({400, 404, 409, 412, 422, 428})
SAFE = frozenset({"GET"})
# What the route table does not say a route needs: the auditor's query names exactly one citizen or staff member.
QUERIES = {("GET", "/v1/audit"): "citizenId={citizen_id}"}
# Routes whose questionnaire is one of the national library's, which every municipality shares (copying one
# into the municipality is the only copy there is): no "other municipality's" questionnaire to point at.
NATIONAL_SOURCE = frozenset({("POST", "/v1/questionnaires/{questionnaire_id}/copy")})


@dataclass
class World:
    api: LocalApi
    objects: dict[str, dict[str, str]]  # per tenant: its seeded objects' ids, by the path parameter naming them
    calls: list[tuple[str, str, str]] = field(default_factory=list)  # (client, operation, key value)
    recording: bool = False


def _keys_of(operation: str, params: dict[str, Any]) -> Iterator[str]:
    """The partition-key values a DynamoDB request names (table and index partition keys; sort keys are not
    tenant-prefixed)."""
    partition_attributes = ("PK", "GSI1PK", "GSI2PK", "LoginPK", "DuePK")

    def of_item(item: dict[str, Any]) -> Iterator[str]:
        for name in partition_attributes:
            if name in item:
                yield f"{name}={next(iter(item[name].values()))}"

    if "Key" in params:
        yield from of_item(params["Key"])
    if "Item" in params:
        yield from of_item(params["Item"])
    for entry in params.get("TransactItems", []):
        for action in entry.values():
            yield from of_item(action.get("Key") or action.get("Item") or {})
    for request in params.get("RequestItems", {}).values():
        for key in request.get("Keys", []) if isinstance(request, dict) else []:
            yield from of_item(key)
        for write in request if isinstance(request, list) else []:
            for action in write.values():
                yield from of_item(action.get("Key") or action.get("Item") or {})
    if operation == "Query":
        names = params.get("ExpressionAttributeNames", {})
        values = params.get("ExpressionAttributeValues", {})
        for name, value in re.findall(r"(#?\w+) = (:\w+)", params["KeyConditionExpression"]):
            attribute = names.get(name, name)
            if attribute in partition_attributes:
                yield f"{attribute}={next(iter(values[value].values()))}"


def _record(world: World, client_name: str) -> Any:
    def before_call(model: Any, params: dict[str, Any], **_: Any) -> None:
        if world.recording:
            body = json.loads(params["body"] or b"{}")
            world.calls += [(client_name, model.name, key) for key in _keys_of(model.name, body)]

    return before_call


# --- the seed ------------------------------------------------------------------------------------------------


def _published_questionnaire(client: ApiClient, author: dict[str, Any]) -> str:
    created = client.call("POST", "/v1/questionnaires", claims=author, body=SLEEP)
    assert created.status == 201, created.body
    questionnaire = as_str(created.body["id"])
    published = client.call("POST", f"/v1/questionnaires/{questionnaire}/publish", claims=author)
    assert published.status == 200, published.body
    return questionnaire


def _seed_tenant(client: ApiClient, code: str) -> dict[str, str]:
    unit = UNITS[code][0]
    nurse = tokens.dev_claims(Role.EMPLOYEE, code, subject=f"seed-nurse-{code}", units=[unit])
    questionnaire = _published_questionnaire(client, tokens.dev_claims(Role.ADMIN, code))
    cpr, name = CITIZENS[code]
    registered = client.call(
        "POST",
        "/v1/citizens",
        claims=nurse,
        body={"cpr": cpr, "name": name, "email": "borger@example.dk", "consentToDigitalPro": True},
    )
    assert registered.status == 201, registered.body
    citizen_id = as_str(registered.body["id"])
    schedule = open_now(due_in_days=2)
    assigned = client.call(
        "POST",
        f"/v1/citizens/{citizen_id}/assignments",
        claims=nurse,
        body={"questionnaireId": questionnaire, "unitId": unit, "course": "Søvnforløb", "schedule": schedule},
    )
    assert assigned.status == 201, assigned.body
    task = as_object(assigned.body["tasks"][0])
    answered = client.call(
        "POST",
        f"/v1/me/tasks/{task['id']}/response",
        claims=tokens.citizen_claims(cpr, name),
        body={"answers": {"soevn": ["middel"], "timer": [6.5]}},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert answered.status == 201, answered.body
    return {
        "citizen_id": citizen_id,
        "assignment_id": as_str(assigned.body["id"]),
        "task_id": as_str(task["id"]),
        "response_id": as_str(answered.body["responseId"]),
        "questionnaire_id": questionnaire,
        "version": "1",
        "unit_id": unit,
        "code": code,
    }


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with moto_environment() as table:
        seed_demo_municipality(table)
        client = ApiClient()
        change_municipality(client, COPENHAGEN, {"enabled": True})
        objects = {code: _seed_tenant(client, code) for code in (AARHUS, COPENHAGEN)}
        national_questionnaire = _published_questionnaire(client, tokens.dev_claims(Role.NATIONAL_ADMIN, None))
        objects[NATIONAL] = objects[AARHUS] | {"questionnaire_id": national_questionnaire}
        for code in (AARHUS, COPENHAGEN):
            change_municipality(client, code, {"unitScopedVisibility": True})
        world = World(LocalApi(token_secret=SECRET), objects)
        for name, resource in (("data", data_table()), ("audit", audit_table())):
            resource.meta.client.meta.events.register("before-call.dynamodb.*", _record(world, name))
        yield world


# --- the cells -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    route: Route
    role: Role
    variant: str
    unit: str

    def __str__(self) -> str:
        return f"{self.route.method} {self.route.resource} as {self.role}, {self.variant}, {self.unit}"


def _claims(role: Role, tenant: str, unit: str) -> dict[str, Any]:
    if role is Role.CITIZEN:
        return tokens.citizen_claims(*CITIZENS[tenant])
    municipality = None if role is Role.NATIONAL_ADMIN else tenant
    return tokens.dev_claims(role, municipality, subject=f"{role}-{tenant}-{unit}", units=[unit])


def _unsigned(payload: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


def _token(variant: str, claims: dict[str, Any]) -> str | None:
    """The bearer token of a cell: the caller's valid one, or one the authorizer must refuse."""
    valid = tokens.mint(claims, secret=SECRET)
    match variant:
        case "no token":
            return None
        case "expired token":
            return tokens.mint(claims, secret=SECRET, ttl_seconds=-60)
        case "tampered payload":  # the signature of the caller's token over a payload that claims more
            header, _, signature = valid.split(".")
            payload = jwt.decode(valid, options={"verify_signature": False})
            payload[CLAIM_ROLES] = [str(r) for r in Role]
            return f"{header}.{_unsigned(payload).split('.')[1]}.{signature}"
        case "alg: none":
            return _unsigned(jwt.decode(valid, options={"verify_signature": False}))
        case "signed with a wrong key":
            return tokens.mint(claims, secret=WRONG_KEY)
    return valid


def _documented(route: Route) -> tuple[frozenset[Role], frozenset[int]]:
    operation = ROUTE_CONTRACT[(route.method, route.resource)]
    return frozenset(Role(r) for r in operation["x-roles"]), frozenset(int(s) for s in operation["responses"])


def _expected(cell: Cell) -> frozenset[int] | None:
    """The statuses the rules allow for a cell; None: only a 2xx (an own read)."""
    route, params = cell.route, set(cell.route.pattern.groupindex)
    roles, _ = _documented(route)
    if cell.variant in BAD_TOKENS:
        return frozenset({401})
    if cell.role not in roles:
        return frozenset({403})
    bound = TENANT_BOUND | ({"code"} if cell.role is not Role.NATIONAL_ADMIN else set())
    if (route.method, route.resource) in NATIONAL_SOURCE:
        bound -= {"questionnaire_id"}
    if cell.variant == OTHER and params & bound:
        return frozenset({403, 404})
    # An employee may start care in their own unit for a citizen outside it, but the example body assigns in the
    # seeded object's unit, which is not theirs: a 403 too.
    if cell.unit == OTHER_UNIT and cell.role is Role.EMPLOYEE and params & UNIT_BOUND:
        return frozenset({403, 404})
    return None if route.method in SAFE else OWN_WRITE_REFUSALS


def _allowed_tenants(cell: Cell, caller: str, ids: dict[str, str]) -> set[str]:
    """The tenants whose keys a cell may touch: the caller's municipality (a citizen's: the one they are registered
    in), or for a national admin the national tenant and the municipality the path names (the platform registry:
    municipality records and their unit trees)."""
    if cell.role is not Role.NATIONAL_ADMIN:
        return {caller}
    return {NATIONAL, ids["code"]} if "code" in cell.route.pattern.groupindex else {NATIONAL}


def _leaks(world: World, cell: Cell, allowed: set[str]) -> list[tuple[str, str, str]]:
    leaks = []
    for client, operation, key in world.calls:
        attribute, _, value = key.partition("=")
        tenant = value.split("#", 1)[0]
        if tenant in allowed:
            continue
        # Documented exceptions (docs/data-model.md):
        # - the national library is read by every municipality's staff and by citizens answering its
        #   instruments; reads only — nobody but a national admin writes there.
        if tenant == NATIONAL and operation in ("GetItem", "Query", "BatchGetItem"):
            continue
        # - the `Login` index (`LoginPK=CPR#<hmac>`) finds a citizen's records in every municipality, for the
        #   citizen's own requests only; the `Due` index (`DuePK=DUE#<hour>#<shard>`) is written on task items
        #   by assignments and answers and read only by the reminder job.
        # Both are index attributes of an item whose own key (PK) is checked like any other; only a Query of
        # `Login` reads across tenants, and only a citizen's request does.
        if attribute == "DuePK" or (attribute == "LoginPK" and (operation != "Query" or cell.role is Role.CITIZEN)):
            continue
        leaks.append((client, operation, key))
    return leaks


def _body(cell: Cell) -> str | None:
    """The route's example body; an empty object for a role the route refuses, whose 403 must come before any
    body validation (a field list would tell a caller without access what the route takes)."""
    route = (cell.route.method, cell.route.resource)
    if route not in EXAMPLES:
        return None
    return "{}" if cell.role not in _documented(cell.route)[0] else EXAMPLES[route]


def _run(world: World, cell: Cell) -> None:
    caller = AARHUS if cell.variant != OTHER else COPENHAGEN
    if cell.role is Role.NATIONAL_ADMIN:  # acting for the national tenant; their "other" is a municipality's objects
        ids = world.objects[NATIONAL if cell.variant != OTHER else COPENHAGEN]
    else:
        ids = world.objects[AARHUS]
    unit = UNITS[caller][0 if cell.unit == OWN_UNIT else 1]
    claims = _claims(cell.role, caller, unit)
    if (cell.route.method, cell.route.resource) in NATIONAL_SOURCE:
        ids = ids | {"questionnaire_id": world.objects[NATIONAL]["questionnaire_id"]}
    path = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], cell.route.resource)
    if query := QUERIES.get((cell.route.method, cell.route.resource)):
        path += "?" + query.format(**ids)
    # A stale If-Match where a route takes one, so that an own write is refused (412) and an other's is not found.
    headers = {"content-type": "application/json", "idempotency-key": str(uuid.uuid4()), "if-match": etag(999)}
    token = _token(cell.variant, claims)
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    world.calls.clear()
    world.recording = True
    try:
        status, out_headers, body = world.api.handle(cell.route.method, path, headers, _body(cell))
    finally:
        world.recording = False
    expected = _expected(cell)
    _, documented = _documented(cell.route)
    if expected is None:
        assert 200 <= status < 300, f"{cell}: {status} {body[:300]!r}"
    else:
        assert status in expected or (expected is OWN_WRITE_REFUSALS and 200 <= status < 300), (
            f"{cell}: {status}, expected one of {sorted(expected)}: {body[:300]!r}"
        )
    assert status in documented, f"{cell}: {status} is not in the route's documented responses"
    if status >= 400:
        assert out_headers.get("Content-Type") == "application/problem+json", f"{cell}: {out_headers}"
        assert json.loads(body)["status"] == status, cell
    if cell.variant == OTHER and cell.role is not Role.NATIONAL_ADMIN and status < 300:
        foreign = {world.objects[AARHUS][name] for name in FOREIGN_IDS}
        assert not [i for i in foreign if i.encode() in body], f"{cell}: Aarhus's objects in the answer: {body[:300]!r}"
    if cell.variant in BAD_TOKENS:
        assert world.calls == [], f"{cell}: a refused token reached DynamoDB: {world.calls}"
    leaks = _leaks(world, cell, _allowed_tenants(cell, caller, ids))
    assert leaks == [], f"{cell}: keys outside the caller's tenant: {leaks}"


ROUTES = sorted(build_routes(), key=lambda r: (r.method not in SAFE, r.method, r.resource))
ROUTE_CONTRACT = {
    (method.upper(), path): operation
    for path, operations in json.loads(openapi_json())["paths"].items()
    for method, operation in operations.items()
}
VARIANTS = (OWN, OTHER, *BAD_TOKENS)


def _example_body(operation: dict[str, Any]) -> str | None:
    """The request body a route documents as its example (realistic Danish data), or None for a body-less route."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    if "examples" in content:
        return json.dumps(next(iter(content["examples"].values()))["value"])
    name = content["schema"]["$ref"].rsplit("/", 1)[-1]
    return json.dumps(SCHEMAS[name]["examples"][0])


SCHEMAS = json.loads(openapi_json())["components"]["schemas"]
EXAMPLES = {route: body for route, operation in ROUTE_CONTRACT.items() if (body := _example_body(operation))}


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.method} {r.resource}" for r in ROUTES])
def test_every_role_and_token_on_the_route_gets_its_due_and_touches_only_its_tenant(world: World, route: Route) -> None:
    # Other units first: an own write (a cancel, a retire) may change what a later cell finds.
    cells = [
        Cell(route, role, variant, unit) for unit in (OTHER_UNIT, OWN_UNIT) for role in Role for variant in VARIANTS
    ]
    for cell in cells:
        _run(world, cell)
    tally("isolation matrix cells asserted", len(cells))


def test_the_matrix_covers_the_whole_route_table() -> None:
    """Generated from the runner's route table, which the OpenAPI document describes one to one."""
    assert {(r.method, r.resource) for r in ROUTES} == set(ROUTE_CONTRACT)
    assert len(ROUTES) >= 30


def test_the_hook_records_every_key_a_request_touches(world: World) -> None:
    """The matrix's key check is only as good as its recording: a nurse reading a citizen touches the citizen's
    item, the municipality's settings, and writes an audit event under the citizen."""
    citizen_id = world.objects[AARHUS]["citizen_id"]
    route = next(r for r in ROUTES if (r.method, r.resource) == ("GET", "/v1/citizens/{citizen_id}"))
    _run(world, Cell(route, Role.EMPLOYEE, OWN, OWN_UNIT))
    touched = set(world.calls)
    assert {
        ("data", "GetItem", f"PK={AARHUS}#CITIZEN#{citizen_id}"),
        ("data", "GetItem", f"PK={AARHUS}#MUNICIPALITY"),
        ("audit", "PutItem", f"PK={AARHUS}#CITIZEN#{citizen_id}"),
    } <= touched
    assert _leaks(world, Cell(route, Role.EMPLOYEE, OTHER, OWN_UNIT), {COPENHAGEN}) != []
