"""The local runner serves the built web client at / (SPA routing) and mints demo tokens for its start page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local import server, tokens
from local.server import LocalApi

SECRET = "unit-secret-unit-secret-unit-secret-unit"


@pytest.fixture
def dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<title>borger</title>")
    (tmp_path / "dev.html").write_text("<title>start</title>")
    (tmp_path / "assets" / "index-abc.js").write_text("console.log(1)")
    monkeypatch.setattr(server, "WEB_DIST", tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("path", "body"),
    [("/", "borger"), ("/opgaver/task-1", "borger"), ("/kvittering/task-1", "borger"), ("/dev/", "start")],
)
def test_the_apps_paths_answer_with_their_entry_page(dist: Path, path: str, body: str) -> None:
    status, headers, payload = LocalApi(SECRET).handle("GET", path, {}, None)
    assert (status, headers["Content-Type"], headers["Cache-Control"]) == (200, "text/html; charset=utf-8", "no-cache")
    assert body in payload.decode()


def test_assets_are_served_immutable_and_a_missing_one_is_not_the_app(dist: Path) -> None:
    status, headers, payload = LocalApi(SECRET).handle("GET", "/assets/index-abc.js", {}, None)
    assert (status, payload) == (200, b"console.log(1)")
    assert headers["Content-Type"].startswith("text/javascript")
    assert "immutable" in headers["Cache-Control"]
    assert (
        LocalApi(SECRET).handle("GET", "/assets/gone.js", {}, None)[0] == 404
    )  # as API Gateway answers a path without a route
    assert LocalApi(SECRET).handle("GET", "/../pyproject.toml", {}, None)[0] == 404


def test_the_api_keeps_its_paths(dist: Path) -> None:
    status, headers, _ = LocalApi(SECRET).handle("GET", "/v1/nothing-here", {}, None)
    assert status == 404
    assert headers["Content-Type"] == "application/problem+json"
    assert LocalApi(SECRET).handle("GET", "/openapi.json", {}, None)[1]["Content-Type"] == "application/json"


def test_without_a_build_the_root_is_not_served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "WEB_DIST", tmp_path)
    assert LocalApi(SECRET).handle("GET", "/", {}, None)[0] == 404


def test_the_start_page_gets_a_demo_citizens_token() -> None:
    status, _, payload = LocalApi(SECRET).handle("POST", "/dev/token", {}, json.dumps({"role": "citizen", "user": 1}))
    claims = tokens.verify(json.loads(payload)["token"], secret=SECRET)
    assert status == 200
    assert (claims["name"], claims["cognito:groups"]) == ("Anders Nielsen", ["citizen"])


@pytest.mark.parametrize("body", [None, "[]", '{"role": "emperor"}', '{"role": "citizen", "user": 7}', "{"])
def test_a_bad_token_request_is_a_400(body: str | None) -> None:
    status, headers, _ = LocalApi(SECRET).handle("POST", "/dev/token", {}, body)
    assert (status, headers["Content-Type"]) == (400, "application/problem+json")
