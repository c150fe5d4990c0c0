"""Run after each deployment by a CDK trigger: add missing reference data (municipalities, standard
instruments). Idempotent, so every deployment may run it."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from kommunal_pro.observability import logger
from kommunal_pro.reference_data import seed_reference_data
from kommunal_pro.storage.table import data_table


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    added = seed_reference_data(data_table())
    logger.info("reference data seeded", extra=added)
    return added
