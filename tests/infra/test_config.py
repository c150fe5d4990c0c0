"""Per-environment settings from cdk.json: every environment loads, and a mistake is named clearly."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from aws_cdk import App, RemovalPolicy

from infra.app import build_app, cdk_json_context, main
from infra.config import ConfigError, load_config
from infra.storage import indexes_to_build
from kommunal_pro.storage.schema import DUE, GSI1, GSI2, INDEXES, LOGIN

pytestmark = pytest.mark.xdist_group("infra")

ENVIRONMENTS = ("test", "pilot", "production")
DELETE = object()


def _changed(env_name: str, path: str, value: Any) -> App:
    """The app with one setting of `env_name` changed (or deleted), named by its dotted path."""
    context = copy.deepcopy(cdk_json_context())
    settings = context["environments"][env_name]
    *parents, key = path.split(".")
    for parent in parents:
        settings = settings[parent]
    if value is DELETE:
        del settings[key]
    else:
        settings[key] = value
    return App(context={**context, "env": env_name})


def _problem(env_name: str, path: str, value: Any) -> str:
    with pytest.raises(ConfigError) as raised:
        load_config(_changed(env_name, path, value))
    message = str(raised.value)
    assert message.startswith(f"invalid settings for environment {env_name!r} in cdk.json: "), message
    return message


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
        ("sender_concurrency", 1, "sender_concurrency: Input should be greater than or equal to 2"),
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


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("audit_retention_days", 0, "audit_retention_days: Input should be greater than or equal to 1"),
        ("cors_allowed_origins", [], "cors_allowed_origins: List should have at least 1 item"),
        ("alarms", {"emails": []}, "alarms.emails: List should have at least 1 item"),
        ("alarms.emails", ["drift"], "alarms.emails.0: Value error, 'drift' is not an e-mail address"),
        ("alarms.email", ["drift@kommunalpro.dk"], "alarms.email: Extra inputs are not permitted"),
        ("waf.rate_limit", 50, "waf.rate_limit: Input should be greater than or equal to 100"),
        ("schedules.reminders", "rate(1 minutes)", "write rate(1 minute) but rate(15 minutes)"),
        ("schedules.reminders", "rate(15 minute)", "write rate(1 minute) but rate(15 minutes)"),
        ("schedules.reminders", "every 15 minutes", "'every 15 minutes' is not a schedule"),
        ("schedules.reminders", "cron(0 1 * * * *)", "one of day-of-month and day-of-week must be '?'"),
        ("schedules.organisation_sync", "rate(1 day)", "the organisation sync runs at a fixed time, so use cron"),
        ("schedules.organisation_sync", DELETE, "schedules.organisation_sync: Field required"),
        ("email.from_address", "noreply@example.com", "is not an address of 'pilot.kommunalpro.dk'"),
        ("email.identity", "not a domain", "identity 'not a domain' is neither a domain nor an e-mail address"),
        ("sms.sender_id", "KommunalPROdk", "sms.sender_id: String should have at most 11 characters"),
        ("sms.sender_id", "12345", "sms.sender_id: String should match pattern"),
        ("sms.sms_type", "Urgent", "sms.sms_type: Input should be 'Transactional' or 'Promotional'"),
        ("sms.monthly_spend_limit_usd", 0, "sms.monthly_spend_limit_usd: Input should be greater than 0"),
        ("identity.callback_urls", ["ftp://pilot.kommunalpro.dk/"], "is not a sign-in return address"),
        ("identity.staff.domain_prefix", "kommunalpro-cognito", "may not contain 'aws', 'amazon' or 'cognito'"),
        ("identity.staff.domain_prefix", "Kommunal PRO", "identity.staff.domain_prefix: String should match pattern"),
        ("identity.staff.saml.metadata_url", "http://idp.example/metadata", "is not an https:// URL"),
        ("identity.staff.saml.metdata_url", "https://idp.example/metadata", "saml.metdata_url: Extra inputs"),
        ("identity.staff.saml.attributes.municipality", DELETE, "saml.attributes.municipality: Field required"),
        ("identity.staff.saml.roles", {}, "identity.staff.saml.roles: Dictionary should have at least 1 item"),
        ("identity.staff.saml.roles", {"urn:doctor": "doctor"}, "Input should be 'national-admin', 'admin'"),
        ("identity.staff.saml.roles", {"urn:citizen": "citizen"}, "staff roles cannot map to 'citizen'"),
        ("identity.citizens.oidc.scopes", ["mitid"], "scopes must include 'openid'"),
        ("identity.citizens.oidc.cpr_claim", DELETE, "identity.citizens.oidc.cpr_claim: Field required"),
        ("identity.citizens.oidc.client_secret", "s3cr3t", "identity.citizens.oidc.client_secret: Extra inputs"),
        ("identity.citizens.oidc.client_secret_name", "a secret", "client_secret_name: String should match pattern"),
        ("table_name", "restored table", "table_name: String should match pattern"),
        ("citizen_app_url", "pilot.kommunalpro.dk", "citizen_app_url: Value error, 'pilot.kommunalpro.dk' is not a"),
        ("citizen_app_url", "http://localhost:5173/", "sends real citizens https:// links only"),
        ("citizen_app_url", DELETE, "citizen_app_url: Field required"),
    ],
)
def test_an_invalid_nested_setting_is_named_with_its_path(path: str, value: Any, problem: str) -> None:
    assert problem in _problem("pilot", path, value)


@pytest.mark.parametrize(
    ("path", "missing"),
    [
        ("waf", "waf"),
        ("identity.staff.saml", "identity.staff.saml"),
        ("identity.citizens.oidc", "identity.citizens.oidc"),
    ],
)
@pytest.mark.parametrize("env_name", ["pilot", "production"])
def test_an_environment_that_keeps_its_data_needs_the_waf_and_the_national_identity_providers(
    env_name: str, path: str, missing: str
) -> None:
    message = _problem(env_name, path, DELETE)

    assert f"an environment that retains its data needs {missing};" in message
    assert "for a disposable (removal_policy DESTROY) test environment only" in message


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_reminders_link_to_the_citizen_app_of_the_environment(env_name: str) -> None:
    config = load_config(_app(env_name))

    assert config.citizen_app_url.startswith(config.cors_allowed_origins[0])
    assert config.citizen_app_url.startswith("https://") is config.keeps_data


def test_the_test_environment_has_native_users_and_no_waf_or_backup_plan() -> None:
    config = load_config(_app("test"))

    assert config.waf is None
    assert config.backup is None
    assert not config.identity.federated


def test_only_production_has_a_backup_plan_with_daily_and_monthly_retention() -> None:
    backups = {env_name: load_config(_app(env_name)).backup for env_name in ENVIRONMENTS}

    assert backups["test"] is None
    assert backups["pilot"] is None
    assert backups["production"] is not None
    assert backups["production"].monthly_retention_days > backups["production"].daily_retention_days


def test_no_secret_is_a_setting() -> None:
    """Secrets (the MitID broker's client secret, the CPR hash key) are named, never written, in cdk.json."""
    keys: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                keys.append(key)
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    collect(cdk_json_context()["environments"])
    assert [key for key in keys if any(word in key.lower() for word in ("secret", "password", "key"))] == [
        "client_secret_name",
        "client_secret_name",
    ]


def test_the_app_exits_with_the_message_when_the_environment_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    """`cdk synth -c env=prod` stops with the message instead of a traceback."""
    context = {**cdk_json_context(), "env": "prod"}
    monkeypatch.setattr("infra.app.cdk_json_context", lambda: copy.deepcopy(context))

    with pytest.raises(SystemExit, match="error: unknown environment 'prod'; choose one of test, pilot, production"):
        main()


def test_all_indexes_are_built_unless_named() -> None:
    assert indexes_to_build() == INDEXES


def test_an_existing_table_gains_the_named_indexes_only() -> None:
    assert indexes_to_build("GSI1, Login,GSI2") == (GSI1, GSI2, LOGIN)
    assert DUE not in indexes_to_build("GSI1,GSI2,Login")


@pytest.mark.parametrize("value", ["", "GSI1,GSI9", 3])
def test_an_unknown_index_name_stops_synth(value: object) -> None:
    with pytest.raises(ConfigError, match=r"-c table_indexes=.*: name indexes of the schema, comma-separated"):
        indexes_to_build(value)
