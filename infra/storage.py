"""The data table, built from the one schema definition in `kommunal_pro.storage.schema`."""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.config import EnvironmentConfig
from infra.nag import acknowledge
from kommunal_pro.storage import schema


def _string(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


class DataTable(Construct):
    """The table, encrypted with its own customer-managed key, recoverable to any point in the last 35 days."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description=f"Kommunal PRO {config.name}: data table encryption",
            enable_key_rotation=True,
            removal_policy=config.removal_policy,
        )
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=_string(schema.PK),
            sort_key=_string(schema.SK),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=schema.TTL_ATTRIBUTE,
            deletion_protection=config.deletion_protection,
            removal_policy=config.removal_policy,
        )
        for index in schema.INDEXES:
            self.table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_string(index.partition_key),
                sort_key=_string(index.sort_key),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        acknowledge(
            self.table,
            "Point-in-time recovery gives continuous backups for 35 days; an AWS Backup plan (long-term, "
            "cross-region copies) is planned in its own issue.",
            "HIPAA.Security-DynamoDBInBackupPlan",
        )
