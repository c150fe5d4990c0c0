"""The local HTTP front door: routes requests to the real handlers as API Gateway would.

It plays API Gateway's parts: matching a route to its function, the Cognito authorizer (here verifying
dev tokens), and the proxy integration. Everything behind that is the production code.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from functions import HTTP_FUNCTIONS, body_routes, handler_module, http_routes, merged_openapi_document
from kommunal_pro.api import PROBLEM_JSON
from kommunal_pro.config import get_settings
from kommunal_pro.errors import GATEWAY_PROBLEMS
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
    with_body: bool  # API Gateway's request validator requires a JSON object body (functions.body_routes)


def build_routes() -> list[Route]:
    routes = []
    for function in HTTP_FUNCTIONS:
        module = handler_module(function)
        with_body = body_routes(function)
        for method, resource in http_routes(function):
            regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(resource))
            pattern = re.compile(f"^{regex}$")
            routes.append(Route(method, resource, pattern, function, module, (method, resource) in with_body))
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
        # API Gateway answers a path, or a method of a path, that has no route with MISSING_AUTHENTICATION_TOKEN.
        route, match = next(
            ((r, m) for r in self.routes if r.method == method and (m := r.pattern.match(url.path))), (None, None)
        )
        if route is None or match is None:
            return gateway_error("MISSING_AUTHENTICATION_TOKEN")
        claims = self._authorize(headers.get("authorization", ""))
        if claims is None:
            return gateway_error("UNAUTHORIZED")
        if route.with_body and _not_a_json_object(headers, body):
            return gateway_error("BAD_REQUEST_BODY")
        event = proxy_event(
            method,
            # API Gateway hands the function its path and path parameters percent-decoded.
            unquote(url.path),
            resource=route.resource,
            path_parameters={name: unquote(value) for name, value in match.groupdict().items()},
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


def _not_a_json_object(headers: dict[str, str], body: str | None) -> bool:
    """What API Gateway's request validator refuses: a JSON body (Content-Type application/json, or none) that is
    not a JSON object, the route's model. Another media type has no model and passes through (the function
    answers 415); an empty body is left to the function too."""
    media_type = headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media_type != "application/json" or not body:
        return False
    try:
        return not isinstance(json.loads(body), dict)
    except ValueError:
        return True


# $context.error.messageString of the gateway responses the runner plays.
GATEWAY_MESSAGES = {
    "MISSING_AUTHENTICATION_TOKEN": "Missing Authentication Token",
    "UNAUTHORIZED": "Unauthorized",
    "BAD_REQUEST_BODY": "Invalid request body",
}


def gateway_error(response_type: str) -> tuple[int, dict[str, str], bytes]:
    """What API Gateway's gateway response `response_type` answers (infra/api.py): the same problem+json."""
    problem = GATEWAY_PROBLEMS[response_type]
    headers = {"Content-Type": PROBLEM_JSON}
    origins = [origin.strip() for origin in get_settings().cors_allowed_origins.split(",") if origin.strip()]
    if len(origins) == 1:
        headers |= {"Access-Control-Allow-Origin": origins[0], "Vary": "Origin"}
    body = problem.body() | {"message": GATEWAY_MESSAGES[response_type]}
    return problem.status, headers, json.dumps(body, ensure_ascii=False).encode()


def make_server(api: LocalApi, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        server_version = "KommunalPRO-local"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            # Not UTF-8: the bytes survive as lone surrogates, which the handler refuses with a 400.
            body = self.rfile.read(length).decode(errors="surrogateescape") if length else None
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
