"""Per-environment settings: the `environments` object in cdk.json, chosen with `-c env=NAME`."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from aws_cdk import RemovalPolicy
from aws_cdk.aws_logs import RetentionDays
from constructs import IConstruct, Node
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PositiveInt, ValidationError

ENV_CONTEXT_KEY = "env"
ENVIRONMENTS_CONTEXT_KEY = "environments"

# An exact browser origin: https://host[:port], or http://localhost[:port] for a developer's machine.
_ORIGIN = re.compile(r"^(https://[a-z0-9.-]+|http://localhost)(:\d{1,5})?$")


class ConfigError(ValueError):
    """The chosen environment or its settings in cdk.json are missing or invalid."""


def _origin(value: str) -> str:
    if not _ORIGIN.match(value):
        raise ValueError(
            f"{value!r} is not an allowed CORS origin: use https://host[:port] (or http://localhost[:port]), "
            "without a path, trailing slash or wildcard"
        )
    return value


def _destroy_or_retain(policy: RemovalPolicy) -> RemovalPolicy:
    if policy not in (RemovalPolicy.DESTROY, RemovalPolicy.RETAIN):
        raise ValueError("choose DESTROY (test) or RETAIN")
    return policy


def _finite(retention: RetentionDays) -> RetentionDays:
    if retention is RetentionDays.INFINITE:
        raise ValueError("log groups must expire: choose a finite retention")
    return retention


class Throttling(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rate_limit: Annotated[float, Field(gt=0)] = Field(description="steady-state requests per second")
    burst_limit: PositiveInt = Field(description="requests allowed in a burst")


class EnvironmentConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    account: Annotated[str, Field(pattern=r"^\d{12}$")] | None = Field(
        None, description="AWS account; defaults to CDK_DEFAULT_ACCOUNT"
    )
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")] | None = Field(
        None, description="AWS region; defaults to CDK_DEFAULT_REGION"
    )
    removal_policy: Annotated[RemovalPolicy, AfterValidator(_destroy_or_retain)] = Field(
        description="what happens to stateful resources (table, keys, user pools, logs) when removed"
    )
    deletion_protection: bool = Field(description="deletion protection on the table and the user pools")
    log_retention: Annotated[RetentionDays, AfterValidator(_finite)]
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"]
    reserved_concurrency: PositiveInt = Field(description="reserved concurrent executions per function")
    api_throttling: Throttling
    cors_allowed_origins: list[Annotated[str, AfterValidator(_origin)]]


def load_config(scope: IConstruct | Node) -> EnvironmentConfig:
    """The settings of the environment named by the `env` context value (`cdk synth -c env=pilot`)."""
    node = scope if isinstance(scope, Node) else scope.node
    environments = node.try_get_context(ENVIRONMENTS_CONTEXT_KEY)
    if not isinstance(environments, dict) or not environments:
        raise ConfigError(f"no '{ENVIRONMENTS_CONTEXT_KEY}' object in the CDK context (cdk.json)")
    choices = ", ".join(environments)
    name = node.try_get_context(ENV_CONTEXT_KEY)
    if not name:
        raise ConfigError(f"no environment chosen; pass -c {ENV_CONTEXT_KEY}=NAME with one of {choices}")
    if name not in environments:
        raise ConfigError(f"unknown environment {name!r}; choose one of {choices}")
    settings = environments[name]
    if not isinstance(settings, dict):
        raise ConfigError(f"the settings of environment {name!r} in cdk.json must be an object")
    try:
        return EnvironmentConfig.model_validate({**settings, "name": name})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors(include_url=False)
        )
        raise ConfigError(f"invalid settings for environment {name!r} in cdk.json: {problems}") from None
