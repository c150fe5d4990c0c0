"""What a function imports when Lambda starts it: heavy libraries stay off the cold path.

Checked in a fresh interpreter per function, because this test process has imported everything already.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from functions import ENTRY_POINTS

ROOT = Path(__file__).resolve().parents[2]
# The X-Ray SDK (Lambda's active tracing records invocations without it) and fhir.resources (needed only
# while importing a FHIR questionnaire) would cost each cold start several hundred milliseconds.
KEPT_OFF = ("aws_xray_sdk", "fhir")


@pytest.mark.parametrize("module", [entry.import_path for entry in ENTRY_POINTS])
def test_a_cold_start_does_not_import_heavy_libraries(module: str) -> None:
    probe = f"import sys, {module}; print(sorted({{m.split('.')[0] for m in sys.modules}} & set({KEPT_OFF!r})))"
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]", f"{module} imports {loaded.stdout.strip()} on its cold start"
