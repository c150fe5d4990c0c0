"""Per-environment settings: the `environments` object in cdk.json, chosen with `-c env=NAME`.

Every setting is typed and checked before anything is built, so a typo in an environment's name, a missing
value or an unknown key stops `cdk synth` with a message naming the environment and the setting. Secrets are
never settings: the MitID broker's client secret is named here and read from Secrets Manager at deploy time.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from aws_cdk import RemovalPolicy
from aws_cdk.aws_logs import RetentionDays
from constructs import IConstruct, Node
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails

from kommunal_pro.auth import Role

ENV_CONTEXT_KEY = "env"
ENVIRONMENTS_CONTEXT_KEY = "environments"

# An exact browser origin: https://host[:port], or http://localhost[:port] for a developer's machine.
_ORIGIN = re.compile(r"^(https://[a-z0-9.-]+|http://localhost)(:\d{1,5})?$")
# A browser address the sign-in may return to: an origin and a path.
_APP_URL = re.compile(r"^(https://[a-z0-9.-]+|http://localhost)(:\d{1,5})?(/[A-Za-z0-9._~/-]*)?$")
_HTTPS_URL = re.compile(r"^https://[a-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~%/:-]*)?$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@([a-z0-9-]+\.)+[a-z]{2,}$")
_DOMAIN = re.compile(r"^([a-z0-9-]+\.)+[a-z]{2,}$")
# EventBridge schedule expressions: rate(1 minute), rate(15 minutes), cron(m h dom mon dow year).
_RATE = re.compile(r"^rate\((?P<value>[1-9]\d*) (?P<unit>minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((?P<fields>\S+( \S+){5})\)$")


class ConfigError(ValueError):
    """The chosen environment or its settings in cdk.json are missing or invalid."""


def _origin(value: str) -> str:
    if not _ORIGIN.match(value):
        raise ValueError(
            f"{value!r} is not an allowed CORS origin: use https://host[:port] (or http://localhost[:port]), "
            "without a path, trailing slash or wildcard"
        )
    return value


def _app_url(value: str) -> str:
    if not _APP_URL.match(value):
        raise ValueError(f"{value!r} is not a sign-in return address: use https://host[:port]/path (or localhost)")
    return value


def _link(value: str) -> str:
    if not _APP_URL.match(value):
        raise ValueError(f"{value!r} is not a web client's address: use https://host[:port]/path (or localhost)")
    return value


def _https_url(value: str) -> str:
    if not _HTTPS_URL.match(value):
        raise ValueError(f"{value!r} is not an https:// URL")
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


def _destroy_or_retain(policy: RemovalPolicy) -> RemovalPolicy:
    if policy not in (RemovalPolicy.DESTROY, RemovalPolicy.RETAIN):
        raise ValueError("choose DESTROY (test) or RETAIN")
    return policy


def _finite(retention: RetentionDays) -> RetentionDays:
    if retention is RetentionDays.INFINITE:
        raise ValueError("log groups must expire: choose a finite retention")
    return retention


def _schedule(value: str) -> str:
    """An EventBridge schedule expression, checked here rather than by CloudFormation half-way through a deploy."""
    rate = _RATE.match(value)
    if rate:
        if (rate["value"] == "1") != (not rate["unit"].endswith("s")):
            raise ValueError(f"{value!r}: write rate(1 minute) but rate(15 minutes) (singular only for 1)")
        return value
    cron = _CRON.match(value)
    if cron:
        fields = cron["fields"].split(" ")
        if "?" not in (fields[2], fields[4]):
            raise ValueError(f"{value!r}: one of day-of-month and day-of-week must be '?'")
        return value
    raise ValueError(
        f"{value!r} is not a schedule: use rate(N minutes|hours|days) or cron(min hour dom month dow year)"
    )


def _cron(value: str) -> str:
    if not value.startswith("cron("):
        raise ValueError(f"{value!r}: the organisation sync runs at a fixed time, so use cron(...)")
    return _schedule(value)


def _domain_prefix(value: str) -> str:
    if any(reserved in value for reserved in ("aws", "amazon", "cognito")):
        raise ValueError(f"{value!r}: a Cognito domain prefix may not contain 'aws', 'amazon' or 'cognito'")
    return value


Origin = Annotated[str, AfterValidator(_origin)]
AppUrl = Annotated[str, AfterValidator(_app_url)]
Link = Annotated[str, AfterValidator(_link)]
HttpsUrl = Annotated[str, AfterValidator(_https_url)]
Email = Annotated[str, AfterValidator(_email)]
Schedule = Annotated[str, AfterValidator(_schedule)]
DomainPrefix = Annotated[str, Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"), AfterValidator(_domain_prefix)]
# An IdP attribute or claim name: a URI, an OIDC claim or a SAML attribute name.
ClaimName = Annotated[str, Field(min_length=1, max_length=512, pattern=r"^\S+$")]
# A Cognito identity provider name (3-32 characters, no spaces).
ProviderName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{3,32}$")]


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Throttling(_Settings):
    rate_limit: Annotated[float, Field(gt=0)] = Field(description="steady-state requests per second")
    burst_limit: PositiveInt = Field(description="requests allowed in a burst")


class Alarms(_Settings):
    emails: list[Email] = Field(min_length=1, description="who is e-mailed when an alarm fires (SNS e-mail)")
    api_p90_latency_ms: Annotated[int, Field(ge=50, le=29_000)] = Field(
        default=1000, description="the API's p90 latency that, held for 15 of 25 minutes, is an incident"
    )
    monthly_budget_usd: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        description="the environment's monthly AWS cost budget: e-mailed at 80 % spent and at 100 % forecast"
    )


class Waf(_Settings):
    rate_limit: Annotated[int, Field(ge=100, le=2_000_000_000)] = Field(
        description="requests per client IP per 5 minutes before the WAF blocks it (staff share NAT addresses)"
    )


class Backup(_Settings):
    daily_retention_days: Annotated[int, Field(ge=1, le=3650)]
    monthly_retention_days: Annotated[int, Field(ge=28, le=36500)]


class Schedules(_Settings):
    reminders: Schedule = Field(description="when the reminder job runs, e.g. rate(15 minutes)")
    organisation_sync: Annotated[str, AfterValidator(_cron)] = Field(description="when the org sync runs (UTC)")


class EmailSender(_Settings):
    identity: str = Field(description="the SES identity the stack creates: a domain, or one e-mail address")
    from_address: Email

    @model_validator(mode="after")
    def _from_address_is_covered_by_the_identity(self) -> EmailSender:
        if "@" in self.identity:
            _email(self.identity)
            if self.from_address != self.identity:
                raise ValueError(f"from_address must be {self.identity!r}, the verified address")
        else:
            if not _DOMAIN.match(self.identity):
                raise ValueError(f"identity {self.identity!r} is neither a domain nor an e-mail address")
            if not self.from_address.endswith(f"@{self.identity}"):
                raise ValueError(f"from_address {self.from_address!r} is not an address of {self.identity!r}")
        return self

    @property
    def is_domain(self) -> bool:
        return "@" not in self.identity


class Sms(_Settings):
    sender_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{0,10}[A-Za-z][A-Za-z0-9]{0,10}$", max_length=11)] = Field(
        description="alphanumeric sender id shown on the phone (1-11 characters, at least one letter)"
    )
    sms_type: Literal["Transactional", "Promotional"]
    monthly_spend_limit_usd: PositiveInt = Field(description="the account's SNS SMS spend limit; alarmed at 80%")


class SamlAttributes(_Settings):
    """Which SAML attributes (from FK-Adgangsstyring) carry what the platform reads from a staff token."""

    municipality: ClaimName = Field(description="the user's municipality as its 4-digit kommunekode")
    roles: ClaimName = Field(description="the user's roles (system roles); translated with `roles` below")
    units: ClaimName | None = None
    email: ClaimName | None = None
    name: ClaimName | None = None


class SamlProvider(_Settings):
    name: ProviderName
    metadata_url: HttpsUrl
    attributes: SamlAttributes
    roles: dict[Annotated[str, Field(min_length=1)], Role] = Field(
        min_length=1, description="role value sent by the identity provider -> platform role"
    )

    @model_validator(mode="after")
    def _no_citizen_role_for_staff(self) -> SamlProvider:
        if Role.CITIZEN in self.roles.values():
            raise ValueError("staff roles cannot map to 'citizen'")
        return self


class OidcProvider(_Settings):
    name: ProviderName
    issuer_url: HttpsUrl
    client_id: Annotated[str, Field(min_length=1, max_length=255)]
    client_secret_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9/_+=.@-]{1,512}$")] = Field(
        description="the Secrets Manager secret (plain string) holding the client secret"
    )
    scopes: list[Annotated[str, Field(pattern=r"^\S+$")]] = Field(min_length=1)
    cpr_claim: ClaimName = Field(description="the claim carrying the citizen's CPR number")
    name_claim: ClaimName | None = None

    @model_validator(mode="after")
    def _openid_scope(self) -> OidcProvider:
        if "openid" not in self.scopes:
            raise ValueError("scopes must include 'openid'")
        return self


class StaffIdentity(_Settings):
    domain_prefix: DomainPrefix
    saml: SamlProvider | None = Field(None, description="FK-Adgangsstyring; absent = native users (test only)")


class CitizenIdentity(_Settings):
    domain_prefix: DomainPrefix
    oidc: OidcProvider | None = Field(None, description="the MitID broker; absent = native users (test only)")


class Identity(_Settings):
    callback_urls: list[AppUrl] = Field(min_length=1, description="where the sign-in returns to the web clients")
    logout_urls: list[AppUrl] = Field(min_length=1)
    staff: StaffIdentity
    citizens: CitizenIdentity

    @property
    def federated(self) -> bool:
        return self.staff.saml is not None or self.citizens.oidc is not None


class EnvironmentConfig(_Settings):
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
    audit_retention_days: Annotated[int, Field(ge=1, le=36500)] = Field(
        description="how long audit events are kept (given to the functions as AUDIT_RETENTION_DAYS)"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"]
    sender_concurrency: Annotated[int, Field(ge=2, le=1000)] = Field(
        description="how many batches of the notification queue the sender handles at once (the SQS event source's "
        "maximum concurrency)"
    )
    api_throttling: Throttling
    cors_allowed_origins: list[Origin] = Field(min_length=1)
    citizen_app_url: Link = Field(
        description="the citizen web client's address, the link in every reminder (CITIZEN_APP_URL for the sender)"
    )
    alarms: Alarms
    waf: Waf | None = Field(None, description="the web ACL in front of the API; absent only where data is disposable")
    backup: Backup | None = Field(None, description="an AWS Backup plan for the table; absent = point-in-time recovery")
    schedules: Schedules
    email: EmailSender
    sms: Sms
    identity: Identity
    table_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{3,255}$")] | None = Field(
        None, description="an existing (restored) table to use instead of the stack's own; see docs/operations.md"
    )

    @model_validator(mode="after")
    def _kept_data_is_real_data(self) -> EnvironmentConfig:
        """An environment that keeps its data holds real citizens' data: it needs the WAF and the national IdPs."""
        if self.removal_policy is RemovalPolicy.RETAIN:
            missing = [
                setting
                for setting, value in (
                    ("waf", self.waf),
                    ("identity.staff.saml", self.identity.staff.saml),
                    ("identity.citizens.oidc", self.identity.citizens.oidc),
                )
                if value is None
            ]
            if missing:
                raise ValueError(
                    f"an environment that retains its data needs {', '.join(missing)}; native Cognito users and "
                    "no WAF are for a disposable (removal_policy DESTROY) test environment only"
                )
            if not self.citizen_app_url.startswith("https://"):
                raise ValueError("an environment that retains its data sends real citizens https:// links only")
        return self

    @property
    def keeps_data(self) -> bool:
        return self.removal_policy is RemovalPolicy.RETAIN


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
        problems = "; ".join(_problem(e) for e in error.errors(include_url=False))
        raise ConfigError(f"invalid settings for environment {name!r} in cdk.json: {problems}") from None


def _problem(error: ErrorDetails) -> str:
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]
