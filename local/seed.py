"""Demo data for the local runner. Idempotent: a second start adds nothing."""

from __future__ import annotations

from kommunal_pro.models import utc_now
from kommunal_pro.organisations.repository import MunicipalityRepository
from kommunal_pro.organisations.service import SEED_ACTOR, seed_municipalities
from kommunal_pro.questionnaires.repository import QuestionnaireRepository
from kommunal_pro.questionnaires.service import seed_standard_instruments

DEMO_MUNICIPALITY = "0751"  # Aarhus


def seed_demo_data(table: object) -> dict[str, int]:
    municipalities = MunicipalityRepository(table)
    added = seed_municipalities(municipalities)
    demo = municipalities.get(DEMO_MUNICIPALITY)
    if demo is not None and not demo.enabled and demo.updated_by == SEED_ACTOR:
        enabled = demo.model_copy(update={"enabled": True, "version": demo.version + 1, "updated_at": utc_now()})
        municipalities.replace(enabled, demo.version)
    instruments = seed_standard_instruments(QuestionnaireRepository(table), SEED_ACTOR)
    return {"municipalities": added, "questionnaires": instruments}
