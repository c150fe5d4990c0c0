"""The pre-token-generation trigger: federated users' roles come from their identity provider at every sign-in."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from infra.token_claims.handler import lambda_handler, override_groups, split_values

pytestmark = pytest.mark.xdist_group("infra")

ROLE_MAP = {
    "http://kommunalpro.dk/roles/usersystemrole/medarbejder/1": "employee",
    "http://kommunalpro.dk/roles/usersystemrole/administrator/1": "admin",
}


def _event(**attributes: str) -> dict[str, Any]:
    return {
        "version": "1",
        "triggerSource": "TokenGeneration_HostedAuth",
        "request": {"userAttributes": {"sub": "abc", **attributes}, "groupConfiguration": {"groupsToOverride": []}},
        "response": {"claimsOverrideDetails": None},
    }


def _federated(**attributes: str) -> dict[str, Any]:
    return _event(identities=json.dumps([{"providerName": "FK-Adgangsstyring", "providerType": "SAML"}]), **attributes)


@pytest.mark.parametrize(
    ("value", "values"),
    [(None, []), ("", []), ("a", ["a"]), ("a,b", ["a", "b"]), ("[a, b]", ["a", "b"]), ("[a b]", ["a", "b"])],
)
def test_multi_valued_attributes_are_split(value: str | None, values: list[str]) -> None:
    assert split_values(value) == values


def test_a_federated_staff_members_roles_are_translated_and_unknown_values_dropped() -> None:
    roles = "[http://kommunalpro.dk/roles/usersystemrole/medarbejder/1, http://other.dk/roles/x/1]"
    event = override_groups(_federated(**{"custom:roles": roles}), ROLE_MAP, [])

    assert event["response"]["claimsOverrideDetails"] == {
        "groupOverrideDetails": {"groupsToOverride": ["employee"]},
        "claimsToSuppress": ["custom:roles"],
    }


def test_a_federated_staff_member_without_a_known_role_gets_no_role() -> None:
    event = override_groups(_federated(**{"custom:roles": "http://other.dk/roles/x/1"}), ROLE_MAP, [])

    assert event["response"]["claimsOverrideDetails"]["groupOverrideDetails"] == {"groupsToOverride": []}


def test_every_federated_citizen_is_a_citizen() -> None:
    event = override_groups(_federated(**{"custom:cpr": "0101701234"}), {}, ["citizen"])

    assert event["response"]["claimsOverrideDetails"] == {
        "groupOverrideDetails": {"groupsToOverride": ["citizen"]},
        "claimsToSuppress": [],
    }


def test_a_native_user_keeps_the_groups_of_the_pool() -> None:
    event = _event(**{"custom:roles": "http://kommunalpro.dk/roles/usersystemrole/administrator/1"})

    assert override_groups(copy.deepcopy(event), ROLE_MAP, []) == event


def test_the_handler_reads_its_configuration_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLE_MAP", json.dumps(ROLE_MAP))
    monkeypatch.delenv("FIXED_GROUPS", raising=False)
    roles = "http://kommunalpro.dk/roles/usersystemrole/administrator/1"

    event = lambda_handler(_federated(**{"custom:roles": roles}), None)

    assert event["response"]["claimsOverrideDetails"]["groupOverrideDetails"]["groupsToOverride"] == ["admin"]
