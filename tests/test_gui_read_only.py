"""A project open read-only says so as the window opens: a banner, the writing actions greyed
out with the reason, and keys and clicks that would write answered in the status bar, with
nothing written and no dialog."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import deny_writes

pytest.importorskip("PySide6")
import shiboken6  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QMenu  # noqa: E402

from workbench.cli import main  # noqa: E402
from workbench.core.session import CodingSession  # noqa: E402
from workbench.core.store import Project  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402
from workbench.gui.main_window import MainWindow  # noqa: E402
from workbench.suggest.learning import ProjectLocalEngine  # noqa: E402

pytestmark = pytest.mark.gui

REFUSED = "not saved, this project is open read-only"
WRITING = ("Accept suggestion", "Apply a code…", "Memo…", "Edit codebook…", "Undo")
READING = ("Next passage", "Find transcript", "Keyboard shortcuts")


@pytest.fixture
def study(tmp_path) -> Path:
    """The demo study with the local engine's suggestions stored, in a folder of its own."""
    location = Path(create_demo_project(tmp_path / "archive" / "demo.wb"))
    assert main(["suggest", str(location), "--engine", "local"]) == 0
    return location


def _count(location: Path, table: str) -> int:
    with sqlite3.connect(f"{location.resolve().as_uri()}?mode=ro", uri=True) as conn:
        return conn.execute(f"select count(*) from {table}").fetchone()[0]


@contextmanager
def _window(qtbot, project: Project) -> Iterator[tuple[MainWindow, list[str]]]:
    """The window, destroyed before its project closes: a window left for qtbot to delete
    outlives a read-only project, whose closed connection then raises inside the next test's
    restyling of the application, and PySide crashes the process on that error."""
    window = MainWindow(CodingSession(project, "ana"), ProjectLocalEngine(project))
    errors: list[str] = []
    window.show_error = errors.append  # a dialog would be the wrong answer: recorded, not shown
    try:
        yield _shown(qtbot, window), errors
    finally:
        window.close()
        shiboken6.delete(window)


def _shown(qtbot, window: MainWindow) -> MainWindow:
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # a window's keys reach only the active window
    window.open_first_transcript("work_0008")
    return window


def _action(window: MainWindow, label: str):  # type: ignore[no-untyped-def]
    return next(a for a in window.actions() if a.text().split("\t")[0] == label)


def _suggested_row(window: MainWindow) -> int:
    model = window.passage_model
    return next(
        row
        for row in range(model.rowCount())
        if any(chip.kind == "suggested" for chip in model.chips(row))
    )


def _assert_read_only_window(qtbot, window, errors, reason: str, shot: Path) -> None:
    banner = window.read_only_banner
    assert banner is not None and banner.isVisible()
    assert banner.y() < window.splitter.y()  # above the panels
    text = banner.label.text()
    assert "This project is open read-only" in text and reason in text
    assert "Decisions cannot be saved." in text
    for label in WRITING:
        action = _action(window, label)
        assert not action.isEnabled(), label
        assert "read-only" in action.toolTip() and reason in action.toolTip(), label
    [menu] = [m for m in window.menuBar().findChildren(QMenu) if m.title() == "Code &keys"]
    code_keys = menu.actions()
    assert code_keys and not any(a.isEnabled() for a in code_keys)
    for label in READING:
        assert _action(window, label).isEnabled(), label
    assert not window.agreement.write_button.isEnabled()

    window.controller.go_to_row(_suggested_row(window))
    window.controller.move_chip(1)
    bar = window.statusBar()
    for key in (Qt.Key.Key_A, Qt.Key.Key_1, Qt.Key.Key_0, Qt.Key.Key_M):
        bar.clearMessage()
        qtbot.keyClick(window.passage_view.list, key)
        assert REFUSED in bar.currentMessage() and reason in bar.currentMessage(), key
    bar.clearMessage()
    qtbot.keyClick(window.passage_view.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert bar.currentMessage().startswith("Undo: " + REFUSED)
    bar.clearMessage()
    window.delegate.chip_clicked.emit(_suggested_row(window), 0, 1)
    assert REFUSED in bar.currentMessage()
    bar.clearMessage()
    window.codebook_panel.code_activated.emit("hope.time")
    assert bar.currentMessage().startswith("Code hope.time: " + REFUSED)
    assert errors == []
    window.grab().save(str(shot))


def test_opened_read_only_the_window_says_so_and_writes_nothing(qtbot, study, tmp_path):
    decisions, memos = _count(study, "decisions"), _count(study, "memos")
    with (
        Project.open(study, read_only=True) as project,
        _window(qtbot, project) as (window, errors),
    ):
        _assert_read_only_window(
            qtbot, window, errors, "opened for viewing only", tmp_path / "read-only.png"
        )
    assert (_count(study, "decisions"), _count(study, "memos")) == (decisions, memos)


def test_a_writable_project_has_no_banner_and_its_keys_write(qtbot, study):
    with Project.open(study) as project, _window(qtbot, project) as (window, errors):
        assert window.read_only_banner is None
        assert all(_action(window, label).isEnabled() for label in WRITING[:4])
        window.controller.go_to_row(_suggested_row(window))
        window.controller.move_chip(1)
        qtbot.keyClick(window.passage_view.list, Qt.Key.Key_A)
        assert errors == [] and REFUSED not in window.statusBar().currentMessage()
    assert _count(study, "decisions") == 1


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes through file modes"
)
def test_a_project_in_a_read_only_folder_opens_with_the_banner(qtbot, study, tmp_path):
    decisions = _count(study, "decisions")
    study.parent.chmod(0o555)
    try:
        with Project.open(study) as project:
            assert project.read_only
            with _window(qtbot, project) as (window, errors):
                _assert_read_only_window(
                    qtbot, window, errors, "is read-only", tmp_path / "read-only-folder.png"
                )
    finally:
        study.parent.chmod(0o755)
    assert _count(study, "decisions") == decisions


def test_the_banner_names_the_folder_the_file_system_refuses(qtbot, study, monkeypatch):
    """As root too: the folder is denied to the workbench's own check (read-only media)."""
    folder = study.parent.resolve()
    deny_writes(monkeypatch, folder)
    with Project.open(study) as project, _window(qtbot, project) as (window, _errors):
        assert f"its folder {folder} is read-only" in window.read_only_banner.label.text()
        assert f"its folder {folder} is read-only" in _action(window, "Memo…").toolTip()


def test_a_screenshot_shows_no_banner(qtbot, study, tmp_path, monkeypatch):
    """``gui --screenshot`` opens read-only by its own choice: no news to put in the picture."""
    import workbench.gui.app as app

    shown: list[bool] = []

    def save(window: MainWindow, _path: str) -> None:
        assert window.read_only_banner is not None  # built, as for any read-only project
        shown.append(window.read_only_banner.isVisible())

    monkeypatch.setattr(app, "save_screenshot", save)
    argv = ["gui", str(study), "--screenshot", str(tmp_path / "shot.png"), "--coder", "ana"]
    assert main(argv) == 0
    assert shown == [False]
