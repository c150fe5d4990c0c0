"""The boundary between where organisation data comes from and the sync that applies it.

A source delivers, per file, the typed records it could read and the rows it could not. The file reader
(`organisations.files`) is one source; a live SOR or FK-Organisation web-service adapter can replace it by
delivering the same records. Checks that need more than one row (duplicates, unknown parents) belong to the
sync, so every source gets them. docs/org-sync.md describes the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, ClassVar, Generic, Protocol, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints

from kommunal_pro.tenancy import MunicipalityCode

ORG_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"


def normalise_id(value: Any) -> Any:
    """FK-Organisation uuids arrive in either case and sometimes as `urn:uuid:…`; one spelling is stored."""
    return value.strip().lower().removeprefix("urn:uuid:") if isinstance(value, str) else value


OrgId = Annotated[str, BeforeValidator(normalise_id), StringConstraints(pattern=ORG_ID_PATTERN)]
# dk-core: "SOR Identifiers are at minimum 11 digits long"; they are SNOMED-style ids of at most 18 digits.
SorCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{11,18}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class SourceRecord(BaseModel):
    """One row of a source. `ref_field` names the id the sync leaves untouched when the row is bad."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    ref_field: ClassVar[str]


class SorUnit(SourceRecord):
    """A SOR unit: it gives the FK-Organisation units that link to it their health-sector unit type."""

    ref_field = "sor_code"
    sor_code: SorCode
    name: Name
    unit_type: Name | None = None
    municipality_code: MunicipalityCode


class OrgUnit(SourceRecord):
    """An FK-Organisation org unit (OrganisationEnhed). A successor means: closed, replaced by that unit."""

    ref_field = "uuid"
    uuid: OrgId
    name: Name
    parent_uuid: OrgId | None = None
    sor_code: SorCode | None = None
    municipality_code: MunicipalityCode
    successor_uuid: OrgId | None = None


class Position(SourceRecord):
    """An FK-Organisation position (OrganisationFunktion, "engagement"): a user in a unit for a period."""

    ref_field = "user_uuid"
    user_uuid: OrgId
    unit_uuid: OrgId
    position_name: Name | None = None
    start_date: date | None = None
    stop_date: date | None = None

    def current_on(self, day: date) -> bool:
        """Whether the position holds on `day`; the stop date is the last day of the position."""
        return (self.start_date is None or self.start_date <= day) and (self.stop_date is None or day <= self.stop_date)


RecordT = TypeVar("RecordT", bound=SourceRecord)


@dataclass(frozen=True)
class Rejected:
    """A row that is not applied. `ref` is the unit or user id the row names, when it could be read."""

    line: int
    reason: str
    ref: str | None = None


@dataclass
class Rows(Generic[RecordT]):
    """What a source delivered for one file: (line, record) for each row that parsed, and the rejected rows."""

    file: str
    records: list[tuple[int, RecordT]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


class MissingSourceFile(Exception):
    """A file the sync needs is not there: the run applies nothing."""


class OrgSource(Protocol):
    location: str

    def read_sor_units(self) -> Rows[SorUnit]: ...

    def read_org_units(self) -> Rows[OrgUnit]: ...

    def read_positions(self) -> Rows[Position]: ...
