"""Reminders end to end: tasks assigned through the API are found by the job in the Due index, recorded, queued
and sent by the sender (into the local outbox, or SES and SNS in moto): at the planned times, each once, and
never for a task that is answered, cancelled or expired, or a citizen who cannot be messaged."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from functions.notifications import handler as job_function
from functions.notifications import sender as sender_function
from functions.notifications.sender import handle_batch
from kommunal_pro.assignments.repository import AssignmentRepository, task_item
from kommunal_pro.auth import Role
from kommunal_pro.clock import COPENHAGEN, utc_now
from kommunal_pro.config import get_settings
from kommunal_pro.notifications.delivery import AwsTransport, OutboxTransport
from kommunal_pro.notifications.job import NotificationQueue, ReminderJob
from kommunal_pro.notifications.models import NotificationStatus
from kommunal_pro.notifications.repository import NotificationRepository
from kommunal_pro.organisations.repository import MunicipalityRepository
from kommunal_pro.scheduling.due import due_attributes
from kommunal_pro.scheduling.timeline import PlannedMessage
from kommunal_pro.storage.schema import GSI1, PK, SK
from local import jobs, reminders
from local.apigateway import LocalLambdaContext
from tests.json_values import as_object, as_str
from tests.support import UNIT, ApiClient, change_municipality, citizen, staff

NURSE = staff(Role.EMPLOYEE, "0751")
HANNE_CPR, ANDERS_CPR = "070365-4286", "120455-1238"
# A WHO-5 opening Monday 4 January 2027 09:00, due Thursday 09:00 (winter time, UTC+1).
OPENS = datetime(2027, 1, 4, 9, tzinfo=COPENHAGEN)
DUE = datetime(2027, 1, 7, 9, tzinfo=COPENHAGEN)
REGION = "eu-central-1"


def _register(api: ApiClient, channel: str = "email", cpr: str = HANNE_CPR, language: str = "da") -> str:
    body = {
        "cpr": cpr,
        "name": "Hanne Jensen",
        "email": "hanne@example.dk",
        "mobile": "20304050",
        "preferredChannel": channel,
        "language": language,
        "consentToDigitalPro": True,
    }
    result = api.call("POST", "/v1/citizens", claims=NURSE, body=body)
    assert result.status == 201, result.body
    return as_str(result.body["id"])


def _assign(api: ApiClient, citizen_id: str, schedule: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    schedule = schedule or {"kind": "once", "opensAt": OPENS.isoformat(), "dueAt": DUE.isoformat()}
    body = {"questionnaireId": "who-5", "unitId": UNIT, "schedule": schedule, **extra}
    result = api.call("POST", f"/v1/citizens/{citizen_id}/assignments", claims=NURSE, body=body)
    assert result.status == 201, result.body
    return as_object(result.body["tasks"][0])


def _sent(now: datetime) -> list[tuple[int, str]]:
    """Run the job and the sender as the local runner does: (message number, channel) of what went out."""
    run = jobs.run_reminders_once(now)
    assert run.report.failed == 0
    return [(m.notification.number, m.channel) for m in run.delivered]


def _task_item(table: Any, task: dict[str, Any]) -> dict[str, Any]:
    return as_object(table.get_item(Key={PK: f"0751#CITIZEN#{task['citizenId']}", SK: f"TASK#{task['id']}"})["Item"])


def _change_citizen(table: Any, citizen_id: str, update: str, value: Any) -> None:
    table.update_item(
        Key={PK: f"0751#CITIZEN#{citizen_id}", SK: "PROFILE"},
        UpdateExpression=update,
        ExpressionAttributeValues={":value": value},
    )


@pytest.fixture
def queue_url(seeded: Any) -> str:
    return as_str(boto3.client("sqs").create_queue(QueueName=jobs.QUEUE_NAME)["QueueUrl"])


@pytest.fixture
def running(seeded: Any) -> None:
    """The job has run every 15 minutes until an hour before the task opens (so a test's first run does not
    look a day back, as a first run ever does)."""
    NotificationRepository(seeded).record_run(OPENS - timedelta(hours=1))


@pytest.mark.usefixtures("running")
class TestTimeline:
    def test_the_default_policy_invites_then_reminds_before_and_after_the_due_time(
        self, api: ApiClient, seeded: Any
    ) -> None:
        task = _assign(api, _register(api))
        planned = [(m["number"], datetime.fromisoformat(m["sendAt"])) for m in task["plannedMessages"]]
        assert planned == [(0, OPENS), (1, DUE - timedelta(days=1)), (2, DUE + timedelta(days=1))]
        for number, send_at in planned:
            assert _sent(send_at - timedelta(minutes=1)) == []
            assert _sent(send_at) == [(number, "email")]
            assert _sent(send_at + timedelta(minutes=15)) == []
        assert "DuePK" not in _task_item(seeded, task)

    def test_quiet_hours_hold_an_sms_until_the_morning(self, api: ApiClient, seeded: Any) -> None:
        night = datetime(2027, 1, 4, 2, tzinfo=COPENHAGEN)
        _assign(api, _register(api, "sms"), {"kind": "once", "opensAt": night.isoformat(), "dueAt": DUE.isoformat()})
        assert _sent(night) == []
        assert _sent(night.replace(hour=7, minute=59)) == []
        assert _sent(night.replace(hour=8)) == [(0, "sms")]

    def test_an_sms_gone_late_into_quiet_hours_waits_for_the_morning(self, api: ApiClient, seeded: Any) -> None:
        evening = datetime(2027, 1, 4, 20, 50, tzinfo=COPENHAGEN)
        _assign(api, _register(api, "sms"), {"kind": "once", "opensAt": evening.isoformat(), "dueAt": DUE.isoformat()})
        run = jobs.run_reminders_once(evening.replace(hour=21, minute=5))  # the 20:50 run did not happen
        assert (run.report.due, run.delivered) == (1, [])
        assert _sent(datetime(2027, 1, 5, 7, 59, tzinfo=COPENHAGEN)) == []
        assert _sent(datetime(2027, 1, 5, 8, tzinfo=COPENHAGEN)) == [(0, "sms")]

    def test_the_assignments_policy_overrides_the_municipalitys(self, api: ApiClient, seeded: Any) -> None:
        policy = {"invitation": False, "beforeDueHours": [48, 2], "afterDueHours": [], "maxReminders": 2}
        task = _assign(api, _register(api), reminderPolicy=policy)
        assert _sent(OPENS) == []
        assert _sent(DUE - timedelta(hours=48)) == [(1, "email")]
        assert _sent(DUE - timedelta(hours=2, minutes=1)) == []
        assert _sent(DUE - timedelta(hours=2)) == [(2, "email")]
        assert "DuePK" not in _task_item(seeded, task)

    def test_a_moved_appointment_moves_the_reminders(self, api: ApiClient, seeded: Any) -> None:
        citizen_id = _register(api)
        appointment = {"kind": "appointment", "appointmentAt": DUE.isoformat(), "opensDaysBefore": 3}
        task = _assign(api, citizen_id, appointment | {"dueHoursBefore": 0})
        path = f"/v1/citizens/{citizen_id}/assignments/{task['assignmentId']}/appointment"
        moved = api.call("POST", path, claims=NURSE, body={"appointmentAt": (DUE + timedelta(days=1)).isoformat()})
        assert moved.status == 200, moved.body
        (moved_task,) = moved.body["tasks"]
        assert datetime.fromisoformat(moved_task["opensAt"]) == OPENS + timedelta(days=1)
        invitation = moved_task["plannedMessages"][0]
        assert (invitation["kind"], datetime.fromisoformat(invitation["sendAt"])) == (
            "invitation",
            OPENS + timedelta(days=1),
        )
        assert _sent(OPENS) == []
        assert _sent(OPENS + timedelta(days=1)) == [(0, "email")]


class TestNothingIsSent:
    def test_after_the_task_is_answered(self, api: ApiClient, seeded: Any) -> None:
        opens = utc_now() - timedelta(hours=1)
        task = _assign(
            api,
            _register(api),
            {"kind": "once", "opensAt": opens.isoformat(), "dueAt": (opens + timedelta(days=3)).isoformat()},
        )
        assert _sent(utc_now()) == [(0, "email")]
        answers = {"who5-1": ["2"], "who5-2": ["2"], "who5-3": ["2"], "who5-4": ["3"], "who5-5": ["3"]}
        submitted = api.call(
            "POST",
            f"/v1/me/tasks/{task['id']}/response",
            claims=citizen(HANNE_CPR),
            body={"answers": answers},
            headers={"Idempotency-Key": "reminder-test-0001"},
        )
        assert submitted.status == 201, submitted.body
        assert "DuePK" not in _task_item(seeded, task)
        assert _sent(opens + timedelta(days=5)) == []

    @pytest.mark.usefixtures("running")
    def test_after_the_assignment_is_cancelled(self, api: ApiClient, seeded: Any) -> None:
        citizen_id = _register(api)
        task = _assign(api, citizen_id)
        assert _sent(OPENS) == [(0, "email")]
        path = f"/v1/citizens/{citizen_id}/assignments/{task['assignmentId']}/cancel"
        cancelled = api.call("POST", path, claims=NURSE)
        assert cancelled.status == 200, cancelled.body
        assert (cancelled.body["status"], cancelled.body["tasks"][0]["plannedMessages"]) == ("cancelled", [])
        assert "DuePK" not in _task_item(seeded, task)
        assert _sent(DUE - timedelta(days=1)) == []

    @pytest.mark.usefixtures("running")
    def test_for_a_task_that_expired_while_the_job_was_down(self, api: ApiClient, seeded: Any) -> None:
        change_municipality(api, "0751", {"gracePeriodDays": 0})
        short = {"kind": "once", "opensAt": OPENS.isoformat(), "dueAt": (OPENS + timedelta(hours=3)).isoformat()}
        task = _assign(api, _register(api), short)
        assert task["expiresAt"] == task["dueAt"]
        assert _sent(OPENS - timedelta(minutes=1)) == []
        run = jobs.run_reminders_once(OPENS + timedelta(hours=3))
        assert (run.report.due, run.report.skipped, run.delivered) == (1, 1, [])
        assert "DuePK" not in _task_item(seeded, task)

    @pytest.mark.usefixtures("running")
    @pytest.mark.parametrize(
        ("update", "value"),
        [("SET reminders_opted_out = :value", True), ("SET consent.given = :value", False)],
        ids=["opted-out", "consent-withdrawn"],
    )
    def test_to_a_citizen_who_opted_out_or_withdrew_consent(
        self, api: ApiClient, seeded: Any, update: str, value: bool
    ) -> None:
        citizen_id = _register(api)
        task = _assign(api, citizen_id)
        _change_citizen(seeded, citizen_id, update, value)
        run = jobs.run_reminders_once(OPENS)
        assert (run.report.due, run.report.skipped, run.delivered) == (1, 1, [])
        assert "DuePK" not in _task_item(seeded, task)

    @pytest.mark.usefixtures("running")
    @pytest.mark.parametrize("change", ["cancel", "opt-out"])
    def test_when_things_change_between_queueing_and_sending(
        self, api: ApiClient, seeded: Any, queue_url: str, change: str
    ) -> None:
        citizen_id = _register(api)
        task = _assign(api, citizen_id)
        assert ReminderJob(seeded, NotificationQueue(queue_url)).run(OPENS).queued == 1
        if change == "cancel":
            api.call("POST", f"/v1/citizens/{citizen_id}/assignments/{task['assignmentId']}/cancel", claims=NURSE)
        else:
            _change_citizen(seeded, citizen_id, "SET reminders_opted_out = :value", True)
        outbox = OutboxTransport(seeded)
        jobs.drain(queue_url, outbox)
        assert outbox.delivered == []
        (notification,) = _notifications(seeded, task)
        assert notification["status"] == NotificationStatus.SKIPPED


def _crash(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("injected crash")


def _notifications(table: Any, task: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        item
        for number in range(3)
        if (
            item := table.get_item(Key={PK: f"0751#NOTIFICATION#{task['id']}#{number}", SK: "NOTIFICATION"}).get("Item")
        )
    ]


@pytest.mark.usefixtures("running")
class TestExactlyOnce:
    def test_a_rerun_sends_nothing_twice(self, api: ApiClient, seeded: Any, queue_url: str) -> None:
        _assign(api, _register(api))
        job = ReminderJob(seeded, NotificationQueue(queue_url))
        assert [job.run(OPENS).queued for _ in range(3)] == [1, 0, 0]
        assert _sent(OPENS) == [(0, "email")]
        assert _sent(OPENS) == []

    @pytest.mark.parametrize(
        ("where", "method"),
        [(NotificationQueue, "send"), (NotificationRepository, "move_due")],
        ids=["between-record-and-queue", "between-queue-and-moving-on"],
    )
    def test_a_crash_and_a_rerun_send_each_message_once_and_skip_none(
        self, api: ApiClient, seeded: Any, queue_url: str, monkeypatch: pytest.MonkeyPatch, where: type, method: str
    ) -> None:
        task = _assign(api, _register(api))
        job = ReminderJob(seeded, NotificationQueue(queue_url))
        monkeypatch.setattr(where, method, _crash)
        crashed = job.run(OPENS)
        assert (crashed.due, crashed.failed) == (1, 1)
        monkeypatch.undo()
        assert job.run(OPENS).queued == 1
        outbox = OutboxTransport(seeded)
        jobs.drain(queue_url, outbox)
        assert [m.notification.number for m in outbox.delivered] == [0]
        assert [n["status"] for n in _notifications(seeded, task)] == ["sent"]
        assert _task_item(seeded, task)["DueSK"].endswith(f"#{task['id']}#1")  # the next message is planned


def test_cost_follows_what_is_due_not_the_number_of_tasks(api: ApiClient, seeded: Any, queue_url: str) -> None:
    assigned = _assign(api, _register(api))
    due_now = AssignmentRepository(seeded).task("0751", assigned["citizenId"], assigned["id"])
    assert due_now is not None
    # 300 more tasks waiting on the Due index: later the same hour and in the hours after.
    with seeded.batch_writer() as batch:
        for n in range(1, 301):
            later = due_now.model_copy(update={"id": f"later-{n}", "opens_at": OPENS + timedelta(minutes=5 * n)})
            message = PlannedMessage(number=0, kind="invitation", send_at=later.opens_at)
            batch.put_item(Item=task_item(later, **due_attributes(later, message)))
    read = {"queried": 0, "got": 0}

    def count(parsed: dict[str, Any], model: Any, **kwargs: Any) -> None:
        if model.name == "Query":
            read["queried"] += parsed["Count"]
        elif model.name == "GetItem":
            read["got"] += "Item" in parsed

    seeded.meta.client.meta.events.register("after-call.dynamodb", count)
    report = ReminderJob(seeded, NotificationQueue(queue_url)).run(OPENS)
    seeded.meta.client.meta.events.unregister("after-call.dynamodb", count)
    assert (report.due, report.queued) == (1, 1)
    assert read == {"queried": 1, "got": 4}  # the task, its citizen, municipality and assignment


@pytest.mark.usefixtures("running")
def test_the_message_is_danish_names_sender_due_time_and_link_never_the_questionnaire_or_the_cpr(
    api: ApiClient, seeded: Any
) -> None:
    assert get_settings().citizen_app_url == "http://localhost:3000/"
    _assign(api, _register(api, "email"))
    _assign(api, _register(api, "sms", cpr=ANDERS_CPR, language="en"))
    email, sms = sorted(jobs.run_reminders_once(OPENS).delivered, key=lambda m: m.channel)
    assert (email.channel, email.to, sms.channel, sms.to) == ("email", "hanne@example.dk", "sms", "20304050")
    assert email.subject == "Nyt spørgeskema fra Aarhus Kommune"
    assert email.text == (
        "Du har fået et spørgeskema. Besvar det senest torsdag den 7. januar 2027 kl. 09.00.\n\n"
        "Log ind med MitID og besvar det her: http://localhost:3000/\n\n"
        "Venlig hilsen\nAarhus Kommune\n\nDu kan ikke svare på denne e-mail."
    )
    assert sms.text == (
        "Aarhus Kommune: Du har fået et spørgeskema. Svar senest torsdag den 7. januar 2027 kl. 09.00: "
        "http://localhost:3000/"
    )
    stored = seeded.query(
        IndexName=GSI1.name,
        KeyConditionExpression=Key(GSI1.partition_key).eq("0751#OUTBOX"),
    )["Items"]
    assert len(stored) == 2
    everything = json.dumps(stored, default=str)
    for secret in (HANNE_CPR, ANDERS_CPR, HANNE_CPR.replace("-", ""), ANDERS_CPR.replace("-", ""), "Hanne Jensen"):
        assert secret not in everything


@pytest.mark.usefixtures("running")
def test_a_municipality_may_name_the_questionnaire_in_e_mails_never_in_an_sms(api: ApiClient, seeded: Any) -> None:
    change_municipality(api, "0751", {"emailShowsQuestionnaireTitle": True})
    _assign(api, _register(api, "email", language="en"))
    _assign(api, _register(api, "sms", cpr=ANDERS_CPR))
    email, sms = sorted(jobs.run_reminders_once(OPENS).delivered, key=lambda m: m.channel)
    assert email.text.startswith(
        'Du har fået spørgeskemaet "WHO-5 Well-Being Index". Besvar det senest torsdag den 7. januar 2027 kl. 09.00.'
    )
    assert email.subject == "Nyt spørgeskema fra Aarhus Kommune"
    assert sms.text == (
        "Aarhus Kommune: Du har fået et spørgeskema. Svar senest torsdag den 7. januar 2027 kl. 09.00: "
        "http://localhost:3000/"
    )


@pytest.mark.usefixtures("running")
def test_a_cpr_number_already_stored_in_the_sender_name_is_redacted_from_the_message(
    api: ApiClient, seeded: Any
) -> None:
    municipalities = MunicipalityRepository(seeded)
    aarhus = municipalities.get("0751")
    assert aarhus is not None
    # Written before the API refused it (the API now answers 422): straight into the table.
    settings = aarhus.settings.model_copy(update={"sender_name": "Kbh 111111-1118"})
    municipalities.replace(
        aarhus.model_copy(update={"settings": settings, "version": aarhus.version + 1}), aarhus.version
    )
    _assign(api, _register(api, "sms"))
    (sms,) = jobs.run_reminders_once(OPENS).delivered
    assert sms.text == (
        "Kbh [CPR]: Du har fået et spørgeskema. Svar senest torsdag den 7. januar 2027 kl. 09.00: "
        "http://localhost:3000/"
    )


class TestSender:
    def test_ses_and_sns_with_a_partial_batch_failure_and_its_retry(
        self, api: ApiClient, seeded: Any, queue_url: str
    ) -> None:
        email_task = _assign(api, _register(api, "email"))
        sms_task = _assign(api, _register(api, "sms", cpr=ANDERS_CPR))
        assert ReminderJob(seeded, NotificationQueue(queue_url)).run(OPENS).queued == 2
        sqs = boto3.client("sqs")
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
        event = jobs.sqs_event(messages)
        by_task = {json.loads(m["Body"])["taskId"]: m["MessageId"] for m in messages}
        transport = AwsTransport(get_settings())

        # The sender address is not verified in SES yet: the e-mail fails, the SMS goes out.
        response = handle_batch(event, transport)
        assert response["batchItemFailures"] == [{"itemIdentifier": by_task[email_task["id"]]}]
        sms_sent = sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages
        assert [phone for phone, _ in sms_sent.values()] == ["+4520304050"]

        # SQS redelivers the failed record (and, at least once, the other too): each is sent once.
        boto3.client("ses").verify_email_identity(EmailAddress=get_settings().email_from_address)
        assert sender_function.lambda_handler(event, LocalLambdaContext("sender"))["batchItemFailures"] == []
        (email,) = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
        assert email.destinations == {"ToAddresses": ["hanne@example.dk"]}
        assert email.source == f"Aarhus Kommune <{get_settings().email_from_address}>"
        assert len(sms_sent) == 1
        assert [n["status"] for t in (email_task, sms_task) for n in _notifications(seeded, t)] == ["sent", "sent"]
        for text in (email.body, *(message for _, message in sms_sent.values())):
            assert all(cpr not in text for cpr in (HANNE_CPR, ANDERS_CPR, HANNE_CPR.replace("-", "")))

    def test_a_malformed_record_is_reported_failed(self, seeded: Any) -> None:
        event = jobs.sqs_event([{"MessageId": "m-1", "ReceiptHandle": "r-1", "Body": "{not json", "MD5OfBody": "x"}])
        response = handle_batch(event, OutboxTransport(seeded))
        assert response == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}


class TestEntryPoints:
    @pytest.fixture
    def job_queue(self, queue_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
        monkeypatch.setenv("NOTIFICATION_QUEUE_URL", queue_url)
        get_settings.cache_clear()
        yield queue_url
        get_settings.cache_clear()

    def test_a_direct_invoke_runs_the_job_for_the_given_moment(self, api: ApiClient, job_queue: str) -> None:
        _assign(api, _register(api))
        report = job_function.lambda_handler({"now": OPENS.isoformat()}, LocalLambdaContext("notifications"))
        assert (report["due"], report["queued"], report["failed"]) == (1, 1, 0)
        assert datetime.fromisoformat(report["now"]) == OPENS

    def test_a_scheduled_run_without_now_runs_for_the_present(self, job_queue: str) -> None:
        scheduled = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
        report = job_function.lambda_handler(scheduled, LocalLambdaContext("notifications"))
        assert abs(datetime.fromisoformat(report["now"]) - utc_now()) < timedelta(minutes=1)

    def test_a_run_with_failures_is_an_error_for_lambda(
        self, api: ApiClient, job_queue: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _assign(api, _register(api))
        monkeypatch.setattr(NotificationQueue, "send", _crash)
        with pytest.raises(job_function.ReminderJobFailed, match="1 of 1"):
            job_function.lambda_handler({"now": OPENS.isoformat()}, LocalLambdaContext("notifications"))

    def test_the_cli_runs_the_job_for_the_given_moment(
        self, api: ApiClient, job_queue: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        _assign(api, _register(api))
        reminders.main(["--now", "2027-01-04T09:00:00+01:00"])
        assert json.loads(capsys.readouterr().out)["queued"] == 1

    def test_the_local_runner_prints_what_the_outbox_receives(
        self, api: ApiClient, seeded: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        _assign(api, _register(api))
        jobs.run_reminders_once(OPENS)
        printed = capsys.readouterr().out
        assert "email til hanne@example.dk" in printed and "Nyt spørgeskema fra Aarhus Kommune" in printed

    def test_the_local_timer_runs_until_stopped(self, seeded: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        runs: list[int] = []
        stop = threading.Event()

        def run_once() -> None:
            runs.append(1)
            if len(runs) == 2:
                stop.set()

        monkeypatch.setattr(jobs, "run_reminders_once", run_once)
        jobs.run_forever(stop, interval_seconds=0)
        assert runs == [1, 1]
