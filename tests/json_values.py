"""Parsed JSON (API bodies, synthesised templates, DynamoDB items) as the shape a test expects: each helper
fails the test if the value is anything else, and gives the type checker the shape from then on."""

from __future__ import annotations

from typing import Any


def as_object(value: object) -> dict[str, Any]:
    """`value`, parsed JSON, as the object it must be (the test fails if it is anything else)."""
    assert isinstance(value, dict), value
    return value


def as_objects(value: object) -> list[dict[str, Any]]:
    """`value`, parsed JSON, as the list of objects it must be."""
    assert isinstance(value, list) and all(isinstance(item, dict) for item in value), value
    return value


def as_str(value: object) -> str:
    """`value`, parsed JSON, as the string it must be."""
    assert isinstance(value, str), value
    return value
