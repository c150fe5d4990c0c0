"""Bad input gets a clear 4xx, nothing is stored, and nothing poisons later reads.

Each case reproduced a 500 or a poisoned record before the body rules in kommunal_pro.json_body: NaN was
stored as null and made the worklist, the citizen's responses and the FHIR export answer 500 from then on."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kommunal_pro.auth import Role
from tests.integration.test_questionnaires import SLEEP
from tests.support import UNIT, ApiClient, Result, citizen, staff, table_snapshot
from tests.tally import tally

NURSE = staff(Role.EMPLOYEE, "0751")
ADMIN = staff(Role.ADMIN, "0751")
NATIONAL_ADMIN = staff(Role.NATIONAL_ADMIN)
HANNE = citizen("070365-4286", "Hanne Jensen")


@dataclass
class Clinic:
    api: ApiClient
    citizen_id: str = ""
    task_id: str = ""
    assignment_id: str = ""
    questionnaire_id: str = ""
    ids: dict[str, str] = field(default_factory=dict)

    def call(self, method: str, path: str, claims: dict[str, Any], raw: str, **headers: str) -> Result:
        return self.api.call(method, path, claims=claims, raw_body=raw, headers=headers)


@pytest.fixture
def clinic(api: ApiClient, seeded: Any) -> Clinic:
    """A published local questionnaire with a decimal item (hours of sleep, 0-24), assigned to Hanne, open now."""
    created = api.call("POST", "/v1/questionnaires", claims=ADMIN, body=SLEEP)
    assert created.status == 201, created.body
    questionnaire_id = created.body["id"]
    assert api.call("POST", f"/v1/questionnaires/{questionnaire_id}/publish", claims=ADMIN).status == 200
    registered = api.call(
        "POST", "/v1/citizens", claims=NURSE, body={"cpr": "070365-4286", "name": "Hanne", "consentToDigitalPro": True}
    )
    assert registered.status == 201, registered.body
    now = datetime.now(UTC)
    appointment = {
        "kind": "appointment",
        "appointmentAt": (now + timedelta(days=3)).isoformat(),
        "opensDaysBefore": 7,
        "dueHoursBefore": 2,
    }
    assigned = api.call(
        "POST",
        f"/v1/citizens/{registered.body['id']}/assignments",
        claims=NURSE,
        body={"questionnaireId": questionnaire_id, "unitId": UNIT, "schedule": appointment},
    )
    assert assigned.status == 201, assigned.body
    return Clinic(
        api,
        citizen_id=registered.body["id"],
        task_id=assigned.body["tasks"][0]["id"],
        assignment_id=assigned.body["id"],
        questionnaire_id=questionnaire_id,
    )


def _answers(hours: str) -> str:
    return '{"answers": {"soevn": ["godt"], "timer": [' + hours + "]}}"


def _nested_groups(depth: int) -> str:
    item: dict[str, Any] = {"linkId": "q", "type": "boolean", "text": {"da": "Spørgsmål"}}
    for level in range(depth):
        item = {"linkId": f"g{level}", "type": "group", "text": {"da": "Gruppe"}, "items": [item]}
    return json.dumps({"title": {"da": "Dybt"}, "items": [item]})


# (what, method, path template, claims, raw body, extra headers, status, words the detail must hold)
CASES: list[tuple[str, str, str, dict[str, Any], str, dict[str, str], int, str]] = [
    *(
        (
            f"{constant} in a decimal answer",
            "POST",
            "/v1/me/tasks/{task}/response",
            HANNE,
            _answers(constant),
            {"Idempotency-Key": f"bad-number-{n:04d}"},
            400,
            "is not a number",
        )
        for n, constant in enumerate(("NaN", "Infinity", "-Infinity"))
    ),
    ("NaN in a draft", "PUT", "/v1/me/tasks/{task}/draft", HANNE, _answers("NaN"), {}, 400, "is not a number"),
    *(
        (
            f"{number} in an answer",
            "POST",
            "/v1/me/tasks/{task}/response",
            HANNE,
            _answers(number),
            {"Idempotency-Key": f"big-number-{n:04d}"},
            400,
            "outside what can be stored",
        )
        for n, number in enumerate(("1e308", "1e400", "5e-324", "-1e200", "1" + "0" * 40))
    ),
    (
        "1e40 hours of sleep",
        "POST",
        "/v1/me/tasks/{task}/response",
        HANNE,
        _answers("1e40"),
        {"Idempotency-Key": "huge-sleep-0001"},
        422,
        "the answers have 1 problems",
    ),
    (
        "JSON nested 10,000 deep",
        "POST",
        "/v1/citizens",
        NURSE,
        "[" * 10_000 + "]" * 10_000,
        {},
        400,
        "nested deeper than 64 levels",
    ),
    (
        "a questionnaire of 150 nested groups",
        "POST",
        "/v1/questionnaires",
        ADMIN,
        _nested_groups(150),
        {},
        400,
        "nested deeper than 64 levels",
    ),
    (
        "a lone surrogate in a name",
        "POST",
        "/v1/citizens",
        NURSE,
        '{"cpr": "120455-1238", "name": "\\ud800", "consentToDigitalPro": true}',
        {},
        400,
        "lone surrogate",
    ),
    (
        "a body that is not UTF-8",
        "POST",
        "/v1/citizens",
        NURSE,
        '{"cpr": "120455-1238", "name": "Anders \udcff", "consentToDigitalPro": true}',
        {},
        400,
        "not valid UTF-8",
    ),
    (
        "answerWindowHours 1e20",
        "POST",
        "/v1/citizens/{citizen}/assignments",
        NURSE,
        '{"questionnaireId": "who-5", "unitId": "' + UNIT + '", "schedule": {"kind": "recurring", "firstOpensAt": '
        '"2027-01-04T09:00:00+01:00", "every": 1, "unit": "weeks", "answerWindowHours": 1e20, "count": 2}}',
        {},
        422,
        "invalid fields",
    ),
    (
        "an appointment in year 9999",
        "POST",
        "/v1/citizens/{citizen}/assignments/{assignment}/appointment",
        NURSE,
        '{"appointmentAt": "9999-12-31T10:00:00+01:00"}',
        {},
        422,
        "invalid fields",
    ),
    (
        "an If-Match of 50 digits",
        "PATCH",
        "/v1/municipalities/0751",
        NATIONAL_ADMIN,
        '{"gracePeriodDays": 5}',
        {"If-Match": '"' + "9" * 50 + '"'},
        400,
        "If-Match must be an ETag we sent",
    ),
    (
        "an If-Match with a non-ASCII digit",
        "PATCH",
        "/v1/municipalities/0751",
        NATIONAL_ADMIN,
        '{"gracePeriodDays": 5}',
        {"If-Match": '"\u0661"'},
        400,
        "If-Match must be an ETag we sent",
    ),
    (
        "text/plain",
        "POST",
        "/v1/citizens",
        NURSE,
        '{"cpr": "120455-1238"}',
        {"Content-Type": "text/plain"},
        415,
        "send the body as application/json",
    ),
]


def test_every_bad_input_gets_a_clear_4xx_stores_nothing_and_reads_keep_working(clinic: Clinic, seeded: Any) -> None:
    before = table_snapshot(seeded)
    answered = []
    for what, method, template, claims, raw, headers, *_ in CASES:
        path = template.format(task=clinic.task_id, citizen=clinic.citizen_id, assignment=clinic.assignment_id)
        answered.append((what, clinic.call(method, path, claims, raw, **headers)))
    # Counted before any assertion stops the test, so the printed figures are what the run saw.
    tally("bad inputs tried", len(CASES))
    tally("bad inputs answered with a 5xx", sum(result.status >= 500 for _, result in answered))
    for (what, result), (*_, status, words) in zip(answered, CASES, strict=True):
        assert result.status == status, (what, result.body)
        assert words in result.problem["detail"], (what, result.problem)
    after = table_snapshot(seeded)
    tally(
        "bad inputs that changed a stored record",
        sum(i not in before for i in after) + sum(i not in after for i in before),
    )
    assert after == before

    reads = [
        ("GET", f"/v1/units/{UNIT}/worklist", NURSE),
        ("GET", f"/v1/citizens/{clinic.citizen_id}/responses", NURSE),
        ("GET", "/v1/me/responses", HANNE),
        ("GET", f"/v1/me/tasks/{clinic.task_id}", HANNE),
    ]
    assert [(path, clinic.api.call(m, path, claims=c).status) for m, path, c in reads] == [
        (path, 200) for _, path, _ in reads
    ]


def test_a_sane_decimal_answer_still_goes_through_and_reads_back_exactly(clinic: Clinic) -> None:
    result = clinic.call(
        "POST", f"/v1/me/tasks/{clinic.task_id}/response", HANNE, _answers("7.5"), **{"Idempotency-Key": "sane-0001"}
    )

    assert result.status == 201, result.body
    (response,) = clinic.api.call("GET", f"/v1/citizens/{clinic.citizen_id}/responses", claims=NURSE).body["items"]
    assert next(a for a in response["answers"] if a["linkId"] == "timer")["values"] == [7.5]


def test_a_stored_record_that_no_longer_validates_is_left_out_of_lists_not_a_500(clinic: Clinic, seeded: Any) -> None:
    """As a NaN stored as null once did: the damaged response is logged and left out; the rest still shows."""
    good = clinic.call(
        "POST", f"/v1/me/tasks/{clinic.task_id}/response", HANNE, _answers("7.5"), **{"Idempotency-Key": "good-0001"}
    )
    assert good.status == 201, good.body
    stored = seeded.query(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :sk)",
        ExpressionAttributeValues={":pk": f"0751#CITIZEN#{clinic.citizen_id}", ":sk": "RESPONSE#"},
    )["Items"]
    assert len(stored) == 1
    damaged = {**stored[0], "SK": stored[0]["SK"] + "-damaged", "id": "damaged", "answers": {"timer": [None]}}
    damaged["GSI1PK"] = "0751#RESPONSE#damaged"
    damaged["GSI2SK"] = "0#0000000000#damaged"  # first on the worklist
    seeded.put_item(Item=damaged)

    worklist = clinic.api.call("GET", f"/v1/units/{UNIT}/worklist", claims=NURSE)
    history = clinic.api.call("GET", f"/v1/citizens/{clinic.citizen_id}/responses", claims=NURSE)
    mine = clinic.api.call("GET", "/v1/me/responses", claims=HANNE)

    assert (worklist.status, history.status, mine.status) == (200, 200, 200)
    assert [r["responseId"] for r in worklist.body["items"]] == [good.body["responseId"]]
    assert [r["id"] for r in history.body["items"]] == [good.body["responseId"]]
    assert [r["responseId"] for r in mine.body["items"]] == [good.body["responseId"]]


@pytest.mark.parametrize(
    ("claims", "method", "path", "body"),
    [
        (HANNE, "POST", "/v1/citizens", "{}"),
        (HANNE, "POST", "/v1/questionnaires", '{"title": 7}'),
        (NURSE, "PATCH", "/v1/municipalities/0751", '{"gracePeriodDays": "many"}'),
        (ADMIN, "POST", "/v1/citizens/search", '{"cpr": "not-a-cpr"}'),
    ],
)
def test_a_caller_without_the_role_is_refused_before_the_body_is_validated(
    api: ApiClient, seeded: Any, claims: dict[str, Any], method: str, path: str, body: str
) -> None:
    """A 403, not a list of the route's fields: who may not call a route learns nothing of its shape."""
    result = api.call(method, path, claims=claims, raw_body=body)

    assert result.status == 403, result.body
    assert result.problem["detail"].startswith("Din rolle giver ikke adgang til denne handling")
    assert "errors" not in result.problem
