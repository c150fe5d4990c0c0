"""Keeping CPR numbers confidential at rest.

A CPR number is stored only encrypted with the platform's KMS key (the municipality as encryption
context, so a ciphertext cannot be replayed into another tenant) and looked up only by an HMAC whose key
lives in Secrets Manager. Neither the key nor the number ever reaches a log.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Any

import boto3

from kommunal_pro.config import get_settings
from kommunal_pro.cpr import Cpr


@lru_cache(maxsize=1)
def _hash_key() -> bytes:
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=get_settings().cpr_hash_key_secret_id)
    key: str = secret["SecretString"]
    return key.encode()


@lru_cache(maxsize=1)
def _kms() -> Any:
    return boto3.client("kms")


def lookup_hash(cpr: Cpr) -> str:
    return cpr.keyed_hash(_hash_key())


def encrypt(cpr: Cpr, tenant: str) -> str:
    response = _kms().encrypt(
        KeyId=get_settings().cpr_kms_key_id,
        Plaintext=cpr.reveal().encode(),
        EncryptionContext={"tenant": tenant, "purpose": "cpr"},
    )
    return base64.b64encode(response["CiphertextBlob"]).decode()


def decrypt(ciphertext: str, tenant: str) -> Cpr:
    response = _kms().decrypt(
        CiphertextBlob=base64.b64decode(ciphertext), EncryptionContext={"tenant": tenant, "purpose": "cpr"}
    )
    return Cpr(response["Plaintext"].decode())
