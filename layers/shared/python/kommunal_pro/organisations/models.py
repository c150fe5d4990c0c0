"""Municipalities (tenants) and their onboarding settings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from kommunal_pro.cpr import NO_CPR
from kommunal_pro.gsm7 import gsm7_text
from kommunal_pro.models import ApiModel
from kommunal_pro.scheduling.timeline import ReminderPolicy
from kommunal_pro.tenancy import Tenant

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
# A name that reaches citizens' messages: staff may not write a CPR number into it.
Name = Annotated[ShortText, NO_CPR]
# The sender name starts every SMS, which must fit one part (160 GSM-7 characters; see notifications/templates.py).
SENDER_NAME_SMS_LENGTH = 30
SenderName = Annotated[Name, gsm7_text(SENDER_NAME_SMS_LENGTH)]


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
    email_shows_questionnaire_title: bool = Field(
        False,
        description=(
            "E-mails til borgere nævner spørgeskemaets titel; SMS gør det aldrig "
            "(e-mails name the questionnaire; an SMS never does)"
        ),
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
            "examples": [{"enabled": True, "senderName": "Aarhus Kommune Sundhed", "gracePeriodDays": 3}]
        }
    )

    enabled: bool | None = None
    display_name: Name | None = None
    sender_name: SenderName | None = Field(
        None,
        description=f"Afsendernavn i e-mails og SMS: højst {SENDER_NAME_SMS_LENGTH} tegn, som kan stå i en SMS",
    )
    reminder_channels: list[ReminderChannel] | None = None
    reminder_policy: ReminderPolicy | None = None
    grace_period_days: int | None = Field(None, ge=0, le=90)
    unit_scoped_visibility: bool | None = None
    access_log_shows_staff_names: bool | None = None
    email_shows_questionnaire_title: bool | None = None

    @field_validator("reminder_channels")
    @classmethod
    def _unique(cls, channels: list[ReminderChannel] | None) -> list[ReminderChannel] | None:
        if channels is not None and len(set(channels)) != len(channels):
            raise ValueError("each channel may appear only once")
        return channels
