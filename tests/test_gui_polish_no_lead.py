"""The last lead cannot be demoted, and each front end says so in its own words: the command
line names its --lead option, the settings dialog its Leads field (a GUI user never sees
--lead). Nothing is written either way."""

from __future__ import annotations

import pytest

from workbench.cli import main
from workbench.core.roles import NoLeadError, is_lead, no_lead_error, roles_of
from workbench.core.store import Project
from workbench.core.store.team import change_settings

NEUTRAL = "a project with roles needs at least one lead"


def test_the_core_says_only_what_is_wrong_unless_given_the_option(project):
    change_settings(project, "kim", leads=["kim"])
    with pytest.raises(NoLeadError) as raised:
        change_settings(project, "kim", coders=["kim"])
    assert str(raised.value) == NEUTRAL
    assert str(no_lead_error("--lead")) == f"{NEUTRAL}; name one with --lead"
    assert roles_of(project.settings.extra) == {"kim": "lead"}


def test_the_command_line_keeps_its_option_hint(project, capsys):
    location = str(project.location)
    project.close()
    assert main(["settings", location, "--lead", "kim"]) == 0
    capsys.readouterr()
    code = main(["settings", location, "--as", "kim", "--coder", "kim"])
    _out, err = capsys.readouterr()
    assert code == 1
    assert f"{NEUTRAL}; name one with --lead" in err and "Traceback" not in err
    with Project.open(location) as again:
        assert is_lead(again.settings.extra, "kim")


@pytest.mark.gui
def test_the_settings_dialog_names_its_field_not_the_option(qtbot, project, tmp_path):
    pytest.importorskip("PySide6")
    from PySide6.QtWidgets import QApplication

    from workbench.gui.dialogs.settings_dialog import SettingsDialog
    from workbench.gui.theme import apply_theme

    apply_theme(QApplication.instance())
    change_settings(project, "kim", leads=["kim"], coders=["ana"])
    dialog = SettingsDialog(project, "kim")
    qtbot.addWidget(dialog)
    dialog.leads.clear()
    dialog.coders.setText("ana, kim")
    dialog.show()
    assert dialog.apply() is False
    shown = dialog.error.text()
    assert shown == f"{NEUTRAL}: keep at least one name under Leads."
    assert "--" not in shown
    # the whole message shows: the dialog grew to its wrapped lines instead of overlapping
    assert dialog.error.height() >= dialog.error.heightForWidth(dialog.error.width())
    dialog.grab().save(str(tmp_path / "settings-no-lead.png"))  # looked at by hand too
    assert roles_of(project.settings.extra) == {"kim": "lead", "ana": "coder"}
