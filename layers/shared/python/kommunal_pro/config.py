"""Runtime settings, parsed once from the environment (Lambda environment variables or the local runner)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    table_name: str = Field("kommunal-pro-local-data", alias="TABLE_NAME")
    audit_table_name: str = Field("kommunal-pro-local-audit", alias="AUDIT_TABLE_NAME")
    audit_retention_days: int = Field(3650, ge=1, alias="AUDIT_RETENTION_DAYS")
    max_body_bytes: int = Field(256 * 1024, alias="MAX_BODY_BYTES")
    cors_allowed_origins: str = Field("", alias="CORS_ALLOWED_ORIGINS", description="Comma-separated web origins")
    cpr_kms_key_id: str = Field("alias/kommunal-pro-local-cpr", alias="CPR_KMS_KEY_ID")
    cpr_hash_key_secret_id: str = Field("kommunal-pro/local/cpr-hash-key", alias="CPR_HASH_KEY_SECRET_ID")
    org_sync_bucket: str | None = Field(None, alias="ORG_SYNC_BUCKET")
    org_sync_prefix: str = Field("", alias="ORG_SYNC_PREFIX")
    org_sync_max_bad_share: float = Field(0.1, ge=0, le=1, alias="ORG_SYNC_MAX_BAD_SHARE")
    # Reminders: the Due index's shards per hour (may only grow), the queue between job and sender, the
    # sender address (of an SES-verified identity), the SMS sender id and type, and the citizen solution's URL.
    due_shards: int = Field(8, ge=1, alias="DUE_SHARDS")
    notification_queue_url: str = Field("", alias="NOTIFICATION_QUEUE_URL")
    email_from_address: str = Field("no-reply@kommunal-pro.local", alias="EMAIL_FROM_ADDRESS")
    sms_sender_id: str = Field("", alias="SMS_SENDER_ID")
    sms_type: str = Field("Transactional", alias="SMS_TYPE")
    citizen_app_url: str = Field("http://localhost:3000/", alias="CITIZEN_APP_URL")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
