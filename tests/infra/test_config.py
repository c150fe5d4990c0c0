"""Per-environment settings from cdk.json: every environment loads, and a mistake is named clearly."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from aws_cdk import App, RemovalPolicy

from infra.app import build_app, cdk_json_context
from infra.config import ConfigError, load_config

pytestmark = pytest.mark.xdist_group("infra")

ENVIRONMENTS = ("test", "pilot", "production")


def _app(env_name: str | None, **changes: Any) -> App:
    context = copy.deepcopy(cdk_json_context())
    if env_name is not None:
        context["env"] = env_name
    if changes:
        context["environments"][env_name].update(changes)
    return App(context=context)


def test_the_three_environments_are_configured() -> None:
    assert tuple(cdk_json_context()["environments"]) == ENVIRONMENTS


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_each_environment_loads(env_name: str) -> None:
    config = load_config(_app(env_name))

    assert config.name == env_name
    assert config.cors_allowed_origins


@pytest.mark.parametrize("env_name", ["pilot", "production"])
def test_nothing_is_lost_outside_test(env_name: str) -> None:
    config = load_config(_app(env_name))

    assert config.removal_policy is RemovalPolicy.RETAIN
    assert config.deletion_protection


def test_an_unknown_environment_names_the_choices() -> None:
    with pytest.raises(ConfigError, match="unknown environment 'prod'; choose one of test, pilot, production"):
        load_config(_app("prod"))


def test_an_unknown_environment_fails_before_building_anything() -> None:
    with pytest.raises(ConfigError, match="unknown environment 'staging'"):
        build_app("staging", bundle=False)


def test_a_missing_environment_says_how_to_choose_one() -> None:
    with pytest.raises(ConfigError, match="pass -c env=NAME with one of test, pilot, production"):
        load_config(_app(None))


@pytest.mark.parametrize(
    ("setting", "value", "problem"),
    [
        ("removal_policy", "SNAPSHOT", "removal_policy: Value error, choose DESTROY (test) or RETAIN"),
        ("deletion_protection", "sometimes", "deletion_protection: Input should be a valid boolean"),
        ("log_retention", "INFINITE", "log_retention: Value error, log groups must expire"),
        ("log_retention", "30", "log_retention: Input should be 'ONE_DAY'"),
        ("log_level", "VERBOSE", "log_level: Input should be 'DEBUG'"),
        ("reserved_concurrency", 0, "reserved_concurrency: Input should be greater than 0"),
        ("api_throttling", {"rate_limit": 0, "burst_limit": 10}, "api_throttling.rate_limit: Input should be greater"),
        ("cors_allowed_origins", ["*"], "cors_allowed_origins.0: Value error, '*' is not an allowed CORS origin"),
        ("cors_allowed_origins", ["https://example.dk/"], "'https://example.dk/' is not an allowed CORS origin"),
        ("account", "12345", "account: String should match pattern"),
        ("region", "europe", "region: String should match pattern"),
        ("log_retention_days", 30, "log_retention_days: Extra inputs are not permitted"),
    ],
)
def test_an_invalid_setting_is_named_with_its_environment(setting: str, value: Any, problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(_app("pilot", **{setting: value}))

    assert str(raised.value).startswith("invalid settings for environment 'pilot' in cdk.json: ")
    assert problem in str(raised.value)


def test_a_missing_setting_is_named() -> None:
    context = copy.deepcopy(cdk_json_context())
    del context["environments"]["test"]["log_level"]

    with pytest.raises(ConfigError, match="log_level: Field required"):
        load_config(App(context={**context, "env": "test"}))
