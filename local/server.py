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
from kommunal_pro.auth import Role
from kommunal_pro.config import get_settings
from kommunal_pro.errors import GATEWAY_PROBLEMS
from local import tokens
from local.apigateway import LocalLambdaContext, proxy_event

DOCS_PAGE = Path(__file__).with_name("docs.html")
DOCS_INIT = Path(__file__).with_name("docs-init.js")
# Swagger UI's files from the npm package (make run installs it): /docs needs nothing from the internet.
SWAGGER_UI = Path(__file__).resolve().parent.parent / "node_modules" / "swagger-ui-dist"
DOCS_ASSETS = {
    path.name: path for path in (SWAGGER_UI / "swagger-ui.css", SWAGGER_UI / "swagger-ui-bundle.js", DOCS_INIT)
}
WEB_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
# The API's paths (any version, /v2 included), the reference and the document: never the web client's, so an
# unknown one answers as API Gateway would. Every other GET is the web client's.
NOT_WEB = re.compile(r"^/(v\d+(/|$)|docs|openapi\.json)")
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".woff2": "font/woff2",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
}


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
        if method == "GET" and url.path == "/docs":
            return 200, {"Content-Type": "text/html; charset=utf-8"}, DOCS_PAGE.read_bytes()
        if method == "GET" and url.path.startswith("/docs/") and url.path.removeprefix("/docs/") in DOCS_ASSETS:
            asset = DOCS_ASSETS[url.path.removeprefix("/docs/")]
            return 200, {"Content-Type": CONTENT_TYPES[asset.suffix]}, asset.read_bytes()
        if method == "POST" and url.path == "/dev/token":
            return dev_token(body, self._token_secret)
        if method == "GET" and not NOT_WEB.match(url.path) and (page := web_file(url.path)) is not None:
            return page
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
            query=parse_qs(url.query, keep_blank_values=True),  # API Gateway passes `?limit=` on as ""
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


def web_file(path: str) -> tuple[int, dict[str, str], bytes] | None:
    """A file of the built web client, or its entry page for the app's own paths (SPA routing); None when the
    client is not built, so that the path answers as the API would."""
    if not (WEB_DIST / "index.html").exists():
        return None
    target = (WEB_DIST / path.lstrip("/")).resolve()
    if not target.is_relative_to(WEB_DIST.resolve()) or not target.is_file():
        if "." in path.rsplit("/", 1)[-1]:
            return None  # a missing asset is a 404, not the app
        entry = "dev" if path.startswith("/dev/") or path == "/dev" else "index"
        target = WEB_DIST / f"{entry}.html"
    cache = "public, max-age=31536000, immutable" if "/assets/" in path else "no-cache"
    content_type = CONTENT_TYPES.get(target.suffix, "application/octet-stream")
    return 200, {"Content-Type": content_type, "Cache-Control": cache}, target.read_bytes()


def dev_token(body: str | None, secret: str | None) -> tuple[int, dict[str, str], bytes]:
    """Local only (never deployed): the start page's sign-in, a dev token for a demo user.

    Body {"role": "citizen", "user": <index into the demo citizens>} or {"role": "employee" | ...}."""
    from local.seed import DEMO_CITIZENS, DEMO_MUNICIPALITY, DEMO_UNIT

    try:
        request = json.loads(body or "")
        role = Role(request["role"])
        user = int(request.get("user", 0))
        if not 0 <= user < len(DEMO_CITIZENS):
            raise ValueError(user)
    except (ValueError, KeyError, TypeError):
        return gateway_error("BAD_REQUEST_BODY")
    if role is Role.CITIZEN:
        cpr, name, *_ = DEMO_CITIZENS[user]
        claims = tokens.citizen_claims(cpr, name)
    else:
        municipality = None if role is Role.NATIONAL_ADMIN else DEMO_MUNICIPALITY
        claims = tokens.dev_claims(role, municipality, units=[DEMO_UNIT])
    return 200, {"Content-Type": "application/json"}, json.dumps({"token": tokens.mint(claims, secret=secret)}).encode()


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
