"""Suggestions ▸ Local engine quality: held-back precision and recall, and whether each engine's
confidence can be read as a probability (a reliability diagram per engine)."""

from __future__ import annotations

import html

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from workbench.gui import theme
from workbench.gui.theme import fit_to_screen


class ReliabilityDiagram(QWidget):
    """Predicted probability against the share the team applied, one dot per bin (its area
    the number of suggestions), and the diagonal a calibrated engine follows."""

    def __init__(self, item: dict, parent: QWidget | None = None):  # type: ignore[type-arg]
        super().__init__(parent)
        self.item = item
        self.setMinimumSize(QSize(260, 260))
        self.setToolTip(
            f"{item['engine']} ({item['model_family']}): {item['method']}, "
            f"{item['reviewed']} reviewed suggestions"
        )

    def plot_rect(self) -> QRectF:
        return QRectF(44, 28, self.width() - 60, self.height() - 72)

    def point(self, predicted: float, observed: float) -> QPointF:
        box = self.plot_rect()
        return QPointF(box.left() + predicted * box.width(), box.bottom() - observed * box.height())

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), theme.PAPER)
        box = self.plot_rect()
        painter.setPen(QPen(theme.LINE, 1))
        painter.drawRect(box)
        for tick in (0.25, 0.5, 0.75):
            painter.drawLine(self.point(tick, 0), self.point(tick, 1))
            painter.drawLine(self.point(0, tick), self.point(1, tick))
        painter.setPen(QPen(theme.FAINT, 1, Qt.PenStyle.DashLine))
        painter.drawLine(self.point(0, 0), self.point(1, 1))
        painter.setPen(theme.MUTED)
        for tick in (0.0, 0.5, 1.0):
            painter.drawText(self.point(tick, 0) + QPointF(-8, 16), f"{tick:g}")
            painter.drawText(self.point(0, tick) + QPointF(-28, 4), f"{tick:g}")
        painter.drawText(
            QRectF(box.left(), box.bottom() + 20, box.width(), 18),
            Qt.AlignmentFlag.AlignCenter,
            "shown probability" if self.item["method"] != "uncalibrated" else "raw score",
        )
        title = f"{self.item['engine']} · {self.item['model_family']} · {self.item['method']}"
        painter.setPen(theme.INK)
        painter.drawText(QRectF(0, 4, self.width(), 20), Qt.AlignmentFlag.AlignCenter, title)
        bins = self.item["bins"]
        total = max(1, sum(b["count"] for b in bins))
        color = QColor(theme.ACCENT)
        painter.setPen(QPen(color, 1.5))
        previous = None
        for b in bins:
            here = self.point(b["predicted"], b["observed"])
            if previous is not None:
                painter.drawLine(previous, here)
            previous = here
        painter.setBrush(color)
        for b in bins:
            radius = 3 + 9 * (b["count"] / total) ** 0.5
            painter.drawEllipse(self.point(b["predicted"], b["observed"]), radius, radius)
        painter.end()


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


NO_CALIBRATION = "No engine has suggestions on reviewed passages yet, so none is calibrated."


def quality_html(report: dict) -> str:  # type: ignore[type-arg]
    """The held-back figures and the calibration table, as the dialog's text."""
    parts = []
    if "reason" in report:
        parts.append(f"<p>Not enough decisions to test the learned engine: {report['reason']}.</p>")
    else:
        rows = "".join(
            f"<tr><td>{name.replace('_', ' ')}</td>"
            + "".join(f"<td>{_figure(v)}</td>" for v in report[name]["overall"].values())
            + "</tr>"
            for name in ("codebook_start", "learned")
        )
        per_code = "".join(
            f"<tr><td>{html.escape(code)}</td><td align=right>{q['support']}</td>"
            f"<td align=right>{_figure(q['precision'])}</td>"
            f"<td align=right>{_figure(q['recall'])}</td></tr>"
            for code, q in report["learned"]["per_code"].items()
        )
        parts.append(
            f"<p>Learned from {report['trained_on']} reviewed passages, tested against the "
            f"decisions on {report['held_back']} passages held back.</p>"
            "<table cellpadding=3><tr><th></th><th>precision</th><th>recall</th><th>F1</th></tr>"
            + rows
            + "</table><p><b>Per code</b>, learned engine (codes with held-back examples):</p>"
            "<table cellpadding=2><tr><th align=left>code</th><th>examples</th>"
            "<th>precision</th><th>recall</th></tr>"
            + per_code
            + "</table><p>With few examples per code these figures move a lot from one "
            "set of decisions to the next.</p>"
        )
    parts.append(
        "<p><b>Confidence</b>: each engine's scores are calibrated on the team's decisions "
        "once 30 of its suggestions are reviewed, 5 applied and 5 not; until then chips say "
        '"uncalibrated". The diagrams plot what was shown against what the team applied.</p>'
    )
    rows = "".join(
        f"<tr><td>{html.escape(str(item['engine']))} ({html.escape(str(item['model_family']))})"
        f"</td><td align=right>{item['reviewed']}</td><td align=right>{item['applied']}</td>"
        f"<td>{html.escape(str(item['reason'] or item['method']))}</td></tr>"
        for item in report.get("calibration", [])
    )
    if not rows:  # a header over no rows read as a table that failed to load
        parts.append(f"<p>{NO_CALIBRATION}</p>")
        return "".join(parts)
    parts.append(
        "<table cellpadding=2><tr><th align=left>engine</th><th>reviewed</th><th>applied</th>"
        "<th align=left>calibration</th></tr>" + rows + "</table>"
    )
    return "".join(parts)


class QualityDialog(QDialog):
    def __init__(self, report: dict, parent: QWidget | None = None):  # type: ignore[type-arg]
        super().__init__(parent)
        self.setWindowTitle("Local engine quality")
        fit_to_screen(self, 760, 720)
        text = QTextBrowser()
        text.setHtml(quality_html(report))
        diagrams = QHBoxLayout()
        self.diagrams = [ReliabilityDiagram(item) for item in report.get("calibration", [])]
        for diagram in self.diagrams:
            diagrams.addWidget(diagram)
        if not self.diagrams:
            diagrams.addWidget(QLabel("No suggestions on reviewed passages yet: nothing to plot."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text, 1)
        layout.addLayout(diagrams)
        layout.addWidget(buttons)
