"""Layers are checked, not promised: the headless core runs without Qt, and only the store speaks SQL."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import workbench

PACKAGE = Path(workbench.__file__).parent
BLOCK_QT = """
import importlib.abc, sys
class BlockQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] in ('PySide6', 'shiboken6'):
            raise ImportError('Qt is blocked in this test: ' + name)
sys.meta_path.insert(0, BlockQt())
"""


def core_modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(relative.parts)
        if "gui" in parts or parts[-1] in ("__main__", "gui_entry"):
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


def test_every_core_module_imports_with_qt_blocked():
    modules = core_modules()
    assert "workbench.core.store.project" in modules and "workbench.cli" in modules
    script = BLOCK_QT + "".join(f"import {name}\n" for name in modules)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_no_qt_import_outside_gui():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "gui" in path.relative_to(PACKAGE).parts:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith(("import PySide6", "from PySide6")):
                offenders.append(str(path))
    assert offenders == []


SQL_MODULES = ("sqlalchemy", "sqlite3", "workbench.core.store.schema")


def _speaks_sql(path: Path) -> bool:
    """Whether a module imports a database library or the store's table definitions."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        if any(name == m or name.startswith(m + ".") for name in names for m in SQL_MODULES):
            return True
    return False


def test_only_the_store_speaks_sql():
    store = PACKAGE / "core" / "store"
    speaking = {
        path.relative_to(PACKAGE.parent).as_posix()
        for path in PACKAGE.rglob("*.py")
        if store not in path.parents and _speaks_sql(path)
    }
    assert speaking == set(), "SQL outside workbench/core/store/"


def test_sql_check_sees_every_form_of_import(tmp_path):
    forms = {
        "import sqlite3\n": True,
        "from sqlalchemy import select\n": True,
        "import sqlalchemy.exc as exc\n": True,
        "from workbench.core.store import schema\n": True,
        "def f():\n    from sqlalchemy import func\n": True,
        "from workbench.core.store import Project, Connection\n": False,
        "from workbench.core.store.queries import passages_of\n": False,
    }
    for index, (source, expected) in enumerate(forms.items()):
        path = tmp_path / f"m{index}.py"
        path.write_text(source, encoding="utf-8")
        assert _speaks_sql(path) is expected, source


def test_the_import_contracts_in_pyproject_hold():
    """The layers declared in ``[tool.importlinter]`` (run here, so CI runs them): core below
    engines, reports and interchange, those independent of each other, the GUI above them."""
    pytest.importorskip("importlinter")
    script = Path(sys.executable).with_name("lint-imports")
    assert script.exists(), "import-linter's lint-imports is installed with the test extra"
    result = subprocess.run(
        [str(script), "--no-cache"], capture_output=True, text=True, cwd=PACKAGE.parent
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
