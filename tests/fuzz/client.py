"""The fuzzer's way in: the local API Gateway as a WSGI app on moto (in-process), or the local runner over HTTP.

Both seed what the path parameters need through the API itself and read the ids back from the answers without
assuming their shape (a list or a page, a field's nesting): every value of the named field anywhere in the body.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from werkzeug.test import Client

from kommunal_pro.auth import Role
from local.seed import DEMO_CITIZENS, DEMO_MUNICIPALITY, DEMO_UNIT
from local.tokens import citizen_claims, dev_claims, dev_secret, mint

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
CITIZEN_CPR, CITIZEN_NAME = DEMO_CITIZENS[0][0], DEMO_CITIZENS[0][1]
# The seed assigns WHO-5; answered 2, 2, 2, 3, 3 (low well-being), as a citizen would.
WHO5_ANSWERS = {"who5-1": ["2"], "who5-2": ["2"], "who5-3": ["2"], "who5-4": ["3"], "who5-5": ["3"]}

Send = Callable[[str, str, str, Any, dict[str, str]], tuple[int, Any]]


def claims_for(role: Role) -> dict[str, Any]:
    """A token's claims per role: the demo citizen, or staff of the demo municipality in its demo unit."""
    if role is Role.CITIZEN:
        return citizen_claims(CITIZEN_CPR, CITIZEN_NAME)
    if role is Role.NATIONAL_ADMIN:
        return dev_claims(role, None)
    return dev_claims(role, DEMO_MUNICIPALITY, units=[DEMO_UNIT])


def values_of(body: Any, name: str) -> Iterator[Any]:
    """Every value of the field `name` anywhere in a JSON body."""
    if isinstance(body, dict):
        for key, value in body.items():
            if key == name:
                yield value
            yield from values_of(value, name)
    elif isinstance(body, list):
        for value in body:
            yield from values_of(value, name)


def request_example(method: str, path: str) -> Any:
    """The first example of an operation's request body, from the document."""
    document = json.loads(DOCUMENT.read_text())
    reference = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return document["components"]["schemas"][reference.rsplit("/", 1)[1]]["examples"][0]


@dataclass
class FuzzClient:
    send: Send  # (method, path, token, json body, headers) -> (status, json body or None)
    secret: str
    app: Any = None  # the WSGI app in-process; None over HTTP
    base_url: str | None = None
    tokens: dict[Role, str] = field(default_factory=dict)

    def token(self, role: Role) -> str:
        if role not in self.tokens:
            self.tokens[role] = mint(claims_for(role), secret=self.secret)
        return self.tokens[role]

    def attach(self, schema: Any) -> None:
        if self.app is not None:
            schema.app = self.app

    def call_and_validate(self, case: Any) -> Any:
        if self.base_url is not None:
            return case.call_and_validate(base_url=self.base_url)
        return case.call_and_validate()

    def _call(self, role: Role, method: str, path: str, body: Any = None, **headers: str) -> Any:
        status, answer = self.send(method, path, self.token(role), body, headers)
        assert status < 300, (method, path, status, answer)
        return answer

    def seeded_ids(self) -> dict[str, list[str]]:
        """Ids that exist, per path parameter name: the demo data plus a draft questionnaire and a response."""
        draft = self._call(Role.ADMIN, "POST", "/v1/questionnaires", request_example("post", "/v1/questionnaires"))
        found = self._call(Role.EMPLOYEE, "POST", "/v1/citizens/search", {"cpr": CITIZEN_CPR})
        citizen_ids = _strings(values_of(found, "id"))
        assignments = self._call(Role.EMPLOYEE, "GET", f"/v1/citizens/{citizen_ids[0]}/assignments")
        tasks = self._call(Role.CITIZEN, "GET", "/v1/me/tasks?status=open")  # one open now: the demo WHO-5
        task_ids = _strings(values_of(tasks, "id"))
        receipt = self._call(
            Role.CITIZEN,
            "POST",
            f"/v1/me/tasks/{task_ids[0]}/response",
            {"answers": WHO5_ANSWERS},
            **{"Idempotency-Key": "fuzz-seed-response-0001"},
        )
        return {
            "code": [DEMO_MUNICIPALITY],
            "unit_id": [DEMO_UNIT],
            "questionnaire_id": ["who-5", *_strings(values_of(draft, "id"))],
            "version": ["1"],
            "citizen_id": citizen_ids,
            "assignment_id": _strings(values_of(assignments, "id")),
            "task_id": task_ids,
            "response_id": _strings(values_of(receipt, "responseId")),
        }


def _strings(values: Iterable[Any]) -> list[str]:
    return list(dict.fromkeys(value for value in values if isinstance(value, str)))


def local_api_wsgi(api: Any) -> Callable[..., Iterable[bytes]]:
    """`LocalApi.handle` as a WSGI app, passing what the runner's HTTP server passes: the raw path and query,
    lower-case header names and the body decoded as the server decodes it."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length).decode(errors="surrogateescape") if length else None
        headers = {
            name[5:].replace("_", "-").lower(): value for name, value in environ.items() if name.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        query = environ.get("QUERY_STRING")
        raw_path = urlsplit(environ["REQUEST_URI"]).path + (f"?{query}" if query else "")
        status, out_headers, payload = api.handle(environ["REQUEST_METHOD"], raw_path, headers, body)
        start_response(
            f"{status} {_REASONS.get(status, 'Status')}", [*out_headers.items(), ("Content-Length", str(len(payload)))]
        )
        return [payload]

    return app


_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
}


@contextmanager
def in_process_client() -> Iterator[FuzzClient]:
    from local.seed import seed_demo_data
    from local.server import LocalApi
    from tests.conftest import moto_environment

    secret = "fuzz-in-process-secret-fuzz-in-process"
    with moto_environment() as table:
        seed_demo_data(table)
        app = local_api_wsgi(LocalApi(token_secret=secret))
        http = Client(app)

        def send(method: str, path: str, token: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
            answer = http.open(path, method=method, json=body, headers={"Authorization": f"Bearer {token}", **headers})
            return answer.status_code, answer.get_json(silent=True)

        yield FuzzClient(send, secret, app=app)


def over_http_client(base_url: str) -> FuzzClient:
    """Against `python -m local` on this machine: its tokens are signed with the same dev secret."""
    session = requests.Session()

    def send(method: str, path: str, token: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        answer = session.request(
            method, base_url + path, json=body, headers={"Authorization": f"Bearer {token}", **headers}, timeout=30
        )
        return answer.status_code, answer.json() if answer.content else None

    return FuzzClient(send, dev_secret(), base_url=base_url)
