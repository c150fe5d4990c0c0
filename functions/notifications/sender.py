"""The notification sender: consumes the queue the reminder job fills and sends through SES and SNS.

Records are processed with Powertools' batch processing: a record that fails is reported back (partial batch
response), so SQS retries only that one and, after the queue's maxReceiveCount, moves it to the dead-letter queue.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from kommunal_pro.clock import utc_now
from kommunal_pro.config import get_settings
from kommunal_pro.notifications.delivery import AwsTransport, NotificationSender, Transport
from kommunal_pro.notifications.models import NotificationRef, NotificationStatus
from kommunal_pro.observability import logger, metrics
from kommunal_pro.storage.table import data_table

# A batch in which every record failed is reported like any other, so the local runner drains it the same way.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
METRICS = {NotificationStatus.SENT: "RemindersSent", NotificationStatus.SKIPPED: "RemindersSkipped"}


def handle_batch(
    event: dict[str, Any], transport: Transport, context: LambdaContext | None = None
) -> PartialItemFailureResponse:
    """Deliver each record's notification through `transport`; the partial batch response for SQS."""
    sender = NotificationSender(data_table(), transport, get_settings().citizen_app_url)

    def deliver(record: SQSRecord) -> None:
        ref = NotificationRef.model_validate_json(record.body)
        status = sender.deliver(ref, utc_now())
        logger.info("notification handled", extra={"task": ref.task_id, "number": ref.number, "status": status})
        if status is not None:
            metrics.add_metric(name=METRICS[status], unit=MetricUnit.Count, value=1)

    return process_partial_response(event=event, record_handler=deliver, processor=processor, context=context)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return handle_batch(event, AwsTransport(get_settings()), context)
