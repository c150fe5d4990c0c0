"""The queue between the reminder job and the notification sender (docs/reminders.md).

The job sends one message per notification ({tenant, citizen, task, number}: no address, no text); the sender
consumes it in batches and reports failed records back (partial batch responses), so only those are retried. A
message that fails `MAX_RECEIVE_COUNT` times moves to the dead-letter queue, which is alarmed. Both queues are
encrypted with their own customer-managed key and refuse requests without TLS.

Rights are given with one call each, on the function's own managed policy (never an inline policy):
`grant_send(job)`, and `subscribe(sender)`, which also connects the sender to the queue.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.cfn import default_child
from infra.config import EnvironmentConfig
from infra.functions import ObservedFunction
from infra.nag import acknowledge
from infra.operations import Operations

# The sender's timeout. A batch is ten notifications, each a few DynamoDB calls and one SES or SNS call.
SENDER_TIMEOUT = Duration.seconds(60)
# AWS's advice for a queue read by Lambda: at least six times the function's timeout. It is also longer than
# the sender's claim on a notification (5 minutes, kommunal_pro.notifications.delivery.CLAIM), so a message
# retried after a crashed sender finds the claim run out and is sent, not reported busy again.
VISIBILITY_TIMEOUT = Duration.seconds(6 * SENDER_TIMEOUT.to_seconds())
MAX_RECEIVE_COUNT = 5
BATCH_SIZE = 10
DEAD_LETTER_RETENTION = Duration.days(14)

# What Lambda's poller needs to read a queue for the sender (AWS's AWSLambdaSQSQueueExecutionRole, spelled out).
CONSUME_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
# SQS encrypts each message under a data key from the queue's key: a sender of messages needs a data key,
# a reader decrypts it.
_SEND_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
_CONSUME_KEY_ACTIONS = ("kms:Decrypt",)


class NotificationQueue(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, operations: Operations
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description=f"Kommunal PRO {config.name}: notification queue encryption",
            enable_key_rotation=True,
            removal_policy=config.removal_policy,
        )
        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
        )
        acknowledge(
            default_child(self.dead_letters, sqs.CfnQueue),
            "This queue is itself the notification queue's dead-letter queue: what lands here waits for an "
            "operator to fix the cause and redrive it (alarmed at one message), so it has none of its own.",
            "Serverless-SQSRedrivePolicy",
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
            visibility_timeout=VISIBILITY_TIMEOUT,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters, max_receive_count=MAX_RECEIVE_COUNT),
        )
        operations.watch_queue(self.dead_letters, label="notifications")
        operations.watch_work_queue(self.queue, label="notifications")

    def grant_send(self, function: ObservedFunction) -> None:
        """Let `function` send messages to the queue (not to the dead-letter queue)."""
        function.policy.add_statements(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.queue.queue_arn]),
            self._key_statement(_SEND_KEY_ACTIONS),
        )

    def subscribe(self, function: ObservedFunction, *, max_concurrency: int) -> lambda_.EventSourceMapping:
        """Deliver the queue's messages to `function` in batches, with partial batch responses, at most
        `max_concurrency` batches at once."""
        function.policy.add_statements(
            iam.PolicyStatement(actions=list(CONSUME_ACTIONS), resources=[self.queue.queue_arn]),
            self._key_statement(_CONSUME_KEY_ACTIONS),
        )
        # Not `function.add_event_source(SqsEventSource(...))`: that grants through an inline policy.
        # The mapping refers to the function, which is created after its managed policy: the poller's first
        # ReceiveMessage is allowed.
        mapping = lambda_.EventSourceMapping(
            self,
            "Subscription",
            target=function.function,
            event_source_arn=self.queue.queue_arn,
            batch_size=BATCH_SIZE,
            report_batch_item_failures=True,
            max_concurrency=max_concurrency,
        )
        acknowledge(
            default_child(mapping, lambda_.CfnEventSourceMapping),
            "Lambda supports on-failure destinations for stream and Kafka sources, not for SQS: a message that "
            f"fails {MAX_RECEIVE_COUNT} times moves to the queue's own dead-letter queue, which is alarmed.",
            "Serverless-LambdaEventSourceMappingDestination",
        )
        return mapping

    def _key_statement(self, actions: tuple[str, ...]) -> iam.PolicyStatement:
        region = Stack.of(self).region
        return iam.PolicyStatement(
            actions=list(actions),
            resources=[self.key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"sqs.{region}.amazonaws.com"}},
        )
