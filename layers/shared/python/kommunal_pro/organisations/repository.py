"""Municipality records in DynamoDB.

Item: PK = "<code>#MUNICIPALITY", SK = "MUNICIPALITY"; municipalities (not the national library) are
also listed under GSI1PK = "national#MUNICIPALITY", GSI1SK = "<code>".
"""

from __future__ import annotations

from typing import Any

from kommunal_pro.organisations.models import Municipality
from kommunal_pro.storage.pages import Page, query_page
from kommunal_pro.storage.schema import GSI1, PK, SK, key
from kommunal_pro.storage.table import ConditionFailed, from_item, from_items, storage_failures, to_item
from kommunal_pro.tenancy import NATIONAL

RECORD = "MUNICIPALITY"


class MunicipalityRepository:
    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, code: str) -> Municipality | None:
        item = self._table.get_item(Key={PK: key(code, RECORD), SK: RECORD}).get("Item")
        return from_item(Municipality, item) if item else None

    def page(self, limit: int, cursor: str | None) -> Page[Municipality]:
        """The municipalities in code order."""
        items, next_cursor = query_page(self._table, (GSI1.partition_key, key(NATIONAL, RECORD)), limit, cursor, GSI1)
        return Page(items=from_items(Municipality, items), next_cursor=next_cursor)

    def add(self, municipality: Municipality) -> bool:
        """Store a new municipality; False (and nothing written) if it already exists."""
        try:
            with storage_failures():
                self._table.put_item(Item=self._item(municipality), ConditionExpression="attribute_not_exists(PK)")
        except ConditionFailed:
            return False
        return True

    def replace(self, municipality: Municipality, expected_version: int) -> None:
        """Write a changed municipality whose version is expected_version + 1; ConditionFailed if someone
        was first."""
        with storage_failures():
            self._table.put_item(
                Item=self._item(municipality),
                ConditionExpression="version = :expected",
                ExpressionAttributeValues={":expected": expected_version},
            )

    @staticmethod
    def _item(municipality: Municipality) -> dict[str, Any]:
        keys = {PK: key(municipality.code, RECORD), SK: RECORD}
        if municipality.code != NATIONAL:
            keys |= {GSI1.partition_key: key(NATIONAL, RECORD), GSI1.sort_key: municipality.code}
        return to_item(municipality, **keys)
