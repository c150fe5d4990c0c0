"""The municipality routes through the real handler and a moto table: every route × every kind of caller."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from kommunal_pro.auth import Role
from kommunal_pro.organisations.repository import MunicipalityRepository
from kommunal_pro.organisations.service import seed_municipalities
from tests.support import ApiClient, staff

AARHUS, KOBENHAVN = "0751", "0101"
NATIONAL_ADMIN = staff(Role.NATIONAL_ADMIN)
NATIONAL_ADMIN_ONLY = (
    "Din rolle giver ikke adgang til denne handling (this action needs one of the roles: national-admin)"
)
OWN_MUNICIPALITY_ONLY = "Du har kun adgang til din egen kommune (you can only access your own municipality)"
UNAUTHENTICATED = "Du skal være logget ind (a valid bearer token is required)"
INVALID_FIELDS = "Forespørgslen indeholder ugyldige felter (the request has invalid fields)"


def _enable(api: ApiClient, code: str) -> None:
    etag = api.call("GET", f"/v1/municipalities/{code}", claims=NATIONAL_ADMIN).headers["ETag"]
    result = api.call(
        "PATCH", f"/v1/municipalities/{code}", claims=NATIONAL_ADMIN, body={"enabled": True}, headers={"If-Match": etag}
    )
    assert (result.status, result.body["code"], result.body["enabled"]) == (200, code, True), result.body


def test_seed_adds_98_municipalities_and_the_national_library_once(seeded: Any) -> None:
    repository = MunicipalityRepository(seeded)
    page = repository.page(100, None)
    assert (len(page.items), page.next_cursor) == (98, None)
    assert repository.get("national") is not None
    regions = Counter(m.region for m in page.items)
    assert regions == {"Hovedstaden": 29, "Sjælland": 17, "Midtjylland": 19, "Syddanmark": 22, "Nordjylland": 11}
    assert seed_municipalities(repository) == 0  # a second run adds nothing


def test_national_admin_lists_every_municipality_in_code_order(api: ApiClient, seeded: Any) -> None:
    first = api.call("GET", "/v1/municipalities", claims=NATIONAL_ADMIN)
    assert first.status == 200
    assert len(first.body["items"]) == 50 and first.body["nextCursor"]  # the default page size

    municipalities, pages = api.every_page("/v1/municipalities", claims=NATIONAL_ADMIN, limit=40)

    codes = [m["code"] for m in municipalities]
    assert pages == 3 and len(codes) == 98 and codes == sorted(set(codes))
    assert codes[:50] == [m["code"] for m in first.body["items"]]
    aarhus = next(m for m in municipalities if m["code"] == AARHUS)
    assert aarhus["enabled"] is True and aarhus["region"] == "Midtjylland"
    assert aarhus["settings"]["reminderChannels"] == ["email", "sms"]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EMPLOYEE, Role.AUDITOR, Role.CITIZEN])
def test_only_national_admin_lists_municipalities(api: ApiClient, seeded: Any, role: Role) -> None:
    result = api.call("GET", "/v1/municipalities", claims=staff(role, AARHUS))
    assert result.status == 403
    assert result.problem["detail"] == NATIONAL_ADMIN_ONLY


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EMPLOYEE])
def test_staff_read_their_own_municipality_with_an_etag(api: ApiClient, seeded: Any, role: Role) -> None:
    result = api.call("GET", f"/v1/municipalities/{AARHUS}", claims=staff(role, AARHUS))
    assert result.status == 200
    assert result.body["name"] == "Aarhus"
    assert result.headers["ETag"] == f'"{result.body["version"]}"'


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EMPLOYEE])
def test_staff_cannot_read_another_municipality(api: ApiClient, seeded: Any, role: Role) -> None:
    _enable(api, KOBENHAVN)
    result = api.call("GET", f"/v1/municipalities/{AARHUS}", claims=staff(role, KOBENHAVN))
    assert result.status == 403
    assert result.problem["detail"] == OWN_MUNICIPALITY_ONLY


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.AUDITOR])
def test_other_roles_cannot_read_a_municipality(api: ApiClient, seeded: Any, role: Role) -> None:
    result = api.call("GET", f"/v1/municipalities/{AARHUS}", claims=staff(role, AARHUS))
    assert result.status == 403
    assert result.problem["detail"] == (
        "Din rolle giver ikke adgang til denne handling (this action needs one of the roles: admin, employee, "
        "national-admin)"
    )


def test_without_a_token_every_route_answers_401(api: ApiClient, seeded: Any) -> None:
    for method, path in (("GET", "/v1/municipalities"), ("GET", "/v1/municipalities/0751")):
        result = api.call(method, path)
        assert result.status == 401
        assert result.problem["detail"] == UNAUTHENTICATED
    patch = api.call("PATCH", "/v1/municipalities/0751", body={"enabled": False}, headers={"If-Match": '"2"'})
    assert patch.status == 401 and patch.problem["detail"] == UNAUTHENTICATED
    assert api.call("GET", "/v1/municipalities/0751", claims=NATIONAL_ADMIN).body["enabled"] is True


def test_an_unknown_municipality_is_404(api: ApiClient, seeded: Any) -> None:
    result = api.call("GET", "/v1/municipalities/9999", claims=NATIONAL_ADMIN)
    assert result.status == 404
    assert result.problem["detail"] == "Kommune 9999 findes ikke (no municipality with code 9999)"


def test_a_malformed_code_is_422(api: ApiClient, seeded: Any) -> None:
    result = api.call("GET", "/v1/municipalities/aarhus", claims=NATIONAL_ADMIN)
    assert result.status == 422
    assert result.problem["errors"] == [
        {
            "code": "invalid-format",
            "location": "path.code",
            "messageDa": "Værdien har et forkert format",
            "messageEn": "String should match pattern '^(\\d{4}|national)$'",
        }
    ]


class TestOnboarding:
    def test_national_admin_changes_settings_and_gets_the_new_etag(self, api: ApiClient, seeded: Any) -> None:
        current = api.call("GET", f"/v1/municipalities/{AARHUS}", claims=NATIONAL_ADMIN)
        result = api.call(
            "PATCH",
            f"/v1/municipalities/{AARHUS}",
            claims=NATIONAL_ADMIN,
            body={"senderName": "Sundhedscenter Aarhus", "reminderChannels": ["sms"]},
            headers={"If-Match": current.headers["ETag"]},
        )
        assert result.status == 200, result.body
        settings = result.body["settings"]
        assert (settings["displayName"], settings["senderName"], settings["reminderChannels"]) == (
            "Aarhus Kommune",
            "Sundhedscenter Aarhus",
            ["sms"],
        )
        assert settings["gracePeriodDays"] == 7 and settings["reminderPolicy"]["beforeDueHours"] == [24]
        assert result.body["version"] == current.body["version"] + 1
        assert result.headers["ETag"] == f'"{current.body["version"] + 1}"'
        assert result.body["updatedBy"] == NATIONAL_ADMIN["sub"]
        assert api.call("GET", f"/v1/municipalities/{AARHUS}", claims=NATIONAL_ADMIN).body == result.body

    def test_national_admin_sets_the_reminder_policy_and_grace_period(self, api: ApiClient, seeded: Any) -> None:
        etag = api.call("GET", f"/v1/municipalities/{AARHUS}", claims=NATIONAL_ADMIN).headers["ETag"]
        policy = {"beforeDueHours": [48, 4], "afterDueHours": [24], "maxReminders": 2, "quietHoursStart": "22:00:00"}
        result = api.call(
            "PATCH",
            f"/v1/municipalities/{AARHUS}",
            claims=NATIONAL_ADMIN,
            body={"reminderPolicy": policy, "gracePeriodDays": 3},
            headers={"If-Match": etag},
        )
        assert result.status == 200, result.body
        assert result.body["settings"]["gracePeriodDays"] == 3
        stored = api.call("GET", f"/v1/municipalities/{AARHUS}", claims=NATIONAL_ADMIN).body["settings"]
        assert stored["gracePeriodDays"] == 3
        assert stored["reminderPolicy"]["beforeDueHours"] == [48, 4] and stored["reminderPolicy"]["maxReminders"] == 2
        assert stored["reminderPolicy"]["quietHoursStart"] == "22:00:00"
        refused = api.call(
            "PATCH",
            f"/v1/municipalities/{AARHUS}",
            claims=NATIONAL_ADMIN,
            body={"reminderPolicy": {"maxReminders": 50}},
            headers={"If-Match": result.headers["ETag"]},
        )
        assert refused.status == 422
        assert refused.problem["errors"] == [
            {
                "code": "out-of-range",
                "location": "body.reminderPolicy.maxReminders",
                "messageDa": "Tallet må højst være 10",
                "messageEn": "Input should be less than or equal to 10",
            }
        ]

    def test_a_cpr_number_in_a_name_is_refused_with_its_own_type_and_never_echoed(
        self, api: ApiClient, seeded: Any
    ) -> None:
        result = api.call(
            "PATCH",
            f"/v1/municipalities/{AARHUS}",
            claims=NATIONAL_ADMIN,
            body={"senderName": "Kbh 111111-1118", "displayName": "Ring +45 20 30 40 50 før 2027-01-04"},
            headers={"If-Match": '"2"'},
        )
        assert result.status == 422
        assert result.problem["errors"] == [
            {
                "code": "contains-cpr",
                "location": "body.senderName",
                "messageDa": "Fjern CPR-nummeret fra feltet",
                "messageEn": "the field must not contain a CPR number",
            }
        ]
        assert "1118" not in str(result.problem)
        assert api.call("GET", f"/v1/municipalities/{AARHUS}", claims=NATIONAL_ADMIN).body["version"] == 2

    def test_a_municipality_may_show_questionnaire_titles_in_e_mails(self, api: ApiClient, seeded: Any) -> None:
        current = api.call("GET", f"/v1/municipalities/{AARHUS}", claims=NATIONAL_ADMIN)
        assert current.body["settings"]["emailShowsQuestionnaireTitle"] is False
        result = api.call(
            "PATCH",
            f"/v1/municipalities/{AARHUS}",
            claims=NATIONAL_ADMIN,
            body={"emailShowsQuestionnaireTitle": True},
            headers={"If-Match": current.headers["ETag"]},
        )
        assert result.status == 200, result.body
        stored = api.call("GET", f"/v1/municipalities/{AARHUS}", claims=NATIONAL_ADMIN).body["settings"]
        assert stored["emailShowsQuestionnaireTitle"] is True

    def test_a_stale_if_match_is_412_and_changes_nothing(self, api: ApiClient, seeded: Any) -> None:
        etag = api.call("GET", f"/v1/municipalities/{AARHUS}", claims=NATIONAL_ADMIN).headers["ETag"]
        first = api.call(
            "PATCH",
            f"/v1/municipalities/{AARHUS}",
            claims=NATIONAL_ADMIN,
            body={"displayName": "Først"},
            headers={"If-Match": etag},
        )
        second = api.call(
            "PATCH",
            f"/v1/municipalities/{AARHUS}",
            claims=NATIONAL_ADMIN,
            body={"displayName": "Sidst"},
            headers={"If-Match": etag},
        )
        assert (first.status, second.status) == (200, 412)
        assert second.problem["detail"] == (
            "Kommunen er ændret af en anden siden du læste den; hent den igen "
            "(the municipality changed since you read it; fetch it again)"
        )
        now = api.call("GET", f"/v1/municipalities/{AARHUS}", claims=NATIONAL_ADMIN).body
        assert now["settings"]["displayName"] == "Først"

    def test_a_write_without_if_match_is_428(self, api: ApiClient, seeded: Any) -> None:
        result = api.call("PATCH", f"/v1/municipalities/{AARHUS}", claims=NATIONAL_ADMIN, body={"enabled": False})
        assert result.status == 428
        assert result.problem["detail"] == (
            "Send If-Match med den ETag du sidst læste (send If-Match with the ETag you last read)"
        )
        assert api.call("GET", f"/v1/municipalities/{AARHUS}", claims=NATIONAL_ADMIN).body["enabled"] is True

    @pytest.mark.parametrize("role", [Role.ADMIN, Role.EMPLOYEE, Role.AUDITOR, Role.CITIZEN])
    def test_only_national_admin_changes_a_municipality(self, api: ApiClient, seeded: Any, role: Role) -> None:
        result = api.call(
            "PATCH",
            f"/v1/municipalities/{AARHUS}",
            claims=staff(role, AARHUS),
            body={"enabled": False},
            headers={"If-Match": '"2"'},
        )
        assert result.status == 403 and result.problem["detail"] == NATIONAL_ADMIN_ONLY
        assert api.call("GET", f"/v1/municipalities/{AARHUS}", claims=NATIONAL_ADMIN).body["enabled"] is True

    @pytest.mark.parametrize(
        ("body", "location"),
        [
            ({"enabled": "maybe"}, "body.enabled"),
            ({"reminderChannels": ["fax"]}, "body.reminderChannels.0"),
            ({"reminderChannels": ["sms", "sms"]}, "body.reminderChannels"),
            ({"senderName": ""}, "body.senderName"),
            ({"senderName": "x" * 101}, "body.senderName"),
            ({"region": "Sjælland"}, "body.region"),  # not editable: unknown field
            ({"senderName": "Kbh 111111-1118"}, "body.senderName"),  # a CPR number would reach every message
            ({"senderName": "Kbh 1111111118"}, "body.senderName"),
            ({"displayName": "Kbh 111111 1118"}, "body.displayName"),
            ({"senderName": "Lyngby–Taarbæk Kommune"}, "body.senderName"),  # an en dash makes every SMS UCS-2
            ({"senderName": "Sundhedscenter Nord, Aarhus Kommune"}, "body.senderName"),  # 35: the SMS would split
            ({"emailShowsQuestionnaireTitle": "maybe"}, "body.emailShowsQuestionnaireTitle"),
        ],
    )
    def test_invalid_bodies_are_422_naming_the_field(
        self, api: ApiClient, seeded: Any, body: dict[str, Any], location: str
    ) -> None:
        result = api.call(
            "PATCH", f"/v1/municipalities/{AARHUS}", claims=NATIONAL_ADMIN, body=body, headers={"If-Match": '"2"'}
        )
        assert result.status == 422
        assert result.problem["detail"] == INVALID_FIELDS
        assert [e["location"] for e in result.problem["errors"]] == [location]
        assert api.call("GET", f"/v1/municipalities/{AARHUS}", claims=NATIONAL_ADMIN).body["version"] == 2

    @pytest.mark.parametrize(
        ("raw", "content_type", "status", "detail"),
        [
            ('{"enabled": ', "application/json", 400, "Forespørgslen er ikke gyldig JSON (the body is not valid JSON)"),
            ("[1, 2]", "application/json", 422, INVALID_FIELDS),
            (
                "enabled=false",
                "application/x-www-form-urlencoded",
                415,
                "Send JSON med Content-Type: application/json (send the body as application/json)",
            ),
            (
                '{"displayName": "' + "x" * 300_000 + '"}',
                "application/json",
                413,
                "Forespørgslen er for stor (the request body exceeds 262144 bytes)",
            ),
        ],
        ids=["not-json", "not-an-object", "form", "too-large"],
    )
    def test_malformed_bodies_are_4xx_problems(
        self, api: ApiClient, seeded: Any, raw: str, content_type: str, status: int, detail: str
    ) -> None:
        result = api.call(
            "PATCH",
            f"/v1/municipalities/{AARHUS}",
            claims=NATIONAL_ADMIN,
            raw_body=raw,
            headers={"If-Match": '"2"', "Content-Type": content_type},
        )
        assert result.status == status
        assert (result.problem["status"], result.problem["detail"]) == (status, detail)
        assert api.call("GET", f"/v1/municipalities/{AARHUS}", claims=NATIONAL_ADMIN).body["version"] == 2


class TestDisabledMunicipality:
    @pytest.mark.parametrize("role", [Role.ADMIN, Role.EMPLOYEE])
    def test_staff_of_a_disabled_municipality_get_a_clear_403(self, api: ApiClient, seeded: Any, role: Role) -> None:
        result = api.call("GET", f"/v1/municipalities/{KOBENHAVN}", claims=staff(role, KOBENHAVN))
        assert result.status == 403
        assert result.problem["detail"] == (
            "Kommune 0101 er ikke aktiveret i Kommunal PRO endnu (municipality 0101 is not enabled)"
        )

    def test_enabling_lets_them_in_and_disabling_shuts_them_out(self, api: ApiClient, seeded: Any) -> None:
        nurse = staff(Role.EMPLOYEE, KOBENHAVN)
        _enable(api, KOBENHAVN)
        enabled = api.call("GET", f"/v1/municipalities/{KOBENHAVN}", claims=nurse)
        assert (enabled.status, enabled.body["name"], enabled.body["enabled"]) == (200, "København", True)
        etag = api.call("GET", f"/v1/municipalities/{KOBENHAVN}", claims=NATIONAL_ADMIN).headers["ETag"]
        disabled = api.call(
            "PATCH",
            f"/v1/municipalities/{KOBENHAVN}",
            claims=NATIONAL_ADMIN,
            body={"enabled": False},
            headers={"If-Match": etag},
        )
        assert (disabled.status, disabled.body["enabled"]) == (200, False), disabled.body
        refused = api.call("GET", f"/v1/municipalities/{KOBENHAVN}", claims=nurse)
        assert refused.status == 403
        assert refused.problem["detail"] == (
            "Kommune 0101 er ikke aktiveret i Kommunal PRO endnu (municipality 0101 is not enabled)"
        )

    def test_national_admin_still_reaches_a_disabled_municipality(self, api: ApiClient, seeded: Any) -> None:
        result = api.call("GET", f"/v1/municipalities/{KOBENHAVN}", claims=NATIONAL_ADMIN)
        assert (result.status, result.body["code"], result.body["enabled"]) == (200, KOBENHAVN, False)
