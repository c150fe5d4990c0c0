"""The one builder for a Lambda function of the platform, so that each function is a single call.

Each function gets its own role whose only policy is a customer-managed policy listing exactly what the
function may do: write its own log group, send X-Ray traces, the table actions its caller names (on the
table and on the indexes the caller names) and use the table's key through DynamoDB. Nothing else is
granted, and no inline policy is created (HIPAA IAMNoInlinePolicy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import EnvironmentConfig
from infra.cpr import CprProtection
from infra.layer import ARCHITECTURE, ROOT, RUNTIME
from infra.logs import LogGroups
from infra.nag import acknowledge
from infra.storage import DataTable
from kommunal_pro.observability import NAMESPACE
from kommunal_pro.storage.schema import Index

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


class AppFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        platform: Platform,
        name: str,
        handler: str,
        table_actions: Sequence[str],
        indexes: Sequence[Index] = (),
        cpr_key_actions: Sequence[str] = (),
        timeout_seconds: int = 10,
    ) -> None:
        """A function from `functions/<name>/` running `handler`, allowed `table_actions` on the table and on
        the named `indexes` (only those: the cross-tenant index is for the one code path that needs it).
        A function handling CPR numbers names its `cpr_key_actions` (kms:Encrypt, kms:Decrypt); it may then
        also read the look-up hash key."""
        super().__init__(scope, construct_id)
        config, table = platform.config, platform.data.table
        log_group = platform.logs.create(self, "Logs")
        role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
                ),
                iam.PolicyStatement(actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"]),
                iam.PolicyStatement(
                    actions=list(table_actions),
                    resources=[table.table_arn, *(f"{table.table_arn}/index/{index.name}" for index in indexes)],
                ),
                iam.PolicyStatement(
                    actions=list(_TABLE_KEY_ACTIONS),
                    resources=[platform.data.key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{Stack.of(self).region}.amazonaws.com"}},
                ),
                *self._cpr_statements(platform, cpr_key_actions),
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
            description=f"Kommunal PRO {config.name}: {name} ({handler})",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=lambda_.Code.from_asset(str(FUNCTIONS_DIR / name), exclude=["__pycache__", "*.pyc"]),
            handler=handler,
            layers=[platform.layer],
            role=role,
            log_group=log_group,
            memory_size=512,
            timeout=Duration.seconds(timeout_seconds),
            reserved_concurrent_executions=config.reserved_concurrency,
            environment={
                "TABLE_NAME": table.table_name,
                "CPR_KMS_KEY_ID": platform.cpr.key.key_arn,
                "CPR_HASH_KEY_SECRET_ID": platform.cpr.hash_secret.secret_arn,
                "KOMMUNAL_PRO_ENV": config.name,
                "POWERTOOLS_SERVICE_NAME": name,
                "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE,
                "LOG_LEVEL": config.log_level,
            },
        )
        acknowledge(
            self.function,
            "Python 3.12 is pinned: the shared layer's wheels are built for it (infra/layer.py); a newer "
            "runtime is a deliberate upgrade of runtime and layer together.",
            "AwsSolutions-L1",
        )
        acknowledge(
            self.function,
            "Not in a VPC: the function only calls AWS APIs (DynamoDB, X-Ray, CloudWatch) over TLS with IAM "
            "authentication; there are no VPC resources to reach.",
            "HIPAA.Security-LambdaInsideVPC",
        )
        # Active tracing set on the resource itself: the `tracing` property would add the X-Ray statement
        # to an inline policy, which the managed policy above already holds.
        cfn_function = self.function.node.default_child
        cfn_function.tracing_config = lambda_.CfnFunction.TracingConfigProperty(mode="Active")
        # The function exists only once its permissions do, so its first invocation cannot be denied.
        self.function.node.add_dependency(self.policy)

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
