"""The verified caller, built from the claims API Gateway's Cognito authorizer delivers.

API Gateway hands every claim to Lambda as a string: a list claim such as `cognito:groups` arrives as
"a,b" or "[a b]". Roles are Cognito groups; the municipality and org units are custom attributes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from kommunal_pro.cpr import Cpr, InvalidCpr
from kommunal_pro.errors import NOT_SIGNED_IN, Forbidden, Unauthenticated
from kommunal_pro.tenancy import NATIONAL, Tenant

CLAIM_ROLES = "cognito:groups"
CLAIM_MUNICIPALITY = "custom:municipality"
CLAIM_UNITS = "custom:units"
CLAIM_NAME = "name"
CLAIM_CPR = "custom:cpr"  # citizens only: from MitID via the citizen identity broker


class Role(StrEnum):
    NATIONAL_ADMIN = "national-admin"
    ADMIN = "admin"
    EMPLOYEE = "employee"
    CITIZEN = "citizen"
    AUDITOR = "auditor"


STAFF_ROLES = frozenset({Role.ADMIN, Role.EMPLOYEE, Role.AUDITOR})


class Principal(BaseModel):
    """Staff carry their municipality; a citizen carries their CPR number instead (masked when printed)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    subject: str
    municipality: Tenant | None
    roles: frozenset[Role]
    units: tuple[str, ...] = ()
    name: str | None = None
    cpr: Cpr | None = None

    @property
    def is_citizen(self) -> bool:
        return self.roles == {Role.CITIZEN}

    @property
    def tenant(self) -> str:
        """The tenant the caller acts for: their municipality, or the national library for national admins.
        Citizens have none (their records are found through their CPR number), so asking is a 403."""
        if self.municipality is None:
            raise Forbidden("Kun kommunens medarbejdere har adgang til denne handling (only staff can do this)")
        return self.municipality

    def require_role(self, accepted: frozenset[Role]) -> None:
        if not self.roles & accepted:
            raise Forbidden(
                "Din rolle giver ikke adgang til denne handling "
                f"(this action needs one of the roles: {', '.join(sorted(accepted))})"
            )

    def require_municipality(self, code: str) -> None:
        """Staff act only within their own municipality; national admins act everywhere."""
        if Role.NATIONAL_ADMIN not in self.roles and self.municipality != code:
            raise Forbidden("Du har kun adgang til din egen kommune (you can only access your own municipality)")


def split_claim(value: Any) -> list[str]:
    """A multi-valued claim as API Gateway delivers it ("a,b", "[a b]", a list, or empty)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v)]
    return [part for part in re.split(r"[,\s]+", str(value).strip().strip("[]")) if part]


def principal_from_event(event: Mapping[str, Any]) -> Principal:
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims") or {}
    subject = claims.get("sub")
    if not subject:
        raise Unauthenticated(NOT_SIGNED_IN)
    roles = {Role(r) for r in split_claim(claims.get(CLAIM_ROLES)) if r in Role._value2member_map_}
    if roles == {Role.CITIZEN}:
        return _citizen(subject, claims)
    # National admins act for the national library, whatever else their token says.
    municipality = NATIONAL if Role.NATIONAL_ADMIN in roles else claims.get(CLAIM_MUNICIPALITY)
    if not roles or not municipality or Role.CITIZEN in roles:
        raise Forbidden("Dit login mangler rolle eller kommune (the token carries no valid role or municipality)")
    if municipality == NATIONAL and Role.NATIONAL_ADMIN not in roles:
        # The national library is a tenant only national admins act for: not a municipality staff belong to.
        raise Forbidden("Dit login har en ugyldig kommunekode (the token's municipality is not valid)")
    try:
        return Principal(
            subject=subject,
            municipality=municipality,
            roles=frozenset(roles),
            units=tuple(split_claim(claims.get(CLAIM_UNITS))),
            name=claims.get(CLAIM_NAME),
        )
    except ValidationError:
        raise Forbidden("Dit login har en ugyldig kommunekode (the token's municipality is not valid)") from None


def _citizen(subject: str, claims: Mapping[str, Any]) -> Principal:
    try:
        cpr = Cpr(claims.get(CLAIM_CPR) or "")
    except InvalidCpr:
        raise Forbidden("Dit login mangler et gyldigt CPR-nummer (the citizen token has no valid CPR claim)") from None
    return Principal(
        subject=subject, municipality=None, roles=frozenset({Role.CITIZEN}), cpr=cpr, name=claims.get(CLAIM_NAME)
    )
