"""The type hints of the headless core, the engines, the reports, the interchange formats and
the command line are checked, not just written: mypy runs on them here, so a hint that lies, or
a ``type: ignore`` that no longer hides anything, fails the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKED = [
    "workbench/core",
    "workbench/suggest",
    "workbench/reports",
    "workbench/interop",
    "workbench/cli",
]

pytest.importorskip("mypy", reason="mypy is in the test extra: pip install -e .[test]")


def test_core_engines_reports_interop_and_cli_type_check(tmp_path: Path) -> None:
    # A fresh cache under the test's tmp dir: nothing stale from another checkout is trusted,
    # and the settings come from pyproject.toml's [tool.mypy].
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy"), *CHECKED],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
