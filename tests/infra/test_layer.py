"""The shared layer is bundled on this machine (no Docker): Lambda-platform wheels plus the package."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk import App, Stack

from infra.layer import (
    PACKAGE,
    PYTHON_VERSION,
    RUNTIME,
    BundlingError,
    LocalLayerBundling,
    SharedLayer,
    bytecode_command,
    runtime_dependencies,
    runtime_python,
)

pytestmark = pytest.mark.xdist_group("infra")


def test_bundling_installs_linux_wheels_for_python_3_12_and_copies_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands: list[list[str]] = []
    monkeypatch.setattr(subprocess, "run", lambda command, check: commands.append(command))
    monkeypatch.setattr("infra.layer.runtime_python", lambda: "/usr/bin/python3.12")

    assert LocalLayerBundling(["pydantic==2.14.4"]).try_bundle(str(tmp_path), image=RUNTIME.bundling_image)

    command, compile_command = commands
    joined = " ".join(command)
    assert " -m pip install " in joined
    assert "--only-binary=:all:" in command
    assert "--python-version 3.12" in joined
    assert "--platform manylinux2014_x86_64" in joined
    assert f"--target {tmp_path / 'python'}" in joined
    assert command[-1] == "pydantic==2.14.4"
    package = tmp_path / "python" / "kommunal_pro"
    assert (package / "storage" / "schema.py").is_file()
    assert (package / "organisations" / "data" / "municipalities.csv").is_file()
    assert not list(package.rglob("__pycache__"))  # the copy carries no bytecode of this machine's Python
    assert compile_command[:3] == ["/usr/bin/python3.12", "-m", "compileall"]
    assert compile_command[-3:] == ["--invalidation-mode", "unchecked-hash", str(tmp_path / "python")]


def test_cdk_calls_the_local_bundling_through_jsii_with_the_docker_options_as_keywords(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands: list[list[str]] = []
    monkeypatch.setattr(subprocess, "run", lambda command, check: commands.append(command))
    monkeypatch.setattr("infra.layer.runtime_python", lambda: "/usr/bin/python3.12")
    app = App(outdir=str(tmp_path / "cdk.out"))

    SharedLayer(Stack(app, "Layer"), "Shared")  # bundles the asset: CDK calls LocalLayerBundling.try_bundle

    command, _ = commands
    assert command[-len(runtime_dependencies()) :] == runtime_dependencies()
    (asset,) = (tmp_path / "cdk.out").glob("asset.*")
    assert (asset / "python" / "kommunal_pro" / "storage" / "schema.py").is_file()


@pytest.mark.skipif(runtime_python() is None, reason="needs the Lambda runtime's Python on this machine")
def test_the_package_is_compiled_for_the_runtime_python_with_bytecode_that_does_not_check_timestamps(
    tmp_path: Path,
) -> None:
    package = tmp_path / "python" / PACKAGE.name
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))

    subprocess.run(bytecode_command(tmp_path / "python"), check=True)

    sources = sorted(package.rglob("*.py"))
    compiled = sorted(package.rglob(f"*.cpython-{PYTHON_VERSION.replace('.', '')}.pyc"))
    assert len(compiled) == len(sources) > 50
    header = compiled[0].read_bytes()[:16]
    flags = int.from_bytes(header[4:8], "little")
    assert flags == 0b01, "hash-based bytecode that is not checked against its source (PEP 552)"
    if sys.version_info[:2] == tuple(map(int, PYTHON_VERSION.split("."))):
        assert header[:4] == importlib.util.MAGIC_NUMBER


def test_bundling_without_the_runtime_python_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("infra.layer.runtime_python", lambda: None)

    with pytest.raises(BundlingError, match=f"python{PYTHON_VERSION}"):
        bytecode_command(Path("/tmp/layer"))
