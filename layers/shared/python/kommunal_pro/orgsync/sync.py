"""The nightly organisation sync: SOR and FK-Organisation data in, units and staff membership out.

- Idempotent and minimal: the source is compared with what is stored and only differences are written, so
  a second run over the same data writes nothing but its report.
- Bad input never half-applies: a row that cannot be read or does not fit the others (a duplicate, an
  unknown parent, unit or successor, a parent cycle) is skipped and counted; a unit whose row was skipped,
  and a user with a skipped position, are left exactly as stored. If a file is missing, or more than
  `max_bad_share` of any file is bad, nothing is applied, the run is reported as aborted and the
  `OrgSyncAborted` metric is 1 (it is 0 after every other run, so an alarm also sees a sync that stops).
- Scope: the municipalities with org units in the source. Their stored units that the source no longer
  names are deactivated, never deleted.
- A unit closed with a successor is deactivated with the successor recorded, after its open work (unanswered
  tasks with their assignments, unreviewed responses) has moved to the successor (`handover.py`). Every
  unit closed by a run is listed in its report with what moved; one closed without a successor keeps its
  work, for a human to decide.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from aws_lambda_powertools.metrics import MetricUnit
from boto3.dynamodb.conditions import Key
from pydantic import Field

from kommunal_pro.assignments.repository import AssignmentRepository
from kommunal_pro.clock import local_date, utc_now
from kommunal_pro.config import get_settings
from kommunal_pro.models import ApiModel
from kommunal_pro.observability import logger, metrics
from kommunal_pro.organisations.service import reference_municipalities
from kommunal_pro.organisations.units import StaffMembership, SyncedRecord, Unit, UnitRepository
from kommunal_pro.orgsync.handover import HandedOver, WorkHandover
from kommunal_pro.orgsync.source import (
    MissingSourceFile,
    OrgSource,
    OrgUnit,
    Position,
    RecordT,
    Rejected,
    Rows,
    SourceRecord,
)
from kommunal_pro.responses.repository import ResponseRepository
from kommunal_pro.storage.pages import Page, query_page
from kommunal_pro.storage.schema import PK, key
from kommunal_pro.storage.table import data_table, from_items, storage_failures, to_item
from kommunal_pro.tenancy import NATIONAL

ABORTED_METRIC = "OrgSyncAborted"
MAX_LISTED_ROWS = 100
SyncedT = TypeVar("SyncedT", bound=SyncedRecord)


class FileResult(ApiModel):
    file: str
    rows: int
    skipped: int
    reasons: dict[str, int] = Field(description="Skipped rows by reason")


class SkippedRow(ApiModel):
    file: str
    line: int
    reason: str


class UnitChanges(ApiModel):
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0


class MembershipChanges(ApiModel):
    created: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0


class ClosedUnit(ApiModel):
    """A unit this run deactivated, and what of its open work moved to its successor (None: no successor,
    the work stays for a human to decide)."""

    municipality: str
    unit_id: str
    name: str
    successor_id: str | None
    handed_over: HandedOver | None = None


class SyncReport(ApiModel):
    started_at: datetime
    finished_at: datetime | None = None
    as_of: date = Field(description="The Copenhagen date positions are judged current on")
    source: str
    aborted: bool = False
    abort_reason: str | None = None
    files: list[FileResult] = Field(default_factory=list)
    skipped_rows: list[SkippedRow] = Field(default_factory=list, description=f"The first {MAX_LISTED_ROWS}")
    units: UnitChanges = Field(default_factory=UnitChanges)
    memberships: MembershipChanges = Field(default_factory=MembershipChanges)
    closed_units: list[ClosedUnit] = Field(default_factory=list)


@dataclass
class CheckedSource:
    """The source after the checks that span rows: what may be applied, and what must be left alone."""

    units: dict[str, OrgUnit]
    unit_types: dict[str, str | None]
    positions: list[Position]
    kept_units: set[str]
    kept_users: set[str]
    files: list[FileResult]
    skipped_rows: list[SkippedRow]


@dataclass
class Changes:
    units: list[Unit] = field(default_factory=list)
    memberships: list[StaffMembership] = field(default_factory=list)
    removed: list[StaffMembership] = field(default_factory=list)


def check_source(source: OrgSource, municipalities: set[str]) -> CheckedSource:
    """Read the three files and set aside every row that does not fit; raises MissingSourceFile."""
    sor, org, positions = source.read_sor_units(), source.read_org_units(), source.read_positions()
    all_rows: tuple[Rows[Any], ...] = (sor, org, positions)
    sizes = {rows.file: len(rows.records) + len(rows.rejected) for rows in all_rows}
    unit_types = {code: unit.unit_type for code, (_, unit) in _unique(sor).items()}
    units = _check_org_units(org, municipalities)
    kept_units = {r.ref for r in org.rejected if r.ref}
    current = []
    for line, position in positions.records:
        if position.unit_uuid in units:
            current.append(position)
        else:
            reason = "unit_uuid of a skipped unit" if position.unit_uuid in kept_units else "unknown unit_uuid"
            positions.rejected.append(Rejected(line, reason, position.user_uuid))
    return CheckedSource(
        units=units,
        unit_types=unit_types,
        positions=current,
        kept_units=kept_units,
        kept_users={r.ref for r in positions.rejected if r.ref},
        files=[
            FileResult(
                file=rows.file,
                rows=sizes[rows.file],
                skipped=len(rows.rejected),
                reasons=dict(Counter(r.reason for r in rows.rejected)),
            )
            for rows in all_rows
        ],
        skipped_rows=[
            SkippedRow(file=rows.file, line=r.line, reason=r.reason)
            for rows in all_rows
            for r in sorted(rows.rejected, key=lambda r: r.line)
        ][:MAX_LISTED_ROWS],
    )


def _unique(rows: Rows[RecordT]) -> dict[str, tuple[int, RecordT]]:
    """(line, record) by the record's id; every row of an id that occurs more than once is rejected."""
    counts = Counter(_ref(record) for _, record in rows.records)
    unique = {}
    for line, record in rows.records:
        if counts[_ref(record)] > 1:
            rows.rejected.append(Rejected(line, f"duplicate {record.ref_field}", _ref(record)))
        else:
            unique[_ref(record)] = (line, record)
    return unique


def _ref(record: SourceRecord) -> str:
    ref: str = getattr(record, record.ref_field)
    return ref


def _check_org_units(rows: Rows[OrgUnit], municipalities: set[str]) -> dict[str, OrgUnit]:
    """The org units that fit together: a known municipality, a unique uuid, a known parent and successor,
    no parent cycle. Rejecting a unit can orphan its children, so the checks repeat until nothing changes."""
    candidates = {}
    for uuid, (line, unit) in _unique(rows).items():
        if unit.municipality_code in municipalities:
            candidates[uuid] = (line, unit)
        else:
            rows.rejected.append(Rejected(line, "unknown municipality_code", uuid))
    while True:
        placed = _reachable(candidates)
        problems = {
            uuid: reason for uuid, (_, unit) in candidates.items() if (reason := _problem(unit, candidates, placed))
        }
        if not problems:
            return {uuid: unit for uuid, (_, unit) in candidates.items()}
        for uuid, reason in problems.items():
            line, _ = candidates.pop(uuid)
            rows.rejected.append(Rejected(line, reason, uuid))


def _reachable(units: dict[str, tuple[int, OrgUnit]]) -> set[str]:
    """The units reached walking down from the roots (no parent, or a parent not among `units`)."""
    children = defaultdict(list)
    for uuid, (_, unit) in units.items():
        children[unit.parent_uuid if unit.parent_uuid in units else None].append(uuid)
    reached, todo = set(), list(children[None])
    while todo:
        uuid = todo.pop()
        reached.add(uuid)
        todo.extend(children[uuid])
    return reached


def _problem(unit: OrgUnit, units: dict[str, Any], placed: set[str]) -> str | None:
    if unit.parent_uuid and unit.parent_uuid not in units:
        return "unknown parent_uuid"
    if unit.successor_uuid and (unit.successor_uuid == unit.uuid or unit.successor_uuid not in units):
        return "unknown successor_uuid"
    if unit.uuid not in placed:
        return "parent cycle"
    return None


class OrgSync:
    def __init__(
        self,
        units: UnitRepository,
        runs: SyncRunRepository,
        handover: WorkHandover,
        *,
        max_bad_share: float,
        metrics: Any = metrics,
    ) -> None:
        self._units, self._runs, self._handover = units, runs, handover
        self._max_bad_share = max_bad_share
        self._metrics = metrics

    def run(self, source: OrgSource, now: datetime | None = None) -> SyncReport:
        """One run over `source`; `now` (default: the clock) decides which positions are current."""
        started_at = utc_now()
        report = SyncReport(started_at=started_at, as_of=local_date(now or started_at), source=source.location)
        try:
            checked = check_source(source, _municipality_codes())
        except MissingSourceFile as missing:
            report.abort_reason = str(missing)
        else:
            report.files, report.skipped_rows = checked.files, checked.skipped_rows
            report.abort_reason = self._too_many_bad_rows(checked.files)
            if report.abort_reason is None:
                self._apply(checked, report)
        report.aborted = report.abort_reason is not None
        report.finished_at = utc_now()
        self._runs.add(report)
        self._metrics.add_metric(name=ABORTED_METRIC, unit=MetricUnit.Count, value=int(report.aborted))
        if report.aborted:
            logger.error("organisation sync aborted, nothing applied", extra={"reason": report.abort_reason})
        else:
            logger.info(
                "organisation sync applied",
                extra={"units": report.units.model_dump(), "memberships": report.memberships.model_dump()},
            )
        return report

    def _too_many_bad_rows(self, files: list[FileResult]) -> str | None:
        for result in files:
            if result.rows and result.skipped / result.rows > self._max_bad_share:
                return (
                    f"{result.file}: {result.skipped} of {result.rows} rows are bad, "
                    f"more than the {self._max_bad_share:.0%} allowed"
                )
        return None

    def _apply(self, checked: CheckedSource, report: SyncReport) -> None:
        """Plan every municipality first, then write, so a failed read leaves nothing half-written."""
        changes = Changes()
        for municipality in sorted({unit.municipality_code for unit in checked.units.values()}):
            stored = {unit.id: unit for unit in self._units.units(municipality)}
            self._plan_units(municipality, stored, checked, report, changes)
            self._plan_memberships(municipality, stored, checked, report, changes)
        for closed in report.closed_units:
            if closed.successor_id:
                closed.handed_over = self._handover.move(closed.municipality, closed.unit_id, closed.successor_id)
        self._units.write(changes.units, changes.memberships, changes.removed)

    def _plan_units(
        self, municipality: str, stored: dict[str, Unit], checked: CheckedSource, report: SyncReport, changes: Changes
    ) -> None:
        incoming = [
            _unit(record, checked.unit_types, report.started_at)
            for record in checked.units.values()
            if record.municipality_code == municipality
        ]
        gone = [
            unit.model_copy(update={"active": False, "updated_at": report.started_at})
            for unit in stored.values()
            if unit.active and unit.id not in checked.units and unit.id not in checked.kept_units
        ]
        for unit in [*incoming, *gone]:
            replaced = _queue_changed(stored.get(unit.id), unit, changes.units, report.units)
            if replaced is None:
                continue
            if replaced.active and not unit.active:
                report.units.deactivated += 1
                report.closed_units.append(
                    ClosedUnit(
                        municipality=municipality, unit_id=unit.id, name=unit.name, successor_id=unit.successor_id
                    )
                )
            else:
                report.units.updated += 1

    def _plan_memberships(
        self, municipality: str, units: dict[str, Unit], checked: CheckedSource, report: SyncReport, changes: Changes
    ) -> None:
        """Memberships are found per unit (a unit's staff), over every unit stored or arriving."""
        arriving = {uuid for uuid, unit in checked.units.items() if unit.municipality_code == municipality}
        stored = {
            (m.subject, m.unit_id): m
            for unit_id in sorted(units.keys() | arriving)
            for m in self._units.staff_of(municipality, unit_id)
        }
        wanted: dict[tuple[str, str], set[str]] = {}
        for position in checked.positions:
            if (
                checked.units[position.unit_uuid].municipality_code == municipality
                and position.current_on(report.as_of)
                and position.user_uuid not in checked.kept_users
            ):
                names = wanted.setdefault((position.user_uuid, position.unit_uuid), set())
                if position.position_name:
                    names.add(position.position_name)
        for (subject, unit_id), names in wanted.items():
            membership = StaffMembership(
                municipality=municipality,
                subject=subject,
                unit_id=unit_id,
                positions=sorted(names),
                updated_at=report.started_at,
            )
            replaced = _queue_changed(
                stored.get((subject, unit_id)), membership, changes.memberships, report.memberships
            )
            if replaced is not None:
                report.memberships.updated += 1
        for (subject, unit_id), old in stored.items():
            if (subject, unit_id) not in wanted and subject not in checked.kept_users:
                changes.removed.append(old)
                report.memberships.removed += 1


def _queue_changed(
    old: SyncedT | None, new: SyncedT, writes: list[SyncedT], counts: UnitChanges | MembershipChanges
) -> SyncedT | None:
    """Queue `new` for writing unless it equals the stored `old`, counting it as unchanged or created.
    Returns the stored record it replaces, which the caller counts by how it changed (None: counted here)."""
    if old is not None and old.same_as(new):
        counts.unchanged += 1
        return None
    writes.append(new)
    if old is None:
        counts.created += 1
    return old


def _unit(record: OrgUnit, unit_types: dict[str, str | None], at: datetime) -> Unit:
    return Unit(
        id=record.uuid,
        municipality=record.municipality_code,
        name=record.name,
        parent_id=record.parent_uuid,
        sor_code=record.sor_code,
        unit_type=unit_types.get(record.sor_code) if record.sor_code else None,
        active=record.successor_uuid is None,
        successor_id=record.successor_uuid,
        updated_at=at,
    )


def _municipality_codes() -> set[str]:
    return {m.code for m in reference_municipalities()} - {NATIONAL}


_RUNS = key(NATIONAL, "SYNCRUN")
SYNC_RUNS_PAGE = 20


class SyncRunRepository:
    """Sync reports: PK = "national#SYNCRUN", SK = the run's start time (ISO 8601 UTC, so newest last)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def add(self, report: SyncReport) -> None:
        sort = report.started_at.isoformat(timespec="microseconds")
        with storage_failures():
            self._table.put_item(Item=to_item(report, PK=_RUNS, SK=sort))

    def newest_first(self, cursor: str | None, limit: int = SYNC_RUNS_PAGE) -> Page[SyncReport]:
        """The runs' reports, newest first: what operations check after a night (DESIGN §6.11)."""
        items, next_cursor = query_page(
            self._table, (PK, _RUNS), limit, cursor, KeyConditionExpression=Key(PK).eq(_RUNS), ScanIndexForward=False
        )
        return Page(items=from_items(SyncReport, items), next_cursor=next_cursor)


def default_sync_runs() -> SyncRunRepository:
    return SyncRunRepository(data_table())


def default_sync() -> OrgSync:
    table = data_table()
    return OrgSync(
        UnitRepository(table),
        SyncRunRepository(table),
        WorkHandover(AssignmentRepository(table), ResponseRepository(table)),
        max_bad_share=get_settings().org_sync_max_bad_share,
    )
