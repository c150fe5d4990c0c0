"""Every write path when DynamoDB refuses the write: a conditional check that fails (someone else was first),
a transaction conflict, throttling. The answer is a 409/412 problem, or a 503 with Retry-After that the client
may simply retry, never a 500, and nothing is half-written. A change that audits writes its data and its
"done" event together or not at all.

The refusals are injected on the data table's own boto3 client (a botocore `before-call` hook), so every
layer above it, repositories, services and handlers, runs as it does in AWS.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError

from functions import HTTP_FUNCTIONS, http_routes
from functions.questionnaires import handler as questionnaires
from kommunal_pro.audit import Access
from kommunal_pro.auth import Role
from kommunal_pro.notifications.repository import NotificationRepository
from kommunal_pro.observability import logger
from kommunal_pro.organisations.units import UnitRepository
from kommunal_pro.storage.table import Contention, audit_table
from local import jobs
from local.apigateway import LocalLambdaContext, proxy_event
from local.orgsync import sync_folder
from tests.integration.test_questionnaires import SLEEP
from tests.integration.test_reminders import OPENS
from tests.integration.test_reminders import _assign as _assign_reminded
from tests.integration.test_reminders import _register as _register_reminded
from tests.org_data import AARHUS
from tests.org_data import NOW as ORG_NOW
from tests.support import UNIT, ApiClient, Result, citizen, staff, table_snapshot

NURSE = staff(Role.EMPLOYEE, "0751")
ADMIN = staff(Role.ADMIN, "0751")
NATIONAL_ADMIN = staff(Role.NATIONAL_ADMIN)
HANNE = citizen("070365-4286", "Hanne Jensen")
LOW_WELLBEING = {"who5-1": ["2"], "who5-2": ["2"], "who5-3": ["2"], "who5-4": ["3"], "who5-5": ["3"]}
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


@dataclass(frozen=True)
class Refusal:
    name: str
    single: dict[str, Any]  # the error a PutItem/UpdateItem/DeleteItem gets
    transaction: dict[str, Any]  # the error a TransactWriteItems gets
    statuses: tuple[int, ...]


TRANSACTION_CANCELLED = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
REFUSALS = [
    Refusal(
        "condition-failed",
        {"Error": {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"}},
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": "ConditionalCheckFailed"}, {"Code": "None"}],
        },
        (409, 412),
    ),
    Refusal(
        "transaction-conflict",
        {"Error": {"Code": "TransactionConflictException", "Message": "Transaction is ongoing for the item"}},
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}],
        },
        (503,),
    ),
    Refusal(
        "throttled",
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate of requests exceeds"}},
        {"Error": {"Code": "ThrottlingException", "Message": "Rate of requests exceeds the allowed throughput"}},
        (503,),
    ),
]
THROTTLED = REFUSALS[2]


class World:
    """A municipality's day, set up through the API: a citizen with an open WHO-5, an appointment assignment,
    a submitted PHQ-9 on the worklist, and a local questionnaire draft."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self.citizen_id = self._ok(
            "POST",
            "/v1/citizens",
            NURSE,
            {"cpr": "070365-4286", "name": "Hanne Jensen", "email": "hanne@example.dk", "consentToDigitalPro": True},
        )["id"]
        now = datetime.now(UTC)
        once = {
            "kind": "once",
            "opensAt": (now - timedelta(hours=1)).isoformat(),
            "dueAt": (now + timedelta(days=3)).isoformat(),
        }
        self.task_id = self._assign("who-5", once)["tasks"][0]["id"]
        appointment = {
            "kind": "appointment",
            "appointmentAt": (now + timedelta(days=10)).isoformat(),
            "opensDaysBefore": 7,
            "dueHoursBefore": 2,
        }
        self.appointment_id = self._assign("who-5", appointment)["id"]
        phq9 = self._assign("phq-9", once)["tasks"][0]["id"]
        answers = {f"phq9-{n}": ["2"] for n in range(1, 10)}
        self.response_id = self._submit(phq9, answers)["responseId"]
        draft = self.api.call("POST", "/v1/questionnaires", claims=ADMIN, body=SLEEP)
        assert draft.status == 201, draft.body
        self.questionnaire_id, self.questionnaire_etag = draft.body["id"], draft.headers["ETag"]
        self.municipality_etag = self.api.call("GET", "/v1/municipalities/0751", claims=NATIONAL_ADMIN).headers["ETag"]
        exported = self.api.call("GET", "/v1/questionnaires/who-5/versions/1/fhir", claims=ADMIN)
        assert exported.status == 200, exported.body
        self.fhir_who5 = json.loads(exported.body) if isinstance(exported.body, str) else exported.body
        published = self.api.call("POST", "/v1/questionnaires", claims=ADMIN, body=SLEEP).body["id"]
        self._ok("POST", f"/v1/questionnaires/{published}/publish", ADMIN, None)
        self.published_id = published

    def _ok(self, method: str, path: str, claims: dict[str, Any], body: Any, **headers: str) -> Any:
        result = self.api.call(method, path, claims=claims, body=body, headers=headers)
        assert result.status in (200, 201), (path, result.body)
        return result.body

    def _assign(self, questionnaire: str, schedule: dict[str, Any]) -> Any:
        body = {"questionnaireId": questionnaire, "unitId": UNIT, "schedule": schedule}
        return self._ok("POST", f"/v1/citizens/{self.citizen_id}/assignments", NURSE, body)

    def _submit(self, task_id: str, answers: dict[str, list[str]]) -> Any:
        path = f"/v1/me/tasks/{task_id}/response"
        return self._ok("POST", path, HANNE, {"answers": answers}, **{"Idempotency-Key": str(uuid.uuid4())})


Request = Callable[[World], Result]
ASSIGNMENTS = "/v1/citizens/{}/assignments"
# Every route that writes, by its method and path template, and a request to it in the World.
WRITE_PATHS: dict[tuple[str, str], Request] = {
    ("POST", "/v1/citizens"): lambda w: w.api.call(
        "POST", "/v1/citizens", claims=NURSE, body={"cpr": "120455-1238", "name": "Anders", "consentToDigitalPro": True}
    ),
    ("POST", "/v1/citizens/{citizen_id}/assignments"): lambda w: w.api.call(
        "POST",
        ASSIGNMENTS.format(w.citizen_id),
        claims=NURSE,
        body={
            "questionnaireId": "gad-7",
            "unitId": UNIT,
            "schedule": {
                "kind": "appointment",
                "appointmentAt": (datetime.now(UTC) + timedelta(days=20)).isoformat(),
                "opensDaysBefore": 7,
                "dueHoursBefore": 2,
            },
        },
    ),
    ("POST", "/v1/citizens/{citizen_id}/assignments/{assignment_id}/cancel"): lambda w: w.api.call(
        "POST", f"{ASSIGNMENTS.format(w.citizen_id)}/{w.appointment_id}/cancel", claims=NURSE
    ),
    ("POST", "/v1/citizens/{citizen_id}/assignments/{assignment_id}/appointment"): lambda w: w.api.call(
        "POST",
        f"{ASSIGNMENTS.format(w.citizen_id)}/{w.appointment_id}/appointment",
        claims=NURSE,
        body={"appointmentAt": (datetime.now(UTC) + timedelta(days=12)).isoformat()},
    ),
    ("PATCH", "/v1/municipalities/{code}"): lambda w: w.api.call(
        "PATCH",
        "/v1/municipalities/0751",
        claims=NATIONAL_ADMIN,
        body={"gracePeriodDays": 5},
        headers={"If-Match": w.municipality_etag},
    ),
    ("POST", "/v1/questionnaires"): lambda w: w.api.call("POST", "/v1/questionnaires", claims=ADMIN, body=SLEEP),
    ("POST", "/v1/questionnaires/import"): lambda w: w.api.call(
        "POST", "/v1/questionnaires/import", claims=ADMIN, body={**w.fhir_who5, "url": "https://aarhus.dk/q/who5"}
    ),
    ("PUT", "/v1/questionnaires/{questionnaire_id}/draft"): lambda w: w.api.call(
        "PUT",
        f"/v1/questionnaires/{w.questionnaire_id}/draft",
        claims=ADMIN,
        body=SLEEP,
        headers={"If-Match": w.questionnaire_etag},
    ),
    ("POST", "/v1/questionnaires/{questionnaire_id}/publish"): lambda w: w.api.call(
        "POST", f"/v1/questionnaires/{w.questionnaire_id}/publish", claims=ADMIN
    ),
    ("POST", "/v1/questionnaires/{questionnaire_id}/retire"): lambda w: w.api.call(
        "POST", f"/v1/questionnaires/{w.published_id}/retire", claims=ADMIN
    ),
    ("POST", "/v1/questionnaires/{questionnaire_id}/copy"): lambda w: w.api.call(
        "POST", "/v1/questionnaires/who-5/copy", claims=ADMIN
    ),
    ("PUT", "/v1/me/tasks/{task_id}/draft"): lambda w: w.api.call(
        "PUT", f"/v1/me/tasks/{w.task_id}/draft", claims=HANNE, body={"answers": {"who5-1": ["2"]}}
    ),
    ("POST", "/v1/me/tasks/{task_id}/response"): lambda w: w.api.call(
        "POST",
        f"/v1/me/tasks/{w.task_id}/response",
        claims=HANNE,
        body={"answers": LOW_WELLBEING},
        headers={"Idempotency-Key": "retry-me-later-0001"},
    ),
    ("PUT", "/v1/me/preferences"): lambda w: w.api.call(
        "PUT", "/v1/me/preferences", claims=HANNE, body={"remindersOptedOut": True}
    ),
    ("POST", "/v1/responses/{response_id}/review"): lambda w: w.api.call(
        "POST", f"/v1/responses/{w.response_id}/review", claims=NURSE, body={"comment": "Ringet op"}
    ),
}


@pytest.fixture
def world(api: ApiClient, seeded: Any) -> World:
    return World(api)


# The routes that change a citizen's data, and the action their "done" audit event records.
AUDITED: dict[tuple[str, str], Access] = {
    ("POST", "/v1/citizens"): Access.CITIZEN_REGISTER,
    ("POST", "/v1/citizens/{citizen_id}/assignments"): Access.ASSIGNMENT_CHANGE,
    ("POST", "/v1/citizens/{citizen_id}/assignments/{assignment_id}/cancel"): Access.ASSIGNMENT_CHANGE,
    ("POST", "/v1/citizens/{citizen_id}/assignments/{assignment_id}/appointment"): Access.ASSIGNMENT_CHANGE,
    ("POST", "/v1/responses/{response_id}/review"): Access.RESPONSE_REVIEW,
}


class Refuser:
    """Makes every write on the data table's client fail with a refusal, or only the audit event's Put
    wherever it is written, until lifted."""

    def __init__(self, table: Any) -> None:
        self._events = table.meta.client.meta.events
        self._audit = audit_table()
        self._clients = (self._events, self._audit.meta.client.meta.events)
        self.refused: list[str] = []

    def refuse(self, refusal: Refusal) -> None:
        def handler(model: Any, **_: Any) -> None:
            self.refused.append(model.name)
            error = refusal.transaction if model.name == "TransactWriteItems" else refusal.single
            raise ClientError(error, model.name)

        for operation in WRITES:
            self._events.register(f"before-call.dynamodb.{operation}", handler, unique_id=f"refuse-{operation}")

    def refuse_audit(self) -> None:
        """The audit table throttles: its PutItem fails, and so does a transaction holding an audit Put, which
        DynamoDB then cancels whole (the other items' reasons are "None")."""
        audit = self._audit.name

        def handler(model: Any, params: dict[str, Any], **_: Any) -> None:
            if model.name == "PutItem" and params["TableName"] == audit:
                self.refused.append(model.name)
                raise ClientError(THROTTLED.single, model.name)
            if model.name == "TransactWriteItems":
                targets = [next(iter(write.values()))["TableName"] for write in params["TransactItems"]]
                if audit in targets:
                    self.refused.append(model.name)
                    reasons = [{"Code": "ThrottlingError" if t == audit else "None"} for t in targets]
                    error = {**THROTTLED.transaction, "CancellationReasons": reasons}
                    raise ClientError({**error, "Error": TRANSACTION_CANCELLED}, model.name)

        for events in self._clients:
            for operation in ("PutItem", "TransactWriteItems"):
                events.register(
                    f"before-parameter-build.dynamodb.{operation}", handler, unique_id=f"refuse-audit-{operation}"
                )

    def lift(self) -> None:
        for operation in WRITES:
            self._events.unregister(f"before-call.dynamodb.{operation}", unique_id=f"refuse-{operation}")
        for events in self._clients:
            for operation in ("PutItem", "TransactWriteItems"):
                events.unregister(f"before-parameter-build.dynamodb.{operation}", unique_id=f"refuse-audit-{operation}")


@pytest.fixture
def refuser(seeded: Any) -> Iterator[Refuser]:
    refuser = Refuser(seeded)
    yield refuser
    refuser.lift()


def test_the_write_paths_are_every_route_that_writes() -> None:
    changing = {(m, p) for name in HTTP_FUNCTIONS for m, p in http_routes(name) if m != "GET"}
    # Reads that take a body (a CPR number, answers to score) and write nothing but the audit.
    reads = {
        ("POST", "/v1/citizens/search"),
        ("POST", "/v1/questionnaires/{questionnaire_id}/versions/{version}/preview-score"),
    }

    assert set(WRITE_PATHS) == changing - reads and len(WRITE_PATHS) == 15


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda r: r.name)
@pytest.mark.parametrize("path", WRITE_PATHS, ids=" ".join)
def test_a_refused_write_is_a_clear_4xx_or_a_retryable_503_and_nothing_is_half_written(
    world: World, seeded: Any, refuser: Refuser, path: tuple[str, str], refusal: Refusal
) -> None:
    before = table_snapshot(seeded)
    refuser.refuse(refusal)

    result = WRITE_PATHS[path](world)

    assert refuser.refused, f"{path} wrote nothing, so the refusal was never tried"
    assert result.status in refusal.statuses, result.body
    problem = result.problem
    assert problem["status"] == result.status and problem["detail"]
    if result.status == 503:
        assert result.headers["Retry-After"] == "1"
        assert "prøv igen" in problem["detail"] and "retry" in problem["detail"]
    else:
        assert problem["title"] in ("Conflict", "Precondition failed")
    assert table_snapshot(seeded) == before


def _events_since(before: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["action"], e["outcome"]) for e in table_snapshot(audit_table()) if e not in before]


@pytest.mark.parametrize("path", WRITE_PATHS, ids=" ".join)
def test_exactly_the_audited_writes_record_one_done_event(world: World, path: tuple[str, str]) -> None:
    before = table_snapshot(audit_table())

    result = WRITE_PATHS[path](world)

    assert result.status in (200, 201), result.body
    assert _events_since(before) == ([(str(AUDITED[path]), "done")] if path in AUDITED else [])


@pytest.mark.parametrize("path", AUDITED, ids=" ".join)
def test_when_the_audit_event_cannot_be_written_the_change_is_not_written_either(
    world: World, seeded: Any, refuser: Refuser, path: tuple[str, str]
) -> None:
    data, events = table_snapshot(seeded), table_snapshot(audit_table())
    refuser.refuse_audit()

    result = WRITE_PATHS[path](world)

    assert refuser.refused == ["TransactWriteItems"], "the event's Put was not in the change's transaction"
    assert result.status == 503 and result.headers["Retry-After"] == "1", result.body
    assert table_snapshot(seeded) == data
    assert table_snapshot(audit_table()) == events


@pytest.mark.parametrize("path", AUDITED, ids=" ".join)
def test_a_change_whose_condition_fails_records_no_done_event(
    world: World, refuser: Refuser, path: tuple[str, str]
) -> None:
    before = table_snapshot(audit_table())
    refuser.refuse(REFUSALS[0])

    result = WRITE_PATHS[path](world)

    assert result.status == 409, result.body
    assert (str(AUDITED[path]), "done") not in _events_since(before)


def test_the_reminder_job_counts_a_refused_write_as_failed_and_the_next_run_sends_it_once(
    api: ApiClient, seeded: Any, refuser: Refuser
) -> None:
    NotificationRepository(seeded).record_run(OPENS - timedelta(hours=1))  # it ran until an hour before
    _assign_reminded(api, _register_reminded(api))
    before = table_snapshot(seeded)
    refuser.refuse(THROTTLED)

    failed = jobs.run_reminders_once(OPENS + timedelta(minutes=1))

    assert (failed.report.due, failed.report.failed, failed.report.queued, failed.delivered) == (1, 1, 0, [])
    assert table_snapshot(seeded) == before  # no notification record, the Due entry and the run mark unmoved
    refuser.lift()
    retried = jobs.run_reminders_once(OPENS + timedelta(minutes=16))
    assert [(m.notification.number, m.channel) for m in retried.delivered] == [(0, "email")]
    assert jobs.run_reminders_once(OPENS + timedelta(minutes=31)).delivered == []


def test_an_organisation_sync_whose_writes_are_refused_fails_and_the_next_run_applies_it_all(
    seeded: Any, refuser: Refuser
) -> None:
    refuser.refuse(THROTTLED)
    with pytest.raises(Contention):
        sync_folder(now=ORG_NOW)
    assert UnitRepository(seeded).units(AARHUS) == []

    refuser.lift()
    report = sync_folder(now=ORG_NOW)
    assert not report.aborted and report.units.created == 6 and report.memberships.created == 4


def test_a_failed_request_is_logged_with_the_api_request_id_that_the_access_log_also_carries(
    seeded: Any, refuser: Refuser, caplog: pytest.LogCaptureFixture
) -> None:
    """docs/logs-insights.md follows one request from the access log (`requestId`) into the function's log."""

    event = proxy_event(
        "POST",
        "/v1/questionnaires",
        resource="/v1/questionnaires",
        headers={"Content-Type": "application/json"},
        body=json.dumps(SLEEP),
        claims=ADMIN,
    )
    context = LocalLambdaContext(function_name="questionnaires")
    refuser.refuse(next(r for r in REFUSALS if r.name == "throttled"))

    response = questionnaires.lambda_handler(event, cast(Any, context))  # what Powertools reads of a context

    # As the function writes it to CloudWatch: the shared logger's formatter, with the keys it injects.
    lines = [json.loads(logger.registered_formatter.format(record)) for record in caplog.records]
    (failed,) = [line for line in lines if line["message"] == "request failed"]
    assert response["statusCode"] == 503
    assert failed["correlation_id"] == event["requestContext"]["requestId"]
    assert failed["function_request_id"] == context.aws_request_id
