"""Recoding in place in the retrieval view: the keys act on the selected passages through the
coder's session, the list follows (a passage that leaves the view is struck through), and one
Ctrl+Z takes a whole selection's change back."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
from PySide6.QtCore import QItemSelectionModel, Qt  # noqa: E402

from tests.conftest import write  # noqa: E402
from tests.test_gui_search import open_search  # noqa: E402
from tests.test_gui_workspace import make_window  # noqa: E402
from workbench.core.spreadsheet import import_decisions_csv  # noqa: E402
from workbench.core.store import Project, schema  # noqa: E402
from workbench.core.store.coder_state import coder_states  # noqa: E402
from workbench.core.store.queries import passage_ids_for_keys  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402

pytestmark = pytest.mark.gui

KEYS = ["work_0097#2", "work_0097#4", "work_0097#6"]


@pytest.fixture
def project(tmp_path):
    project = Project.open(create_demo_project(tmp_path / "demo.wb"))
    write(
        tmp_path / "d.csv",
        "passage_id,coder,code\n"
        "work_0097#2,ana,prod.speed\n"
        "work_0097#4,ana,prod.speed\n"
        "work_0097#6,ana,prod.speed\n"
        "work_0097#4,ben,trust.accuracy\n",
    )
    import_decisions_csv(project, tmp_path / "d.csv")
    yield project
    project.close()


def ids(project: Project) -> dict[str, int]:
    with project.reading() as conn:
        return passage_ids_for_keys(conn, KEYS)


def codes_of(project: Project, coder: str = "ana") -> dict[str, set[str]]:
    with project.reading() as conn:
        coder_id = (
            conn.execute(schema.coders.select().where(schema.coders.c.name == coder)).one().id
        )
        states = coder_states(conn, coder_id, ids(project).values())
    by_id = {pid: key for key, pid in ids(project).items()}
    return {by_id[pid]: set(state.codes) for pid, state in states.items()}


def retrieve(qtbot, window, code: str, scope: str = "coded by me"):
    panel = open_search(qtbot, window)
    panel.scope.blockSignals(True)
    panel.scope.setCurrentText(scope)
    panel.scope.blockSignals(False)
    with qtbot.waitSignal(panel.finished, timeout=20_000):
        panel.code.setCurrentIndex(panel.code.findData(code))
    panel.table.setFocus()
    return panel


def select_rows(panel, rows: list[int]) -> None:
    selection = panel.table.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(
            panel.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    panel.table.setCurrentIndex(panel.model.index(rows[0], 0))
    selection.select(
        panel.model.index(rows[-1], 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
    )


def test_delete_removes_the_code_from_the_selection_and_one_undo_restores_it(qtbot, project):
    window = make_window(qtbot, project)
    panel = retrieve(qtbot, window, "prod.speed")
    assert [hit.key for hit in panel.model.hits] == KEYS
    select_rows(panel, [0, 2])
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    assert codes_of(project) == {
        "work_0097#2": set(),
        "work_0097#4": {"prod.speed"},
        "work_0097#6": set(),
    }
    # struck through until the next search, with their codes re-read
    pid = ids(project)
    assert panel.model.gone == {pid["work_0097#2"], pid["work_0097#6"]}
    assert panel.model.index(0, 3).data() == ""
    assert panel.model.index(0, 0).data(Qt.ItemDataRole.FontRole).strikeOut()
    assert panel.model.index(1, 0).data(Qt.ItemDataRole.FontRole) is None
    assert window.saved_label.text() == "✓ Saved: remove prod.speed from 2 passages"
    assert window.session.undo_label == "remove prod.speed from 2 passages"
    window.undo_action.trigger()  # the Ctrl+Z action: the passages are in sight, so at once
    assert "Undone: remove prod.speed from 2 passages" in window.saved_label.text()
    assert codes_of(project)["work_0097#2"] == {"prod.speed"}
    assert codes_of(project)["work_0097#6"] == {"prod.speed"}
    assert panel.model.gone == set()
    assert panel.model.index(0, 3).data() == "ana: prod.speed"
    # a new search drops what left the view
    select_rows(panel, [0])
    qtbot.keyClick(panel.table, Qt.Key.Key_R)
    with qtbot.waitSignal(panel.finished, timeout=20_000):
        panel.search()
    assert [hit.key for hit in panel.model.hits] == KEYS[1:]


def test_replace_and_apply_another_code_through_the_picker(qtbot, project):
    window = make_window(qtbot, project)
    panel = retrieve(qtbot, window, "prod.speed")
    panel.recoder.pick = lambda title: "trust.accuracy"
    select_rows(panel, [0])
    qtbot.keyClick(panel.table, Qt.Key.Key_E)
    assert codes_of(project)["work_0097#2"] == {"trust.accuracy"}
    assert ids(project)["work_0097#2"] in panel.model.gone
    select_rows(panel, [1])
    qtbot.keyClick(panel.table, Qt.Key.Key_Slash)
    assert codes_of(project)["work_0097#4"] == {"prod.speed", "trust.accuracy"}
    assert ids(project)["work_0097#4"] not in panel.model.gone  # still coded prod.speed
    assert panel.model.index(1, 3).data() == "ana: prod.speed, trust.accuracy"
    panel.recoder.pick = lambda title: None  # cancelled: nothing happens
    qtbot.keyClick(panel.table, Qt.Key.Key_E)
    assert window.session.undo_label == "add trust.accuracy"


def test_accept_and_reject_an_engines_suggestions_from_the_view(qtbot, project):
    from workbench.core.store.suggestions import record_run, save_suggestions
    from workbench.suggest.engine import Suggestion

    pid = ids(project)
    with project.transaction() as conn:
        for key in ("work_0097#4", "work_0097#6"):
            suggestion = Suggestion(
                pid[key], "hope.time", 0.8, "", None, None, "", "local", "m", "p"
            )
            save_suggestions(conn, [suggestion], project.codebook.version)
            record_run(conn, [pid[key]], project.codebook.version, "local", "m", "p", "local")
    window = make_window(qtbot, project)
    panel = retrieve(qtbot, window, "hope.time", scope="suggested by an engine")
    assert [hit.key for hit in panel.model.hits] == ["work_0097#4", "work_0097#6"]
    select_rows(panel, [0])
    qtbot.keyClick(panel.table, Qt.Key.Key_A)
    select_rows(panel, [1])
    qtbot.keyClick(panel.table, Qt.Key.Key_R)
    assert codes_of(project)["work_0097#4"] == {"prod.speed", "hope.time"}
    assert codes_of(project)["work_0097#6"] == {"prod.speed"}
    with project.reading() as conn:
        rows = conn.execute(
            schema.decisions.select().where(schema.decisions.c.code_id == "hope.time")
        ).all()
    actions = {(row.passage_id, str(row.action)) for row in rows if row.suggestion_id}
    assert {pid for pid, _ in actions} == {pid["work_0097#4"], pid["work_0097#6"]}
    assert any("reject" in action.lower() for _, action in actions)
    assert panel.model.index(0, 3).data() == "ana: hope.time, prod.speed"


def test_recoding_needs_a_code_in_the_view(qtbot, project):
    window = make_window(qtbot, project)
    panel = open_search(qtbot, window)
    panel.query.setText("work")
    with qtbot.waitSignal(panel.finished, timeout=20_000):
        qtbot.keyClick(panel.query, Qt.Key.Key_Return)
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    assert "Choose a code" in panel.status.text()
    assert not window.session.can_undo


def test_at_1024x700_a_row_is_at_most_three_lines_so_several_show(qtbot, project):
    from workbench.gui.widgets.search_panel import MAX_LINES

    window = make_window(qtbot, project)
    window.resize(1024, 700)
    panel = retrieve(qtbot, window, "prod.speed")
    panel.table.resizeRowsToContents()
    line = panel.table.fontMetrics().lineSpacing()
    heights = [panel.table.rowHeight(row) for row in range(panel.model.rowCount())]
    assert max(heights) <= line * MAX_LINES + 12
    assert min(heights) >= line  # a row still shows its snippet


def test_the_list_keeps_plain_keys_from_the_workspace_but_not_ctrl_z(qtbot, project):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    window = make_window(qtbot, project)
    panel = retrieve(qtbot, window, "prod.speed")

    def claimed(key, modifiers=Qt.KeyboardModifier.NoModifier, text=""):
        event = QKeyEvent(QEvent.Type.ShortcutOverride, key, modifiers, text)
        event.ignore()
        QApplication.sendEvent(panel.table, event)
        return event.isAccepted()

    assert claimed(Qt.Key.Key_A, text="a")  # would accept a suggestion in the transcript
    assert claimed(Qt.Key.Key_J, text="j")  # would move the workspace's passage
    assert claimed(Qt.Key.Key_Delete)
    assert not claimed(Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier, "\x1a")  # undo
    assert not claimed(
        Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
