"""The dashboard's split chooser: the project's metadata fields, checked ones rebuild the findings."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
from PySide6.QtCore import Qt  # noqa: E402

from tests.conftest import REPO  # noqa: E402
from workbench.core.spreadsheet import import_decisions_csv  # noqa: E402
from workbench.core.store import Project  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402
from workbench.reports.model import Table  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def project(tmp_path):
    project = Project.open(create_demo_project(tmp_path / "demo.wb"))
    import_decisions_csv(project, REPO / "resources" / "sample-coding" / "reference-decisions.csv")
    yield project
    project.close()


def split_titles(dialog) -> list[str]:
    report = dialog.reports["Findings"]
    return [
        s.title for s in report.sections if isinstance(s, Table) and s.title.startswith("Split by")
    ]


def test_checked_fields_rebuild_the_findings_split_by_them(qtbot, project, tmp_path):
    from workbench.gui.dialogs.dashboard import DashboardDialog

    dialog = DashboardDialog(project)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog._task.signals.finished, timeout=60_000):
        pass
    fields = [box.text() for box in dialog.split_boxes]
    # title: the heading of the one Markdown transcript (de_labor_zuerich), kept as metadata
    assert fields == ["career_stage", "group", "language", "occupation", "region", "title"]
    assert dialog.chosen_fields() == []
    # nothing checked: the rule leaves out occupation (15 values for 15 participants) and
    # region (4 values for the 6 participants who have one)
    assert split_titles(dialog) == [
        "Split by career_stage",
        "Split by group",
        "Split by language",
    ]

    for i in (1, 4):  # group, and region, which the rule left out
        dialog.split_boxes[i].setChecked(True)
    assert dialog.chosen_fields() == ["group", "region"]
    qtbot.mouseClick(dialog.update_findings, Qt.MouseButton.LeftButton)
    assert not dialog.update_findings.isEnabled()
    with qtbot.waitSignal(dialog._task.signals.finished, timeout=60_000):
        pass
    assert split_titles(dialog) == ["Split by group", "Split by region"]
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == ["Findings", "Agreement"]
    assert dialog.update_findings.isEnabled()
    dialog.resize(1100, 800)
    dialog.show()
    dialog.grab().save(str(tmp_path / "dashboard-splits.png"))
