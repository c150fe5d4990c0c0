"""Reading the organisation files and the checks across rows, without AWS."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kommunal_pro.orgsync.files import CsvSource, FolderStore
from kommunal_pro.orgsync.source import MissingSourceFile, Position, Rejected
from kommunal_pro.orgsync.sync import check_source
from tests.org_data import AARHUS, NORD, REHABILITERING, OrgFiles

UUID = "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"
AARHUS_ONLY = {AARHUS}


def source_of(tmp_path: Path, name: str, text: str) -> CsvSource:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return CsvSource(FolderStore(tmp_path))


class TestCsvFiles:
    def test_rows_become_records_with_their_line_numbers(self, tmp_path: Path) -> None:
        text = (
            "\ufeffuuid,name,parent_uuid,sor_code,municipality_code,successor_uuid,los_id\n"
            f"urn:uuid:{UUID.upper()}, Sundhed og Omsorg ,,7141000016000,0751,,LOS-17\n"
            f'{NORD},"Sundhedscenter Nord, Skejby",{UUID},,0751,,\n'
        )
        rows = source_of(tmp_path, "fk-org-units.csv", text).read_org_units()

        assert rows.rejected == []
        [(first_line, first), (second_line, second)] = rows.records
        assert (first_line, first.uuid, first.name, first.parent_uuid) == (2, UUID, "Sundhed og Omsorg", None)
        assert (second_line, second.name, second.parent_uuid) == (3, "Sundhedscenter Nord, Skejby", UUID)

    @pytest.mark.parametrize(
        ("row", "reason"),
        [
            (f"{UUID},,,,0751,", "missing name"),
            (f"{UUID},Nord,,,,", "missing municipality_code"),
            ("not a uuid,Nord,,,0751,", "invalid uuid"),
            (f"{UUID},Nord,,7141,0751,", "invalid sor_code"),
            (f"{UUID},Nord,,,751,", "invalid municipality_code"),
            (f"{UUID},Nord,,,0751,,extra", "more fields than the header"),
            (f"{UUID},Nord", "missing municipality_code"),
        ],
    )
    def test_a_bad_row_is_rejected_with_a_countable_reason(self, tmp_path: Path, row: str, reason: str) -> None:
        text = f"uuid,name,parent_uuid,sor_code,municipality_code,successor_uuid\n{row}\n"
        rows = source_of(tmp_path, "fk-org-units.csv", text).read_org_units()

        assert rows.records == []
        assert [(r.line, r.reason) for r in rows.rejected] == [(2, reason)]
        assert rows.rejected[0].ref == ("not a uuid" if row.startswith("not") else UUID)

    def test_positions_have_optional_dates(self, tmp_path: Path) -> None:
        text = (
            "user_uuid,unit_uuid,position_name,start_date,stop_date\n"
            f"{UUID},{NORD},Sygeplejerske,2024-02-01,\n"
            f"{UUID},{NORD},,,2026-12-31\n"
            f"{UUID},{NORD},Sygeplejerske,01-02-2024,\n"
        )
        rows = source_of(tmp_path, "fk-positions.csv", text).read_positions()

        assert [(p.position_name, p.start_date, p.stop_date) for _, p in rows.records] == [
            ("Sygeplejerske", date(2024, 2, 1), None),
            (None, None, date(2026, 12, 31)),
        ]
        assert rows.rejected == [Rejected(4, "invalid start_date", UUID)]

    def test_a_missing_file_is_reported(self, tmp_path: Path) -> None:
        with pytest.raises(MissingSourceFile, match=r"sor-units\.csv is missing"):
            CsvSource(FolderStore(tmp_path)).read_sor_units()


@pytest.mark.parametrize(
    ("day", "current"),
    [(date(2026, 1, 31), False), (date(2026, 2, 1), True), (date(2026, 3, 31), True), (date(2026, 4, 1), False)],
)
def test_a_position_holds_from_its_start_to_its_stop_date_inclusive(day: date, current: bool) -> None:
    position = Position(user_uuid=UUID, unit_uuid=NORD, start_date=date(2026, 2, 1), stop_date=date(2026, 3, 31))
    assert position.current_on(day) is current


class TestChecksAcrossRows:
    @pytest.fixture
    def files(self, tmp_path: Path) -> OrgFiles:
        files = OrgFiles(tmp_path, [], [], [])
        files.add_unit(uuid="root", name="Aarhus Kommune")
        return files

    def test_every_row_of_a_duplicated_uuid_is_skipped(self, files: OrgFiles) -> None:
        files.add_unit(uuid="a", name="A", parent_uuid="root")
        files.add_unit(uuid="a", name="A igen", parent_uuid="root")

        checked = check_source(files.write(), AARHUS_ONLY)

        assert sorted(checked.units) == ["root"]
        assert checked.files[1].reasons == {"duplicate uuid": 2}
        assert checked.kept_units == {"a"}

    def test_an_unknown_parent_skips_the_unit_and_its_descendants(self, files: OrgFiles) -> None:
        files.add_unit(uuid="a", name="A", parent_uuid="gone")
        files.add_unit(uuid="b", name="B", parent_uuid="a")
        files.add_unit(uuid="c", name="C", parent_uuid="root")

        checked = check_source(files.write(), AARHUS_ONLY)

        assert sorted(checked.units) == ["c", "root"]
        assert [(r.line, r.reason) for r in checked.skipped_rows] == [
            (3, "unknown parent_uuid"),
            (4, "unknown parent_uuid"),
        ]

    def test_a_parent_cycle_is_skipped(self, files: OrgFiles) -> None:
        files.add_unit(uuid="a", name="A", parent_uuid="b")
        files.add_unit(uuid="b", name="B", parent_uuid="a")
        files.add_unit(uuid="c", name="C", parent_uuid="c")

        checked = check_source(files.write(), AARHUS_ONLY)

        assert sorted(checked.units) == ["root"]
        assert checked.files[1].reasons == {"parent cycle": 3}

    def test_a_successor_must_be_another_unit_in_the_file(self, files: OrgFiles) -> None:
        files.add_unit(uuid="a", name="A", parent_uuid="root", successor_uuid="root")
        files.add_unit(uuid="b", name="B", parent_uuid="root", successor_uuid="b")
        files.add_unit(uuid="c", name="C", parent_uuid="root", successor_uuid="elsewhere")

        checked = check_source(files.write(), AARHUS_ONLY)

        assert sorted(checked.units) == ["a", "root"]
        assert checked.files[1].reasons == {"unknown successor_uuid": 2}

    def test_christianso_is_no_municipality(self, files: OrgFiles) -> None:
        files.add_unit(uuid="ertholmene", name="Ertholmene", municipality_code="0411")

        checked = check_source(files.write(), AARHUS_ONLY)

        assert sorted(checked.units) == ["root"] and checked.kept_units == {"ertholmene"}

    def test_positions_need_a_unit_that_is_applied(self, files: OrgFiles) -> None:
        files.add_unit(uuid="bad", name="")
        files.add_position(user_uuid="u1", unit_uuid="root", position_name="Direktør")
        files.add_position(user_uuid="u2", unit_uuid="bad", position_name="Sygeplejerske")
        files.add_position(user_uuid="u3", unit_uuid=REHABILITERING, position_name="Ergoterapeut")

        checked = check_source(files.write(), AARHUS_ONLY)

        assert [p.user_uuid for p in checked.positions] == ["u1"]
        assert checked.files[2].reasons == {"unit_uuid of a skipped unit": 1, "unknown unit_uuid": 1}
        assert checked.kept_users == {"u2", "u3"}

    def test_sor_gives_unit_types_by_code(self, files: OrgFiles) -> None:
        files.sor += [
            {"sor_code": "7141000016000", "name": "Sundhed og Omsorg", "unit_type": "sundhedsforvaltning"},
            {"sor_code": "311000016009", "name": "Aarhus Kommune", "unit_type": ""},
            {"sor_code": "651411000016002", "name": "LÆ- blanketter", "unit_type": "x"},
            {"sor_code": "651411000016002", "name": "LÆ- blanketter", "unit_type": "y"},
        ]
        for row in files.sor:
            row["municipality_code"] = AARHUS

        checked = check_source(files.write(), AARHUS_ONLY)

        assert checked.unit_types == {"7141000016000": "sundhedsforvaltning", "311000016009": None}
        assert checked.files[0].reasons == {"duplicate sor_code": 2}
