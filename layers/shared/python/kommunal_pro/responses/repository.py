"""Responses, drafts and idempotency records in DynamoDB, under the citizen they belong to.

Response:    PK = "<tenant>#CITIZEN#<citizen>", SK = "RESPONSE#<q tenant>#<q id>#<submitted at>#<id>" (a
             citizen's responses per questionnaire over time); by id under GSI1PK = "<tenant>#RESPONSE#<id>".
Draft:       same PK, SK = "TASK#<task>#DRAFT", removed by TTL once the task has expired.
Idempotency: PK = "<tenant>#IDEMPOTENCY#<citizen>#<key>", SK = "IDEMPOTENCY", kept for a week.
Submitting writes the response, completes the task and records the idempotency key in one transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key

from kommunal_pro.assignments.repository import task_key
from kommunal_pro.assignments.schedule import TaskState
from kommunal_pro.citizens.repository import citizen_pk
from kommunal_pro.questionnaires.model import FlagLevel
from kommunal_pro.questionnaires.versions import VersionRef
from kommunal_pro.responses.models import Draft, Receipt, Review, StoredResponse
from kommunal_pro.storage.pages import Keep, Listing, query_page, query_pages
from kommunal_pro.storage.schema import GSI1, GSI2, PK, SK, TTL_ATTRIBUTE, key
from kommunal_pro.storage.table import (
    from_item,
    from_items,
    move_listed,
    query_all,
    to_item,
    transact,
)

IDEMPOTENCY_DAYS = 7
_PENDING: dict[str, Any] = {
    "ConditionExpression": "#state = :pending",
    "ExpressionAttributeNames": {"#state": "state"},
    "ExpressionAttributeValues": {":pending": str(TaskState.PENDING)},
}


def response_sk(response: StoredResponse) -> str:
    q = response.questionnaire
    return f"RESPONSE#{q.tenant}#{q.questionnaire_id}#{response.submitted_at.isoformat()}#{response.id}"


def worklist_keys(response: StoredResponse) -> dict[str, str]:
    """Unreviewed responses on their unit's worklist: red flags first, then yellow, then "I would like to be
    contacted", then the rest; newest first within each (an inverted timestamp sorts ascending)."""
    level = response.scores.level
    rank = 0 if level is FlagLevel.RED else 1 if level is FlagLevel.YELLOW else 2 if response.wants_contact else 3
    newest_first = f"{10**10 - int(response.submitted_at.timestamp()):010d}"
    return {
        "GSI2PK": unit_worklist_pk(response.municipality, response.unit_id),
        "GSI2SK": f"{rank}#{newest_first}#{response.id}",
    }


def unit_worklist_pk(tenant: str, unit_id: str) -> str:
    return key(tenant, "UNIT", unit_id, "WORKLIST")


def _draft_key(tenant: str, citizen_id: str, task_id: str) -> dict[str, str]:
    return {PK: citizen_pk(tenant, citizen_id), SK: f"TASK#{task_id}#DRAFT"}


def _idempotency_key(tenant: str, citizen_id: str, idempotency_key: str) -> dict[str, str]:
    return {PK: key(tenant, "IDEMPOTENCY", citizen_id, idempotency_key), SK: "IDEMPOTENCY"}


class ResponseRepository:
    def __init__(self, table: Any) -> None:
        self._table = table

    def draft(self, tenant: str, citizen_id: str, task_id: str) -> Draft | None:
        item = self._table.get_item(Key=_draft_key(tenant, citizen_id, task_id)).get("Item")
        return from_item(Draft, item) if item else None

    def save_draft(self, tenant: str, citizen_id: str, draft: Draft, keep_until: datetime) -> None:
        """Store the draft while its task is still pending (else ConditionFailed)."""
        item = to_item(draft, **_draft_key(tenant, citizen_id, draft.task_id))
        item[TTL_ATTRIBUTE] = int(keep_until.timestamp())
        transact(
            self._table,
            [
                {
                    "ConditionCheck": {
                        "TableName": self._table.name,
                        "Key": task_key(tenant, citizen_id, draft.task_id),
                        **_PENDING,
                    }
                },
                {"Put": {"TableName": self._table.name, "Item": item}},
            ],
        )

    def replay(self, tenant: str, citizen_id: str, idempotency_key: str) -> tuple[str, Receipt] | None:
        """The request fingerprint and receipt stored for an idempotency key, if it was used."""
        item = self._table.get_item(Key=_idempotency_key(tenant, citizen_id, idempotency_key)).get("Item")
        return (item["request_hash"], Receipt.model_validate(item["receipt"])) if item else None

    def submit(self, response: StoredResponse, receipt: Receipt, idempotency_key: str, request_hash: str) -> None:
        """All or nothing; ConditionFailed when the task is no longer pending or the key was used meanwhile."""
        tenant, citizen_id = response.municipality, response.citizen_id
        response_item = to_item(
            response,
            PK=citizen_pk(tenant, citizen_id),
            SK=response_sk(response),
            GSI1PK=key(tenant, "RESPONSE", response.id),
            GSI1SK="RESPONSE",
            **worklist_keys(response),
        )
        idempotency_item = {
            **_idempotency_key(tenant, citizen_id, idempotency_key),
            "request_hash": request_hash,
            "receipt": to_item(receipt),
            TTL_ATTRIBUTE: int((response.submitted_at + timedelta(days=IDEMPOTENCY_DAYS)).timestamp()),
        }
        not_there = {"ConditionExpression": "attribute_not_exists(PK)"}
        transact(
            self._table,
            [
                {"Put": {"TableName": self._table.name, "Item": response_item, **not_there}},
                {"Put": {"TableName": self._table.name, "Item": idempotency_item, **not_there}},
                {
                    "Update": {
                        "TableName": self._table.name,
                        "Key": task_key(tenant, citizen_id, response.task_id),
                        **_PENDING,
                        "UpdateExpression": "SET #state = :completed, response_id = :response, completed_at = :at "
                        "REMOVE GSI2PK, GSI2SK, DuePK, DueSK",
                        "ExpressionAttributeValues": {
                            **_PENDING["ExpressionAttributeValues"],
                            ":completed": str(TaskState.COMPLETED),
                            ":response": response.id,
                            ":at": response.submitted_at.isoformat(),
                        },
                    }
                },
                {"Delete": {"TableName": self._table.name, "Key": _draft_key(tenant, citizen_id, response.task_id)}},
            ],
        )

    def page_of_citizens(
        self, citizens: list[tuple[str, str]], limit: int, cursor: str | None, keep: Keep | None = None
    ) -> tuple[list[StoredResponse], str | None]:
        """The responses of citizen records (tenant, citizen id), one record after the other; within one, by
        questionnaire and newest first. `keep` (on the stored item) leaves responses out without shortening a page."""
        listings = [
            Listing((PK, citizen_pk(tenant, citizen_id)), sort_prefix="RESPONSE#", query={"ScanIndexForward": False})
            for tenant, citizen_id in citizens
        ]
        items, next_cursor = query_pages(self._table, listings, limit, cursor, keep)
        return from_items(StoredResponse, items), next_cursor

    def history(self, tenant: str, citizen_id: str, questionnaire: VersionRef) -> list[StoredResponse]:
        """The citizen's responses to one questionnaire (any version), oldest first."""
        prefix = f"RESPONSE#{questionnaire.tenant}#{questionnaire.questionnaire_id}#"
        condition = Key(PK).eq(citizen_pk(tenant, citizen_id)) & Key(SK).begins_with(prefix)
        return from_items(StoredResponse, query_all(self._table, KeyConditionExpression=condition))

    def by_id(self, tenant: str, response_id: str) -> StoredResponse | None:
        condition = Key(GSI1.partition_key).eq(key(tenant, "RESPONSE", response_id))
        items = query_all(self._table, IndexName=GSI1.name, KeyConditionExpression=condition)
        return from_item(StoredResponse, items[0]) if items else None

    def mark_reviewed(self, response: StoredResponse, review: Review, events: list[dict[str, Any]]) -> None:
        """Record the review once (ConditionFailed: someone reviewed it first), in one transaction with `events`
        (the audit events' Puts); the response leaves its unit's worklist."""
        update = {
            "TableName": self._table.name,
            "Key": {PK: citizen_pk(response.municipality, response.citizen_id), SK: response_sk(response)},
            "UpdateExpression": "SET reviewed = :review REMOVE GSI2PK, GSI2SK",
            "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(reviewed.#at)",
            "ExpressionAttributeNames": {"#at": "at"},
            "ExpressionAttributeValues": {":review": to_item(review)},
        }
        transact(self._table, [{"Update": update}, *events])

    def worklist_page(
        self, tenant: str, unit_id: str, limit: int, cursor: str | None
    ) -> tuple[list[StoredResponse], str | None]:
        """One page of a unit's unreviewed responses in worklist order, and the cursor of the next."""
        partition = unit_worklist_pk(tenant, unit_id)
        items, next_cursor = query_page(
            self._table,
            (GSI2.partition_key, partition),
            limit,
            cursor,
            GSI2,
            KeyConditionExpression=Key(GSI2.partition_key).eq(partition),
        )
        return from_items(StoredResponse, items), next_cursor

    def move_unit(self, tenant: str, closed_unit: str, successor: str) -> int:
        """Hand a closed unit's unreviewed responses to its successor's worklist; how many moved."""
        listed, to = unit_worklist_pk(tenant, closed_unit), unit_worklist_pk(tenant, successor)
        return len(move_listed(self._table, GSI2, listed, to, {"unit_id": successor}))
