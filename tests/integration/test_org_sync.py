"""The organisation sync against a moto table, over the Aarhus demo files changed the way the registers change."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from kommunal_pro.assignments.repository import AssignmentRepository
from kommunal_pro.organisations.units import UnitRepository
from kommunal_pro.orgsync.handover import WorkHandover
from kommunal_pro.orgsync.source import OrgSource
from kommunal_pro.orgsync.sync import OrgSync, SyncReport, SyncRunRepository
from kommunal_pro.responses.repository import ResponseRepository
from tests.org_data import (
    AARHUS,
    EMPLOYEE,
    NORD,
    NOW,
    PHYSIO,
    REHABILITERING,
    SUNDHED_OG_OMSORG,
    SYD,
    VEST,
    OrgFiles,
    RecordedMetrics,
    recorded_writes,
)


@pytest.fixture
def files(tmp_path: Path) -> OrgFiles:
    return OrgFiles.demo(tmp_path / "org-data")


@pytest.fixture
def metrics() -> RecordedMetrics:
    return RecordedMetrics()


@pytest.fixture
def sync(table: Any, metrics: RecordedMetrics) -> OrgSync:
    return OrgSync(
        UnitRepository(table),
        SyncRunRepository(table),
        WorkHandover(AssignmentRepository(table), ResponseRepository(table)),
        max_bad_share=0.1,
        metrics=metrics,
    )


@pytest.fixture
def units(table: Any) -> UnitRepository:
    return UnitRepository(table)


def run(sync: OrgSync, source: OrgSource, days: int = 0) -> SyncReport:
    return sync.run(source, NOW + timedelta(days=days))


def test_a_first_run_creates_the_units_and_current_memberships(
    sync: OrgSync, files: OrgFiles, units: UnitRepository
) -> None:
    report = run(sync, files.write())

    assert (report.units.created, report.memberships.created, report.aborted) == (6, 4, False)
    assert [(f.file, f.rows, f.skipped) for f in report.files] == [
        ("sor-units.csv", 3, 0),
        ("fk-org-units.csv", 6, 0),
        ("fk-positions.csv", 6, 0),
    ]
    sundhed = units.get(AARHUS, SUNDHED_OG_OMSORG)
    assert sundhed is not None and sundhed.active
    assert (sundhed.sor_code, sundhed.unit_type) == ("7141000016000", "sundhedsforvaltning")
    assert units.by_sor_code(AARHUS, "7141000016000") == [sundhed]
    synced = units.units(AARHUS)
    assert [u.name for u in synced if u.parent_id is None] == ["Aarhus Kommune"]
    centres = sorted(u.name for u in synced if u.parent_id == REHABILITERING)
    assert centres == ["Sundhedscenter Nord", "Sundhedscenter Syd", "Sundhedscenter Vest"]
    # A position that ended (31 Dec 2025) makes no membership; two positions in one unit make one.
    assert [m.unit_id for m in units.staff_of(AARHUS, SYD)] == []
    physio = units.memberships_of(AARHUS, PHYSIO)
    assert [(m.unit_id, m.positions) for m in physio] == [(NORD, ["Fysioterapeut", "Holdleder"])]


def test_a_second_run_over_the_same_files_writes_nothing_but_its_report(
    sync: OrgSync, files: OrgFiles, table: Any
) -> None:
    source = files.write()
    run(sync, source)
    with recorded_writes(table) as writes:
        report = run(sync, source, days=1)

    assert [(op, params["Item"]["PK"]["S"]) for op, params in writes] == [("PutItem", "national#SYNCRUN")]
    assert (report.units.unchanged, report.memberships.unchanged) == (6, 4)
    assert report.units.created + report.units.updated + report.units.deactivated == 0
    assert report.memberships.created + report.memberships.updated + report.memberships.removed == 0


def test_changes_are_written_and_nothing_else(
    sync: OrgSync, files: OrgFiles, units: UnitRepository, table: Any
) -> None:
    run(sync, files.write())
    files.unit(VEST)["name"] = "Sundhedscenter Vest og Hasle"
    files.unit(VEST)["parent_uuid"] = SUNDHED_OG_OMSORG
    files.add_unit(uuid="3b4f3a52-8a1e-4d6f-9a3c-2f1d5e6b7c8d", name="KOL-holdet", parent_uuid=NORD)
    files.positions[0]["position_name"] = "Klinisk sygeplejespecialist"

    with recorded_writes(table) as writes:
        report = run(sync, files.write())

    assert (report.units.created, report.units.updated, report.units.unchanged) == (1, 1, 5)
    assert (report.memberships.updated, report.memberships.unchanged) == (1, 3)
    assert [operation for operation, _ in writes] == ["BatchWriteItem", "PutItem"]
    assert sum(len(requests) for requests in writes[0][1]["RequestItems"].values()) == 3
    vest = units.get(AARHUS, VEST)
    assert vest is not None and (vest.name, vest.parent_id) == ("Sundhedscenter Vest og Hasle", SUNDHED_OG_OMSORG)
    assert [m.positions for m in units.memberships_of(AARHUS, EMPLOYEE)] == [["Klinisk sygeplejespecialist"]]


def test_a_unit_that_disappears_is_deactivated_and_listed_for_a_decision(
    sync: OrgSync, files: OrgFiles, units: UnitRepository
) -> None:
    run(sync, files.write())
    files.units.remove(files.unit(VEST))
    files.positions = [p for p in files.positions if p["unit_uuid"] != VEST]

    report = run(sync, files.write())

    assert (report.units.deactivated, report.memberships.removed) == (1, 1)
    [closed] = report.closed_units
    assert (closed.unit_id, closed.name, closed.successor_id) == (VEST, "Sundhedscenter Vest", None)
    vest = units.get(AARHUS, VEST)
    assert vest is not None and not vest.active  # kept, never deleted
    assert VEST not in {u.id for u in units.units(AARHUS) if u.active}
    assert run(sync, files.write()).closed_units == []  # reported once, by the run that closed it


def test_a_unit_closed_with_a_successor_records_it(sync: OrgSync, files: OrgFiles, units: UnitRepository) -> None:
    run(sync, files.write())
    files.unit(SYD)["successor_uuid"] = NORD

    report = run(sync, files.write())

    assert report.units.deactivated == 1
    assert [(c.unit_id, c.successor_id) for c in report.closed_units] == [(SYD, NORD)]
    syd = units.get(AARHUS, SYD)
    assert syd is not None and (syd.active, syd.successor_id) == (False, NORD)


def test_a_closed_unit_that_comes_back_is_reactivated(sync: OrgSync, files: OrgFiles, units: UnitRepository) -> None:
    run(sync, files.write())
    files.unit(SYD)["successor_uuid"] = NORD
    run(sync, files.write())
    files.unit(SYD)["successor_uuid"] = ""

    report = run(sync, files.write())

    assert report.units.updated == 1
    syd = units.get(AARHUS, SYD)
    assert syd is not None and (syd.active, syd.successor_id) == (True, None)


def test_memberships_follow_positions_over_time(sync: OrgSync, files: OrgFiles, units: UnitRepository) -> None:
    files.add_position(user_uuid=EMPLOYEE, unit_uuid=SYD, position_name="Sygeplejerske", start_date="2026-04-01")
    files.positions[0]["stop_date"] = "2026-03-31"
    source = files.write()

    run(sync, source)
    assert [m.unit_id for m in units.memberships_of(AARHUS, EMPLOYEE)] == [NORD]

    report = run(sync, source, days=30)  # 1 April: moved from Nord to Syd
    assert (report.memberships.created, report.memberships.removed) == (1, 1)
    assert [m.unit_id for m in units.memberships_of(AARHUS, EMPLOYEE)] == [SYD]
    assert [m.subject for m in units.staff_of(AARHUS, SYD)] == [EMPLOYEE]


def test_malformed_rows_are_skipped_counted_and_leave_their_units_alone(
    sync: OrgSync, files: OrgFiles, units: UnitRepository
) -> None:
    run(sync, files.write())
    files.unit(VEST)["name"] = ""  # unreadable: Vest stays as stored, not deactivated
    files.unit(SYD)["parent_uuid"] = "no-such-unit"
    files.unit(NORD)["name"] = "Sundhedscenter Nord (Skejby)"
    for n in range(30):
        files.add_unit(uuid=f"team-{n}", name=f"Team {n}", parent_uuid=REHABILITERING)
        files.add_position(user_uuid=f"user-{n}", unit_uuid=f"team-{n}", position_name="Fysioterapeut")
    files.add_position(user_uuid=PHYSIO, unit_uuid=SYD, position_name="Fysioterapeut", start_date="03-01-2026")

    report = run(sync, files.write())

    assert not report.aborted
    org = report.files[1]
    assert (org.rows, org.skipped, org.reasons) == (36, 2, {"missing name": 1, "unknown parent_uuid": 1})
    assert report.files[2].reasons == {"unit_uuid of a skipped unit": 2, "invalid start_date": 1}
    assert [(r.file, r.line, r.reason) for r in report.skipped_rows] == [
        ("fk-org-units.csv", 6, "unknown parent_uuid"),
        ("fk-org-units.csv", 7, "missing name"),
        ("fk-positions.csv", 6, "unit_uuid of a skipped unit"),
        ("fk-positions.csv", 7, "unit_uuid of a skipped unit"),
        ("fk-positions.csv", 38, "invalid start_date"),
    ]
    assert (report.units.created, report.units.updated, report.units.deactivated) == (30, 1, 0)
    assert report.memberships.created == 30
    assert all(u.active for u in units.units(AARHUS))
    # The physiotherapist's other membership is left as it was, not removed.
    assert [m.unit_id for m in units.memberships_of(AARHUS, PHYSIO)] == [NORD]


def test_more_bad_rows_than_allowed_abort_the_run_and_apply_nothing(
    sync: OrgSync, files: OrgFiles, table: Any, units: UnitRepository, metrics: RecordedMetrics
) -> None:
    run(sync, files.write())
    before = units.units(AARHUS)
    files.units.remove(files.unit(VEST))  # would deactivate Vest
    files.positions = [p for p in files.positions if p["unit_uuid"] != VEST]
    files.unit(SYD)["name"] = "Sundhedscenter Syd og Viby"  # would rename Syd
    files.positions[1]["user_uuid"] = "not a uuid"  # 1 of 5 rows bad: 20 % > 10 %

    with recorded_writes(table) as writes:
        report = run(sync, files.write())

    assert report.aborted
    assert report.abort_reason == "fk-positions.csv: 1 of 5 rows are bad, more than the 10% allowed"
    assert report.units.model_dump() == {"created": 0, "updated": 0, "deactivated": 0, "unchanged": 0}
    assert [(op, params["Item"]["PK"]["S"]) for op, params in writes] == [("PutItem", "national#SYNCRUN")]
    assert units.units(AARHUS) == before
    assert metrics.added == [("OrgSyncAborted", 0), ("OrgSyncAborted", 1)]


def test_a_missing_file_aborts_the_run(sync: OrgSync, files: OrgFiles, metrics: RecordedMetrics) -> None:
    source = files.write()
    (files.folder / "fk-positions.csv").unlink()

    report = run(sync, source)

    assert report.aborted and "fk-positions.csv is missing" in (report.abort_reason or "")
    assert report.units.created == 0 and metrics.added == [("OrgSyncAborted", 1)]


def test_only_the_municipalities_in_the_source_are_synced(
    sync: OrgSync, files: OrgFiles, units: UnitRepository, tmp_path: Path
) -> None:
    run(sync, files.write())
    odense = OrgFiles(tmp_path / "odense", [], [], [])
    odense.add_unit(
        uuid="5a0c2a5e-0b0e-4b8e-9d0e-6f1b2c3d4e5f", name="Ældre- og Handicapforvaltningen", municipality_code="0461"
    )

    report = run(sync, odense.write())

    assert (report.units.created, report.units.deactivated) == (1, 0)
    assert all(u.active for u in units.units(AARHUS))
    assert [u.name for u in units.units("0461")] == ["Ældre- og Handicapforvaltningen"]


def test_each_run_stores_its_report_newest_first(sync: OrgSync, files: OrgFiles, table: Any) -> None:
    source = files.write()
    first = run(sync, source)
    (files.folder / "sor-units.csv").unlink()
    second = run(sync, source)

    stored = SyncRunRepository(table).newest_first(None).items

    assert stored == [second, first]
    assert stored[0].aborted and not stored[1].aborted
    assert stored[1].units.created == 6
    page = SyncRunRepository(table).newest_first(None, limit=1)
    assert page.items == [second] and page.next_cursor
    assert SyncRunRepository(table).newest_first(page.next_cursor, limit=1).items == [first]
