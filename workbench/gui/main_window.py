"""The main window: builds the panels and wires them. Nothing else.

Its menus and keys are built in window_actions, its status bar kept in window_status, and the
room its panels and docks take shared out in window_layout.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QSplitter

from workbench.core.roles import engines_allowed, is_lead, may_see_others, queue_of
from workbench.core.session import CodingSession
from workbench.core.store.navigation import metadata_values
from workbench.core.store.queries import metadata_for
from workbench.gui.code_details import chip_note_html
from workbench.gui.coding_controller import CodingController
from workbench.gui.lead_actions import LeadActions
from workbench.gui.models.codebook_model import CodebookTreeModel
from workbench.gui.models.passage_model import CardRole, Chip, PassageListModel
from workbench.gui.models.transcript_model import RowRole, TranscriptTableModel
from workbench.gui.project_watcher import ProjectWatcher
from workbench.gui.translation_flow import TranslationFlow
from workbench.gui.widgets.agreement_panel import AgreementPanel
from workbench.gui.widgets.codebook_panel import CodebookPanel
from workbench.gui.widgets.navigator import TranscriptNavigator
from workbench.gui.widgets.passage_delegate import PassageDelegate
from workbench.gui.widgets.passage_view import PassageView
from workbench.gui.widgets.search_panel import SearchPanel
from workbench.gui.widgets.side_strip import CollapsibleSide
from workbench.gui.window_actions import (
    CODEBOOK_KEY,
    TRANSCRIPTS_KEY,
    build_actions,
    code_shortcuts,
    key_table,
)
from workbench.gui.window_layout import WindowLayout
from workbench.gui.window_read_only import (
    ReadOnlyBanner,
    disable_writing,
    read_only_reason,
    with_banner,
)
from workbench.gui.window_status import WindowStatus
from workbench.suggest.engine import EngineSource, SuggestionEngine


class MainWindow(QMainWindow):
    def __init__(self, session: CodingSession, engine: SuggestionEngine | EngineSource):
        super().__init__()
        self.session = session
        project = session.project
        codebook = project.codebook
        if codebook is None:
            raise ValueError("a project needs a codebook before coding")
        self.setWindowTitle(f"{project.shown_location} — workbench")
        self.read_only_reason = read_only_reason(project)  # None: decisions are saved
        self.shortcuts = code_shortcuts(codebook)
        self.codebook_model = CodebookTreeModel(codebook, self.shortcuts, self)
        self.transcript_model = TranscriptTableModel(
            project,
            session.coder_id,
            self,
            queue=tuple(queue_of(project.settings.extra, session.coder)),
        )
        self.passage_model = PassageListModel(session, self)
        self.delegate = PassageDelegate(self._code_info, self)
        with project.reading() as conn:
            self._metadata_values = metadata_values(conn)
        self.navigator = TranscriptNavigator(self.transcript_model, self._metadata_values)
        self.passage_view = PassageView(
            self.passage_model, self.delegate, read_only=project.read_only
        )
        self.codebook_panel = CodebookPanel(
            self.codebook_model, f"Codebook · {codebook.name} v{codebook.version}", self.shortcuts
        )
        self.left = CollapsibleSide(self.navigator, "Transcripts", TRANSCRIPTS_KEY)
        self.right = CollapsibleSide(self.codebook_panel, "Codebook", CODEBOOK_KEY)
        self.splitter = splitter = QSplitter(Qt.Orientation.Horizontal)
        for widget in (self.left, self.passage_view, self.right):
            splitter.addWidget(widget)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        self.read_only_banner: ReadOnlyBanner | None = None
        if self.read_only_reason:
            self.read_only_banner = ReadOnlyBanner(self.read_only_reason)
            self.setCentralWidget(with_banner(self.read_only_banner, splitter))
        else:
            self.setCentralWidget(splitter)
        self.window_layout = WindowLayout(self)
        self.window_layout.balance()
        self.controller = CodingController(
            session,
            engine,
            self.passage_model,
            self.transcript_model,
            self.codebook_model,
            self.passage_view.list,
            self,
        )
        self.agreement = AgreementPanel(project, session.coder)
        self.agreement_dock = QDockWidget("Agreement and adjudication", self)
        self.agreement_dock.setObjectName("agreement")
        self.agreement_dock.setWidget(self.agreement)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.agreement_dock)
        self.agreement_dock.hide()  # it shows other coders' codes: a lead opens it (View menu)
        self.search = SearchPanel(project, session.coder, codebook, session=session)
        # a passage listed in the open retrieval view is in sight: undo acts on it at once
        self.controller.in_sight = lambda pid: (
            self.search_dock.isVisible() and self.search.model.row_of(pid) is not None
        )
        self.search_dock = QDockWidget("Search and retrieval", self)
        self.search_dock.setObjectName("search")
        self.search_dock.setWidget(self.search)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.search_dock)
        self.search_dock.hide()  # opened with Ctrl+Shift+F
        self.search_dock.visibilityChanged.connect(lambda _shown: self.window_layout.fit_hint())
        self.agreement_dock.visibilityChanged.connect(lambda _shown: self.window_layout.fit_hint())
        self.lead = LeadActions(self)
        self.translation = TranslationFlow(self)
        self.watcher = ProjectWatcher(project, parent=self)  # others' work, seen while open
        self.status = WindowStatus(self)
        build_actions(self)
        if self.read_only_reason:
            disable_writing(self, self.read_only_reason)
        self._connect()
        self.sync_engines_allowed()

    # -- building -------------------------------------------------------------------------------------

    def _code_info(self, code_id: str) -> tuple[str, str]:
        codebook = self.session.project.codebook
        code = codebook.get(code_id) if codebook else None
        return (code.name if code else code_id, self.codebook_model.color_of(code_id))

    def _connect(self) -> None:
        c = self.controller
        self.navigator.transcript_chosen.connect(self.open_transcript)
        self.passage_view.list.selectionModel().currentChanged.connect(lambda *_: c.row_changed())
        if self.read_only_reason:  # a click says why nothing happens, not a dialog per click
            self.delegate.chip_clicked.connect(self._chip_refused)
            self.codebook_panel.code_activated.connect(
                lambda code_id: self.status.refuse(f"Code {code_id}")
            )
        else:
            self.delegate.chip_clicked.connect(c.chip_clicked)
            self.codebook_panel.code_activated.connect(c.toggle_code)
        self.cancel_button.clicked.connect(c.cancel_suggestions)
        passages = self.passage_view.list
        passages.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        passages.customContextMenuRequested.connect(self._passage_menu)
        c.saved.connect(self.status.saved)
        c.failed.connect(self.show_error)
        c.progress_changed.connect(self.status.update_progress)
        c.suggestions_started.connect(self.status.suggestions_started)
        c.suggestions_progressed.connect(self.status.suggestions_progressed)
        c.suggestions_finished.connect(self.status.suggestions_finished)
        c.decision_made.connect(self._decision_made)
        self.agreement.passage_requested.connect(self.show_passage)
        self.search.passage_requested.connect(self.show_passage)
        self.search.failed.connect(self.show_error)
        self.watcher.decisions_changed.connect(self._others_decided)
        self.watcher.codebook_changed.connect(self._codebook_changed)
        self.watcher.settings_changed.connect(self.settings_changed)
        c.passage_requested.connect(self.show_passage)
        c.announced.connect(self.status.announce)
        c.chip_focused.connect(self._follow_chip)
        for side in (self.left, self.right):
            side.toggled.connect(lambda _folded: self.window_layout.balance())
        self.status.update_undo()

    # -- slots ------------------------------------------------------------------------------------------

    def open_transcript(self, transcript_id: int) -> None:
        row = self.transcript_model.row_of(transcript_id)
        info = self.transcript_model.index(row, 0).data(RowRole) if row is not None else None
        name = info.external_id if info else str(transcript_id)
        with self.session.project.reading() as conn:
            meta = metadata_for(conn, [name]).get(name, {})
        self.passage_view.title.setText(name)
        self.passage_view.subtitle.setText(
            " · ".join(f"{k}: {v}" for k, v in sorted(meta.items())) or "no metadata"
        )
        self.controller.open_transcript(transcript_id)
        self.passage_view.list.setFocus()

    def open_first_transcript(self, external_id: str | None = None) -> None:
        row = 0
        if external_id:
            while self.transcript_model.find_external(
                external_id
            ) is None and self.transcript_model.canFetchMore(QModelIndex()):
                self.transcript_model.fetchMore(QModelIndex())
            found = self.transcript_model.find_external(external_id)
            if found is None:
                self.show_error(f"No transcript '{external_id}' in this project")
            row = found or 0
        if self.transcript_model.rowCount():
            self.navigator.select_row(row)

    def example_text(self) -> str:
        """The current passage's text, or only the selection inside it when there is one."""
        passage = self.passage_model.passage(self.controller.current_row())
        if passage is None:
            return ""
        span = self.passage_view.selected_span()
        if span is not None:
            start, end = max(span[0], passage.start), min(span[1], passage.end)
            if start < end:
                return passage.text[start - passage.start : end - passage.start].strip()
        return passage.text.strip()

    def _passage_menu(self, point) -> None:  # type: ignore[no-untyped-def]
        """Right-click on a passage (not on a chip, where right-click rejects): its actions."""
        from PySide6.QtWidgets import QMenu

        view = self.passage_view.list
        index = view.indexAt(point)
        if not index.isValid():
            return
        card = index.data(CardRole)
        if card is not None:
            rect = view.visualRect(index)
            layout = self.delegate.layout(card, rect.width(), view.font())
            spot = point.toPointF() - rect.topLeft().toPointF()
            if any(chip.contains(spot) for chip in layout.chip_rects):
                return
        view.setCurrentIndex(index)
        menu = QMenu(view)
        menu.addAction(self.example_action)
        self._passage_menu_shown = menu  # kept for tests, which cannot click a popup
        menu.popup(view.viewport().mapToGlobal(point))

    def is_lead(self) -> bool:
        return is_lead(self.session.project.settings.extra, self.session.coder)

    def may_see_others(self) -> bool:
        settings = self.session.project.settings
        return may_see_others(settings.extra, settings.blind_coding, self.session.coder)

    def toggle_agreement(self) -> None:
        self.window_layout.toggle_agreement()

    # -- others' work, noticed by the watcher --------------------------------------------------------

    def _others_decided(self) -> None:
        """Someone (maybe this coder in another window) decided: progress and panel re-read."""
        transcript_id = self.passage_model.transcript_id
        if transcript_id is not None:
            self.transcript_model.refresh_progress(transcript_id)
        self.navigator.update_queue()
        if self.agreement_dock.isVisible() and self.may_see_others():
            self.agreement.reload()

    def _codebook_changed(self) -> None:
        """A lead stored a codebook version: show it; new decisions are checked against it."""
        project = self.session.project
        project.forget_cached()
        codebook = project.codebook
        if codebook is None:
            return
        self.codebook_model = CodebookTreeModel(codebook, self.shortcuts, self)
        self.controller.codebook_model = self.codebook_model
        self.codebook_panel.set_model(
            self.codebook_model, f"Codebook · {codebook.name} v{codebook.version}"
        )
        self.controller.refresh_counts()
        self.engine_label.setText(f"A lead added codebook version {codebook.version}")

    def settings_changed(self) -> None:
        """Roles, blind coding or assignments changed (here or by a lead elsewhere)."""
        project = self.session.project
        project.forget_cached()
        self.transcript_model.set_queue(tuple(queue_of(project.settings.extra, self.session.coder)))
        self.navigator.update_queue()
        if self.agreement_dock.isVisible() and not self.may_see_others():
            self.agreement_dock.hide()
        self.sync_engines_allowed()

    def sync_engines_allowed(self) -> None:
        """The lead's "engines allowed" governs the Claude toggle: greyed out, with the reason in
        its tooltip, and a coder using Claude when the lead withdraws it goes back to local."""
        allowed = "claude" in engines_allowed(self.session.project.settings.extra)
        self.claude_action.setEnabled(allowed)
        self.claude_action.setToolTip(
            self._claude_tip
            if allowed
            else "The lead has not allowed Claude in this project (Project settings: engines "
            "allowed); suggestions come from the local engine"
        )
        if not allowed and self.claude_action.isChecked():
            self.claude_action.setChecked(False)
            self.lead.toggle_claude()  # unchecked: back to the local engine

    def _chip_refused(self, row: int, _chip: int, _button: int) -> None:
        self.controller.go_to_row(row)
        self.status.refuse("Accept, reject or remove a code")

    def _decision_made(self, passage_id: int) -> None:
        if self.agreement_dock.isVisible():
            self.agreement.decision_made(passage_id)

    def show_search(self) -> None:
        self.window_layout.show_search()

    def show_passage(self, key: str) -> None:
        """Open the transcript of a passage key and put the passage in front of the coder."""
        from workbench.core.store.queries import split_passage_key

        external_id, position = split_passage_key(key)
        self.open_first_transcript(external_id)
        for row in range(self.passage_model.rowCount()):
            passage = self.passage_model.passage(row)
            if passage is not None and passage.position == position:
                self.controller.go_to_row(row)
                return

    def refetch(self) -> None:
        if self.passage_model.transcript_id is not None:
            self.controller.fetch_suggestions(self.passage_model.transcript_id)

    def show_error(self, message: str) -> None:
        """The one place errors are shown to the coder."""
        self.statusBar().showMessage(message, 8000)
        if not self.property("quiet_errors"):
            QMessageBox.warning(self, "workbench", message)

    def key_table(self) -> list[tuple[str, str]]:
        """``(every key of the action, the action)`` for each action that has a key."""
        return key_table(self)

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        self.window_layout.resized(event.size().width())

    def _follow_chip(self, chip: Chip | None) -> None:
        """The details pane shows the highlighted chip's code, and a suggestion's reasons."""
        if chip is None:
            return
        note = chip_note_html(chip.kind, chip.probability, chip.rationale, chip.label)
        self.codebook_panel.follow(chip.code_id, note)

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.controller.close()
        self.watcher.stop()
        super().closeEvent(event)
