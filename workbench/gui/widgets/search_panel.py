"""Search and retrieval: find passages by their words, or list every passage coded X beside the
code's definition, jump to one with Enter or a double-click, or recode the selected ones in
place from the keyboard (``search_recode``).

The query runs on a worker thread (``start_task``): a search over a large project never freezes
the workspace, and a result that arrives after a newer search was started is dropped.
"""

from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QEvent, QModelIndex, QObject, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from workbench.core.blind_search import restricted_to, seen_by
from workbench.core.codebook import Code, Codebook
from workbench.core.errors import WorkbenchError
from workbench.core.session import CodingSession
from workbench.core.store import Project
from workbench.core.store.search import (
    Review,
    Role,
    SearchError,
    SearchFilters,
    SearchHit,
    SearchResult,
    search_passages,
)
from workbench.core.store.search_filters import parse_field
from workbench.core.tasks import CancelToken, Progress
from workbench.gui.dialogs.code_picker import CodePickerDialog
from workbench.gui.models.search_model import HtmlRole, KeyRole, SearchResultsModel
from workbench.gui.widgets.search_recode import Recoder
from workbench.gui.workers import start_task
from workbench.reports.retrieval import describe, export_view

# scope label -> (filter by the current coder, engine, disagreement). With "any code", the two
# "coded by" scopes filter nothing: words then search every passage.
SCOPES = {
    "coded by anyone": (False, False, False),
    "coded by me": (True, False, False),
    "suggested by an engine": (False, True, False),
    "in disagreement": (False, False, True),
}
# Blind coding hides the other coders' codes, so no scope filters by them either.
BLIND_SCOPES = ("coded by me", "suggested by an engine")
ROLES = {
    "any speaker": Role.ANY,
    "participants": Role.PARTICIPANT,
    "interviewers": Role.INTERVIEWER,
}
REVIEWS = ("any review status", "reviewed", "not reviewed", "not reviewed by me")


def run_search(
    project: Project,
    query: str,
    filters: SearchFilters,
    limit: int,
    progress: Progress,
    cancel: CancelToken,
) -> SearchResult:
    """The worker's job: one read transaction, no widget touched."""
    with project.reading() as conn:
        return search_passages(conn, query, filters, limit=limit)


MAX_LINES = 3  # of a snippet in the results table; its tooltip has the whole passage


class SnippetDelegate(QStyledItemDelegate):
    """Draws the snippet as rich text, so the matched words stand out in bold."""

    def paint(self, painter, option, index) -> None:  # type: ignore[no-untyped-def]
        markup = index.data(HtmlRole)
        if markup is None:
            super().paint(painter, option, index)
            return
        self.initStyleOption(option, index)
        option.text = ""
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        document = QTextDocument()
        document.setDefaultFont(option.font)
        document.setDocumentMargin(2)
        document.setHtml(markup)
        document.setTextWidth(option.rect.width())
        painter.save()
        painter.translate(option.rect.topLeft())
        painter.setClipRect(QRectF(0, 0, option.rect.width(), option.rect.height()))
        document.drawContents(painter)
        painter.restore()

    def sizeHint(self, option, index) -> QSize:  # type: ignore[no-untyped-def]
        """The snippet's height at the column's width, at most MAX_LINES lines: at 1024x700 a
        narrow column wrapped a snippet into a row taller than the table showed."""
        size = super().sizeHint(option, index)
        markup = index.data(HtmlRole)
        view = option.widget
        width = view.columnWidth(index.column()) if isinstance(view, QTableView) else 0
        if markup is None or width <= 0:
            return size
        document = QTextDocument()
        document.setDefaultFont(option.font)
        document.setDocumentMargin(2)
        document.setHtml(markup)
        document.setTextWidth(width)
        cap = option.fontMetrics.lineSpacing() * MAX_LINES + 4
        return QSize(size.width(), int(min(document.size().height(), cap)))


_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class ClaimEnter(QObject):
    """Keeps Enter for the search widgets: the workspace binds Return to "accept suggestion"
    for the whole window, and without this a coder pressing Enter in the search box would
    accept a suggestion in the transcript behind it."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() in _ENTER
        ):
            event.accept()
        return False


# key -> recode action in the results table
RECODE_KEYS = {
    Qt.Key.Key_A: "apply",
    Qt.Key.Key_R: "remove",
    Qt.Key.Key_Delete: "remove",
    Qt.Key.Key_E: "replace",
    Qt.Key.Key_Slash: "apply other",
}
_MODIFIERS = (
    Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.MetaModifier
)


class ResultsView(QTableView):
    """The results table; Enter opens the current passage, like a double-click, and the recode
    keys act on the selected passages.

    While it has focus it keeps every unmodified key: the workspace binds letters (A accepts,
    R rejects, J moves) for the whole window, and they must not act on the transcript behind.
    """

    activated_key = Signal(str)
    recode = Signal(str)  # an action of RECODE_KEYS

    def event(self, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and not event.modifiers() & _MODIFIERS
            and (event.text().isprintable() and event.text() or event.key() in RECODE_KEYS)
        ):
            event.accept()
            return True
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right)
            and event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):  # the workspace selects words with these: not in the passage behind the list
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in _ENTER and self.currentIndex().isValid():
            self.activated_key.emit(self.currentIndex().data(KeyRole))
            return
        action = RECODE_KEYS.get(Qt.Key(event.key()))
        if action is not None and not event.modifiers() & _MODIFIERS:
            self.recode.emit(action)
            return
        super().keyPressEvent(event)


class SearchPanel(QWidget):
    passage_requested = Signal(str)  # a passage key to show in the workspace
    finished = Signal()  # a search's results are in the table (tests wait for it)
    failed = Signal(str)  # a recode the session refused, for the window's error place

    def __init__(
        self,
        project: Project,
        coder: str,
        codebook: Codebook,
        parent=None,  # type: ignore[no-untyped-def]
        session: CodingSession | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.project = project
        self.coder = coder
        self.codebook = codebook
        self.blind = project.settings.blind_coding
        self.limit = 500
        self.result: SearchResult | None = None
        self._generation = 0
        self._task = None
        self.query = QLineEdit(placeholderText='Words, "a phrase", word*, OR, NOT…  (Enter)')
        self.code = QComboBox()
        self.code.addItem("any code", None)
        for code in codebook.walk():
            self.code.addItem(("    " * code.depth) + f"{code.name}  ({code.id})", code.id)
        # The query keeps room at 1024 px: long code names are elided in the closed box.
        self.query.setMinimumWidth(180)
        self.code.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.code.setMinimumContentsLength(12)
        self.scope = QComboBox()
        self.scope.addItems(list(BLIND_SCOPES if self.blind else SCOPES))
        self.scope.setToolTip("Whose coding of the chosen code counts")
        self.role = QComboBox()
        self.role.addItems(list(ROLES))
        self.review = QComboBox()
        self.review.addItems(list(REVIEWS))
        self.field = QLineEdit(placeholderText="field=value")
        self.field.setMaximumWidth(140)
        self.search_button = QPushButton("Search")
        self.model = SearchResultsModel(self)
        if self.blind:
            self.model.visible_coders = {coder}
        self.table = ResultsView()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(2, SnippetDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setToolTip(
            "Enter opens the passage · A applies the code (accepts the suggestion) · "
            "R or Delete removes it (rejects) · E replaces it · / applies another code"
        )
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        # rows are as tall as their snippet at the text column's width: measured again when
        # that width changes (the dock opening, the window resized), not only per search
        self._rows_timer = QTimer(self, singleShot=True, interval=60)
        self._rows_timer.timeout.connect(self.table.resizeRowsToContents)
        header.sectionResized.connect(lambda *_: self._rows_timer.start())
        for column, width in ((0, 110), (1, 100), (3, 200)):
            self.table.setColumnWidth(column, width)
        self.definition = QTextBrowser()
        self.definition.setMinimumWidth(220)
        self.status = QLabel("Type words and press Enter, or choose a code to list its passages.")
        self.export_button = QPushButton("Export view…")
        self.export_button.setToolTip("Write the passages shown to a CSV or DOCX file")
        self.export_button.setEnabled(False)
        self._claim_enter = ClaimEnter(self)
        for widget in (self.query, self.field, self.table):
            widget.installEventFilter(self._claim_enter)
        self.recoder = Recoder(session, self._pick) if session is not None else None
        if session is not None and not project.read_only:
            session.subscribe(self._passage_changed)
        self._layout()
        self._connect()
        self._show_definition()

    def _layout(self) -> None:
        filters = QHBoxLayout()
        filters.addWidget(self.query, 3)
        filters.addWidget(self.code, 1)  # wider windows show the whole code name
        for widget in (self.scope, self.role, self.review, self.field):
            filters.addWidget(widget)
        filters.addWidget(self.search_button)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.definition)
        splitter.setStretchFactor(0, 1)
        splitter.setSizes([800, 300])
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)

    def _connect(self) -> None:
        self.query.returnPressed.connect(self.search)
        self.field.returnPressed.connect(self.search)
        self.search_button.clicked.connect(self.search)
        for combo in (self.code, self.scope, self.role, self.review):
            combo.currentIndexChanged.connect(lambda _i: self.search())
        self.code.currentIndexChanged.connect(lambda _i: self._show_definition())
        # at 1024 px the closed box cuts a long name: its tooltip has it whole
        self.code.currentIndexChanged.connect(
            lambda _i: self.code.setToolTip(self.code.currentText().strip())
        )
        self.table.doubleClicked.connect(self._open)
        self.table.activated_key.connect(self.passage_requested)
        self.table.recode.connect(self.recode)
        self.export_button.clicked.connect(self._ask_export)

    # -- searching ------------------------------------------------------------------------------

    def focus_query(self) -> None:
        self.query.setFocus()
        self.query.selectAll()

    def selected_code(self) -> Code | None:
        code_id = self.code.currentData()
        return self.codebook.get(code_id) if code_id else None

    def filters(self) -> SearchFilters:
        """The filters the widgets show; a malformed field=value raises SearchError."""
        mine, engine, disagreement = SCOPES[self.scope.currentText()]
        review = self.review.currentText()
        field = self.field.text().strip()
        code = self.code.currentData()
        return SearchFilters(
            code=code,
            coder=self.coder if mine and code is not None else None,
            engine=engine,
            disagreement=disagreement,
            role=ROLES[self.role.currentText()],
            fields=(parse_field(field, "metadata filter"),) if field else (),
            reviewed={"reviewed": Review.YES, "not reviewed": Review.NO}.get(review, Review.ANY),
            unreviewed_by=self.coder if review == "not reviewed by me" else None,
        )

    def search(self) -> None:
        """Start a search with what the widgets say; an empty query and no code clears the view."""
        query = self.query.text()
        try:
            filters = self.filters()
        except SearchError as exc:
            self._failed(str(exc))
            return
        self._generation += 1
        generation = self._generation
        if not query.strip() and filters.code is None and not filters.disagreement:
            self._show(generation, None)
            return
        self.status.setText("Searching…")
        self._task = start_task(
            run_search,
            self.project,
            query,
            filters,
            self.limit,
            owner=self,
            on_done=lambda result: self._show(generation, result),
            on_error=lambda message: self._failed(message, generation),
        )

    def _show(self, generation: int, result: SearchResult | None) -> None:
        if generation != self._generation:
            return  # a newer search was started: its results are the ones that count
        self.result = result
        self.model.set_hits(result.hits if result else [])
        self.export_button.setEnabled(bool(result and result.hits))
        if result is None:
            self.status.setText(
                "Type words and press Enter, or choose a code to list its passages."
            )
        else:
            hint = " · Enter opens one"
            if self.recoder is not None and not self.project.read_only:
                hint += " · A, R, E, / recode the selected"
            self.status.setText(describe(result, self.selected_code()) + hint)
            self.table.resizeRowsToContents()
            if result.hits:
                self.table.setCurrentIndex(self.model.index(0, 0))
        self.finished.emit()

    def _failed(self, message: str, generation: int | None = None) -> None:
        if generation is not None and generation != self._generation:
            return
        self.status.setText(
            f"<span style='color:#cf222e'>{html.escape(message, quote=False)}</span>"
        )
        self.finished.emit()

    def _open(self, index: QModelIndex) -> None:
        key = index.data(KeyRole)
        if key:
            self.passage_requested.emit(key)

    def _show_definition(self) -> None:
        code = self.selected_code()
        self.definition.setVisible(code is not None)
        if code is None:
            return
        parts = [f"<h3>{html.escape(code.name)}</h3>", f"<p>{html.escape(code.definition)}</p>"]
        for label, items in (
            ("Include", code.include),
            ("Exclude", code.exclude),
            ("Examples", code.examples),
        ):
            if items:
                listed = "".join(f"<li>{html.escape(item)}</li>" for item in items)
                parts.append(f"<p><b>{label}</b></p><ul>{listed}</ul>")
        self.definition.setHtml("".join(parts))

    # -- recoding in place --------------------------------------------------------------------------

    def selected_hits(self) -> list[SearchHit]:
        """The selected rows' passages in view order (the current one if none is selected)."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        if not rows and self.table.currentIndex().isValid():
            rows = [self.table.currentIndex().row()]
        return [self.model.hits[row] for row in rows if row < len(self.model.hits)]

    def recode(self, action: str) -> None:
        """Run a recode action (RECODE_KEYS) on the selected passages, for the code of the view
        (the search's own, not a choice made since in the box)."""
        if self.recoder is None or self.result is None or self.project.read_only:
            return
        hits = self.selected_hits()
        if not hits:
            return
        filters = self.result.filters
        code = filters.code
        try:
            if action == "apply other":
                self.recoder.apply_other(hits)
            elif code is None:
                self.status.setText("Choose a code to list its passages, then recode them here")
            elif action == "apply":
                self.recoder.apply(hits, code, filters.engine)
            elif action == "remove":
                self.recoder.remove(hits, code, filters.engine)
            elif action == "replace":
                self.recoder.replace(hits, code, filters.engine)
        except WorkbenchError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # a database failure: nothing was written; say so plainly
            self.failed.emit(f"The decision was not saved: {exc}")

    def _pick(self, title: str) -> str | None:
        dialog = CodePickerDialog(self.codebook, title=title, parent=self)
        return dialog.chosen if dialog.exec() and dialog.chosen else None

    def _passage_changed(self, passage_id: int) -> None:
        """Re-read a listed passage after a decision (here or in the workspace): its codes, and
        whether the view's search still finds it."""
        if self.result is None or self.model.row_of(passage_id) is None:
            return
        filters = replace(self.result.filters, passage_ids=(passage_id,))
        alone = SearchFilters(passage_ids=(passage_id,))
        with self.project.reading() as conn:
            found = search_passages(conn, self.result.query, filters, limit=1).hits
            now = found or search_passages(conn, "", alone, limit=1).hits
        if now:
            self.model.update_hit(passage_id, now[0].codes, in_view=bool(found))

    # -- export ---------------------------------------------------------------------------------

    def export_to(self, path: str | Path) -> Path:
        """Write the view shown to ``path`` (.csv or .docx): under blind coding a coder's file
        holds only their own codes and selections, as the table does; a lead's holds all."""
        if self.result is None:
            raise SearchError("nothing to export: search first")
        settings = self.project.settings
        only = restricted_to(settings.extra, settings.blind_coding, self.coder)
        return export_view(seen_by(self.result, only), path, self.selected_code())

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export the view", "passages.docx", "Word (*.docx);;CSV (*.csv)"
        )
        if not path:
            return
        try:
            written = self.export_to(path)
        except WorkbenchError as exc:
            self._failed(str(exc))
            return
        self.status.setText(
            f"Exported {len(self.result.hits) if self.result else 0} passages to {written}"
        )
