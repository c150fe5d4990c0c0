"""The platform's reference data, seeded on every deployment and by the local runner: the 98
municipalities (not enabled) with the national library tenant, and the standard instruments published in
the national library. Idempotent: what exists is never touched."""

from __future__ import annotations

from typing import Any

from kommunal_pro.organisations.repository import MunicipalityRepository
from kommunal_pro.organisations.service import SEED_ACTOR, seed_municipalities
from kommunal_pro.questionnaires.repository import QuestionnaireRepository
from kommunal_pro.questionnaires.service import seed_standard_instruments


def seed_reference_data(table: Any) -> dict[str, int]:
    """How many municipalities and questionnaires were added."""
    return {
        "municipalities": seed_municipalities(MunicipalityRepository(table)),
        "questionnaires": seed_standard_instruments(QuestionnaireRepository(table), SEED_ACTOR),
    }
