"""Each environment is synthesised once per session, without bundling, and shared by every infra test.

A synth runs cdk-nag: an unacknowledged finding makes it fail. The failure is kept (not raised) so that
the nag test fails with the list of findings, while the template tests still run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import CfnResource, Stack
from aws_cdk.assertions import Template

from infra.app import build_app, cdk_json_context, stack_name
from infra.config import EnvironmentConfig, load_config
from tests.json_values import as_object

ENVIRONMENTS = tuple(cdk_json_context()["environments"])


@dataclass(frozen=True)
class Synthesised:
    config: EnvironmentConfig
    stack: Stack
    template: Template
    validation_failure: str | None  # the unacknowledged findings, when synth failed validation

    @property
    def name(self) -> str:
        return self.config.name

    @cached_property
    def resources(self) -> dict[str, Any]:
        return as_object(self.template.to_json()["Resources"])

    @cached_property
    def construct_paths(self) -> dict[str, str]:
        """The construct path (below the stack) of each resource, by logical id."""
        stack = self.stack
        return {
            stack.resolve(element.logical_id): element.node.path.split("/", 1)[1]
            for element in stack.node.find_all()
            if isinstance(element, CfnResource)
        }

    @cached_property
    def alarms(self) -> dict[str, dict[str, Any]]:
        """The alarms' properties by name without the environment's prefix: "responses errors", "api 5xx"."""
        prefix = f"kommunal-pro-{self.name} "
        return {
            alarm["Properties"]["AlarmName"].removeprefix(prefix): alarm["Properties"]
            for alarm in self.find("AWS::CloudWatch::Alarm").values()
        }

    def find(self, type_: str, props: dict[str, Any] | None = None) -> Mapping[str, Mapping[str, Any]]:
        return self.template.find_resources(type_, {"Properties": props} if props else None)


def _violations(outdir: Path) -> str:
    report = json.loads((outdir / "validation-report.json").read_text(encoding="utf-8"))
    return "\n".join(
        f"{violation['ruleName']} at {construct['constructPath']}: {violation['description']}"
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    )


def _synthesise(env_name: str, outdir: Path) -> Synthesised:
    app = build_app(env_name, outdir=str(outdir), bundle=False)
    stack = app.node.find_child(stack_name(env_name))
    assert isinstance(stack, Stack), stack
    config = load_config(app)
    try:
        app.synth()
    except RuntimeError as error:
        if "ValidationFailed" not in str(error):
            raise
        # The template is written before validation runs: the other tests still check it.
        template = Template.from_json(json.loads((outdir / stack.template_file).read_text(encoding="utf-8")))
        return Synthesised(config, stack, template, f"{error}\n{_violations(outdir)}")
    return Synthesised(config, stack, Template.from_stack(stack), None)


@pytest.fixture(scope="session")
def synthesise(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Synthesised]:
    """Synthesise an environment on first use; later uses get the same result, or the same error."""
    results: dict[str, Synthesised | Exception] = {}

    def synthesise(env_name: str) -> Synthesised:
        if env_name not in results:
            try:
                results[env_name] = _synthesise(env_name, tmp_path_factory.mktemp(f"cdk-{env_name}"))
            except Exception as error:
                results[env_name] = error
                raise
        result = results[env_name]
        if isinstance(result, Exception):
            # Short, without the (slow to format) traceback: the first test using it showed that.
            raise RuntimeError(f"synthesising {env_name!r} failed: {result}") from None
        return result

    return synthesise


@pytest.fixture(params=ENVIRONMENTS)
def synthesised(request: pytest.FixtureRequest, synthesise: Callable[[str], Synthesised]) -> Synthesised:
    """Each environment in turn."""
    return synthesise(request.param)
