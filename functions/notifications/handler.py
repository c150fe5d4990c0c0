"""The reminder job (kommunal_pro.notifications.job), run by an EventBridge schedule every 15 minutes.

A direct invoke with {"now": "<ISO 8601 with offset>"} runs it for that moment: for operations catching up
after an outage (`python -m local.reminders --now ...` does the same from a shell). A run in which some
reminders failed raises after doing the rest, so the invocation counts as an error and the next run retries.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from kommunal_pro.clock import parse_instant, utc_now
from kommunal_pro.config import get_settings
from kommunal_pro.notifications.job import JobReport, NotificationQueue, ReminderJob
from kommunal_pro.observability import logger, metrics
from kommunal_pro.storage.table import data_table


class ReminderJobFailed(Exception):
    pass


def run(now: str | None) -> JobReport:
    """One run for `now` (ISO 8601 with an offset), or for the present."""
    at = parse_instant(now) if now else utc_now()
    return ReminderJob(data_table(), NotificationQueue(get_settings().notification_queue_url)).run(at)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = run(event.get("now"))
    for name, value in (("RemindersQueued", report.queued), ("RemindersFailed", report.failed)):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    result = report.model_dump(mode="json", by_alias=True)
    logger.info("reminder job ran", extra=result)
    if report.failed:
        raise ReminderJobFailed(f"{report.failed} of {report.due} due reminders failed; the next run retries them")
    return result
