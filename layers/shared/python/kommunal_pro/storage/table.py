"""The boto3 table handle and the translation of DynamoDB failures into domain errors."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

import boto3
from botocore.exceptions import ClientError
from pydantic import BaseModel

from kommunal_pro.config import get_settings
from kommunal_pro.storage.schema import without_keys

RecordT = TypeVar("RecordT", bound=BaseModel)


@lru_cache(maxsize=1)
def data_table() -> Any:
    """The table for this environment. boto3 honours AWS_ENDPOINT_URL_DYNAMODB for a local emulator."""
    return boto3.resource("dynamodb").Table(get_settings().table_name)


@lru_cache(maxsize=1)
def audit_table() -> Any:
    return boto3.resource("dynamodb").Table(get_settings().audit_table_name)


def is_transaction_conflict(error: ClientError) -> bool:
    """Another transaction was touching the same item at the same moment: safe to retry."""
    reasons = error.response.get("CancellationReasons") or []
    return any(r.get("Code") == "TransactionConflict" for r in reasons)


def is_conditional_failure(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code")
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons") or []
        return any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)
    return False


def to_item(record: BaseModel, **keys: str) -> dict[str, Any]:
    """A record as a DynamoDB item: its JSON form (numbers as Decimal, as boto3 requires) plus its keys."""
    return {**json.loads(record.model_dump_json(), parse_float=Decimal), **keys}


def from_item(model: type[RecordT], item: dict[str, Any]) -> RecordT:
    return model.model_validate(without_keys(item))


def query_all(table: Any, **query: Any) -> list[dict[str, Any]]:
    """Every item a Query matches, following DynamoDB's pages."""
    items: list[dict[str, Any]] = []
    while True:
        page = table.query(**query)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
