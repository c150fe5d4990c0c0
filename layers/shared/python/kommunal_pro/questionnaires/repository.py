"""Questionnaires in DynamoDB.

PK = "<tenant>#QUESTIONNAIRE#<id>"; SK = "HEAD" for the current state, "VERSION#<nnnnnn>" per version.
HEAD items are listed per tenant under GSI1PK = "<tenant>#QUESTIONNAIRES", GSI1SK = "<status>#<title>#<id>".
Every change writes the head (conditional on the revision the caller read) and the versions it touches
in one transaction, so a conflict or failure leaves nothing half-written.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key

from kommunal_pro.questionnaires.versions import QuestionnaireHead, QuestionnaireVersion, Status
from kommunal_pro.storage.pages import Listing, query_pages
from kommunal_pro.storage.schema import GSI1, PK, SK, key
from kommunal_pro.storage.table import from_item, from_items, query_all, to_item, transact

HEAD = "HEAD"


def _pk(tenant: str, questionnaire_id: str) -> str:
    return key(tenant, "QUESTIONNAIRE", questionnaire_id)


def _version_sk(version: int) -> str:
    return f"VERSION#{version:06d}"


class QuestionnaireRepository:
    def __init__(self, table: Any) -> None:
        self._table = table

    def head(self, tenant: str, questionnaire_id: str) -> QuestionnaireHead | None:
        item = self._table.get_item(Key={PK: _pk(tenant, questionnaire_id), SK: HEAD}).get("Item")
        return from_item(QuestionnaireHead, item) if item else None

    def version(self, tenant: str, questionnaire_id: str, version: int) -> QuestionnaireVersion | None:
        item = self._table.get_item(Key={PK: _pk(tenant, questionnaire_id), SK: _version_sk(version)}).get("Item")
        return from_item(QuestionnaireVersion, item) if item else None

    def versions(self, tenant: str, questionnaire_id: str) -> list[QuestionnaireVersion]:
        condition = Key(PK).eq(_pk(tenant, questionnaire_id)) & Key(SK).begins_with("VERSION#")
        return [
            from_item(QuestionnaireVersion, item) for item in query_all(self._table, KeyConditionExpression=condition)
        ]

    def heads_page(
        self, tenants: list[str], status: Status | None, text: str | None, limit: int, cursor: str | None
    ) -> tuple[list[QuestionnaireHead], str | None]:
        """The tenants' heads one library after the other, each by status and title; `text` is matched
        case-insensitively in the Danish or English title."""
        listings = []
        for tenant in tenants:
            partition = (GSI1.partition_key, key(tenant, "QUESTIONNAIRES"))
            listings.append(Listing(partition, GSI1, f"{status}#" if status else None))
        needle = text.casefold() if text else None

        def matches(item: dict[str, Any]) -> bool:
            title = item.get("title") or {}
            return needle is None or any(needle in str(title.get(lang) or "").casefold() for lang in ("da", "en"))

        items, next_cursor = query_pages(self._table, listings, limit, cursor, matches)
        return from_items(QuestionnaireHead, items), next_cursor

    def save(
        self, head: QuestionnaireHead, *versions: QuestionnaireVersion, expected_revision: int | None = None
    ) -> None:
        """Write the head and changed versions together. A new questionnaire (expected_revision None) must
        not exist yet; otherwise the stored head must still be at expected_revision (else ConditionFailed)."""
        pk = _pk(head.tenant, head.questionnaire_id)
        if expected_revision is None:
            head_condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(PK)"}
        else:
            head_condition = {
                "ConditionExpression": "revision = :expected",
                "ExpressionAttributeValues": {":expected": expected_revision},
            }
        title = head.title.da.casefold()
        head_item = to_item(
            head,
            PK=pk,
            SK=HEAD,
            GSI1PK=key(head.tenant, "QUESTIONNAIRES"),
            GSI1SK=f"{head.status}#{title}#{head.questionnaire_id}",
        )
        writes = [{"Put": {"TableName": self._table.name, "Item": head_item, **head_condition}}]
        writes += [
            {
                "Put": {
                    "TableName": self._table.name,
                    "Item": to_item(v, PK=pk, SK=_version_sk(v.version)),
                    **_transition(v),
                }
            }
            for v in versions
        ]
        transact(self._table, writes)


def _transition(version: QuestionnaireVersion) -> dict[str, Any]:
    """Published versions are immutable: a write may only create a version, overwrite or publish a
    stored draft, or retire a stored active version."""
    required = Status.ACTIVE if version.status is Status.RETIRED else Status.DRAFT
    return {
        "ConditionExpression": "attribute_not_exists(PK) OR #status = :from",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {":from": str(required)},
    }
