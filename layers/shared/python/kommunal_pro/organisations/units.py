"""Org units and staff membership, as the organisation sync stores them, and the views staff read.

Unit:       PK = "<tenant>#UNIT#<unit id>", SK = "UNIT"; a municipality's units under GSI1PK = "<tenant>#UNITS"
            (GSI1SK = unit id); a unit with a SOR code also under GSI2PK = "<tenant>#SOR#<sor code>".
Membership: PK = "<tenant>#STAFF#<subject>", SK = "UNIT#<unit id>"; a unit's staff under
            GSI1PK = "<tenant>#UNIT#<unit id>#STAFF" (GSI1SK = subject).
Units are never deleted: a unit that leaves the source is deactivated. Memberships follow the source.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from boto3.dynamodb.conditions import Key
from pydantic import Field

from kommunal_pro.auth import Principal
from kommunal_pro.models import ApiModel
from kommunal_pro.storage.pages import Page, query_page
from kommunal_pro.storage.schema import GSI1, GSI2, PK, SK, Index, key
from kommunal_pro.storage.table import data_table, from_item, from_items, query_all, storage_failures, to_item
from kommunal_pro.tenancy import Tenant

UNIT = "UNIT"


class SyncedRecord(ApiModel):
    """A record the organisation sync writes; `updated_at` is when a run last changed it."""

    updated_at: datetime

    def same_as(self, other: SyncedRecord) -> bool:
        """Equal in everything the source says, so writing `other` would change nothing."""
        return self.model_dump(exclude={"updated_at"}) == other.model_dump(exclude={"updated_at"})


class Unit(SyncedRecord):
    id: str = Field(description="The FK-Organisation uuid of the unit")
    municipality: Tenant
    name: str
    parent_id: str | None = None
    sor_code: str | None = None
    unit_type: str | None = Field(None, description="The SOR unit type (enhedstype), when the unit links to SOR")
    active: bool = True
    successor_id: str | None = Field(None, description="The unit that replaced this one, when it was closed")


class StaffMembership(SyncedRecord):
    municipality: Tenant
    subject: str = Field(description="The staff member's FK-Organisation user uuid, which is their token subject")
    unit_id: str
    positions: list[str] = Field(default_factory=list, description="Position names, e.g. 'Sygeplejerske'")


class UnitSummary(ApiModel):
    """An active unit; its parent is in the list too unless the parent was closed (then it is a root)."""

    id: str
    name: str
    parent_id: str | None
    sor_code: str | None
    unit_type: str | None


class MyUnit(ApiModel):
    id: str
    name: str | None = Field(description="None when the organisation sync does not know the unit")
    active: bool | None
    positions: list[str]


class MyUnits(ApiModel):
    source: Literal["organisation", "token"] = Field(
        description="'organisation': synced FK-Organisation membership; 'token': the login's units claim"
    )
    units: list[MyUnit]


class UnitRepository:
    def __init__(self, table: Any) -> None:
        self._table = table

    def units(self, tenant: str) -> list[Unit]:
        """Every unit of a municipality, active or not."""
        return [from_item(Unit, i) for i in self._query(GSI1, key(tenant, "UNITS"))]

    def active_page(self, tenant: str, limit: int, cursor: str | None) -> tuple[list[Unit], str | None]:
        partition = (GSI1.partition_key, key(tenant, "UNITS"))
        items, next_cursor = query_page(self._table, partition, limit, cursor, GSI1, keep=_active)
        return from_items(Unit, items), next_cursor

    def get(self, tenant: str, unit_id: str) -> Unit | None:
        item = self._table.get_item(Key={PK: key(tenant, UNIT, unit_id), SK: UNIT}).get("Item")
        return from_item(Unit, item) if item else None

    def by_sor_code(self, tenant: str, sor_code: str) -> list[Unit]:
        return [from_item(Unit, i) for i in self._query(GSI2, key(tenant, "SOR", sor_code))]

    def memberships_of(self, tenant: str, subject: str) -> list[StaffMembership]:
        condition = Key(PK).eq(key(tenant, "STAFF", subject)) & Key(SK).begins_with(f"{UNIT}#")
        return [from_item(StaffMembership, i) for i in query_all(self._table, KeyConditionExpression=condition)]

    def staff_of(self, tenant: str, unit_id: str) -> list[StaffMembership]:
        return [from_item(StaffMembership, i) for i in self._query(GSI1, key(tenant, UNIT, unit_id, "STAFF"))]

    def write(self, units: list[Unit], memberships: list[StaffMembership], removed: list[StaffMembership]) -> None:
        """Store units and memberships and delete removed memberships, in batches."""
        with storage_failures(), self._table.batch_writer() as batch:
            for unit in units:
                batch.put_item(Item=_unit_item(unit))
            for membership in memberships:
                batch.put_item(Item=_membership_item(membership))
            for membership in removed:
                batch.delete_item(Key=_membership_key(membership))

    def _query(self, index: Index, partition: str) -> list[dict[str, Any]]:
        condition = Key(index.partition_key).eq(partition)
        return query_all(self._table, IndexName=index.name, KeyConditionExpression=condition)


def _active(item: dict[str, Any]) -> bool:
    return bool(item.get("active", True))


def _unit_item(unit: Unit) -> dict[str, Any]:
    keys = {
        PK: key(unit.municipality, UNIT, unit.id),
        SK: UNIT,
        GSI1.partition_key: key(unit.municipality, "UNITS"),
        GSI1.sort_key: unit.id,
    }
    if unit.sor_code:
        keys |= {GSI2.partition_key: key(unit.municipality, "SOR", unit.sor_code), GSI2.sort_key: unit.id}
    return to_item(unit, **keys)


def _membership_key(membership: StaffMembership) -> dict[str, str]:
    return {PK: key(membership.municipality, "STAFF", membership.subject), SK: f"{UNIT}#{membership.unit_id}"}


def _membership_item(membership: StaffMembership) -> dict[str, Any]:
    keys = {
        **_membership_key(membership),
        GSI1.partition_key: key(membership.municipality, UNIT, membership.unit_id, "STAFF"),
        GSI1.sort_key: membership.subject,
    }
    return to_item(membership, **keys)


class UnitService:
    """The units staff act for, and the municipality's unit tree, as the organisation sync stores them."""

    def __init__(self, repository: UnitRepository) -> None:
        self._repository = repository

    def staff_units(self, principal: Principal) -> frozenset[str]:
        """The units a staff member acts for: synced FK-Organisation membership, or their token's units claim
        until the sync knows them."""
        memberships = self._repository.memberships_of(principal.tenant, principal.subject)
        return frozenset(m.unit_id for m in memberships) or frozenset(principal.units)

    def active_units(self, tenant: str, limit: int, cursor: str | None) -> Page[UnitSummary]:
        """The municipality's active units by id, from the organisation sync; a client builds the tree from
        `parentId`."""
        units, next_cursor = self._repository.active_page(tenant, limit, cursor)
        return Page(
            items=[
                UnitSummary(id=u.id, name=u.name, parent_id=u.parent_id, sor_code=u.sor_code, unit_type=u.unit_type)
                for u in units
            ],
            next_cursor=next_cursor,
        )

    def my_units(self, principal: Principal) -> MyUnits:
        """The caller's units from synced membership; before the first sync (or for a user FK-Organisation
        does not know) the units claim of their token."""
        memberships = self._repository.memberships_of(principal.tenant, principal.subject)
        positions = {m.unit_id: m.positions for m in memberships}
        unit_ids = sorted(positions) if memberships else list(principal.units)
        units = []
        for unit_id in unit_ids:
            unit = self._repository.get(principal.tenant, unit_id)
            units.append(
                MyUnit(
                    id=unit_id,
                    name=unit.name if unit else None,
                    active=unit.active if unit else None,
                    positions=positions.get(unit_id, []),
                )
            )
        return MyUnits(source="organisation" if memberships else "token", units=units)


def default_unit_service() -> UnitService:
    return UnitService(UnitRepository(data_table()))
