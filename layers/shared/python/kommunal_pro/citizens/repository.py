"""Citizens in DynamoDB.

Profile: PK = "<tenant>#CITIZEN#<id>", SK = "PROFILE", with LoginPK = "CPR#<hash>", LoginSK = "<tenant>"
(the cross-tenant Login index, read only by citizen login). A guard item PK = "<tenant>#CPR#<hash>",
SK = "CPR" is written in the same transaction, so one CPR number is one citizen per municipality.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key

from kommunal_pro.citizens.models import StoredCitizen
from kommunal_pro.storage.schema import LOGIN, PK, SK, key
from kommunal_pro.storage.table import ConditionFailed, from_item, from_items, storage_failures, to_item, transact

PROFILE = "PROFILE"


def citizen_pk(tenant: str, citizen_id: str) -> str:
    return key(tenant, "CITIZEN", citizen_id)


def _guard_key(tenant: str, cpr_hash: str) -> dict[str, str]:
    return {PK: key(tenant, "CPR", cpr_hash), SK: "CPR"}


class DuplicateCitizen(ConditionFailed):
    def __init__(self, existing_id: str) -> None:
        super().__init__("a citizen with this CPR number exists in the municipality")
        self.existing_id = existing_id


class CitizenRepository:
    def __init__(self, table: Any) -> None:
        self._table = table

    def add(self, citizen: StoredCitizen, events: list[dict[str, Any]]) -> None:
        """Store a new citizen unless the municipality has one with the same CPR (DuplicateCitizen), in one
        transaction with `events` (the audit events' Puts)."""
        guard = {**_guard_key(citizen.municipality, citizen.cpr_hash), "citizen_id": citizen.id}
        profile = to_item(
            citizen,
            PK=citizen_pk(citizen.municipality, citizen.id),
            SK=PROFILE,
            LoginPK=f"CPR#{citizen.cpr_hash}",
            LoginSK=citizen.municipality,
        )
        new = "attribute_not_exists(PK)"
        try:
            transact(
                self._table,
                [
                    {"Put": {"TableName": self._table.name, "Item": guard, "ConditionExpression": new}},
                    {"Put": {"TableName": self._table.name, "Item": profile, "ConditionExpression": new}},
                    *events,
                ],
            )
        except ConditionFailed:
            existing = self.id_by_hash(citizen.municipality, citizen.cpr_hash)
            if existing is None:
                raise
            raise DuplicateCitizen(existing) from None

    def get(self, tenant: str, citizen_id: str) -> StoredCitizen | None:
        item = self._table.get_item(Key={PK: citizen_pk(tenant, citizen_id), SK: PROFILE}).get("Item")
        return from_item(StoredCitizen, item) if item else None

    def set_reminders_opted_out(self, tenant: str, citizen_id: str, opted_out: bool) -> None:
        with storage_failures():
            self._table.update_item(
                Key={PK: citizen_pk(tenant, citizen_id), SK: PROFILE},
                UpdateExpression="SET reminders_opted_out = :opted_out",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeValues={":opted_out": opted_out},
            )

    def id_by_hash(self, tenant: str, cpr_hash: str) -> str | None:
        item = self._table.get_item(Key=_guard_key(tenant, cpr_hash)).get("Item")
        return item["citizen_id"] if item else None

    def in_every_municipality(self, cpr_hash: str) -> list[StoredCitizen]:
        """Citizen login only: the records of one person across all municipalities."""
        page = self._table.query(
            IndexName=LOGIN.name, KeyConditionExpression=Key(LOGIN.partition_key).eq(f"CPR#{cpr_hash}")
        )
        return from_items(StoredCitizen, page["Items"])
