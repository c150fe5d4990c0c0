"""Employee module: registering and finding citizens, assigning questionnaires on the three schedule kinds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kommunal_pro.auth import Role
from kommunal_pro.citizens import cpr_vault
from kommunal_pro.storage.schema import PK, SK
from tests.json_values import as_object
from tests.support import UNIT, ApiClient, Result, change_municipality, staff

NURSE = staff(Role.EMPLOYEE, "0751")
KBH_NURSE = staff(Role.EMPLOYEE, "0101")
NATIONAL_ADMIN = staff(Role.NATIONAL_ADMIN)
HANNE = {
    "cpr": "070365-4286",
    "name": "Hanne Jensen",
    "email": "hanne.jensen@example.dk",
    "mobile": "+4520304050",
    "preferredChannel": "email",
    "consentToDigitalPro": True,
}
NO_SUCH_CITIZEN = "Borgeren findes ikke (no such citizen)"
EMPLOYEES_ONLY = "Din rolle giver ikke adgang til denne handling (this action needs one of the roles: employee)"


def _register(api: ApiClient, body: dict[str, Any] = HANNE, claims: dict[str, Any] = NURSE) -> dict[str, Any]:
    result = api.call("POST", "/v1/citizens", claims=claims, body=body)
    assert result.status == 201, result.body
    return as_object(result.body)


def _weekly_who5(weeks: int = 8, **extra: Any) -> dict[str, Any]:
    first = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    schedule = {
        "kind": "recurring",
        "firstOpensAt": first.isoformat(),
        "every": 1,
        "unit": "weeks",
        "answerWindowHours": 72,
        "count": weeks,
    }
    return {"questionnaireId": "who-5", "unitId": UNIT, "course": "KOL-rehabilitering", "schedule": schedule} | extra


CONSULTATION = datetime(2027, 3, 15, 10, 0, tzinfo=UTC)


def _phq9_before(api: ApiClient, citizen_id: str, consultation: datetime) -> Result:
    """PHQ-9 opening 7 days before a consultation, due 2 hours before it."""
    appointment = {
        "kind": "appointment",
        "appointmentAt": consultation.isoformat(),
        "opensDaysBefore": 7,
        "dueHoursBefore": 2,
    }
    return api.call(
        "POST",
        f"/v1/citizens/{citizen_id}/assignments",
        claims=NURSE,
        body={"questionnaireId": "phq-9", "unitId": UNIT, "schedule": appointment},
    )


@pytest.fixture
def copenhagen(api: ApiClient, seeded: Any) -> None:
    change_municipality(api, "0101", {"enabled": True})


class TestCitizens:
    def test_registering_stores_the_cpr_encrypted_and_shows_it_masked(self, api: ApiClient, seeded: Any) -> None:
        citizen = _register(api)
        assert citizen["cprMasked"] == "070365-XXXX" and citizen["municipality"] == "0751"
        assert citizen["consent"]["given"] is True and citizen["consent"]["recordedBy"] == NURSE["sub"]
        assert "cpr" not in citizen and "cprEncrypted" not in citizen and "cprHash" not in citizen
        raw = seeded.get_item(Key={PK: f"0751#CITIZEN#{citizen['id']}", SK: "PROFILE"})["Item"]
        stored = json.dumps(raw, default=str)
        assert "070365-4286" not in stored and "0703654286" not in stored
        assert cpr_vault.decrypt(raw["cpr_encrypted"], "0751").reveal() == "070365-4286"

    def test_the_same_cpr_twice_is_409_with_the_existing_id_but_another_municipality_may_register_it(
        self, api: ApiClient, seeded: Any, copenhagen: None
    ) -> None:
        first = _register(api)
        again = api.call("POST", "/v1/citizens", claims=NURSE, body=HANNE | {"cpr": "0703654286", "name": "H. Jensen"})
        assert again.status == 409 and again.problem["citizenId"] == first["id"]
        assert (
            again.problem["detail"] == "Borgeren er allerede registreret i kommunen (the citizen is already registered)"
        )
        assert "070365-4286" not in json.dumps(again.body) and "0703654286" not in json.dumps(again.body)
        elsewhere = _register(api, claims=KBH_NURSE)
        assert elsewhere["id"] != first["id"] and elsewhere["municipality"] == "0101"

    def test_search_by_cpr_in_the_body_finds_only_the_callers_municipality(
        self, api: ApiClient, seeded: Any, copenhagen: None
    ) -> None:
        citizen = _register(api)
        found = api.call("POST", "/v1/citizens/search", claims=NURSE, body={"cpr": "070365-4286"})
        assert found.status == 200 and found.body["id"] == citizen["id"]
        elsewhere = api.call("POST", "/v1/citizens/search", claims=KBH_NURSE, body={"cpr": "070365-4286"})
        assert elsewhere.status == 404 and "070365-4286" not in json.dumps(elsewhere.body)
        assert elsewhere.problem["detail"] == (
            "Ingen borger med dette CPR-nummer i kommunen (no citizen with this CPR number)"
        )
        other_municipality = api.call("GET", f"/v1/citizens/{citizen['id']}", claims=KBH_NURSE)
        assert other_municipality.status == 404 and other_municipality.problem["detail"] == NO_SUCH_CITIZEN
        assert api.call("GET", f"/v1/citizens/{citizen['id']}", claims=NURSE).body["name"] == "Hanne Jensen"

    @pytest.mark.parametrize(
        ("change", "location"),
        [
            ({"cpr": "310265-4286"}, "body.cpr"),  # 31 February
            ({"cpr": "0703654"}, "body.cpr"),
            ({"email": "hanne.example.dk"}, "body.email"),
            ({"mobile": "1234"}, "body.mobile"),
            ({"preferredChannel": "post"}, "body.preferredChannel"),
            ({"name": ""}, "body.name"),
        ],
    )
    def test_invalid_registrations_are_422_and_never_echo_the_cpr(
        self, api: ApiClient, seeded: Any, change: dict[str, Any], location: str
    ) -> None:
        result = api.call("POST", "/v1/citizens", claims=NURSE, body=HANNE | change)
        assert result.status == 422
        assert result.problem["detail"] == "Forespørgslen indeholder ugyldige felter (the request has invalid fields)"
        assert [e["location"] for e in result.problem["errors"]] == [location]
        assert "310265" not in json.dumps(result.body) and "0703654" not in json.dumps(result.body)

    def test_a_missing_field_is_required_with_a_danish_text(self, api: ApiClient, seeded: Any) -> None:
        without_consent = {name: value for name, value in HANNE.items() if name != "consentToDigitalPro"}
        result = api.call("POST", "/v1/citizens", claims=NURSE, body=without_consent)
        assert result.status == 422
        assert result.problem["errors"] == [
            {
                "code": "required",
                "location": "body.consentToDigitalPro",
                "messageDa": "Udfyld feltet",
                "messageEn": "Field required",
            }
        ]
        assert api.call("POST", "/v1/citizens/search", claims=NURSE, body={"cpr": HANNE["cpr"]}).status == 404

    @pytest.mark.parametrize("role", [Role.ADMIN, Role.AUDITOR, Role.CITIZEN, Role.NATIONAL_ADMIN])
    def test_only_employees_register_and_search(self, api: ApiClient, seeded: Any, role: Role) -> None:
        claims = staff(role, "0751")
        registered = api.call("POST", "/v1/citizens", claims=claims, body=HANNE)
        searched = api.call("POST", "/v1/citizens/search", claims=claims, body={"cpr": HANNE["cpr"]})
        for result in (registered, searched):
            assert result.status == 403 and result.problem["detail"] == EMPLOYEES_ONLY


class TestAssignments:
    def test_weekly_who5_makes_eight_tasks_with_a_timeline(self, api: ApiClient, seeded: Any) -> None:
        citizen = _register(api)
        result = api.call("POST", f"/v1/citizens/{citizen['id']}/assignments", claims=NURSE, body=_weekly_who5())
        assert result.status == 201, result.body
        body = result.body
        assert body["questionnaire"] == {"tenant": "national", "questionnaireId": "who-5", "version": 1}
        assert body["course"] == "KOL-rehabilitering" and body["status"] == "active"
        tasks = body["tasks"]
        assert [t["sequence"] for t in tasks] == list(range(1, 9))
        assert [t["status"] for t in tasks] == ["open"] + ["scheduled"] * 7
        first = tasks[0]
        assert [m["kind"] for m in first["plannedMessages"]] == ["invitation", "reminder", "overdue"]
        opens = datetime.fromisoformat(first["opensAt"])
        assert datetime.fromisoformat(first["dueAt"]) - opens == timedelta(hours=72)
        assert datetime.fromisoformat(first["expiresAt"]) > datetime.fromisoformat(first["dueAt"])
        listed = api.call("GET", f"/v1/citizens/{citizen['id']}/assignments", claims=NURSE).body["items"]
        assert [a["id"] for a in listed] == [body["id"]] and len(listed[0]["tasks"]) == 8

    def test_the_assignments_page_in_id_order_each_with_its_own_tasks(self, api: ApiClient, seeded: Any) -> None:
        citizen = _register(api)
        path = f"/v1/citizens/{citizen['id']}/assignments"
        made = {}
        for weeks in (2, 3, 4, 5, 6):
            result = api.call("POST", path, claims=NURSE, body=_weekly_who5(weeks))
            assert result.status == 201, result.body
            made[result.body["id"]] = weeks

        listed, pages = api.every_page(path, claims=NURSE, limit=2)

        assert pages == 3
        assert [a["id"] for a in listed] == sorted(made)
        assert {a["id"]: len(a["tasks"]) for a in listed} == made

    def test_once_and_appointment_relative_schedules(self, api: ApiClient, seeded: Any) -> None:
        citizen = _register(api)
        result = _phq9_before(api, citizen["id"], CONSULTATION)
        assert result.status == 201, result.body
        (task,) = result.body["tasks"]
        assert datetime.fromisoformat(task["opensAt"]) == CONSULTATION - timedelta(days=7)
        assert datetime.fromisoformat(task["dueAt"]) == CONSULTATION - timedelta(hours=2)
        assert task["status"] == "scheduled"
        once = {"kind": "once", "opensAt": "2027-01-04T08:00:00+01:00", "dueAt": "2027-01-06T08:00:00+01:00"}
        single = api.call(
            "POST",
            f"/v1/citizens/{citizen['id']}/assignments",
            claims=NURSE,
            body={"questionnaireId": "gad-7", "unitId": UNIT, "schedule": once},
        )
        assert single.status == 201, single.body
        assert single.body["questionnaire"] == {"tenant": "national", "questionnaireId": "gad-7", "version": 1}
        (once_task,) = single.body["tasks"]
        assert datetime.fromisoformat(once_task["opensAt"]) == datetime(2027, 1, 4, 7, 0, tzinfo=UTC)
        assert datetime.fromisoformat(once_task["dueAt"]) == datetime(2027, 1, 6, 7, 0, tzinfo=UTC)

    def test_assigning_needs_the_callers_unit_consent_and_an_active_version(self, api: ApiClient, seeded: Any) -> None:
        citizen = _register(api)
        path = f"/v1/citizens/{citizen['id']}/assignments"
        other_unit = api.call("POST", path, claims=NURSE, body=_weekly_who5(unitId="sundhedscenter-syd"))
        assert other_unit.status == 403
        assert other_unit.problem["detail"] == (
            "Du kan kun tildele i dine egne enheder (you can only assign within your own units)"
        )
        no_consent = _register(api, body=HANNE | {"cpr": "120455-1238", "consentToDigitalPro": False})
        refused = api.call("POST", f"/v1/citizens/{no_consent['id']}/assignments", claims=NURSE, body=_weekly_who5())
        assert refused.status == 409
        assert refused.problem["detail"] == (
            "Borgeren har ikke givet samtykke til digital PRO (the citizen has not consented)"
        )
        admin = staff(Role.ADMIN, "0751")
        created = api.call(
            "POST",
            "/v1/questionnaires",
            claims=admin,
            body=api.call("GET", "/v1/questionnaires/who-5", claims=admin).body["definition"],
        )
        assert created.status == 201 and created.body["status"] == "draft", created.body
        not_published = api.call("POST", path, claims=NURSE, body=_weekly_who5(questionnaireId=created.body["id"]))
        assert not_published.status == 409
        assert not_published.problem["detail"] == (
            "Kun aktive spørgeskemaer kan tildeles; version 1 er draft (only active questionnaire versions can be assigned)"
        )
        assert api.call("GET", path, claims=NURSE).body["items"] == []

    def test_a_retired_questionnaire_cannot_be_assigned_anew(self, api: ApiClient, seeded: Any) -> None:
        citizen = _register(api)
        retired = api.call("POST", "/v1/questionnaires/who-5/retire", claims=NATIONAL_ADMIN)
        assert retired.status == 200, retired.body
        assert (retired.body["id"], retired.body["version"], retired.body["status"]) == ("who-5", 1, "retired")
        versions = api.call("GET", "/v1/questionnaires/who-5/versions", claims=NATIONAL_ADMIN).body
        assert [(v["version"], v["status"]) for v in versions] == [(1, "retired")]

        result = api.call("POST", f"/v1/citizens/{citizen['id']}/assignments", claims=NURSE, body=_weekly_who5())
        assert result.status == 409
        assert result.problem["detail"] == (
            "Kun aktive spørgeskemaer kan tildeles; version 1 er retired "
            "(only active questionnaire versions can be assigned)"
        )
        assert api.call("GET", f"/v1/citizens/{citizen['id']}/assignments", claims=NURSE).body["items"] == []

    def test_a_cpr_number_in_the_course_is_422(self, api: ApiClient, seeded: Any) -> None:
        citizen = _register(api)
        path = f"/v1/citizens/{citizen['id']}/assignments"
        result = api.call("POST", path, claims=NURSE, body=_weekly_who5(course="KOL 111111-1118"))
        assert result.status == 422
        assert result.problem["errors"] == [
            {
                "code": "contains-cpr",
                "location": "body.course",
                "messageDa": "Fjern CPR-nummeret fra feltet",
                "messageEn": "the field must not contain a CPR number",
            }
        ]
        assert api.call("GET", path, claims=NURSE).body["items"] == []

    def test_schedules_that_make_no_sense_are_422(self, api: ApiClient, seeded: Any) -> None:
        citizen = _register(api)
        path = f"/v1/citizens/{citizen['id']}/assignments"
        too_many = api.call("POST", path, claims=NURSE, body=_weekly_who5(weeks=100))
        assert too_many.status == 422
        assert too_many.problem["errors"] == [
            {
                "code": "invalid-schedule",
                "location": "body.schedule",
                "messageDa": "Højst 98 opgaver pr. tildeling",
                "messageEn": "at most 98 tasks",
            }
        ]
        backwards = {"kind": "once", "opensAt": "2027-01-06T08:00:00+01:00", "dueAt": "2027-01-04T08:00:00+01:00"}
        result = api.call(
            "POST", path, claims=NURSE, body={"questionnaireId": "who-5", "unitId": UNIT, "schedule": backwards}
        )
        assert result.status == 422
        assert result.problem["errors"] == [
            {
                "code": "invalid-value",
                "location": "body.schedule.once",
                "messageDa": "Værdien er ugyldig",
                "messageEn": "Value error, opensAt must be before dueAt",
            }
        ]
        naive = {"kind": "once", "opensAt": "2027-01-04T08:00:00", "dueAt": "2027-01-06T08:00:00"}
        no_timezone = api.call(
            "POST", path, claims=NURSE, body={"questionnaireId": "who-5", "unitId": UNIT, "schedule": naive}
        )
        assert no_timezone.status == 422
        assert [(e["location"], e["code"]) for e in no_timezone.problem["errors"]] == [
            ("body.schedule.once.opensAt", "invalid-format"),
            ("body.schedule.once.dueAt", "invalid-format"),
        ]
        assert api.call("GET", f"/v1/citizens/{citizen['id']}/assignments", claims=NURSE).body["items"] == []

    def test_cancelling_stops_every_task_not_yet_answered(self, api: ApiClient, seeded: Any) -> None:
        citizen = _register(api)
        created = api.call("POST", f"/v1/citizens/{citizen['id']}/assignments", claims=NURSE, body=_weekly_who5(4))
        assert created.status == 201, created.body
        assignment = created.body
        path = f"/v1/citizens/{citizen['id']}/assignments/{assignment['id']}/cancel"
        cancelled = api.call("POST", path, claims=NURSE)
        assert cancelled.status == 200 and cancelled.body["status"] == "cancelled"
        assert {t["status"] for t in cancelled.body["tasks"]} == {"cancelled"}
        assert all(t["plannedMessages"] == [] for t in cancelled.body["tasks"])
        again = api.call("POST", path, claims=NURSE)
        assert again.status == 409
        assert again.problem["detail"] == "Tildelingen er allerede stoppet (the assignment is already cancelled)"
        unknown = api.call("POST", f"/v1/citizens/{citizen['id']}/assignments/nope/cancel", claims=NURSE)
        assert unknown.status == 404 and unknown.problem["detail"] == "Tildelingen findes ikke (no such assignment)"

    def test_another_municipalitys_staff_cannot_reach_the_citizen(
        self, api: ApiClient, seeded: Any, copenhagen: None
    ) -> None:
        citizen = _register(api)
        path = f"/v1/citizens/{citizen['id']}/assignments"
        assigned = api.call("POST", path, claims=KBH_NURSE, body=_weekly_who5())
        listed = api.call("GET", path, claims=KBH_NURSE)
        for result in (assigned, listed):
            assert result.status == 404 and result.problem["detail"] == NO_SUCH_CITIZEN
        assert api.call("GET", path, claims=NURSE).body["items"] == []


def test_moving_the_appointment_moves_the_unanswered_task(api: ApiClient, seeded: Any) -> None:
    citizen = _register(api)
    booked = _phq9_before(api, citizen["id"], CONSULTATION)
    assert booked.status == 201, booked.body
    assignment = booked.body
    path = f"/v1/citizens/{citizen['id']}/assignments/{assignment['id']}/appointment"
    later = CONSULTATION + timedelta(days=3, hours=2)
    moved = api.call("POST", path, claims=NURSE, body={"appointmentAt": later.isoformat()})
    assert moved.status == 200, moved.body
    (task,) = moved.body["tasks"]
    assert datetime.fromisoformat(task["opensAt"]) == later - timedelta(days=7)
    assert datetime.fromisoformat(task["dueAt"]) == later - timedelta(hours=2)
    assert moved.body["schedule"]["appointmentAt"].startswith("2027-03-18T12:00")
    stored = api.call("GET", f"/v1/citizens/{citizen['id']}/assignments", claims=NURSE).body["items"][0]["tasks"][0]
    assert stored["dueAt"] == task["dueAt"]
    weekly = api.call("POST", f"/v1/citizens/{citizen['id']}/assignments", claims=NURSE, body=_weekly_who5(2))
    assert weekly.status == 201, weekly.body
    not_movable = api.call(
        "POST",
        f"/v1/citizens/{citizen['id']}/assignments/{weekly.body['id']}/appointment",
        claims=NURSE,
        body={"appointmentAt": later.isoformat()},
    )
    assert not_movable.status == 409
    assert (
        not_movable.problem["detail"]
        == "Kun tildelinger omkring en aftale kan flyttes (only appointment schedules move)"
    )
