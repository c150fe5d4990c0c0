"""Staff reaching a citizen's data: within their municipality, within the units that care for the citizen where
the municipality asks for that, and always audited before anything is returned."""

from __future__ import annotations

from kommunal_pro.assignments.repository import AssignmentRepository
from kommunal_pro.audit import Access, AuditLog, default_audit_log
from kommunal_pro.auth import Principal
from kommunal_pro.citizens.models import StoredCitizen
from kommunal_pro.citizens.repository import CitizenRepository
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
        """A citizen of the caller's municipality, the access audited. Where the municipality limits staff
        to their own units' citizens, a citizen with no assignment in the caller's units is not found;
        assigning is not so limited, as that is how a citizen comes into a unit's care."""
        citizen = self._citizens.get(principal.tenant, citizen_id)
        if citizen is None or (unit_scoped and not self._in_callers_units(principal, citizen)):
            raise NotFound("Borgeren findes ikke (no such citizen)")
        self._audit.record(principal, action, citizen.id, resource)
        return citizen

    def _in_callers_units(self, principal: Principal, citizen: StoredCitizen) -> bool:
        settings = self._municipalities.get(principal, citizen.municipality).settings
        if not settings.unit_scoped_visibility:
            return True
        units = {a.unit_id for a in self._assignments.assignments(citizen.municipality, citizen.id)}
        return bool(units & self._units.staff_units(principal))


def default_citizen_access() -> CitizenAccess:
    table = data_table()
    return CitizenAccess(
        CitizenRepository(table),
        AssignmentRepository(table),
        default_municipality_service(),
        default_unit_service(),
        default_audit_log(),
    )
