"""Painting must not leak references: PySide6 6.12.0 decremented None on every setPen/setBrush,
which crashed the app after a few thousand passage cards. This guards the whole paint path."""

from __future__ import annotations

import sys

import pytest

pytest.importorskip("PySide6")
from PySide6.QtGui import QColor, QImage, QPainter, QPen  # noqa: E402

pytestmark = pytest.mark.gui


def test_pen_and_brush_do_not_drop_references_to_none(qapp):
    image = QImage(40, 40, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        before = sys.getrefcount(None)
        for _ in range(3000):
            painter.setPen(QPen(QColor("red"), 1))
            painter.setBrush(QColor("red"))
        assert sys.getrefcount(None) - before > -100
    finally:
        painter.end()


def test_painting_many_cards_keeps_none_alive(qtbot, tmp_path):
    from workbench.core.session import CodingSession
    from workbench.core.store import Project
    from workbench.demo import create_demo_project
    from workbench.gui.main_window import MainWindow

    project = Project.open(create_demo_project(tmp_path / "demo.wb"))
    try:
        window = MainWindow(CodingSession(project, "ana"), _NoEngine())
        qtbot.addWidget(window)
        window.resize(1200, 800)
        window.show()
        window.open_first_transcript()
        view = window.passage_view.list
        before = sys.getrefcount(None)
        for _ in range(40):
            view.viewport().repaint()
        assert sys.getrefcount(None) - before > -100
    finally:
        project.close()


class _NoEngine:
    name, model, prompt_version, rater = "none", "none", "none", "none"
    sends_text = learns = False

    def suggest(self, passages, codebook, progress=None, cancel=None):
        return []
