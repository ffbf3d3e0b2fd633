"""Qt's own console messages: pass them on, except the few that say nothing to a user."""

from __future__ import annotations

import sys

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

# Printed by the offscreen platform plugin for every top-level window it shows (so twice for
# each screenshot): it does not resize windows to their contents, which a screenshot never
# needs, since the window is given its size.
_NOISE = ("This plugin does not support propagateSizeHints()",)


def _handler(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    if message in _NOISE:
        return
    print(message, file=sys.stderr)


def quiet_qt_noise() -> None:
    """Route Qt's messages through a filter that drops ``_NOISE`` and prints the rest, as
    Qt's default handler would (installing it again changes nothing)."""
    qInstallMessageHandler(_handler)
