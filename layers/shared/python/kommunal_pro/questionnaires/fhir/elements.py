"""FHIR JSON as plain dicts, and the helpers for it that more than one FHIR module needs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

FhirJson = dict[str, Any]


def compact(element: FhirJson) -> FhirJson:
    """The element without its empty fields: FHIR JSON has no nulls, empty arrays or empty objects."""
    return {key: value for key, value in element.items() if value is not None and value != [] and value != {}}


def fhir_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def descendants(items: Any) -> Iterator[FhirJson]:
    """Every item dict, depth first; safe on unvalidated JSON."""
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            yield item
            yield from descendants(item.get("item"))
