"""The shared layer is bundled on this machine (no Docker): Lambda-platform wheels plus the package."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from aws_cdk import App, Stack

from infra.layer import RUNTIME, LocalLayerBundling, SharedLayer, runtime_dependencies

pytestmark = pytest.mark.xdist_group("infra")


def test_bundling_installs_linux_wheels_for_python_3_12_and_copies_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands: list[list[str]] = []
    monkeypatch.setattr(subprocess, "run", lambda command, check: commands.append(command))

    assert LocalLayerBundling(["pydantic==2.14.4"]).try_bundle(str(tmp_path), image=RUNTIME.bundling_image)

    (command,) = commands
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
    assert not list(package.rglob("__pycache__"))


def test_cdk_calls_the_local_bundling_through_jsii_with_the_docker_options_as_keywords(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands: list[list[str]] = []
    monkeypatch.setattr(subprocess, "run", lambda command, check: commands.append(command))
    app = App(outdir=str(tmp_path / "cdk.out"))

    SharedLayer(Stack(app, "Layer"), "Shared")  # bundles the asset: CDK calls LocalLayerBundling.try_bundle

    (command,) = commands
    assert command[-len(runtime_dependencies()) :] == runtime_dependencies()
    (asset,) = (tmp_path / "cdk.out").glob("asset.*")
    assert (asset / "python" / "kommunal_pro" / "storage" / "schema.py").is_file()
