"""Cognito pre-token-generation trigger: a federated user's groups (the platform's roles) come from the identity
provider at every sign-in and token refresh, never from group membership administered by hand.

- Staff pool: the role values the identity provider sends (mapped to `custom:roles`) are translated with
  ROLE_MAP (JSON: provider value -> platform role) into the token's `cognito:groups`; unknown values are
  dropped, so a user without a known role gets a token with no role, which the API answers with 403.
- Citizen pool: every federated user is a citizen (FIXED_GROUPS=citizen).
- Native users (the test environment's testers; no `identities` attribute) keep the groups of the pool.

Standard library only, so it runs without the shared layer. It never logs the event: a citizen's carries a
CPR number.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

ROLES_ATTRIBUTE = "custom:roles"


def split_values(value: str | None) -> list[str]:
    """A multi-valued attribute as Cognito stores a mapped SAML attribute: "a", "a,b" or "[a, b]"."""
    if not value:
        return []
    return [part for part in re.split(r"[,\s]+", value.strip().strip("[]")) if part]


def groups_for(attributes: Mapping[str, str], role_map: Mapping[str, str], fixed_groups: list[str]) -> list[str]:
    if fixed_groups:
        return list(fixed_groups)
    return sorted({role_map[value] for value in split_values(attributes.get(ROLES_ATTRIBUTE)) if value in role_map})


def override_groups(event: dict[str, Any], role_map: Mapping[str, str], fixed_groups: list[str]) -> dict[str, Any]:
    attributes = event.get("request", {}).get("userAttributes") or {}
    if "identities" not in attributes:
        return event
    response = event.setdefault("response", {})
    response["claimsOverrideDetails"] = {
        "groupOverrideDetails": {"groupsToOverride": groups_for(attributes, role_map, fixed_groups)},
        # The raw provider values are translated above; the token carries only the platform's roles.
        "claimsToSuppress": [ROLES_ATTRIBUTE] if ROLES_ATTRIBUTE in attributes else [],
    }
    return event


def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    role_map = json.loads(os.environ.get("ROLE_MAP") or "{}")
    fixed_groups = split_values(os.environ.get("FIXED_GROUPS"))
    return override_groups(event, role_map, fixed_groups)
