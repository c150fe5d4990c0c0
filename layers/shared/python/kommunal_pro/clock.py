"""The one clock: the present instant, the Copenhagen wall clock, and instants given by operators.

Instants are stored and compared in UTC. Calendar rules (days, weeks, quiet hours, "as of" dates) follow
the Copenhagen wall clock; a wall-clock time that does not exist or exists twice is resolved with
PEP 495 fold=0 (see kommunal_pro.assignments.schedule for what that means for schedules).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, TypeAdapter, ValidationError

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
_INSTANT = TypeAdapter(AwareDatetime)


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant with an offset, as operators give a job's `now` override. A time without an
    offset is refused rather than guessed: 08:00 in Copenhagen and 08:00 UTC are an hour apart."""
    try:
        return _INSTANT.validate_python(text).astimezone(UTC)
    except ValidationError:
        raise ValueError(f"{text!r} is not an ISO 8601 time with an offset (e.g. 2027-01-04T08:00:00+01:00)") from None


def from_local(wall: datetime) -> datetime:
    """A naive Copenhagen wall-clock time as a UTC instant (fold=0)."""
    return wall.replace(tzinfo=COPENHAGEN, fold=0).astimezone(UTC)


def shift_local(instant: datetime, delta: timedelta) -> datetime:
    """`instant` moved by `delta` on the Copenhagen wall clock, so whole days keep the local time of day."""
    local = instant.astimezone(COPENHAGEN)
    return from_local(local.replace(tzinfo=None) + delta) if delta else local.astimezone(UTC)


def local_date(instant: datetime) -> date:
    """The Copenhagen calendar date of an instant."""
    return instant.astimezone(COPENHAGEN).date()
