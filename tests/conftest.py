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
        "POWERTOOLS_METRICS_NAMESPACE": "KommunalPro",
        "POWERTOOLS_SERVICE_NAME": "kommunal-pro-tests",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
)
os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
os.environ.pop("AWS_ENDPOINT_URL", None)

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from moto import mock_aws

from kommunal_pro.citizens import cpr_vault
from kommunal_pro.config import get_settings
from kommunal_pro.storage.table import audit_table, data_table
from local.provision import provision
from tests.support import ApiClient

pytest_plugins = ["tests.tally"]

# boto3 clients cached by the product code must be made anew inside each test's moto mock.
_CACHED_CLIENTS = (data_table, audit_table, cpr_vault._kms, cpr_vault._hash_key)


@contextmanager
def moto_account() -> Iterator[Any]:
    """A fresh moto account with what a deployed environment provides: table, CPR key and hash secret."""
    with mock_aws():
        provision(get_settings())
        for cached in _CACHED_CLIENTS:
            cached.cache_clear()
        yield data_table()
        for cached in _CACHED_CLIENTS:
            cached.cache_clear()


@pytest.fixture
def table() -> Iterator[Any]:
    with moto_account() as account:
        yield account


@pytest.fixture
def api(table: Any) -> ApiClient:
    return ApiClient()
