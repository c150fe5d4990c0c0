"""Tenants: a municipality (its 4-digit kommunekode) or the national library. Every storage key starts
with one, so one tenant's items can never be reached through another's keys."""

from typing import Annotated

from pydantic import StringConstraints

NATIONAL = "national"
MUNICIPALITY_CODE = r"\d{4}"

Tenant = Annotated[str, StringConstraints(pattern=rf"^({MUNICIPALITY_CODE}|{NATIONAL})$")]
MunicipalityCode = Annotated[str, StringConstraints(pattern=rf"^{MUNICIPALITY_CODE}$")]
