"""What AWS provides in a deployed environment, created locally (in moto) when missing: the data and
audit tables, the KMS key that encrypts CPR numbers and the secret keying their look-up hash. The tests use it too."""

from __future__ import annotations

import secrets

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
    try:
        kms.describe_key(KeyId=alias)
    except ClientError as error:
        if error.response["Error"]["Code"] != "NotFoundException":
            raise
        key_id = kms.create_key(Description="Kommunal PRO local CPR encryption")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=alias, TargetKeyId=key_id)


def _ensure_hash_secret(secret_id: str, value: str) -> None:
    manager = boto3.client("secretsmanager")
    try:
        manager.describe_secret(SecretId=secret_id)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        manager.create_secret(Name=secret_id, SecretString=value)
