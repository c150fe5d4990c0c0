"""Staff reaching a citizen's data: within their municipality, within the units that care for the citizen where
the municipality asks for that, and always audited before anything is returned."""

from __future__ import annotations

from kommunal_pro.assignments.repository import AssignmentRepository
from kommunal_pro.audit import Access, AuditLog, default_audit_log
from kommunal_pro.auth import Principal
from kommunal_pro.citizens import cpr_vault
from kommunal_pro.citizens.models import Citizen, CprLookup, StoredCitizen
from kommunal_pro.citizens.repository import CitizenRepository
from kommunal_pro.cpr import Cpr
from kommunal_pro.errors import NotFound
from kommunal_pro.organisations.service import MunicipalityService
from kommunal_pro.organisations.service import default_service as default_municipality_service
from kommunal_pro.organisations.units import UnitService, default_unit_service
from kommunal_pro.storage.table import data_table


class CitizenAccess:
    def __init__(
        self,
        citizens: CitizenRepository,
        assignments: AssignmentRepository,
        municipalities: MunicipalityService,
        units: UnitService,
        audit: AuditLog,
    ) -> None:
        self._citizens = citizens
        self._assignments = assignments
        self._municipalities = municipalities
        self._units = units
        self._audit = audit

    def access(
        self, principal: Principal, citizen_id: str, action: Access, resource: str, *, unit_scoped: bool = True
    ) -> StoredCitizen:
        """A citizen of the caller's municipality, the access audited (a read: before anything is returned)."""
        citizen = self.find(principal, citizen_id, unit_scoped=unit_scoped)
        self._audit.record(principal, action, citizen.id, resource)
        return citizen

    def find(self, principal: Principal, citizen_id: str, *, unit_scoped: bool = True) -> StoredCitizen:
        """A citizen of the caller's municipality, not yet audited: for a change, which audits its outcome.
        Where the municipality limits staff to their own units' citizens, a citizen with no assignment in the
        caller's units is not found; assigning is not so limited, as that is how a citizen comes into a unit's
        care."""
        citizen = self._citizens.get(principal.tenant, citizen_id)
        if citizen is None or (unit_scoped and not self._in_callers_units(principal, citizen)):
            raise NotFound("Borgeren findes ikke (no such citizen)")
        return citizen

    def search(self, principal: Principal, lookup: CprLookup) -> Citizen:
        """Find a citizen of the caller's municipality by CPR; says nothing about other municipalities. Where
        staff see only their own units' citizens, one outside them is found (so care can start in the caller's
        unit) without their contact details."""
        tenant = principal.tenant
        citizen_id = self._citizens.id_by_hash(tenant, cpr_vault.lookup_hash(Cpr(lookup.cpr)))
        citizen = self._citizens.get(tenant, citizen_id) if citizen_id else None
        if citizen is None:
            raise NotFound("Ingen borger med dette CPR-nummer i kommunen (no citizen with this CPR number)")
        self._audit.record(principal, Access.CITIZEN_SEARCH, citizen.id, "/v1/citizens/search")
        found = citizen.public()
        return found if self._in_callers_units(principal, citizen) else found.without_contact_details()

    def unit_scope(self, principal: Principal) -> frozenset[str] | None:
        """The units whose records the caller may see; None where the municipality does not limit staff to
        their own units."""
        settings = self._municipalities.get(principal, principal.tenant).settings
        return self._units.staff_units(principal) if settings.unit_scoped_visibility else None

    def _in_callers_units(self, principal: Principal, citizen: StoredCitizen) -> bool:
        scope = self.unit_scope(principal)
        if scope is None:
            return True
        return any(a.unit_id in scope for a in self._assignments.assignments(citizen.municipality, citizen.id))


def default_citizen_access() -> CitizenAccess:
    table = data_table()
    return CitizenAccess(
        CitizenRepository(table),
        AssignmentRepository(table),
        default_municipality_service(),
        default_unit_service(),
        default_audit_log(),
    )
