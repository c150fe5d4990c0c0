"""Where a task's next message waits for the reminder job: the cross-tenant `Due` index (docs/data-model.md).

A task item carries DuePK = "DUE#<yyyy-mm-ddThh>#<shard>" and DueSK = "<send at>#<tenant>#<task>#<number>" for
its next planned message only, so the index holds one entry per task with something left to send, and the job
reads one (hour, shard) partition at a time: its cost follows what is due, not how many tasks exist.

- The **shard** is a stable hash of the task id, spreading one hour's messages over N partitions
  (`DUE_SHARDS`; it may only grow, or the job would stop looking at the upper shards).
- The **hour** is the send time's, or the hour of writing if that is later: an entry written for a message
  already due (a task assigned after it opened, the next message after an outage) lands where the job's next
  run looks, never in an hour the job has already passed.
- **Send times** are written "yyyy-mm-ddThh:mm:ssZ" (UTC, whole seconds), so they sort as strings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from kommunal_pro.clock import utc_now
from kommunal_pro.config import get_settings
from kommunal_pro.scheduling.timeline import PlannedMessage
from kommunal_pro.storage.schema import DUE


class DueTask(Protocol):
    """What the Due index needs of a task (kommunal_pro.assignments.models.Task)."""

    @property
    def id(self) -> str: ...

    @property
    def municipality(self) -> str: ...


def stamp(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hour(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H")


def shard(task_id: str) -> int:
    return int.from_bytes(hashlib.sha256(task_id.encode()).digest()[:8], "big") % get_settings().due_shards


def due_attributes(task: DueTask, message: PlannedMessage | None) -> dict[str, str]:
    """The Due index attributes that make the job send `message` for `task`; none when nothing is left."""
    if message is None:
        return {}
    hour = _hour(max(message.send_at, utc_now()))
    return {
        DUE.partition_key: f"DUE#{hour}#{shard(task.id)}",
        DUE.sort_key: f"{stamp(message.send_at)}#{task.municipality}#{task.id}#{message.number}",
    }


def next_message(plan: Iterable[PlannedMessage], after: int = -1) -> PlannedMessage | None:
    """The first planned message numbered above `after`."""
    return next((m for m in plan if m.number > after), None)


def due_number(sort_key: str) -> int:
    return int(sort_key.rsplit("#", 1)[1])


def due_partitions(start: datetime, end: datetime) -> list[str]:
    """Every (hour, shard) partition from the hour of `start` to the hour of `end`."""
    hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    partitions = []
    while hour <= end:
        partitions += [f"DUE#{_hour(hour)}#{n}" for n in range(get_settings().due_shards)]
        hour += timedelta(hours=1)
    return partitions
