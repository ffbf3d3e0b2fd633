"""Selecting words from the keyboard: Shift+→/← move the selection's end a word, Ctrl+Shift+→/←
its start, the card shades it as it does a drag, and a code's key codes it."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("PySide6")
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QAction, QKeySequence  # noqa: E402

from tests.test_gui_workspace import current_passage, key, make_window, open_and_wait  # noqa: E402
from workbench.core.keys import WORKSPACE_KEYS, reserved_command  # noqa: E402
from workbench.core.store.coding import coding_state  # noqa: E402
from workbench.gui.models.passage_model import CardRole  # noqa: E402
from workbench.gui.models.word_steps import first_word, step  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def demo(tmp_path):
    from workbench.core.store import Project
    from workbench.demo import create_demo_project

    project = Project.open(create_demo_project(tmp_path / "demo.wb"))
    yield project
    project.close()


SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def test_word_steps_move_one_edge_and_keep_a_word():
    text = "  It saves me, hours."
    assert first_word(text) == (2, 4)
    assert first_word(" ... ") is None
    assert step(text, 2, 4, "end", True) == (2, 10)  # "It saves"
    assert step(text, 2, 10, "end", True) == (2, 13)  # "It saves me" (not the comma)
    assert step(text, 2, 13, "end", False) == (2, 10)
    assert step(text, 2, 4, "end", False) == (2, 4)  # keeps its one word
    assert step(text, 2, 13, "start", True) == (5, 13)  # "saves me"
    assert step(text, 5, 13, "start", False) == (2, 13)
    assert step(text, 11, 13, "start", True) == (11, 13)  # keeps its one word
    assert step(text, 2, 20, "end", True) == (2, 20)  # no word after "hours"


def test_keyboard_selection_is_shaded_and_a_code_key_codes_it(qtbot, demo, tmp_path):
    window = make_window(qtbot, demo)
    open_and_wait(qtbot, window)
    row = window.controller.current_row()
    passage = current_passage(window)
    words = re.findall(r"\w+", passage.text)
    assert len(words) >= 4
    key(qtbot, window, Qt.Key.Key_Right, SHIFT)  # the first word
    key(qtbot, window, Qt.Key.Key_Right, SHIFT)
    key(qtbot, window, Qt.Key.Key_Right, SHIFT)  # the first three words
    key(qtbot, window, Qt.Key.Key_Right, CTRL_SHIFT)  # drop the first: words two and three
    card = window.passage_model.index(row).data(CardRole)
    assert card.selection is not None
    low, high = card.selection
    selected = passage.text[low:high]
    assert selected.startswith(words[1]) and selected.endswith(words[2])
    assert words[1] in window.statusBar().currentMessage() or words[1] in (
        window.saved_label.text() + window.saved_label.toolTip()
    )
    window.grab().save(str(tmp_path / "keyboard-selection.png"))
    key(qtbot, window, Qt.Key.Key_S)  # the demo codebook's key for prod.speed
    with demo.reading() as conn:
        state = coding_state(conn, passage.id, window.session.coder_id)
    assert state.spans == {("prod.speed", passage.start + low, passage.start + high)}
    assert window.passage_model.selection() is None


def test_the_selection_keys_are_listed_and_clash_with_nothing(qtbot, demo):
    window = make_window(qtbot, demo)
    listed = dict(window.key_table())
    for command in (
        "select the next word",
        "unselect the last word",
        "unselect the first word",
        "select the word before",
    ):
        (shortcut,) = WORKSPACE_KEYS[command]
        assert reserved_command(shortcut) is None  # a modified key: no codebook key takes it
        bound = [a for a in window.findChildren(QAction) if QKeySequence(shortcut) in a.shortcuts()]
        assert len(bound) == 1, shortcut
    assert any("Select the next word" in action for action in listed.values())
    every = [k for keys in WORKSPACE_KEYS.values() for k in keys]
    assert len(every) == len(set(every))


def test_the_selection_keys_do_not_act_behind_the_search_results(qtbot, demo):
    window = make_window(qtbot, demo)
    open_and_wait(qtbot, window)
    window.show_search()
    panel = window.search
    panel.query.setText("IA")
    with qtbot.waitSignal(panel.finished, timeout=20_000):
        panel.search()
    assert panel.model.rowCount() > 0
    panel.table.setFocus()
    for modifiers in (SHIFT, CTRL_SHIFT):
        qtbot.keyClick(panel.table, Qt.Key.Key_Right, modifiers)
    assert window.passage_model.selection() is None  # the transcript behind is untouched
    key(qtbot, window, Qt.Key.Key_Right, SHIFT)  # in the transcript itself they select
    assert window.passage_model.selection() is not None
