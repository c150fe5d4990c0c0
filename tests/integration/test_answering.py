"""Citizen module: my tasks, the pinned questionnaire in my language, drafts, submitting exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from kommunal_pro.assignments.repository import AssignmentRepository
from kommunal_pro.audit import AuditLog
from kommunal_pro.auth import Role, principal_from_event
from kommunal_pro.citizens.repository import CitizenRepository
from kommunal_pro.citizens.service import CitizenService
from kommunal_pro.config import get_settings
from kommunal_pro.errors import Conflict
from kommunal_pro.organisations.repository import MunicipalityRepository
from kommunal_pro.organisations.service import MunicipalityService
from kommunal_pro.questionnaires.repository import QuestionnaireRepository
from kommunal_pro.responses.models import Submission
from kommunal_pro.responses.repository import ResponseRepository
from kommunal_pro.responses.service import CitizenResponseService
from local.apigateway import proxy_event
from tests.json_values import as_object, as_str
from tests.support import UNIT, ApiClient, Result, change_municipality, citizen, staff

NURSE = staff(Role.EMPLOYEE, "0751")
HANNE_CPR = "070365-4286"
HANNE = citizen(HANNE_CPR, "Hanne Jensen")
# WHO-5 answered 2, 2, 2, 3, 3: raw 12, 48 % — low well-being (yellow).
LOW_WELLBEING = {"who5-1": ["2"], "who5-2": ["2"], "who5-3": ["2"], "who5-4": ["3"], "who5-5": ["3"]}
LOW_WELLBEING_SCORES = [
    {"name": "Råscore (0–25)", "value": 12, "band": "Lav trivsel"},
    {"name": "Trivselsindeks (0–100)", "value": 48, "band": "Lav trivsel"},
]
NO_SUCH_TASK = "Opgaven findes ikke (no such task)"
CITIZENS_ONLY = "Din rolle giver ikke adgang til denne handling (this action needs one of the roles: citizen)"


def _register(api: ApiClient, cpr: str = HANNE_CPR, claims: dict[str, Any] = NURSE, language: str = "da") -> str:
    body = {
        "cpr": cpr,
        "name": "Hanne Jensen",
        "email": "hanne@example.dk",
        "consentToDigitalPro": True,
        "language": language,
    }
    result = api.call("POST", "/v1/citizens", claims=claims, body=body)
    assert result.status == 201, result.body
    return as_str(result.body["id"])


def _assign(
    api: ApiClient,
    citizen_id: str,
    questionnaire: str = "who-5",
    opens_in: timedelta = -timedelta(hours=1),
    claims: dict[str, Any] = NURSE,
) -> dict[str, Any]:
    opens = datetime.now(UTC) + opens_in
    schedule = {"kind": "once", "opensAt": opens.isoformat(), "dueAt": (opens + timedelta(days=3)).isoformat()}
    result = api.call(
        "POST",
        f"/v1/citizens/{citizen_id}/assignments",
        claims=claims,
        body={"questionnaireId": questionnaire, "unitId": UNIT, "schedule": schedule},
    )
    assert result.status == 201, result.body
    return as_object(result.body["tasks"][0])


def _submit(
    api: ApiClient,
    task_id: str,
    answers: dict[str, list[Any]],
    key: str = "first-attempt-0001",
    claims: dict[str, Any] = HANNE,
    **extra: Any,
) -> Result:
    return api.call(
        "POST",
        f"/v1/me/tasks/{task_id}/response",
        claims=claims,
        body={"answers": answers, **extra},
        headers={"Idempotency-Key": key},
    )


@pytest.fixture
def who5_task(api: ApiClient, seeded: Any) -> dict[str, Any]:
    return _assign(api, _register(api))


def _statuses(api: ApiClient, query: str = "") -> dict[str, str]:
    result = api.call("GET", f"/v1/me/tasks{query}", claims=HANNE)
    assert result.status == 200 and result.body["nextCursor"] is None, result.body
    return {t["id"]: t["status"] for t in result.body["items"]}


def test_my_tasks_are_the_unfinished_ones_unless_i_ask_for_others(api: ApiClient, seeded: Any) -> None:
    citizen_id = _register(api)
    later = _assign(api, citizen_id, "phq-9", opens_in=timedelta(days=5))
    now = _assign(api, citizen_id, "who-5")
    done = _assign(api, citizen_id, "who-5")
    assert _submit(api, done["id"], LOW_WELLBEING).status == 201
    long_ago = _assign(api, citizen_id, "gad-7", opens_in=-timedelta(days=400))

    assert _statuses(api) == {now["id"]: "open", later["id"]: "scheduled"}
    assert _statuses(api, "?status=completed&status=expired") == {done["id"]: "completed", long_ago["id"]: "expired"}
    assert _statuses(api, "?status=open") == {now["id"]: "open"}
    tasks = api.call("GET", "/v1/me/tasks?status=open", claims=HANNE).body["items"]
    assert tasks[0]["questionnaireTitle"].startswith("WHO-5")
    unknown = api.call("GET", "/v1/me/tasks?status=done", claims=HANNE)
    assert unknown.status == 422
    assert [e["location"] for e in unknown.problem["errors"]] == ["query.status.0"]


def test_my_tasks_and_responses_page_across_municipalities(api: ApiClient, seeded: Any) -> None:
    change_municipality(api, "0101", {"enabled": True})
    kbh_nurse = staff(Role.EMPLOYEE, "0101")
    aarhus_id, copenhagen_id = _register(api), _register(api, claims=kbh_nurse)
    tasks = [_assign(api, aarhus_id, q) for q in ("who-5", "phq-9", "gad-7", "who-5")]
    tasks += [_assign(api, copenhagen_id, q, claims=kbh_nurse) for q in ("who-5", "gad-7")]
    who5 = [tasks[n]["id"] for n in (0, 3, 4)]
    for n, task_id in enumerate(who5):
        assert _submit(api, task_id, LOW_WELLBEING, key=f"who5-attempt-{n:04d}").status == 201

    expected = {"/v1/me/tasks?status=open&status=completed": len(tasks), "/v1/me/responses": len(who5)}
    for path, count in expected.items():
        whole = api.call("GET", f"{path}{'&' if '?' in path else '?'}limit=100", claims=HANNE).body
        assert whole["nextCursor"] is None and len(whole["items"]) == count
        for limit in (1, 2):
            listed, pages = api.every_page(path, claims=HANNE, limit=limit)
            assert listed == whole["items"] and pages >= count // limit
    mine = api.call("GET", "/v1/me/tasks?status=open&status=completed&limit=100", claims=HANNE).body["items"]
    assert {t["id"] for t in mine} == {t["id"] for t in tasks}
    assert [t["municipality"] for t in mine] == ["0101"] * 2 + ["0751"] * 4  # a record at a time


def test_a_citizen_registered_in_two_municipalities_sees_both(api: ApiClient, seeded: Any) -> None:
    change_municipality(api, "0101", {"enabled": True})
    kbh_nurse = staff(Role.EMPLOYEE, "0101")
    aarhus = _assign(api, _register(api))
    copenhagen = _assign(api, _register(api, claims=kbh_nurse), "gad-7", claims=kbh_nurse)
    tasks = api.call("GET", "/v1/me/tasks", claims=HANNE).body["items"]
    assert {(t["id"], t["municipality"]) for t in tasks} == {(aarhus["id"], "0751"), (copenhagen["id"], "0101")}


def test_the_task_shows_the_pinned_version_in_the_citizens_language_without_staff_texts(
    api: ApiClient, seeded: Any
) -> None:
    task = _assign(api, _register(api, language="da"))
    detail = api.call("GET", f"/v1/me/tasks/{task['id']}", claims=HANNE).body
    questionnaire = detail["questionnaire"]
    assert questionnaire["language"] == "da"
    items = [item for page in questionnaire["pages"] for item in page["items"]]
    question = next(i for i in items if i["linkId"] == "who5-1")
    assert isinstance(question["text"], str) and isinstance(question["options"][0]["display"], str)
    assert "flagRules" not in questionnaire and "scales" not in str(questionnaire)
    assert detail["draft"] is None and detail["status"] == "open"


def test_a_draft_is_saved_partially_and_comes_back(api: ApiClient, who5_task: dict[str, Any]) -> None:
    path = f"/v1/me/tasks/{who5_task['id']}/draft"
    saved = api.call("PUT", path, claims=HANNE, body={"answers": {"who5-1": ["4"]}})
    assert saved.status == 200, saved.body
    assert (saved.body["taskId"], saved.body["answers"]) == (who5_task["id"], {"who5-1": ["4"]})
    assert api.call("GET", f"/v1/me/tasks/{who5_task['id']}", claims=HANNE).body["draft"]["answers"] == {
        "who5-1": ["4"]
    }
    wrong = api.call("PUT", path, claims=HANNE, body={"answers": {"who5-1": ["9"]}})
    assert wrong.status == 422
    assert wrong.problem["errors"] == [
        {
            "code": "unknown-option",
            "location": "answers.who5-1",
            "messageDa": "Vælg en af svarmulighederne (5, 4, 3, 2, 1, 0)",
            "messageEn": "expected one of the option codes 5, 4, 3, 2, 1, 0",
        }
    ]


def test_submitting_scores_completes_and_returns_the_receipt(api: ApiClient, who5_task: dict[str, Any]) -> None:
    api.call("PUT", f"/v1/me/tasks/{who5_task['id']}/draft", claims=HANNE, body={"answers": {"who5-1": ["4"]}})
    result = _submit(api, who5_task["id"], LOW_WELLBEING, note="Jeg sover dårligt", wantsContact=True)
    assert result.status == 201, result.body
    receipt = result.body
    assert {s["name"]: s["value"] for s in receipt["scores"]} == {"Råscore (0–25)": 12, "Trivselsindeks (0–100)": 48}
    assert receipt["feedback"] and all(isinstance(text, str) for text in receipt["feedback"])
    task = api.call("GET", f"/v1/me/tasks/{who5_task['id']}", claims=HANNE).body
    assert task["status"] == "completed" and task["draft"] is None
    history = api.call("GET", "/v1/me/responses", claims=HANNE).body["items"]
    assert [r["responseId"] for r in history] == [receipt["responseId"]]


def test_every_problem_of_a_bad_submission_is_reported_at_once_and_nothing_is_stored(
    api: ApiClient, who5_task: dict[str, Any]
) -> None:
    result = _submit(api, who5_task["id"], {"who5-1": ["7"], "who5-2": [True], "who5-9": ["1"]})
    assert result.status == 422
    assert [(e["location"], e["code"]) for e in result.problem["errors"]] == [
        ("answers.who5-1", "unknown-option"),
        ("answers.who5-2", "unknown-option"),
        ("answers.who5-9", "unknown-item"),
    ]
    missing = _submit(api, who5_task["id"], {"who5-1": ["3"]}, key="second-attempt-02")
    assert missing.status == 422
    assert sorted(e["location"] for e in missing.problem["errors"]) == [f"answers.who5-{n}" for n in range(2, 6)]
    # What a client shows the citizen at each unanswered question.
    assert {(e["code"], e["messageDa"], e["messageEn"]) for e in missing.problem["errors"]} == {
        ("required", "Spørgsmålet skal besvares", "this question must be answered")
    }
    assert api.call("GET", f"/v1/me/tasks/{who5_task['id']}", claims=HANNE).body["status"] == "open"
    assert api.call("GET", "/v1/me/responses", claims=HANNE).body["items"] == []


def test_a_required_question_sent_empty_tells_the_citizen_in_danish_at_that_question(
    api: ApiClient, who5_task: dict[str, Any]
) -> None:
    result = _submit(api, who5_task["id"], LOW_WELLBEING | {"who5-3": []})
    assert result.status == 422
    assert result.problem["errors"] == [
        {
            "code": "required",
            "location": "answers.who5-3",
            "messageDa": "Spørgsmålet skal besvares",
            "messageEn": "this question must be answered",
        }
    ]
    assert api.call("GET", f"/v1/me/tasks/{who5_task['id']}", claims=HANNE).body["status"] == "open"


def test_retrying_with_the_same_key_returns_the_same_receipt(api: ApiClient, who5_task: dict[str, Any]) -> None:
    first = _submit(api, who5_task["id"], LOW_WELLBEING)
    assert first.status == 201 and first.body["scores"] == LOW_WELLBEING_SCORES, first.body
    retry = _submit(api, who5_task["id"], LOW_WELLBEING)
    assert retry.status == 201 and retry.body == first.body
    other_key = _submit(api, who5_task["id"], LOW_WELLBEING, key="another-attempt-99")
    assert other_key.status == 409 and "already been answered" in other_key.problem["detail"]
    reused = _submit(api, who5_task["id"], {**LOW_WELLBEING, "who5-1": ["5"]})
    assert reused.status == 422
    assert [(e["location"], e["code"]) for e in reused.problem["errors"]] == [("header.Idempotency-Key", "key-reused")]
    assert len(api.call("GET", "/v1/me/responses", claims=HANNE).body["items"]) == 1


def test_a_missing_or_malformed_idempotency_key_is_400(api: ApiClient, who5_task: dict[str, Any]) -> None:
    path = f"/v1/me/tasks/{who5_task['id']}/response"
    missing = api.call("POST", path, claims=HANNE, body={"answers": LOW_WELLBEING})
    malformed = _submit(api, who5_task["id"], LOW_WELLBEING, key="short")
    for result in (missing, malformed):
        assert result.status == 400
        assert result.problem["detail"] == (
            "Send en Idempotency-Key (8-128 tegn: bogstaver, tal, bindestreg) med besvarelsen "
            "(an Idempotency-Key header of 8-128 letters, digits or dashes is required)"
        )
    assert api.call("GET", f"/v1/me/tasks/{who5_task['id']}", claims=HANNE).body["status"] == "open"


def test_two_concurrent_submissions_store_exactly_one_response(
    api: ApiClient, who5_task: dict[str, Any], seeded: Any
) -> None:
    """Two devices submit at the same moment with different keys, in the worst interleaving: both have seen
    the task open, then the second commits just before the first writes. The conditional transaction must
    refuse the first (409), and exactly one response exists. (moto's in-process backend is not atomic
    across threads, so the race is staged deterministically instead of with threads.)"""
    principal = principal_from_event(proxy_event("POST", "/", resource="/", claims=HANNE))
    second = _service(seeded, ResponseRepository(seeded))

    class SecondDeviceCommitsFirst(ResponseRepository):
        def submit(self, *args: Any, **kwargs: Any) -> None:
            second.submit(principal, who5_task["id"], Submission(answers=LOW_WELLBEING), "device-2-submission")
            super().submit(*args, **kwargs)

    first = _service(seeded, SecondDeviceCommitsFirst(seeded))
    with pytest.raises(Conflict, match="already been answered"):
        first.submit(principal, who5_task["id"], Submission(answers=LOW_WELLBEING), "device-1-submission")
    assert len(api.call("GET", "/v1/me/responses", claims=HANNE).body["items"]) == 1
    task = api.call("GET", f"/v1/me/tasks/{who5_task['id']}", claims=HANNE).body
    assert task["status"] == "completed"


def _service(table: Any, responses: ResponseRepository) -> CitizenResponseService:
    return CitizenResponseService(
        citizens=CitizenService(
            CitizenRepository(table),
            MunicipalityService(MunicipalityRepository(table)),
            AuditLog(boto3.resource("dynamodb").Table(get_settings().audit_table_name)),
        ),
        assignments=AssignmentRepository(table),
        questionnaires=QuestionnaireRepository(table),
        responses=responses,
    )


def test_another_citizens_task_does_not_exist_for_me(api: ApiClient, who5_task: dict[str, Any]) -> None:
    _register(api, cpr="120455-1238")
    other = citizen("120455-1238", "Anders")
    read = api.call("GET", f"/v1/me/tasks/{who5_task['id']}", claims=other)
    draft = api.call("PUT", f"/v1/me/tasks/{who5_task['id']}/draft", claims=other, body={"answers": {}})
    submitted = _submit(api, who5_task["id"], LOW_WELLBEING, claims=other)
    for result in (read, draft, submitted):
        assert result.status == 404 and result.problem["detail"] == NO_SUCH_TASK
    assert api.call("GET", "/v1/me/tasks", claims=other).body["items"] == []
    assert api.call("GET", f"/v1/me/tasks/{who5_task['id']}", claims=HANNE).body["status"] == "open"


def test_a_task_not_yet_open_cannot_be_answered(api: ApiClient, seeded: Any) -> None:
    task = _assign(api, _register(api), opens_in=timedelta(days=2))
    result = _submit(api, task["id"], LOW_WELLBEING)
    assert result.status == 409
    assert result.problem["detail"] == (
        "Opgaven kan ikke besvares nu; den er scheduled (the task cannot be answered: it is scheduled)"
    )


def test_an_assignment_keeps_working_after_its_questionnaire_is_retired(
    api: ApiClient, who5_task: dict[str, Any]
) -> None:
    national_admin = staff(Role.NATIONAL_ADMIN)
    retired = api.call("POST", "/v1/questionnaires/who-5/retire", claims=national_admin)
    assert retired.status == 200, retired.body
    assert (retired.body["id"], retired.body["version"], retired.body["status"]) == ("who-5", 1, "retired")
    versions = api.call("GET", "/v1/questionnaires/who-5/versions", claims=national_admin).body
    assert [(v["version"], v["status"]) for v in versions] == [(1, "retired")]
    assert who5_task["questionnaire"] == {"tenant": "national", "questionnaireId": "who-5", "version": 1}

    result = _submit(api, who5_task["id"], LOW_WELLBEING)
    assert result.status == 201, result.body
    assert (result.body["taskId"], result.body["scores"]) == (who5_task["id"], LOW_WELLBEING_SCORES)
    assert api.call("GET", f"/v1/me/tasks/{who5_task['id']}", claims=HANNE).body["status"] == "completed"


def test_a_cancelled_task_cannot_be_answered(api: ApiClient, seeded: Any) -> None:
    citizen_id = _register(api)
    task = _assign(api, citizen_id)
    cancelled = api.call("POST", f"/v1/citizens/{citizen_id}/assignments/{task['assignmentId']}/cancel", claims=NURSE)
    assert cancelled.status == 200, cancelled.body
    assert (cancelled.body["status"], cancelled.body["tasks"][0]["state"]) == ("cancelled", "cancelled")
    result = _submit(api, task["id"], LOW_WELLBEING)
    assert result.status == 409
    assert result.problem["detail"] == (
        "Opgaven kan ikke besvares nu; den er cancelled (the task cannot be answered: it is cancelled)"
    )


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.ADMIN, Role.NATIONAL_ADMIN])
def test_staff_have_no_citizen_tasks(api: ApiClient, seeded: Any, role: Role) -> None:
    result = api.call("GET", "/v1/me/tasks", claims=staff(role, "0751"))
    assert result.status == 403 and result.problem["detail"] == CITIZENS_ONLY


def test_a_citizen_of_a_disabled_municipality_is_told_so(api: ApiClient, seeded: Any) -> None:
    _assign(api, _register(api))
    change_municipality(api, "0751", {"enabled": False})
    result = api.call("GET", "/v1/me/tasks", claims=HANNE)
    assert result.status == 403
    assert result.problem["detail"] == (
        "Kommune 0751 er ikke aktiveret i Kommunal PRO endnu (municipality 0751 is not enabled)"
    )


def test_a_citizen_opts_out_of_reminders_and_no_more_are_planned(api: ApiClient, seeded: Any) -> None:
    citizen_id = _register(api)
    before = _assign(api, citizen_id)
    assert before["plannedMessages"], "an e-mail invitation and reminders are planned"
    result = api.call("PUT", "/v1/me/preferences", claims=HANNE, body={"remindersOptedOut": True})
    assert result.status == 200 and result.body == {"remindersOptedOut": True}
    assert api.call("GET", f"/v1/citizens/{citizen_id}", claims=NURSE).body["remindersOptedOut"] is True
    (assignment,) = api.call("GET", f"/v1/citizens/{citizen_id}/assignments", claims=NURSE).body["items"]
    assert all(t["plannedMessages"] == [] for t in assignment["tasks"])
    staff_member = api.call("PUT", "/v1/me/preferences", claims=NURSE, body={"remindersOptedOut": True})
    assert staff_member.status == 403 and staff_member.problem["detail"] == CITIZENS_ONLY
    maybe = api.call("PUT", "/v1/me/preferences", claims=HANNE, body={"remindersOptedOut": "maybe"})
    assert maybe.status == 422
    assert maybe.problem["errors"] == [
        {
            "code": "wrong-type",
            "location": "body.remindersOptedOut",
            "messageDa": "Angiv true eller false",
            "messageEn": "Input should be a valid boolean",
        }
    ]
