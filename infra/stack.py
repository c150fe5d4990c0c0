"""One environment of Kommunal PRO: data table, shared layer, REST API, functions, operations and the seed.

Adding to it is one call each: `add_http_function` for a function serving API routes, `add_scheduled_function`
for a job run on a schedule from the configuration. Both are watched by `self.operations` (dashboard and
alarms); anything else is watched with `self.operations.watch_function/watch_queue/watch_metrics`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import CfnOutput, Duration, Stack, triggers
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions import http_routes
from infra.api import Api, body_routes
from infra.backup import TableBackup
from infra.config import EnvironmentConfig
from infra.cpr import CprProtection
from infra.functions import READ_WRITE, TRANSACTIONAL, AppFunction, Platform
from infra.layer import SharedLayer
from infra.logs import LogGroups
from infra.messaging import Messaging
from infra.nag import acknowledge
from infra.operations import Operations
from infra.storage import AuditLog, DataTable
from kommunal_pro.storage.schema import GSI1, LOGIN, Index

# How long a failed scheduled run waits in its dead-letter queue for someone to look at it.
DEAD_LETTER_RETENTION = Duration.days(14)


def _pascal(name: str) -> str:
    return "".join(part.title() for part in name.replace("_", "-").split("-"))


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
        """The function `functions/<name>/handler.py`, serving every route its resolver defines; `audit` lets it
        add and query audit events."""
        function = AppFunction(
            self,
            f"{name.title()}Function",
            platform=self.platform,
            name=name,
            handler="handler.lambda_handler",
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
        name: str,
        *,
        schedule: str,
        table_actions: Sequence[str],
        indexes: Sequence[Index] = (),
        cpr_key_actions: Sequence[str] = (),
        statements: Sequence[iam.PolicyStatement] = (),
        environment: Mapping[str, str] | None = None,
        timeout_seconds: int = 300,
        reserved_concurrency: int = 1,
    ) -> AppFunction:
        """The job `functions/<name>/handler.py`, run on `schedule` (a schedule expression from the configuration,
        e.g. `self.config.schedules.reminders`).

        Each run gets the event {"now": "<the scheduled time, ISO 8601 UTC>"}: the same event an operator sends
        to re-run the job for a past time (docs/operations.md). EventBridge invokes asynchronously; a run that
        still fails after Lambda's two retries, or that EventBridge cannot deliver, lands in the job's
        dead-letter queue, which is alarmed. Reserved concurrency 1 keeps runs from overlapping: a run that
        outlasts the interval shows as a throttle (alarmed) and is retried, not run twice at once.
        """
        title = _pascal(name)
        dead_letters = sqs.Queue(
            self,
            f"{title}DeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
        )
        acknowledge(
            dead_letters,
            "This queue is itself the job's dead-letter queue: what lands here waits for an operator (alarmed "
            "at one message), so it has no dead-letter queue of its own.",
            "Serverless-SQSRedrivePolicy",
        )
        function = AppFunction(
            self,
            f"{title}Function",
            platform=self.platform,
            name=name,
            handler="handler.lambda_handler",
            table_actions=table_actions,
            indexes=indexes,
            cpr_key_actions=cpr_key_actions,
            statements=statements,
            environment=environment,
            timeout_seconds=timeout_seconds,
            reserved_concurrency=reserved_concurrency,
            dead_letter_queue=dead_letters,
        )
        events.Rule(
            self,
            f"{title}Schedule",
            description=f"Kommunal PRO {self.config.name}: run the {name} job",
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
        self.operations.watch_queue(dead_letters, label=f"{name} job")
        CfnOutput(
            self,
            f"{title}FunctionName",
            value=function.function.function_name,
            description=f'the {name} job: invoke with {{"now": "<ISO 8601>"}} to run it for that time',
        )
        return function

    def _add_seed(self) -> None:
        """Add missing reference data once the table exists, and again whenever the seed code changes."""
        seed = AppFunction(
            self,
            "SeedReferenceData",
            platform=self.platform,
            name="seed",
            handler="handler.lambda_handler",
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
