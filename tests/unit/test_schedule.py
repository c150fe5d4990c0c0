"""Schedules → tasks: once, recurring across daylight-saving changes, appointment-relative; task status."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from kommunal_pro.assignments.schedule import (
    AppointmentSchedule,
    OnceSchedule,
    RecurringSchedule,
    Schedule,
    TaskState,
    TaskStatus,
    expand,
    expires_at,
    reschedule_appointment,
    task_status,
)
from kommunal_pro.clock import COPENHAGEN
from kommunal_pro.errors import Problem
from kommunal_pro.models import IsoInstant

SCHEDULE = TypeAdapter(Schedule)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=COPENHAGEN, fold=fold)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def windows(schedule: Any) -> list[tuple[datetime, datetime]]:
    return [(o.opens_at, o.due_at) for o in expand(schedule)]


def weekly(first_opens_at: datetime, **fields: Any) -> RecurringSchedule:
    return RecurringSchedule.model_validate(
        {"first_opens_at": first_opens_at, "every": 1, "unit": "weeks", "answer_window_hours": 72, **fields}
    )


def test_once_is_one_task_in_utc() -> None:
    schedule = SCHEDULE.validate_python(
        {"kind": "once", "opensAt": "2025-05-05T09:00:00+02:00", "dueAt": "2025-05-12T09:00:00+02:00"}
    )
    assert isinstance(schedule, OnceSchedule)
    assert [o.model_dump(by_alias=True) for o in expand(schedule)] == [
        {"sequence": 1, "opensAt": utc(2025, 5, 5, 7), "dueAt": utc(2025, 5, 12, 7)}
    ]
    assert expand(schedule)[0].opens_at.tzinfo is UTC


def test_weekly_who5_keeps_monday_0900_local_across_the_spring_change() -> None:
    # 2025-03-30 is the last Sunday of March: 09:00 is 08:00Z before it and 07:00Z after it.
    occurrences = expand(weekly(local(2025, 3, 3, 9), count=8))
    assert [o.sequence for o in occurrences] == list(range(1, 9))
    assert [o.opens_at for o in occurrences] == [
        utc(2025, 3, 3, 8),
        utc(2025, 3, 10, 8),
        utc(2025, 3, 17, 8),
        utc(2025, 3, 24, 8),
        utc(2025, 3, 31, 7),
        utc(2025, 4, 7, 7),
        utc(2025, 4, 14, 7),
        utc(2025, 4, 21, 7),
    ]
    assert all(o.due_at - o.opens_at == timedelta(hours=72) for o in occurrences)
    assert all(o.opens_at.astimezone(COPENHAGEN).hour == 9 for o in occurrences)


def test_weekly_keeps_local_time_across_the_autumn_change() -> None:
    # 2025-10-26 is the last Sunday of October: 09:00 is 07:00Z before it and 08:00Z after it.
    assert [o for o, _ in windows(weekly(local(2025, 10, 13, 9), count=4))] == [
        utc(2025, 10, 13, 7),
        utc(2025, 10, 20, 7),
        utc(2025, 10, 27, 8),
        utc(2025, 11, 3, 8),
    ]


def test_every_three_days_until_a_date_includes_that_date() -> None:
    schedule = RecurringSchedule(
        first_opens_at=local(2026, 1, 5, 7, 30), every=3, unit="days", answer_window_hours=48, until=date(2026, 1, 14)
    )
    assert windows(schedule) == [
        (utc(2026, 1, 5, 6, 30), utc(2026, 1, 7, 6, 30)),
        (utc(2026, 1, 8, 6, 30), utc(2026, 1, 10, 6, 30)),
        (utc(2026, 1, 11, 6, 30), utc(2026, 1, 13, 6, 30)),
        (utc(2026, 1, 14, 6, 30), utc(2026, 1, 16, 6, 30)),
    ]
    assert len(expand(schedule.model_copy(update={"until": date(2026, 1, 13)}))) == 3


def test_until_is_a_copenhagen_date() -> None:
    # 00:30 in Copenhagen on 14 January is 23:30Z on the 13th: a task then opens after `until` 13 January.
    schedule = RecurringSchedule(
        first_opens_at=utc(2026, 1, 10, 23, 30), every=3, unit="days", answer_window_hours=1, until=date(2026, 1, 13)
    )
    assert [o for o, _ in windows(schedule)] == [utc(2026, 1, 10, 23, 30)]


def test_a_daily_window_shrinks_on_the_short_day_so_tasks_never_overlap() -> None:
    schedule = RecurringSchedule(
        first_opens_at=local(2025, 3, 29, 9), every=1, unit="days", answer_window_hours=24, count=3
    )
    assert windows(schedule) == [
        (utc(2025, 3, 29, 8), utc(2025, 3, 30, 7)),  # 23 hours: the next task opens at 09:00 summer time
        (utc(2025, 3, 30, 7), utc(2025, 3, 31, 7)),
        (utc(2025, 3, 31, 7), utc(2025, 4, 1, 7)),
    ]


def test_a_time_in_the_spring_gap_moves_forward_and_an_ambiguous_one_is_the_first() -> None:
    spring = RecurringSchedule(
        first_opens_at=local(2025, 3, 29, 2, 30), every=1, unit="days", answer_window_hours=1, count=3
    )
    # 02:30 does not exist on 30 March: it becomes 03:30 summer time.
    assert [o for o, _ in windows(spring)] == [
        utc(2025, 3, 29, 1, 30),
        utc(2025, 3, 30, 1, 30),
        utc(2025, 3, 31, 0, 30),
    ]
    autumn = spring.model_copy(update={"first_opens_at": local(2025, 10, 25, 2, 30)})
    # 02:30 happens twice on 26 October: the first, in summer time.
    assert [o for o, _ in windows(autumn)] == [
        utc(2025, 10, 25, 0, 30),
        utc(2025, 10, 26, 0, 30),
        utc(2025, 10, 27, 1, 30),
    ]


def test_the_first_task_opens_exactly_when_asked_even_in_the_second_0230() -> None:
    second = local(2025, 10, 26, 2, 30, fold=1)
    assert second.astimezone(UTC) == utc(2025, 10, 26, 1, 30)
    schedule = RecurringSchedule(first_opens_at=second, every=1, unit="days", answer_window_hours=1, count=2)
    assert [o for o, _ in windows(schedule)] == [utc(2025, 10, 26, 1, 30), utc(2025, 10, 27, 1, 30)]


def test_appointment_task_opens_whole_local_days_before_and_is_due_hours_before() -> None:
    # A consultation on Wednesday 2 April 2025 10:00 (summer time); 7 days earlier was still winter time.
    schedule = SCHEDULE.validate_python(
        {"kind": "appointment", "appointmentAt": "2025-04-02T10:00:00+02:00", "opensDaysBefore": 7, "dueHoursBefore": 2}
    )
    assert isinstance(schedule, AppointmentSchedule)
    assert windows(schedule) == [(utc(2025, 3, 26, 9), utc(2025, 4, 2, 6))]

    moved = reschedule_appointment(schedule, local(2025, 4, 9, 10))
    assert windows(moved) == [(utc(2025, 4, 2, 8), utc(2025, 4, 9, 6))]
    assert (moved.opens_days_before, moved.due_hours_before) == (7, 2)


def test_moving_an_appointment_is_validated_again() -> None:
    # Opening a calendar day before and due 23 hours before leaves one hour, except across the spring change.
    schedule = AppointmentSchedule(appointment_at=local(2025, 4, 7, 10), opens_days_before=1, due_hours_before=23)
    assert windows(schedule) == [(utc(2025, 4, 6, 8), utc(2025, 4, 6, 9))]
    with pytest.raises(ValidationError, match="must open before it is due"):
        reschedule_appointment(schedule, local(2025, 3, 30, 10))


def test_one_hundred_tasks_is_the_most() -> None:
    daily = {"first_opens_at": local(2025, 1, 1, 9), "every": 1, "unit": "days", "answer_window_hours": 12}
    assert len(expand(RecurringSchedule(**daily, count=100))) == 100
    assert len(expand(RecurringSchedule(**daily, until=date(2025, 4, 10)))) == 100

    with pytest.raises(Problem) as raised:
        expand(RecurringSchedule(**daily, until=date(2025, 4, 11)))
    assert raised.value.status == 422
    assert "more than 100 tasks" in raised.value.detail
    assert raised.value.detail == "Planen giver mere end 100 opgaver (the schedule makes more than 100 tasks)"
    assert raised.value.errors == [
        {
            "code": "invalid-schedule",
            "location": "body.schedule",
            "messageDa": "Planen giver mere end 100 opgaver",
            "messageEn": "the schedule makes more than 100 tasks",
        }
    ]

    with pytest.raises(ValidationError, match="less than or equal to 100"):
        RecurringSchedule(**daily, count=101)


def test_until_before_the_first_task_is_invalid() -> None:
    schedule = weekly(local(2025, 3, 3, 9), until=date(2025, 3, 2))
    with pytest.raises(Problem, match="until is before the first task") as raised:
        expand(schedule)
    assert raised.value.status == 422
    assert raised.value.errors[0]["location"] == "body.schedule"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"kind": "once", "opensAt": "2025-05-05T09:00:00", "dueAt": "2025-05-06T09:00:00Z"}, "timezone"),
        ({"kind": "once", "opensAt": "2025-05-05T09:00:00Z", "dueAt": "2025-05-05T09:00:00Z"}, "before dueAt"),
        ({"kind": "once", "opensAt": "2025-05-06T09:00:00Z", "dueAt": "2025-05-05T09:00:00Z"}, "before dueAt"),
        ({"kind": "once", "opensAt": "1999-05-05T09:00:00Z", "dueAt": "2025-05-05T09:00:00Z"}, "greater than"),
        ({"kind": "once", "opensAt": "2025-05-05T09:00:00Z", "dueAt": "2025-05-06T09:00:00Z", "x": 1}, "Extra"),
        ({"kind": "monthly", "opensAt": "2025-05-05T09:00:00Z"}, "does not match any of the expected tags"),
        (
            {"kind": "recurring", "firstOpensAt": "2025-03-03T09:00:00", "every": 1, "unit": "weeks"}
            | {"answerWindowHours": 72, "count": 8},
            "timezone",
        ),
        (
            {"kind": "recurring", "firstOpensAt": "2025-03-03T09:00:00+01:00", "every": 1, "unit": "weeks"}
            | {"answerWindowHours": 72, "count": 8, "until": "2025-05-01"},
            "exactly one of 'count' or 'until'",
        ),
        (
            {"kind": "recurring", "firstOpensAt": "2025-03-03T09:00:00+01:00", "every": 1, "unit": "weeks"}
            | {"answerWindowHours": 72},
            "exactly one of 'count' or 'until'",
        ),
        (
            {"kind": "recurring", "firstOpensAt": "2025-03-03T09:00:00+01:00", "every": 1, "unit": "days"}
            | {"answerWindowHours": 25, "count": 8},
            "not be longer than the interval",
        ),
        (
            {"kind": "recurring", "firstOpensAt": "2025-03-03T09:00:00+01:00", "every": 0, "unit": "days"}
            | {"answerWindowHours": 1, "count": 8},
            "greater than or equal to 1",
        ),
        (
            {"kind": "recurring", "firstOpensAt": "2025-03-03T09:00:00+01:00", "every": 1, "unit": "months"}
            | {"answerWindowHours": 1, "count": 8},
            "'days' or 'weeks'",
        ),
        (
            {"kind": "appointment", "appointmentAt": "2025-04-02T10:00:00", "opensDaysBefore": 7}
            | {"dueHoursBefore": 2},
            "timezone",
        ),
        (
            {"kind": "appointment", "appointmentAt": "2025-04-02T10:00:00+02:00", "opensDaysBefore": 0}
            | {"dueHoursBefore": 0},
            "must open before it is due",
        ),
        (
            {"kind": "appointment", "appointmentAt": "2025-04-02T10:00:00+02:00", "opensDaysBefore": 1}
            | {"dueHoursBefore": 24},
            "must open before it is due",
        ),
    ],
)
def test_invalid_schedules_are_refused(body: dict[str, Any], error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        SCHEDULE.validate_python(body)


def test_a_window_as_long_as_the_interval_is_allowed() -> None:
    schedule = RecurringSchedule(
        first_opens_at=local(2025, 1, 6, 9), every=2, unit="weeks", answer_window_hours=336, count=2
    )
    (_, first_due), (second_opens, _) = windows(schedule)
    assert first_due == second_opens


@given(
    start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(COPENHAGEN)),
    every=st.integers(1, 10),
    unit=st.sampled_from(["days", "weeks"]),
    window_fraction=st.floats(0.01, 1),
    count=st.integers(1, 100),
)
def test_recurring_tasks_are_ordered_and_disjoint_and_keep_the_local_time(
    start: datetime, every: int, unit: Literal["days", "weeks"], window_fraction: float, count: int
) -> None:
    interval_hours = every * (24 if unit == "days" else 168)
    schedule = RecurringSchedule(
        first_opens_at=start,
        every=every,
        unit=unit,
        answer_window_hours=max(1, int(interval_hours * window_fraction)),
        count=count,
    )
    occurrences = expand(schedule)
    assert [o.sequence for o in occurrences] == list(range(1, count + 1))
    assert occurrences[0].opens_at == start.astimezone(UTC)
    for o, following in pairwise(occurrences):
        assert o.opens_at < o.due_at <= following.opens_at
    assert all(o.opens_at.tzinfo is UTC and o.due_at.tzinfo is UTC for o in occurrences)
    for o in occurrences[1:]:
        expected = start.replace(tzinfo=None) + (o.sequence - 1) * schedule.step
        moved = o.opens_at.astimezone(COPENHAGEN).replace(tzinfo=None) - expected
        # Only a time in the spring-forward gap (02:xx on the last Sunday of March) moves, by the gap.
        assert moved == timedelta(0) or (moved == timedelta(hours=1) and (expected.month, expected.hour) == (3, 2))
    assert expand(schedule) == occurrences


@pytest.mark.parametrize(
    ("now", "status"),
    [
        (utc(2025, 5, 5, 6, 59), TaskStatus.SCHEDULED),
        (utc(2025, 5, 5, 7), TaskStatus.OPEN),  # at exactly opensAt
        (utc(2025, 5, 12, 6, 59), TaskStatus.OPEN),
        (utc(2025, 5, 12, 7), TaskStatus.OVERDUE),  # at exactly dueAt
        (utc(2025, 5, 19, 6, 59), TaskStatus.OVERDUE),
        (utc(2025, 5, 19, 7), TaskStatus.EXPIRED),  # at exactly expiresAt
    ],
)
def test_pending_task_status_at_each_boundary(now: datetime, status: TaskStatus) -> None:
    opens, due = utc(2025, 5, 5, 7), utc(2025, 5, 12, 7)
    assert task_status(TaskState.PENDING, opens, due, expires_at(due, 7), now) is status


@pytest.mark.parametrize("now", [utc(2025, 5, 1), utc(2025, 5, 6), utc(2025, 5, 13), utc(2025, 6, 1)])
def test_completed_and_cancelled_tasks_stay_so(now: datetime) -> None:
    opens, due, expires = utc(2025, 5, 5, 7), utc(2025, 5, 12, 7), utc(2025, 5, 19, 7)
    assert task_status(TaskState.COMPLETED, opens, due, expires, now) is TaskStatus.COMPLETED
    assert task_status(TaskState.CANCELLED, opens, due, expires, now) is TaskStatus.CANCELLED


def test_grace_period_is_whole_local_days() -> None:
    # Due Saturday 12:00 winter time; two days later it is Monday 12:00 summer time, 47 hours on.
    assert expires_at(local(2025, 3, 29, 12), 2) == utc(2025, 3, 31, 10)
    assert expires_at(utc(2025, 5, 12, 7), 0) == utc(2025, 5, 12, 7)
    with pytest.raises(ValueError, match="cannot be negative"):
        expires_at(utc(2025, 5, 12, 7), -1)


@pytest.mark.parametrize("value", [1767225600, "1767225600", "-234"])
def test_an_instant_is_iso_8601_text_never_seconds_since_1970(value: object) -> None:
    """pydantic reads a number as a Unix time; the document says `format: date-time` (fuzzing sent `since=-234`)."""
    with pytest.raises(ValidationError):
        TypeAdapter(IsoInstant).validate_python(value)
    assert TypeAdapter(IsoInstant).validate_python("2026-01-01T00:00:00+01:00").utcoffset() is not None
