"""The search and retrieval dock: Ctrl+Shift+F opens it, results arrive from a worker, Enter
jumps to the passage, a code shows its definition, the view exports to CSV and DOCX."""

from __future__ import annotations

import csv
import os

import pytest

pytest.importorskip("PySide6")
from PySide6.QtCore import Qt  # noqa: E402

from tests.conftest import write  # noqa: E402
from tests.test_gui_workspace import current_passage, make_window  # noqa: E402
from workbench.core.spreadsheet import import_decisions_csv  # noqa: E402
from workbench.core.store import Project  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def project(tmp_path):
    project = Project.open(create_demo_project(tmp_path / "demo.wb"))
    write(
        tmp_path / "d.csv",
        "passage_id,coder,code\n"
        "work_0097#2,ana,prod.speed\n"
        "work_0097#4,ana,prod.speed\n"
        "work_0097#4,ben,trust.accuracy\n",
    )
    import_decisions_csv(project, tmp_path / "d.csv")
    yield project
    project.close()


def open_search(qtbot, window):
    """Trigger the action bound to Ctrl+Shift+F (offscreen windows get no shortcut events)."""
    from PySide6.QtGui import QAction, QKeySequence

    bound = [
        action
        for action in window.findChildren(QAction)
        if QKeySequence("Ctrl+Shift+F") in action.shortcuts()
    ]
    assert len(bound) == 1
    bound[0].trigger()
    assert window.search_dock.isVisible()
    return window.search


def search(qtbot, panel, text):
    panel.query.setText(text)
    with qtbot.waitSignal(panel.finished, timeout=20_000):
        qtbot.keyClick(panel.query, Qt.Key.Key_Return)


def test_ctrl_shift_f_searches_and_enter_jumps_to_the_passage(qtbot, qtmodeltester, project):
    window = make_window(qtbot, project)
    panel = open_search(qtbot, window)
    assert window.focusWidget() is panel.query
    search(qtbot, panel, "deadline")
    model = panel.model
    qtmodeltester.check(model)
    assert model.rowCount() > 0
    with project.reading() as conn:  # the same passages as the core search finds
        from workbench.core.store.search import search_passages

        expected = [hit.key for hit in search_passages(conn, "deadline", limit=500).hits]
    assert [model.hits[row].key for row in range(model.rowCount())] == expected
    assert "<b>" in model.index(0, 2).data(model_html_role()).lower()
    panel.table.setFocus()
    panel.table.setCurrentIndex(model.index(0, 0))
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    shown = current_passage(window)
    assert shown is not None and shown.key == expected[0]
    assert not window.session.can_undo  # Enter opened it; it accepted no suggestion there


def model_html_role():
    from workbench.gui.models.search_model import HtmlRole

    return HtmlRole


def test_retrieval_by_code_shows_the_definition_and_exports(qtbot, project, tmp_path):
    window = make_window(qtbot, project)
    panel = open_search(qtbot, window)
    assert panel.definition.isHidden()
    with qtbot.waitSignal(panel.finished, timeout=20_000):
        panel.code.setCurrentIndex(panel.code.findData("prod.speed"))
    assert panel.definition.isVisible()
    assert project.codebook.get("prod.speed").definition[:30] in panel.definition.toPlainText()
    assert [hit.key for hit in panel.model.hits] == ["work_0097#2", "work_0097#4"]
    # blind coding (the demo's default): ben's codes are not shown to ana
    assert panel.model.index(1, 3).data() == "ana: prod.speed"
    out = panel.export_to(tmp_path / "view.csv")
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0][0] == "passage" and [r[0] for r in rows[1:]] == ["work_0097#2", "work_0097#4"]
    from docx import Document

    document = Document(str(panel.export_to(tmp_path / "view.docx")))
    text = "\n".join(p.text for p in document.paragraphs)
    assert project.codebook.get("prod.speed").definition in text and "work_0097#4" in text
    window.resize(1400, 900)
    window.grab().save(str(tmp_path / "search.png"))  # WORKBENCH_SHOTS=dir keeps a copy
    shots = os.environ.get("WORKBENCH_SHOTS")
    if shots:
        window.grab().save(os.path.join(shots, "search-retrieval-1400x900.png"))


def test_a_bad_field_filter_says_so_and_keeps_the_view(qtbot, project):
    window = make_window(qtbot, project)
    panel = open_search(qtbot, window)
    search(qtbot, panel, "deadline")
    before = panel.model.rowCount()
    panel.field.setText("region")
    with qtbot.waitSignal(panel.finished, timeout=5_000):
        qtbot.keyClick(panel.field, Qt.Key.Key_Return)
    assert "metadata filter: 'region' is not FIELD=VALUE" in panel.status.text()
    assert panel.model.rowCount() == before
