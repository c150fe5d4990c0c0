"""The check made right before a message is queued, and again right before it is sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kommunal_pro.assignments.models import Task
from kommunal_pro.assignments.repository import AssignmentRepository
from kommunal_pro.assignments.schedule import TaskState
from kommunal_pro.citizens.models import StoredCitizen
from kommunal_pro.citizens.repository import CitizenRepository
from kommunal_pro.organisations.models import MunicipalitySettings, ReminderChannel
from kommunal_pro.organisations.repository import MunicipalityRepository


@dataclass(frozen=True)
class Recipient:
    """A citizen who may get a message about a task now, as things are now."""

    task: Task
    citizen: StoredCitizen
    settings: MunicipalitySettings
    channel: ReminderChannel

    @property
    def address(self) -> str:
        address = self.citizen.email if self.channel is ReminderChannel.EMAIL else self.citizen.mobile
        assert address, "StoredCitizen.reminder_channel only picks a channel the citizen has an address for"
        return address


class Recipients:
    def __init__(self, table: Any) -> None:
        self._tasks = AssignmentRepository(table)
        self._citizens = CitizenRepository(table)
        self._municipalities = MunicipalityRepository(table)

    def find(self, tenant: str, citizen_id: str, task_id: str, now: datetime) -> Recipient | None:
        """None when no message may go out: the task is completed, cancelled or expired, or the citizen has
        withdrawn consent, opted out or has no address on a channel the municipality allows."""
        task = self._tasks.task(tenant, citizen_id, task_id)
        if task is None or task.state is not TaskState.PENDING or now >= task.expires_at:
            return None
        citizen = self._citizens.get(tenant, citizen_id)
        municipality = self._municipalities.get(tenant)
        if citizen is None or municipality is None:
            return None
        channel = citizen.reminder_channel(municipality.settings)
        return Recipient(task, citizen, municipality.settings, channel) if channel else None
