"""The workspace as a user first meets it: an empty project, or no transcript open yet, says
what to do instead of showing a blank page; the transcript count reads as English."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from tests.test_gui_workspace import make_window  # noqa: E402
from workbench.core.store import Project  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402
from workbench.gui.widgets.navigator import ID_PADDING, NO_TRANSCRIPTS  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def empty_project(tmp_path, codebook_path):
    from workbench.core.codebook import load_codebook

    project = Project.create(tmp_path / "empty.wb", codebook=load_codebook(codebook_path))
    yield project
    project.close()


@pytest.fixture
def demo(tmp_path):
    project = Project.open(create_demo_project(tmp_path / "demo.wb"))
    yield project
    project.close()


def test_a_project_without_transcripts_says_how_to_add_them(qtbot, empty_project):
    window = make_window(qtbot, empty_project)
    window.open_first_transcript()
    assert window.passage_view.title.text() == "No transcript open"
    assert "workbench import" in window.passage_view.subtitle.text()
    assert window.navigator.count.text() == NO_TRANSCRIPTS


def test_the_count_says_a_filter_left_nothing_and_counts_one_in_the_singular(qtbot, demo):
    window = make_window(qtbot, demo)
    navigator = window.navigator
    navigator.search.setText("ja_keiri_osaka")
    qtbot.waitUntil(lambda: navigator.count.text() == "1 transcript", timeout=5000)
    navigator.search.setText("no transcript is called this")
    qtbot.waitUntil(
        lambda: navigator.count.text() == "No transcript matches these filters", timeout=5000
    )
    navigator.search.setText("")
    qtbot.waitUntil(lambda: navigator.count.text() == "15 transcripts", timeout=5000)


def elided(view, column: int) -> list[str]:
    """The cells of ``column`` whose text does not fit the column's width."""
    metrics = view.fontMetrics()
    width = view.columnWidth(column) - ID_PADDING
    model = view.model()
    return [
        model.index(row, column).data()
        for row in range(model.rowCount())
        if metrics.horizontalAdvance(model.index(row, column).data()) > width
    ]


def test_transcript_ids_keep_their_width_before_the_group_column(qtbot, demo):
    """At 1400x900 the list was ~250 px and "creativity_0016" showed as "creati…y_0016"."""
    window = make_window(qtbot, demo)  # 1400x900
    table = window.navigator.table
    qtbot.waitUntil(lambda: window.navigator.isVisible() and table.viewport().width() > 0)
    assert elided(table, 0) == []
    narrow_enough = table.isColumnHidden(1)
    window.resize(1920, 1080)
    qtbot.waitUntil(lambda: not table.isColumnHidden(1), timeout=3000)  # room for both again
    assert elided(table, 0) == []
    assert narrow_enough  # at 1400 px the group had to give way
