"""The shared layer: the `kommunal_pro` package plus its runtime dependencies, bundled on this machine.

Bundling needs no Docker: pip downloads the Lambda platform's wheels (manylinux, CPython 3.12) into the
layer's `python/` directory, and the package is copied next to them. Then CPython 3.12 compiles all of it to
bytecode: Lambda's `/opt` is read-only, so a layer without `.pyc` files compiles every module it imports again on
every cold start. The bytecode is never checked against its source (`unchecked-hash`): the asset's zip does not keep
the modification times that timestamp-checked bytecode compares. The asset hash is taken from that
output, so a change to the package or to a pinned dependency makes a new layer version.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    AssetHashType,
    BundlingFileAccess,
    BundlingOptions,
    BundlingOutput,
    DockerImage,
    DockerVolume,
    ILocalBundling,
)
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

ROOT = Path(__file__).resolve().parent.parent
LAYER_SOURCE = ROOT / "layers" / "shared"
PACKAGE = LAYER_SOURCE / "python" / "kommunal_pro"

RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.X86_64
PYTHON_VERSION = "3.12"
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64")


class BundlingError(RuntimeError):
    """The layer cannot be bundled on this machine."""


def runtime_python() -> str | None:
    """The runtime's CPython on this machine: `python3.12` on PATH, or one that pyenv installed."""
    candidates = [shutil.which(f"python{PYTHON_VERSION}")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(str(p) for p in pyenv_root.glob(f"versions/{PYTHON_VERSION}.*/bin/python{PYTHON_VERSION}"))
    for python in filter(None, candidates):
        answer = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
            [python, "-c", "import sys; print(*sys.version_info[:2], sep='.')"], capture_output=True, text=True
        )
        if answer.returncode == 0 and answer.stdout.strip() == PYTHON_VERSION:
            return python  # a pyenv shim without that version selected fails here, and the next one is tried
    return None


def bytecode_command(target: Path) -> list[str]:
    """Compile everything under `target` with the runtime's own Python, so the `.pyc` files match Lambda's."""
    python = runtime_python()
    if python is None:
        raise BundlingError(
            f"bundling the layer needs Python {PYTHON_VERSION} (python{PYTHON_VERSION} on PATH or under pyenv) "
            "to compile its bytecode for the Lambda runtime"
        )
    return [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", str(target)]


def runtime_dependencies() -> list[str]:
    """The `[project] dependencies` of pyproject.toml: what the functions import at run time."""
    with (ROOT / "pyproject.toml").open("rb") as pyproject:
        return list(tomllib.load(pyproject)["project"]["dependencies"])


@jsii.implements(ILocalBundling)
class LocalLayerBundling:
    def __init__(self, requirements: list[str]) -> None:
        self._requirements = requirements

    def pip_command(self, target: Path) -> list[str]:
        platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
        return [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
            "--only-binary=:all:", "--implementation", "cp", "--python-version", PYTHON_VERSION, *platforms,
            "--target", str(target), *self._requirements,
        ]  # fmt: skip

    def try_bundle(
        self,
        output_dir: str,
        *,
        # The Docker bundling options, which jsii passes as keywords (ILocalBundling's signature); none is needed.
        image: DockerImage,
        bundling_file_access: BundlingFileAccess | None = None,
        command: Sequence[str] | None = None,
        entrypoint: Sequence[str] | None = None,
        environment: Mapping[str, str] | None = None,
        local: ILocalBundling | None = None,
        network: str | None = None,
        output_type: BundlingOutput | None = None,
        platform: str | None = None,
        security_opt: str | None = None,
        user: str | None = None,
        volumes: Sequence[DockerVolume | dict[str, Any]] | None = None,
        volumes_from: Sequence[str] | None = None,
        working_directory: str | None = None,
    ) -> bool:
        """Called by CDK instead of Docker bundling."""
        target = Path(output_dir) / "python"
        subprocess.run(self.pip_command(target), check=True)  # noqa: S603 - a fixed argument list, no shell
        shutil.copytree(PACKAGE, target / PACKAGE.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        subprocess.run(bytecode_command(target), check=True)  # noqa: S603 - a fixed argument list, no shell
        return True


class SharedLayer(lambda_.LayerVersion):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(
            scope,
            construct_id,
            description="Kommunal PRO shared package and its runtime dependencies",
            code=lambda_.Code.from_asset(
                str(LAYER_SOURCE),
                asset_hash_type=AssetHashType.OUTPUT,
                bundling=BundlingOptions(
                    image=RUNTIME.bundling_image, local=LocalLayerBundling(runtime_dependencies())
                ),
            ),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
        )
