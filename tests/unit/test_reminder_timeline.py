"""Message plans for one task: invitation, reminders, overdue reminders, quiet hours, caps and expiry."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from kommunal_pro.assignments.schedule import expires_at
from kommunal_pro.clock import COPENHAGEN
from kommunal_pro.scheduling.timeline import PlannedMessage, ReminderPolicy, plan_messages

DEFAULT = ReminderPolicy()


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=COPENHAGEN)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def plan(
    opens_at: datetime, due_at: datetime, grace_days: int = 7, channel: str = "email", **policy: Any
) -> list[tuple[int, str, datetime]]:
    messages = plan_messages(opens_at, due_at, expires_at(due_at, grace_days), ReminderPolicy(**policy), channel)
    return [(m.number, m.kind, m.send_at) for m in messages]


def test_default_policy_invites_reminds_a_day_before_and_a_day_after() -> None:
    # WHO-5 opening Monday 09:00, due Thursday 09:00, in winter time (UTC+1).
    opens, due = local(2025, 1, 13, 9), local(2025, 1, 16, 9)
    messages = plan_messages(opens, due, expires_at(due, 7), DEFAULT, "sms")
    assert [m.model_dump(by_alias=True) for m in messages] == [
        {"number": 0, "kind": "invitation", "sendAt": utc(2025, 1, 13, 8)},
        {"number": 1, "kind": "reminder", "sendAt": utc(2025, 1, 15, 8)},
        {"number": 2, "kind": "overdue", "sendAt": utc(2025, 1, 17, 8)},
    ]
    assert all(m.send_at.tzinfo is UTC for m in messages)
    assert plan_messages(opens, due, expires_at(due, 7), DEFAULT, "sms") == messages


def test_default_policy_values() -> None:
    assert DEFAULT.model_dump(by_alias=True) == {
        "invitation": True,
        "beforeDueHours": [24],
        "afterDueHours": [24],
        "maxReminders": 3,
        "quietHoursStart": time(21),
        "quietHoursEnd": time(8),
        "quietChannels": ["sms"],
    }


def test_a_short_window_drops_the_before_due_reminder() -> None:
    # Open 12 hours: 24 hours before due is before the task opens.
    assert plan(local(2025, 1, 13, 9), local(2025, 1, 13, 21)) == [
        (0, "invitation", utc(2025, 1, 13, 8)),
        (1, "overdue", utc(2025, 1, 14, 20)),
    ]


def test_a_reminder_at_the_opening_time_is_not_sent() -> None:
    assert plan(local(2025, 1, 13, 9), local(2025, 1, 14, 9), invitation=False) == [(1, "overdue", utc(2025, 1, 15, 8))]


def test_max_reminders_keeps_the_earliest_and_does_not_count_the_invitation() -> None:
    opens, due = local(2025, 1, 6, 9), local(2025, 1, 13, 9)
    many: dict[str, Any] = {"before_due_hours": [2, 24, 72, 48], "after_due_hours": [48, 24]}
    assert plan(opens, due, **many) == [
        (0, "invitation", utc(2025, 1, 6, 8)),
        (1, "reminder", utc(2025, 1, 10, 8)),
        (2, "reminder", utc(2025, 1, 11, 8)),
        (3, "reminder", utc(2025, 1, 12, 8)),
    ]
    assert [kind for _, kind, _ in plan(opens, due, **many, max_reminders=10)] == ["invitation"] + ["reminder"] * 4 + [
        "overdue"
    ] * 2
    assert plan(opens, due, **many, max_reminders=0) == [(0, "invitation", utc(2025, 1, 6, 8))]


def test_without_an_invitation_reminders_still_number_from_one() -> None:
    assert plan(local(2025, 1, 13, 9), local(2025, 1, 16, 9), invitation=False) == [
        (1, "reminder", utc(2025, 1, 15, 8)),
        (2, "overdue", utc(2025, 1, 17, 8)),
    ]


def test_quiet_hours_move_sms_but_not_email() -> None:
    # Opens 06:00, due 22:30: the invitation, the reminder (22:30) and the overdue reminder (22:30) are quiet.
    opens, due = local(2025, 1, 13, 6), local(2025, 1, 15, 22, 30)
    assert plan(opens, due, channel="sms") == [
        (0, "invitation", utc(2025, 1, 13, 7)),  # 06:00 → 08:00 the same day
        (1, "reminder", utc(2025, 1, 15, 7)),  # 22:30 → 08:00 the next day
        (2, "overdue", utc(2025, 1, 17, 7)),
    ]
    assert plan(opens, due, channel="email") == [
        (0, "invitation", utc(2025, 1, 13, 5)),
        (1, "reminder", utc(2025, 1, 14, 21, 30)),
        (2, "overdue", utc(2025, 1, 16, 21, 30)),
    ]


def test_a_quiet_reminder_moved_past_the_due_time_is_dropped() -> None:
    opens = local(2025, 1, 12, 12)
    assert plan(opens, local(2025, 1, 13, 8, 30), channel="sms", before_due_hours=[2]) == [
        (0, "invitation", utc(2025, 1, 12, 11)),
        (1, "reminder", utc(2025, 1, 13, 7)),  # 06:30 → 08:00, still before 08:30
        (2, "overdue", utc(2025, 1, 14, 7, 30)),
    ]
    assert plan(opens, local(2025, 1, 13, 7, 30), channel="sms", before_due_hours=[1]) == [
        (0, "invitation", utc(2025, 1, 12, 11)),  # 06:30 → 08:00 would be after the due time 07:30
        (1, "overdue", utc(2025, 1, 14, 7)),  # 07:30 → 08:00
    ]


def test_messages_moved_to_the_same_time_become_one() -> None:
    # Opens 06:00, due 09:30; reminders at 06:30 and 07:30 would both go at 08:00, with the invitation.
    opens, due = local(2025, 1, 13, 6), local(2025, 1, 13, 9, 30)
    assert plan(opens, due, channel="sms", before_due_hours=[3, 2, 1]) == [
        (0, "invitation", utc(2025, 1, 13, 7)),
        (1, "reminder", utc(2025, 1, 13, 7, 30)),  # 08:30 is not quiet
        (2, "overdue", utc(2025, 1, 14, 8, 30)),
    ]
    assert plan(opens, due, channel="sms", before_due_hours=[3, 2], invitation=False) == [
        (1, "reminder", utc(2025, 1, 13, 7)),
        (2, "overdue", utc(2025, 1, 14, 8, 30)),
    ]


def test_quiet_hours_on_the_spring_forward_night() -> None:
    # Sunday 30 March 2025: 08:00 is 06:00Z (summer time); the night before, 22:30 was 21:30Z (winter time).
    opens = local(2025, 3, 24, 9)
    assert plan(opens, local(2025, 3, 30, 22, 30), channel="sms", after_due_hours=[1]) == [
        (0, "invitation", utc(2025, 3, 24, 8)),
        (1, "reminder", utc(2025, 3, 30, 6)),  # Saturday 22:30 winter time → Sunday 08:00 summer time
        (2, "overdue", utc(2025, 3, 31, 6)),  # Sunday 23:30 → Monday 08:00 summer time
    ]
    # 03:30 summer time, just after the change, is 01:30Z: quiet until 08:00 summer time.
    assert plan(opens, utc(2025, 3, 31, 1, 30), channel="sms", after_due_hours=[1])[1] == (
        1,
        "reminder",
        utc(2025, 3, 30, 6),
    )


def test_quiet_hours_on_the_autumn_night() -> None:
    # Saturday 25 October 2025 22:30 is 20:30Z (summer time); Sunday 08:00 is 07:00Z (winter time).
    assert plan(local(2025, 10, 20, 9), local(2025, 10, 26, 22, 30), channel="sms")[1] == (
        1,
        "reminder",
        utc(2025, 10, 26, 7),
    )


def test_quiet_hours_ending_in_the_hour_that_happens_twice() -> None:
    # Quiet 23:00–02:30. On 26 October 2025 the clock shows 02:10 and 02:30 twice: a message at the second
    # 02:10 (01:10Z) waits until the second 02:30 (01:30Z), not the first one, which has passed.
    policy: dict[str, Any] = {"quiet_hours_start": time(23), "quiet_hours_end": time(2, 30), "before_due_hours": [1]}
    opens = local(2025, 10, 20, 9)
    assert plan(opens, utc(2025, 10, 26, 2, 10), channel="sms", **policy)[1] == (
        1,
        "reminder",
        utc(2025, 10, 26, 1, 30),
    )
    assert plan(opens, utc(2025, 10, 26, 1, 10), channel="sms", **policy)[1] == (
        1,
        "reminder",
        utc(2025, 10, 26, 0, 30),
    )


def test_quiet_hours_within_one_day_and_none() -> None:
    opens, due = local(2025, 1, 13, 12, 15), local(2025, 1, 20, 9)
    lunch: dict[str, Any] = {"quiet_hours_start": time(12), "quiet_hours_end": time(13)}
    assert plan(opens, due, channel="sms", **lunch)[0] == (0, "invitation", utc(2025, 1, 13, 12))
    none: dict[str, Any] = {"quiet_hours_start": time(8), "quiet_hours_end": time(8)}
    assert plan(local(2025, 1, 13, 3), due, channel="sms", **none)[0] == (0, "invitation", utc(2025, 1, 13, 2))


def test_overdue_reminders_at_or_after_expiry_are_dropped() -> None:
    opens, due = local(2025, 1, 6, 9), local(2025, 1, 13, 9)
    # Expires two days after due: 48 hours after due is exactly the expiry, so it is not sent.
    assert plan(opens, due, grace_days=2, after_due_hours=[24, 48, 72]) == [
        (0, "invitation", utc(2025, 1, 6, 8)),
        (1, "reminder", utc(2025, 1, 12, 8)),
        (2, "overdue", utc(2025, 1, 14, 8)),
    ]
    assert plan(opens, due, grace_days=0) == [
        (0, "invitation", utc(2025, 1, 6, 8)),
        (1, "reminder", utc(2025, 1, 12, 8)),
    ]


def test_quiet_hours_that_push_past_expiry_drop_the_message() -> None:
    # Due 22:00, expires the next day 22:00: the overdue reminder at 21:00 would wait until 08:00 after that.
    opens, due = local(2025, 1, 6, 9), local(2025, 1, 13, 22)
    assert [kind for _, kind, _ in plan(opens, due, grace_days=1, channel="sms", after_due_hours=[23])] == [
        "invitation",
        "reminder",
    ]
    # A one-hour task at night with no grace period: even the invitation would come too late.
    assert plan(local(2025, 1, 13, 22), local(2025, 1, 13, 23), grace_days=0, channel="sms") == []


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"beforeDueHours": [0]}, "greater than or equal to 1"),
        ({"afterDueHours": [-24]}, "greater than or equal to 1"),
        ({"beforeDueHours": [24, 24]}, "only once"),
        ({"afterDueHours": [24, 48, 24]}, "only once"),
        ({"maxReminders": 11}, "less than or equal to 10"),
        ({"maxReminders": -1}, "greater than or equal to 0"),
        ({"quietHoursStart": "21:00+01:00"}, "without an offset"),
        ({"quietHoursEnd": "25:00"}, "valid time"),
        ({"quietHours": "21-08"}, "Extra inputs"),
    ],
)
def test_invalid_policies_are_refused(fields: dict[str, Any], error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        ReminderPolicy.model_validate(fields)


def test_policy_from_json() -> None:
    policy = ReminderPolicy.model_validate_json(
        '{"invitation": false, "beforeDueHours": [48, 2], "quietHoursStart": "22:00", "quietChannels": []}'
    )
    assert (policy.before_due_hours, policy.quiet_hours_start, policy.quiet_channels) == ([48, 2], time(22), [])


HOURS = st.lists(st.integers(1, 720), max_size=10, unique=True)
CLOCK = st.times().map(lambda t: t.replace(second=0, microsecond=0))


@given(
    opens_at=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)),
    window_hours=st.integers(1, 24 * 28),
    grace_days=st.integers(0, 14),
    policy=st.builds(
        ReminderPolicy,
        invitation=st.booleans(),
        before_due_hours=HOURS,
        after_due_hours=HOURS,
        max_reminders=st.integers(0, 10),
        quiet_hours_start=CLOCK,
        quiet_hours_end=CLOCK,
        quiet_channels=st.sampled_from([["sms"], ["sms", "email"], []]),
    ),
    channel=st.sampled_from(["sms", "email"]),
)
def test_any_plan_is_ordered_numbered_within_the_task_and_repeatable(
    opens_at: datetime, window_hours: int, grace_days: int, policy: ReminderPolicy, channel: str
) -> None:
    due_at = opens_at + timedelta(hours=window_hours)
    expires = expires_at(due_at, grace_days)
    messages = plan_messages(opens_at, due_at, expires, policy, channel)

    assert messages == plan_messages(opens_at, due_at, expires, policy, channel)
    times = [m.send_at for m in messages]
    assert times == sorted(set(times))
    first = 0 if messages and messages[0].kind == "invitation" else 1
    assert [m.number for m in messages] == list(range(first, first + len(messages)))
    assert all(opens_at <= t < expires for t in times)
    assert all((m.kind == "invitation") == (m.number == 0) for m in messages)
    assert policy.invitation or first == 1
    assert all(m.send_at < due_at for m in messages if m.kind == "reminder")
    assert all(m.send_at > due_at for m in messages if m.kind == "overdue")
    assert len([m for m in messages if m.number > 0]) <= policy.max_reminders
    if channel not in policy.quiet_channels:
        assert all(m.send_at == opens_at for m in messages if m.kind == "invitation")


@given(
    instant=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)),
    start=CLOCK,
    end=CLOCK,
)
def test_quiet_channels_never_send_in_quiet_hours(instant: datetime, start: time, end: time) -> None:
    # An end inside the spring-forward gap resolves to a later time (fold=0), which may itself be quiet.
    assume(not time(2) <= end < time(3))
    policy = ReminderPolicy(quiet_hours_start=start, quiet_hours_end=end, before_due_hours=[], after_due_hours=[])
    [invitation] = plan_messages(instant, instant + timedelta(hours=1), instant + timedelta(days=2), policy, "sms")
    clock = invitation.send_at.astimezone(COPENHAGEN).time()
    quiet = start <= clock < end if start <= end else clock >= start or clock < end
    assert not quiet
    assert instant <= invitation.send_at <= instant + timedelta(days=1, hours=1)


def test_planned_message_is_camel_case_on_the_wire() -> None:
    message = PlannedMessage(number=1, kind="overdue", send_at=utc(2025, 1, 17, 8))
    assert message.model_dump(mode="json", by_alias=True) == {
        "number": 1,
        "kind": "overdue",
        "sendAt": "2025-01-17T08:00:00Z",
    }


def test_quiet_hours_are_documented_as_the_wall_clock_times_the_api_sends() -> None:
    """JSON Schema's `time` format requires an offset; quiet hours have none, so the document gives their pattern
    (fuzzing found every municipality answer violating `format: time`)."""
    schema = ReminderPolicy.model_json_schema(by_alias=True)
    sent = ReminderPolicy().model_dump(mode="json", by_alias=True)
    assert sent["quietHoursStart"] == "21:00:00"
    assert (
        list(Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(sent)) == []
    )
    for refused in ("21:00+01:00", "2100", "24:00"):
        assert not re.search(schema["properties"]["quietHoursStart"]["pattern"], refused)
        with pytest.raises(ValidationError):
            ReminderPolicy.model_validate({"quietHoursStart": refused})
