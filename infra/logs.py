"""Log groups: every one encrypted with the stack's logs key and expiring after the environment's retention."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import EnvironmentConfig

# What CloudWatch Logs does with a log group's key: AWS's documented Encrypt*, Decrypt*, ReEncrypt*,
# GenerateDataKey* and Describe*, spelled out (no wildcard actions anywhere in the stack).
LOGS_KEY_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:DescribeKey",
)


class LogGroups(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.key = kms.Key(
            self,
            "Key",
            description=f"Kommunal PRO {config.name}: CloudWatch Logs encryption",
            enable_key_rotation=True,
            removal_policy=config.removal_policy,
        )
        # CloudWatch Logs may use the key only for log groups of this account and region.
        stack = Stack.of(self)
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=list(LOGS_KEY_ACTIONS),
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                            service="logs",
                            resource="log-group",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    }
                },
            )
        )

    def create(self, scope: Construct, construct_id: str, *, name: str | None = None) -> logs.LogGroup:
        return logs.LogGroup(
            scope,
            construct_id,
            log_group_name=name,
            retention=self._config.log_retention,
            encryption_key=self.key,
            removal_policy=self._config.removal_policy,
        )
