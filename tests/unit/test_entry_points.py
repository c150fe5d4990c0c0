"""Every module under functions/ that Lambda can run is in the one registry, `functions.ENTRY_POINTS`, which the
infrastructure (infra/stack.py) and the cold-start test read: a new job cannot be forgotten there."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from functions import ENTRY_POINTS, entry_point

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"


def _defines_lambda_handler(path: Path) -> bool:
    """A top-level `def lambda_handler` or `lambda_handler = ...`."""
    for node in ast.parse(path.read_text(encoding="utf-8"), filename=str(path)).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names = [node.name]
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [target.id for target in targets if isinstance(target, ast.Name)]
        else:
            continue
        if "lambda_handler" in names:
            return True
    return False


def test_every_module_defining_lambda_handler_is_registered() -> None:
    found = {(path.parent.name, path.stem) for path in FUNCTIONS_DIR.glob("*/*.py") if _defines_lambda_handler(path)}
    registered = {(entry.function, entry.module) for entry in ENTRY_POINTS}

    assert found, "no lambda_handler found under functions/"
    assert found - registered == set(), "add these to functions.ENTRY_POINTS"
    assert registered - found == set(), "registered, but the module defines no lambda_handler"


def test_entry_points_are_listed_once() -> None:
    keys = [(entry.function, entry.module) for entry in ENTRY_POINTS]
    assert len(keys) == len(set(keys))


def test_an_entry_point_names_its_module_and_lambdas_handler_setting() -> None:
    sender = entry_point("notifications", "sender")
    assert (sender.import_path, sender.handler) == ("functions.notifications.sender", "sender.lambda_handler")
    with pytest.raises(LookupError, match=r"functions/housekeeping/handler\.py"):
        entry_point("housekeeping")
