"""File > Restore from backup: the dialog lists the copies, and restoring reopens the project."""

from __future__ import annotations

import json
import sqlite3

import pytest

pytest.importorskip("PySide6")
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from workbench.core.store import Project  # noqa: E402
from workbench.core.store.backups import backup_file, list_backups  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402
from workbench.gui.app import build_window  # noqa: E402
from workbench.gui.dialogs.restore_dialog import RestoreDialog  # noqa: E402
from workbench.gui.restore_flow import restore_and_reopen  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def location(tmp_path) -> str:
    return str(create_demo_project(tmp_path / "demo.wb"))


def _decision_count(location: str) -> int:
    conn = sqlite3.connect(location)
    try:
        return conn.execute("select count(*) from decisions").fetchone()[0]
    finally:
        conn.close()


def _coded_passage(window) -> int:  # type: ignore[no-untyped-def]
    window.open_first_transcript()
    model = window.passage_model
    rows = (model.passage(row) for row in range(model.rowCount()))
    return next(p.id for p in rows if p is not None and p.coded)


def test_the_dialog_lists_backups_and_confirms_before_choosing(
    qtbot, qtmodeltester, location, monkeypatch, tmp_path
):
    manual = backup_file(location, "manual")
    dialog = RestoreDialog(location)
    qtbot.addWidget(dialog)
    qtmodeltester.check(dialog.model)
    assert dialog.model.rowCount() == len(list_backups(location)) >= 2  # the demo's import too
    assert dialog.model.index(0, 1).data() == "taken by hand"
    assert dialog.model.index(0, 2).data().endswith(("kB", "MB"))
    assert not dialog.restore_button.isEnabled()
    dialog.show()
    dialog.select(0)
    assert dialog.restore_button.isEnabled()
    assert dialog.grab().save(str(tmp_path / "restore_dialog.png"))  # looked at by hand too
    answers = iter([QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes])
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: next(answers))
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert dialog.chosen is None and dialog.isVisible()  # "No" changes nothing
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert dialog.chosen is not None and dialog.chosen.path == manual
    assert dialog.result() == RestoreDialog.DialogCode.Accepted


def test_restoring_reopens_the_project_without_the_later_decisions(qtbot, location):
    backup = backup_file(location, "manual")
    before = _decision_count(location)
    window = build_window(Project.open(location), "ana")
    window.setProperty("quiet_errors", True)
    qtbot.addWidget(window)
    window.show()
    window.session.apply_code(_coded_passage(window), "hope.time")
    assert _decision_count(location) == before + 1
    fresh = restore_and_reopen(window, backup)
    qtbot.addWidget(fresh)
    assert fresh is not window and fresh.isVisible() and not window.isVisible()
    assert _decision_count(location) == before
    assert "Restored from" in fresh.statusBar().currentMessage()
    conn = sqlite3.connect(location)
    actor, action, detail = conn.execute(
        "select actor, action, detail from audit_log order by id desc limit 1"
    ).fetchone()
    conn.close()
    assert (actor, action, json.loads(detail)["from"]) == ("ana", "project.restore", backup.name)
    fresh.session.apply_code(_coded_passage(fresh), "hope.time")  # and coding goes on
    assert _decision_count(location) == before + 1
    fresh.session.project.close()


def test_a_refused_backup_leaves_the_window_working_on_the_same_file(qtbot, location, tmp_path):
    bad = tmp_path / "bad.wb"
    bad.write_text("not a database")
    window = build_window(Project.open(location), "ana")
    window.setProperty("quiet_errors", True)
    qtbot.addWidget(window)
    window.show()
    before = _decision_count(location)
    assert restore_and_reopen(window, bad) is window
    assert "not restored" in window.statusBar().currentMessage()
    window.session.apply_code(_coded_passage(window), "hope.time")
    assert _decision_count(location) == before + 1
    window.session.project.close()
