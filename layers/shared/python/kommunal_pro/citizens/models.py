"""Citizens as the employee module registers them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StrictBool, StringConstraints, field_validator

from kommunal_pro.cpr import Cpr, InvalidCpr
from kommunal_pro.models import ApiModel
from kommunal_pro.organisations.models import MunicipalitySettings, ReminderChannel
from kommunal_pro.tenancy import Tenant

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
# Danish mobile numbers: 8 digits, optionally with +45.
Mobile = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^(\+45)?\d{8}$")]
Language = Literal["da", "en"]


def _valid_cpr(value: str) -> str:
    try:
        return Cpr(value).reveal()
    except InvalidCpr as error:
        raise ValueError(str(error)) from None


class CprLookup(ApiModel):
    """A CPR number travels only in a request body, never in a URL."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"cpr": "070365-4286"}]})

    cpr: str = Field(description="DDMMYY-SSSS, with or without the dash", repr=False)

    _check = field_validator("cpr")(_valid_cpr)


class CitizenRegistration(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "cpr": "070365-4286",
                    "name": "Hanne Jensen",
                    "mobile": "+4522334455",
                    "preferredChannel": "sms",
                    "language": "da",
                    "consentToDigitalPro": True,
                }
            ]
        }
    )

    cpr: str = Field(description="DDMMYY-SSSS, with or without the dash", repr=False)
    name: Name
    email: Email | None = None
    mobile: Mobile | None = None
    preferred_channel: ReminderChannel | None = None
    language: Language = "da"
    consent_to_digital_pro: bool = Field(description="The citizen agrees to receive and answer PRO digitally")

    _check = field_validator("cpr")(_valid_cpr)


class Consent(ApiModel):
    given: bool
    recorded_at: datetime
    recorded_by: str


class Citizen(ApiModel):
    """A citizen in one municipality, as staff see them: the CPR number only masked."""

    id: str
    municipality: Tenant
    name: str
    cpr_masked: str
    email: str | None
    mobile: str | None
    preferred_channel: ReminderChannel | None
    language: Language
    consent: Consent
    reminders_opted_out: bool = Field(False, description="The citizen has asked for no reminders")
    created_at: datetime
    created_by: str
    version: int = 1
    contact_details_withheld: bool = Field(
        False, description="Unit-scoped visibility withholds e-mail and mobile: the citizen is not in your units yet"
    )

    def without_contact_details(self) -> Citizen:
        return self.model_copy(
            update={"email": None, "mobile": None, "preferred_channel": None, "contact_details_withheld": True}
        )


class StoredCitizen(Citizen):
    """What is stored besides: the CPR encrypted, and its keyed hash for look-ups."""

    cpr_encrypted: str
    cpr_hash: str

    def public(self) -> Citizen:
        return Citizen.model_validate(self.model_dump(exclude={"cpr_encrypted", "cpr_hash"}))

    def reminder_channel(self, settings: MunicipalitySettings) -> ReminderChannel | None:
        """The preferred channel if the municipality allows it and we have the address; else the first allowed
        channel we can reach the citizen on; None when there is none, consent is withdrawn or they opted out."""
        reachable = {ReminderChannel.EMAIL: self.email, ReminderChannel.SMS: self.mobile}
        allowed = [c for c in settings.reminder_channels if reachable.get(c)]
        if not self.consent.given or self.reminders_opted_out or not allowed:
            return None
        return self.preferred_channel if self.preferred_channel in allowed else allowed[0]


class Preferences(ApiModel):
    """What a citizen decides for themselves."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"remindersOptedOut": False}]})

    # Strict: true or false, not 0.0 or "yes" (pydantic's lax mode would read those as a choice the citizen made).
    reminders_opted_out: StrictBool = Field(description="No invitations or reminders, in any municipality")
