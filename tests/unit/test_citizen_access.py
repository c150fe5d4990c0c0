"""Staff access to a citizen, with the services it is given replaced by in-memory fakes: no AWS at all, which is
what passing repositories and services in (rather than reaching for the table) buys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kommunal_pro.assignments.access import CitizenAccess
from kommunal_pro.assignments.models import Assignment
from kommunal_pro.assignments.repository import AssignmentRepository
from kommunal_pro.assignments.schedule import OnceSchedule
from kommunal_pro.audit import Access, AuditEvent, AuditLog, Outcome
from kommunal_pro.auth import Principal, Role
from kommunal_pro.citizens.models import Consent, StoredCitizen
from kommunal_pro.citizens.repository import CitizenRepository
from kommunal_pro.errors import NotFound
from kommunal_pro.organisations.models import Municipality, MunicipalitySettings
from kommunal_pro.organisations.repository import MunicipalityRepository
from kommunal_pro.organisations.service import MunicipalityService
from kommunal_pro.organisations.units import StaffMembership, UnitRepository, UnitService
from kommunal_pro.questionnaires.model import Text
from kommunal_pro.questionnaires.versions import VersionRef

AARHUS = "0751"
NORD, SYD = "sundhedscenter-nord", "sundhedscenter-syd"
NOW = datetime(2027, 1, 4, 9, tzinfo=UTC)
HANNE = StoredCitizen(
    id="hanne",
    municipality=AARHUS,
    name="Hanne Jensen",
    cpr_masked="070365-xxxx",
    email="hanne@example.dk",
    mobile=None,
    preferred_channel=None,
    language="da",
    consent=Consent(given=True, recorded_at=NOW, recorded_by="nurse_nord"),
    created_at=NOW,
    created_by="nurse_nord",
    cpr_encrypted="(ciphertext)",
    cpr_hash="(hmac)",
)


def _who5_in(unit: str) -> Assignment:
    return Assignment(
        id=f"who5-{unit}",
        municipality=AARHUS,
        citizen_id=HANNE.id,
        questionnaire=VersionRef(tenant="national", questionnaire_id="who-5", version=1),
        questionnaire_title=Text(da="WHO-5 Trivselsindeks"),
        unit_id=unit,
        course=None,
        schedule=OnceSchedule(opens_at=NOW, due_at=NOW + timedelta(days=3)),
        reminder_policy=None,
        created_at=NOW,
        created_by="nurse_nord",
    )


class Citizens(CitizenRepository):
    def __init__(self, *citizens: StoredCitizen) -> None:
        self._citizens = {(c.municipality, c.id): c for c in citizens}

    def get(self, tenant: str, citizen_id: str) -> StoredCitizen | None:
        return self._citizens.get((tenant, citizen_id))


class Assignments(AssignmentRepository):
    def __init__(self, units_of_citizen: dict[str, list[str]]) -> None:
        self._units = units_of_citizen

    def assignments(self, tenant: str, citizen_id: str) -> list[Assignment]:
        return [_who5_in(unit) for unit in self._units.get(citizen_id, [])]


class Municipalities(MunicipalityRepository):
    def __init__(self, unit_scoped: bool) -> None:
        settings = MunicipalitySettings(
            display_name="Aarhus Kommune", sender_name="Aarhus Kommune", reminder_channels=[]
        )
        self._aarhus = Municipality(
            code=AARHUS,
            name="Aarhus",
            enabled=True,
            settings=settings.model_copy(update={"unit_scoped_visibility": unit_scoped}),
            updated_at=NOW,
            updated_by="test",
        )

    def get(self, code: str) -> Municipality | None:
        return self._aarhus if code == AARHUS else None


class Memberships(UnitRepository):
    def __init__(self, **units_of_staff: str) -> None:
        self._units = units_of_staff

    def memberships_of(self, tenant: str, subject: str) -> list[StaffMembership]:
        unit = self._units.get(subject)
        return [StaffMembership(municipality=tenant, subject=subject, unit_id=unit, updated_at=NOW)] if unit else []


class Audit(AuditLog):
    def __init__(self) -> None:
        self.recorded: list[tuple[str, Access, str]] = []

    def record(
        self, principal: Principal, action: Access, citizen_id: str, resource: str, outcome: Outcome = "done"
    ) -> AuditEvent:
        self.recorded.append((principal.subject, action, citizen_id))
        return AuditEvent(
            id=str(len(self.recorded)),
            municipality=principal.tenant,
            at=NOW,
            actor=principal.subject,
            actor_name=None,
            actor_units=[],
            action=action,
            purpose=action.purpose,
            citizen_id=citizen_id,
            resource=resource,
            outcome=outcome,
        )


def _access(unit_scoped: bool, audit: Audit) -> CitizenAccess:
    return CitizenAccess(
        Citizens(HANNE),
        Assignments({"hanne": [NORD]}),
        MunicipalityService(Municipalities(unit_scoped)),
        UnitService(Memberships(nurse_nord=NORD, nurse_syd=SYD)),
        audit,
    )


def _nurse(subject: str) -> Principal:
    return Principal(subject=subject, municipality=AARHUS, roles=frozenset({Role.EMPLOYEE}))


def test_a_nurse_of_a_unit_caring_for_the_citizen_reads_them_and_the_read_is_audited() -> None:
    audit = Audit()

    citizen = _access(unit_scoped=True, audit=audit).access(_nurse("nurse_nord"), "hanne", Access.CITIZEN_READ, "/x")

    assert citizen.name == "Hanne Jensen"
    assert audit.recorded == [("nurse_nord", Access.CITIZEN_READ, "hanne")]


def test_where_visibility_is_unit_scoped_another_units_nurse_finds_no_one_and_nothing_is_audited() -> None:
    audit = Audit()

    with pytest.raises(NotFound, match="no such citizen"):
        _access(unit_scoped=True, audit=audit).access(_nurse("nurse_syd"), "hanne", Access.CITIZEN_READ, "/x")
    assert audit.recorded == []


@pytest.mark.parametrize(("unit_scoped", "unit_scoped_call"), [(False, True), (True, False)])
def test_another_units_nurse_reads_the_citizen_where_visibility_is_not_unit_scoped_or_when_assigning(
    unit_scoped: bool, unit_scoped_call: bool
) -> None:
    audit = Audit()
    access = _access(unit_scoped=unit_scoped, audit=audit)

    citizen = access.access(_nurse("nurse_syd"), "hanne", Access.ASSIGNMENT_CHANGE, "/x", unit_scoped=unit_scoped_call)

    assert citizen.id == "hanne" and audit.recorded == [("nurse_syd", Access.ASSIGNMENT_CHANGE, "hanne")]
