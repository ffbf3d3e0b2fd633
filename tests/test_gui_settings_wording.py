"""The settings refusals name what each front end's user typed into: the command line its
options (--lead, --coder, --engines, --as), the settings dialog its fields (Leads, Coders,
Engines allowed) and its own advice. The wording comes from the core, which is given the names;
nothing is written when a change is refused."""

from __future__ import annotations

import pytest

from workbench.cli import main
from workbench.core.roles import roles_of
from workbench.core.store import Project
from workbench.core.store.team import change_settings

NOT_A_LEAD = (
    "'kim' is not a lead of this project: only a lead (lee) can change the project settings"
)


def _settings(project: Project) -> dict[str, object]:
    """What a refused apply must leave as it was (read fresh: the dialog's copy may be stale)."""
    project.forget_cached()
    settings = project.settings
    return {"blind": settings.blind_coding, "extra": dict(settings.extra)}


# --- the command line: its messages stay word for word what they were ---------------------


@pytest.fixture
def cli_project(project):
    """A closed project with a lead (kim, lee) and a coder (ana), and its location."""
    change_settings(project, "kim", leads=["kim", "lee"], coders=["ana"])
    location = str(project.location)
    project.close()
    return location


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ("--as", "kim", "--lead", "consensus"),
            "error: --lead: 'consensus' is the consensus coder (adjudicated codes, written with "
            "'workbench adjudicate'); choose another coder name",
        ),
        (
            ("--as", "kim", "--coder", "engine:x"),
            "error: --coder: 'engine:x': names starting with 'engine:' belong to suggestion "
            "engines",
        ),
        (
            ("--as", "kim", "--lead", "bo", "--coder", "bo"),
            "error: bo: named both --lead and --coder",
        ),
        (
            ("--as", "kim", "--engines", "local,gpt"),
            "error: --engines: unknown engine gpt (choose from local, claude)",
        ),
        (
            ("--as", "ana", "--blind", "off"),
            "error: 'ana' is not a lead of this project: only a lead (kim, lee) can change the "
            "project settings (give a lead's name with --as NAME, or ask one)",
        ),
    ],
)
def test_the_command_line_wording_is_unchanged(cli_project, capsys, argv, expected):
    with Project.open(cli_project) as before:
        kept = _settings(before)
    code = main(["settings", cli_project, *argv])
    out, err = capsys.readouterr()
    assert (code, out, err) == (1, "", expected + "\n")
    with Project.open(cli_project) as after:
        assert _settings(after) == kept


# --- the core: given no names, it says what is wrong in its own words ----------------------


def test_the_core_uses_the_names_it_is_given(project):
    change_settings(project, "kim", leads=["kim"])
    kept = _settings(project)
    with pytest.raises(Exception, match=r"^bo: named both leads and coders$"):
        change_settings(project, "kim", leads=["bo"], coders=["bo"])
    with pytest.raises(Exception, match=r"^Engines allowed: unknown engine gpt \("):
        change_settings(project, "kim", engines=["gpt"], engines_field="Engines allowed")
    with pytest.raises(Exception, match=r"\(ask the lead, or ask one\)$"):
        change_settings(project, "ana", blind=False, actor_advice="ask the lead")
    assert _settings(project) == kept


# --- the settings dialog: its fields and its advice, never an option ----------------------


@pytest.fixture
def dialog(qtbot, project):
    """The settings dialog of kim, a lead beside lee, with ana a coder."""
    pytest.importorskip("PySide6")
    from PySide6.QtWidgets import QApplication

    from workbench.gui.dialogs.settings_dialog import SettingsDialog
    from workbench.gui.theme import apply_theme

    apply_theme(QApplication.instance())
    change_settings(project, "kim", leads=["kim", "lee"], coders=["ana"])
    shown = SettingsDialog(project, "kim")
    qtbot.addWidget(shown)
    shown.show()
    return shown


def _click_apply(qtbot, dialog) -> str:  # type: ignore[no-untyped-def]
    """Apply as a user would (the Apply button) and read what the dialog says."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDialogButtonBox

    box = dialog.findChild(QDialogButtonBox)
    qtbot.mouseClick(box.button(QDialogButtonBox.StandardButton.Apply), Qt.MouseButton.LeftButton)
    return dialog.error.text()


def _type(qtbot, field, text: str) -> None:  # type: ignore[no-untyped-def]
    field.clear()
    qtbot.keyClicks(field, text)


@pytest.mark.gui
@pytest.mark.parametrize(
    ("field", "typed", "expected"),
    [
        (
            "leads",
            "kim, lee, consensus",
            "Leads: 'consensus' is the consensus coder (adjudicated codes, written with "
            "'workbench adjudicate'); choose another coder name",
        ),
        (
            "coders",
            "ana, engine:x",
            "Coders: 'engine:x': names starting with 'engine:' belong to suggestion engines",
        ),
        ("coders", "ana, lee", "lee: named both Leads and Coders"),
    ],
)
def test_a_bad_name_is_refused_naming_the_field(qtbot, dialog, project, field, typed, expected):
    kept = _settings(project)
    dialog.blind.setChecked(False)  # a change that would be written with the names
    _type(qtbot, getattr(dialog, field), typed)
    shown = _click_apply(qtbot, dialog)
    assert shown == expected and "--" not in shown
    assert _settings(project) == kept


@pytest.mark.gui
def test_a_lead_demoted_meanwhile_gets_the_apps_advice(qtbot, dialog, project, tmp_path):
    change_settings(project, "lee", coders=["kim"])  # another lead, while the dialog is open
    kept = _settings(project)
    dialog.blind.setChecked(False)
    shown = _click_apply(qtbot, dialog)
    assert shown == f"{NOT_A_LEAD} (open the project under a lead's name, or ask one)"
    assert "--" not in shown
    assert dialog.error.height() >= dialog.error.heightForWidth(dialog.error.width())
    dialog.grab().save(str(tmp_path / "settings-not-a-lead.png"))  # looked at by hand too
    assert _settings(project) == kept
    assert roles_of(kept["extra"]) == {"kim": "coder", "lee": "lead", "ana": "coder"}


@pytest.mark.gui
def test_an_engine_the_core_does_not_know_names_the_engines_field(
    qtbot, dialog, project, monkeypatch
):
    # The dialog offers only engines the core knows, so a user cannot type an unknown one;
    # a core that no longer knows one the dialog offers (here "claude") is how the refusal
    # reaches the dialog, and it must name the dialog's field.
    import workbench.core.store.team as team

    monkeypatch.setattr(team, "ENGINES", ("local",))
    kept = _settings(project)
    dialog.claude.setChecked(True)
    shown = _click_apply(qtbot, dialog)
    assert shown == "Engines allowed: unknown engine claude (choose from local)"
    assert _settings(project) == kept
