"""Assignments and tasks in DynamoDB, under the citizen they belong to.

Assignment: PK = "<tenant>#CITIZEN#<citizen>", SK = "ASSIGNMENT#<id>".
Task:       same PK, SK = "TASK#<id>"; an assignment's tasks under GSI1PK = "<tenant>#ASSIGNMENT#<id>",
            GSI1SK = "<opens at>#<task>".
An assignment and all its tasks are written in one transaction with the change's audit event (hence at most
98 tasks).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key

from kommunal_pro.assignments.models import Assignment, Task
from kommunal_pro.assignments.schedule import TaskState
from kommunal_pro.citizens.repository import citizen_pk
from kommunal_pro.storage.pages import Listing, query_page, query_pages
from kommunal_pro.storage.schema import GSI1, GSI2, PK, SK, key
from kommunal_pro.storage.table import (
    from_item,
    from_items,
    move_listed,
    query_all,
    storage_failures,
    to_item,
    transact,
)

# One transaction holds at most 100 items: the assignment, its tasks and the audit event.
MAX_TASKS_PER_ASSIGNMENT = 98


def task_item(task: Task, **due: str) -> dict[str, Any]:
    """A task; while pending it is also on its unit's list by due time (for the worklist's overdue tasks)."""
    return to_item(
        task,
        PK=citizen_pk(task.municipality, task.citizen_id),
        SK=f"TASK#{task.id}",
        GSI1PK=key(task.municipality, "ASSIGNMENT", task.assignment_id),
        GSI1SK=f"{task.opens_at.isoformat()}#{task.id}",
        GSI2PK=unit_tasks_pk(task.municipality, task.unit_id),
        GSI2SK=f"{task.due_at.isoformat()}#{task.id}",
        **due,
    )


def unit_tasks_pk(tenant: str, unit_id: str) -> str:
    return key(tenant, "UNIT", unit_id, "TASKS")


def task_key(tenant: str, citizen_id: str, task_id: str) -> dict[str, str]:
    return {PK: citizen_pk(tenant, citizen_id), SK: f"TASK#{task_id}"}


class AssignmentRepository:
    def __init__(self, table: Any) -> None:
        self._table = table

    def add(
        self, assignment: Assignment, tasks: list[Task], due: dict[str, dict[str, str]], events: list[dict[str, Any]]
    ) -> None:
        """`due`: each task's Due index attributes by task id (kommunal_pro.scheduling.due); `events`: the audit
        events' Puts, written in the same transaction."""
        pk = citizen_pk(assignment.municipality, assignment.citizen_id)
        items = [
            to_item(assignment, PK=pk, SK=f"ASSIGNMENT#{assignment.id}"),
            *(task_item(t, **due.get(t.id, {})) for t in tasks),
        ]
        transact(
            self._table,
            [
                {
                    "Put": {
                        "TableName": self._table.name,
                        "Item": item,
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                }
                for item in items
            ]
            + events,
        )

    def assignments(self, tenant: str, citizen_id: str) -> list[Assignment]:
        return from_items(Assignment, self._query_citizen(tenant, citizen_id, "ASSIGNMENT#"))

    def assignments_page(
        self, tenant: str, citizen_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Assignment], str | None]:
        """The citizen's assignments in id order."""
        partition = (PK, citizen_pk(tenant, citizen_id))
        items, next_cursor = query_page(self._table, partition, limit, cursor, sort_prefix="ASSIGNMENT#")
        return from_items(Assignment, items), next_cursor

    def assignment(self, tenant: str, citizen_id: str, assignment_id: str) -> Assignment | None:
        item = self._table.get_item(Key={PK: citizen_pk(tenant, citizen_id), SK: f"ASSIGNMENT#{assignment_id}"})
        return from_item(Assignment, item["Item"]) if "Item" in item else None

    def tasks_page(
        self, citizens: list[tuple[str, str]], keep: Callable[[Task], bool], limit: int, cursor: str | None
    ) -> tuple[list[Task], str | None]:
        """The tasks of citizen records (tenant, citizen id) that `keep` keeps, one record after the other, each
        in id order."""

        def kept(item: dict[str, Any]) -> bool:
            task = from_items(Task, [item]) if item[SK].count("#") == 1 else []  # not a task's draft
            return bool(task) and keep(task[0])

        listings = [
            Listing((PK, citizen_pk(tenant, citizen_id)), sort_prefix="TASK#") for tenant, citizen_id in citizens
        ]
        items, next_cursor = query_pages(self._table, listings, limit, cursor, kept)
        return from_items(Task, items), next_cursor

    def tasks_of_assignment(self, tenant: str, assignment_id: str) -> list[Task]:
        condition = Key(GSI1.partition_key).eq(key(tenant, "ASSIGNMENT", assignment_id))
        return [
            from_item(Task, i) for i in query_all(self._table, IndexName=GSI1.name, KeyConditionExpression=condition)
        ]

    def task(self, tenant: str, citizen_id: str, task_id: str) -> Task | None:
        item = self._table.get_item(Key=task_key(tenant, citizen_id, task_id)).get("Item")
        return from_item(Task, item) if item else None

    def cancel(self, assignment: Assignment, pending: list[Task], events: list[dict[str, Any]]) -> None:
        """Mark the assignment cancelled and its pending tasks cancelled, all or nothing (a task answered
        meanwhile makes the whole cancel fail, to be retried)."""
        self._while_active(
            assignment,
            events,
            [
                {
                    "Update": {
                        "TableName": self._table.name,
                        "Key": task_key(t.municipality, t.citizen_id, t.id),
                        "UpdateExpression": "SET #state = :cancelled REMOVE GSI2PK, GSI2SK, DuePK, DueSK",
                        "ConditionExpression": "#state = :pending",
                        "ExpressionAttributeNames": {"#state": "state"},
                        "ExpressionAttributeValues": {
                            ":cancelled": str(TaskState.CANCELLED),
                            ":pending": str(TaskState.PENDING),
                        },
                    }
                }
                for t in pending
            ],
        )

    def reschedule(
        self,
        assignment: Assignment,
        moved: list[Task],
        due: dict[str, dict[str, str]],
        events: list[dict[str, Any]],
    ) -> None:
        """Store the moved appointment and its still pending tasks' new windows (and Due index attributes, as
        in `add`), all or nothing."""
        self._while_active(
            assignment,
            events,
            [
                {
                    "Put": {
                        "TableName": self._table.name,
                        "Item": task_item(task, **due.get(task.id, {})),
                        "ConditionExpression": "#state = :pending",
                        "ExpressionAttributeNames": {"#state": "state"},
                        "ExpressionAttributeValues": {":pending": str(TaskState.PENDING)},
                    }
                }
                for task in moved
            ],
        )

    def _while_active(
        self, assignment: Assignment, events: list[dict[str, Any]], task_writes: list[dict[str, Any]]
    ) -> None:
        """Write the assignment (which must still be active), its tasks' changes and the audit `events` in one
        transaction; ConditionFailed when the assignment or one of the tasks changed meanwhile."""
        pk = citizen_pk(assignment.municipality, assignment.citizen_id)
        writes = [
            {
                "Put": {
                    "TableName": self._table.name,
                    "Item": to_item(assignment, PK=pk, SK=f"ASSIGNMENT#{assignment.id}"),
                    "ConditionExpression": "#status = :active",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {":active": "active"},
                }
            },
            *task_writes,
            *events,
        ]
        transact(self._table, writes)

    def pending_due_between(self, tenant: str, unit_id: str, start: datetime, end: datetime) -> list[Task]:
        """A unit's unanswered tasks whose due time lies in [start, end): overdue or missed ones."""
        condition = Key(GSI2.partition_key).eq(unit_tasks_pk(tenant, unit_id)) & Key(GSI2.sort_key).between(
            start.isoformat(), end.isoformat()
        )
        items = query_all(self._table, IndexName=GSI2.name, KeyConditionExpression=condition)
        return from_items(Task, items)

    def move_unit(self, tenant: str, closed_unit: str, successor: str) -> tuple[int, int]:
        """Hand a closed unit's unanswered tasks, and the assignments they belong to, to its successor.
        Returns how many tasks and assignments moved."""
        tasks = move_listed(
            self._table,
            GSI2,
            unit_tasks_pk(tenant, closed_unit),
            unit_tasks_pk(tenant, successor),
            {"unit_id": successor},
        )
        assignments = sorted({(item[PK], f"ASSIGNMENT#{item['assignment_id']}") for item in tasks})
        for partition, sort in assignments:
            with storage_failures():
                self._table.update_item(
                    Key={PK: partition, SK: sort},
                    UpdateExpression="SET unit_id = :unit",
                    ConditionExpression="attribute_exists(PK)",
                    ExpressionAttributeValues={":unit": successor},
                )
        return len(tasks), len(assignments)

    def _query_citizen(self, tenant: str, citizen_id: str, prefix: str) -> list[dict[str, Any]]:
        condition = Key(PK).eq(citizen_pk(tenant, citizen_id)) & Key(SK).begins_with(prefix)
        return query_all(self._table, KeyConditionExpression=condition)
