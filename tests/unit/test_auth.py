from typing import Any

import pytest

from kommunal_pro.auth import Principal, Role, principal_from_event, split_claim
from kommunal_pro.errors import Forbidden, Unauthenticated
from local.apigateway import proxy_event


def _event(claims: dict[str, Any] | None) -> dict[str, Any]:
    return proxy_event("GET", "/v1/municipalities", resource="/v1/municipalities", claims=claims)


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("admin,employee", ["admin", "employee"]),
        ("[admin employee]", ["admin", "employee"]),
        ("employee", ["employee"]),
        (["admin"], ["admin"]),
        ("", []),
        (None, []),
    ],
)
def test_multi_valued_claims_in_every_shape_api_gateway_delivers(raw: object, parsed: list[str]) -> None:
    assert split_claim(raw) == parsed


def test_principal_from_cognito_claims_as_strings() -> None:
    principal = principal_from_event(
        _event(
            {
                "sub": "5f0c-staff",
                "cognito:groups": "[employee auditor]",
                "custom:municipality": "0751",
                "custom:units": "unit-a,unit-b",
                "name": "Sygeplejerske Hansen",
            }
        )
    )
    assert principal == Principal(
        subject="5f0c-staff",
        municipality="0751",
        roles=frozenset({Role.EMPLOYEE, Role.AUDITOR}),
        units=("unit-a", "unit-b"),
        name="Sygeplejerske Hansen",
    )


def test_national_admin_needs_no_municipality() -> None:
    principal = principal_from_event(_event({"sub": "n1", "cognito:groups": "national-admin"}))
    assert principal.municipality == "national"


def test_no_claims_is_unauthenticated() -> None:
    with pytest.raises(Unauthenticated):
        principal_from_event(_event(None))


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "x", "custom:municipality": "0751"},  # no role
        {"sub": "x", "cognito:groups": "superuser", "custom:municipality": "0751"},  # unknown role only
        {"sub": "x", "cognito:groups": "employee"},  # staff without municipality
    ],
)
def test_claims_without_a_known_role_or_municipality_are_forbidden(claims: dict[str, Any]) -> None:
    with pytest.raises(Forbidden):
        principal_from_event(_event(claims))


def test_a_malformed_municipality_claim_is_forbidden() -> None:
    with pytest.raises(Forbidden, match="municipality is not valid"):
        principal_from_event(_event({"sub": "x", "cognito:groups": "employee", "custom:municipality": "751"}))


def test_role_and_municipality_checks() -> None:
    nurse = Principal(subject="s", municipality="0751", roles=frozenset({Role.EMPLOYEE}))
    nurse.require_role(frozenset({Role.EMPLOYEE, Role.ADMIN}))
    nurse.require_municipality("0751")
    with pytest.raises(Forbidden):
        nurse.require_role(frozenset({Role.NATIONAL_ADMIN}))
    with pytest.raises(Forbidden):
        nurse.require_municipality("0101")
    national = Principal(subject="n", municipality="national", roles=frozenset({Role.NATIONAL_ADMIN}))
    national.require_municipality("0101")


def test_a_national_admin_acts_for_the_national_library_whatever_the_token_says() -> None:
    claims = {"sub": "n1", "cognito:groups": "national-admin", "custom:municipality": "0751"}

    assert principal_from_event(_event(claims)).tenant == "national"


def test_staff_act_for_their_municipality_and_a_citizen_has_no_tenant() -> None:
    staff = principal_from_event(_event({"sub": "s1", "cognito:groups": "employee", "custom:municipality": "0751"}))
    citizen = principal_from_event(_event({"sub": "c1", "cognito:groups": "citizen", "custom:cpr": "0703654286"}))

    assert staff.tenant == "0751"
    with pytest.raises(Forbidden, match=r"only staff can do this"):
        _ = citizen.tenant


@pytest.mark.parametrize("role", ["admin", "employee", "auditor"])
def test_staff_whose_token_names_the_national_library_are_refused(role: str) -> None:
    claims = {"sub": "s1", "cognito:groups": role, "custom:municipality": "national"}

    with pytest.raises(Forbidden, match=r"the token's municipality is not valid"):
        principal_from_event(_event(claims))
