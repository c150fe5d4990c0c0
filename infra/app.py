"""The CDK app: one stack per run, for the environment chosen with `-c env=NAME` (see cdk.json).

Synthesise with `cdk synth -c env=pilot`, or `make synth ENV=pilot`.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from aws_cdk import App, Environment, Tags

from infra.config import ENV_CONTEXT_KEY, ConfigError, load_config
from infra.layer import ROOT
from infra.nag import add_checks
from infra.stack import KommunalProStack

# The stacks whose assets are bundled; an empty list skips bundling (fast, offline synth for tests).
BUNDLING_STACKS_CONTEXT_KEY = "aws:cdk:bundling-stacks"


def stack_name(env_name: str) -> str:
    return f"KommunalPro-{env_name}"


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's context. The CDK CLI passes it to the app itself; this makes the app work without the CLI."""
    context = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
    if not isinstance(context, dict):
        raise ConfigError("the 'context' of cdk.json must be an object")
    return context


def build_app(env_name: str | None = None, *, outdir: str | None = None, bundle: bool = True) -> App:
    """The app for `env_name` (default: the `env` context value), checked by cdk-nag when synthesised."""
    context = cdk_json_context()
    if env_name is not None:
        context[ENV_CONTEXT_KEY] = env_name
    if not bundle:
        context[BUNDLING_STACKS_CONTEXT_KEY] = []
    app = App(context=context, outdir=outdir)
    config = load_config(app)
    stack = KommunalProStack(
        app,
        stack_name(config.name),
        config=config,
        env=Environment(
            account=config.account or os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=config.region or os.environ.get("CDK_DEFAULT_REGION"),
        ),
    )
    Tags.of(stack).add("project", "kommunal-pro")
    Tags.of(stack).add("environment", config.name)
    add_checks(app)
    return app


def main() -> None:
    try:
        app = build_app()
    except ConfigError as error:
        sys.exit(f"error: {error}")
    app.synth()


if __name__ == "__main__":
    main()
