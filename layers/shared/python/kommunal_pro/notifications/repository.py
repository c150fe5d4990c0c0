"""What the reminder job and the sender store.

Notification: PK = "<tenant>#NOTIFICATION#<task>#<number>", SK = "NOTIFICATION"; created with a conditional put,
              so one task's message number exists once however often the job reruns; kept (TTL) 90 days
              after its task expired.
Outbox:       same PK, SK = "OUTBOX", by time under GSI1PK = "<tenant>#OUTBOX", GSI1SK = "<sent at>" (local only).
Job run:      PK = "national#REMINDERJOB", SK = "LASTRUN": the moment the last complete run covered.
Due entries live on the task items (kommunal_pro.scheduling.due).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key

from kommunal_pro.assignments.models import Task
from kommunal_pro.assignments.repository import task_key
from kommunal_pro.notifications.models import Notification, NotificationRef, NotificationStatus, OutboxMessage
from kommunal_pro.organisations.models import ReminderChannel
from kommunal_pro.scheduling.due import stamp
from kommunal_pro.storage.schema import DUE, PK, SK, TTL_ATTRIBUTE, key
from kommunal_pro.storage.table import ConditionFailed, from_item, query_all, storage_failures, to_item
from kommunal_pro.tenancy import NATIONAL

KEPT_AFTER_EXPIRY = timedelta(days=90)
_LAST_RUN = {PK: key(NATIONAL, "REMINDERJOB"), SK: "LASTRUN"}


def _pk(ref: NotificationRef) -> str:
    return key(ref.municipality, "NOTIFICATION", ref.task_id, str(ref.number))


def _key(ref: NotificationRef) -> dict[str, str]:
    return {PK: _pk(ref), SK: "NOTIFICATION"}


class NotificationRepository:
    def __init__(self, table: Any) -> None:
        self._table = table

    def due_tasks(self, partition: str, now: datetime) -> list[tuple[Task, str]]:
        """Reminder job only (cross-tenant): the tasks in one Due partition whose next message is due at `now`,
        each with the DueSK it was found under."""
        # Send times have whole seconds, so "before the next second" is "at or before now".
        condition = Key(DUE.partition_key).eq(partition) & Key(DUE.sort_key).lt(stamp(now + timedelta(seconds=1)))
        items = query_all(self._table, IndexName=DUE.name, KeyConditionExpression=condition)
        return [(from_item(Task, item), item[DUE.sort_key]) for item in items]

    def move_due(self, task: Task, seen: str, due: dict[str, str]) -> None:
        """Point the task's Due entry at its next message, or remove it, unless the entry is no longer the one
        the job found: the task was completed, cancelled, moved, or another run got there first."""
        values = {":pk": due[DUE.partition_key], ":sk": due[DUE.sort_key]} if due else {}
        self._update(
            Key=task_key(task.municipality, task.citizen_id, task.id),
            UpdateExpression="SET #pk = :pk, #sk = :sk" if due else "REMOVE #pk, #sk",
            ConditionExpression="#sk = :seen",
            ExpressionAttributeNames={"#pk": DUE.partition_key, "#sk": DUE.sort_key},
            ExpressionAttributeValues={**values, ":seen": seen},
        )

    def create(self, notification: Notification, task: Task) -> Notification:
        """Store the notification unless it exists; either way return the stored one."""
        item = to_item(notification, **_key(notification))
        item[TTL_ATTRIBUTE] = int((task.expires_at + KEPT_AFTER_EXPIRY).timestamp())
        try:
            with storage_failures():
                self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(PK)")
        except ConditionFailed:
            return self.get(notification) or notification
        return notification

    def get(self, ref: NotificationRef) -> Notification | None:
        item = self._table.get_item(Key=_key(ref), ConsistentRead=True).get("Item")
        return from_item(Notification, item) if item else None

    def claim(self, ref: NotificationRef, now: datetime, until: datetime) -> bool:
        """Take the notification for sending until `until`: False if it is done or another sender holds it."""
        return self._update_status(
            ref,
            "SET #status = :sending, lease_until = :until",
            "#status = :queued OR (#status = :sending AND lease_until < :now)",
            {
                ":sending": NotificationStatus.SENDING,
                ":queued": NotificationStatus.QUEUED,
                ":until": stamp(until),
                ":now": stamp(now),
            },
        )

    def release(self, ref: NotificationRef) -> None:
        """Give a claimed notification back, so a retry may send it at once."""
        self._update_status(
            ref,
            "SET #status = :queued REMOVE lease_until",
            "#status = :sending",
            {":queued": NotificationStatus.QUEUED, ":sending": NotificationStatus.SENDING},
        )

    def finish(
        self, ref: NotificationRef, status: NotificationStatus, channel: ReminderChannel | None, at: datetime
    ) -> bool:
        """Mark a claimed notification sent or skipped, once: False if the claim had run out meanwhile."""
        return self._update_status(
            ref,
            "SET #status = :status, channel = :channel, finished_at = :at REMOVE lease_until",
            "#status = :sending",
            {":status": status, ":sending": NotificationStatus.SENDING, ":channel": channel, ":at": stamp(at)},
        )

    def add_to_outbox(self, message: OutboxMessage) -> None:
        ref = message.notification
        with storage_failures():
            self._table.put_item(
                Item=to_item(
                    message,
                    PK=_pk(ref),
                    SK="OUTBOX",
                    GSI1PK=key(ref.municipality, "OUTBOX"),
                    GSI1SK=stamp(message.sent_at),
                )
            )

    def last_run(self) -> datetime | None:
        item = self._table.get_item(Key=_LAST_RUN, ConsistentRead=True).get("Item")
        return datetime.fromisoformat(item["covered_until"]) if item else None

    def record_run(self, now: datetime) -> None:
        """Remember that the job covered everything due until `now` (never moving back in time)."""
        self._update(
            Key=_LAST_RUN,
            UpdateExpression="SET covered_until = :now",
            ConditionExpression="attribute_not_exists(covered_until) OR covered_until < :now",
            ExpressionAttributeValues={":now": stamp(now)},
        )

    def _update_status(self, ref: NotificationRef, update: str, condition: str, values: dict[str, Any]) -> bool:
        return self._update(
            Key=_key(ref),
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=values,
        )

    def _update(self, **request: Any) -> bool:
        """A conditional UpdateItem: whether the condition held, and so the item changed."""
        try:
            with storage_failures():
                self._table.update_item(**request)
        except ConditionFailed:
            return False
        return True
