"""Municipalities (tenants) and their onboarding settings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from kommunal_pro.models import ApiModel
from kommunal_pro.scheduling.timeline import ReminderPolicy
from kommunal_pro.tenancy import Tenant

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ReminderChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class MunicipalitySettings(ApiModel):
    display_name: ShortText
    sender_name: ShortText = Field(description="Afsendernavn i e-mails og SMS til borgere")
    reminder_channels: list[ReminderChannel] = Field(
        description="De kanaler kommunen tillader til påmindelser (the reminder channels allowed)"
    )
    reminder_policy: ReminderPolicy = Field(default_factory=ReminderPolicy)
    grace_period_days: int = Field(7, ge=0, le=90, description="Days after the due time before a task expires")
    unit_scoped_visibility: bool = Field(False, description="Staff see only citizens assigned in their own units")
    access_log_shows_staff_names: bool = Field(
        False, description="Citizens see the names of staff who read their data (otherwise the unit)"
    )


class Municipality(ApiModel):
    code: Tenant
    name: str
    region: str | None = None
    region_code: str | None = None
    enabled: bool
    settings: MunicipalitySettings
    version: int = 1
    updated_at: datetime
    updated_by: str


class MunicipalityPatch(ApiModel):
    """What a national admin may change: onboarding state and settings. Absent fields stay as they are."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"enabled": True, "senderName": "Aarhus Kommune, Sundhed og Omsorg", "gracePeriodDays": 3}]
        }
    )

    enabled: bool | None = None
    display_name: ShortText | None = None
    sender_name: ShortText | None = None
    reminder_channels: list[ReminderChannel] | None = None
    reminder_policy: ReminderPolicy | None = None
    grace_period_days: int | None = Field(None, ge=0, le=90)
    unit_scoped_visibility: bool | None = None
    access_log_shows_staff_names: bool | None = None

    @field_validator("reminder_channels")
    @classmethod
    def _unique(cls, channels: list[ReminderChannel] | None) -> list[ReminderChannel] | None:
        if channels is not None and len(set(channels)) != len(channels):
            raise ValueError("each channel may appear only once")
        return channels
