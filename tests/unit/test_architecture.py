"""The shape of the shared package, read from its source: domains depend on each other in one direction, and
only composition functions reach for the table.

Both checks read the code's syntax tree, so a renamed import or an aliased call cannot slip past them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "layers" / "shared" / "python" / "kommunal_pro"

# The parts of kommunal_pro, lowest first. A module may import its own part and the parts of lower layers,
# never a part of its own layer or of a higher one. A new part goes here, where its imports put it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("config", "errors", "tenancy", "clock", "models", "cpr", "gsm7"),  # plain values and settings
    ("observability", "json_body"),  # logging with CPR numbers redacted; what a request body may hold
    ("storage", "auth", "concurrency"),  # the table, the caller, ETags
    ("audit", "api"),  # the audit log; the HTTP plumbing every function shares
    ("scheduling",),  # reminder policy and plan, the Due index: what assignments, settings and jobs share
    ("organisations",),  # municipalities and their settings, units and staff membership
    ("questionnaires",),  # authoring, versions, scoring, FHIR
    ("citizens",),  # registration, CPR, a citizen's own records
    ("assignments",),  # assigning, tasks, staff access to a citizen's data
    ("responses",),  # drafts, submitting, a citizen's history
    ("notifications",),  # the reminder job and the sender
    ("review",),  # staff reading responses, the worklist, the access log
    ("orgsync",),  # the nightly organisation sync and a closed unit's handover
    ("reference_data",),  # the seed of municipalities and instruments
)
RANK = {part: rank for rank, layer in enumerate(LAYERS) for part in layer}
# Composition: the functions that build services from the environment's table.
COMPOSITION_PREFIX = "default_"
STORAGE = PACKAGE / "storage"


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _part(module: Path) -> str:
    return module.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imported_parts(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        parts = {name.split(".")[1] for name in names if name.startswith("kommunal_pro.")}
        for part in sorted(parts & RANK.keys()):
            yield node.lineno, part


def test_every_part_of_the_package_has_a_place_in_the_layers() -> None:
    parts = {_part(module) for module in _modules()} - {"__init__"}

    assert parts - RANK.keys() == set(), "add the new part to LAYERS"
    assert RANK.keys() - parts == set(), "LAYERS names a part that no longer exists"


@pytest.mark.parametrize("module", _modules(), ids=lambda m: str(m.relative_to(PACKAGE)))
def test_a_module_imports_only_its_own_part_and_lower_layers(module: Path) -> None:
    own = _part(module)
    if own == "__init__":
        return
    against = [
        f"line {line}: {own} (layer {RANK[own]}) imports {part} (layer {RANK[part]})"
        for line, part in _imported_parts(ast.parse(module.read_text()))
        if part != own and RANK[part] >= RANK[own]
    ]
    assert against == []


def _functions_using(tree: ast.AST, name: str) -> Iterator[tuple[int, str | None]]:
    """Where `name` is used, with the top-level function it is used in (None: at module level)."""
    for top in ast.iter_child_nodes(tree):
        owner = top.name if isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) else None
        for node in ast.walk(top):
            if isinstance(node, ast.Name) and node.id == name:
                yield node.lineno, owner


@pytest.mark.parametrize(
    "module",
    [m for m in _modules() if STORAGE not in m.parents],
    ids=lambda m: str(m.relative_to(PACKAGE)),
)
def test_only_composition_functions_touch_the_tables(module: Path) -> None:
    """Domain code is given its repositories; only `default_…()` builds them from the environment's tables."""
    tree = ast.parse(module.read_text())
    uses = [use for table in ("data_table", "audit_table") for use in _functions_using(tree, table)]
    assert [
        f"line {line} in {owner or 'module level'}"
        for line, owner in uses
        if not (owner or "").startswith(COMPOSITION_PREFIX)
    ] == []


def test_the_composition_check_sees_a_domain_function_that_reaches_for_the_table() -> None:
    source = "from kommunal_pro.storage.table import data_table as t\n\ndef units_of(x):\n    return data_table()\n"

    assert list(_functions_using(ast.parse(source), "data_table")) == [(4, "units_of")]


def test_the_import_check_sees_an_import_against_the_order() -> None:
    source = "from kommunal_pro.assignments.service import reminder_channel\nimport kommunal_pro.orgsync.sync\n"

    assert list(_imported_parts(ast.parse(source))) == [(1, "assignments"), (2, "orgsync")]
