"""Staff before the conversation: worklist, responses with change since last time, review, unit-scoped
visibility, the audit log (every staff route), the citizen's access log and the auditor's queries."""

from __future__ import annotations

import base64
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from functions import http_routes
from kommunal_pro import audit
from kommunal_pro.auth import Role
from kommunal_pro.clock import utc_now
from kommunal_pro.config import get_settings
from kommunal_pro.organisations.units import StaffMembership, UnitRepository
from kommunal_pro.review import service as review_service
from kommunal_pro.storage.table import data_table
from tests.json_values import as_object, as_objects, as_str
from tests.support import UNIT, ApiClient, Result, change_municipality, citizen, open_now, staff

NURSE = staff(Role.EMPLOYEE, "0751", name="Sygeplejerske Mette Holm")
OTHER_UNIT_NURSE = staff(Role.EMPLOYEE, "0751", subject="nurse-syd", units=["sundhedscenter-syd"])
NATIONAL_ADMIN = staff(Role.NATIONAL_ADMIN)
AUDITOR = staff(Role.AUDITOR, "0751")
OWN_UNITS_ONLY = "Du kan kun se arbejdslisten for dine egne enheder (only your own units' worklists)"
NO_SUCH_CITIZEN = "Borgeren findes ikke (no such citizen)"


def _phq9(total: int, self_harm: str = "0") -> dict[str, list[str]]:
    """PHQ-9 answers adding up to `total` over items 1-8 (item 9, thoughts of self-harm, separately)."""
    scores = [min(3, max(0, total - 3 * n)) for n in range(8)]
    answers = {f"phq9-{n + 1}": [str(score)] for n, score in enumerate(scores)}
    return answers | {"phq9-9": [self_harm]}


class Clinic:
    """A nurse registering citizens and assigning; citizens answering."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def citizen(self, cpr: str, name: str) -> tuple[str, dict[str, Any]]:
        body = {"cpr": cpr, "name": name, "consentToDigitalPro": True}
        result = self.api.call("POST", "/v1/citizens", claims=NURSE, body=body)
        assert result.status == 201, result.body
        return as_str(result.body["id"]), citizen(cpr, name)

    def weekly(
        self, citizen_id: str, questionnaire: str, weeks: int, first_opened_days_ago: float
    ) -> list[dict[str, Any]]:
        first = datetime.now(UTC) - timedelta(days=first_opened_days_ago)
        schedule = {
            "kind": "recurring",
            "firstOpensAt": first.isoformat(),
            "every": 1,
            "unit": "weeks",
            "answerWindowHours": 48,
            "count": weeks,
        }
        body = {"questionnaireId": questionnaire, "unitId": UNIT, "schedule": schedule}
        result = self.api.call("POST", f"/v1/citizens/{citizen_id}/assignments", claims=NURSE, body=body)
        assert result.status == 201, result.body
        return as_objects(result.body["tasks"])

    def answer(self, claims: dict[str, Any], task: dict[str, Any], answers: dict[str, list[str]], **extra: Any) -> str:
        result = self.api.call(
            "POST",
            f"/v1/me/tasks/{task['id']}/response",
            claims=claims,
            body={"answers": answers, **extra},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert result.status == 201, result.body
        return as_str(result.body["responseId"])


@pytest.fixture
def clinic(api: ApiClient, seeded: Any) -> Clinic:
    return Clinic(api)


def _worklist(api: ApiClient, cursor: str | None = None, claims: dict[str, Any] = NURSE) -> Result:
    return api.call("GET", f"/v1/units/{UNIT}/worklist" + (f"?cursor={cursor}" if cursor else ""), claims=claims)


class TestWorklist:
    def test_red_then_yellow_then_wants_contact_then_the_rest_newest_first(self, clinic: Clinic) -> None:
        people = [
            clinic.citizen(cpr, name)
            for cpr, name in (
                ("070365-4286", "Hanne"),
                ("120455-1238", "Anders"),
                ("241290-9111", "Mette"),
                ("010180-1234", "Ole"),
                ("150537-4000", "Inge"),
            )
        ]
        answers = [
            (_phq9(4), {}),
            (_phq9(12), {}),
            (_phq9(22), {}),
            (_phq9(3), {"wantsContact": True}),
            (_phq9(14), {}),
        ]
        ids = []
        for (citizen_id, claims), (phq9, extra) in zip(people, answers, strict=True):
            (task,) = clinic.weekly(citizen_id, "phq-9", 1, first_opened_days_ago=0.1)
            ids.append(clinic.answer(claims, task, phq9, **extra))
        rows = _worklist(clinic.api).body["items"]
        green, yellow_old, red, contact, yellow_new = ids
        assert [r["responseId"] for r in rows] == [red, yellow_new, yellow_old, contact, green]
        assert rows[0]["level"] == "red" and rows[0]["flagMessages"] and rows[0]["citizenName"] == "Mette"
        assert rows[0]["headline"]["value"] == 22 and rows[0]["headline"]["delta"] is None
        assert rows[3]["wantsContact"] is True
        assert "cpr" not in str(rows).lower() and "070365-4286" not in str(rows) and "0703654286" not in str(rows)

    def test_pages_follow_an_opaque_cursor_and_refuse_a_forged_one(
        self, clinic: Clinic, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(review_service, "WORKLIST_PAGE", 2)
        responses = []
        for cpr in ("070365-4286", "120455-1238", "241290-9111"):
            citizen_id, claims = clinic.citizen(cpr, "Borger")
            (task,) = clinic.weekly(citizen_id, "phq-9", 1, first_opened_days_ago=0.1)
            responses.append(clinic.answer(claims, task, _phq9(12)))
        first = _worklist(clinic.api).body
        second = _worklist(clinic.api, first["nextCursor"]).body
        assert len(first["items"]) == 2 and len(second["items"]) == 1
        assert {r["responseId"] for r in first["items"] + second["items"]} == set(responses)
        assert _worklist(clinic.api, "bm90LWEtY3Vyc29y").status == 400
        payload, digest = first["nextCursor"].split(".")
        edited = base64.urlsafe_b64encode(b'{"GSI2PK": "0751#UNIT#other#WORKLIST"}').decode().rstrip("=")
        for forged in (f"{payload}.x{digest[1:]}", f"{edited}.{digest}", first["nextCursor"] + "x"):
            refused = _worklist(clinic.api, forged)
            assert refused.status == 400 and "not one this list gave out" in refused.problem["detail"], forged

    def test_overdue_tasks_are_listed_and_another_units_nurse_is_refused(self, clinic: Clinic) -> None:
        citizen_id, _ = clinic.citizen("070365-4286", "Hanne")
        clinic.weekly(citizen_id, "who-5", 1, first_opened_days_ago=3)  # due a day ago
        (overdue,) = _worklist(clinic.api).body["overdueTasks"]
        assert overdue["status"] == "overdue" and overdue["citizenName"] == "Hanne"
        refused = _worklist(clinic.api, claims=OTHER_UNIT_NURSE)
        assert refused.status == 403 and refused.problem["detail"] == OWN_UNITS_ONLY

    def test_a_reviewed_response_leaves_the_worklist_once(self, clinic: Clinic) -> None:
        citizen_id, claims = clinic.citizen("070365-4286", "Hanne")
        (task,) = clinic.weekly(citizen_id, "phq-9", 1, first_opened_days_ago=0.1)
        response_id = clinic.answer(claims, task, _phq9(21))
        refused = clinic.api.call(
            "POST", f"/v1/responses/{response_id}/review", claims=NURSE, body={"comment": "Ringet 070365 4286"}
        )
        assert refused.status == 422
        assert [(e["location"], e["code"]) for e in refused.problem["errors"]] == [("body.comment", "contains-cpr")]
        reviewed = clinic.api.call(
            "POST", f"/v1/responses/{response_id}/review", claims=NURSE, body={"comment": "Ringet op, tid aftalt"}
        )
        assert reviewed.status == 200, reviewed.body
        assert reviewed.body["id"] == response_id
        assert reviewed.body["reviewed"]["by"] == NURSE["sub"]
        assert reviewed.body["reviewed"]["comment"] == "Ringet op, tid aftalt"
        assert _worklist(clinic.api).body["items"] == []
        again = clinic.api.call("POST", f"/v1/responses/{response_id}/review", claims=NURSE, body={})
        assert again.status == 409
        assert again.problem["detail"] == "Besvarelsen er allerede gennemset (the response has already been reviewed)"
        stored = clinic.api.call("GET", f"/v1/responses/{response_id}", claims=NURSE).body
        assert stored["reviewed"]["comment"] == "Ringet op, tid aftalt"


class TestResponsesAsStaffReadThem:
    def test_change_since_last_time_band_crossing_changed_items_and_series(self, clinic: Clinic) -> None:
        citizen_id, claims = clinic.citizen("070365-4286", "Hanne")
        first_task, second_task = clinic.weekly(citizen_id, "phq-9", 2, first_opened_days_ago=8)
        clinic.answer(claims, first_task, _phq9(8))  # mild
        latest = clinic.answer(claims, second_task, _phq9(12), note="Svært at sove")  # moderate
        view = clinic.api.call("GET", f"/v1/responses/{latest}", claims=NURSE).body
        (total,) = view["scales"]
        assert (total["value"], total["previousValue"], total["delta"]) == (12, 8, 4)
        assert total["crossedBand"] is True
        assert (total["previousBand"], total["band"]) == ("Lette depressionssymptomer", "Moderate depressionssymptomer")
        changed = [a["linkId"] for a in view["answers"] if a["changed"]]
        assert changed == ["phq9-3", "phq9-4"]
        assert view["answers"][0]["text"] and view["answers"][0]["display"][0]
        assert [p["value"] for p in view["series"]["total"]] == [8, 12]
        assert view["note"] == "Svært at sove" and view["level"] == "yellow"
        listed = clinic.api.call("GET", f"/v1/citizens/{citizen_id}/responses", claims=NURSE).body["items"]
        assert listed[0]["id"] == latest and listed[1]["previousResponseId"] is None

    def test_the_fhir_export_is_a_valid_questionnaire_response(self, clinic: Clinic) -> None:
        citizen_id, claims = clinic.citizen("070365-4286", "Hanne")
        (task,) = clinic.weekly(citizen_id, "who-5", 1, first_opened_days_ago=0.1)
        response_id = clinic.answer(claims, task, {f"who5-{n}": ["3"] for n in range(1, 6)})
        exported = clinic.api.call("GET", f"/v1/responses/{response_id}/fhir", claims=NURSE)
        assert exported.status == 200, exported.body
        resource = QuestionnaireResponse.model_validate(exported.body)
        assert resource.status == "completed"
        assert resource.questionnaire is not None and resource.questionnaire.endswith("who-5|1")
        assert "070365-4286" not in str(exported.body) and "0703654286" not in str(exported.body)

    def test_unit_scoped_visibility_on_and_off(self, clinic: Clinic) -> None:
        citizen_id, claims = clinic.citizen("070365-4286", "Hanne")
        (task,) = clinic.weekly(citizen_id, "who-5", 1, first_opened_days_ago=0.1)
        response_id = clinic.answer(claims, task, {f"who5-{n}": ["3"] for n in range(1, 6)})
        paths = [f"/v1/citizens/{citizen_id}", f"/v1/citizens/{citizen_id}/responses", f"/v1/responses/{response_id}"]
        assert [clinic.api.call("GET", p, claims=OTHER_UNIT_NURSE).status for p in paths] == [200, 200, 200]
        change_municipality(clinic.api, "0751", {"unitScopedVisibility": True})
        hidden = [clinic.api.call("GET", p, claims=OTHER_UNIT_NURSE) for p in paths]
        assert [(r.status, r.problem["detail"]) for r in hidden] == [
            (404, NO_SUCH_CITIZEN),
            (404, NO_SUCH_CITIZEN),
            (404, "Besvarelsen findes ikke (no such response)"),
        ]
        assert [clinic.api.call("GET", p, claims=NURSE).status for p in paths] == [200, 200, 200]

    def test_under_unit_scope_search_withholds_contact_details_and_history_shows_only_the_callers_units(
        self, clinic: Clinic
    ) -> None:
        change_municipality(clinic.api, "0751", {"unitScopedVisibility": True})
        body = {"cpr": "070365-4286", "name": "Hanne", "email": "hanne@example.dk", "consentToDigitalPro": True}
        citizen_id = clinic.api.call("POST", "/v1/citizens", claims=NURSE, body=body).body["id"]
        hanne = citizen("070365-4286", "Hanne")
        (nord_task,) = clinic.weekly(citizen_id, "who-5", 1, first_opened_days_ago=0.1)
        nord_response = clinic.answer(hanne, nord_task, {f"who5-{n}": ["3"] for n in range(1, 6)})

        def search() -> dict[str, Any]:
            found = clinic.api.call("POST", "/v1/citizens/search", claims=OTHER_UNIT_NURSE, body={"cpr": "0703654286"})
            assert found.status == 200, found.body
            return as_object(found.body)

        outside = search()
        assert (outside["id"], outside["email"], outside["contactDetailsWithheld"]) == (citizen_id, None, True)
        syd = open_now(due_in_days=2)
        assigned = clinic.api.call(
            "POST",
            f"/v1/citizens/{citizen_id}/assignments",
            claims=OTHER_UNIT_NURSE,
            body={"questionnaireId": "phq-9", "unitId": "sundhedscenter-syd", "schedule": syd},
        )
        assert assigned.status == 201, assigned.body
        syd_response = clinic.answer(hanne, assigned.body["tasks"][0], _phq9(12))

        inside = search()
        assert (inside["email"], inside["contactDetailsWithheld"]) == ("hanne@example.dk", False)
        history = clinic.api.call("GET", f"/v1/citizens/{citizen_id}/responses", claims=OTHER_UNIT_NURSE).body["items"]
        assert [r["id"] for r in history] == [syd_response]
        nords = clinic.api.call("GET", f"/v1/responses/{nord_response}", claims=OTHER_UNIT_NURSE)
        assert nords.status == 404 and nords.problem["detail"] == "Besvarelsen findes ikke (no such response)"
        own = clinic.api.call("GET", f"/v1/citizens/{citizen_id}/responses", claims=NURSE).body["items"]
        assert [r["id"] for r in own] == [nord_response]

    def test_under_unit_scope_each_page_is_full_and_holds_only_the_callers_units(self, clinic: Clinic) -> None:
        change_municipality(clinic.api, "0751", {"unitScopedVisibility": True})
        citizen_id, hanne = clinic.citizen("070365-4286", "Hanne")
        path = f"/v1/citizens/{citizen_id}/responses"
        given: dict[str, list[str]] = {"sundhedscenter-nord": [], "sundhedscenter-syd": []}
        for n in range(6):  # WHO-5 answered for Nord and Syd in turn: their responses interleave in the partition
            unit, nurse = ("sundhedscenter-syd", OTHER_UNIT_NURSE) if n % 2 else ("sundhedscenter-nord", NURSE)
            once = open_now(due_in_days=2)
            assigned = clinic.api.call(
                "POST",
                f"/v1/citizens/{citizen_id}/assignments",
                claims=nurse,
                body={"questionnaireId": "who-5", "unitId": unit, "schedule": once},
            )
            assert assigned.status == 201, assigned.body
            answers = {f"who5-{i}": [str(n % 6)] for i in range(1, 6)}
            given[unit].append(clinic.answer(hanne, assigned.body["tasks"][0], answers))

        for unit, nurse in (("sundhedscenter-nord", NURSE), ("sundhedscenter-syd", OTHER_UNIT_NURSE)):
            first = clinic.api.call("GET", f"{path}?limit=2", claims=nurse).body
            assert len(first["items"]) == 2 and first["nextCursor"], "the filter does not shorten a page"
            listed, _ = clinic.api.every_page(path, claims=nurse, limit=2)
            assert [r["id"] for r in listed] == given[unit][::-1]  # newest first
            assert {r["unitId"] for r in listed} == {unit}
            assert [r["previousResponseId"] for r in listed] == [*given[unit][::-1][1:], None]

    def test_another_municipality_cannot_reach_the_response(self, clinic: Clinic) -> None:
        change_municipality(clinic.api, "0101", {"enabled": True})
        citizen_id, claims = clinic.citizen("070365-4286", "Hanne")
        (task,) = clinic.weekly(citizen_id, "who-5", 1, first_opened_days_ago=0.1)
        response_id = clinic.answer(claims, task, {f"who5-{n}": ["3"] for n in range(1, 6)})
        copenhagen = staff(Role.EMPLOYEE, "0101")
        response = clinic.api.call("GET", f"/v1/responses/{response_id}", claims=copenhagen)
        assert response.status == 404 and response.problem["detail"] == "Besvarelsen findes ikke (no such response)"
        responses = clinic.api.call("GET", f"/v1/citizens/{citizen_id}/responses", claims=copenhagen)
        assert responses.status == 404 and responses.problem["detail"] == NO_SUCH_CITIZEN


class TestAudit:
    def test_every_staff_route_that_touches_a_citizen_writes_an_audit_event(self, clinic: Clinic) -> None:
        citizen_id, claims = clinic.citizen("070365-4286", "Hanne")
        tasks = clinic.weekly(citizen_id, "who-5", 2, first_opened_days_ago=0.1)
        response_id = clinic.answer(claims, tasks[0], {f"who5-{n}": ["3"] for n in range(1, 6)})
        appointment = {
            "kind": "appointment",
            "appointmentAt": "2027-06-01T10:00:00+02:00",
            "opensDaysBefore": 7,
            "dueHoursBefore": 2,
        }
        assigned = clinic.api.call(
            "POST",
            f"/v1/citizens/{citizen_id}/assignments",
            claims=NURSE,
            body={"questionnaireId": "gad-7", "unitId": UNIT, "schedule": appointment},
        )
        assert assigned.status == 201, assigned.body
        appointment_id = assigned.body["id"]
        calls = {
            ("POST", "/v1/citizens"): (
                "POST",
                "/v1/citizens",
                {"cpr": "120455-1238", "name": "Anders", "consentToDigitalPro": True},
            ),
            ("POST", "/v1/citizens/search"): ("POST", "/v1/citizens/search", {"cpr": "070365-4286"}),
            ("GET", "/v1/citizens/{citizen_id}"): ("GET", f"/v1/citizens/{citizen_id}", None),
            ("GET", "/v1/citizens/{citizen_id}/assignments"): ("GET", f"/v1/citizens/{citizen_id}/assignments", None),
            ("POST", "/v1/citizens/{citizen_id}/assignments"): (
                "POST",
                f"/v1/citizens/{citizen_id}/assignments",
                {"questionnaireId": "phq-9", "unitId": UNIT, "schedule": appointment},
            ),
            ("POST", "/v1/citizens/{citizen_id}/assignments/{assignment_id}/appointment"): (
                "POST",
                f"/v1/citizens/{citizen_id}/assignments/{appointment_id}/appointment",
                {"appointmentAt": "2027-06-02T10:00:00+02:00"},
            ),
            ("POST", "/v1/citizens/{citizen_id}/assignments/{assignment_id}/cancel"): (
                "POST",
                f"/v1/citizens/{citizen_id}/assignments/{appointment_id}/cancel",
                None,
            ),
            ("GET", "/v1/citizens/{citizen_id}/responses"): ("GET", f"/v1/citizens/{citizen_id}/responses", None),
            ("GET", "/v1/responses/{response_id}"): ("GET", f"/v1/responses/{response_id}", None),
            ("GET", "/v1/responses/{response_id}/fhir"): ("GET", f"/v1/responses/{response_id}/fhir", None),
            ("GET", "/v1/units/{unit_id}/worklist"): ("GET", f"/v1/units/{UNIT}/worklist", None),
            ("POST", "/v1/responses/{response_id}/review"): ("POST", f"/v1/responses/{response_id}/review", {}),
        }
        staff_routes = {
            route
            for name in ("assignments", "responses")
            for route in http_routes(name)
            if not route[1].startswith(("/v1/me/", "/v1/audit"))
        }
        assert staff_routes == set(calls), "every staff route must be walked here"
        for route, (method, path, body) in calls.items():
            before = self._events(clinic.api)
            result = clinic.api.call(method, path, claims=NURSE, body=body)
            assert result.status in (200, 201), (route, result.body)
            new = [e for e in self._events(clinic.api) if e["id"] not in {b["id"] for b in before}]
            assert new, f"{route} wrote no audit event"
            assert all(e["actor"] == NURSE["sub"] and e["purpose"] for e in new)

    @staticmethod
    def _events(api: ApiClient) -> list[dict[str, Any]]:
        result = api.call("GET", f"/v1/audit?staff={NURSE['sub']}", claims=AUDITOR)
        assert result.status == 200, result.body
        return as_objects(as_object(result.body)["items"])

    def test_refused_attempts_are_audited_as_refused_and_the_citizen_sees_only_what_happened(
        self, clinic: Clinic
    ) -> None:
        citizen_id, claims = clinic.citizen("070365-4286", "Hanne")
        (task,) = clinic.weekly(citizen_id, "phq-9", 1, first_opened_days_ago=0.1)
        response_id = clinic.answer(claims, task, _phq9(12))
        review = f"/v1/responses/{response_id}/review"
        assert clinic.api.call("POST", review, claims=NURSE, body={}).status == 200
        again = [clinic.api.call("POST", review, claims=NURSE, body={}) for _ in range(3)]
        assert [r.status for r in again] == [409, 409, 409]
        once = {"kind": "once", "opensAt": "2027-01-04T09:00:00+01:00", "dueAt": "2027-01-07T09:00:00+01:00"}
        outside = clinic.api.call(
            "POST",
            f"/v1/citizens/{citizen_id}/assignments",
            claims=OTHER_UNIT_NURSE,
            body={"questionnaireId": "who-5", "unitId": UNIT, "schedule": once},
        )
        assert outside.status == 403, outside.body
        duplicate = clinic.api.call(
            "POST", "/v1/citizens", claims=NURSE, body={"cpr": "0703654286", "name": "H", "consentToDigitalPro": True}
        )
        assert duplicate.status == 409 and duplicate.problem["citizenId"] == citizen_id

        events = clinic.api.call("GET", f"/v1/audit?citizenId={citizen_id}", claims=AUDITOR).body["items"]
        outcomes = Counter((e["action"], e["outcome"]) for e in events)
        assert outcomes[("response.review", "done")] == 1 and outcomes[("response.review", "refused")] == 3
        assert outcomes[("assignment.change", "refused")] == 1 and outcomes[("assignment.change", "done")] == 1
        assert outcomes[("citizen.register", "refused")] == 1 and outcomes[("citizen.register", "done")] == 1
        log = Counter(e["action"] for e in clinic.api.call("GET", "/v1/me/access-log", claims=claims).body)
        assert (log["response.review"], log["assignment.change"], log["citizen.register"]) == (1, 1, 1)

    def test_when_the_audit_cannot_be_written_no_data_is_returned(self, clinic: Clinic) -> None:
        citizen_id, claims = clinic.citizen("070365-4286", "Hanne")
        (task,) = clinic.weekly(citizen_id, "phq-9", 1, first_opened_days_ago=0.1)
        response_id = clinic.answer(claims, task, _phq9(12))
        boto3.client("dynamodb").delete_table(TableName=get_settings().audit_table_name)
        for path in (f"/v1/citizens/{citizen_id}", f"/v1/responses/{response_id}", f"/v1/units/{UNIT}/worklist"):
            result = clinic.api.call("GET", path, claims=NURSE)
            assert result.status == 503, path
            assert result.problem["detail"] == (
                "Adgangen kunne ikke logges, så data vises ikke; prøv igen "
                "(the access could not be audited, so no data is returned; try again)"
            )
            assert "Hanne" not in str(result.body) and "phq9" not in str(result.body)

    def test_the_citizen_sees_who_read_their_data_unit_by_default_names_when_chosen(self, clinic: Clinic) -> None:
        citizen_id, claims = clinic.citizen("070365-4286", "Hanne")
        assert clinic.api.call("GET", f"/v1/citizens/{citizen_id}", claims=NURSE).status == 200
        log = clinic.api.call("GET", "/v1/me/access-log", claims=claims).body
        read = next(e for e in log if e["action"] == "citizen.read")
        assert read["unit"] == UNIT and read["staffName"] is None and read["purpose"]
        change_municipality(clinic.api, "0751", {"accessLogShowsStaffNames": True})
        log = clinic.api.call("GET", "/v1/me/access-log", claims=claims).body
        assert next(e for e in log if e["action"] == "citizen.read")["staffName"] == "Sygeplejerske Mette Holm"
        staff_member = clinic.api.call("GET", "/v1/me/access-log", claims=NURSE)
        assert staff_member.status == 403
        assert staff_member.problem["detail"] == (
            "Din rolle giver ikke adgang til denne handling (this action needs one of the roles: citizen)"
        )

    def test_auditors_query_by_citizen_and_by_staff_within_their_municipality(self, clinic: Clinic) -> None:
        citizen_id, _ = clinic.citizen("070365-4286", "Hanne")
        assert clinic.api.call("GET", f"/v1/citizens/{citizen_id}", claims=NURSE).status == 200
        by_citizen = clinic.api.call("GET", f"/v1/audit?citizenId={citizen_id}", claims=AUDITOR).body
        assert [e["action"] for e in by_citizen["items"]] == ["citizen.read", "citizen.register"]
        assert by_citizen["nextCursor"] is None
        by_staff = clinic.api.call("GET", f"/v1/audit?staff={NURSE['sub']}", claims=AUDITOR).body["items"]
        assert {e["citizenId"] for e in by_staff} == {citizen_id}
        elsewhere = staff(Role.AUDITOR, "0101")
        change_municipality(clinic.api, "0101", {"enabled": True})
        assert clinic.api.call("GET", f"/v1/audit?citizenId={citizen_id}", claims=elsewhere).body == {
            "items": [],
            "nextCursor": None,
        }
        neither = clinic.api.call("GET", "/v1/audit", claims=AUDITOR)
        assert neither.status == 422
        assert neither.problem["errors"] == [
            {
                "code": "invalid-combination",
                "location": "query",
                "messageDa": "Angiv enten citizenId eller staff",
                "messageEn": "give exactly one of citizenId and staff",
            }
        ]
        nurse = clinic.api.call("GET", f"/v1/audit?staff={NURSE['sub']}", claims=NURSE)
        assert nurse.status == 403
        assert nurse.problem["detail"] == (
            "Din rolle giver ikke adgang til denne handling (this action needs one of the roles: auditor)"
        )

    def test_auditors_page_through_events_since_a_time_and_another_lists_cursor_is_refused(
        self, clinic: Clinic, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(audit, "AUDIT_PAGE", 2)
        citizen_id, _ = clinic.citizen("070365-4286", "Hanne")
        for _ in range(2):
            clinic.api.call("GET", f"/v1/citizens/{citizen_id}", claims=NURSE)
        since = utc_now()
        for _ in range(3):
            clinic.api.call("GET", f"/v1/citizens/{citizen_id}", claims=NURSE)
        path = f"/v1/audit?citizenId={citizen_id}&since={quote(since.isoformat())}"

        first = clinic.api.call("GET", path, claims=AUDITOR).body
        second = clinic.api.call("GET", f"{path}&cursor={first['nextCursor']}", claims=AUDITOR).body

        events = first["items"] + second["items"]
        assert [len(first["items"]), len(second["items"]), second["nextCursor"]] == [2, 1, None]
        assert len({e["id"] for e in events}) == 3 and all(e["at"] >= since.isoformat() for e in events)
        all_events = clinic.api.call("GET", f"/v1/audit?citizenId={citizen_id}", claims=AUDITOR).body
        assert len(all_events["items"]) == 2 and all_events["nextCursor"]  # register + 5 reads, two a page
        by_staff = f"/v1/audit?staff={NURSE['sub']}&cursor={first['nextCursor']}"
        refused = clinic.api.call("GET", by_staff, claims=AUDITOR)
        assert refused.status == 400 and "not one this list gave out" in refused.problem["detail"]
        naive = clinic.api.call("GET", f"/v1/audit?citizenId={citizen_id}&since=2026-12-01T08:00:00", claims=AUDITOR)
        assert naive.status == 422 and naive.problem["errors"][0]["location"] == "query.since"


def test_synced_unit_membership_decides_over_the_token_claim(clinic: Clinic) -> None:
    """Once the organisation sync knows a staff member, their units come from FK-Organisation."""
    unlisted_nurse = staff(Role.EMPLOYEE, "0751", subject="fk-user-7", units=[])
    refused = _worklist(clinic.api, claims=unlisted_nurse)
    assert refused.status == 403 and refused.problem["detail"] == OWN_UNITS_ONLY
    membership = StaffMembership(
        municipality="0751", subject="fk-user-7", unit_id=UNIT, positions=["Sygeplejerske"], updated_at=utc_now()
    )
    UnitRepository(data_table()).write([], [membership], [])
    empty: dict[str, Any] = {"unitId": UNIT, "items": [], "overdueTasks": [], "nextCursor": None}
    listed = _worklist(clinic.api, claims=unlisted_nurse)
    assert (listed.status, listed.body) == (200, empty)
    moved_on = staff(Role.EMPLOYEE, "0751", subject="fk-user-7", units=["sundhedscenter-syd"])
    listed = _worklist(clinic.api, claims=moved_on)  # the sync says Nord, whatever the token says
    assert (listed.status, listed.body) == (200, empty)
    syd = clinic.api.call("GET", "/v1/units/sundhedscenter-syd/worklist", claims=moved_on)
    assert syd.status == 403 and syd.problem["detail"] == OWN_UNITS_ONLY
