"""A project open read-only says so the moment the window opens, not at the first refused write.

The banner at the top names why (the folder or file is read-only, or the project was opened for
viewing), every action that would write is greyed out with that reason in its tooltip, and its
keys, a chip click and a code's double-click answer with the reason in the status bar instead
of a dialog: a coder reading an archive presses keys out of habit, and a dialog a key would
raise each time is worse than the line that says why nothing happened.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMenu, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from workbench.core.store import Project
    from workbench.gui.main_window import MainWindow

WRITES = "writes"  # the property of an action that writes to the project (window_actions)


def read_only_reason(project: Project) -> str | None:
    """Why nothing can be saved in this project (None: it can): the file system's reason where
    that made it read-only, since that is what the coder can go and fix."""
    if project.unwritable:
        return project.unwritable
    if project.read_only:
        return "it was opened for viewing only"
    return None


def banner_text(reason: str) -> str:
    return f"This project is open read-only: {reason}. Decisions cannot be saved."


class ReadOnlyBanner(QFrame):
    """One line across the top of the window; not a dialog, so reading goes on undisturbed."""

    def __init__(self, reason: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("read_only_banner")
        self.setStyleSheet(
            "#read_only_banner { background: #fff4d6; border-bottom: 1px solid #e0b84c; }"
        )
        self.label = QLabel(f"<b>{html.escape(banner_text(reason))}</b>")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setStyleSheet("color: #5c4400;")
        self.label.setToolTip(banner_text(reason))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.addWidget(self.label)


def with_banner(banner: QWidget, content: QWidget) -> QWidget:
    """The banner above the window's panels, as one central widget."""
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(banner)
    layout.addWidget(content, 1)
    return holder


def refusal(what: str, reason: str) -> str:
    return f"{what}: not saved, this project is open read-only ({reason})"


def disable_writing(window: MainWindow, reason: str) -> None:
    """Grey out every action that writes, with the reason in its tooltip, and answer its keys
    in the status bar. A disabled action's keys do nothing at all in Qt, so each key gets a
    stand-in shortcut; it is a QShortcut, not an action, so F1's key table lists keys once."""
    window.read_only_shortcuts = []
    for action in window.actions():
        if not action.property(WRITES):
            continue
        what = action.text().split("\t")[0]
        action.setEnabled(False)
        action.setToolTip(f"{what}: not available, this project is open read-only ({reason})")
        action.setStatusTip(action.toolTip())
        for key in action.shortcuts():
            stand_in = QShortcut(key, window)
            stand_in.setContext(Qt.ShortcutContext.WindowShortcut)
            stand_in.activated.connect(lambda w=what: window.status.refuse(w))
            window.read_only_shortcuts.append(stand_in)
    agreement = window.agreement  # adjudication writes consensus decisions
    for button in (agreement.take_button, agreement.merge_button, agreement.write_button):
        button.setEnabled(False)
        button.setToolTip(f"Not available: this project is open read-only ({reason})")
    for menu in window.menuBar().findChildren(QMenu):
        menu.setToolTipsVisible(True)  # a greyed-out entry's tooltip says why
