"""The boto3 table handle and the translation of DynamoDB failures into domain errors."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import ClientError

from kommunal_pro.config import get_settings


@lru_cache(maxsize=1)
def data_table() -> Any:
    """The table for this environment. boto3 honours AWS_ENDPOINT_URL_DYNAMODB for a local emulator."""
    return boto3.resource("dynamodb").Table(get_settings().table_name)


def is_conditional_failure(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code")
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons") or []
        return any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)
    return False
