"""The dashboard's tables show a figure with the digits the report files and the CLI show: a
share as a percentage, a p-value by significant digits, a coefficient at three places."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
from PySide6.QtCore import Qt  # noqa: E402

from workbench.gui.dialogs.dashboard import ReportTableModel  # noqa: E402
from workbench.reports.model import Table  # noqa: E402
from workbench.reports.numbers import P_VALUE, shown  # noqa: E402

pytestmark = pytest.mark.gui


def test_cells_use_the_tables_column_formats(qtbot):
    table = Table(
        "t",
        ["code", "alpha", "share", "p"],
        [["x", 0.73846, 0.4567, 1.234e-08], ["y", None, 0.5, 0.5]],
        formats={"share": ".1%", "p": P_VALUE},
    )
    model = ReportTableModel(table)
    cell = lambda r, c: model.data(model.index(r, c), Qt.ItemDataRole.DisplayRole)  # noqa: E731
    assert [cell(0, c) for c in range(4)] == ["x", "0.738", "45.7%", "1.23e-08"]
    assert cell(1, 1) == "—"
    assert cell(0, 3) == shown(1.234e-08, P_VALUE)  # the writers' own function
