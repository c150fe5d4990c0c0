"""Schedules: when a citizen's tasks open and are due, and what a task's status is at a given moment.

Pure functions without I/O. The rules DESIGN.md leaves open are decided here:

- **Local time.** "Days" and "weeks" are Copenhagen calendar days: a recurring task, an appointment's
  opening "7 days before" and a grace period keep the local time of day across daylight-saving changes
  (every Monday 09:00 is 08:00Z in winter and 07:00Z in summer). Hours are elapsed hours.
- **Wall-clock times that do not exist or exist twice** are resolved with PEP 495 fold=0: a time in the
  spring-forward gap (02:30 on the last Sunday of March) moves forward by the gap, to 03:30 summer time;
  an ambiguous time (02:30 on the last Sunday of October) is the first one, in summer time.
- **Recurring tasks never overlap**: each is due `answerWindowHours` after it opens, but no later than
  the next one opens (a daily 24-hour window is 23 hours on the spring-forward day). `until` is the last
  Copenhagen date on which a task may open. A schedule yields 1 to 100 tasks.
- **Instants are 2000–2099**, which keeps every computation here far from datetime's limits.
- **Status boundaries**: a task is open from exactly `opensAt`, overdue from exactly `dueAt` and expired
  from exactly `expiresAt`; completed and cancelled tasks stay so whatever the time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, model_validator

from kommunal_pro.clock import local_date, shift_local
from kommunal_pro.errors import ErrorCode, InvalidInput, Problem, error
from kommunal_pro.models import ApiModel, IsoInstant

MAX_OCCURRENCES = 100

Instant = Annotated[IsoInstant, Field(ge=datetime(2000, 1, 1, tzinfo=UTC), lt=datetime(2100, 1, 1, tzinfo=UTC))]


class OnceSchedule(ApiModel):
    kind: Literal["once"] = "once"
    opens_at: Instant
    due_at: Instant

    @model_validator(mode="after")
    def _window_not_empty(self) -> OnceSchedule:
        if self.opens_at >= self.due_at:
            raise ValueError("opensAt must be before dueAt")
        return self


class RecurringSchedule(ApiModel):
    kind: Literal["recurring"] = "recurring"
    first_opens_at: Instant
    every: Annotated[int, Field(ge=1, le=365)]
    unit: Literal["days", "weeks"]
    answer_window_hours: Annotated[int, Field(ge=1, le=366 * 24)]
    count: Annotated[int, Field(ge=1, le=MAX_OCCURRENCES)] | None = None
    until: date | None = Field(None, description="The last date (Europe/Copenhagen) on which a task may open")

    @property
    def step(self) -> timedelta:
        return timedelta(days=self.every) if self.unit == "days" else timedelta(weeks=self.every)

    @model_validator(mode="after")
    def _consistent(self) -> RecurringSchedule:
        if (self.count is None) == (self.until is None):
            raise ValueError("give exactly one of 'count' or 'until'")
        if timedelta(hours=self.answer_window_hours) > self.step:
            raise ValueError("answerWindowHours must not be longer than the interval, so tasks do not overlap")
        return self


class AppointmentSchedule(ApiModel):
    """One task around an appointment: it opens whole local days before and is due hours before."""

    kind: Literal["appointment"] = "appointment"
    appointment_at: Instant
    opens_days_before: Annotated[int, Field(ge=0, le=365)]
    due_hours_before: Annotated[int, Field(ge=0, le=365 * 24)]

    def window(self) -> tuple[datetime, datetime]:
        opens = shift_local(self.appointment_at, -timedelta(days=self.opens_days_before))
        return opens, self.appointment_at.astimezone(UTC) - timedelta(hours=self.due_hours_before)

    @model_validator(mode="after")
    def _window_not_empty(self) -> AppointmentSchedule:
        opens, due = self.window()
        if opens >= due:
            raise ValueError("the task must open before it is due: raise opensDaysBefore or lower dueHoursBefore")
        return self


Schedule = Annotated[OnceSchedule | RecurringSchedule | AppointmentSchedule, Field(discriminator="kind")]


class Occurrence(ApiModel):
    """One task of a schedule, in UTC."""

    sequence: Annotated[int, Field(ge=1)]
    opens_at: AwareDatetime
    due_at: AwareDatetime


def expand(schedule: OnceSchedule | RecurringSchedule | AppointmentSchedule) -> list[Occurrence]:
    """Every task a schedule makes, in order, with UTC instants."""
    if isinstance(schedule, OnceSchedule):
        windows = [(schedule.opens_at.astimezone(UTC), schedule.due_at.astimezone(UTC))]
    elif isinstance(schedule, AppointmentSchedule):
        windows = [schedule.window()]
    else:
        windows = _recurring_windows(schedule)
    return [Occurrence(sequence=n, opens_at=o, due_at=d) for n, (o, d) in enumerate(windows, start=1)]


def _recurring_windows(schedule: RecurringSchedule) -> list[tuple[datetime, datetime]]:
    opens: list[datetime] = []
    for k in range(schedule.count or MAX_OCCURRENCES + 1):
        opens_at = shift_local(schedule.first_opens_at, k * schedule.step)
        if schedule.until is not None and local_date(opens_at) > schedule.until:
            break
        opens.append(opens_at)
    if not opens:
        raise invalid_schedule("'until' er før første opgave", "until is before the first task opens")
    if len(opens) > MAX_OCCURRENCES:
        raise invalid_schedule(
            f"Planen giver mere end {MAX_OCCURRENCES} opgaver", f"the schedule makes more than {MAX_OCCURRENCES} tasks"
        )
    window = timedelta(hours=schedule.answer_window_hours)
    nexts: list[datetime | None] = [*opens[1:], None]
    return [(o, o + window if n is None else min(o + window, n)) for o, n in zip(opens, nexts, strict=True)]


def invalid_schedule(danish: str, english: str) -> Problem:
    return InvalidInput(f"{danish} ({english})", [error(ErrorCode.INVALID_SCHEDULE, "body.schedule", english, danish)])


def reschedule_appointment(schedule: AppointmentSchedule, new_appointment_at: datetime) -> AppointmentSchedule:
    """The same schedule around a moved appointment, validated again (the window may have become empty)."""
    return AppointmentSchedule.model_validate({**schedule.model_dump(), "appointment_at": new_appointment_at})


class TaskState(StrEnum):
    """What is stored: only what people did to a task. The time-dependent rest is `TaskStatus`."""

    PENDING = "pending"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TaskStatus(StrEnum):
    """What people see, derived from the state and the clock."""

    SCHEDULED = "scheduled"
    OPEN = "open"
    OVERDUE = "overdue"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


def expires_at(due_at: datetime, grace_period_days: int) -> datetime:
    """When an overdue task can no longer be answered: whole local days after it was due."""
    if grace_period_days < 0:
        raise ValueError("the grace period cannot be negative")
    return shift_local(due_at, timedelta(days=grace_period_days))


def task_status(
    state: TaskState, opens_at: datetime, due_at: datetime, expires_at: datetime, now: datetime
) -> TaskStatus:
    if state == TaskState.COMPLETED:
        return TaskStatus.COMPLETED
    if state == TaskState.CANCELLED:
        return TaskStatus.CANCELLED
    if now < opens_at:
        return TaskStatus.SCHEDULED
    if now < due_at:
        return TaskStatus.OPEN
    if now < expires_at:
        return TaskStatus.OVERDUE
    return TaskStatus.EXPIRED
