"""Dashboards: the findings and agreement reports on screen, charts exportable as PNG or SVG.

The charts are the reports' own SVG drawings (one drawing code for screen and file), shown
with QtSvg; tables are item models over the report tables. Reports are built on a worker.
The findings are split by the metadata fields checked above the tabs; with none checked, the
report's own rule picks them (and says which it left out).
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
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
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
from workbench.core.store.queries import metadata_fields
from workbench.core.tasks import CancelToken, Progress
from workbench.gui.theme import fit_to_screen
from workbench.gui.workers import start_task
from workbench.reports.html import bar_svg, heatmap_svg
from workbench.reports.model import BarChart, Heatmap, Report, Table, Text
from workbench.reports.numbers import column_formats, shown
from workbench.reports.writer import build_report

_Index = QModelIndex | QPersistentModelIndex

FIELDS_PER_ROW = 8  # split-field checkboxes per row; a study with many fields gets more rows


class ReportTableModel(QAbstractTableModel):
    def __init__(self, table: Table, parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._table = table
        self._formats = column_formats(table)  # the report files' digits, not a second rule

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
        if isinstance(value, float):
            return shown(value, self._formats[index.column()])
        return str(value)


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
            view.setTabKeyNavigation(False)  # rows of figures: arrows move in it, Tab moves on
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
        fit_to_screen(self, 1100, 800)
        self.project = project
        self.tabs = QTabWidget()
        self.status = QLabel("Building the findings and agreement reports…", objectName="subtitle")
        with project.reading() as conn:
            fields = metadata_fields(conn)
        self.split_boxes = [QCheckBox(field) for field in fields]
        boxes = QGridLayout()
        for i, box in enumerate(self.split_boxes):
            boxes.addWidget(box, i // FIELDS_PER_ROW, i % FIELDS_PER_ROW)
        boxes.setColumnStretch(FIELDS_PER_ROW, 1)
        self.update_findings = QPushButton("Update findings")
        self.update_findings.clicked.connect(self.rebuild_findings)
        chooser = QHBoxLayout()
        chooser.addWidget(
            QLabel("Split findings by:" if fields else "No metadata fields to split findings by.")
        )
        chooser.addLayout(boxes, 1)
        chooser.addWidget(self.update_findings, 0, Qt.AlignmentFlag.AlignTop)
        self.update_findings.setVisible(bool(fields))
        self.split_hint = QLabel(
            "None checked: every field with 2 to 20 groups (the report lists those left out).",
            objectName="subtitle",
        )
        layout = QVBoxLayout(self)
        layout.addLayout(chooser)
        layout.addWidget(self.split_hint)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)  # as every other dialog has, not only Esc
        layout.addWidget(close)
        self.reports: dict[str, Report] = {}
        self.update_findings.setEnabled(False)
        self._task = start_task(
            _build_both, project, owner=self, on_done=self._show, on_error=self._failed
        )

    def chosen_fields(self) -> list[str]:
        """The checked split fields, in the list's order; empty means the report's own rule."""
        return [box.text() for box in self.split_boxes if box.isChecked()]

    def rebuild_findings(self) -> None:
        self.update_findings.setEnabled(False)
        self.status.setText("Rebuilding the findings…")
        self._task = start_task(
            _build_findings,
            self.project,
            self.chosen_fields(),
            owner=self,
            on_done=self._show,
            on_error=self._failed,
        )

    def _show(self, reports: dict[str, Report]) -> None:
        for name, report in reports.items():
            page = report_page(report)
            if name in self.reports:
                index = next(i for i in range(self.tabs.count()) if self.tabs.tabText(i) == name)
                old = self.tabs.widget(index)
                self.tabs.removeTab(index)
                self.tabs.insertTab(index, page, name)
                self.tabs.setCurrentIndex(index)
                old.deleteLater()
            else:
                self.tabs.addTab(page, name)
            self.reports[name] = report
        self.update_findings.setEnabled(True)
        self.status.setText(
            "Charts export as PNG or SVG; File → Export report… writes HTML, PDF, XLSX or CSV."
        )

    def _failed(self, message: str) -> None:
        self.update_findings.setEnabled(True)
        self.status.setText(message)

    def charts(self) -> list[ChartBox]:
        return self.findChildren(ChartBox)


def _build_both(project: Project, progress: Progress, cancel: CancelToken) -> dict[str, Report]:
    return {
        "Findings": build_report(project, "analysis"),
        "Agreement": build_report(project, "agreement", ci=False),
    }


def _build_findings(
    project: Project, fields: list[str], progress: Progress, cancel: CancelToken
) -> dict[str, Report]:
    return {"Findings": build_report(project, "analysis", split_fields=fields)}
