"""The boto3 table handle, items from and to records, and DynamoDB's refusals as two storage exceptions.

Repositories raise only `ConditionFailed` and `Contention` (and return None for what is not there); the
services decide what each means to the caller, and the API answers any left untranslated with a 409 or a
retryable 503, never a 500.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

import boto3
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError
from pydantic import BaseModel, ValidationError

from kommunal_pro.config import get_settings
from kommunal_pro.observability import logger
from kommunal_pro.storage.schema import PK, SK, Index, without_keys

RecordT = TypeVar("RecordT", bound=BaseModel)


@lru_cache(maxsize=1)
def data_table() -> Any:
    """The table for this environment. boto3 honours AWS_ENDPOINT_URL_DYNAMODB for a local emulator."""
    return boto3.resource("dynamodb").Table(get_settings().table_name)


@lru_cache(maxsize=1)
def audit_table() -> Any:
    return boto3.resource("dynamodb").Table(get_settings().audit_table_name)


class ConditionFailed(Exception):
    """A conditional write found the item not as it expected: changed, gone, or already there."""


class Contention(Exception):
    """A concurrent transaction on the same items, or the table's throughput limit, stopped the write;
    the same write may succeed when retried."""


# Error codes, and transaction cancellation reasons, that mean "busy": retrying may succeed.
_BUSY = frozenset(
    {
        "TransactionConflict",
        "TransactionConflictException",
        "TransactionInProgressException",
        "ProvisionedThroughputExceeded",
        "ProvisionedThroughputExceededException",
        "ThrottlingError",
        "ThrottlingException",
        "RequestLimitExceeded",
    }
)


def is_contention(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code")
    reasons = {r.get("Code") for r in error.response.get("CancellationReasons") or []}
    return code in _BUSY or bool(reasons & _BUSY)


@contextmanager
def storage_failures() -> Iterator[None]:
    """Raise DynamoDB's refusal of a write as `ConditionFailed` or `Contention`; other errors as they are."""
    try:
        yield
    except ClientError as error:
        if is_conditional_failure(error):
            raise ConditionFailed(error.response.get("Error", {}).get("Message", "")) from None
        if is_contention(error):
            raise Contention(error.response.get("Error", {}).get("Message", "")) from None
        raise


def transact(table: Any, writes: list[dict[str, Any]]) -> None:
    """One all-or-nothing TransactWriteItems on `table`."""
    with storage_failures():
        table.meta.client.transact_write_items(TransactItems=writes)


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
    return model.model_validate(_json_numbers(without_keys(item)))


def _json_numbers(value: Any) -> Any:
    """boto3's Decimals back as the JSON numbers they were written from: whole numbers as int, others as float.
    Pydantic would otherwise read Decimal("12") into a `bool | int | float | str` field as 12.0."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _json_numbers(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_json_numbers(inner) for inner in value]
    return value


def from_items(model: type[RecordT], items: Iterable[dict[str, Any]]) -> list[RecordT]:
    """The items that are valid `model` records. One that is not (damaged, or from a version that wrote
    another shape) is logged by its key and left out, so a single bad record never takes a whole list down."""
    records = []
    for item in items:
        try:
            records.append(from_item(model, item))
        except ValidationError as error:
            logger.error(
                "stored item does not validate; left out of the list",
                extra={"pk": item.get(PK), "sk": item.get(SK), "model": model.__name__, "errors": error.error_count()},
            )
    return records


def move_listed(table: Any, index: Index, listed: str, to: str, changes: dict[str, Any]) -> list[dict[str, Any]]:
    """Move every item listed under `listed` in `index` to the partition `to`, setting `changes` too. Each item
    moves on condition that it is still listed there, so one that changed meanwhile (answered, reviewed, moved
    by an earlier run) stays as it is, and a rerun moves what is left and nothing twice. Returns what moved."""
    names = {f"#{i}": name for i, name in enumerate(changes)}
    values = {f":{i}": value for i, value in enumerate(changes.values())}
    assignments = ", ".join(f"#{i} = :{i}" for i in range(len(changes)))
    moved = []
    for item in query_all(table, IndexName=index.name, KeyConditionExpression=Key(index.partition_key).eq(listed)):
        try:
            with storage_failures():
                table.update_item(
                    Key={PK: item[PK], SK: item[SK]},
                    UpdateExpression=f"SET {assignments}, #partition = :to" if changes else "SET #partition = :to",
                    ConditionExpression="#partition = :listed",
                    ExpressionAttributeNames={**names, "#partition": index.partition_key},
                    ExpressionAttributeValues={**values, ":to": to, ":listed": listed},
                )
        except ConditionFailed:
            continue
        moved.append(item)
    return moved


def query_all(table: Any, **query: Any) -> list[dict[str, Any]]:
    """Every item a Query matches, following DynamoDB's pages."""
    items: list[dict[str, Any]] = []
    while True:
        page = table.query(**query)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
