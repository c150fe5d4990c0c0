"""Logger and metrics, created once and shared by every function.

No Powertools Tracer: Lambda's active tracing (set in infra/) records each invocation without the X-Ray
SDK, which would be the heaviest import on every cold start.

The log formatter redacts anything CPR-shaped from the finished JSON line, so no code path (a message, an
`extra` key, an exception text) can write a CPR number to the logs.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from kommunal_pro.cpr import redact

NAMESPACE = "KommunalPro"


class CprRedactingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: Any) -> str:
        return redact(super().serialize(log))


logger = Logger(logger_formatter=CprRedactingFormatter())
metrics = Metrics(namespace=NAMESPACE)
