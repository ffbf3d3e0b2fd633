"""The retrieval dock leaves the transcript the larger part of the window at small sizes."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from tests.test_gui_workspace import make_window, open_and_wait  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def project(tmp_path):
    from workbench.core.store import Project
    from workbench.demo import create_demo_project

    project = Project.open(create_demo_project(tmp_path / "demo.wb"))
    yield project
    project.close()


@pytest.mark.parametrize("size", [(1024, 700), (1400, 900)])
def test_the_retrieval_dock_opens_at_a_third_and_the_transcript_keeps_priority(
    qtbot, project, size, tmp_path
):
    from workbench.gui.window_layout import SEARCH_DOCK_MIN

    window = make_window(qtbot, project)
    window.resize(*size)
    open_and_wait(qtbot, window)
    window.show_search()
    qtbot.waitUntil(lambda: window.search_dock.height() > 0)
    qtbot.wait(50)
    dock = window.search_dock.height()
    assert SEARCH_DOCK_MIN - 10 <= dock <= max(SEARCH_DOCK_MIN, size[1] // 3) + 10
    assert window.passage_view.list.height() > dock  # the transcript is the larger part
    # at 700 px the key hint under the transcript gives its lines to the passages; F1 has them
    assert window.passage_view.hint.isHidden() == (size[1] < 800)
    window.grab().save(str(tmp_path / f"retrieval-{size[0]}x{size[1]}.png"))


def test_the_key_hint_comes_back_when_the_dock_closes(qtbot, project):
    window = make_window(qtbot, project)
    window.resize(1024, 700)
    open_and_wait(qtbot, window)
    assert not window.passage_view.hint.isHidden()
    window.show_search()
    qtbot.waitUntil(lambda: window.passage_view.hint.isHidden())
    window.search_dock.close()
    qtbot.waitUntil(lambda: not window.passage_view.hint.isHidden())
