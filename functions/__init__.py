"""The Lambda functions: `ENTRY_POINTS` lists every module Lambda runs, and infra/ and the tests read it.

Each entry point is a module `functions/<function>/<module>.py` that defines `lambda_handler`; its directory is
the function's code asset and its Powertools service. A test fails when a module there defines `lambda_handler`
and is not listed here (tests/unit/test_entry_points.py).

Each HTTP function's `handler` module defines `app` and `lambda_handler`. The routes a function serves are read
from its own resolver, so API Gateway (infra/) and the local runner (local/) expose exactly what the handler
implements, with no second list to keep in step.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

# How Lambda invokes an entry point: API Gateway, an EventBridge schedule, an SQS event source mapping, or the
# deployment (a CDK trigger).
Trigger = Literal["api", "schedule", "queue", "deployment"]


@dataclass(frozen=True)
class EntryPoint:
    function: str  # the directory under functions/: the code asset and the Powertools service
    trigger: Trigger
    module: str = "handler"  # the module in that directory defining `lambda_handler`

    @property
    def import_path(self) -> str:
        """The module's import path from the repository root: `functions.notifications.sender`."""
        return f"functions.{self.function}.{self.module}"

    @property
    def handler(self) -> str:
        """Lambda's handler setting, relative to the code asset: `sender.lambda_handler`."""
        return f"{self.module}.lambda_handler"


ENTRY_POINTS: tuple[EntryPoint, ...] = (
    EntryPoint("organisations", "api"),
    EntryPoint("questionnaires", "api"),
    EntryPoint("assignments", "api"),
    EntryPoint("responses", "api"),
    EntryPoint("notifications", "schedule"),  # the reminder job (docs/reminders.md)
    EntryPoint("notifications", "queue", module="sender"),  # sends what the reminder job queued
    EntryPoint("orgsync", "schedule"),  # the nightly organisation sync (docs/org-sync.md)
    EntryPoint("seed", "deployment"),  # reference data, after each deployment that changes it
)
HTTP_FUNCTIONS = tuple(entry.function for entry in ENTRY_POINTS if entry.trigger == "api")
_METHODS = ("get", "put", "post", "patch", "delete")


def entry_point(function: str, module: str = "handler") -> EntryPoint:
    """The registered entry point `functions/<function>/<module>.py`; a LookupError names what is missing."""
    for entry in ENTRY_POINTS:
        if (entry.function, entry.module) == (function, module):
            return entry
    raise LookupError(f"functions/{function}/{module}.py is not in functions.ENTRY_POINTS")


def handler_module(name: str) -> ModuleType:
    return importlib.import_module(entry_point(name).import_path)


def openapi_document(name: str) -> dict[str, Any]:
    """The function's OpenAPI document (kommunal_pro.api.openapi_document)."""
    from kommunal_pro.api import openapi_document as document

    result: dict[str, Any] = document(handler_module(name).app)
    return result


def operations(name: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(METHOD, /path/{param}, its OpenAPI operation) for every route the function serves."""
    for path, item in openapi_document(name).get("paths", {}).items():
        for method in _METHODS:
            if (operation := item.get(method)) is not None:
                yield method.upper(), path, operation


def body_routes(name: str) -> frozenset[tuple[str, str]]:
    """(METHOD, path) of the routes of function `name` whose OpenAPI operation requires a request body: API
    Gateway refuses a body that is not a JSON object on them (BAD_REQUEST_BODY), and so does the local runner."""
    return frozenset(
        (method, path)
        for method, path, operation in operations(name)
        if operation.get("requestBody", {}).get("required")
    )


def merged_openapi_document() -> dict[str, Any]:
    """One OpenAPI document for the whole API, merged from each HTTP function's; a component two functions
    both define must be the same schema, so one name always means one thing."""
    document: dict[str, Any] = {}
    for name in HTTP_FUNCTIONS:
        part = openapi_document(name)
        if not document:
            document = part
            continue
        document["paths"].update(part.get("paths", {}))
        document["tags"] = document.get("tags", []) + part.get("tags", [])
        schemas = document["components"]["schemas"]
        for component, schema in part["components"]["schemas"].items():
            if schemas.setdefault(component, schema) != schema:
                raise ValueError(f"functions/{name} defines the component {component} differently")
    document["paths"] = dict(sorted(document["paths"].items()))
    return document


def http_routes(name: str) -> list[tuple[str, str]]:
    """(METHOD, /path/{param}) for every route the function serves."""
    return sorted((method, path) for method, path, _ in operations(name))
