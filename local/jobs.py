"""The scheduled jobs as the local runner runs them: on a timer, in-process.

`run_reminders_once` does what EventBridge, SQS and the sender function do in AWS: it runs the reminder job,
hands what the job queued to the sender through a local SQS queue, in the event shape Lambda passes on, with the
outbox instead of SES and SNS, and prints what the outbox received.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any, NamedTuple

import boto3

from functions.notifications.sender import handle_batch
from kommunal_pro.clock import utc_now
from kommunal_pro.notifications.delivery import OutboxTransport, Transport
from kommunal_pro.notifications.job import JobReport, NotificationQueue, ReminderJob
from kommunal_pro.notifications.models import OutboxMessage
from kommunal_pro.notifications.templates import danish_time
from kommunal_pro.observability import logger
from kommunal_pro.storage.table import data_table

QUEUE_NAME = "kommunal-pro-local-notifications"


class ReminderRun(NamedTuple):
    report: JobReport
    delivered: list[OutboxMessage]


def run_reminders_once(now: datetime | None = None) -> ReminderRun:
    queue_url = boto3.client("sqs").create_queue(QueueName=QUEUE_NAME)["QueueUrl"]
    report = ReminderJob(data_table(), NotificationQueue(queue_url)).run(now or utc_now())
    outbox = OutboxTransport(data_table())
    drain(queue_url, outbox)
    for message in outbox.delivered:
        print(_shown(message), flush=True)
    if report.failed:
        print(f"[påmindelser] {report.failed} fejlede; prøves igen ved næste kørsel", flush=True)
    return ReminderRun(report, outbox.delivered)


def run_forever(stop: threading.Event, interval_seconds: float = 60) -> None:
    """The runner's timer: the reminder job now and then every interval, until `stop` is set."""
    while True:
        try:
            run_reminders_once()
        except Exception:
            logger.exception("the local reminder run failed; trying again on the next tick")
        if stop.wait(interval_seconds):
            return


def drain(queue_url: str, transport: Transport) -> None:
    """Hand the queue's messages to the sender and delete those it handled, as Lambda's SQS integration does;
    the failed ones come back after the queue's visibility timeout."""
    sqs = boto3.client("sqs")
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        failed = {f["itemIdentifier"] for f in handle_batch(sqs_event(messages), transport)["batchItemFailures"]}
        handled = [
            {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
            for n, m in enumerate(messages)
            if m["MessageId"] not in failed
        ]
        if handled:
            sqs.delete_message_batch(QueueUrl=queue_url, Entries=handled)


def sqs_event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Messages received from SQS as the event Lambda's SQS integration passes to a function."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:eu-central-1:000000000000:{QUEUE_NAME}",
                "awsRegion": "eu-central-1",
            }
            for m in messages
        ]
    }


def _shown(message: OutboxMessage) -> str:
    heading = f"[outbox {danish_time(message.sent_at)}] {message.channel} til {message.to}"
    body = f"{message.subject}\n{message.text}" if message.subject else message.text
    return "\n".join([heading, *(f"    {line}" for line in body.splitlines())])
