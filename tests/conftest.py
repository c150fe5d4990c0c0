"""Shared fixtures: AWS mocked in-process by moto, the table built from the one schema definition."""

from __future__ import annotations

import os

os.environ.update(
    {
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "KOMMUNAL_PRO_ENV": "unit-test",
        "TABLE_NAME": "kommunal-pro-test-data",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "KommunalPro",
        "POWERTOOLS_SERVICE_NAME": "kommunal-pro-tests",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
)
os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from kommunal_pro.config import get_settings
from kommunal_pro.storage.schema import ensure_table
from kommunal_pro.storage.table import data_table
from tests.support import ApiClient


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        ensure_table(boto3.client("dynamodb"), get_settings().table_name)
        data_table.cache_clear()
        yield data_table()
        data_table.cache_clear()


@pytest.fixture
def api(table: Any) -> ApiClient:
    return ApiClient()
