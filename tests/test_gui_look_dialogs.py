"""Dialogs as a user on a small screen meets them: each one fits the screen it opens on (its
buttons reachable), can be shrunk to fit a 1024x700 laptop, and is closed by Esc."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from workbench.core.store import Project  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402
from workbench.gui.theme import FRAME_MARGIN  # noqa: E402

pytestmark = pytest.mark.gui

SMALL_SCREEN = (1024, 700)


@pytest.fixture
def project(tmp_path):
    location = create_demo_project(tmp_path / "demo.wb")
    project = Project.open(location)
    yield project
    project.close()


def make_dialogs(project: Project) -> dict[str, QWidget]:
    from workbench.gui.dialogs.code_picker import CodePickerDialog
    from workbench.gui.dialogs.codebook_editor import CodebookEditorDialog
    from workbench.gui.dialogs.dashboard import DashboardDialog
    from workbench.gui.dialogs.health_dialog import CodebookHealthDialog
    from workbench.gui.dialogs.quality_dialog import QualityDialog
    from workbench.gui.dialogs.restore_dialog import RestoreDialog
    from workbench.gui.dialogs.sampler_dialog import SamplerDialog
    from workbench.gui.dialogs.settings_dialog import SettingsDialog
    from workbench.gui.dialogs.speakers_dialog import SpeakersDialog
    from workbench.gui.dialogs.start_dialog import StartDialog
    from workbench.gui.dialogs.text_dialogs import MemoDialog
    from workbench.suggest.learning import evaluate_local

    return {
        "picker": CodePickerDialog(project.codebook, title="Apply code"),
        "editor": CodebookEditorDialog(project, "ana"),
        "dashboard": DashboardDialog(project),
        "health": CodebookHealthDialog(project),
        "quality": QualityDialog(evaluate_local(project)),
        "restore": RestoreDialog(project.location),
        "sampler": SamplerDialog(project, [], ["ana", "ben"]),
        "settings": SettingsDialog(project, "ana"),
        "speakers": SpeakersDialog(project, "ana"),
        "start": StartDialog(),
        "memo": MemoDialog("work_0008#2", "a memo"),
    }


def test_every_dialog_opens_within_its_screen(qtbot, project):
    area = QApplication.primaryScreen().availableGeometry()
    for name, dialog in make_dialogs(project).items():
        qtbot.addWidget(dialog)
        size = QWidget.size(dialog)  # the sampler's own `size` is a spin box
        assert size.width() <= area.width() - FRAME_MARGIN[0], name
        assert size.height() <= area.height() - FRAME_MARGIN[1], name


def test_every_dialog_can_shrink_to_a_small_laptop_screen(qtbot, project):
    """The offscreen screen may be larger than a laptop's: the minimum is what decides."""
    for name, dialog in make_dialogs(project).items():
        qtbot.addWidget(dialog)
        least = dialog.minimumSizeHint().expandedTo(dialog.minimumSize())
        assert least.width() <= SMALL_SCREEN[0] - FRAME_MARGIN[0], name
        assert least.height() <= SMALL_SCREEN[1] - FRAME_MARGIN[1], name


def test_escape_closes_every_dialog(qtbot, project):
    for name, dialog in make_dialogs(project).items():
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        focused = QApplication.focusWidget() or dialog
        qtbot.keyClick(focused, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda d=dialog: not d.isVisible(), timeout=2000)
        assert not dialog.isVisible(), name
