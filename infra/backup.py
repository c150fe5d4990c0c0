"""Long-term backups of the tables (production): daily and monthly recovery points in a locked-down vault.

Point-in-time recovery (35 days, every environment) covers mistakes noticed soon; these cover the longer
term. The vault refuses deletion of recovery points by anyone: they expire by the plan's retention only.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_backup as backup
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.cfn import per_deployment_name
from infra.config import EnvironmentConfig
from infra.nag import acknowledge


class TableBackup(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, tables: Sequence[dynamodb.ITable]
    ) -> None:
        super().__init__(scope, construct_id)
        if config.backup is None:
            raise ValueError(f"environment {config.name!r} configures no backup plan")
        retention = config.backup
        self.key = kms.Key(
            self,
            "Key",
            description=f"Kommunal PRO {config.name}: backup vault encryption",
            enable_key_rotation=True,
            removal_policy=config.removal_policy,
        )
        self.vault = backup.BackupVault(
            self,
            "Vault",
            backup_vault_name=per_deployment_name(f"kommunal-pro-{config.name}"),
            encryption_key=self.key,
            block_recovery_point_deletion=True,
            removal_policy=config.removal_policy,
        )
        self.plan = backup.BackupPlan(
            self, "Plan", backup_plan_name=f"kommunal-pro-{config.name}-table", backup_vault=self.vault
        )
        self.plan.add_rule(
            backup.BackupPlanRule(
                rule_name="Daily",
                schedule_expression=events.Schedule.cron(hour="2", minute="0"),
                delete_after=Duration.days(retention.daily_retention_days),
            )
        )
        self.plan.add_rule(
            backup.BackupPlanRule(
                rule_name="Monthly",
                schedule_expression=events.Schedule.cron(day="1", hour="3", minute="0"),
                delete_after=Duration.days(retention.monthly_retention_days),
            )
        )
        selection = self.plan.add_selection(
            "Tables",
            resources=[backup.BackupResource.from_dynamo_db_table(table) for table in tables],
            allow_restores=True,
        )
        acknowledge(
            selection.node.find_child("Role"),
            "The role AWS Backup assumes to back up and restore the table: the AWS managed backup and restore "
            "policies are the ones AWS maintains for exactly this service role.",
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]",
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores]",
        )
