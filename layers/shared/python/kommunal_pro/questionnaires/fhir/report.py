"""What an import tells the author: notes on what it left out or changed, and the problems that refuse it."""

from __future__ import annotations

from typing import Literal

from kommunal_pro.models import ApiModel

Severity = Literal["warning", "info"]


class ImportNote(ApiModel):
    """Something the import did not take over, or changed, that the author should know about."""

    severity: Severity
    location: str
    message: str
