"""The codebook editor's tree model: drops, Qt moves and Alt+arrow keys, each checked against
the YAML the lead would save (the document), and refused moves that say why."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QModelIndex, Qt  # noqa: E402
from PySide6.QtGui import QDropEvent  # noqa: E402
from PySide6.QtWidgets import QAbstractItemView  # noqa: E402

from workbench.core.codebook import parse_codebook  # noqa: E402
from workbench.core.codebook_edit import CodebookDocument  # noqa: E402
from workbench.gui.dialogs.codebook_editor import CodebookEditorDialog  # noqa: E402
from workbench.gui.models.codebook_edit_model import CodebookEditModel  # noqa: E402

BOOK = """\
name: Tree
version: 1
codes:
  - id: a          # keep me
    name: A
    definition: a
    children:
      - id: a.one
        name: A one
        definition: a1
      - id: a.two
        name: A two
        definition: a2
  - id: b
    name: B
    definition: b
  - id: c
    name: C
    definition: c
"""


@pytest.fixture
def model(qtbot):  # type: ignore[no-untyped-def]
    return CodebookEditModel(CodebookDocument(BOOK, "book.yaml"))


def test_the_model_shows_the_document_tree(model):
    assert model.rowCount() == 3
    a = model.index(0, 0)
    assert model.data(a) == "a" and model.data(a.siblingAtColumn(1)) == "A"
    assert [model.data(model.index(r, 0, a)) for r in range(model.rowCount(a))] == [
        "a.one",
        "a.two",
    ]
    assert model.parent(model.index(1, 0, a)) == a
    assert model.ids() == ["a", "a.one", "a.two", "b", "c"]


def test_drop_on_a_code_makes_it_a_child_and_keeps_comments(model):
    data = model.mimeData([model.index_of("c")])
    b = model.index_of("b")
    assert model.canDropMimeData(data, Qt.DropAction.MoveAction, -1, -1, b)
    assert model.dropMimeData(data, Qt.DropAction.MoveAction, -1, -1, b)
    assert model.document.children_of("b") == ["c"]
    assert model.rowCount(model.index_of("b")) == 1
    text = model.document.text()
    assert "# keep me" in text
    assert parse_codebook(text).get("c").parent_id == "b"


def test_drop_between_rows_reorders(model):
    data = model.mimeData([model.index_of("c")])
    assert model.dropMimeData(data, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    assert model.document.children_of(None) == ["c", "a", "b"]
    # between the two children of a: out of the top level into a, at row 1
    data = model.mimeData([model.index_of("b")])
    assert model.dropMimeData(data, Qt.DropAction.MoveAction, 1, 0, model.index_of("a"))
    assert model.document.children_of("a") == ["a.one", "b", "a.two"]


def test_a_code_cannot_go_under_its_own_descendant(model, qtbot):
    before = model.document.text()
    data = model.mimeData([model.index_of("a")])
    with qtbot.waitSignal(model.refused) as said:
        assert not model.canDropMimeData(
            data, Qt.DropAction.MoveAction, -1, -1, model.index_of("a.two")
        )
    assert "its own children" in said.args[0] and "'a'" in said.args[0]
    with qtbot.waitSignal(model.refused):
        assert not model.dropMimeData(data, Qt.DropAction.MoveAction, -1, -1, model.index_of("a"))
    assert model.document.text() == before


def test_move_rows_counts_the_destination_as_qt_does(model, qtbot):
    with qtbot.waitSignal(model.rowsMoved):
        assert model.moveRows(QModelIndex(), 0, 1, QModelIndex(), 3)  # a to the end
    assert model.document.children_of(None) == ["b", "c", "a"]
    assert model.moveRows(model.index_of("a"), 1, 1, QModelIndex(), 0)  # a.two to the top
    assert model.document.children_of(None) == ["a.two", "b", "c", "a"]
    assert model.document.children_of("a") == ["a.one"]
    assert not model.moveRows(QModelIndex(), 0, 2, QModelIndex(), 3)  # one at a time


def test_persistent_index_follows_a_moved_code(model):
    from PySide6.QtCore import QPersistentModelIndex

    kept = QPersistentModelIndex(model.index_of("a.one"))
    model.move("a.one", "c")
    assert model.code_id(kept) == "a.one"
    assert model.parent(model.index(kept.row(), 0, kept.parent())) == model.index_of("c")


def _dialog(qtbot, project):  # type: ignore[no-untyped-def]
    dialog = CodebookEditorDialog(project, "lead")
    qtbot.addWidget(dialog)
    dialog.resize(1200, 800)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_alt_arrows_move_the_current_code(qtbot, project):
    dialog = _dialog(qtbot, project)
    dialog.select("hope.time")
    dialog.tree.setFocus()
    children = dialog.document.children_of("hope")
    at = children.index("hope.time")
    qtbot.keyClick(dialog.tree, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert dialog.document.children_of("hope").index("hope.time") == at + 1
    qtbot.keyClick(dialog.tree, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert dialog.document.parent_of("hope.time") is None
    assert dialog.document.children_of(None).index("hope.time") == 1  # just after hope
    assert any(line.startswith("> hope.time") for line in dialog.preview_lines())
    assert "> hope.time" in dialog.changes.toPlainText()  # the live diff pane says so
    qtbot.keyClick(dialog.tree, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert dialog.document.children_of("hope")[-1] == "hope.time"  # back in, as the last child
    assert dialog.current_id() == "hope.time"  # the moved code stays current
    assert dialog.preview_lines()[0].startswith("No changes to the codes")  # reordered only


def test_a_real_drop_on_the_view_moves_the_code(qtbot, project, tmp_path):
    dialog = _dialog(qtbot, project)
    view = dialog.tree
    source = dialog.model.index_of("trust.accuracy")
    target = dialog.model.index_of("stigma")
    view.scrollTo(target)
    rect = view.visualRect(target)
    data = dialog.model.mimeData([source])
    point = rect.center()
    drop = QDropEvent(
        point.toPointF(),
        Qt.DropAction.MoveAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    # the view decides on, above or below from the position, as during a real drag
    assert view.dragDropMode() == QAbstractItemView.DragDropMode.DragDrop
    view.dropEvent(drop)
    assert dialog.document.parent_of("trust.accuracy") == "stigma"
    assert "trust.accuracy" in dialog.document.ids()  # moved, never removed by the view
    stigma = dialog.model.mimeData([dialog.model.index_of("stigma")])  # kept: the event won't
    refused = QDropEvent(
        view.visualRect(dialog.model.index_of("stigma.judgment")).center().toPointF(),
        Qt.DropAction.MoveAction,
        stigma,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    view.dropEvent(refused)
    assert dialog.document.parent_of("stigma") is None
    assert "its own children" in dialog.hint.text()
    dialog.grab().save(str(tmp_path / "editor.png"))


def test_the_model_passes_qt_model_tester_through_moves(qtmodeltester, model):
    qtmodeltester.check(model)
    model.move("c", "a", 1)
    model.move_by("a.two", "left")
    model.add_code("b.new", "New", "new", "b")
    model.rename_code("b.new", "b.newer")
    model.delete_code("a")
    qtmodeltester.check(model)
    assert model.ids() == ["a.two", "b", "b.newer"]
