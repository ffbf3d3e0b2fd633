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
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.details = QTextBrowser(objectName="details")
        self.details.setOpenLinks(False)
        self.details.setPlaceholderText("Select a code to read its definition, rules and examples.")
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

    def show_code(self, code_id: str) -> None:
        index = self.model.index_of(code_id)
        if index.isValid():
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index)
