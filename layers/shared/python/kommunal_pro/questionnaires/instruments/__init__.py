"""The standard instruments of the national library, as native definitions scored as their manuals say.

Each module names its sources: wording, scoring, bands, the rule for missing answers and why its flags
are what they are.
"""

from __future__ import annotations

from ..model import QuestionnaireDefinition
from . import eq5d5l, gad7, phq9, who5


def standard_instruments() -> dict[str, QuestionnaireDefinition]:
    """Fresh definitions keyed by stable ids, so callers may change theirs freely."""
    return {
        "who-5": who5.definition(),
        "phq-9": phq9.definition(),
        "gad-7": gad7.definition(),
        "eq-5d-5l": eq5d5l.definition(),
    }
