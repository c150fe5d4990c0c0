"""A unit closed with a successor hands its open work over: unanswered tasks with their assignments and
unreviewed responses move to the successor's worklist; answered work stays where it was answered."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kommunal_pro.auth import Role
from kommunal_pro.orgsync.sync import default_sync
from tests.org_data import NORD, NOW, SYD, OrgFiles
from tests.support import ApiClient, citizen, staff

NORD_NURSE = staff(Role.EMPLOYEE, "0751", units=[NORD])
SYD_NURSE = staff(Role.EMPLOYEE, "0751", subject="nurse-syd", units=[SYD])


def test_open_work_moves_to_the_successor_and_a_rerun_moves_nothing(
    api: ApiClient, seeded: Any, tmp_path: Path
) -> None:
    files = OrgFiles.demo(tmp_path / "org-data")
    default_sync().run(files.write(), NOW)
    registered = api.call(
        "POST",
        "/v1/citizens",
        claims=NORD_NURSE,
        body={"cpr": "070365-4286", "name": "Hanne", "consentToDigitalPro": True},
    )
    assert registered.status == 201, registered.body
    citizen_id = registered.body["id"]
    first = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    schedule = {
        "kind": "recurring",
        "firstOpensAt": first,
        "every": 1,
        "unit": "weeks",
        "answerWindowHours": 48,
        "count": 2,
    }
    assigned = api.call(
        "POST",
        f"/v1/citizens/{citizen_id}/assignments",
        claims=NORD_NURSE,
        body={"questionnaireId": "phq-9", "unitId": NORD, "schedule": schedule},
    )
    assert assigned.status == 201, assigned.body
    answered, pending = assigned.body["tasks"]
    answers = {f"phq9-{n}": ["2"] for n in range(1, 10)}
    submitted = api.call(
        "POST",
        f"/v1/me/tasks/{answered['id']}/response",
        claims=citizen("070365-4286"),
        body={"answers": answers},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert submitted.status == 201, submitted.body
    response = submitted.body

    files.unit(NORD)["successor_uuid"] = SYD
    report = default_sync().run(files.write(), NOW + timedelta(days=1))

    (closed,) = report.closed_units
    assert (closed.unit_id, closed.successor_id) == (NORD, SYD)
    assert closed.handed_over is not None
    assert closed.handed_over.model_dump() == {"tasks": 1, "assignments": 1, "responses": 1}
    syd_worklist = api.call("GET", f"/v1/units/{SYD}/worklist", claims=SYD_NURSE).body
    assert [r["responseId"] for r in syd_worklist["items"]] == [response["responseId"]]
    assert api.call("GET", f"/v1/units/{NORD}/worklist", claims=NORD_NURSE).body["items"] == []
    (moved,) = api.call("GET", f"/v1/citizens/{citizen_id}/assignments", claims=SYD_NURSE).body["items"]
    assert moved["unitId"] == SYD
    assert {t["id"]: t["unitId"] for t in moved["tasks"]} == {answered["id"]: NORD, pending["id"]: SYD}
    assert default_sync().run(files.write(), NOW + timedelta(days=2)).closed_units == []
