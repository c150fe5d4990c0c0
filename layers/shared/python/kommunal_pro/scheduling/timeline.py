"""The messages a citizen gets about one task: an invitation when it opens, reminders before and after it is due.

Pure and deterministic: the same task and policy give the same plan, because a message's number becomes part
of its notification id (task + number), and a rerun job must not send twice. The rules:

- The **invitation** (number 0) is sent when the task opens. **Reminders** (numbers 1.. in time order) are
  "reminder" `beforeDueHours` before the due time and "overdue" `afterDueHours` after it. A before-due
  reminder planned at or before the opening time is skipped (the window is shorter than that).
- **Quiet hours** (Copenhagen wall clock, start inclusive, end exclusive, may span midnight; start = end
  means none) apply to the channels in `quietChannels`: a message that falls inside them is moved to the
  end of that quiet period (02:00 → 08:00 the same day, 22:30 → 08:00 the next day), DST-correct.
  An end that falls in the spring-forward gap is resolved as in `assignments.schedule` (fold=0).
- After moving, a message must still make sense, or it is dropped: reminders moved to the same time become
  one; every reminder is sent strictly after the invitation (so two messages never share a send time and
  the invitation comes first); a "reminder" goes before the due time; nothing goes at or after
  `expiresAt`. So every message is sent within [opensAt, expiresAt).
- `maxReminders` then keeps the earliest reminders; the invitation does not count.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, WithJsonSchema, field_validator

from kommunal_pro.clock import COPENHAGEN, from_local
from kommunal_pro.models import ApiModel

Hours = Annotated[int, Field(ge=1, le=30 * 24)]
HoursList = Annotated[list[Hours], Field(max_length=10)]
MessageKind = Literal["invitation", "reminder", "overdue"]
# A Copenhagen wall-clock time. JSON Schema's `time` format requires an offset, which this must not have.
WallClock = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
            "description": "Copenhagen wall-clock time, HH:MM or HH:MM:SS, without an offset",
            "examples": ["21:00"],
        }
    ),
]


class ReminderPolicy(ApiModel):
    invitation: bool = Field(True, description="Send a message when the task opens")
    before_due_hours: HoursList = Field(default_factory=lambda: [24])
    after_due_hours: HoursList = Field(default_factory=lambda: [24])
    max_reminders: Annotated[int, Field(ge=0, le=10)] = Field(3, description="Reminders, not counting the invitation")
    quiet_hours_start: WallClock = time(21)
    quiet_hours_end: WallClock = time(8)
    quiet_channels: list[str] = Field(default_factory=lambda: ["sms"])

    @field_validator("before_due_hours", "after_due_hours")
    @classmethod
    def _unique(cls, hours: list[int]) -> list[int]:
        if len(set(hours)) != len(hours):
            raise ValueError("each number of hours may appear only once")
        return hours

    @field_validator("quiet_hours_start", "quiet_hours_end")
    @classmethod
    def _wall_clock(cls, clock: time) -> time:
        if clock.tzinfo is not None:
            raise ValueError("quiet hours are Copenhagen wall-clock times, without an offset")
        return clock


class PlannedMessage(ApiModel):
    number: Annotated[int, Field(ge=0)]
    kind: MessageKind
    send_at: AwareDatetime


def plan_messages(
    opens_at: datetime, due_at: datetime, expires_at: datetime, policy: ReminderPolicy, channel: str
) -> list[PlannedMessage]:
    """The messages for one task on one channel, in send order (see the module docstring for the rules)."""
    opens_at, due_at, expires_at = (t.astimezone(UTC) for t in (opens_at, due_at, expires_at))
    invitation = send_time(opens_at, policy, channel)
    not_before = invitation if policy.invitation else opens_at
    planned: list[tuple[datetime, MessageKind]] = [
        (due_at - timedelta(hours=h), "reminder") for h in policy.before_due_hours
    ]
    planned += [(due_at + timedelta(hours=h), "overdue") for h in policy.after_due_hours]
    moved = sorted({(send_time(t, policy, channel), kind) for t, kind in planned if t > opens_at})
    deadline = {"reminder": due_at, "overdue": expires_at}
    reminders = [(t, kind) for t, kind in moved if not_before < t < deadline[kind]][: policy.max_reminders]
    plan: list[PlannedMessage] = []
    if policy.invitation and invitation < expires_at:
        plan.append(PlannedMessage(number=0, kind="invitation", send_at=invitation))
    plan += [PlannedMessage(number=n, kind=kind, send_at=t) for n, (t, kind) in enumerate(reminders, start=1)]
    return plan


def send_time(instant: datetime, policy: ReminderPolicy, channel: str) -> datetime:
    """When a message meant for `instant` may go out on `channel`: then, or after the quiet hours it falls in."""
    return _after_quiet_hours(instant, policy) if channel in policy.quiet_channels else instant


def _after_quiet_hours(instant: datetime, policy: ReminderPolicy) -> datetime:
    """`instant`, or the end of the quiet period it falls in."""
    start, end = policy.quiet_hours_start, policy.quiet_hours_end
    local = instant.astimezone(COPENHAGEN)
    clock = local.time()
    if start <= end:  # e.g. 12:00–13:00, or none when start = end
        quiet, days_to_end = start <= clock < end, 0
    elif clock >= start:  # the evening part of e.g. 21:00–08:00
        quiet, days_to_end = True, 1
    else:  # its morning part
        quiet, days_to_end = clock < end, 0
    if not quiet:
        return instant
    wall = datetime.combine(local.date() + timedelta(days=days_to_end), end)
    first = from_local(wall)
    # On the autumn change the clock shows `end` twice (e.g. 02:30): take the one still ahead.
    return first if first > instant else wall.replace(tzinfo=COPENHAGEN, fold=1).astimezone(UTC)
