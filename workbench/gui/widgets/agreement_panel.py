"""The live agreement panel: per-code agreement with bars, the coder matrix, and adjudication.

It keeps the coded data in memory and, after each decision, re-reads only that passage and
recomputes on a worker thread (about 50 ms for 10,000 passages and three coders), so the
figures follow the coding as it happens without blocking it.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyledItemDelegate,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.core.agreement.adjudication import adjudicate, find_disagreements, memos_for
from workbench.core.agreement.compute import METRICS, NAMES, MetricResult
from workbench.core.agreement.data import CodedData, project_data, refresh_passages
from workbench.core.agreement.snapshot import AgreementSnapshot, snapshot_of
from workbench.core.agreement.strata import TRANSLATION
from workbench.core.agreement.tree import tree_depth
from workbench.core.errors import WorkbenchError
from workbench.core.store import Project
from workbench.core.store.queries import metadata_fields
from workbench.core.tasks import CancelToken, Progress
from workbench.gui.models.agreement_models import (
    CodeAgreementModel,
    CoderMatrixModel,
    CodeRole,
    DisagreementModel,
    StrataModel,
    ValueRole,
)
from workbench.gui.widgets.agreement_tabs import AnchoringTab, SelectionsTab
from workbench.gui.workers import start_task

if TYPE_CHECKING:  # anchoring and unitizing are imported when first computed; hints only here
    from workbench.core.agreement.anchoring import AnchoringResult
    from workbench.core.agreement.engines import EngineComparison
    from workbench.core.agreement.unitizing import UnitizingResult


class BarDelegate(QStyledItemDelegate):
    """A bar from 0 to 1, green when alpha-reliable (≥ .800), amber (≥ .667), red below."""

    def paint(self, painter: QPainter, option, index) -> None:  # type: ignore[no-untyped-def]
        value = index.data(ValueRole)
        if value is None:
            return
        painter.save()
        rect = QRectF(option.rect).adjusted(
            4, option.rect.height() / 2 - 4, -4, -(option.rect.height() / 2 - 4)
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#eaeef2"))
        painter.drawRoundedRect(rect, 3, 3)
        shown = max(0.0, min(1.0, value))
        color = "#2da44e" if value >= 0.8 else "#d4a72c" if value >= 0.667 else "#cf222e"
        painter.setBrush(QColor(color))
        painter.drawRoundedRect(
            QRectF(rect.left(), rect.top(), rect.width() * shown, rect.height()), 3, 3
        )
        painter.restore()


class AgreementPanel(QWidget):
    passage_requested = Signal(str)  # a passage key to show in the workspace
    updated = Signal()

    def __init__(self, project: Project, lead: str, parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.setObjectName("panel")
        self.project = project
        self.lead = lead
        codebook = project.codebook
        names = {code.id: code.name for code in codebook.walk()} if codebook else {}
        self.data: CodedData | None = None
        self.snapshot: AgreementSnapshot | None = None
        self._pending: set[int] = set()
        self._engine_overall = None  # engine verdicts as of the last full reload
        self._engine_time = ""
        self._anchoring = None  # the experiment's result as of the last full reload
        self._anchoring_time = ""
        self._pair: list[str] | None = None  # a coder pair chosen in the matrix
        self._task = None
        self.metric = QComboBox()
        for metric in METRICS:
            self.metric.addItem(NAMES[metric], metric)
        self.metric.setCurrentIndex(METRICS.index("alpha"))
        self.by = QComboBox()
        self.by.addItem("All passages", None)
        with project.reading() as conn:
            for name in metadata_fields(conn):
                self.by.addItem(f"By {name}", name)
        self.by.addItem("By read in translation", TRANSLATION)
        self.by.setToolTip("Agreement per value of a metadata field, each with its interval")
        self.level = QComboBox()
        self.level.addItem("Every code", None)
        depth = tree_depth(codebook) if codebook else 1
        for level in range(1, depth):
            self.level.addItem(f"Level {level} of the tree", level)
        self.level.setToolTip(
            "Codes rolled up to their ancestor at a level of the code tree: do coders agree on "
            "the theme even when they split its sub-codes differently?"
        )
        self.level.setVisible(depth > 1)
        self.reload_button = QPushButton("Reload")
        self.reload_button.setToolTip("Recompute everything from the project, engines included")
        self.engines = QLabel("", objectName="subtitle")
        self.engines.setWordWrap(True)
        self.strata_model = StrataModel(self)
        self.strata = QTableView()
        self.strata.setModel(self.strata_model)
        self.strata.verticalHeader().hide()
        self.strata.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.strata.horizontalHeader().setStretchLastSection(True)
        self.strata.hide()
        self.overall = QLabel(
            "Agreement appears once two coders have reviewed the same passages.",
            objectName="subtitle",
        )
        self.overall.setWordWrap(True)
        self.codes_model = CodeAgreementModel(names, self)
        self.codes = QTableView()
        self.codes.setModel(self.codes_model)
        self.codes.setItemDelegateForColumn(3, BarDelegate(self.codes))
        self.codes.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.codes.verticalHeader().hide()
        header = self.codes.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # The figures take what they need and the code's name the rest: at the default 100 px
        # each, a 1024 px window left the name three letters ("Pro…").
        for column in (1, 2, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.resizeSection(3, 90)
        self.codes.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.matrix_model = CoderMatrixModel(self)
        self.matrix = QTableView()
        self.matrix.setModel(self.matrix_model)
        self.disagreements_model = DisagreementModel(names, self)
        self.disagreements = QTableView()
        self.disagreements.setModel(self.disagreements_model)
        self.disagreements.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.disagreements.horizontalHeader().setStretchLastSection(True)
        for table in (self.codes, self.matrix, self.disagreements):
            compact_rows(table)
        self.disagreement_title = QLabel("Disagreements (select a code)", objectName="section")
        self.take = QComboBox()
        self.take_button = QPushButton("Adopt coder's codes")
        self.merge_button = QPushButton("Merge all")
        self.write_button = QPushButton("Write consensus…")
        actions = QHBoxLayout()
        for widget in (self.take, self.take_button, self.merge_button, self.write_button):
            actions.addWidget(widget)
        right = self._right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.matrix)
        right.addWidget(self.strata)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.disagreement_title)
        bottom_layout.addWidget(self.disagreements)
        bottom_layout.addLayout(actions)
        right.addWidget(bottom)
        right.setSizes([110, 140, 240])
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.codes)
        splitter.addWidget(right)
        splitter.setSizes([560, 760])
        self.selections = SelectionsTab(names)
        self.anchoring = AnchoringTab()
        self.tabs = QTabWidget()
        self.tabs.addTab(_scrolled_tab(splitter), "Passages")
        self.tabs.addTab(_scrolled_tab(self.selections), "Selections in passages")
        self.tabs.addTab(_scrolled_tab(self.anchoring), "Anchoring experiment")
        self.tabs.setTabVisible(1, False)  # shown once someone selects text in a passage
        self.tabs.setTabVisible(2, False)  # shown once decisions are made in the experiment
        self.tabs.tabBar().hide()  # until a second tab is shown
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        top = QHBoxLayout()
        top.addWidget(QLabel("Agreement", objectName="section"))
        top.addStretch(1)
        top.addWidget(self.level)
        top.addWidget(self.by)
        top.addWidget(self.metric)
        top.addWidget(self.reload_button)
        layout.addLayout(top)
        layout.addWidget(self._headlines())
        layout.addWidget(self.tabs, 1)
        self._debounce = QTimer(self, singleShot=True, interval=30)
        self._debounce.timeout.connect(self._recompute)
        self.metric.currentIndexChanged.connect(lambda _i: self.reload())
        self.by.currentIndexChanged.connect(lambda _i: self.reload())
        self.level.currentIndexChanged.connect(lambda _i: self.reload())
        self.reload_button.clicked.connect(self.reload)
        self.codes.selectionModel().currentRowChanged.connect(lambda *_: self._show_disagreements())
        self.matrix.clicked.connect(self._pair_clicked)
        self.disagreements.doubleClicked.connect(self._open_passage)
        self.take_button.clicked.connect(self._adopt)
        self.merge_button.clicked.connect(self._merge)
        self.write_button.clicked.connect(self._write)

    # -- computing ----------------------------------------------------------------------------------

    def reload(self) -> None:
        """Recompute from the whole project (on open, or when the metric changes)."""
        self.data = None
        self._engine_overall = None
        self._anchoring = None
        self._pending.clear()
        self._recompute()

    def decision_made(self, passage_id: int) -> None:
        """After a decision: re-read that passage only, recompute in the background."""
        self._pending.add(passage_id)
        self._debounce.start()

    def _recompute(self) -> None:
        if self._task is not None and not self._task.done:
            self._debounce.start()  # one computation at a time; the next one picks up the rest
            return
        pending, self._pending = sorted(self._pending), set()
        metric = self.metric.currentData()
        self._task = start_task(
            _compute,
            self.project,
            self.data,
            pending,
            metric,
            self.by.currentData(),
            self._engine_overall,
            self.level.currentData(),
            self._anchoring,
            owner=self,
            on_done=self._apply,
            on_error=self._failed,
        )

    def _apply(self, result: tuple) -> None:  # type: ignore[type-arg]
        self.data, self.snapshot, unitizing, anchoring = result
        snapshot = self.snapshot
        self._show_extras(unitizing, anchoring)
        selected = self._selected_code()
        self.codes_model.set_snapshot(snapshot)
        self.matrix_model.set_snapshot(snapshot)
        self.overall.setText(overall_sentence(snapshot.overall, self.codes_model.hidden))
        if self._engine_overall is not snapshot.engine_overall:
            self._engine_overall = snapshot.engine_overall
            self._engine_time = datetime.now().strftime("%H:%M")
        self.engines.setText(
            "<br>".join(
                f"<b>{html.escape(item.engine)}</b> against the human coders: "
                f"{html.escape(item.verdict)} (as of {self._engine_time}; Reload to update)."
                for item in snapshot.engine_overall
            )
        )
        self.engines.setToolTip("\n\n".join(item.sentence for item in snapshot.engine_overall))
        self.engines.setVisible(bool(snapshot.engine_overall))
        self.strata_model.set_strata(snapshot.by, snapshot.strata or [])
        showing = snapshot.strata is not None
        if showing and not self.strata.isVisible():
            self.strata.show()
            total = sum(self._right.sizes())
            self._right.setSizes([total // 4, total * 3 // 8, total - total // 4 - total * 3 // 8])
        self.strata.setVisible(showing)
        if not showing:
            self._fit_matrix()
        self._reselect(selected)
        self._show_disagreements()
        self.updated.emit()

    def _headlines(self) -> QScrollArea:
        """The headline and the engines' verdicts in at most two lines, scrolled for the rest:
        wrapped in full they held the panel at 338 px, and the dock took the transcript's
        height with it."""
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.overall)
        column.addWidget(self.engines)
        area = QScrollArea()
        area.setWidget(box)
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        line = self.overall.fontMetrics().lineSpacing()
        area.setMinimumHeight(line + 4)
        area.setMaximumHeight(line * 2 + 6)
        return area

    def _fit_matrix(self) -> None:
        """Give the coder matrix the height of its rows (up to half the column) and the
        disagreements the rest: a fixed split showed one disagreement at 1024x700 while the
        matrix of two coders kept empty space."""
        sizes = self._right.sizes()
        total = sum(sizes)
        if total <= 0:
            return
        rows = self.matrix_model.rowCount()
        header = self.matrix.horizontalHeader().sizeHint().height()
        need = header + rows * self.matrix.verticalHeader().defaultSectionSize()
        need += 2 * self.matrix.frameWidth()
        matrix = min(need, total // 2)
        self._right.setSizes([matrix, 0, total - matrix])

    def _show_extras(self, unitizing, anchoring) -> None:  # type: ignore[no-untyped-def]
        """The selections and anchoring tabs, each shown only when it has something to show."""
        self.tabs.setTabVisible(1, unitizing is not None)
        if unitizing is not None:
            self.selections.show_result(unitizing)
        if anchoring is not self._anchoring:
            self._anchoring = anchoring
            self._anchoring_time = datetime.now().strftime("%H:%M")
        has_arms = anchoring is not None and sum(anchoring.units.values()) > 0
        self.tabs.setTabVisible(2, has_arms)
        # One tab needs no tab bar: its row went to the tables, short of height at 1024x700.
        self.tabs.tabBar().setVisible(self.tabs.isTabVisible(1) or has_arms)
        if has_arms:
            self.anchoring.show_result(anchoring, self._anchoring_time)

    def _failed(self, message: str) -> None:
        self.overall.setText(f"Agreement could not be computed: {message}")

    # -- disagreements and adjudication -----------------------------------------------------------------

    def _selected_code(self) -> str | None:
        index = self.codes.currentIndex()
        return index.siblingAtColumn(0).data(CodeRole) if index.isValid() else None

    def _reselect(self, code: str | None) -> None:
        if code is None:
            return
        for row in range(self.codes_model.rowCount()):
            if self.codes_model.index(row, 0).data(CodeRole) == code:
                self.codes.selectRow(row)
                return

    def _pair_clicked(self, index: QModelIndex) -> None:
        """A cell of the coder matrix: the disagreements of that pair of coders."""
        if self.snapshot is None or index.row() == index.column():
            return
        coders = self.snapshot.humans + self.snapshot.engines
        self._pair = [coders[index.row()], coders[index.column()]]
        self.codes.clearSelection()
        self.codes.setCurrentIndex(QModelIndex())
        self._show_disagreements()

    def _show_disagreements(self) -> None:
        if self.snapshot is None or len(self.snapshot.humans) < 2:
            self.disagreements_model.set_items([], [])
            return
        code = self._selected_code()
        if code is not None:
            self._pair = None
        coders = self._pair or self.snapshot.humans
        items = find_disagreements(self.snapshot.data, code, coders)
        memos = memos_for(self.project, [item.unit for item in items[:500]])
        self.disagreements_model.set_items(items, coders, memos)
        self.disagreement_title.setText(
            f"Disagreements{' on ' + code if code else ''}"
            f"{' between ' + ' and '.join(coders) if self._pair else ''}: {len(items)} passages"
        )
        self.take.clear()
        self.take.addItems(coders)

    def _current_item(self):  # type: ignore[no-untyped-def]
        return self.disagreements_model.item(self.disagreements.currentIndex().row())

    def _open_passage(self, index: QModelIndex) -> None:
        item = self.disagreements_model.item(index.row())
        if item is not None:
            self.passage_requested.emit(item.unit)

    def _settle(self, codes: set[str], default_reason: str) -> None:
        item = self._current_item()
        if item is None:
            return
        reason, ok = QInputDialog.getText(
            self, "Adjudication", "Reason (recorded with the consensus):", text=default_reason
        )
        if not ok:
            return
        try:
            adjudicate(self.project, item.unit, codes, self.lead, reason)
        except WorkbenchError as exc:
            self.overall.setText(str(exc))
            return
        self.reload()

    def _adopt(self) -> None:
        item = self._current_item()
        coder = self.take.currentText()
        if item is not None and coder in item.codes:
            self._settle(set(item.codes[coder]), f"{coder}'s coding adopted")

    def _merge(self) -> None:
        item = self._current_item()
        if item is not None:
            self._settle(set().union(*item.codes.values()), "all coders' codes merged")

    def _write(self) -> None:
        item = self._current_item()
        if item is None:
            return
        suggestion = ", ".join(sorted(set().union(*item.codes.values())))
        codes, ok = QInputDialog.getText(
            self,
            "Consensus codes",
            "Code ids, comma-separated (empty: no code applies):",
            text=suggestion,
        )
        if ok:
            self._settle({c.strip() for c in codes.split(",") if c.strip()}, "")


def _scrolled_tab(page: QWidget) -> QScrollArea:
    """A tab's tables with their buttons, scrolled as a whole when the dock is short: the
    Passages tab needs about 200 px, and holding the whole panel to that (with the headline
    above) let the dock take all but 130 px of a 1024x700 window from the transcript."""
    area = QScrollArea()
    area.setWidget(page)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setMinimumHeight(60)
    return area


def compact_rows(table: QTableView) -> None:
    """Rows one line of text high, not Fusion's 30 px: more passages and codes in a dock
    that shares the window with the transcript."""
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)


def overall_sentence(overall: MetricResult, hidden: int) -> str:
    """The panel's headline, from the result alone (the humans it rests on included)."""
    if overall.value is None:
        return f"{overall.label} among the human coders: undefined ({overall.reason})."
    return (
        f"{overall.label} among the human coders: {overall.value:.3f}, "
        f"{overall.interpretation}; {overall.units} passages coded by two or more of "
        f"{overall.coders} ({', '.join(overall.coder_names)}). "
        f"{hidden} codes no human coder has applied are not listed."
    )


def _compute(
    project: Project,
    data: CodedData | None,
    changed: list[int],
    metric: str,
    by: str | None,
    engine_overall: list[EngineComparison] | None,
    tree_level: int | None,
    anchoring: AnchoringResult | None,
    progress: Progress,
    cancel: CancelToken,
) -> tuple[CodedData, AgreementSnapshot, UnitizingResult | str | None, AnchoringResult | None]:
    """Background function: never touches a widget. The anchoring experiment, with its
    bootstrap, is recomputed on a full reload only, like the engines' verdicts."""
    reload = data is None
    data = project_data(project) if data is None else refresh_passages(data, project, changed)
    snapshot = snapshot_of(data, metric, project, by, engine_overall, tree_level)
    if reload:
        from workbench.core.agreement.anchoring import project_anchoring

        anchoring = project_anchoring(project)
    return data, snapshot, _unitizing(project, snapshot.humans), anchoring


def _unitizing(project: Project, humans: list[str]) -> UnitizingResult | str | None:
    """Unitizing alpha among the human coders; None when nobody selected text in a passage,
    and the error in words when a selection cannot be read."""
    from workbench.core.agreement.data import AgreementDataError
    from workbench.core.agreement.unitizing_source import project_has_spans, project_unitizing

    if not project_has_spans(project):
        return None
    try:
        return project_unitizing(project, humans)
    except AgreementDataError as error:
        return str(error)
