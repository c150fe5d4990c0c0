"""Handing a closed unit's open work to its successor.

A unit's unanswered tasks and unreviewed responses are listed under it in GSI2 (the worklist's keys), so
they are found by key, not by a Scan. Each item is moved with a condition that it is still the closed
unit's, so a rerun after a crash moves what is left and nothing twice; the assignments of moved tasks
follow. The sync runs the handover before it deactivates the unit, so an interrupted run is finished by
the next one.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from kommunal_pro.assignments.repository import unit_tasks_pk
from kommunal_pro.models import ApiModel
from kommunal_pro.responses.repository import unit_worklist_pk
from kommunal_pro.storage.schema import GSI2, PK, SK
from kommunal_pro.storage.table import is_conditional_failure, query_all


class HandedOver(ApiModel):
    tasks: int = 0
    assignments: int = 0
    responses: int = 0


class WorkHandover:
    def __init__(self, table: Any) -> None:
        self._table = table

    def move(self, tenant: str, closed_unit: str, successor: str) -> HandedOver:
        moved = HandedOver()
        assignments: set[tuple[str, str]] = set()
        for item in self._listed(unit_tasks_pk(tenant, closed_unit)):
            if self._move(item, unit_tasks_pk(tenant, successor), successor):
                moved.tasks += 1
                assignments.add((item[PK], f"ASSIGNMENT#{item['assignment_id']}"))
        for item in self._listed(unit_worklist_pk(tenant, closed_unit)):
            moved.responses += self._move(item, unit_worklist_pk(tenant, successor), successor)
        for partition, sort in sorted(assignments):
            self._table.update_item(
                Key={PK: partition, SK: sort},
                UpdateExpression="SET unit_id = :unit",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeValues={":unit": successor},
            )
            moved.assignments += 1
        return moved

    def _listed(self, partition: str) -> list[dict[str, Any]]:
        return query_all(self._table, IndexName=GSI2.name, KeyConditionExpression=Key(GSI2.partition_key).eq(partition))

    def _move(self, item: dict[str, Any], new_partition: str, successor: str) -> bool:
        try:
            self._table.update_item(
                Key={PK: item[PK], SK: item[SK]},
                UpdateExpression="SET unit_id = :unit, GSI2PK = :partition",
                ConditionExpression="GSI2PK = :listed",
                ExpressionAttributeValues={":unit": successor, ":partition": new_partition, ":listed": item["GSI2PK"]},
            )
        except ClientError as error:
            if is_conditional_failure(error):
                return False  # answered, reviewed or moved meanwhile
            raise
        return True
