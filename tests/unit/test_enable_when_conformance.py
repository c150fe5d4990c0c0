"""The server's enableWhen rules against the conformance cases the web client runs too (tests/conformance)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kommunal_pro.errors import InvalidInput
from kommunal_pro.questionnaires.answers import enabled_items, validate_submission
from kommunal_pro.questionnaires.model import QuestionnaireDefinition

CASES_DIR = Path(__file__).resolve().parent.parent / "conformance" / "enable-when"


def _cases() -> list[Any]:
    found = []
    for path in sorted(CASES_DIR.glob("*.json")):
        document = json.loads(path.read_text())
        definition = QuestionnaireDefinition.model_validate({k: v for k, v in document.items() if k != "cases"})
        found += [pytest.param(definition, case, id=f"{path.stem}-{n}") for n, case in enumerate(document["cases"])]
    return found


def test_there_are_cases() -> None:
    assert len(_cases()) >= 15


@pytest.mark.parametrize(("definition", "case"), _cases())
def test_enabled_items(definition: QuestionnaireDefinition, case: dict[str, Any]) -> None:
    assert enabled_items(definition, case["answers"]) == set(case["enabled"])


@pytest.mark.parametrize(("definition", "case"), _cases())
def test_submission_errors(definition: QuestionnaireDefinition, case: dict[str, Any]) -> None:
    try:
        validate_submission(definition, case["answers"])
        refused: set[str] = set()
    except InvalidInput as error:
        refused = {e["location"].removeprefix("answers.") for e in error.errors}
    assert refused == set(case["errors"])
