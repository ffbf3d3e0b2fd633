"""The transcript navigator: search, filter by metadata and by coding status, progress per row."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.core.store.navigation import ProgressFilter, TranscriptFilter
from workbench.gui import theme
from workbench.gui.models.transcript_model import ProgressRole, RowRole, TranscriptTableModel


class ProgressDelegate(QStyledItemDelegate):
    """A slim bar with "reviewed/total" beside it."""

    def paint(self, painter: QPainter, option, index) -> None:  # type: ignore[no-untyped-def]
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        reviewed, total = index.data(ProgressRole) or (0, 0)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(option.rect).adjusted(6, 0, -6, 0)
        bar = QRectF(rect.left(), rect.center().y() - 3, rect.width() * 0.45, 6)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#eaeef2"))
        painter.drawRoundedRect(bar, 3, 3)
        if total:
            done = QRectF(
                bar.left(), bar.top(), bar.width() * min(1.0, reviewed / total), bar.height()
            )
            painter.setBrush(QColor("#2da44e") if reviewed >= total else theme.ACCENT)
            painter.drawRoundedRect(done, 3, 3)
        painter.setPen(theme.MUTED)
        painter.drawText(
            rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{reviewed}/{total}"
        )
        painter.restore()


ID_PADDING = 16  # a cell's margins around the id text (Fusion: 2 x 6, and the frame)
NO_TRANSCRIPTS = "No transcripts yet: add them with workbench import PROJECT FILES…"


class TranscriptNavigator(QWidget):
    transcript_chosen = Signal(int)  # transcript row id

    def __init__(self, model: TranscriptTableModel, metadata: dict[str, list[str]], parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.setObjectName("panel")
        self.model = model
        self.search = QLineEdit(placeholderText="Find by id or metadata (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.metadata_filter = QComboBox()
        # a long value ("title: …") must not widen the transcript list past its share
        self.metadata_filter.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.metadata_filter.setMinimumContentsLength(16)
        self.metadata_filter.addItem("All groups and languages", None)
        for field, values in metadata.items():
            # one value per transcript (an occupation, a title) is no group to filter by
            if field in ("occupation", "title") or len(values) > 40:
                continue
            for value in values:
                self.metadata_filter.addItem(f"{field}: {value}", (field, value))
        self.status_filter = QComboBox()
        for option in ProgressFilter:
            self.status_filter.addItem(
                option.value.capitalize() if option is not ProgressFilter.ALL else "Any status",
                option,
            )
        self.count = QLabel(objectName="subtitle")
        self.count.setWordWrap(True)
        # A coder's assigned transcripts come first (marked ▸); this narrows the list to them.
        self.queue_only = QCheckBox("My queue only")
        self.queue_label = QLabel(objectName="subtitle")
        self.table = QTableView()
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        # Ids differ at the end ("creativity_0016", "creativity_0042"): keep both ends.
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setItemDelegateForColumn(2, ProgressDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(2, 84)
        self.table.verticalHeader().setDefaultSectionSize(28)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 8)
        title = QLabel("Transcripts", objectName="section")
        for widget in (
            title,
            self.search,
            self.metadata_filter,
            self.status_filter,
            self.queue_only,
            self.queue_label,
            self.table,
            self.count,
        ):
            layout.addWidget(widget)
        self._debounce = QTimer(self, singleShot=True, interval=200)
        self._debounce.timeout.connect(self._apply_filter)
        self.search.textChanged.connect(self._debounce.start)
        self.metadata_filter.currentIndexChanged.connect(self._apply_filter)
        self.status_filter.currentIndexChanged.connect(self._apply_filter)
        self.queue_only.toggled.connect(self._apply_filter)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.viewport().installEventFilter(self)  # its width decides the columns
        for signal in (model.modelReset, model.rowsInserted, model.dataChanged):
            signal.connect(lambda *_: self.fit_columns())
        self._update_count()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self.fit_columns()
        return super().eventFilter(watched, event)

    def fit_columns(self) -> None:
        """Give the ids their whole width before the Group column: at 1400x900 the list was
        ~250 px wide and the ids lost their middle ("creati…y_0016", "ar_m…mman"), while the
        group is one filter away. The column comes back where both fit."""
        metrics = self.table.fontMetrics()
        ids = (self.model.index(row, 0).data() or "" for row in range(self.model.rowCount()))
        need = max((metrics.horizontalAdvance(text) for text in ids), default=0) + ID_PADDING
        group = self.table.sizeHintForColumn(1) if self.model.rowCount() else 0
        room = self.table.viewport().width() - self.table.horizontalHeader().sectionSize(2)
        self.table.setColumnHidden(1, room - group < need)

    def _apply_filter(self) -> None:
        chosen = self.metadata_filter.currentData()
        self.model.set_filter(
            TranscriptFilter(
                search=self.search.text(),
                field=chosen[0] if chosen else None,
                value=chosen[1] if chosen else None,
                # Qt hands the str-enum back as a plain str: "all" is not ProgressFilter.ALL
                progress=ProgressFilter(self.status_filter.currentData()),
                queue=self.model.queue,
                queue_only=self.queue_only.isChecked() and bool(self.model.queue),
            )
        )
        self._update_count()

    def _update_count(self) -> None:
        """The count, or why the list is empty: "0 transcripts" alone left a new project's
        coder wondering whether the app had failed to read them."""
        total = self.model.total
        if total:
            self.count.setText(f"{total:,} transcript{'' if total == 1 else 's'}")
        elif self.model.filter == TranscriptFilter(queue=self.model.queue):
            self.count.setText(NO_TRANSCRIPTS)
        else:
            self.count.setText("No transcript matches these filters")
        self.update_queue()

    def update_queue(self) -> None:
        """Show the queue's progress, or nothing for a coder with no assignment."""
        has_queue = bool(self.model.queue)
        self.queue_only.setVisible(has_queue)
        self.queue_label.setVisible(has_queue)
        if has_queue:
            done, assigned = self.model.queue_progress()
            self.queue_label.setText(f"My queue: {done} of {assigned} transcripts done")

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = current.data(RowRole) if current.isValid() else None
        if row is not None:
            self.transcript_chosen.emit(row.id)

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
