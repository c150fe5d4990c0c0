"""Sending a queued notification: check again, render the Danish text, send it once.

The sender claims a notification for a few minutes before sending and marks it sent after, so two deliveries
of the same queue message (the job re-queues after a crash; SQS delivers at least once) send it once. Only a
crash between the provider accepting a message and the mark can repeat it, when the claim has run out.
Where it goes is the transport's business: SES and SNS in AWS, the outbox table locally.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import formataddr
from typing import Any, Protocol

import boto3

from kommunal_pro.clock import utc_now
from kommunal_pro.config import Settings
from kommunal_pro.notifications.models import DONE, NotificationRef, NotificationStatus, OutboxMessage
from kommunal_pro.notifications.recipients import Recipient, Recipients
from kommunal_pro.notifications.repository import NotificationRepository
from kommunal_pro.notifications.templates import Message, render
from kommunal_pro.observability import logger
from kommunal_pro.organisations.models import ReminderChannel
from kommunal_pro.scheduling.timeline import MessageKind

CLAIM = timedelta(minutes=5)


class NotificationBusy(Exception):
    """Another sender holds the notification; retry once it is done or its claim has run out."""


class Transport(Protocol):
    def send(self, ref: NotificationRef, recipient: Recipient, message: Message) -> None: ...


class AwsTransport:
    """E-mail through SES from the configured address, SMS through SNS with the configured sender id and type."""

    def __init__(self, settings: Settings) -> None:
        self._email_from = settings.email_from_address
        self._sms_attributes = {"AWS.SNS.SMS.SMSType": _string(settings.sms_type)}
        if settings.sms_sender_id:
            self._sms_attributes["AWS.SNS.SMS.SenderID"] = _string(settings.sms_sender_id)
        self._ses = boto3.client("ses")
        self._sns = boto3.client("sns")

    def send(self, ref: NotificationRef, recipient: Recipient, message: Message) -> None:
        if recipient.channel is ReminderChannel.EMAIL:
            self._ses.send_email(
                Source=formataddr((message.sender, self._email_from)),
                Destination={"ToAddresses": [recipient.address]},
                Message={
                    "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": message.email, "Charset": "UTF-8"}},
                },
            )
        else:
            self._sns.publish(
                PhoneNumber=_e164(recipient.address),
                Message=message.sms,
                MessageAttributes=self._sms_attributes,
            )


def _string(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


def _e164(mobile: str) -> str:
    """Danish mobile numbers are stored with or without +45."""
    return mobile if mobile.startswith("+") else f"+45{mobile}"


class OutboxTransport:
    """The local runner's transport: each message is stored in the outbox, and kept in `delivered` to show."""

    def __init__(self, table: Any) -> None:
        self._notifications = NotificationRepository(table)
        self.delivered: list[OutboxMessage] = []

    def send(self, ref: NotificationRef, recipient: Recipient, message: Message) -> None:
        email = recipient.channel is ReminderChannel.EMAIL
        outboxed = OutboxMessage(
            notification=ref,
            channel=recipient.channel,
            to=recipient.address,
            subject=message.subject if email else "",
            text=message.email if email else message.sms,
            sent_at=utc_now(),
        )
        self._notifications.add_to_outbox(outboxed)
        self.delivered.append(outboxed)


class NotificationSender:
    def __init__(self, table: Any, transport: Transport, citizen_app_url: str) -> None:
        self._notifications = NotificationRepository(table)
        self._recipients = Recipients(table)
        self._transport = transport
        self._link = citizen_app_url

    def deliver(self, ref: NotificationRef, now: datetime) -> NotificationStatus | None:
        """Send the notification unless it is done or no longer allowed; what became of it (None: nothing)."""
        notification = self._notifications.get(ref)
        if notification is None or notification.status in DONE:
            return None
        if not self._notifications.claim(ref, now, now + CLAIM):
            raise NotificationBusy(f"notification {ref.task_id}#{ref.number} is being sent")
        try:
            recipient = self._recipients.find(ref.municipality, ref.citizen_id, ref.task_id, now)
            if recipient is not None:
                self._transport.send(ref, recipient, self._render(notification.kind, recipient))
        except Exception:
            self._notifications.release(ref)
            raise
        status = NotificationStatus.SENT if recipient else NotificationStatus.SKIPPED
        channel = recipient.channel if recipient else None
        if not self._notifications.finish(ref, status, channel, now):
            logger.warning("notification finished after its claim ran out", extra={"task": ref.task_id})
        return status

    def _render(self, kind: MessageKind, recipient: Recipient) -> Message:
        settings = recipient.settings
        title = recipient.task.questionnaire_title.in_language(recipient.citizen.language)
        email_title = title if settings.email_shows_questionnaire_title else None
        return render(kind, settings.sender_name, recipient.task.due_at, self._link, email_title=email_title)
