"""The agreement panel at 1024x700: code names readable, no tab bar for a single tab, the
coder matrix no taller than its rows."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from tests.test_gui_agreement import open_panel, project  # noqa: E402, F401 (a fixture)
from tests.test_gui_workspace import make_window  # noqa: E402

pytestmark = pytest.mark.gui


def test_code_names_fit_at_1024x700(qtbot, project):  # noqa: F811
    window = make_window(qtbot, project)
    window.resize(1024, 700)
    open_panel(qtbot, window)
    panel = window.agreement
    codes = panel.codes
    model = panel.codes_model
    assert model.rowCount() >= 2
    metrics = codes.fontMetrics()
    for row in range(model.rowCount()):
        name = model.index(row, 0).data()
        # the name's column was ~30 px ("Pro…") with every figure at 100 px
        assert codes.columnWidth(0) >= min(metrics.horizontalAdvance(name) + 12, 160), name
    for column in (1, 2, 4):
        assert codes.columnWidth(column) < 100, column  # the figures take what they need


def test_a_single_tab_shows_no_tab_bar(qtbot, project):  # noqa: F811
    window = make_window(qtbot, project)
    open_panel(qtbot, window)
    tabs = window.agreement.tabs
    assert not tabs.isTabVisible(1) and not tabs.isTabVisible(2)
    assert not tabs.tabBar().isVisible()
    assert tabs.currentIndex() == 0 and tabs.widget(0).isVisible()
