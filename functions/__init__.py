"""The Lambda functions. Each HTTP function's `handler` module defines `app` and `lambda_handler`.

The routes a function serves are read from its own resolver, so API Gateway (infra/) and the local runner
(local/) expose exactly what the handler implements, with no second list to keep in step.
"""

from __future__ import annotations

import importlib
from types import ModuleType

HTTP_FUNCTIONS = ("organisations", "questionnaires", "assignments", "responses")
_METHODS = ("get", "put", "post", "patch", "delete")


def handler_module(name: str) -> ModuleType:
    return importlib.import_module(f"functions.{name}.handler")


def http_routes(name: str) -> list[tuple[str, str]]:
    """(METHOD, /path/{param}) for every route the function serves."""
    schema = handler_module(name).app.get_openapi_schema()
    return sorted(
        (method.upper(), path)
        for path, item in (schema.paths or {}).items()
        for method in _METHODS
        if getattr(item, method, None) is not None
    )
