"""Municipality onboarding: who may read and change a municipality, and the seed of all 98."""

from __future__ import annotations

import csv
from importlib import resources

from kommunal_pro.auth import Principal, Role
from kommunal_pro.clock import utc_now
from kommunal_pro.errors import Forbidden, NotFound, PreconditionFailed
from kommunal_pro.organisations.models import (
    Municipality,
    MunicipalityPatch,
    MunicipalitySettings,
    ReminderChannel,
)
from kommunal_pro.organisations.repository import MunicipalityRepository
from kommunal_pro.storage.pages import Page
from kommunal_pro.storage.table import ConditionFailed, data_table
from kommunal_pro.tenancy import NATIONAL

SEED_ACTOR = "system:seed"


class MunicipalityService:
    def __init__(self, repository: MunicipalityRepository) -> None:
        self._repository = repository

    def page(self, limit: int, cursor: str | None) -> Page[Municipality]:
        return self._repository.page(limit, cursor)

    def get(self, principal: Principal, code: str) -> Municipality:
        principal.require_municipality(code)
        municipality = self._repository.get(code)
        if municipality is None:
            raise NotFound(f"Kommune {code} findes ikke (no municipality with code {code})")
        return municipality

    def update(self, principal: Principal, code: str, patch: MunicipalityPatch, expected_version: int) -> Municipality:
        current = self.get(principal, code)
        settings = current.settings.model_copy(update=patch.model_dump(exclude={"enabled"}, exclude_none=True))
        changed = current.model_copy(
            update={
                "enabled": current.enabled if patch.enabled is None else patch.enabled,
                "settings": MunicipalitySettings.model_validate(settings.model_dump()),
                "version": expected_version + 1,
                "updated_at": utc_now(),
                "updated_by": principal.subject,
            }
        )
        try:
            self._repository.replace(changed, expected_version)
        except ConditionFailed:
            raise PreconditionFailed(
                "Kommunen er ændret af en anden siden du læste den; hent den igen "
                "(the municipality changed since you read it; fetch it again)"
            ) from None
        return changed

    def ensure_enabled(self, principal: Principal) -> None:
        """Staff of a municipality that is not (yet) enabled are turned away. A citizen may belong to
        several municipalities; their records are filtered by `enabled_codes` instead."""
        if Role.NATIONAL_ADMIN in principal.roles or principal.municipality is None:
            return
        if principal.municipality not in self.enabled_codes([principal.municipality]):
            raise not_enabled(principal.municipality)

    def get_settings(self, code: str) -> MunicipalitySettings:
        """A municipality's settings, for code paths acting on its behalf (not a staff read)."""
        municipality = self._repository.get(code)
        if municipality is None:
            raise NotFound(f"Kommune {code} findes ikke (no municipality with code {code})")
        return municipality.settings

    def enabled_codes(self, codes: list[str]) -> set[str]:
        return {code for code in codes if (m := self._repository.get(code)) is not None and m.enabled}


def not_enabled(code: str) -> Forbidden:
    return Forbidden(f"Kommune {code} er ikke aktiveret i Kommunal PRO endnu (municipality {code} is not enabled)")


def default_service() -> MunicipalityService:
    return MunicipalityService(MunicipalityRepository(data_table()))


def reference_municipalities() -> list[Municipality]:
    """The 98 municipalities from the reference list, not yet enabled, plus the national library."""
    now = utc_now()
    source = resources.files("kommunal_pro.organisations") / "data" / "municipalities.csv"
    with source.open(encoding="utf-8") as rows:
        municipalities = [
            Municipality(
                code=row["kommunekode"],
                name=row["navn"],
                region=row["region"],
                region_code=row["region_iso_3166_2"],
                enabled=False,
                settings=MunicipalitySettings(
                    display_name=f"{row['navn']} Kommune",
                    sender_name=f"{row['navn']} Kommune",
                    reminder_channels=[ReminderChannel.EMAIL, ReminderChannel.SMS],
                ),
                updated_at=now,
                updated_by=SEED_ACTOR,
            )
            for row in csv.DictReader(rows)
        ]
    national = Municipality(
        code=NATIONAL,
        name="Nationalt bibliotek",
        enabled=True,
        settings=MunicipalitySettings(
            display_name="Nationalt spørgeskemabibliotek", sender_name="Kommunal PRO", reminder_channels=[]
        ),
        updated_at=now,
        updated_by=SEED_ACTOR,
    )
    return [*municipalities, national]


def seed_municipalities(repository: MunicipalityRepository) -> int:
    """Add any reference municipality that is missing; never touches existing ones. Returns how many were added."""
    return sum(repository.add(m) for m in reference_municipalities())
