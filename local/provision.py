"""What AWS provides in a deployed environment, created locally (in moto) when missing: the data and
audit tables, the KMS key that encrypts CPR numbers and the secret keying their look-up hash. The tests use it too."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import boto3
from botocore.exceptions import ClientError

from kommunal_pro.config import Settings
from kommunal_pro.storage.schema import AUDIT_INDEXES, ensure_table


def provision(settings: Settings, cpr_hash_key: str | None = None) -> bool:
    """Create what is missing; returns whether the table was created. Pass the CPR hash key to keep
    look-ups working across restarts against a lasting DynamoDB; by default a random one is made."""
    dynamodb = boto3.client("dynamodb")
    created = ensure_table(dynamodb, settings.table_name)
    ensure_table(dynamodb, settings.audit_table_name, AUDIT_INDEXES)
    _ensure_cpr_key(settings.cpr_kms_key_id)
    _ensure_hash_secret(settings.cpr_hash_key_secret_id, cpr_hash_key or secrets.token_urlsafe(48))
    return created


def _ensure_cpr_key(alias: str) -> None:
    kms = boto3.client("kms")
    if not _exists(lambda: kms.describe_key(KeyId=alias), "NotFoundException"):
        key_id = kms.create_key(Description="Kommunal PRO local CPR encryption")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=alias, TargetKeyId=key_id)


def _ensure_hash_secret(secret_id: str, value: str) -> None:
    manager = boto3.client("secretsmanager")
    if not _exists(lambda: manager.describe_secret(SecretId=secret_id), "ResourceNotFoundException"):
        manager.create_secret(Name=secret_id, SecretString=value)


def _exists(describe: Callable[[], object], not_found_code: str) -> bool:
    """Whether `describe` finds the resource: False on the service's not-found error code, any other error raised."""
    try:
        describe()
    except ClientError as error:
        if error.response["Error"]["Code"] != not_found_code:
            raise
        return False
    return True
