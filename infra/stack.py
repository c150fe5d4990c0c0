"""One environment of Kommunal PRO: data table, shared layer, REST API, functions, operations and the seed.

Adding to it is one call each, for an entry point of `functions.ENTRY_POINTS`: `add_http_function` for a
function serving API routes, `add_scheduled_function` for a job run on a schedule from the configuration. Both are
watched by `self.operations` (dashboard and alarms); anything else is watched with
`self.operations.watch_function/watch_queue/watch_metrics`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import CfnOutput, Duration, Stack, triggers
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions import EntryPoint, body_routes, entry_point, http_routes
from infra.api import Api
from infra.backup import TableBackup
from infra.cfn import default_child
from infra.config import EnvironmentConfig
from infra.cpr import CprProtection
from infra.functions import READ_WRITE, TRANSACTIONAL, AppFunction, Platform
from infra.layer import SharedLayer
from infra.logs import LogGroups
from infra.messaging import Messaging
from infra.nag import acknowledge
from infra.notifications import SENDER_TIMEOUT, NotificationQueue
from infra.operations import Operations
from infra.org_sync import OrgSyncFiles
from infra.storage import AuditLog, DataTable
from kommunal_pro.storage.schema import DUE, GSI1, LOGIN, Index

# How long a failed scheduled run waits in its dead-letter queue for someone to look at it.
DEAD_LETTER_RETENTION = Duration.days(14)
# The reminder job's outcome metrics (functions/notifications/handler.py and sender.py).
REMINDER_METRICS = ("RemindersQueued", "RemindersFailed", "RemindersSent", "RemindersSkipped")
# The organisation sync reports OrgSyncAborted (1 or 0) on every run, nightly: no report for a night and a couple
# of hours of retries means it stopped running.
ORG_SYNC_ABORTED_METRIC = "OrgSyncAborted"
ORG_SYNC_SILENCE = Duration.hours(26)


def _pascal(name: str) -> str:
    return "".join(part.title() for part in name.replace("_", "-").replace(" ", "-").split("-"))


class KommunalProStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, **kwargs) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"Kommunal PRO ({config.name}): API, functions and data",
            termination_protection=config.deletion_protection,
            **kwargs,
        )
        self.config = config
        self.operations = Operations(self, "Operations", config=config)
        data = DataTable(self, "Data", config=config)
        self.platform = Platform(
            config=config,
            layer=SharedLayer(self, "SharedLayer"),
            data=data,
            logs=LogGroups(self, "Logs", config=config),
            cpr=CprProtection(self, "Cpr", config=config),
            operations=self.operations,
            audit=AuditLog(self, "Audit", config=config, key=data.key),
        )
        self.operations.watch_table(data.table, label="data")
        self.operations.watch_table(self.platform.audit.table, label="audit")
        self.backup = (
            TableBackup(self, "Backup", config=config, tables=[data.table, self.platform.audit.table])
            if config.backup
            else None
        )
        self.messaging = Messaging(self, "Messaging", config=config)
        self.api = Api(self, "Api", config=config, logs=self.platform.logs, operations=self.operations)

        self.add_http_function("organisations", table_actions=READ_WRITE, indexes=(GSI1,))
        self.add_http_function("questionnaires", table_actions=READ_WRITE, indexes=(GSI1,))
        self.add_http_function(
            "assignments",
            table_actions=TRANSACTIONAL,
            indexes=(GSI1,),
            cpr_key_actions=("kms:Encrypt", "kms:Decrypt"),
            audit=True,
        )
        # Citizens find their own records in every municipality: the only user of the cross-tenant Login index.
        self.add_http_function(
            "responses",
            table_actions=TRANSACTIONAL,
            indexes=(GSI1, LOGIN),
            cpr_key_actions=("kms:Decrypt",),
            audit=True,
        )
        self._add_reminders()
        self._add_organisation_sync()
        self._add_seed()

        CfnOutput(self, "StaffUserPoolId", value=self.api.staff_pool.user_pool_id)
        CfnOutput(self, "CitizenUserPoolId", value=self.api.citizen_pool.user_pool_id)
        CfnOutput(self, "TableName", value=self.platform.data.table.table_name)
        CfnOutput(self, "AuditTableName", value=self.platform.audit.table.table_name)
        CfnOutput(self, "AlarmTopicArn", value=self.operations.topic.topic_arn)

    def add_http_function(
        self,
        name: str,
        *,
        table_actions: Sequence[str],
        indexes: Sequence[Index] = (),
        cpr_key_actions: Sequence[str] = (),
        audit: bool = False,
    ) -> AppFunction:
        """The function `functions/<name>/handler.py` (registered in `functions.ENTRY_POINTS`), serving every
        route its resolver defines; `audit` lets it add and query audit events."""
        entry = entry_point(name)
        if entry.trigger != "api":
            raise ValueError(f"{entry.import_path} is registered as a {entry.trigger} entry point, not an api one")
        function = AppFunction(
            self,
            f"{name.title()}Function",
            platform=self.platform,
            entry=entry,
            table_actions=table_actions,
            indexes=indexes,
            cpr_key_actions=cpr_key_actions,
            audit=audit,
            # For the handler's CORS headers on actual (non-preflight) responses.
            environment={"CORS_ALLOWED_ORIGINS": ",".join(self.config.cors_allowed_origins)},
        )
        self.api.add_routes(function.function, http_routes(name), with_body=body_routes(name))
        function.acknowledge_synchronous(
            "Invoked synchronously by API Gateway: a failure is returned to the caller as a problem+json "
            "response; a dead-letter queue only receives failed asynchronous invocations."
        )
        return function

    def add_scheduled_function(
        self,
        entry: EntryPoint,
        *,
        schedule: str,
        table_actions: Sequence[str],
        indexes: Sequence[Index] = (),
        index_actions: Sequence[str] | None = None,
        cpr_key_actions: Sequence[str] = (),
        statements: Sequence[iam.PolicyStatement] = (),
        environment: Mapping[str, str] | None = None,
        timeout_seconds: int = 300,
        reserved_concurrency: int = 1,
        label: str | None = None,
    ) -> AppFunction:
        """The job `entry` (from `functions.ENTRY_POINTS`), run on `schedule` (a schedule expression from the
        configuration, e.g. `self.config.schedules.reminders`). `label` (default: `entry.function`) names the job:
        its resources, alarms and the output `<Label>FunctionName`; `entry.function` stays the directory and the
        Powertools service.

        Each run gets the event {"now": "<the scheduled time, ISO 8601 UTC>"}: the same event an operator sends
        to re-run the job for a past time (docs/operations.md). EventBridge invokes asynchronously; a run that
        still fails after Lambda's two retries, or that EventBridge cannot deliver, lands in the job's
        dead-letter queue, which is alarmed. Reserved concurrency 1 keeps runs from overlapping: a run that
        outlasts the interval shows as a throttle (alarmed) and is retried, not run twice at once.
        """
        label = label or entry.function
        title = _pascal(label)
        dead_letters = sqs.Queue(
            self,
            f"{title}DeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
        )
        acknowledge(
            default_child(dead_letters, sqs.CfnQueue),
            "This queue is itself the job's dead-letter queue: what lands here waits for an operator (alarmed "
            "at one message), so it has no dead-letter queue of its own.",
            "Serverless-SQSRedrivePolicy",
        )
        function = AppFunction(
            self,
            f"{title}Function",
            platform=self.platform,
            entry=entry,
            table_actions=table_actions,
            indexes=indexes,
            index_actions=index_actions,
            cpr_key_actions=cpr_key_actions,
            statements=statements,
            environment=environment,
            timeout_seconds=timeout_seconds,
            reserved_concurrency=reserved_concurrency,
            dead_letter_queue=dead_letters,
            label=label,
        )
        events.Rule(
            self,
            f"{title}Schedule",
            description=f"Kommunal PRO {self.config.name}: run the {label} job",
            schedule=events.Schedule.expression(schedule),
            targets=[
                targets.LambdaFunction(
                    function.function,
                    event=events.RuleTargetInput.from_object({"now": events.EventField.time}),
                    dead_letter_queue=dead_letters,
                    retry_attempts=2,
                    max_event_age=Duration.hours(2),
                )
            ],
        )
        self.operations.watch_queue(dead_letters, label=f"{label} job")
        CfnOutput(
            self,
            f"{title}FunctionName",
            value=function.function.function_name,
            description=f'the {label} job: invoke with {{"now": "<ISO 8601>"}} to run it for that time',
        )
        return function

    def _add_reminders(self) -> None:
        """The reminder job fills the notification queue; the sender empties it through SES and SNS
        (docs/reminders.md). Both read and update what the kommunal_pro.notifications code reads and updates,
        nothing more: the job queries only the Due index, the sender no index at all; neither sees CPR numbers."""
        self.notifications = NotificationQueue(self, "Notifications", config=self.config, operations=self.operations)
        job = self.add_scheduled_function(
            entry_point("notifications"),
            label="reminders",
            schedule=self.config.schedules.reminders,
            # Task, citizen, municipality, assignment and notification reads; the notification's conditional
            # put; moving the task's Due entry and the job's last-run mark.
            table_actions=("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
            indexes=(DUE,),
            index_actions=("dynamodb:Query",),
            environment={"NOTIFICATION_QUEUE_URL": self.notifications.queue.queue_url},
        )
        self.notifications.grant_send(job)

        sender = AppFunction(
            self,
            "NotificationSender",
            platform=self.platform,
            entry=entry_point("notifications", "sender"),
            label="notification sender",
            # The notification and its recipient's task, citizen and municipality; claiming, releasing and
            # finishing the notification.
            table_actions=("dynamodb:GetItem", "dynamodb:UpdateItem"),
            timeout_seconds=int(SENDER_TIMEOUT.to_seconds()),
            environment={"CITIZEN_APP_URL": self.config.citizen_app_url, **self.messaging.environment},
        )
        self.messaging.grant_send(sender)
        self.notifications.subscribe(sender, max_concurrency=self.config.sender_concurrency)
        sender.acknowledge_synchronous(
            "Invoked synchronously by the SQS event source mapping: a failed message returns to the queue and, "
            "after five receives, moves to the queue's dead-letter queue (alarmed); a function's dead-letter queue "
            "only receives failed asynchronous invocations."
        )
        self.operations.watch_metrics("Reminders", REMINDER_METRICS, service="notifications")

    def _add_organisation_sync(self) -> None:
        """The nightly organisation sync over the files in its bucket (docs/org-sync.md): it queries GSI1 for a
        municipality's units and a unit's staff, writes the differences in batches and puts its report."""
        self.org_sync_files = OrgSyncFiles(self, "OrgSyncFiles", config=self.config)
        sync = self.add_scheduled_function(
            entry_point("orgsync"),
            label="org-sync",
            schedule=self.config.schedules.organisation_sync,
            table_actions=("dynamodb:PutItem", "dynamodb:BatchWriteItem"),
            indexes=(GSI1,),
            index_actions=("dynamodb:Query",),
            environment={
                "ORG_SYNC_BUCKET": self.org_sync_files.bucket.bucket_name,
                "ORG_SYNC_PREFIX": self.org_sync_files.prefix,
            },
        )
        self.org_sync_files.grant_read(sync)
        self.operations.watch_metrics("Organisation sync", [ORG_SYNC_ABORTED_METRIC], service="orgsync")
        self.operations.alarm_on_metric(
            ORG_SYNC_ABORTED_METRIC,
            service="orgsync",
            subject="org-sync",
            kind="aborted or silent",
            period=ORG_SYNC_SILENCE,
            missing_data_breaches=True,
            description="The organisation sync aborted without applying anything (a missing file, or too many bad "
            f"rows), or no run reported for {ORG_SYNC_SILENCE.to_hours():.0f} hours. Its report says why.",
        )
        CfnOutput(
            self,
            "OrgSyncBucketName",
            value=self.org_sync_files.bucket.bucket_name,
            description=f"where the exporter writes the organisation sync files, under {self.org_sync_files.prefix}/",
        )

    def _add_seed(self) -> None:
        """Add missing reference data once the table exists, and again whenever the seed code changes."""
        seed = AppFunction(
            self,
            "SeedReferenceData",
            platform=self.platform,
            entry=entry_point("seed"),
            table_actions=("dynamodb:GetItem", "dynamodb:PutItem"),
            timeout_seconds=120,
            reserved_concurrency=1,
        )
        triggers.Trigger(
            self,
            "SeedReferenceDataTrigger",
            handler=seed.function,
            execute_after=[self.platform.data],
            timeout=Duration.minutes(3),
        )
        seed.acknowledge_synchronous(
            "Invoked synchronously by the deployment trigger, which fails the deployment if the seed fails; "
            "a dead-letter queue only receives failed asynchronous invocations."
        )
