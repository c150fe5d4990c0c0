"""Run after each deployment (a CDK trigger): add any of the 98 municipalities that is missing.

Idempotent: existing municipalities, with their onboarding state and settings, are never touched.
"""

from aws_lambda_powertools.utilities.typing import LambdaContext

from kommunal_pro.observability import logger
from kommunal_pro.organisations.repository import MunicipalityRepository
from kommunal_pro.organisations.service import seed_municipalities
from kommunal_pro.storage.table import data_table


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    added = seed_municipalities(MunicipalityRepository(data_table()))
    logger.info("municipalities seeded", extra={"added": added})
    return {"added": added}
