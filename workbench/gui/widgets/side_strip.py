"""A side panel that folds to a narrow strip, so a small screen gives the transcript the room.

The strip keeps the panel's name in sight (written up the strip) and brings it back on a click
or the panel's key; nothing in the panel is lost while it is folded, only hidden.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QAbstractButton, QHBoxLayout, QSizePolicy, QWidget

from workbench.gui import theme


class _Strip(QAbstractButton):
    """The folded panel: a narrow button with the panel's name written bottom to top."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setText(title)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().height() + 10, 80)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(
            self.rect(), theme.ACCENT.lighter(190) if self.underMouse() else theme.LINE
        )
        painter.setPen(theme.MUTED)
        painter.translate(0, self.height())
        painter.rotate(-90)
        painter.drawText(
            0, 0, self.height(), self.width(), Qt.AlignmentFlag.AlignCenter, f"▸ {self.text()}"
        )


class CollapsibleSide(QWidget):
    """``panel`` beside a strip that stands in for it while it is folded."""

    toggled = Signal(bool)  # True: now folded

    def __init__(self, panel: QWidget, title: str, key_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.panel = panel
        self.strip = _Strip(title)
        self.strip.setToolTip(f"Show {title.lower()} ({key_text})")
        self.strip.clicked.connect(lambda: self.set_collapsed(False))
        self.strip.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.strip)
        layout.addWidget(panel)

    @property
    def collapsed(self) -> bool:
        return self.panel.isHidden()

    @property
    def strip_width(self) -> int:
        return self.strip.sizeHint().width()

    def set_collapsed(self, collapsed: bool) -> None:
        if collapsed == self.collapsed:
            return
        self.panel.setVisible(not collapsed)
        self.strip.setVisible(collapsed)
        self.setMaximumWidth(self.strip_width if collapsed else 16_777_215)
        self.toggled.emit(collapsed)

    def toggle(self) -> None:
        self.set_collapsed(not self.collapsed)
