"""The project's own build files: what `make demo` and `make test` install."""

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _dry_run(target: str, tmp_path: Path) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    run = subprocess.run(["make", "-n", target, f"VENV={tmp_path / 'venv'}"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return run.stdout


def test_demo_installs_the_package_alone(tmp_path: Path) -> None:
    demo = _dry_run("demo", tmp_path)
    assert "pip install --quiet -e ." in demo
    assert "llm-local" not in demo and "llama" not in demo  # no llama-cpp-python build
    full = _dry_run("test", tmp_path)
    assert "llm-local" in full and "pytest" in full


def test_license_is_an_spdx_string() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"  # a TOML table makes setuptools warn at install
