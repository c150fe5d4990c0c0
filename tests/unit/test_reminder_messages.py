"""The Due index entries of the reminder job, and the Danish texts it sends."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from kommunal_pro.assignments.models import Task
from kommunal_pro.clock import COPENHAGEN, utc_now
from kommunal_pro.notifications.templates import danish_time, render
from kommunal_pro.questionnaires.model import Text
from kommunal_pro.questionnaires.versions import VersionRef
from kommunal_pro.scheduling.due import due_attributes, due_number, due_partitions, next_message, shard
from kommunal_pro.scheduling.timeline import PlannedMessage

TASK = Task(
    id="task-1",
    municipality="0751",
    citizen_id="citizen-1",
    assignment_id="assignment-1",
    questionnaire=VersionRef(tenant="national", questionnaire_id="who-5", version=1),
    questionnaire_title=Text(da="WHO-5 Trivselsindeks", en="WHO-5 Well-Being Index"),
    unit_id="sundhedscenter-nord",
    sequence=1,
    opens_at=datetime(2027, 1, 4, 8, tzinfo=UTC),
    due_at=datetime(2027, 1, 7, 8, tzinfo=UTC),
    expires_at=datetime(2027, 1, 14, 8, tzinfo=UTC),
)


def message(number: int, send_at: datetime) -> PlannedMessage:
    return PlannedMessage(number=number, kind="reminder" if number else "invitation", send_at=send_at)


class TestDueIndex:
    def test_a_future_message_waits_in_its_hour_and_shard(self) -> None:
        send_at = datetime(2027, 1, 6, 8, 0, 30, 500, tzinfo=UTC)
        assert due_attributes(TASK, message(1, send_at)) == {
            "DuePK": f"DUE#2027-01-06T08#{shard('task-1')}",
            "DueSK": "2027-01-06T08:00:30Z#0751#task-1#1",
        }
        assert due_number("2027-01-06T08:00:30Z#0751#task-1#1") == 1

    def test_a_message_already_due_waits_in_the_hour_of_writing(self) -> None:
        attributes = due_attributes(TASK, message(0, datetime(2020, 1, 1, tzinfo=UTC)))
        assert attributes["DuePK"].startswith(f"DUE#{utc_now():%Y-%m-%dT%H}#")
        assert attributes["DueSK"].startswith("2020-01-01T00:00:00Z#")

    def test_nothing_left_means_no_entry(self) -> None:
        assert due_attributes(TASK, None) == {}

    def test_shards_are_stable_and_spread(self) -> None:
        counts = Counter(shard(f"task-{n}") for n in range(800))
        assert set(counts) == set(range(8)) and min(counts.values()) > 60
        assert shard("task-1") == shard("task-1")

    def test_partitions_cover_every_hour_of_the_window_in_every_shard(self) -> None:
        partitions = due_partitions(datetime(2027, 1, 4, 7, 50, tzinfo=UTC), datetime(2027, 1, 4, 9, 10, tzinfo=UTC))
        assert len(partitions) == 3 * 8
        assert partitions[0] == "DUE#2027-01-04T07#0" and partitions[-1] == "DUE#2027-01-04T09#7"

    def test_the_next_message_is_the_first_numbered_above(self) -> None:
        plan = [message(0, TASK.opens_at), message(2, TASK.due_at)]
        assert next_message(plan) == plan[0]
        assert next_message(plan, after=0) == plan[1]
        assert next_message(plan, after=2) is None


class TestTemplates:
    @pytest.mark.parametrize(
        ("instant", "shown"),
        [
            (datetime(2027, 1, 7, 8, tzinfo=UTC), "torsdag den 7. januar 2027 kl. 09.00"),
            (datetime(2027, 7, 1, 7, 30, tzinfo=UTC), "torsdag den 1. juli 2027 kl. 09.30"),  # summer time
            (datetime(2027, 3, 28, 1, 30, tzinfo=UTC), "søndag den 28. marts 2027 kl. 03.30"),  # just after the change
        ],
    )
    def test_times_are_danish_on_the_copenhagen_clock(self, instant: datetime, shown: str) -> None:
        assert danish_time(instant) == shown

    @pytest.mark.parametrize(
        ("kind", "subject", "phrase"),
        [
            ("invitation", "Nyt spørgeskema fra Aarhus Kommune", "Besvar det senest"),
            ("reminder", "Påmindelse: spørgeskema fra Aarhus Kommune", "Husk at besvare"),
            ("overdue", "Du mangler at besvare et spørgeskema fra Aarhus Kommune", "skulle have været besvaret"),
        ],
    )
    def test_each_kind_names_sender_questionnaire_due_time_and_link(self, kind: str, subject: str, phrase: str) -> None:
        due = datetime(2027, 1, 7, 9, tzinfo=COPENHAGEN)
        text = render(kind, "Aarhus Kommune", "WHO-5 Trivselsindeks", due, "https://borger.example.dk/")  # type: ignore[arg-type]
        assert text.subject == subject and text.sender == "Aarhus Kommune"
        for body in (text.email, text.sms):
            assert phrase in body and '"WHO-5 Trivselsindeks"' in body
            assert "torsdag den 7. januar 2027 kl. 09.00" in body and "https://borger.example.dk/" in body
        assert text.sms.startswith("Aarhus Kommune: ") and text.email.endswith("Du kan ikke svare på denne e-mail.")
