"""Dashboards: the findings and agreement reports on screen, charts exportable as PNG or SVG.

The charts are the reports' own SVG drawings (one drawing code for screen and file), shown
with QtSvg; tables are item models over the report tables. Reports are built on a worker.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
)
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtSvgWidgets import QSvgWidget
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.core.errors import WorkbenchError
from workbench.core.safe_output import atomic_output, atomic_path
from workbench.core.store import Project
from workbench.gui.workers import start_task
from workbench.reports.html import bar_svg, heatmap_svg
from workbench.reports.model import BarChart, Heatmap, Report, Table, Text
from workbench.reports.writer import build_report

_Index = QModelIndex | QPersistentModelIndex


class ReportTableModel(QAbstractTableModel):
    def __init__(self, table: Table, parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._table = table

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._table.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._table.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ):  # type: ignore[no-untyped-def]
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._table.columns[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        value = self._table.rows[index.row()][index.column()]
        if value is None:
            return "—"
        return f"{value:.3f}" if isinstance(value, float) else str(value)


def svg_of(section: BarChart | Heatmap) -> str:
    return bar_svg(section) if isinstance(section, BarChart) else heatmap_svg(section)


def save_svg_as_png(svg: str, path: str, scale: float = 2.0) -> bool:
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    size = renderer.defaultSize()
    image = QImage(
        QSize(int(size.width() * scale), int(size.height() * scale)), QImage.Format.Format_ARGB32
    )
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    with atomic_path(path) as temp:
        if not image.save(str(temp)):
            raise WorkbenchError(f"{path}: the image could not be written")
    return True


class ChartBox(QWidget):
    """A chart with its title and two export buttons."""

    def __init__(self, section: BarChart | Heatmap, parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.svg = svg_of(section)
        self.title = section.title
        view = QSvgWidget()
        view.load(QByteArray(self.svg.encode("utf-8")))
        view.setFixedSize(view.renderer().defaultSize())
        png, svg = QPushButton("Save PNG…"), QPushButton("Save SVG…")
        png.clicked.connect(lambda: self.export("png"))
        svg.clicked.connect(lambda: self.export("svg"))
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel(section.title, objectName="section"))
        buttons.addStretch(1)
        buttons.addWidget(png)
        buttons.addWidget(svg)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(view)

    def export(self, kind: str, path: str | None = None) -> bool:
        """Save the chart; a refused path is shown to the user who chose it, raised otherwise."""
        asked = path is None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Save the chart", f"chart.{kind}", f"{kind.upper()} (*.{kind})"
            )
        if not path:
            return False
        try:
            if kind == "svg":
                with atomic_output(path) as handle:
                    handle.write(self.svg)
                return True
            return save_svg_as_png(self.svg, path)
        except WorkbenchError as exc:
            if not asked:
                raise
            QMessageBox.warning(self, "Save the chart", str(exc))
            return False


def report_page(report: Report) -> QWidget:
    """A scrolling page with every section of a report."""
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.addWidget(QLabel(report.title, objectName="title"))
    layout.addWidget(QLabel(report.subtitle, objectName="subtitle"))
    for section in report.sections:
        if isinstance(section, Text):
            for paragraph in section.paragraphs:
                label = QLabel(paragraph)
                label.setWordWrap(True)
                layout.addWidget(label)
        elif isinstance(section, (BarChart, Heatmap)):
            if (isinstance(section, BarChart) and section.labels) or (
                isinstance(section, Heatmap) and section.row_labels
            ):
                layout.addWidget(ChartBox(section))
        elif isinstance(section, Table) and section.rows:
            layout.addWidget(QLabel(section.title, objectName="section"))
            view = QTableView()
            view.setModel(ReportTableModel(section, view))
            view.verticalHeader().hide()
            view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            view.setMinimumHeight(min(360, 30 + 26 * len(section.rows)))
            layout.addWidget(view)
    layout.addStretch(1)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(page)
    return scroll


class DashboardDialog(QDialog):
    """Findings and agreement, built in the background, shown as charts and tables."""

    def __init__(self, project: Project, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Dashboards")
        self.resize(1100, 800)
        self.project = project
        self.tabs = QTabWidget()
        self.status = QLabel("Building the findings and agreement reports…", objectName="subtitle")
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)
        self.reports: dict[str, Report] = {}
        self._task = start_task(
            _build_both, project, on_done=self._show, on_error=self.status.setText
        )

    def _show(self, reports: dict[str, Report]) -> None:
        self.reports = reports
        for name, report in reports.items():
            self.tabs.addTab(report_page(report), name)
        self.status.setText(
            "Charts export as PNG or SVG; File → Export report… writes HTML, PDF, XLSX or CSV."
        )

    def charts(self) -> list[ChartBox]:
        return self.findChildren(ChartBox)


def _build_both(project: Project, progress, cancel) -> dict[str, Report]:  # type: ignore[no-untyped-def]
    return {
        "Findings": build_report(project, "analysis"),
        "Agreement": build_report(project, "agreement", ci=False),
    }
