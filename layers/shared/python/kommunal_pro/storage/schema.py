"""The one definition of the DynamoDB table: its keys, indexes and TTL attribute.

CDK builds the table from it (`infra/`), the local runner and the tests create it from it, and
repositories build keys with `key()`. See docs/data-model.md for which access pattern uses what.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PK = "PK"
SK = "SK"
TTL_ATTRIBUTE = "expiresAt"
SEPARATOR = "#"


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: str
    sort_key: str
    purpose: str


# Tenant-scoped alternate look-ups (lists by status, look-ups by another identifier).
GSI1 = Index("GSI1", "GSI1PK", "GSI1SK", "tenant-scoped lists and alternate identifiers")

# A second tenant-scoped ordering (a unit's worklist by severity, a unit by SOR code).
GSI2 = Index("GSI2", "GSI2PK", "GSI2SK", "tenant-scoped orderings: worklists, SOR look-ups")
# Cross-tenant, used only by citizen login: a citizen's records in every municipality by CPR hash.
LOGIN = Index("Login", "LoginPK", "LoginSK", "citizen login across municipalities")
# Cross-tenant, used only by the reminder job: what falls due in an hour bucket, spread over shards.
DUE = Index("Due", "DuePK", "DueSK", "the reminder job's platform-wide due items")

INDEXES: tuple[Index, ...] = (GSI1, GSI2, LOGIN, DUE)
# The audit table (append-only, see kommunal_pro.audit): events by citizen in the table, by staff in GSI1.
AUDIT_INDEXES: tuple[Index, ...] = (GSI1,)


def key(tenant: str, *parts: str) -> str:
    """A key value: always the tenant first, so tenants are isolated by construction."""
    if not tenant:
        raise ValueError("every key starts with a tenant")
    return SEPARATOR.join((tenant, *parts))


def key_attributes(indexes: tuple[Index, ...] = INDEXES) -> list[str]:
    return [PK, SK, *(attr for index in indexes for attr in (index.partition_key, index.sort_key))]


def create_table_request(table_name: str, indexes: tuple[Index, ...] = INDEXES) -> dict[str, Any]:
    """The CreateTable request for the local runner and tests (CDK maps the same definition itself)."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in key_attributes(indexes)],
        "KeySchema": [{"AttributeName": PK, "KeyType": "HASH"}, {"AttributeName": SK, "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in indexes
        ],
    }


def ensure_table(client: Any, table_name: str, indexes: tuple[Index, ...] = INDEXES) -> bool:
    """Create the table (and its TTL setting) unless it exists. Returns whether it was created."""
    if table_name in _existing_tables(client):
        return False
    client.create_table(**create_table_request(table_name, indexes))
    client.get_waiter("table_exists").wait(TableName=table_name)
    client.update_time_to_live(
        TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
    )
    return True


def _existing_tables(client: Any) -> set[str]:
    names: set[str] = set()
    for page in client.get_paginator("list_tables").paginate():
        names.update(page["TableNames"])
    return names


def without_keys(item: dict[str, Any]) -> dict[str, Any]:
    """An item's own attributes, without the key attributes that only serve look-ups."""
    keys = {*key_attributes(), TTL_ATTRIBUTE}
    return {name: value for name, value in item.items() if name not in keys}
