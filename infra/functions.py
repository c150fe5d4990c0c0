"""The builders for the platform's Lambda functions, so that each function is a single call.

Every function gets its own log group and its own role whose only policy is a customer-managed policy listing
exactly what the function may do: write its own log group, send X-Ray traces, and what its caller names. No
inline policy is created (HIPAA IAMNoInlinePolicy). Every function has active tracing and is watched by the
environment's operations dashboard and alarms. Only a function that must not run twice at once (the seed, each
scheduled job) reserves concurrency, 1: a reservation for the others would protect nothing — the API stage's
throttling and the WAF bound the requests, the queue's maximum concurrency bounds the sender — and it would take
from the account's pool, which a new account has little of (docs/operations.md, "Account and quotas").

`AppFunction` is an entry point of `functions/` (`functions.ENTRY_POINTS`) running with the shared layer against
the table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions import EntryPoint
from infra.cfn import default_child
from infra.config import EnvironmentConfig
from infra.cpr import CprProtection
from infra.layer import ARCHITECTURE, ROOT, RUNTIME
from infra.logs import LogGroups
from infra.nag import acknowledge
from infra.operations import Operations
from infra.storage import AUDIT_ACTIONS, AuditLog, DataTable
from kommunal_pro.observability import NAMESPACE
from kommunal_pro.storage.schema import AUDIT_INDEXES, Index

FUNCTIONS_DIR = ROOT / "functions"
READ_WRITE = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query")
# Transactions that also update, delete (drafts) and check conditions on items.
TRANSACTIONAL = (*READ_WRITE, "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem")
# What DynamoDB needs from the caller to use a customer-managed table key on its behalf.
_TABLE_KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")


@dataclass(frozen=True)
class Platform:
    """What every function shares."""

    config: EnvironmentConfig
    layer: lambda_.ILayerVersion
    data: DataTable
    logs: LogGroups
    cpr: CprProtection
    operations: Operations
    audit: AuditLog


class ObservedFunction(Construct):
    """A function with its own log group and role (one customer-managed policy), tracing, reserved concurrency
    where one is given, and alarms on its errors and throttles. `statements` are what it may do beyond logging and
    tracing."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        logs: LogGroups,
        operations: Operations,
        label: str,
        code: lambda_.Code,
        handler: str,
        statements: Sequence[iam.PolicyStatement] = (),
        environment: Mapping[str, str] | None = None,
        layers: Sequence[lambda_.ILayerVersion] = (),
        timeout_seconds: int = 10,
        memory_size: int = 512,
        reserved_concurrency: int | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        log_group = logs.create(self, "Logs")
        role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        dead_letters = (
            [iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[dead_letter_queue.queue_arn])]
            if dead_letter_queue
            else []
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
                ),
                iam.PolicyStatement(actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"]),
                *statements,
                *dead_letters,
            ],
        )
        acknowledge(
            self.policy,
            "X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions.",
            "AwsSolutions-IAM5[Resource::*]",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=f"Kommunal PRO {config.name}: {label} ({handler})",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=code,
            handler=handler,
            layers=list(layers),
            role=role,
            log_group=log_group,
            memory_size=memory_size,
            timeout=Duration.seconds(timeout_seconds),
            reserved_concurrent_executions=reserved_concurrency,
            environment=dict(environment or {}),
        )
        cfn_function = default_child(self.function, lambda_.CfnFunction)
        acknowledge(
            cfn_function,
            "Python 3.12 is pinned: the shared layer's wheels are built for it (infra/layer.py); a newer "
            "runtime is a deliberate upgrade of runtime and layer together.",
            "AwsSolutions-L1",
            "Serverless-LambdaLatestVersion",
        )
        acknowledge(
            cfn_function,
            "Not in a VPC: the function only calls AWS APIs (DynamoDB, KMS, X-Ray, CloudWatch) over TLS with IAM "
            "authentication; there are no VPC resources to reach.",
            "HIPAA.Security-LambdaInsideVPC",
        )
        if reserved_concurrency is None:
            acknowledge(
                cfn_function,
                "No reserved concurrency: a reservation would take from the account's pool and protect nothing. "
                "What reaches the function is bounded before it: the API stage's throttling and the WAF's rate "
                "limit, the notification queue's maximum concurrency, Cognito's own sign-in quotas.",
                "HIPAA.Security-LambdaConcurrency",
            )
        # Active tracing and the dead-letter queue set on the resource itself: the `tracing` and
        # `dead_letter_queue` properties would add their statements to an inline policy, which the managed
        # policy above already holds.
        cfn_function.tracing_config = lambda_.CfnFunction.TracingConfigProperty(mode="Active")
        if dead_letter_queue:
            cfn_function.dead_letter_config = lambda_.CfnFunction.DeadLetterConfigProperty(
                target_arn=dead_letter_queue.queue_arn
            )
        # The function exists only once its permissions do, so its first invocation cannot be denied.
        self.function.node.add_dependency(self.policy)
        # A function that reserves concurrency runs one at a time: the seed and the scheduled jobs.
        operations.watch_function(
            self.function,
            label=label,
            timeout=Duration.seconds(timeout_seconds),
            job=reserved_concurrency is not None,
        )

    def acknowledge_synchronous(self, reason: str) -> None:
        """A function only ever invoked synchronously: a dead-letter queue would never receive anything."""
        acknowledge(
            default_child(self.function, lambda_.CfnFunction),
            reason,
            "HIPAA.Security-LambdaDLQ",
            "Serverless-LambdaDLQ",
        )


class AppFunction(ObservedFunction):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        platform: Platform,
        entry: EntryPoint,
        table_actions: Sequence[str],
        indexes: Sequence[Index] = (),
        index_actions: Sequence[str] | None = None,
        cpr_key_actions: Sequence[str] = (),
        audit: bool = False,
        timeout_seconds: int = 10,
        statements: Sequence[iam.PolicyStatement] = (),
        environment: Mapping[str, str] | None = None,
        reserved_concurrency: int | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
        label: str | None = None,
    ) -> None:
        """The entry point `entry` of `functions.ENTRY_POINTS` (its code: `functions/<entry.function>/`), allowed
        `table_actions` on the table and on the named `indexes` (only those: the cross-tenant indexes are for the
        one code path that needs each).
        With `index_actions` the indexes get those instead (a job that writes items but only queries an index
        gets no Query on the table and no writes named on an index). A function handling CPR numbers names its
        `cpr_key_actions` (kms:Encrypt, kms:Decrypt); it may then also read the look-up hash key. A function
        that `audit`s may add and query audit events, nothing else. `statements` and `environment` add to what
        every function gets. `entry.function` is also the function's Powertools service; `label` (default: that
        name) names it in its description and alarms, for a second function of the same service."""
        config, table = platform.config, platform.data.table
        name = entry.function
        region = Stack.of(scope).region
        super().__init__(
            scope,
            construct_id,
            config=config,
            logs=platform.logs,
            operations=platform.operations,
            label=label or name,
            code=lambda_.Code.from_asset(str(FUNCTIONS_DIR / name), exclude=["__pycache__", "*.pyc"]),
            handler=entry.handler,
            layers=[platform.layer],
            timeout_seconds=timeout_seconds,
            reserved_concurrency=reserved_concurrency,
            dead_letter_queue=dead_letter_queue,
            statements=[
                *self._table_statements(table, table_actions, indexes, index_actions),
                iam.PolicyStatement(
                    actions=list(_TABLE_KEY_ACTIONS),
                    resources=[platform.data.key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{region}.amazonaws.com"}},
                ),
                *self._cpr_statements(platform, cpr_key_actions),
                *self._audit_statements(platform, audit),
                *statements,
            ],
            environment={
                "TABLE_NAME": table.table_name,
                "CPR_KMS_KEY_ID": platform.cpr.key.key_arn,
                "CPR_HASH_KEY_SECRET_ID": platform.cpr.hash_secret.secret_arn,
                "KOMMUNAL_PRO_ENV": config.name,
                "POWERTOOLS_SERVICE_NAME": name,
                "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE,
                "LOG_LEVEL": config.log_level,
                "AUDIT_TABLE_NAME": platform.audit.table.table_name,
                "AUDIT_RETENTION_DAYS": str(config.audit_retention_days),
                **(environment or {}),
            },
        )

    @staticmethod
    def _table_statements(
        table: dynamodb.ITable,
        table_actions: Sequence[str],
        indexes: Sequence[Index],
        index_actions: Sequence[str] | None,
    ) -> list[iam.PolicyStatement]:
        index_arns = [f"{table.table_arn}/index/{index.name}" for index in indexes]
        if index_actions is None:
            return [iam.PolicyStatement(actions=list(table_actions), resources=[table.table_arn, *index_arns])]
        if not indexes:
            raise ValueError("index_actions without indexes: name the indexes they are for")
        return [
            iam.PolicyStatement(actions=list(table_actions), resources=[table.table_arn]),
            iam.PolicyStatement(actions=list(index_actions), resources=index_arns),
        ]

    @staticmethod
    def _audit_statements(platform: Platform, audit: bool) -> list[iam.PolicyStatement]:
        if not audit:
            return []
        table = platform.audit.table
        return [
            iam.PolicyStatement(
                actions=list(AUDIT_ACTIONS),
                resources=[table.table_arn, *(f"{table.table_arn}/index/{index.name}" for index in AUDIT_INDEXES)],
            )
        ]

    @staticmethod
    def _cpr_statements(platform: Platform, actions: Sequence[str]) -> list[iam.PolicyStatement]:
        if not actions:
            return []
        return [
            iam.PolicyStatement(actions=list(actions), resources=[platform.cpr.key.key_arn]),
            iam.PolicyStatement(
                actions=["secretsmanager:GetSecretValue"], resources=[platform.cpr.hash_secret.secret_arn]
            ),
        ]
