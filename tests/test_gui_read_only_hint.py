"""A project open read-only shows a key hint of the keys that still act (moving, a code's
details, searching, F1), not the writing keys that would only be refused."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
import shiboken6  # noqa: E402
from PySide6.QtGui import QKeySequence  # noqa: E402

from workbench.core.session import CodingSession  # noqa: E402
from workbench.core.store import Project  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402
from workbench.gui.main_window import MainWindow  # noqa: E402
from workbench.suggest.learning import ProjectLocalEngine  # noqa: E402

pytestmark = pytest.mark.gui

# What the writing keys say in the coding hint; none of them may be offered for reading.
WRITING_HINTS = ("A accept", "R reject", "accept all", "1–9 codes", "0 no code", "M memo", "undo")
# Every key the read-only hint names, as Qt spells the action's shortcut.
READING_KEYS = ("J", "K", "Right", "Left", "Ctrl+F", "Ctrl+Shift+F", "F1")


@pytest.fixture
def study(tmp_path) -> Path:
    return Path(create_demo_project(tmp_path / "demo.wb"))


@contextmanager
def window_on(qtbot, project: Project) -> Iterator[MainWindow]:
    """Destroyed before its project closes (see tests/test_gui_read_only.py for why)."""
    window = MainWindow(CodingSession(project, "ana"), ProjectLocalEngine(project))
    window.setProperty("quiet_errors", True)
    try:
        window.resize(1400, 900)
        window.show()
        qtbot.waitExposed(window)
        window.open_first_transcript("work_0008")  # the hint is refreshed as a transcript opens
        yield window
    finally:
        window.close()
        shiboken6.delete(window)


def action_for(window: MainWindow, key: str):  # type: ignore[no-untyped-def]
    wanted = QKeySequence(key)
    return next((a for a in window.actions() if wanted in a.shortcuts()), None)


def test_read_only_the_hint_names_only_keys_that_still_act(qtbot, study):
    with Project.open(study, read_only=True) as project, window_on(qtbot, project) as window:
        hint = window.passage_view.hint.text()
        window.passage_view.grab().save("/tmp/read_only_hint.png")
        assert hint.startswith("Read-only: J/K next/previous")
        for writing in WRITING_HINTS:
            assert writing not in hint, writing
        for named in ("←/→", "Ctrl+F", "Ctrl+Shift+F", "F1"):
            assert named in hint, named
        for key in READING_KEYS:  # the hint promises nothing a disabled action would refuse
            action = action_for(window, key)
            assert action is not None and action.isEnabled(), key


def test_a_writable_project_keeps_the_coding_hint(qtbot, study):
    with Project.open(study) as project, window_on(qtbot, project) as window:
        hint = window.passage_view.hint.text()
        assert not hint.startswith("Read-only")
        for writing in WRITING_HINTS:
            assert writing.casefold() in hint.casefold(), writing
