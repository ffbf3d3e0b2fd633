"""The workspace's layout and its second-pass behaviour: the details pane follows the highlighted
chip, undo is scoped to what the coder can see and says what it did, memos undo, every key is
listed, and small screens and large fonts keep the transcript readable and code names whole."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QKeySequence  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from tests.test_gui_workspace import (  # noqa: E402
    current_passage,
    key,
    make_window,
    open_and_wait,
    state,
)
from workbench.core.keys import WORKSPACE_KEYS  # noqa: E402
from workbench.core.store import Project  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402

pytestmark = pytest.mark.gui

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def project(tmp_path):
    location = create_demo_project(tmp_path / "demo.wb")
    project = Project.open(location)
    yield project
    project.close()


def test_details_pane_follows_the_highlighted_chip(qtbot, project):
    window = make_window(qtbot, project)
    open_and_wait(qtbot, window)
    details = window.codebook_panel.details
    shown = details.toPlainText()
    assert "Time returned" in shown and "Suggested by the engine" in shown
    assert "Why: test" in shown  # the engine's rationale for the suggestion
    assert "The hope or expectation that AI saves time" in shown  # the definition
    tree = window.codebook_panel
    assert tree.model.code_at(tree.tree.currentIndex()).id == "hope.time"
    key(qtbot, window, Qt.Key.Key_Right)  # the next chip: prod.speed, no click in the tree
    shown = details.toPlainText()
    assert "Speed" in shown and "Time returned" not in shown
    assert tree.model.code_at(tree.tree.currentIndex()).id == "prod.speed"
    key(qtbot, window, Qt.Key.Key_A)  # accept it, then highlight it again: applied now
    row = window.controller.current_row()
    chips = window.passage_model.chips(row)
    for _ in chips:
        if chips[window.passage_model.focused_chip(row)].kind == "applied":
            break
        key(qtbot, window, Qt.Key.Key_Right)
    focused = chips[window.passage_model.focused_chip(row)]
    assert (focused.code_id, focused.kind) == ("prod.speed", "applied")
    assert "Applied by you" in details.toPlainText() and "Speed" in details.toPlainText()


def test_undo_on_another_transcript_jumps_there_first(qtbot, project):
    window = make_window(qtbot, project)
    open_and_wait(qtbot, window)
    decided = current_passage(window)
    key(qtbot, window, Qt.Key.Key_A)
    assert state(project, "ana", decided.id).codes == {"hope.time"}
    open_and_wait(qtbot, window, "work_0067")
    assert window.passage_model.row_of(decided.id) is None
    with qtbot.waitSignal(window.controller.suggestions_finished, timeout=20_000):
        key(qtbot, window, Qt.Key.Key_Z, CTRL)
    # not undone silently: the passage it will change is in front of the coder, and it says so
    assert state(project, "ana", decided.id).codes == {"hope.time"}
    assert current_passage(window).id == decided.id
    assert f"Undo will change {decided.key}" in window.saved_label.text()
    key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert state(project, "ana", decided.id).codes == set()
    assert window.saved_label.text() == f"Undone: accept hope.time on {decided.key}"


def test_undo_in_the_open_transcript_is_immediate_and_named(qtbot, project):
    window = make_window(qtbot, project)
    open_and_wait(qtbot, window)
    first = current_passage(window)
    key(qtbot, window, Qt.Key.Key_A)
    key(qtbot, window, Qt.Key.Key_J)
    assert current_passage(window).id != first.id
    key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert state(project, "ana", first.id).codes == set()
    assert current_passage(window).id == first.id  # the coder sees what changed back
    assert window.saved_label.text() == f"Undone: accept hope.time on {first.key}"
    assert not window.undo_action.isEnabled()  # nothing left: the menu says so


def test_memos_undo_and_keep_their_history(qtbot, project):
    window = make_window(qtbot, project)
    open_and_wait(qtbot, window)
    passage = current_passage(window)
    window.session.save_memo(passage.id, "first thought")
    window.session.save_memo(passage.id, "second thought")
    assert window.undo_action.text().startswith("Undo memo")
    key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert window.session.memos([passage.id]) == {passage.id: "first thought"}
    assert window.saved_label.text() == f"Undone: memo on {passage.key}"
    key(qtbot, window, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert window.session.memos([passage.id]) == {passage.id: "second thought"}
    assert window.session.memo_history(passage.id) == [
        "first thought",
        "second thought",
        "first thought",
        "second thought",
    ]


def test_f1_and_the_menus_list_every_key_of_every_action(qtbot, project, monkeypatch):
    window = make_window(qtbot, project)
    open_and_wait(qtbot, window)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: shown.append(text))
    key(qtbot, window, Qt.Key.Key_F1)
    assert len(shown) == 1
    table = dict((text, keys) for keys, text in window.key_table())
    assert table["Next suggestion"] == "Right or Tab"
    assert table["Redo"].startswith("Ctrl+Shift+Z or Ctrl+Y")
    for action in window.actions():
        for sequence in action.shortcuts():
            written = sequence.toString()
            assert written in shown[0], f"F1 leaves out {written} ({action.text()})"
            if len(action.shortcuts()) > 1:  # Qt's menus show only the first key on their own
                assert written in action.text().split("\t")[1]
    every = {QKeySequence(k).toString() for keys in WORKSPACE_KEYS.values() for k in keys}
    assert every <= {s.toString() for a in window.actions() for s in a.shortcuts()}


def _names_fit(window) -> list[str]:
    """Code names the codebook tree would cut at its present width."""
    tree = window.codebook_panel.tree
    metrics = tree.fontMetrics()
    width = tree.header().sectionSize(0)
    icon = max(tree.iconSize().width(), 16)
    return [
        code.name
        for code in window.codebook_model.codes
        if metrics.horizontalAdvance(code.name) + (code.depth + 1) * tree.indentation() + icon
        > width
    ]


def _clipped_status(window) -> list[str]:
    labels = (window.coder_label, window.progress_label, window.saved_label, window.engine_label)
    return [
        label.text()
        for label in labels
        if label.isVisible() and label.width() < label.sizeHint().width()
    ]


def layout_report(window) -> dict:
    """What a small screen or a large font could spoil, measured on a shown window."""
    return {
        "transcript_share": (window.passage_view.width() + 8) / window.width(),
        "list_folded": window.left.collapsed and window.left.strip.isVisible(),
        "cut_names": _names_fit(window),
        "clipped_status": _clipped_status(window),
        "point_size": window.codebook_panel.tree.font().pointSizeF(),
        "names_elide_in_the_middle": window.codebook_panel.tree.textElideMode()
        == Qt.TextElideMode.ElideMiddle,
        "tooltips_name_the_code": all(
            code.name
            in window.codebook_model.data(
                window.codebook_model.index_of(code.id), Qt.ItemDataRole.ToolTipRole
            )
            for code in window.codebook_model.codes
        ),
    }


def test_at_1024_the_transcript_keeps_half_and_panels_fold_to_a_strip(qtbot, project):
    window = make_window(qtbot, project)
    open_and_wait(qtbot, window)
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.width() == 1024)
    report = layout_report(window)
    assert report["transcript_share"] >= 0.5 and report["list_folded"]
    assert report["cut_names"] == [] and report["clipped_status"] == []
    qtbot.keyClick(window.passage_view.list, Qt.Key.Key_T, CTRL_SHIFT)
    assert not window.left.collapsed and window.navigator.isVisible()
    assert window.passage_view.width() >= window.width() // 2 - 8
    qtbot.keyClick(window.passage_view.list, Qt.Key.Key_B, CTRL_SHIFT)
    assert window.right.collapsed and not window.codebook_panel.isVisible()
    qtbot.mouseClick(window.right.strip, Qt.MouseButton.LeftButton)
    assert not window.right.collapsed


@pytest.mark.parametrize("size", [(1400, 900), (1920, 1080)])
def test_whole_code_names_at_larger_sizes(qtbot, project, size):
    window = make_window(qtbot, project)
    open_and_wait(qtbot, window)
    window.resize(*size)
    qtbot.waitUntil(lambda: window.width() == size[0])
    assert not window.left.collapsed
    assert window.passage_view.width() >= window.width() // 2 - 8
    assert _names_fit(window) == []
    assert _clipped_status(window) == []


SCALED = """
import json, sys
from PySide6.QtWidgets import QApplication
from workbench.core.store import Project
from workbench.gui.app import application, build_window
from tests.test_gui_layout import layout_report
app = application()
project = Project.open(sys.argv[1], read_only=True)
window = build_window(project, "ana")
window.resize(1024, 700)
window.show()
window.open_first_transcript("es_enfermero_sevilla")
for _ in range(20):
    app.processEvents()
print(json.dumps(layout_report(window)))
project.close()
"""


def test_font_scale_1_3_at_1024_clips_nothing(project, tmp_path):
    """In a process of its own: the scale is read at start-up, as the user sets it."""
    import json
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    location = project.location
    project.close()
    env = {**os.environ, "WORKBENCH_FONT_SCALE": "1.3", "QT_QPA_PLATFORM": "offscreen"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", SCALED, str(location)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["point_size"] == pytest.approx(13.0)
    assert report["transcript_share"] >= 0.5 and report["list_folded"]
    assert report["clipped_status"] == []
    # The widest names do not fit beside half a 1024 px window at 13 pt: they lose their middle,
    # never their end, and the tooltip has them whole.
    assert len(report["cut_names"]) <= 2
    assert report["names_elide_in_the_middle"] and report["tooltips_name_the_code"]
