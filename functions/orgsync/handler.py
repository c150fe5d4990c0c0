"""The nightly organisation sync, run by an EventBridge schedule over the files in the sync bucket.

Invoke it by hand with {"now": "<ISO 8601 with offset>"} to judge positions as of another time (a catch-up).
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from kommunal_pro.clock import parse_instant
from kommunal_pro.config import get_settings
from kommunal_pro.observability import logger, metrics
from kommunal_pro.orgsync.files import CsvSource, S3Store
from kommunal_pro.orgsync.sync import default_sync


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    if not settings.org_sync_bucket:
        raise RuntimeError("ORG_SYNC_BUCKET is not set")
    now = parse_instant(event["now"]) if (event or {}).get("now") else None
    report = default_sync().run(CsvSource(S3Store(settings.org_sync_bucket, settings.org_sync_prefix)), now)
    return report.model_dump(mode="json", by_alias=True)
