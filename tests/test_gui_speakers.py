"""The lead's speakers dialog: labels with roles, switching, applying through the core function."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QAction  # noqa: E402
from PySide6.QtWidgets import QComboBox  # noqa: E402

from tests.conftest import write  # noqa: E402
from tests.test_speaker_roles import NUMBERED, decide  # noqa: E402
from workbench.core.speaker_labels import Role  # noqa: E402
from workbench.core.store.coding import DecisionAction  # noqa: E402
from workbench.core.store.importing import import_transcript_file  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def numbered(tmp_path, project):
    import_transcript_file(project, write(tmp_path / "n1.txt", NUMBERED))
    decide(project, "n1#2", "ana", DecisionAction.APPLY, "hope.excellence")
    return project


def make_dialog(qtbot, project):
    from workbench.gui.dialogs.speakers_dialog import SpeakersDialog

    dialog = SpeakersDialog(project, "kim")
    qtbot.addWidget(dialog)
    return dialog


def rows(model):
    return [
        tuple(model.index(row, column).data() for column in range(model.columnCount()))
        for row in range(model.rowCount())
    ]


def test_the_model_passes_the_model_tester(qtbot, qtmodeltester, numbered):
    dialog = make_dialog(qtbot, numbered)
    qtmodeltester.check(dialog.model)
    dialog.model.switch(0)
    qtmodeltester.check(dialog.model)


def test_dialog_lists_labels_with_role_passages_and_decisions(qtbot, numbered):
    dialog = make_dialog(qtbot, numbered)
    assert rows(dialog.model) == [
        ("Interviewer1", "interviewer", 3, 0),
        ("Participant 1", "participant", 2, 1),
    ]
    assert dialog.standing.text() == "No decisions stand on interviewer passages."
    assert not dialog.apply_button.isEnabled()


def test_switching_and_applying_keeps_decisions_and_reports_them(qtbot, numbered):
    dialog = make_dialog(qtbot, numbered)
    dialog.table.selectRow(1)
    dialog.switch_selected()
    assert dialog.model.index(1, 1).data() == "interviewer (not applied)"
    assert dialog.model.index(1, 1).data(Qt.ItemDataRole.FontRole).bold()
    assert numbered.status()["coded_passages"] == 2  # nothing happens before Apply
    assert dialog.apply_button.text() == "Apply 1 change"

    with qtbot.waitSignal(dialog.applied) as signal:
        dialog.apply_button.click()

    change = signal.args[0]
    assert change.roles == {"Participant 1": "interviewer"} and change.kept.count == 1
    assert numbered.status()["coded_passages"] == 0 and numbered.status()["decisions"] == 1
    assert numbered.settings.speaker_roles == {"Participant 1": Role.INTERVIEWER.value}
    assert rows(dialog.model)[1] == ("Participant 1", "interviewer · set by lead", 2, 1)
    assert "2 passages became interviewer turns" in dialog.result.text()
    assert dialog.standing.text().startswith("1 decision stands on interviewer passages")
    assert "ana: 1 on n1#2" in dialog.standing.text()
    assert not dialog.model.pending and not dialog.apply_button.isEnabled()


def test_switching_back_before_applying_leaves_nothing_pending(qtbot, numbered):
    dialog = make_dialog(qtbot, numbered)
    dialog.model.switch(0)
    dialog.model.switch(0)
    assert dialog.model.pending == {}
    assert not dialog.model.setData(dialog.model.index(0, 1), "boss")
    assert not dialog.model.setData(dialog.model.index(0, 0), "participant")


def test_the_role_editor_offers_the_two_roles(qtbot, numbered):
    dialog = make_dialog(qtbot, numbered)
    dialog.show()
    index = dialog.model.index(0, 1)
    dialog.table.edit(index)
    editor = dialog.table.findChild(QComboBox)
    assert [editor.itemText(i) for i in range(editor.count())] == ["interviewer", "participant"]
    editor.setCurrentText("participant")
    dialog.table.commitData(editor)
    assert dialog.model.pending == {"Interviewer1": Role.PARTICIPANT}


def test_menu_entry_opens_the_dialog_and_reloads_the_open_transcript(qtbot, numbered, monkeypatch):
    from tests.test_gui_workspace import make_window
    from workbench.gui.dialogs import speakers_dialog

    window = make_window(qtbot, numbered)
    window.open_first_transcript("n1")
    coded = [p.coded for p in window.passage_model._passages]
    assert coded == [False, True, False, True, False]
    opened = []

    def fake_exec(dialog):
        opened.append(dialog)
        dialog.model.switch(1)
        dialog.apply()
        return 0

    monkeypatch.setattr(speakers_dialog.SpeakersDialog, "exec", fake_exec)
    actions = window.findChildren(QAction)
    action = next(a for a in actions if a.text() == "Speakers: interviewer or participant…")
    action.trigger()
    assert len(opened) == 1
    assert [p.coded for p in window.passage_model._passages] == [False] * 5  # reloaded
    assert "re-flagged" in window.engine_label.text()
