"""Logger, metrics and tracer, created once and shared by every function.

The log formatter redacts anything CPR-shaped from the finished JSON line, so no code path (a message, an
`extra` key, an exception text) can write a CPR number to the logs.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from kommunal_pro.cpr import redact

NAMESPACE = "KommunalPro"


class CprRedactingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: Any) -> str:
        return redact(super().serialize(log))


logger = Logger(logger_formatter=CprRedactingFormatter())
metrics = Metrics(namespace=NAMESPACE)
tracer = Tracer()
