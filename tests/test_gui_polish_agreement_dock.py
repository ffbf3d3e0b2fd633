"""The agreement dock at 1024x700: its panel shrinks (headline and tabs scroll) so the transcript
keeps the larger part when the dock opens at its default size, and every table still shows rows
or a scroll bar to reach them."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
from PySide6.QtWidgets import QAbstractScrollArea, QScrollArea, QTableView  # noqa: E402

from tests.conftest import write  # noqa: E402
from tests.test_gui_workspace import make_window, open_and_wait  # noqa: E402
from workbench.core.spreadsheet import import_decisions_csv  # noqa: E402
from workbench.core.store import Project  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402
from workbench.gui.window_layout import AGREEMENT_DOCK_MIN  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def project(tmp_path):
    """Two coders on eleven passages, so the panel has codes, a matrix and disagreements."""
    project = Project.open(create_demo_project(tmp_path / "demo.wb"))
    rows = []
    for position in range(2, 24, 2):
        passage = f"work_0097#{position}"
        rows.append((passage, "ana", "prod.speed" if position % 4 else "trust.accuracy"))
        rows.append((passage, "ben", "prod.speed" if position % 3 else "trust.accuracy"))
    write(
        tmp_path / "d.csv",
        "passage_id,coder,code\n" + "".join(f"{p},{c},{k}\n" for p, c, k in rows),
    )
    import_decisions_csv(project, tmp_path / "d.csv")
    yield project
    project.close()


def _rows_shown(table: QTableView) -> int:
    """Rows drawn whole inside the table's own viewport."""
    viewport = table.viewport().rect()
    model = table.model()
    return sum(
        viewport.contains(table.visualRect(model.index(row, 0))) for row in range(model.rowCount())
    )


def _scrolls(widget: QAbstractScrollArea) -> bool:
    return widget.verticalScrollBar().isVisible()


def test_at_1024x700_the_dock_leaves_the_transcript_the_larger_part(qtbot, project, tmp_path):
    window = make_window(qtbot, project)
    open_and_wait(qtbot, window)
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.width() == 1024 and window.height() == 700)
    with qtbot.waitSignal(window.agreement.updated, timeout=20_000):
        window.toggle_agreement()
    qtbot.wait(50)
    panel = window.agreement
    window.grab().save(str(tmp_path / "agreement-dock-1024x700.png"))  # looked at by hand too
    assert window.passage_view.list.height() >= 300
    assert panel.minimumSizeHint().height() <= AGREEMENT_DOCK_MIN
    assert window.agreement_dock.height() < window.height() // 2
    # the key hint gives its lines to the passages while the dock shares a short window
    assert not window.passage_view.hint.isVisible()
    tab = panel.tabs.currentWidget()
    assert isinstance(tab, QScrollArea)
    assert panel.disagreements_model.rowCount() >= 3 and panel.codes_model.rowCount() >= 2
    for table in (panel.codes, panel.matrix, panel.disagreements):
        wanted = min(3, table.model().rowCount())
        assert _rows_shown(table) >= wanted or _scrolls(table) or _scrolls(tab), table


def test_closing_the_dock_gives_the_key_hint_back(qtbot, project):
    window = make_window(qtbot, project)
    open_and_wait(qtbot, window)
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.height() == 700)
    with qtbot.waitSignal(window.agreement.updated, timeout=20_000):
        window.toggle_agreement()
    assert not window.passage_view.hint.isVisible()
    window.agreement_dock.close()  # its title bar's close button, not the menu
    qtbot.waitUntil(lambda: window.passage_view.hint.isVisible())
