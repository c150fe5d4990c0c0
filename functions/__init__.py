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
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.models import Operation

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


def operations(name: str) -> Iterator[tuple[str, str, Operation]]:
    """(METHOD, /path/{param}, its OpenAPI operation) for every route the function serves."""
    schema = handler_module(name).app.get_openapi_schema()
    for path, item in (schema.paths or {}).items():
        for method in _METHODS:
            if (operation := getattr(item, method, None)) is not None:
                yield method.upper(), path, operation


def body_routes(name: str) -> frozenset[tuple[str, str]]:
    """(METHOD, path) of the routes of function `name` whose OpenAPI operation requires a request body: API
    Gateway refuses a body that is not a JSON object on them (BAD_REQUEST_BODY), and so does the local runner."""
    from aws_lambda_powertools.event_handler.openapi.models import RequestBody

    return frozenset(
        (method, path)
        for method, path, operation in operations(name)
        if isinstance(operation.requestBody, RequestBody) and operation.requestBody.required
    )


def http_routes(name: str) -> list[tuple[str, str]]:
    """(METHOD, /path/{param}) for every route the function serves."""
    return sorted((method, path) for method, path, _ in operations(name))
