"""The one clock: operators' instants, the Copenhagen wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kommunal_pro.clock import from_local, local_date, parse_instant, shift_local


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-01-04T08:00:00+01:00", datetime(2027, 1, 4, 7, 0, tzinfo=UTC)),
        ("2027-07-05T08:00:00+02:00", datetime(2027, 7, 5, 6, 0, tzinfo=UTC)),
        ("2027-01-04T07:00:00Z", datetime(2027, 1, 4, 7, 0, tzinfo=UTC)),
    ],
)
def test_an_instant_with_an_offset_is_read_as_that_instant_in_utc(text: str, expected: datetime) -> None:
    parsed = parse_instant(text)

    assert parsed == expected and parsed.tzinfo is UTC


@pytest.mark.parametrize("text", ["2027-01-04T08:00:00", "2027-01-04", "monday morning", ""])
def test_an_instant_without_an_offset_is_refused_with_what_to_send(text: str) -> None:
    with pytest.raises(
        ValueError, match=r"is not an ISO 8601 time with an offset \(e\.g\. 2027-01-04T08:00:00\+01:00\)"
    ):
        parse_instant(text)


def test_a_wall_clock_time_in_the_spring_gap_moves_forward_and_an_ambiguous_one_is_the_first() -> None:
    assert from_local(datetime(2027, 3, 28, 2, 30)) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 03:30 CEST
    assert from_local(datetime(2027, 10, 31, 2, 30)) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # CEST, fold=0


def test_whole_days_keep_the_local_time_of_day_across_a_clock_change() -> None:
    friday_nine = datetime(2027, 3, 26, 8, 0, tzinfo=UTC)  # 09:00 CET

    assert shift_local(friday_nine, timedelta(days=3)) == datetime(2027, 3, 29, 7, 0, tzinfo=UTC)  # 09:00 CEST


def test_the_local_date_is_the_copenhagen_date() -> None:
    assert str(local_date(datetime(2027, 1, 4, 23, 30, tzinfo=UTC))) == "2027-01-05"
