"""The shared API plumbing: CORS for the configured web clients, problem+json for errors."""

from __future__ import annotations

import pytest

from kommunal_pro import api
from kommunal_pro.auth import Role
from kommunal_pro.config import get_settings
from kommunal_pro.errors import Conflict, PreconditionFailed
from local.apigateway import LocalLambdaContext, proxy_event
from local.tokens import dev_claims


@pytest.fixture
def app_for_origins(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def build(origins: str):  # type: ignore[no-untyped-def]
        monkeypatch.setenv("CORS_ALLOWED_ORIGINS", origins)
        get_settings.cache_clear()
        app = api.create_app()

        @app.get("/v1/ping")
        def ping() -> dict[str, str]:
            return {"pong": "ok"}

        @app.get("/v1/stale")
        def stale() -> dict[str, str]:
            raise PreconditionFailed("changed meanwhile", errors=[{"location": "header.If-Match"}])

        @app.get("/v1/taken")
        def taken() -> dict[str, str]:
            raise Conflict("already registered", citizenId="c-1")

        return api.lambda_handler_for(app)

    yield build
    get_settings.cache_clear()


def _call(handler, path: str, origin: str) -> dict:  # type: ignore[no-untyped-def]
    event = proxy_event(
        "GET", path, resource=path, headers={"Origin": origin}, claims=dev_claims(Role.NATIONAL_ADMIN, None)
    )
    return handler(event, LocalLambdaContext(function_name="plumbing"))


def test_responses_carry_cors_headers_only_for_configured_origins(app_for_origins) -> None:  # type: ignore[no-untyped-def]
    handler = app_for_origins("https://pilot.kommunalpro.dk, https://kommunalpro.dk")
    allowed = _call(handler, "/v1/ping", "https://kommunalpro.dk")
    assert allowed["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["https://kommunalpro.dk"]
    assert "ETag" in allowed["multiValueHeaders"]["Access-Control-Expose-Headers"][0]
    stranger = _call(handler, "/v1/ping", "https://evil.example")
    assert "Access-Control-Allow-Origin" not in (stranger.get("multiValueHeaders") or {})


def test_no_cors_headers_without_configured_origins(app_for_origins) -> None:  # type: ignore[no-untyped-def]
    response = _call(app_for_origins(""), "/v1/ping", "https://kommunalpro.dk")
    assert "Access-Control-Allow-Origin" not in (response.get("multiValueHeaders") or {})


def test_domain_errors_become_problem_json_with_their_status_and_extensions(app_for_origins) -> None:  # type: ignore[no-untyped-def]
    handler = app_for_origins("")
    stale = _call(handler, "/v1/stale", "")
    assert stale["statusCode"] == 412
    assert stale["multiValueHeaders"]["Content-Type"] == ["application/problem+json"]
    taken = _call(handler, "/v1/taken", "")
    assert taken["statusCode"] == 409 and '"citizenId": "c-1"' in taken["body"]
