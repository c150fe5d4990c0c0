"""The Due index entries of the reminder job, and the Danish texts it sends."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kommunal_pro.assignments.models import Task
from kommunal_pro.clock import COPENHAGEN, utc_now
from kommunal_pro.config import Settings
from kommunal_pro.gsm7 import SMS_PART, gsm7_length
from kommunal_pro.notifications.templates import danish_time, render
from kommunal_pro.organisations.models import SENDER_NAME_SMS_LENGTH
from kommunal_pro.questionnaires.model import Text
from kommunal_pro.questionnaires.versions import VersionRef
from kommunal_pro.scheduling.due import due_attributes, due_number, due_partitions, next_message, shard
from kommunal_pro.scheduling.timeline import MessageKind, PlannedMessage

ROOT = Path(__file__).resolve().parents[2]
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


def _reference_rows() -> list[dict[str, str]]:
    source = ROOT / "layers/shared/python/kommunal_pro/organisations/data/municipalities.csv"
    with source.open(encoding="utf-8") as rows:
        return list(csv.DictReader(rows))


def _cdk_environments() -> list[dict[str, Any]]:
    environments: dict[str, dict[str, Any]] = json.loads((ROOT / "cdk.json").read_text())["context"]["environments"]
    return list(environments.values())


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
        ("kind", "subject", "lead", "sms"),
        [
            (
                "invitation",
                "Nyt spørgeskema fra Aarhus Kommune",
                "Du har fået et spørgeskema. Besvar det senest torsdag den 7. januar 2027 kl. 09.00.",
                "Aarhus Kommune: Du har fået et spørgeskema. Svar senest torsdag den 7. januar 2027 kl. 09.00: "
                "https://borger.example.dk/",
            ),
            (
                "reminder",
                "Påmindelse: spørgeskema fra Aarhus Kommune",
                "Husk at besvare dit spørgeskema senest torsdag den 7. januar 2027 kl. 09.00.",
                "Aarhus Kommune: Husk at svare på dit spørgeskema senest torsdag den 7. januar 2027 kl. 09.00: "
                "https://borger.example.dk/",
            ),
            (
                "overdue",
                "Du mangler at besvare et spørgeskema fra Aarhus Kommune",
                "Dit spørgeskema skulle have været besvaret torsdag den 7. januar 2027 kl. 09.00. "
                "Du kan stadig nå at svare.",
                "Aarhus Kommune: Fristen for dit spørgeskema var torsdag den 7. januar 2027 kl. 09.00. "
                "Du kan stadig svare: https://borger.example.dk/",
            ),
        ],
    )
    def test_each_kind_names_sender_due_time_and_link_but_not_the_questionnaire(
        self, kind: MessageKind, subject: str, lead: str, sms: str
    ) -> None:
        text = render(kind, "Aarhus Kommune", datetime(2027, 1, 7, 9, tzinfo=COPENHAGEN), "https://borger.example.dk/")
        assert (text.sender, text.subject, text.sms) == ("Aarhus Kommune", subject, sms)
        assert text.email == (
            f"{lead}\n\nLog ind med MitID og besvar det her: https://borger.example.dk/\n\n"
            "Venlig hilsen\nAarhus Kommune\n\nDu kan ikke svare på denne e-mail."
        )

    @pytest.mark.parametrize(
        ("kind", "lead"),
        [
            (
                "invitation",
                'Du har fået spørgeskemaet "GAD-7 – angstsymptomer". Besvar det senest torsdag den 7. januar 2027 '
                "kl. 09.00.",
            ),
            (
                "reminder",
                'Husk at besvare spørgeskemaet "GAD-7 – angstsymptomer" senest torsdag den 7. januar 2027 kl. 09.00.',
            ),
            (
                "overdue",
                'Spørgeskemaet "GAD-7 – angstsymptomer" skulle have været besvaret torsdag den 7. januar 2027 '
                "kl. 09.00. Du kan stadig nå at svare.",
            ),
        ],
    )
    def test_an_email_names_the_questionnaire_only_when_asked_and_the_sms_never(
        self, kind: MessageKind, lead: str
    ) -> None:
        due = datetime(2027, 1, 7, 9, tzinfo=COPENHAGEN)
        titled = render(kind, "Aarhus Kommune", due, "https://borger.example.dk/", email_title="GAD-7 – angstsymptomer")
        assert titled.email.startswith(f"{lead}\n\n")
        assert titled.sms == render(kind, "Aarhus Kommune", due, "https://borger.example.dk/").sms
        assert "GAD" not in titled.sms and "GAD" not in titled.subject

    def test_cpr_shaped_text_that_got_past_validation_is_redacted(self) -> None:
        due = datetime(2027, 1, 7, 9, tzinfo=COPENHAGEN)
        text = render("invitation", "Kbh 111111-1118", due, "https://borger.example.dk/", email_title="Søvn 1111111118")
        for part in (text.sender, text.subject, text.email, text.sms):
            assert "1118" not in part and "[CPR]" in part
        assert text.sms.startswith("Kbh [CPR]: Du har fået et spørgeskema.")


LONGEST_SENDER = max((f"{row['navn']} Kommune" for row in _reference_rows()), key=len)
# The configured citizen app links (cdk.json, every environment) and the local default: the longest counts.
LINKS = sorted(
    {environment["citizen_app_url"] for environment in _cdk_environments()} | {Settings().citizen_app_url},
    key=lambda link: (len(link), link),
)
# The longest due time: the longest weekday and month names, a two-digit day.
LONGEST_DUE = datetime(2027, 9, 30, 9, tzinfo=COPENHAGEN)


class TestOneSmsPart:
    @pytest.mark.parametrize(
        ("text", "length"),
        [
            ("Lyngby-Taarbæk Kommune: æøå ÆØÅ", 31),
            ("{}[]~\\^|€", 18),  # the extension table: two each
            ("GAD-7 – angst", None),  # an en dash is not GSM-7
            ("“citat”", None),
            ("👍", None),
        ],
    )
    def test_gsm7_length(self, text: str, length: int | None) -> None:
        assert gsm7_length(text) == length

    def test_the_longest_municipality_and_link_are_what_they_should_be(self) -> None:
        assert LONGEST_SENDER == "Ringkøbing-Skjern Kommune"
        assert LINKS[-1] == "https://pilot.kommunalpro.dk/"
        assert danish_time(LONGEST_DUE) == "torsdag den 30. september 2027 kl. 09.00"

    @pytest.mark.parametrize("kind", ["invitation", "reminder", "overdue"])
    @pytest.mark.parametrize("link", LINKS)
    @pytest.mark.parametrize("sender", [LONGEST_SENDER, "Å" * SENDER_NAME_SMS_LENGTH])  # the longest one may patch
    def test_every_sms_is_gsm7_and_fits_one_part(self, kind: MessageKind, link: str, sender: str) -> None:
        sms = render(kind, sender, LONGEST_DUE, link, email_title="GAD-7 – angstsymptomer").sms
        length = gsm7_length(sms)
        assert length is not None, sms
        assert length <= SMS_PART, (length, sms)

    def test_the_longest_sms_as_it_reads(self) -> None:
        sms = render("overdue", LONGEST_SENDER, LONGEST_DUE, "https://pilot.kommunalpro.dk/").sms
        assert sms == (
            "Ringkøbing-Skjern Kommune: Fristen for dit spørgeskema var torsdag den 30. september 2027 kl. 09.00. "
            "Du kan stadig svare: https://pilot.kommunalpro.dk/"
        )
        assert gsm7_length(sms) == 151
