"""A memo on selected words shows on the card: a ✎ at the end of the words, a line with the
words and the memo under the passage, and the memo in the tooltip of the words."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from tests.test_gui_spans import _point_of  # noqa: E402
from tests.test_gui_workspace import current_passage, make_window, open_and_wait  # noqa: E402
from workbench.gui.models.passage_model import CardRole  # noqa: E402
from workbench.gui.widgets.card_layout import memo_mark_points  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def project(tmp_path):
    from workbench.core.store import Project
    from workbench.demo import create_demo_project

    project = Project.open(create_demo_project(tmp_path / "demo.wb"))
    yield project
    project.close()


def test_a_memo_on_selected_words_is_marked_listed_and_in_the_tooltip(qtbot, project, tmp_path):
    window = make_window(qtbot, project)
    open_and_wait(qtbot, window)
    row = window.controller.current_row()
    passage = current_passage(window)
    words = next(w for w in passage.text.split() if len(w) > 5 and w.isalpha())
    at = passage.text.index(words)
    view = window.passage_view.list
    delegate = view.itemDelegate()
    width = view.visualRect(window.passage_model.index(row)).width()
    before = delegate.layout(window.passage_model.index(row).data(CardRole), width, view.font())
    assert before.span_memo_texts == ()

    span = (passage.start + at, passage.start + at + len(words))
    window.session.save_memo(passage.id, "ask the team: is this a deadline?", span)
    card = window.passage_model.index(row).data(CardRole)
    assert card.span_memos == ((at, at + len(words), "ask the team: is this a deadline?"),)
    layout = delegate.layout(card, width, view.font())
    assert layout.span_memo_texts == (f"✎ “{words}”: ask the team: is this a deadline?",)
    assert layout.height > before.height  # the memo line takes room under the passage
    (mark,) = memo_mark_points(layout, card)
    assert layout.text_origin.x() < mark.x() < layout.text_origin.x() + width
    # hovering the words gives the memo; a word outside the selection gives none
    rect = view.visualRect(window.passage_model.index(row))
    inside = _point_of(window, row, at + 1) - rect.topLeft().toPointF()
    assert "is this a deadline" in delegate.span_memo_at(card, width, view.font(), inside)
    outside = next(
        (o for o in (at + len(words) + 3, at - 3) if 0 <= o < len(passage.text) and o != at),
        None,
    )
    if outside is not None and passage.text[outside].isalnum():
        point = _point_of(window, row, outside) - rect.topLeft().toPointF()
        assert delegate.span_memo_at(card, width, view.font(), point) is None
    window.grab().save(str(tmp_path / "span-memo.png"))

    window.session.undo()  # the memo undone: the card loses it
    assert window.passage_model.index(row).data(CardRole).span_memos == ()
