"""The local HTTP front door: routes requests to the real handlers as API Gateway would.

It plays API Gateway's parts: matching a route to its function, the Cognito authorizer (here verifying
dev tokens), and the proxy integration. Everything behind that is the production code.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from functions import HTTP_FUNCTIONS, handler_module, http_routes, merged_openapi_document
from local import tokens
from local.apigateway import LocalLambdaContext, proxy_event

DOCS_PAGE = Path(__file__).with_name("docs.html")


@dataclass(frozen=True)
class Route:
    method: str
    resource: str
    pattern: re.Pattern[str]
    function: str
    module: ModuleType


def build_routes() -> list[Route]:
    routes = []
    for function in HTTP_FUNCTIONS:
        module = handler_module(function)
        for method, resource in http_routes(function):
            regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(resource))
            routes.append(Route(method, resource, re.compile(f"^{regex}$"), function, module))
    # Literal paths before templated ones, as API Gateway prefers the most specific resource.
    return sorted(routes, key=lambda r: (r.resource.count("{"), -len(r.resource)))


def openapi_json() -> str:
    """The merged OpenAPI document as served at /openapi.json and committed as docs/openapi.json."""
    return json.dumps(merged_openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class LocalApi:
    def __init__(self, token_secret: str | None = None) -> None:
        self.routes = build_routes()
        self.openapi = openapi_json().encode()
        self._token_secret = token_secret
        self._lock = threading.Lock()

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: str | None
    ) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(raw_path)
        if method == "GET" and url.path == "/openapi.json":
            return 200, {"Content-Type": "application/json"}, self.openapi
        if method == "GET" and url.path in ("/", "/docs"):
            return 200, {"Content-Type": "text/html; charset=utf-8"}, DOCS_PAGE.read_bytes()
        matches = [(r, m) for r in self.routes if (m := r.pattern.match(url.path))]
        if not matches:
            return _gateway_error(HTTPStatus.NOT_FOUND, "Missing Authentication Token")
        route, match = next(((r, m) for r, m in matches if r.method == method), (None, None))
        if route is None or match is None:
            return _gateway_error(HTTPStatus.METHOD_NOT_ALLOWED, "Method not allowed")
        claims = self._authorize(headers.get("authorization", ""))
        if claims is None:
            return _gateway_error(HTTPStatus.UNAUTHORIZED, "Unauthorized")
        event = proxy_event(
            method,
            url.path,
            resource=route.resource,
            path_parameters=match.groupdict(),
            query=parse_qs(url.query),
            headers=headers,
            body=body,
            claims=claims,
        )
        with self._lock:  # one request at a time per process, as in a Lambda execution environment
            response = route.module.lambda_handler(event, LocalLambdaContext(function_name=route.function))
        out_headers = dict(response.get("headers") or {})
        for name, values in (response.get("multiValueHeaders") or {}).items():
            out_headers[name] = ", ".join(values)
        return response["statusCode"], out_headers, (response.get("body") or "").encode()

    def _authorize(self, authorization: str) -> dict[str, Any] | None:
        """The Cognito authorizer's job: a valid bearer token or nothing reaches the function."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            return tokens.verify(token.strip(), secret=self._token_secret)
        except tokens.InvalidToken:
            return None


def _gateway_error(status: HTTPStatus, message: str) -> tuple[int, dict[str, str], bytes]:
    return status.value, {"Content-Type": "application/json"}, json.dumps({"message": message}).encode()


def make_server(api: LocalApi, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        server_version = "KommunalPRO-local"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else None
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, out_headers, payload = api.handle(self.command, self.path, headers, body)
            self.send_response(status)
            for name, value in out_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Request lines go through the handlers' own structured logs instead."""

    return ThreadingHTTPServer((host, port), Handler)
