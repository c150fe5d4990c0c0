"""GET /v1/municipalities/{code}/units and GET /v1/me/units through the real handler, after a real sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kommunal_pro.auth import Principal, Role
from kommunal_pro.organisations.repository import MunicipalityRepository
from kommunal_pro.organisations.service import reference_municipalities
from kommunal_pro.organisations.units import UnitRepository, UnitService
from local.orgsync import sync_folder
from tests.org_data import AARHUS, EMPLOYEE, NORD, NOW, PHYSIO, SUNDHED_OG_OMSORG, VEST, OrgFiles
from tests.support import ApiClient, staff

KOBENHAVN = "0101"


@pytest.fixture
def municipalities(table: Any) -> MunicipalityRepository:
    """Aarhus enabled and København not: all these routes need of the demo seed, and much faster."""
    repository = MunicipalityRepository(table)
    for municipality in reference_municipalities():
        if municipality.code in (AARHUS, KOBENHAVN):
            repository.add(municipality.model_copy(update={"enabled": municipality.code == AARHUS}))
    return repository


@pytest.fixture
def synced(municipalities: MunicipalityRepository) -> MunicipalityRepository:
    """Those municipalities and one sync of the demo organisation files."""
    assert not sync_folder(now=NOW).aborted
    return municipalities


def _tree_names(units: list[dict[str, Any]], parent: str | None = None, depth: int = 0) -> list[str]:
    """The listed units as an indented tree by `parentId`, children by name; an unlisted parent makes a root."""
    listed = {u["id"] for u in units}
    children = sorted(
        (u for u in units if (u["parentId"] if u["parentId"] in listed else None) == parent), key=lambda u: u["name"]
    )
    return [line for u in children for line in ["  " * depth + u["name"], *_tree_names(units, u["id"], depth + 1)]]


@pytest.mark.parametrize("role", [Role.NATIONAL_ADMIN, Role.ADMIN, Role.EMPLOYEE])
def test_staff_see_the_municipalitys_units_as_a_tree(api: ApiClient, synced: Any, role: Role) -> None:
    units, pages = api.every_page(f"/v1/municipalities/{AARHUS}/units", claims=staff(role, AARHUS), limit=2)

    assert pages == 3
    ids = [u["id"] for u in units]
    assert ids == sorted(set(ids))
    assert _tree_names(units) == [
        "Aarhus Kommune",
        "  Sundhed og Omsorg",
        "    Forebyggelse og Rehabilitering",
        "      Sundhedscenter Nord",
        "      Sundhedscenter Syd",
        "      Sundhedscenter Vest",
    ]
    sundhed = next(u for u in units if u["name"] == "Sundhed og Omsorg")
    assert {k: sundhed[k] for k in ("id", "sorCode", "unitType")} == {
        "id": SUNDHED_OG_OMSORG,
        "sorCode": "7141000016000",
        "unitType": "sundhedsforvaltning",
    }


def test_closed_units_leave_the_tree(api: ApiClient, synced: Any, tmp_path: Path) -> None:
    files = OrgFiles.demo(tmp_path)
    files.units.remove(files.unit(VEST))
    files.positions = [p for p in files.positions if p["unit_uuid"] != VEST]
    files.write()
    assert sync_folder(tmp_path, NOW).units.deactivated == 1

    # The closed unit is one of the four first by id: a page of 4 is still full, the filter reads on.
    first = api.call("GET", f"/v1/municipalities/{AARHUS}/units?limit=4", claims=staff(Role.EMPLOYEE, AARHUS))
    assert first.status == 200, first.body
    assert len(first.body["items"]) == 4 and first.body["nextCursor"]
    units, _ = api.every_page(f"/v1/municipalities/{AARHUS}/units", claims=staff(Role.EMPLOYEE, AARHUS), limit=4)
    assert VEST not in [u["id"] for u in units]
    assert _tree_names(units) == [
        "Aarhus Kommune",
        "  Sundhed og Omsorg",
        "    Forebyggelse og Rehabilitering",
        "      Sundhedscenter Nord",
        "      Sundhedscenter Syd",
    ]


def test_before_any_sync_a_municipality_has_no_units(api: ApiClient, municipalities: MunicipalityRepository) -> None:
    result = api.call("GET", f"/v1/municipalities/{AARHUS}/units", claims=staff(Role.ADMIN, AARHUS))
    assert (result.status, result.body) == (200, {"items": [], "nextCursor": None})


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EMPLOYEE])
def test_staff_of_another_municipality_are_refused(api: ApiClient, synced: MunicipalityRepository, role: Role) -> None:
    kobenhavn = synced.get(KOBENHAVN)
    assert kobenhavn is not None
    synced.replace(kobenhavn.model_copy(update={"enabled": True, "version": 2}), 1)

    result = api.call("GET", f"/v1/municipalities/{AARHUS}/units", claims=staff(role, KOBENHAVN))

    assert result.status == 403
    assert (
        result.problem["detail"] == "Du har kun adgang til din egen kommune (you can only access your own municipality)"
    )


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.CITIZEN])
def test_other_roles_cannot_list_units(api: ApiClient, synced: Any, role: Role) -> None:
    result = api.call("GET", f"/v1/municipalities/{AARHUS}/units", claims=staff(role, AARHUS))
    assert result.status == 403
    assert result.problem["detail"] == (
        "Din rolle giver ikke adgang til denne handling (this action needs one of the roles: admin, employee, "
        "national-admin)"
    )


def test_an_unknown_municipality(api: ApiClient, synced: Any) -> None:
    result = api.call("GET", "/v1/municipalities/9999/units", claims=staff(Role.NATIONAL_ADMIN))
    assert result.status == 404
    assert result.problem["detail"] == "Kommune 9999 findes ikke (no municipality with code 9999)"


def test_a_malformed_municipality_code(api: ApiClient, synced: Any) -> None:
    result = api.call("GET", "/v1/municipalities/aarhus/units", claims=staff(Role.NATIONAL_ADMIN))
    assert result.status == 422
    assert [(e["location"], e["code"]) for e in result.problem["errors"]] == [("path.code", "invalid-format")]


def test_an_employee_sees_their_synced_units_and_positions(api: ApiClient, synced: Any) -> None:
    result = api.call("GET", "/v1/me/units", claims=staff(Role.EMPLOYEE, AARHUS))

    assert result.status == 200
    assert result.body == {
        "source": "organisation",
        "units": [{"id": NORD, "name": "Sundhedscenter Nord", "active": True, "positions": ["Sygeplejerske"]}],
    }


def test_an_admin_sees_their_synced_unit(api: ApiClient, synced: Any) -> None:
    result = api.call("GET", "/v1/me/units", claims=staff(Role.ADMIN, AARHUS))
    assert (result.status, result.body["source"]) == (200, "organisation"), result.body
    assert [(u["name"], u["positions"]) for u in result.body["units"]] == [
        ("Sundhed og Omsorg", ["Systemadministrator"])
    ]


def test_without_synced_membership_the_tokens_units_are_used(api: ApiClient, synced: Any) -> None:
    newcomer = staff(Role.EMPLOYEE, AARHUS, subject="7d1c0f3e-2b4a-4c5d-8e6f-0a1b2c3d4e5f", units=[NORD, "team-x"])

    result = api.call("GET", "/v1/me/units", claims=newcomer)

    assert result.status == 200, result.body
    assert result.body == {
        "source": "token",
        "units": [
            {"id": NORD, "name": "Sundhedscenter Nord", "active": True, "positions": []},
            {"id": "team-x", "name": None, "active": None, "positions": []},
        ],
    }


def test_before_any_sync_the_tokens_units_are_used(api: ApiClient, municipalities: MunicipalityRepository) -> None:
    result = api.call("GET", "/v1/me/units", claims=staff(Role.EMPLOYEE, AARHUS))
    assert result.status == 200, result.body
    assert result.body["source"] == "token" and [u["id"] for u in result.body["units"]] == [NORD]


def test_an_auditor_without_units_gets_an_empty_list(api: ApiClient, synced: Any) -> None:
    result = api.call("GET", "/v1/me/units", claims=staff(Role.AUDITOR, AARHUS))
    assert (result.status, result.body) == (200, {"source": "token", "units": []})


_MUNICIPAL_STAFF_ONLY = (
    "Din rolle giver ikke adgang til denne handling (this action needs one of the roles: admin, auditor, employee)"
)


@pytest.mark.parametrize(
    ("claims", "status", "detail"),
    [
        (staff(Role.CITIZEN), 403, _MUNICIPAL_STAFF_ONLY),
        (staff(Role.NATIONAL_ADMIN), 403, _MUNICIPAL_STAFF_ONLY),
        (None, 401, "Du skal være logget ind (a valid bearer token is required)"),
    ],
    ids=["citizen", "national-admin", "no-token"],
)
def test_only_municipal_staff_have_units(
    api: ApiClient, synced: Any, claims: dict[str, Any] | None, status: int, detail: str
) -> None:
    result = api.call("GET", "/v1/me/units", claims=claims)
    assert (result.status, result.problem["detail"]) == (status, detail)


def test_staff_act_for_their_synced_units_and_for_their_token_units_only_until_the_sync_knows_them(
    synced: Any, table: Any
) -> None:
    units = UnitService(UnitRepository(table))

    def principal(municipality: str, subject: str) -> Principal:
        return Principal(
            subject=subject, municipality=municipality, roles=frozenset({Role.EMPLOYEE}), units=("token-unit",)
        )

    assert units.staff_units(principal(AARHUS, EMPLOYEE)) == {NORD}
    assert units.staff_units(principal(AARHUS, PHYSIO)) == {NORD}
    assert units.staff_units(principal(AARHUS, "someone-else")) == {"token-unit"}
    assert units.staff_units(principal(KOBENHAVN, EMPLOYEE)) == {"token-unit"}


def test_national_admins_read_the_sync_runs_newest_first_and_no_one_else_does(api: ApiClient, synced: Any) -> None:
    assert not sync_folder(now=NOW).aborted  # a second night with nothing new

    runs = api.call("GET", "/v1/org-sync/runs", claims=staff(Role.NATIONAL_ADMIN)).body

    assert runs["nextCursor"] is None and len(runs["items"]) == 2
    latest, first = runs["items"]
    assert latest["startedAt"] > first["startedAt"] and latest["asOf"] == first["asOf"] == "2026-03-02"
    assert (first["units"]["created"], latest["units"]["created"], latest["units"]["unchanged"]) == (6, 0, 6)
    refused = api.call("GET", "/v1/org-sync/runs", claims=staff(Role.ADMIN, AARHUS))
    assert refused.status == 403 and "national-admin" in refused.problem["detail"]
