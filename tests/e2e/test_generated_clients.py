"""Issue 11: clients generated from docs/openapi.json compile, and one full flow runs through the Python one.

A generator's warning is a contract defect (a schema it cannot express), so the test fails on any.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from kommunal_pro.auth import Role
from local import tokens
from tests.e2e.test_local_runner import ROOT, SECRET, auth_header, running_system

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
DOCUMENT = ROOT / "docs" / "openapi.json"
NODE_BIN = ROOT / "node_modules" / ".bin"
GAD7 = ROOT / "tests" / "fixtures" / "fhir" / "questionnaires" / "researchkitonfhir-gad7-contained-vs-ordinal.json"
PACKAGE = "kommunal_pro_client"


def _run(command: list[str | Path], cwd: Path) -> str:
    """Run a generator or compiler; its whole output (stdout and stderr) for the warning checks."""
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "NO_COLOR": "1"}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=180, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


def test_the_typescript_client_compiles_strictly(tmp_path: Path) -> None:
    assert (NODE_BIN / "openapi-typescript").exists(), "run `make test` (or npm install): node packages are missing"
    output = _run([NODE_BIN / "openapi-typescript", DOCUMENT, "--output", tmp_path / "api.d.ts"], tmp_path)
    assert "⚠" not in output and "warn" not in output.lower(), output
    (tmp_path / "use.ts").write_text(
        'import type { components, paths } from "./api";\n'
        'type Receipt = components["schemas"]["Receipt"];\n'
        'type Submit = paths["/v1/me/tasks/{task_id}/response"]["post"];\n'
        'export type Submitted = Submit["responses"][201]["content"]["application/json"] & Receipt;\n'
    )
    compiled = _run([NODE_BIN / "tsc", "--noEmit", "--strict", "--noUncheckedIndexedAccess", "use.ts"], tmp_path)
    assert compiled == "", compiled


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    out = tmp_path_factory.mktemp("python-client")
    output = _run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", DOCUMENT, "--meta", "none",
         "--output-path", out / PACKAGE],
        out,
    )  # fmt: skip
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_the_python_client_generates_without_warnings(client_package: ModuleType) -> None:
    tags = {tag["name"] for tag in json.loads(DOCUMENT.read_text())["tags"]}
    api = importlib.import_module(f"{PACKAGE}.api")
    assert {module.name for module in pkgutil.iter_modules(api.__path__)} == tags


class Operations:
    """The generated operation modules by the start of their name (operationId), e.g. ops("publish")."""

    def __init__(self) -> None:
        self.modules: dict[str, str] = {}
        for tag in pkgutil.iter_modules(importlib.import_module(f"{PACKAGE}.api").__path__):
            package = importlib.import_module(f"{PACKAGE}.api.{tag.name}")
            self.modules |= {m.name: f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__)}

    def __call__(self, prefix: str) -> Any:
        (name,) = [module for name, module in self.modules.items() if name.startswith(f"{prefix}_v1_")]
        return importlib.import_module(name)


def test_one_full_flow_through_the_generated_python_client(client_package: ModuleType) -> None:
    ops = Operations()
    models = importlib.import_module(f"{PACKAGE}.models")
    fhir = json.loads(GAD7.read_text())
    with running_system() as (base, _):

        def as_(headers: dict[str, str]) -> Any:
            token = headers["Authorization"].removeprefix("Bearer ")
            return client_package.AuthenticatedClient(base_url=base, token=token, raise_on_unexpected_status=True)

        admin, nurse = as_(auth_header(Role.ADMIN)), as_(auth_header(Role.EMPLOYEE))
        citizen = as_({"Authorization": tokens.mint(tokens.citizen_claims("070761-4285", "Jens"), secret=SECRET)})
        resource = models.ImportQuestionnaireV1QuestionnairesImportPostResource

        refused = ops("import_questionnaire").sync_detailed(
            client=admin, body=resource.from_dict({"resourceType": "Patient"})
        )
        assert refused.status_code == 422 and isinstance(refused.parsed, models.Problem), refused.content
        assert refused.parsed.status == 422 and refused.parsed.errors[0].location == "Questionnaire"
        assert refused.parsed.errors[0].code == "invalid-fhir" and refused.parsed.errors[0].message_da

        imported = ops("import_questionnaire").sync(client=admin, body=resource.from_dict(fhir))
        assert isinstance(imported, models.QuestionnaireView), imported
        published = ops("publish").sync(imported.id, client=admin)
        assert isinstance(published, models.QuestionnaireView) and (published.version, published.status) == (
            1,
            "active",
        )

        registration = {"cpr": "070761-4285", "name": "Jens Nielsen", "mobile": "+4540506070",
                        "preferredChannel": "sms", "consentToDigitalPro": True}  # fmt: skip
        registered = ops("register_citizen").sync(client=nurse, body=models.CitizenRegistration.from_dict(registration))
        assert isinstance(registered, models.Citizen) and registered.name == "Jens Nielsen", registered
        now = datetime.now(UTC).replace(microsecond=0)
        once = {
            "kind": "once",
            "opensAt": (now - timedelta(hours=1)).isoformat(),
            "dueAt": (now + timedelta(days=3)).isoformat(),
        }
        request = {"questionnaireId": imported.id, "unitId": "sundhedscenter-nord", "schedule": once}
        assigned = ops("assign").sync(registered.id, client=nurse, body=models.AssignmentRequest.from_dict(request))
        assert isinstance(assigned, models.AssignmentView), assigned

        tasks = ops("my_tasks").sync(client=citizen)
        assert isinstance(tasks, models.PageCitizenTask) and not tasks.next_cursor, tasks
        (task,) = tasks.items
        assert isinstance(task, models.CitizenTask) and task.status == "open"
        (group,) = fhir["item"]
        answers = {item["linkId"]: ["Several-days"] for item in group["item"]}  # 1 point each
        submit = ops("submit").sync
        receipt = submit(task.id, client=citizen, body=models.Submission.from_dict({"answers": answers}),
                         idempotency_key=str(uuid.uuid4()))  # fmt: skip
        assert isinstance(receipt, models.Receipt) and receipt.response_id, receipt

        read = ops("read_response").sync(receipt.response_id, client=nurse)
        assert isinstance(read, models.StaffResponseView), read
        assert {a.link_id: a.values for a in read.answers} == answers
        review = models.ReviewRequest.from_dict({"comment": "Talt med borgeren"})
        reviewed = ops("mark_reviewed").sync(receipt.response_id, client=nurse, body=review)
        assert isinstance(reviewed, models.StaffResponseView) and reviewed.reviewed.comment == "Talt med borgeren"
