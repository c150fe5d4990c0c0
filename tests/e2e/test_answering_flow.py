"""Issues 4 and 5 over HTTP: a nurse registers a citizen and assigns WHO-5 weekly; the citizen answers and
sees the score; the nurse works the worklist and reviews the answer; the citizen sees who read it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from kommunal_pro.auth import Role
from local import tokens
from tests.e2e.test_local_runner import SECRET, auth_header, running_system

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_register_assign_weekly_answer_and_see_the_score() -> None:
    nurse = auth_header(Role.EMPLOYEE)
    citizen = {"Authorization": f"Bearer {tokens.mint(tokens.citizen_claims('241290-9111', 'Mette'), secret=SECRET)}"}
    with running_system() as (base, _):
        registered = requests.post(
            f"{base}/v1/citizens",
            headers=nurse,
            timeout=10,
            json={
                "cpr": "241290-9111",
                "name": "Mette Sørensen",
                "mobile": "+4522334455",
                "preferredChannel": "sms",
                "consentToDigitalPro": True,
            },
        )
        assert registered.status_code == 201, registered.text
        assert "241290-9111" not in registered.text and "2412909111" not in registered.text
        tasks_before = requests.get(f"{base}/v1/me/tasks", headers=citizen, timeout=10).json()
        assert tasks_before == {"items": [], "nextCursor": None}

        an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0).isoformat()
        weekly: dict[str, Any] = {
            "kind": "recurring",
            "firstOpensAt": an_hour_ago,
            "every": 1,
            "unit": "weeks",
            "answerWindowHours": 72,
            "count": 8,
        }
        assigned = requests.post(
            f"{base}/v1/citizens/{registered.json()['id']}/assignments",
            headers=nurse,
            timeout=10,
            json={"questionnaireId": "who-5", "unitId": "sundhedscenter-nord", "schedule": weekly},
        )
        assert assigned.status_code == 201, assigned.text
        assert assigned.json()["questionnaire"] == {"tenant": "national", "questionnaireId": "who-5", "version": 1}
        assert [t["status"] for t in assigned.json()["tasks"]] == ["open"] + ["scheduled"] * 7

        (open_task,) = requests.get(f"{base}/v1/me/tasks?status=open", headers=citizen, timeout=10).json()["items"]
        assert open_task["status"] == "open"
        answers = {f"who5-{n}": ["1"] for n in range(1, 6)}  # 1 × 5 = raw 5, 20 %: likely depression (red)
        key = {"Idempotency-Key": str(uuid.uuid4())}
        receipt = requests.post(
            f"{base}/v1/me/tasks/{open_task['id']}/response",
            headers=citizen | key,
            timeout=10,
            json={"answers": answers, "note": "Bedre søvn"},
        )
        assert receipt.status_code == 201, receipt.text
        assert sorted(s["value"] for s in receipt.json()["scores"]) == [5, 20]
        again = requests.post(
            f"{base}/v1/me/tasks/{open_task['id']}/response",
            headers=citizen | key,
            timeout=10,
            json={"answers": answers, "note": "Bedre søvn"},
        )
        assert again.status_code == 201 and again.json() == receipt.json()

        # Issue 5: the nurse prepares the conversation; the citizen sees who looked.
        worklist = requests.get(f"{base}/v1/units/sundhedscenter-nord/worklist", headers=nurse, timeout=10).json()
        flagged = next(r for r in worklist["items"] if r["responseId"] == receipt.json()["responseId"])
        assert flagged["level"] == "red" and flagged["citizenName"] == "Mette Sørensen"
        response = requests.get(f"{base}/v1/responses/{flagged['responseId']}", headers=nurse, timeout=10).json()
        assert response["note"] == "Bedre søvn" and response["flags"][0]["level"] == "red"
        reviewed = requests.post(
            f"{base}/v1/responses/{flagged['responseId']}/review",
            headers=nurse,
            timeout=10,
            json={"comment": "Ringet op"},
        )
        assert reviewed.status_code == 200, reviewed.text
        assert reviewed.json()["reviewed"]["comment"] == "Ringet op"
        after = requests.get(f"{base}/v1/units/sundhedscenter-nord/worklist", headers=nurse, timeout=10).json()
        assert flagged["responseId"] not in [r["responseId"] for r in after["items"]]
        access_log = requests.get(f"{base}/v1/me/access-log", headers=citizen, timeout=10).json()
        assert {"response.read", "worklist.read", "response.review"} <= {e["action"] for e in access_log}
        assert all(e["unit"] == "sundhedscenter-nord" for e in access_log if e["action"] == "response.read")
