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


def _enable(api: ApiClient, code: str) -> None:
    etag = api.call("GET", f"/v1/municipalities/{code}", claims=NATIONAL_ADMIN).headers["ETag"]
    assert (
        api.call(
            "PATCH",
            f"/v1/municipalities/{code}",
            claims=NATIONAL_ADMIN,
            body={"enabled": True},
            headers={"If-Match": etag},
        ).status
        == 200
    )


def test_seed_adds_98_municipalities_and_the_national_library_once(seeded: Any) -> None:
    repository = MunicipalityRepository(seeded)
    assert len(repository.list_all()) == 98
    assert repository.get("national") is not None
    regions = Counter(m.region for m in repository.list_all())
    assert regions == {"Hovedstaden": 29, "Sjælland": 17, "Midtjylland": 19, "Syddanmark": 22, "Nordjylland": 11}
    assert seed_municipalities(repository) == 0  # a second run adds nothing


def test_national_admin_lists_every_municipality_in_code_order(api: ApiClient, seeded: Any) -> None:
    result = api.call("GET", "/v1/municipalities", claims=NATIONAL_ADMIN)
    assert result.status == 200
    codes = [m["code"] for m in result.body]
    assert len(codes) == 98 and codes == sorted(codes)
    aarhus = next(m for m in result.body if m["code"] == AARHUS)
    assert aarhus["enabled"] is True and aarhus["region"] == "Midtjylland"
    assert aarhus["settings"]["reminderChannels"] == ["email", "sms"]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EMPLOYEE, Role.AUDITOR, Role.CITIZEN])
def test_only_national_admin_lists_municipalities(api: ApiClient, seeded: Any, role: Role) -> None:
    result = api.call("GET", "/v1/municipalities", claims=staff(role, AARHUS))
    assert result.status == 403
    assert "national-admin" in result.problem["detail"]


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
    assert "egen kommune" in result.problem["detail"]


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.AUDITOR])
def test_other_roles_cannot_read_a_municipality(api: ApiClient, seeded: Any, role: Role) -> None:
    assert api.call("GET", f"/v1/municipalities/{AARHUS}", claims=staff(role, AARHUS)).status == 403


def test_without_a_token_every_route_answers_401(api: ApiClient, seeded: Any) -> None:
    for method, path in (("GET", "/v1/municipalities"), ("GET", "/v1/municipalities/0751")):
        result = api.call(method, path)
        assert result.status == 401
        assert result.headers["Content-Type"] == "application/problem+json"
    patch = api.call("PATCH", "/v1/municipalities/0751", body={"enabled": False}, headers={"If-Match": '"2"'})
    assert patch.status == 401


def test_an_unknown_municipality_is_404(api: ApiClient, seeded: Any) -> None:
    result = api.call("GET", "/v1/municipalities/9999", claims=NATIONAL_ADMIN)
    assert result.status == 404
    assert "9999" in result.problem["detail"]


def test_a_malformed_code_is_422(api: ApiClient, seeded: Any) -> None:
    result = api.call("GET", "/v1/municipalities/aarhus", claims=NATIONAL_ADMIN)
    assert result.status == 422
    assert result.problem["errors"][0]["location"] == "path.code"


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
        assert result.status == 200
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
        assert result.status == 200
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
        assert refused.status == 422 and refused.problem["errors"][0]["location"] == "body.reminderPolicy.maxReminders"

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
        assert "fetch it again" in second.problem["detail"]
        now = api.call("GET", f"/v1/municipalities/{AARHUS}", claims=NATIONAL_ADMIN).body
        assert now["settings"]["displayName"] == "Først"

    def test_a_write_without_if_match_is_428(self, api: ApiClient, seeded: Any) -> None:
        result = api.call("PATCH", f"/v1/municipalities/{AARHUS}", claims=NATIONAL_ADMIN, body={"enabled": False})
        assert result.status == 428

    @pytest.mark.parametrize("role", [Role.ADMIN, Role.EMPLOYEE, Role.AUDITOR, Role.CITIZEN])
    def test_only_national_admin_changes_a_municipality(self, api: ApiClient, seeded: Any, role: Role) -> None:
        result = api.call(
            "PATCH",
            f"/v1/municipalities/{AARHUS}",
            claims=staff(role, AARHUS),
            body={"enabled": False},
            headers={"If-Match": '"2"'},
        )
        assert result.status == 403

    @pytest.mark.parametrize(
        ("body", "location"),
        [
            ({"enabled": "maybe"}, "body.enabled"),
            ({"reminderChannels": ["fax"]}, "body.reminderChannels.0"),
            ({"reminderChannels": ["sms", "sms"]}, "body.reminderChannels"),
            ({"senderName": ""}, "body.senderName"),
            ({"senderName": "x" * 101}, "body.senderName"),
            ({"region": "Sjælland"}, "body.region"),  # not editable: unknown field
        ],
    )
    def test_invalid_bodies_are_422_naming_the_field(
        self, api: ApiClient, seeded: Any, body: dict, location: str
    ) -> None:
        result = api.call(
            "PATCH", f"/v1/municipalities/{AARHUS}", claims=NATIONAL_ADMIN, body=body, headers={"If-Match": '"2"'}
        )
        assert result.status == 422
        assert location in [e["location"] for e in result.problem["errors"]]
        assert api.call("GET", f"/v1/municipalities/{AARHUS}", claims=NATIONAL_ADMIN).body["version"] == 2

    @pytest.mark.parametrize(
        ("raw", "content_type", "status"),
        [
            ('{"enabled": ', "application/json", 400),
            ("[1, 2]", "application/json", 422),
            ("enabled=false", "application/x-www-form-urlencoded", 415),
            ('{"displayName": "' + "x" * 300_000 + '"}', "application/json", 413),
        ],
    )
    def test_malformed_bodies_are_4xx_problems(
        self, api: ApiClient, seeded: Any, raw: str, content_type: str, status: int
    ) -> None:
        result = api.call(
            "PATCH",
            f"/v1/municipalities/{AARHUS}",
            claims=NATIONAL_ADMIN,
            raw_body=raw,
            headers={"If-Match": '"2"', "Content-Type": content_type},
        )
        assert result.status == status
        assert result.problem["status"] == status and result.problem["detail"]


class TestDisabledMunicipality:
    @pytest.mark.parametrize("role", [Role.ADMIN, Role.EMPLOYEE])
    def test_staff_of_a_disabled_municipality_get_a_clear_403(self, api: ApiClient, seeded: Any, role: Role) -> None:
        result = api.call("GET", f"/v1/municipalities/{KOBENHAVN}", claims=staff(role, KOBENHAVN))
        assert result.status == 403
        assert "ikke aktiveret" in result.problem["detail"] and "not enabled" in result.problem["detail"]

    def test_enabling_lets_them_in_and_disabling_shuts_them_out(self, api: ApiClient, seeded: Any) -> None:
        nurse = staff(Role.EMPLOYEE, KOBENHAVN)
        _enable(api, KOBENHAVN)
        assert api.call("GET", f"/v1/municipalities/{KOBENHAVN}", claims=nurse).status == 200
        etag = api.call("GET", f"/v1/municipalities/{KOBENHAVN}", claims=NATIONAL_ADMIN).headers["ETag"]
        api.call(
            "PATCH",
            f"/v1/municipalities/{KOBENHAVN}",
            claims=NATIONAL_ADMIN,
            body={"enabled": False},
            headers={"If-Match": etag},
        )
        assert api.call("GET", f"/v1/municipalities/{KOBENHAVN}", claims=nurse).status == 403

    def test_national_admin_still_reaches_a_disabled_municipality(self, api: ApiClient, seeded: Any) -> None:
        assert api.call("GET", f"/v1/municipalities/{KOBENHAVN}", claims=NATIONAL_ADMIN).status == 200
