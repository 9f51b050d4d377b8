"""The Makefile's set-up: its own .venv when no virtual environment is active, else the active one.

`make -n` prints what a target would run without running it, so this needs neither a network
nor a new environment; CI (.ci/run) runs the targets themselves from a clean clone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def dry_run(folder: Path, target: str, virtual_env: str | None = None) -> list[str]:
    shutil.copy(ROOT / "Makefile", folder / "Makefile")
    # Run as a make of its own, also when the tests run under `make test`.
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    if virtual_env is not None:
        env["VIRTUAL_ENV"] = virtual_env
    done = subprocess.run(["make", "--no-print-directory", "-n", target], cwd=folder, env=env,
                          capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def test_without_an_active_environment_make_makes_and_uses_dot_venv(tmp_path):
    lines = dry_run(tmp_path, "test")
    assert lines[0].startswith("python3 -m venv .venv ||")
    assert '.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"' in lines
    assert lines[-1] == ".venv/bin/python -m pytest -q"
    demo = dry_run(tmp_path, "demo")
    assert demo[-1] == (".venv/bin/sroi-excel fill examples/buurtcoach.xlsx -o "
                        "out/buurtcoach-filled.xlsx")


def test_an_existing_dot_venv_is_not_made_again(tmp_path):
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").touch()
    lines = dry_run(tmp_path, "test")
    assert not any("-m venv" in line for line in lines)
    assert lines[-1] == ".venv/bin/python -m pytest -q"


def test_an_active_environment_is_used_and_no_dot_venv_is_made(tmp_path):
    active = tmp_path / "env"
    (active / "bin").mkdir(parents=True)
    (active / "bin" / "python").touch()
    work = tmp_path / "work"
    work.mkdir()
    lines = dry_run(work, "test", virtual_env=str(active))
    assert not any("-m venv" in line for line in lines)
    assert f'{active}/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"' \
        in lines
    assert lines[-1] == f"{active}/bin/python -m pytest -q"
