"""The reminder job: find what is due on the whole platform, check it again, record it once, queue it.

For each task whose Due entry (kommunal_pro.scheduling.due) is due:
1. re-read the task, citizen and municipality; if no message may go out (`Recipients.find`), remove the
   task's Due entry, so nothing more is sent for it; a message gone late into quiet hours waits for their end;
2. write the notification record with its deterministic id, task + message number (a conditional put);
3. send it to the sender's queue, unless the record says it was sent or skipped already;
4. point the Due entry at the task's next message, on condition that it is still the entry found.

A crash or rerun at any point repeats this for the entries not yet moved on: step 2 finds the record and step 3
queues it again, and the sender sends a notification once, so nothing is lost or sent twice. A run reads the
hours since the last complete run (less a margin for the index's propagation delay), or a day back on the first
run; a run with failures does not move that mark, so the next run retries them.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import boto3

from kommunal_pro.assignments.models import Task
from kommunal_pro.assignments.repository import AssignmentRepository
from kommunal_pro.clock import utc_now
from kommunal_pro.models import ApiModel
from kommunal_pro.notifications.models import DONE, Notification, NotificationRef
from kommunal_pro.notifications.recipients import Recipients
from kommunal_pro.notifications.repository import NotificationRepository
from kommunal_pro.observability import logger
from kommunal_pro.scheduling.due import due_attributes, due_number, due_partitions, next_message
from kommunal_pro.scheduling.timeline import PlannedMessage, plan_messages, send_time

FIRST_RUN_LOOKBACK = timedelta(hours=24)
INDEX_DELAY_MARGIN = timedelta(minutes=15)
Outcome = Literal["queued", "skipped", "failed"]


class NotificationQueue:
    """The SQS queue between the job and the sender."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._sqs = boto3.client("sqs")

    def send(self, ref: NotificationRef) -> None:
        self._sqs.send_message(QueueUrl=self._url, MessageBody=ref.model_dump_json(by_alias=True))


class JobReport(ApiModel):
    now: datetime
    partitions: int
    due: int
    queued: int
    skipped: int
    failed: int


class ReminderJob:
    def __init__(self, table: Any, queue: NotificationQueue) -> None:
        self._notifications = NotificationRepository(table)
        self._recipients = Recipients(table)
        self._assignments = AssignmentRepository(table)
        self._queue = queue

    def run(self, now: datetime) -> JobReport:
        now = now.astimezone(UTC)
        last = self._notifications.last_run()
        start = min(last, now) - INDEX_DELAY_MARGIN if last else now - FIRST_RUN_LOOKBACK
        partitions = due_partitions(start, now)
        due = [found for partition in partitions for found in self._notifications.due_tasks(partition, now)]
        outcomes = Counter(self._handle(task, seen, now) for task, seen in due)
        if not outcomes["failed"]:
            self._notifications.record_run(now)
        return JobReport(
            now=now,
            partitions=len(partitions),
            due=len(due),
            queued=outcomes["queued"],
            skipped=outcomes["skipped"],
            failed=outcomes["failed"],
        )

    def _handle(self, found: Task, seen: str, now: datetime) -> Outcome:
        try:
            return "queued" if self._queue_due_message(found, seen, now) else "skipped"
        except Exception:
            logger.exception("reminder failed; the next run retries it", extra={"task": found.id})
            return "failed"

    def _queue_due_message(self, found: Task, seen: str, now: datetime) -> bool:
        recipient = self._recipients.find(found.municipality, found.citizen_id, found.id, now)
        if recipient is None:
            self._notifications.move_due(found, seen, {})
            return False
        task = recipient.task
        assignment = self._assignments.assignment(task.municipality, task.citizen_id, task.assignment_id)
        policy = (assignment.reminder_policy if assignment else None) or recipient.settings.reminder_policy
        plan = plan_messages(task.opens_at, task.due_at, task.expires_at, policy, recipient.channel)
        # The message found, or if the plan has changed since (policy, channel, times), the first one after it.
        upcoming = next_message(plan, after=due_number(seen) - 1)
        queued = False
        if upcoming is not None and upcoming.send_at <= now:
            if (morning := send_time(now, policy, recipient.channel)) > now:
                # Late (after an outage, or assigned after it opened) and now in quiet hours: wait for the end.
                upcoming = upcoming.model_copy(update={"send_at": morning})
            else:
                queued = self._queue_once(task, upcoming)
                upcoming = next_message(plan, after=upcoming.number)
        self._notifications.move_due(task, seen, due_attributes(task, upcoming))
        return queued

    def _queue_once(self, task: Task, message: PlannedMessage) -> bool:
        notification = self._notifications.create(
            Notification(
                municipality=task.municipality,
                citizen_id=task.citizen_id,
                task_id=task.id,
                number=message.number,
                kind=message.kind,
                planned_at=message.send_at,
                created_at=utc_now(),
            ),
            task,
        )
        if notification.status in DONE:
            return False
        self._queue.send(notification.ref)
        return True
