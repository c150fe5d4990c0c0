"""The data table, built from the one schema definition in `kommunal_pro.storage.schema`.

DynamoDB creates at most one global secondary index per table update. An environment deployed before the
schema gained several indexes gains them one deployment at a time: `-c table_indexes=GSI1,Login,GSI2` builds
only the named indexes of the schema: the ones the table has, plus one (docs/operations.md, "New indexes").

After a point-in-time restore (which always creates a new table), the environment's `table_name` setting points
the stack at that existing table instead of the one it manages; the stack's own table is then left in place
(retained) but no longer used (docs/operations.md, "Restoring the table to a point in time").
"""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.config import ConfigError, EnvironmentConfig
from infra.nag import acknowledge
from kommunal_pro.storage import schema

TABLE_INDEXES_CONTEXT_KEY = "table_indexes"


def indexes_to_build(names: object = None) -> tuple[schema.Index, ...]:
    """The schema's indexes, or only those named by the `table_indexes` context value (comma-separated)."""
    if names is None:
        return schema.INDEXES
    known = {index.name: index for index in schema.INDEXES}
    chosen = [name.strip() for name in str(names).split(",") if name.strip()]
    unknown = [name for name in chosen if name not in known]
    if not chosen or unknown:
        raise ConfigError(
            f"-c {TABLE_INDEXES_CONTEXT_KEY}={names!r}: name indexes of the schema, comma-separated, from "
            f"{', '.join(known)}" + (f" (unknown: {', '.join(unknown)})" if unknown else "")
        )
    return tuple(index for index in schema.INDEXES if index.name in chosen)


def _string(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


def _table(
    scope: Construct,
    construct_id: str,
    *,
    config: EnvironmentConfig,
    key: kms.IKey,
    indexes: tuple[schema.Index, ...],
    resource_policy: iam.PolicyDocument | None = None,
) -> dynamodb.Table:
    """A table of the schema's keys: on demand, encrypted with `key`, point-in-time recovery, expiring items,
    deletion protection and retention as the environment says."""
    table = dynamodb.Table(
        scope,
        construct_id,
        partition_key=_string(schema.PK),
        sort_key=_string(schema.SK),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryption_key=key,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        time_to_live_attribute=schema.TTL_ATTRIBUTE,
        deletion_protection=config.deletion_protection,
        removal_policy=config.removal_policy,
        resource_policy=resource_policy,
    )
    for index in indexes:
        table.add_global_secondary_index(
            index_name=index.name,
            partition_key=_string(index.partition_key),
            sort_key=_string(index.sort_key),
            projection_type=dynamodb.ProjectionType.ALL,
        )
    if config.backup is None:
        acknowledge(
            table,
            "No AWS Backup plan in this environment (config 'backup' absent): point-in-time recovery gives "
            "continuous backups for 35 days; long-term backups are production's (infra/backup.py).",
            "HIPAA.Security-DynamoDBInBackupPlan",
        )
    return table


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
        if config.table_name:
            # A restored table, encrypted with this key (docs/operations.md): used, not managed, by the stack.
            self.table: dynamodb.ITable = dynamodb.Table.from_table_attributes(
                self, "Table", table_name=config.table_name, encryption_key=self.key
            )
            return
        self.table = _table(
            self,
            "Table",
            config=config,
            key=self.key,
            indexes=indexes_to_build(self.node.try_get_context(TABLE_INDEXES_CONTEXT_KEY)),
        )


# What nobody may do to an audit event once written (an event expires only by the table's time to live).
AUDIT_DENIED_ACTIONS = (
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
)
# What the auditing functions may do: add an event (conditionally, never overwriting) and read events.
AUDIT_ACTIONS = ("dynamodb:PutItem", "dynamodb:Query")


class AuditLog(Construct):
    """The audit table (kommunal_pro.audit): append-only. The functions that audit may only add and query
    events, and the table's resource policy denies every principal changing or deleting one."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.table = _table(
            self,
            "Table",
            config=config,
            key=key,
            indexes=schema.AUDIT_INDEXES,
            resource_policy=iam.PolicyDocument(
                statements=[
                    iam.PolicyStatement(
                        sid="AppendOnly",
                        effect=iam.Effect.DENY,
                        principals=[iam.AnyPrincipal()],
                        actions=list(AUDIT_DENIED_ACTIONS),
                        resources=["*"],
                    )
                ]
            ),
        )
