"""'Use this passage as an example' from the workspace: a pending codebook edit, never saved
until the lead saves it in the editor."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from tests.test_gui_workspace import FixedEngine, current_passage, open_and_wait  # noqa: E402
from workbench.core.session import CodingSession  # noqa: E402
from workbench.core.store import Project, schema  # noqa: E402
from workbench.core.store.team import change_settings  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402
from workbench.gui.dialogs.code_picker import CodePickerDialog  # noqa: E402
from workbench.gui.dialogs.codebook_editor import CodebookEditorDialog  # noqa: E402
from workbench.gui.main_window import MainWindow  # noqa: E402
from workbench.gui.window_actions import EXAMPLE_KEY  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def project(tmp_path):  # type: ignore[no-untyped-def]
    project = Project.open(create_demo_project(tmp_path / "demo.wb"))
    yield project
    project.close()


def _window(qtbot, project, coder="kim"):  # type: ignore[no-untyped-def]
    window = MainWindow(CodingSession(project, coder), FixedEngine())
    window.setProperty("quiet_errors", True)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    return window


def _stored_versions(project) -> int:  # type: ignore[no-untyped-def]
    with project.reading() as conn:
        return conn.execute(select(func.count()).select_from(schema.codebook_versions)).scalar()


@pytest.fixture
def opened(monkeypatch):  # type: ignore[no-untyped-def]
    """The picker answers hope.time; the editor is recorded instead of run modally."""
    editors: list[CodebookEditorDialog] = []

    def pick(self):  # type: ignore[no-untyped-def]
        self.chosen = "hope.time"
        return 1

    def record(self):  # type: ignore[no-untyped-def]
        editors.append(self)
        return 0  # closed without saving

    monkeypatch.setattr(CodePickerDialog, "exec", pick)
    monkeypatch.setattr(CodebookEditorDialog, "exec", record)
    return editors


def test_the_key_opens_the_editor_with_the_example_pending(qtbot, project, opened):
    window = _window(qtbot, project)
    open_and_wait(qtbot, window)
    passage = current_passage(window)
    versions, before = _stored_versions(project), project.codebook.version
    assert window.example_action.shortcut().toString() == EXAMPLE_KEY
    qtbot.keyClick(
        window.passage_view.list,
        Qt.Key.Key_E,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert len(opened) == 1
    editor = opened[0]
    assert editor.current_id() == "hope.time"
    examples = [str(e) for e in editor.document.code("hope.time")["examples"]]
    whole = " ".join(passage.text.split())
    if len(whole) <= 300:
        assert examples[-1] == whole
    else:  # a long passage is shortened at a word, as CodebookDocument.add_example does
        assert examples[-1].endswith("…") and whole.startswith(examples[-1][:-1])
    assert "* hope.time  (redefined: examples)" in editor.preview_lines()
    assert "hope.time" in editor.changes.toPlainText()
    # closed without saving: nothing stored
    assert project.codebook.version == before and _stored_versions(project) == versions
    # saving makes a new version with the example
    assert editor.save() == before + 1
    assert project.codebook.get("hope.time").examples[-1] == examples[-1]


def test_a_selection_inside_the_passage_is_the_example(qtbot, project, opened):
    window = _window(qtbot, project)
    open_and_wait(qtbot, window)
    passage = current_passage(window)
    window.passage_view.set_selected_span((passage.start + 2, passage.start + 12))
    assert window.example_text() == passage.text[2:12].strip()
    window.example_action.trigger()
    assert str(opened[0].document.code("hope.time")["examples"][-1]) == passage.text[2:12].strip()
    window.controller.move(1)  # another passage: the selection was the old one's
    assert window.passage_view.selected_span() is None
    assert window.example_text() == current_passage(window).text.strip()


def test_the_passage_context_menu_offers_it(qtbot, project, opened):
    window = _window(qtbot, project)
    open_and_wait(qtbot, window)
    view = window.passage_view.list
    rect = view.visualRect(view.currentIndex())
    window._passage_menu(QPoint(rect.left() + 40, rect.top() + 30))  # on the text, not a chip
    menu = window._passage_menu_shown
    assert window.example_action in menu.actions()
    menu.close()


def test_a_coder_is_refused_and_nothing_opens(qtbot, project, monkeypatch):
    change_settings(project, "kim", leads=["kim"], coders=["ana"])

    def never(self):  # type: ignore[no-untyped-def]
        raise AssertionError("no dialog for a coder")

    monkeypatch.setattr(CodePickerDialog, "exec", never)
    window = _window(qtbot, project, "ana")
    open_and_wait(qtbot, window)
    window.example_action.trigger()
    assert "Only a lead" in window.statusBar().currentMessage()


def test_the_picker_offers_parent_codes_only_when_asked(qtbot, project):
    codebook = project.codebook
    parents = [code.id for code in codebook.walk() if code.children]
    assert "hope" in parents
    leaves_only = CodePickerDialog(codebook)
    qtbot.addWidget(leaves_only)
    with_parents = CodePickerDialog(codebook, allow_parents=True)
    qtbot.addWidget(with_parents)

    def ids(dialog):  # type: ignore[no-untyped-def]
        model = dialog.model
        return [model.index(row).data(Qt.ItemDataRole.UserRole) for row in range(model.rowCount())]

    assert not set(parents) & set(ids(leaves_only))
    assert set(ids(with_parents)) == {code.id for code in codebook.walk()}
    hope = ids(with_parents).index("hope")
    assert with_parents.model.index(hope).data().endswith("(hope) · parent code")
    qtbot.keyClicks(with_parents.query, "hope")  # the parent itself ranks first, Enter takes it
    qtbot.keyClick(with_parents.query, Qt.Key.Key_Return)
    assert with_parents.chosen == "hope"
    qtbot.keyClicks(leaves_only.query, "hope")
    qtbot.keyClick(leaves_only.query, Qt.Key.Key_Return)
    assert leaves_only.chosen != "hope" and leaves_only.chosen.startswith("hope.")


def test_a_parent_code_can_take_the_example(qtbot, project, monkeypatch):
    """The example action's picker lists parent codes, and the editor opens on the one chosen."""
    editors: list[CodebookEditorDialog] = []
    offered: list[str] = []

    def pick(self):  # type: ignore[no-untyped-def]
        model = self.model
        offered.extend(
            model.index(row).data(Qt.ItemDataRole.UserRole) for row in range(model.rowCount())
        )
        self.chosen = "hope"
        return 1

    monkeypatch.setattr(CodePickerDialog, "exec", pick)
    monkeypatch.setattr(CodebookEditorDialog, "exec", lambda self: editors.append(self) or 0)
    window = _window(qtbot, project)
    open_and_wait(qtbot, window)
    passage = current_passage(window)
    window.example_action.trigger()
    assert "hope" in offered
    assert editors[0].current_id() == "hope"
    examples = [str(e) for e in editors[0].document.code("hope")["examples"]]
    assert examples and " ".join(passage.text.split()).startswith(examples[-1].rstrip("…"))
