"""What keeps CPR numbers confidential at rest: a KMS key that encrypts them and the secret that keys their
look-up hash (see kommunal_pro.citizens.cpr_vault)."""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import EnvironmentConfig
from infra.nag import acknowledge


class CprProtection(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description=f"Kommunal PRO {config.name}: CPR number encryption",
            alias=f"alias/kommunal-pro-{config.name}-cpr",
            enable_key_rotation=True,
            removal_policy=config.removal_policy,
        )
        self.hash_secret = secretsmanager.Secret(
            self,
            "HashKey",
            description=f"Kommunal PRO {config.name}: HMAC key for CPR look-ups",
            encryption_key=self.key,
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64, exclude_punctuation=True),
            removal_policy=config.removal_policy,
        )
        acknowledge(
            self.hash_secret,
            "Not rotated automatically: every stored look-up hash derives from this key, so rotating it means "
            "re-hashing all citizens in one planned operation (docs/operations.md), not a scheduled rotation.",
            "AwsSolutions-SMG4",
            "HIPAA.Security-SecretsManagerRotationEnabled",
        )
