"""The README's run command, for real: the runner in its own process, spoken to over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jwt
import pytest
import requests
from moto.server import ThreadedMotoServer

from kommunal_pro.auth import Role
from local import tokens
from local.__main__ import _free_port
from local.seed import DEMO_UNIT

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
ROOT = Path(__file__).resolve().parents[2]
SECRET = "e2e-secret-e2e-secret-e2e-secret-e2e-secret"
# What API Gateway answers (and the runner, like it) before any function runs: the gateway responses of
# infra/api.py, written out.
UNAUTHORIZED = {
    "type": "https://kommunal-pro.dk/problems/unauthenticated",
    "title": "Unauthenticated",
    "status": 401,
    "detail": "Du skal være logget ind (a valid bearer token is required)",
    "message": "Unauthorized",
}
NOT_A_JSON_OBJECT = {
    "type": "https://kommunal-pro.dk/problems/bad-request",
    "title": "Bad request",
    "status": 400,
    "detail": "Forespørgslens krop skal være et JSON-objekt (the request body must be a JSON object)",
    "message": "Invalid request body",
}
NO_SUCH_ROUTE = {
    "type": "https://kommunal-pro.dk/problems/not-found",
    "title": "Not found",
    "status": 404,
    "detail": "Ukendt adresse (no such route)",
    "message": "Missing Authentication Token",
}


@contextmanager
def running_system(dynamodb_endpoint: str | None = None) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE_NAME", "KOMMUNAL_PRO_ENV"))}
    env |= {"KOMMUNAL_PRO_DEV_TOKEN_SECRET": SECRET, "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    if dynamodb_endpoint:
        env |= {"AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    process = subprocess.Popen(
        [sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"{base}/openapi.json", timeout=1)
            break
        except requests.ConnectionError:
            if process.poll() is not None:
                pytest.fail(f"the runner exited: {process.stdout.read() if process.stdout else ''}")
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("the runner did not start within 60 s")
    try:
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=20)


def auth_header(role: Role, municipality: str | None = "0751") -> dict[str, str]:
    units = [DEMO_UNIT] if role is Role.EMPLOYEE else None
    claims = tokens.dev_claims(role, None if role is Role.NATIONAL_ADMIN else municipality, units=units)
    return {"Authorization": f"Bearer {tokens.mint(claims, secret=SECRET)}"}


def _refused_authorizations() -> list[dict[str, str]]:
    """Authorization headers a Cognito user pool authorizer refuses: none, not a bearer token, tampered, signed
    with another key, expired, without exp, an access token."""
    valid = auth_header(Role.EMPLOYEE)["Authorization"]
    claims = tokens.dev_claims(Role.EMPLOYEE, "0751", units=[DEMO_UNIT])
    now = int(time.time())
    payload = claims | {"iss": tokens.ISSUER, "aud": tokens.AUDIENCE, "iat": now, "exp": now + 600, "token_use": "id"}
    signed = [
        jwt.encode(payload | {"token_use": "access"}, SECRET, algorithm=tokens.ALGORITHM),
        jwt.encode({k: v for k, v in payload.items() if k != "exp"}, SECRET, algorithm=tokens.ALGORITHM),
        tokens.mint(claims, secret=SECRET, ttl_seconds=-60),
        tokens.mint(claims, secret="another-secret-another-secret-another-secret"),
    ]
    headers = [{}, {"Authorization": valid.removeprefix("Bearer ")}, {"Authorization": valid[:-3] + "abc"}]
    return headers + [{"Authorization": f"Bearer {token}"} for token in signed]


def test_the_runner_serves_the_api_with_dev_tokens_and_stops_cleanly() -> None:
    with running_system() as (base, process):
        openapi = requests.get(f"{base}/openapi.json", timeout=5).json()
        assert "/v1/municipalities/{code}" in openapi["paths"]
        assert "Kommunal PRO" in requests.get(f"{base}/docs", timeout=5).text

        for refused in _refused_authorizations():
            answer = requests.get(f"{base}/v1/municipalities/0751", headers=refused, timeout=5)
            assert (answer.status_code, answer.json()) == (401, UNAUTHORIZED), refused
            assert answer.headers["Content-Type"] == "application/problem+json"
        employee = auth_header(Role.EMPLOYEE)
        for method, path in (("GET", "/v1/no-such-thing"), ("DELETE", "/v1/municipalities/0751"), ("GET", "/v2")):
            unknown = requests.request(method, f"{base}{path}", headers=employee, timeout=5)
            assert (unknown.status_code, unknown.json()) == (404, NO_SUCH_ROUTE), (method, path)
            assert unknown.headers["Content-Type"] == "application/problem+json"

        own = requests.get(f"{base}/v1/municipalities/0751", headers=auth_header(Role.EMPLOYEE), timeout=5)
        assert own.status_code == 200 and own.json()["name"] == "Aarhus" and own.json()["enabled"] is True

        admin = auth_header(Role.NATIONAL_ADMIN)
        for body in ("[]", '"senderName"', "{not json"):
            not_an_object = requests.patch(
                f"{base}/v1/municipalities/0751",
                headers=admin | {"If-Match": own.headers["ETag"], "Content-Type": "application/json"},
                data=body,
                timeout=5,
            )
            assert (not_an_object.status_code, not_an_object.json()) == (400, NOT_A_JSON_OBJECT), body
        listed = requests.get(f"{base}/v1/municipalities?limit=100", headers=admin, timeout=5).json()
        assert len(listed["items"]) == 98 and listed["nextCursor"] is None
        changed = requests.patch(
            f"{base}/v1/municipalities/0751",
            headers=admin | {"If-Match": own.headers["ETag"]},
            json={"senderName": "Sundhedscenter Aarhus"},
            timeout=5,
        )
        assert changed.status_code == 200 and changed.headers["ETag"] != own.headers["ETag"]
        assert changed.json()["settings"]["senderName"] == "Sundhedscenter Aarhus"
        stale = requests.patch(
            f"{base}/v1/municipalities/0751",
            headers=admin | {"If-Match": own.headers["ETag"]},
            json={"senderName": "Anden"},
            timeout=5,
        )
        assert stale.status_code == 412 and stale.headers["Content-Type"] == "application/problem+json"
        assert stale.json()["detail"] == (
            "Kommunen er ændret af en anden siden du læste den; hent den igen "
            "(the municipality changed since you read it; fetch it again)"
        )
        now = requests.get(f"{base}/v1/municipalities/0751", headers=admin, timeout=5).json()
        assert now["settings"]["senderName"] == "Sundhedscenter Aarhus"

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        output = process.stdout.read() if process.stdout else ""
    assert "Dev tokens" in output and "Stopped." in output
    assert "Traceback" not in output


def test_a_second_start_against_the_same_dynamodb_does_not_duplicate_the_seed() -> None:
    port = _free_port()
    dynamodb = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    dynamodb.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        with running_system(endpoint) as (base, _):
            admin = auth_header(Role.NATIONAL_ADMIN)
            etag = requests.get(f"{base}/v1/municipalities/0101", headers=admin, timeout=5).headers["ETag"]
            enabled = requests.patch(
                f"{base}/v1/municipalities/0101", headers=admin | {"If-Match": etag}, json={"enabled": True}, timeout=5
            )
            assert (enabled.status_code, enabled.json()["enabled"]) == (200, True), enabled.text
        with running_system(endpoint) as (base, process):
            listed = requests.get(
                f"{base}/v1/municipalities?limit=100", headers=auth_header(Role.NATIONAL_ADMIN), timeout=5
            ).json()["items"]
            process.send_signal(signal.SIGINT)
            process.wait(timeout=20)
            output = process.stdout.read() if process.stdout else ""
        assert len(listed) == 98
        assert next(m for m in listed if m["code"] == "0101")["enabled"] is True  # kept, not re-seeded
        assert "existing" in output and "'municipalities': 0, 'questionnaires': 0, 'citizens': 0" in output
    finally:
        dynamodb.stop()
