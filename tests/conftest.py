"""Shared fixtures. Qt is forced offscreen before any QApplication exists."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data" / "anthropic-interviewer"


@pytest.fixture
def codebook_path() -> Path:
    return REPO / "codebooks" / "ai-at-work.yaml"


@pytest.fixture
def project(project_location, codebook_path):
    from workbench.core.codebook import load_codebook
    from workbench.core.store import Project

    project = Project.create(project_location, codebook=load_codebook(codebook_path))
    yield project
    project.close()


# PostgreSQL as well as SQLite: a test module (or test) marked ``backends`` runs once per
# database for every test that takes ``project`` or ``project_location``. The PostgreSQL run
# needs WORKBENCH_TEST_POSTGRES_URL, a role that may create databases (.ci/run starts such a
# throwaway server); without it that half skips and says why.
POSTGRES_URL = os.environ.get("WORKBENCH_TEST_POSTGRES_URL", "")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("backends"):
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    name = getattr(request, "param", "sqlite")
    if name == "postgresql" and not POSTGRES_URL:
        pytest.skip("no PostgreSQL server: set WORKBENCH_TEST_POSTGRES_URL (.ci/run does)")
    return name


@pytest.fixture
def project_location(backend: str, tmp_path: Path):
    """Where the test's project lives: a SQLite file, or a fresh database on the server."""
    if backend == "sqlite":
        yield tmp_path / "study.wb"
        return
    with fresh_postgres_database() as url:
        yield url


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database for one test, dropped (with its connections) afterwards."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"wbtest_{uuid.uuid4().hex[:16]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        _drop_database(admin, name)
        admin.dispose()


def _drop_database(admin, name: str) -> None:  # type: ignore[no-untyped-def]
    """Drop a test's database; an autovacuum worker there (whose connection only a superuser
    may end) is waited out for a few seconds, then the drop is tried one last time."""
    from sqlalchemy.exc import DBAPIError

    for _ in range(20):
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            return
        except DBAPIError:
            time.sleep(0.25)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip("the published AI-interviewer transcripts (../shared/data) are not available")
    return SHARED_DATA


def deny_writes(monkeypatch, *paths: Path) -> None:
    """Make ``paths`` read-only for the workbench's checks (``os.access``), as read-only media
    would: tests run as root, which writes through file modes, so a chmod alone would not."""
    real = os.access
    denied = {p.resolve() for p in paths}

    def access(path, mode, *args, **kwargs):  # type: ignore[no-untyped-def]
        if mode & os.W_OK and Path(path).resolve() in denied:
            return False
        return real(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture(autouse=True)
def _no_modifier_left_held(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a GUI test, let Qt know no modifier key is held any more.

    ``QTest.keyClick(w, key, Shift)`` leaves ``QApplication.keyboardModifiers()`` at Shift until
    the next key event, so a later test's ``selectRow`` in an extended-selection view became a
    Shift-click that selected nothing. A plain key release on a throwaway widget resets it."""
    yield
    if "qtbot" not in request.fixturenames:
        return
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QWidget

    if (
        QApplication.instance() is None
        or QApplication.keyboardModifiers() == Qt.KeyboardModifier.NoModifier
    ):
        return
    blank = QWidget()
    QTest.keyRelease(blank, Qt.Key.Key_Shift, Qt.KeyboardModifier.NoModifier)
    blank.deleteLater()
