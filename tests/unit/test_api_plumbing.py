"""The shared API plumbing: CORS for the configured web clients, problem+json for errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kommunal_pro import api
from kommunal_pro.auth import Role
from kommunal_pro.config import get_settings
from kommunal_pro.errors import Conflict, PreconditionFailed
from local.apigateway import LocalLambdaContext, proxy_event
from local.tokens import dev_claims

# The context is Any: the handler is typed for Lambda's LambdaContext, and the tests pass LocalLambdaContext, which
# has the attributes Powertools reads but is not a LambdaContext.
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@pytest.fixture
def app_for_origins(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Handler]]:
    def build(origins: str) -> Handler:
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


def _call(handler: Handler, path: str, origin: str) -> dict[str, Any]:
    event = proxy_event(
        "GET", path, resource=path, headers={"Origin": origin}, claims=dev_claims(Role.NATIONAL_ADMIN, None)
    )
    return handler(event, LocalLambdaContext(function_name="plumbing"))


def test_responses_carry_cors_headers_only_for_configured_origins(app_for_origins: Callable[[str], Handler]) -> None:
    handler = app_for_origins("https://pilot.kommunalpro.dk, https://kommunalpro.dk")
    allowed = _call(handler, "/v1/ping", "https://kommunalpro.dk")
    assert allowed["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["https://kommunalpro.dk"]
    assert "ETag" in allowed["multiValueHeaders"]["Access-Control-Expose-Headers"][0]
    stranger = _call(handler, "/v1/ping", "https://evil.example")
    assert "Access-Control-Allow-Origin" not in (stranger.get("multiValueHeaders") or {})


def test_no_cors_headers_without_configured_origins(app_for_origins: Callable[[str], Handler]) -> None:
    response = _call(app_for_origins(""), "/v1/ping", "https://kommunalpro.dk")
    assert "Access-Control-Allow-Origin" not in (response.get("multiValueHeaders") or {})


def test_domain_errors_become_problem_json_with_their_status_and_extensions(
    app_for_origins: Callable[[str], Handler],
) -> None:
    handler = app_for_origins("")
    stale = _call(handler, "/v1/stale", "")
    assert stale["statusCode"] == 412
    assert stale["multiValueHeaders"]["Content-Type"] == ["application/problem+json"]
    taken = _call(handler, "/v1/taken", "")
    assert taken["statusCode"] == 409 and '"citizenId": "c-1"' in taken["body"]
