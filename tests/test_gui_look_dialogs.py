"""Dialogs as a user on a small screen meets them: each one fits the screen it opens on (its
buttons reachable), can be shrunk to fit a 1024x700 laptop, and is closed by Esc."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QPushButton, QWidget  # noqa: E402

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


@pytest.fixture(params=[1.0, 1.3], ids=["font-1.0", "font-1.3"])
def font_scale(request):
    """The application font WORKBENCH_FONT_SCALE gives (apply_theme's rule), put back after.
    Only the font: re-applying the style sheet under widgets other tests left behind
    crashed Qt."""
    from PySide6.QtGui import QFont

    app = QApplication.instance()
    before = QFont(app.font())
    font = QFont(before)
    font.setPointSizeF(max(8.0, 10.0 * request.param))
    app.setFont(font)
    yield request.param
    app.setFont(before)


def test_every_dialog_can_shrink_to_a_small_laptop_screen(qtbot, project, font_scale):
    """The offscreen screen may be larger than a laptop's: the minimum is what decides. At
    WORKBENCH_FONT_SCALE=1.3 the codebook editor needed 681 px before its form could scroll."""
    for name, dialog in make_dialogs(project).items():
        qtbot.addWidget(dialog)
        least = dialog.minimumSizeHint().expandedTo(dialog.minimumSize())
        assert least.width() <= SMALL_SCREEN[0] - FRAME_MARGIN[0], (name, font_scale)
        assert least.height() <= SMALL_SCREEN[1] - FRAME_MARGIN[1], (name, font_scale)


def test_escape_closes_every_dialog(qtbot, project):
    for name, dialog in make_dialogs(project).items():
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        focused = QApplication.focusWidget() or dialog
        qtbot.keyClick(focused, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda d=dialog: not d.isVisible(), timeout=2000)
        assert not dialog.isVisible(), name


def test_enter_in_a_settings_field_applies_what_was_typed(qtbot, project):
    """Close was the default button: Enter after typing a coder's name closed the dialog and
    dropped the name."""
    from workbench.core.roles import roles_of
    from workbench.gui.dialogs.settings_dialog import SettingsDialog

    dialog = SettingsDialog(project, "ana")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.leads, "ana")
    close = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close)
    close.setFocus()  # a button that had focus gives the default back when it loses it
    dialog.coders.setFocus()
    qtbot.keyClicks(dialog.coders, "ben")
    qtbot.keyClick(dialog.coders, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert dialog.error.text() == "Saved.", dialog.error.text()
    reopened = Project.open(project.location)
    try:
        assert roles_of(reopened.settings.extra).get("ben") == "coder"
    finally:
        reopened.close()


def test_enter_in_the_codebook_editor_neither_adds_a_code_nor_saves(qtbot, project, monkeypatch):
    """The Add button was the default: Enter in the Name field asked for a new code."""
    from workbench.gui.dialogs.codebook_editor import CodebookEditorDialog

    dialog = CodebookEditorDialog(project, "ana")
    qtbot.addWidget(dialog)
    asked: list[bool] = []
    monkeypatch.setattr(dialog, "_ask_add", lambda child: asked.append(child))
    dialog.show()
    qtbot.waitExposed(dialog)
    version = project.codebook.version
    for widget in (dialog.fields["name"], dialog.fields["shortcut"], dialog.tree):
        widget.setFocus()
        qtbot.keyClick(widget, Qt.Key.Key_Return)
    assert asked == [] and dialog.isVisible()
    project.forget_cached()
    assert project.codebook.version == version
    # the buttons still work from the keyboard: Tab to one, Space presses it
    add = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Add")
    add.setFocus()
    qtbot.keyClick(add, Qt.Key.Key_Space)
    assert asked == [False]


def test_the_codebook_editor_shortens_long_names_in_the_middle(qtbot, project):
    """As the workspace's tree does: "Emotional support and c…" lost the end that tells the
    code from its siblings."""
    from workbench.gui.dialogs.codebook_editor import CodebookEditorDialog

    dialog = CodebookEditorDialog(project, "ana")
    qtbot.addWidget(dialog)
    assert dialog.tree.textElideMode() == Qt.TextElideMode.ElideMiddle


def test_codebook_health_closes_on_enter_and_tabs_through_its_tables_first(qtbot, project):
    from workbench.gui.dialogs.health_dialog import CodebookHealthDialog

    dialog = CodebookHealthDialog(project)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.finished_computing, timeout=30_000):
        dialog.show()
    assert dialog.tabs.count() > 0
    table = dialog.tabs.widget(0)
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Tab)  # read-only: the arrows move in it, Tab moves on
    assert QApplication.focusWidget() is dialog.close_button
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert not dialog.isVisible()


def test_local_quality_explains_an_empty_calibration_table(project):
    """A header ("engine reviewed applied calibration") over no rows, as the demo showed."""
    from workbench.gui.dialogs.quality_dialog import NO_CALIBRATION, quality_html
    from workbench.suggest.learning import evaluate_local

    report = evaluate_local(project)
    assert report.get("calibration") == []  # no engine's suggestions reviewed in the demo
    shown = quality_html(report)
    assert NO_CALIBRATION in shown and "<th align=left>engine</th>" not in shown


def test_every_dialog_but_the_picker_and_the_launcher_has_a_close_or_cancel_button(qtbot, project):
    """The sampler and the dashboards closed only by Esc or the title bar's X."""
    keyboard_only = {"picker", "start"}  # the picker says "Esc cancels"; closing start quits
    for name, dialog in make_dialogs(project).items():
        qtbot.addWidget(dialog)
        texts = {button.text().replace("&", "") for button in dialog.findChildren(QPushButton)}
        if name not in keyboard_only:
            assert texts & {"Close", "Cancel"}, (name, texts)


def test_no_field_or_button_is_squeezed_below_its_own_height(qtbot, project):
    """At its opening size the sampler squeezed its anchoring spin boxes to 14 px, the
    figures in them cut in half."""
    from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QLineEdit

    for name, dialog in make_dialogs(project).items():
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        for kind in (QAbstractSpinBox, QComboBox, QLineEdit, QPushButton):
            for widget in dialog.findChildren(kind):
                if widget.isVisibleTo(dialog) and not widget.objectName().startswith("qt_"):
                    least = widget.minimumSizeHint().height()
                    assert widget.height() >= least, (name, type(widget).__name__, widget.height())
        dialog.close()


LONG_NAME = "Time returned to the participant for family, rest, deep thinking and other work"


def test_the_code_picker_keeps_the_id_of_a_long_code_name_in_sight(qtbot):
    """The name ran off the right edge, the id that tells codes apart behind a scroll bar."""
    from workbench.core.codebook import parse_codebook
    from workbench.gui.dialogs.code_picker import CodePickerDialog

    codebook = parse_codebook(
        "name: Long\nversion: 1\ncodes:\n"
        f"  - id: hope.time\n    name: {LONG_NAME}\n    definition: Time saved.\n"
        "  - id: prod.speed\n    name: Speed\n    definition: Faster work.\n",
        "long.yaml",
    )
    dialog = CodePickerDialog(codebook)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    view = dialog.list
    first = dialog.model.index(0)
    shown = view.fontMetrics().elidedText(
        first.data(), view.textElideMode(), view.visualRect(first).width()
    )
    assert shown.endswith("(hope.time)")  # the end, with the id, stays
    assert not view.horizontalScrollBar().isVisible()
    assert LONG_NAME in first.data(Qt.ItemDataRole.ToolTipRole)


def test_the_memo_is_left_by_tab_and_saved_by_ctrl_enter(qtbot):
    """Tab typed a tab into the memo, so Save could not be reached from the keyboard."""
    from workbench.gui.dialogs.text_dialogs import MemoDialog

    dialog = MemoDialog("work_0008#2", "")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.editor.setFocus()
    qtbot.keyClicks(dialog.editor, "first line")
    qtbot.keyClick(dialog.editor, Qt.Key.Key_Return)  # a new line, not a save
    qtbot.keyClicks(dialog.editor, "second")
    assert dialog.isVisible() and dialog.text == "first line\nsecond"
    qtbot.keyClick(dialog.editor, Qt.Key.Key_Tab)
    assert "\t" not in dialog.text
    assert isinstance(dialog.focusWidget(), QPushButton)  # Save, reached by Tab
    dialog.editor.setFocus()
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.keyClick(dialog.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.text == "first line\nsecond"


def test_tab_leaves_every_table_in_a_dialog(qtbot, project):
    """Tab walked cell by cell through a table (a dashboard table has hundreds), so the
    buttons after it were out of the keyboard's reach; the arrows move inside it."""
    from PySide6.QtWidgets import QTableView

    from workbench.gui.dialogs.dashboard import DashboardDialog

    dialogs = make_dialogs(project)
    dashboard = dialogs["dashboard"]
    assert isinstance(dashboard, DashboardDialog)
    qtbot.waitUntil(lambda: dashboard.tabs.count() > 0, timeout=30_000)
    checked = 0
    for name, dialog in dialogs.items():
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        for table in dialog.findChildren(QTableView):
            if not table.isVisibleTo(dialog) or not table.model() or not table.model().rowCount():
                continue
            table.setFocus()
            table.setCurrentIndex(table.model().index(0, 0))
            qtbot.keyClick(table, Qt.Key.Key_Tab)
            assert dialog.focusWidget() is not table, name
            checked += 1
        dialog.close()
    assert checked >= 2  # the dashboard's findings table and the speakers' labels at least
