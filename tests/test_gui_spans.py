"""Coding a selection in the workspace: drag over words, press a code's key, undo it."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
from PySide6.QtCore import QEvent, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent, QTextCursor  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from tests.test_gui_workspace import (  # noqa: E402
    current_passage,
    key,
    make_window,
    open_and_wait,
)
from workbench.core.store.coding import coding_state  # noqa: E402
from workbench.gui.models.passage_model import CardRole  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def demo(tmp_path):
    from workbench.core.store import Project
    from workbench.demo import create_demo_project

    project = Project.open(create_demo_project(tmp_path / "demo.wb"))
    yield project
    project.close()


def _point_of(window, row: int, offset: int) -> QPointF:
    """The viewport point in the middle of the line at a character of a passage's text."""
    view = window.passage_view.list
    index = window.passage_model.index(row)
    rect = view.visualRect(index)
    card = index.data(CardRole)
    layout = view.itemDelegate().layout(card, rect.width(), view.font())
    block = layout.document.findBlock(offset)
    line = block.layout().lineForTextPosition(offset - block.position())
    x = line.cursorToX(offset - block.position())[0]
    top = layout.document.documentLayout().blockBoundingRect(block).top()
    return (
        QPointF(rect.topLeft())
        + layout.text_origin
        + QPointF(x + 1, top + line.y() + line.height() / 2)
    )


def _drag(window, start: QPointF, end: QPointF) -> None:
    viewport = window.passage_view.list.viewport()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    for kind, where, button, buttons in (
        (QEvent.Type.MouseButtonPress, start, left, left),
        (QEvent.Type.MouseMove, (start + end) / 2, none, left),
        (QEvent.Type.MouseMove, end, none, left),
        (QEvent.Type.MouseButtonRelease, end, left, none),
    ):
        event = QMouseEvent(
            kind,
            where,
            viewport.mapToGlobal(where),
            button,
            buttons,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(viewport, event)


def test_drag_over_words_code_them_with_a_key_see_them_and_undo(qtbot, demo, tmp_path):
    project = demo
    window = make_window(qtbot, project)
    open_and_wait(qtbot, window)
    row = window.controller.current_row()
    passage = current_passage(window)
    # words past the engine's evidence quote (its first 20 characters), so both show apart
    words = next(
        w for w in passage.text.split() if len(w) > 5 and w.isalpha() and passage.text.index(w) > 20
    )
    at = passage.text.index(words)
    _drag(window, _point_of(window, row, at), _point_of(window, row, at + len(words)))
    selection = window.passage_model.selection()
    assert selection is not None and selection[0].id == passage.id
    assert passage.text[selection[1] - passage.start : selection[2] - passage.start] == words

    key(qtbot, window, Qt.Key.Key_S)  # the demo codebook's key for prod.speed
    with project.reading() as conn:
        state = coding_state(conn, passage.id, window.session.coder_id)
    span = ("prod.speed", passage.start + at, passage.start + at + len(words))
    assert state.spans == {span} and state.codes == {"prod.speed"}
    assert window.passage_model.selection() is None  # coded: the selection is spent
    assert f"“{words}”" in window.saved_label.toolTip() + window.saved_label.text()

    # the span is drawn: its words underlined in the card, its chip marked with a quote
    card = window.passage_model.index(row).data(CardRole)
    assert card.coded_spans == ((at, at + len(words), "prod.speed"),)
    chip = next(c for c in card.chips if c.code_id == "prod.speed")
    assert chip.kind == "applied" and chip.quotes == (f"“{words}”",)
    view = window.passage_view.list
    layout = view.itemDelegate().layout(
        card, view.visualRect(view.model().index(row)).width(), view.font()
    )
    cursor = QTextCursor(layout.document)
    cursor.setPosition(at + 1)
    assert cursor.charFormat().fontUnderline()
    beyond = max(21, at + len(words) + 2)  # past the span and the engine's evidence quote
    if beyond < len(passage.text):
        cursor.setPosition(beyond)
        assert not cursor.charFormat().fontUnderline()
    assert "❝" in view.itemDelegate()._chip_label(chip)
    window.grab().save(str(tmp_path / "spans.png"))

    key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    with project.reading() as conn:
        state = coding_state(conn, passage.id, window.session.coder_id)
    assert state.spans == frozenset() and state.codes == frozenset()
    assert window.passage_model.index(row).data(CardRole).coded_spans == ()


def test_accept_evidence_as_a_selection_and_remove_it_from_the_chip(qtbot, demo):
    project = demo
    window = make_window(qtbot, project)
    open_and_wait(qtbot, window)
    passage = current_passage(window)
    chips = window.passage_model.chips(window.controller.current_row())
    chip = chips[0]
    assert chip.kind == "suggested" and chip.evidence is not None
    key(
        qtbot,
        window,
        Qt.Key.Key_A,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    start, end = passage.start + chip.evidence[0], passage.start + chip.evidence[1]
    with project.reading() as conn:
        state = coding_state(conn, passage.id, window.session.coder_id)
        accepted = conn.exec_driver_sql(
            "select suggestion_id, span_start, span_end from decisions order by id desc limit 1"
        ).one()
    assert state.spans == {(chip.code_id, start, end)}
    assert tuple(accepted) == (chip.suggestion_id, start, end)
    # the applied chip is first and highlighted: Shift+Delete takes the selection back
    key(qtbot, window, Qt.Key.Key_Delete, Qt.KeyboardModifier.ShiftModifier)
    with project.reading() as conn:
        state = coding_state(conn, passage.id, window.session.coder_id)
    assert state.spans == frozenset() and state.codes == {chip.code_id}
