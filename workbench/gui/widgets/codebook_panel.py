"""The codebook panel: the code tree with keys and counts, and the chosen code's full definition."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QSplitter,
    QTextBrowser,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.code_details import code_details_html
from workbench.gui.models.codebook_model import CodebookTreeModel


class CodebookPanel(QWidget):
    code_activated = Signal(str)  # double-click applies the code to the current passage

    def __init__(
        self, model: CodebookTreeModel, title: str, shortcuts: dict[str, str], parent=None
    ):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.setObjectName("panel")
        self.model = model
        self._shortcuts = shortcuts
        self.tree = QTreeView()
        self.tree.setModel(model)
        self.tree.setUniformRowHeights(True)
        self.tree.expandAll()
        self.tree.setAlternatingRowColors(True)
        # A long name loses its middle, not its end (the tooltip has it whole): the two ends
        # are what tell "Emotional support and companionship" from "Emotional labour".
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.details = QTextBrowser(objectName="details")
        self.details.setOpenLinks(False)
        self.details.setHtml(  # a placeholder would not wrap in a narrow pane
            "<p style='color:#5f6872'>The highlighted code's definition, rules and examples"
            " show here.</p>"
        )
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.tree)
        splitter.addWidget(self.details)
        splitter.setSizes([420, 220])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 8, 8, 8)
        self.title = QLabel(title, objectName="section")
        layout.addWidget(self.title)
        layout.addWidget(splitter)
        self.tree.selectionModel().currentChanged.connect(self._show)
        self.tree.doubleClicked.connect(self._activate)

    def set_model(self, model: CodebookTreeModel, title: str) -> None:
        """A newer codebook version: the tree and title follow it, the details start over."""
        self.model = model
        self.tree.setModel(model)
        self.tree.expandAll()
        self.tree.selectionModel().currentChanged.connect(self._show)
        self.title.setText(title)
        self.details.clear()

    def _show(self, current: QModelIndex, _previous: QModelIndex) -> None:
        code = self.model.code_at(current)
        if code is not None:
            self.details.setHtml(code_details_html(code, self._shortcuts.get(code.id)))

    def _activate(self, index: QModelIndex) -> None:
        code = self.model.code_at(index)
        if code is not None and not code.children:
            self.code_activated.emit(code.id)

    def wanted_width(self) -> int:
        """The width that shows every code's whole name beside its key and count."""
        metrics = self.tree.fontMetrics()
        names = max(
            (
                metrics.horizontalAdvance(code.name) + (code.depth + 1) * self.tree.indentation()
                for code in self.model.codes
            ),
            default=100,
        )
        header = self.tree.header()
        icon = self.tree.iconSize().width() if self.tree.iconSize().width() > 0 else 16
        columns = header.sectionSizeHint(1) + header.sectionSizeHint(2)
        scrollbar = self.tree.verticalScrollBar().sizeHint().width()
        return names + icon + 16 + columns + scrollbar + 2 * self.tree.frameWidth() + 24

    def follow(self, code_id: str, note: str = "") -> None:
        """Show a code highlighted elsewhere (a chip) in the tree and its details in the pane,
        with ``note`` (a suggestion's rationale) above the definition."""
        self.show_code(code_id)
        code = self.model.code_at(self.model.index_of(code_id))
        if code is not None:
            self.details.setHtml(code_details_html(code, self._shortcuts.get(code.id), note))

    def show_code(self, code_id: str) -> None:
        index = self.model.index_of(code_id)
        if index.isValid():
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index)
