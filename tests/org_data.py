"""Organisation-sync test data: the demo files of local/org-data (Aarhus), changed row by row."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kommunal_pro.orgsync.files import FILE_NAMES, CsvSource, FolderStore
from kommunal_pro.orgsync.source import OrgUnit, Position, SorUnit
from local.orgsync import DEMO_FOLDER

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
AARHUS = "0751"
# Ids in the demo files.
SUNDHED_OG_OMSORG = "4cba9d82-e264-5878-82ef-24aff1ecc1d5"
REHABILITERING = "caa29890-57e2-55b3-989c-04bb5e2d512e"
NORD = "sundhedscenter-nord"
SYD = "035aa43f-1db9-5bc5-bcb7-d290bce1e306"
VEST = "8920d15c-ba46-538c-8d99-01afd988fb49"
EMPLOYEE = "ef7c6376-8db1-5f08-b7d3-e485c7f8c2d9"  # the dev employee of 0751 (local.tokens)
PHYSIO = "dc9987c2-8e34-5b6e-82e2-09c707125112"


def _read(name: str) -> list[dict[str, str]]:
    with (DEMO_FOLDER / name).open(encoding="utf-8") as rows:
        return list(csv.DictReader(rows))


@dataclass
class OrgFiles:
    """The three files as editable rows; `write()` puts them in `folder` and returns a source over it."""

    folder: Path
    sor: list[dict[str, str]]
    units: list[dict[str, str]]
    positions: list[dict[str, str]]

    @classmethod
    def demo(cls, folder: Path) -> OrgFiles:
        return cls(folder, _read(FILE_NAMES[SorUnit]), _read(FILE_NAMES[OrgUnit]), _read(FILE_NAMES[Position]))

    def unit(self, uuid: str) -> dict[str, str]:
        return next(row for row in self.units if row["uuid"] == uuid)

    def add_unit(self, **row: str) -> None:
        self.units.append({"municipality_code": AARHUS, **row})

    def add_position(self, **row: str) -> None:
        self.positions.append(row)

    def write(self) -> CsvSource:
        self.folder.mkdir(parents=True, exist_ok=True)
        for model, rows in ((SorUnit, self.sor), (OrgUnit, self.units), (Position, self.positions)):
            write_csv(self.folder / FILE_NAMES[model], rows)
        return CsvSource(FolderStore(self.folder))


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    columns = list(dict.fromkeys(column for row in rows for column in row))
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, columns)
        writer.writeheader()
        writer.writerows(rows)


class RecordedMetrics:
    """Stands in for Powertools metrics: keeps what was added."""

    def __init__(self) -> None:
        self.added: list[tuple[str, float]] = []

    def add_metric(self, name: str, unit: Any, value: float) -> None:
        self.added.append((name, value))


WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


@contextmanager
def recorded_writes(table: Any) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every write request the table's client sends meanwhile, as (operation, low-level parameters)."""
    writes: list[tuple[str, dict[str, Any]]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name in WRITES:
            writes.append((model.name, params))

    events = table.meta.client.meta.events
    events.register("before-parameter-build.dynamodb", record, unique_id="recorded-writes")
    try:
        yield writes
    finally:
        events.unregister("before-parameter-build.dynamodb", unique_id="recorded-writes")
