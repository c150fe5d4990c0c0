"""Runtime settings, parsed once from the environment (Lambda environment variables or the local runner)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    environment: str = Field("local", alias="KOMMUNAL_PRO_ENV")
    table_name: str = Field("kommunal-pro-local-data", alias="TABLE_NAME")
    max_body_bytes: int = Field(256 * 1024, alias="MAX_BODY_BYTES")
    cpr_kms_key_id: str = Field("alias/kommunal-pro-local-cpr", alias="CPR_KMS_KEY_ID")
    cpr_hash_key_secret_id: str = Field("kommunal-pro/local/cpr-hash-key", alias="CPR_HASH_KEY_SECRET_ID")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]
