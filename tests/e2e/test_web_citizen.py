"""The citizen web app in Debian's Chromium against the real local runner (web/e2e/citizen.mjs drives it).

Needs the built client and web's npm packages (`make web`, which `make test` runs); skipped without them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from local import tokens
from local.seed import DEMO_CITIZENS
from tests.e2e.test_local_runner import SECRET, running_system
from tests.tally import tally

WEB = Path(__file__).resolve().parents[2] / "web"
JS_BUDGET = 100_000
TOTAL_BUDGET = 300_000
NODE = shutil.which("node") or "node"

pytestmark = pytest.mark.skipif(
    not (WEB / "dist" / "index.html").exists() or not Path("/usr/bin/chromium").exists() or NODE == "node",
    reason="the web client is not built or Chromium is missing (make web)",
)


def test_a_citizen_answers_who5_in_the_browser() -> None:
    with running_system() as (base, _):
        run = subprocess.run(
            [NODE, "e2e/citizen.mjs", base], cwd=WEB, capture_output=True, text=True, timeout=240, check=False
        )
        findings = json.loads(run.stdout.strip().splitlines()[-1])
        assert run.returncode == 0, findings.get("error")
        token = tokens.mint(tokens.citizen_claims(DEMO_CITIZENS[0][0]), secret=SECRET)
        stored = requests.get(f"{base}/v1/me/responses", headers={"Authorization": f"Bearer {token}"}, timeout=10)

    assert findings["steps"] == [
        "signed in",
        "draft saved",
        "draft resumed",
        "error placed",
        "submitted",
        "opted out",
    ]
    assert findings["fieldError"].startswith("Fejl:") and "Spørgsmålet skal besvares" in findings["fieldError"]
    assert "Tak for dine svar" in findings["receipt"]
    # The double tap sent two requests with one Idempotency-Key (after the refused first try): one response.
    assert findings["posts"] == 3
    assert len(stored.json()["items"]) == 1
    assert {page: v for page, v in findings["axe"].items() if v} == {}
    assert len(findings["axe"]) == 10
    assert [page for page, wide in findings["overflow"].items() if wide] == []
    sizes = findings["bytes"]
    tally("citizen JS gzipped (bytes)", sizes["js"])
    tally("citizen JS + CSS gzipped + woff2 fonts (bytes)", sizes["js"] + sizes["css"] + sizes["font"])
    assert 0 < sizes["js"] <= JS_BUDGET
    assert sizes["js"] + sizes["css"] + sizes["font"] <= TOTAL_BUDGET
