"""Notification records: one per task and message number, written by the reminder job, finished by the sender."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from kommunal_pro.models import ApiModel
from kommunal_pro.organisations.models import ReminderChannel
from kommunal_pro.scheduling.timeline import MessageKind
from kommunal_pro.tenancy import Tenant


class NotificationStatus(StrEnum):
    QUEUED = "queued"  # recorded and handed to the queue
    SENDING = "sending"  # a sender holds it until `lease_until`
    SENT = "sent"
    SKIPPED = "skipped"  # at sending time the task or the citizen no longer allowed it


DONE = frozenset({NotificationStatus.SENT, NotificationStatus.SKIPPED})


class NotificationRef(ApiModel):
    """A notification's identity, and all that travels through the queue: no address, no text."""

    municipality: Tenant
    citizen_id: str
    task_id: str
    number: int


class Notification(NotificationRef):
    kind: MessageKind
    planned_at: datetime
    status: NotificationStatus = NotificationStatus.QUEUED
    created_at: datetime
    lease_until: datetime | None = None
    channel: ReminderChannel | None = None
    finished_at: datetime | None = Field(None, description="When it was sent or skipped")

    @property
    def ref(self) -> NotificationRef:
        return NotificationRef.model_validate(self.model_dump(include=set(NotificationRef.model_fields)))


class OutboxMessage(ApiModel):
    """A message as the local outbox keeps it, instead of sending it through SES or SNS."""

    notification: NotificationRef
    channel: ReminderChannel
    to: str
    subject: str
    text: str
    sent_at: datetime
