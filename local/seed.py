"""Demo data for the local runner: reference data, Aarhus enabled, two citizens of Sundhedscenter Nord
with a weekly WHO-5 that is open now. Idempotent: a second start adds nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kommunal_pro.assignments.models import AssignmentRequest
from kommunal_pro.assignments.service import default_service as assignment_service
from kommunal_pro.auth import Principal, Role
from kommunal_pro.citizens.models import CitizenRegistration
from kommunal_pro.citizens.service import default_citizen_service
from kommunal_pro.clock import utc_now
from kommunal_pro.errors import Conflict
from kommunal_pro.organisations.repository import MunicipalityRepository
from kommunal_pro.organisations.service import SEED_ACTOR
from kommunal_pro.reference_data import seed_reference_data

DEMO_MUNICIPALITY = "0751"  # Aarhus
DEMO_UNIT = "sundhedscenter-nord"
# Made-up CPR numbers with real dates: (cpr, name, e-mail, mobile, preferred channel).
DEMO_CITIZENS = (
    ("070365-4286", "Hanne Jensen", "hanne.jensen@example.dk", "+4520304050", "email"),
    ("120455-1238", "Anders Nielsen", None, "+4561718191", "sms"),
)
DEMO_NURSE = Principal(
    subject="demo-nurse", municipality=DEMO_MUNICIPALITY, roles=frozenset({Role.EMPLOYEE}), units=(DEMO_UNIT,)
)


def seed_demo_data(table: Any) -> dict[str, int]:
    added = seed_demo_municipality(table)
    added["citizens"] = sum(_seed_citizen(*citizen) for citizen in DEMO_CITIZENS)
    return added


def seed_demo_municipality(table: Any) -> dict[str, int]:
    """Reference data with Aarhus enabled (unless an admin has changed it since)."""
    added = seed_reference_data(table)
    municipalities = MunicipalityRepository(table)
    demo = municipalities.get(DEMO_MUNICIPALITY)
    if demo is not None and not demo.enabled and demo.updated_by == SEED_ACTOR:
        enabled = demo.model_copy(update={"enabled": True, "version": demo.version + 1, "updated_at": utc_now()})
        municipalities.replace(enabled, demo.version)
    return added


def _seed_citizen(cpr: str, name: str, email: str | None, mobile: str, channel: str) -> bool:
    registration = CitizenRegistration(
        cpr=cpr, name=name, email=email, mobile=mobile, preferred_channel=channel, consent_to_digital_pro=True
    )
    try:
        citizen = default_citizen_service().register(DEMO_NURSE, registration)
    except Conflict:
        return False  # seeded on an earlier start

    first = (utc_now() - timedelta(hours=1)).replace(microsecond=0)
    schedule = {
        "kind": "recurring",
        "first_opens_at": first,
        "every": 1,
        "unit": "weeks",
        "answer_window_hours": 72,
        "count": 8,
    }
    request = AssignmentRequest.model_validate(
        {"questionnaire_id": "who-5", "unit_id": DEMO_UNIT, "course": "KOL-rehabilitering", "schedule": schedule}
    )
    assignment_service().assign(DEMO_NURSE, citizen.id, request)
    return True
