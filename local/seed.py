"""Demo data for the local runner. Idempotent: a second start adds nothing."""

from __future__ import annotations

from typing import Any

from kommunal_pro.models import utc_now
from kommunal_pro.organisations.repository import MunicipalityRepository
from kommunal_pro.organisations.service import SEED_ACTOR
from kommunal_pro.reference_data import seed_reference_data

DEMO_MUNICIPALITY = "0751"  # Aarhus


def seed_demo_data(table: Any) -> dict[str, int]:
    added = seed_reference_data(table)
    municipalities = MunicipalityRepository(table)
    demo = municipalities.get(DEMO_MUNICIPALITY)
    if demo is not None and not demo.enabled and demo.updated_by == SEED_ACTOR:
        enabled = demo.model_copy(update={"enabled": True, "version": demo.version + 1, "updated_at": utc_now()})
        municipalities.replace(enabled, demo.version)
    return added
