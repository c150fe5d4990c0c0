"""Registering and finding citizens (employee module), and matching a logged-in citizen to their records."""

from __future__ import annotations

import uuid

from kommunal_pro.audit import Access, AuditLog, default_audit_log
from kommunal_pro.auth import Principal
from kommunal_pro.citizens import cpr_vault
from kommunal_pro.citizens.models import (
    Citizen,
    CitizenRegistration,
    Consent,
    Preferences,
    StoredCitizen,
)
from kommunal_pro.citizens.repository import CitizenRepository, DuplicateCitizen
from kommunal_pro.clock import utc_now
from kommunal_pro.cpr import Cpr
from kommunal_pro.errors import Conflict, Forbidden
from kommunal_pro.organisations.service import MunicipalityService, not_enabled
from kommunal_pro.organisations.service import default_service as default_municipality_service
from kommunal_pro.storage.table import data_table


class CitizenService:
    def __init__(
        self,
        repository: CitizenRepository,
        municipalities: MunicipalityService,
        audit: AuditLog,
    ) -> None:
        self._repository = repository
        self._municipalities = municipalities
        self._audit = audit

    def register(self, principal: Principal, registration: CitizenRegistration) -> Citizen:
        tenant = principal.tenant
        cpr = Cpr(registration.cpr)
        now = utc_now()
        citizen = StoredCitizen(
            id=str(uuid.uuid4()),
            municipality=tenant,
            cpr_masked=cpr.masked,
            cpr_encrypted=cpr_vault.encrypt(cpr, tenant),
            cpr_hash=cpr_vault.lookup_hash(cpr),
            consent=Consent(given=registration.consent_to_digital_pro, recorded_at=now, recorded_by=principal.subject),
            created_at=now,
            created_by=principal.subject,
            **registration.model_dump(include={"name", "email", "mobile", "preferred_channel", "language"}),
        )
        registered = self._audit.event_put(principal, Access.CITIZEN_REGISTER, citizen.id, "/v1/citizens")
        try:
            self._repository.add(citizen, [registered])
        except DuplicateCitizen as duplicate:
            # The answer tells the caller who the citizen is: a look-up, audited on the existing record.
            self._audit.record(principal, Access.CITIZEN_REGISTER, duplicate.existing_id, "/v1/citizens", "refused")
            raise Conflict(
                "Borgeren er allerede registreret i kommunen (the citizen is already registered)",
                citizenId=duplicate.existing_id,
            ) from None
        return citizen.public()

    def own_records(self, principal: Principal) -> list[StoredCitizen]:
        """A logged-in citizen's records in every enabled municipality where they are registered."""
        if principal.cpr is None:
            raise Forbidden("Kun borgere har egne opgaver (only citizens have their own tasks)")
        records = self._repository.in_every_municipality(cpr_vault.lookup_hash(principal.cpr))
        enabled = self._municipalities.enabled_codes(sorted({r.municipality for r in records}))
        if records and not enabled:
            raise not_enabled(records[0].municipality)
        return [record for record in records if record.municipality in enabled]

    def set_preferences(self, principal: Principal, preferences: Preferences) -> Preferences:
        """The citizen's own choice, for their records in every municipality."""
        for record in self.own_records(principal):
            self._repository.set_reminders_opted_out(record.municipality, record.id, preferences.reminders_opted_out)
        return preferences


def default_citizen_service() -> CitizenService:
    return CitizenService(CitizenRepository(data_table()), default_municipality_service(), default_audit_log())
