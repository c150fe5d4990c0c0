"""The nightly organisation sync, run by an EventBridge schedule over the files in the sync bucket.

Invoke it by hand with {"now": "<ISO 8601 time>"} to judge positions as of another time (a catch-up).
"""

from datetime import UTC, datetime

from aws_lambda_powertools.utilities.typing import LambdaContext

from kommunal_pro.config import get_settings
from kommunal_pro.observability import logger, metrics
from kommunal_pro.organisations.files import CsvSource, S3Store
from kommunal_pro.organisations.sync import default_sync


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    settings = get_settings()
    if not settings.org_sync_bucket:
        raise RuntimeError("ORG_SYNC_BUCKET is not set")
    now = datetime.fromisoformat(event["now"]) if (event or {}).get("now") else None
    if now is not None and now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    report = default_sync().run(CsvSource(S3Store(settings.org_sync_bucket, settings.org_sync_prefix)), now)
    return report.model_dump(mode="json", by_alias=True)
