"""Issue 3's story over HTTP: an administrator imports a real FHIR questionnaire, adds scoring, previews it,
publishes, exports valid FHIR and retires it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from fhir.resources.R4B.questionnaire import Questionnaire

from kommunal_pro.auth import Role
from tests.e2e.test_local_runner import auth_header, running_system

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
GAD7 = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "fhir"
    / "questionnaires"
    / "researchkitonfhir-gad7-contained-vs-ordinal.json"
)


def test_import_score_preview_publish_export_retire() -> None:
    admin = auth_header(Role.ADMIN)
    with running_system() as (base, _):
        imported = requests.post(
            f"{base}/v1/questionnaires/import", headers=admin, json=json.loads(GAD7.read_text()), timeout=10
        )
        assert imported.status_code == 201, imported.text
        qid, definition = imported.json()["id"], imported.json()["definition"]
        assert any(note["severity"] == "warning" for note in imported.json()["importReport"])

        questions = [item["linkId"] for group in definition["items"] for item in group.get("items", [])]
        definition["scales"] = [
            {"id": "gad7", "name": {"da": "GAD-7 total"}, "method": "sum", "items": questions, "headline": True}
        ]
        definition["flagRules"] = [
            {"id": "svaer", "level": "red", "scale": "gad7", "min": 15, "message": {"da": "Svær angst"}},
            {
                "id": "moderat",
                "level": "yellow",
                "scale": "gad7",
                "min": 10,
                "max": 14,
                "message": {"da": "Moderat angst"},
            },
        ]
        saved = requests.put(
            f"{base}/v1/questionnaires/{qid}/draft",
            headers=admin | {"If-Match": imported.headers["ETag"]},
            json=definition,
            timeout=10,
        )
        assert saved.status_code == 200, saved.text

        options = {item["linkId"]: item["options"] for group in definition["items"] for item in group.get("items", [])}
        highest = {link_id: [max(opts, key=lambda o: o["score"])["code"]] for link_id, opts in options.items()}
        previewed = requests.post(
            f"{base}/v1/questionnaires/{qid}/versions/1/preview-score",
            headers=admin,
            json={"answers": highest},
            timeout=10,
        )
        assert previewed.status_code == 200, previewed.text
        preview = previewed.json()
        assert preview["scales"][0]["value"] == 21 and preview["level"] == "red"
        assert [f["ruleId"] for f in preview["flags"]] == ["svaer"]

        published = requests.post(f"{base}/v1/questionnaires/{qid}/publish", headers=admin, timeout=10)
        assert published.status_code == 200, published.text
        assert (published.json()["version"], published.json()["status"]) == (1, "active")
        exported = requests.get(
            f"{base}/v1/questionnaires/{qid}/versions/1/fhir", headers=auth_header(Role.EMPLOYEE), timeout=10
        )
        assert exported.status_code == 200, exported.text
        questionnaire = Questionnaire.model_validate(exported.json())
        assert questionnaire.status == "active" and questionnaire.version == "1"

        retired = requests.post(f"{base}/v1/questionnaires/{qid}/retire", headers=admin, timeout=10)
        assert retired.status_code == 200, retired.text
        assert (retired.json()["version"], retired.json()["status"]) == (1, "retired")
        assert retired.json()["questionnaire"]["status"] == "retired"
