"""The main window: builds the panels, the menus and their keys, and wires them. Nothing else."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
)

from workbench.core.codebook import Codebook
from workbench.core.keys import WORKSPACE_KEYS, reserved_command
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
from workbench.gui.restore_flow import ask_and_restore
from workbench.gui.translation_flow import TranslationFlow
from workbench.gui.widgets.agreement_panel import AgreementPanel
from workbench.gui.widgets.codebook_panel import CodebookPanel
from workbench.gui.widgets.elided_label import ElidedLabel
from workbench.gui.widgets.navigator import TranscriptNavigator
from workbench.gui.widgets.passage_delegate import PassageDelegate
from workbench.gui.widgets.passage_view import PassageView
from workbench.gui.widgets.search_panel import SearchPanel
from workbench.gui.widgets.side_strip import CollapsibleSide
from workbench.suggest.engine import EngineSource, SuggestionEngine


def code_shortcuts(codebook: Codebook) -> dict[str, str]:
    """Code id -> key: the codebook's own shortcuts, or 1–9 for the first nine leaf codes.

    A shortcut the workspace keeps for a command is left out (``codebook check`` reports it).
    """
    keys = {
        code.id: code.shortcut
        for code in codebook.walk()
        if code.shortcut and reserved_command(code.shortcut) is None
    }
    if not keys:
        leaves = [code.id for code in codebook.walk() if not code.children]
        keys = {code_id: str(number) for number, code_id in enumerate(leaves[:9], start=1)}
    return keys


TRANSCRIPTS_KEY = "Ctrl+Shift+T"
CODEBOOK_KEY = "Ctrl+Shift+B"
EXAMPLE_KEY = "Ctrl+Shift+E"  # use the passage as an example of a code (leads)
# Below this window width the transcript list folds to a strip on its own (its key brings it
# back): the transcript being coded, not the list of transcripts, needs the room.
FOLD_BELOW = 1200


def keys_text(action: QAction) -> str:
    """Every key of an action, as the coder's platform writes them ("Right or Tab")."""
    return " or ".join(
        key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts()
    )


def set_label(action: QAction, text: str) -> None:
    """Name an action; its menu entry shows all its keys, not only the first (Qt's default)."""
    shown = action.property("keys_text")
    action.setText(f"{text}\t{shown}" if shown else text)


SEARCH_DOCK_MIN = 220  # px: the filters, four result rows and the status line
# Below this window height the key hint under the transcript gives its lines to the passages
# while the retrieval dock is open (F1 and the menus still list every key).
HINT_MIN_HEIGHT = 800


class MainWindow(QMainWindow):
    def __init__(self, session: CodingSession, engine: SuggestionEngine | EngineSource):
        super().__init__()
        self.session = session
        project = session.project
        codebook = project.codebook
        if codebook is None:
            raise ValueError("a project needs a codebook before coding")
        self.setWindowTitle(f"{project.shown_location} — workbench")
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
        self.passage_view = PassageView(self.passage_model, self.delegate)
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
        self.setCentralWidget(splitter)
        self._auto_folded = False
        self._balance()
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
        self.search_dock.visibilityChanged.connect(lambda _shown: self._fit_hint())
        self.lead = LeadActions(self)
        self.translation = TranslationFlow(self)
        self.watcher = ProjectWatcher(project, parent=self)  # others' work, seen while open
        self._build_status_bar()
        self._build_actions()
        self._connect()
        self.sync_engines_allowed()

    # -- building -------------------------------------------------------------------------------------

    def _code_info(self, code_id: str) -> tuple[str, str]:
        codebook = self.session.project.codebook
        code = codebook.get(code_id) if codebook else None
        return (code.name if code else code_id, self.codebook_model.color_of(code_id))

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.coder_label = QLabel(f"Coder: <b>{html.escape(self.session.coder)}</b>")
        self.progress_label = QLabel()
        read_only = self.session.project.read_only
        self.saved_label = ElidedLabel(
            "Read-only: nothing is saved" if read_only else "All decisions saved"
        )
        self.engine_label = ElidedLabel()
        self.engine_label.setMaximumWidth(420)
        self.engine_progress = QProgressBar()
        self.engine_progress.setMaximumWidth(140)
        self.engine_progress.setTextVisible(False)
        self.engine_progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop fetching suggestions (Esc)")
        self.cancel_button.hide()
        for widget, stretch in (
            (self.coder_label, 0),
            (self.progress_label, 0),
            (self.saved_label, 1),
        ):
            widget.setContentsMargins(6, 0, 14, 0)
            bar.addWidget(widget, stretch)
        for widget in (self.engine_label, self.engine_progress, self.cancel_button):
            bar.addPermanentWidget(widget)

    def _action(
        self, menu, text: str, keys: Sequence[str], slot: Callable[[], None], tip: str = ""
    ) -> QAction:  # type: ignore[no-untyped-def]
        action = QAction(self)
        action.setShortcuts([QKeySequence(key) for key in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        shown = keys_text(action)
        action.setProperty("keys_text", shown)
        set_label(action, text)
        action.setToolTip(f"{tip or text} ({shown})")
        action.setStatusTip(tip or text)
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        c = self.controller
        keys = WORKSPACE_KEYS  # kept in the core, where the codebook check sees them too
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        self._action(
            file_menu,
            "Export report…",
            ["Ctrl+E"],
            self.lead.export_report,
            "HTML, PDF, XLSX or CSV",
        )
        self._action(
            file_menu,
            "Restore from backup…",
            [],
            lambda: ask_and_restore(self),
            "Put one of the project's backups back (the current state is backed up first)",
        )
        self._action(file_menu, "Close", ["Ctrl+W"], self.close)
        edit = menus.addMenu("&Edit")
        self.undo_action = self._action(edit, "Undo", ["Ctrl+Z"], c.undo, "Undo the last decision")
        self.redo_action = self._action(edit, "Redo", ["Ctrl+Shift+Z", "Ctrl+Y"], c.redo, "Redo")
        self._action(edit, "Find transcript", ["Ctrl+F"], lambda: self.navigator.search.setFocus())
        self._action(
            edit,
            "Search passages and retrieve coded ones",
            ["Ctrl+Shift+F"],
            self.show_search,
            "Full-text search, or every passage coded with a code",
        )
        go = menus.addMenu("&Go")
        self._action(go, "Next passage", keys["next passage"], lambda: c.move(1))
        self._action(go, "Previous passage", keys["previous passage"], lambda: c.move(-1))
        self._action(
            go, "Next unreviewed passage", keys["next unreviewed passage"], c.next_unreviewed
        )
        self._action(go, "Next suggestion", keys["next suggestion"], lambda: c.move_chip(1))
        self._action(
            go, "Previous suggestion", keys["previous suggestion"], lambda: c.move_chip(-1)
        )
        coding = menus.addMenu("&Code")
        self._action(
            coding,
            "Accept suggestion",
            keys["accept suggestion"],
            c.accept_focused,
            "Accept the highlighted suggestion",
        )
        self._action(
            coding,
            "Accept all suggestions",
            keys["accept all suggestions"],
            c.accept_all,
            "Accept every open suggestion",
        )
        self._action(
            coding,
            "Reject / remove",
            keys["reject or remove"],
            c.reject_focused,
            "Reject the highlighted suggestion or remove the code",
        )
        self._action(
            coding,
            "Replace with…",
            keys["replace with another code"],
            c.replace_focused,
            "Replace the highlighted code with another",
        )
        self._action(
            coding, "Apply a code…", keys["pick a code"], c.pick_code, "Pick any code by name"
        )
        self._action(
            coding,
            "No code applies",
            keys["no code applies"],
            c.no_code,
            "Mark reviewed: no code applies",
        )
        self._action(
            coding,
            "Memo…",
            keys["memo"],
            c.edit_memo,
            "Write a memo on this passage, or on the selected words",
        )
        for command, label, edge, forward in (
            ("select the next word", "Select the next word", "end", True),
            ("unselect the last word", "Unselect the last word", "end", False),
            ("unselect the first word", "Unselect the first word", "start", True),
            ("select the word before", "Select the word before", "start", False),
        ):
            self._action(
                coding,
                label,
                keys[command],
                lambda _checked=False, e=edge, f=forward: c.select_words(e, f),
                "Select words in the passage from the keyboard (the first press takes its "
                "first word); a code's key then codes them",
            )
        self._action(
            coding,
            "Code selection…",
            keys["code the selection"],
            lambda: c.code_selection(),
            "Code the words selected in the passage (a code's key does it too)",
        )
        self._action(
            coding,
            "Accept evidence as selection",
            keys["accept evidence as a coded selection"],
            c.accept_evidence_as_span,
            "Accept the highlighted suggestion, coding just its evidence quote",
        )
        self._action(
            coding,
            "Remove coded selection",
            keys["remove a coded selection"],
            lambda: c.remove_focused_span(),
            "Remove the highlighted code from one selection; the passage keeps the code",
        )
        self._action(coding, "Cancel suggestions", keys["cancel suggestions"], c.cancel_suggestions)
        codes_menu = menus.addMenu("Code &keys")
        codebook = self.session.project.codebook
        for code_id, key in sorted(self.shortcuts.items(), key=lambda item: item[1]):
            name = codebook.get(code_id).name if codebook and codebook.get(code_id) else code_id
            self._action(
                codes_menu,
                f"{name}",
                [key.upper() if key.isalpha() else key],
                lambda _checked=False, cid=code_id: c.toggle_code(cid),
                f"Toggle {code_id}",
            )
        view = menus.addMenu("&View")
        self._action(view, "Transcripts panel: fold or show", [TRANSCRIPTS_KEY], self.left.toggle)
        self._action(view, "Codebook panel: fold or show", [CODEBOOK_KEY], self.right.toggle)
        self._action(
            view,
            "Agreement and adjudication (shows other coders' codes)",
            ["Ctrl+Shift+G"],
            self.toggle_agreement,
        )
        self._action(
            view,
            "Machine translation: show or hide",
            keys["machine translation"],
            self.translation.toggle,
            "Show or hide the stored machine translation under each passage",
        )
        self._action(view, "Languages I read…", [], self.translation.choose_languages)
        self._action(view, "Project settings (leads)…", [], self.lead.show_settings)
        self._action(view, "Double-coding sample…", [], self.lead.show_sampler)
        self._action(view, "Speakers: interviewer or participant…", [], self.lead.show_speakers)
        self._action(view, "Codebook health…", [], self.lead.show_codebook_health)
        codebook_menu = menus.addMenu("Code&book")
        self._action(codebook_menu, "Edit codebook…", [], self.lead.edit_codebook)
        self.example_action = self._action(
            codebook_menu,
            "Use this passage as an example…",
            [EXAMPLE_KEY],
            self.lead.use_passage_as_example,
            "Add the passage (or the selection in it) to a code's examples, in the codebook "
            "editor; saved as a new version only when you save there",
        )
        self._action(
            view,
            "Dashboards (findings and agreement)…",
            ["Ctrl+Shift+D"],
            self.lead.show_dashboards,
        )
        suggestions = menus.addMenu("&Suggestions")
        self._action(suggestions, "Fetch suggestions for this transcript", ["Ctrl+R"], self.refetch)
        self.claude_action = self._action(
            suggestions,
            "Use Claude (sends passages to Anthropic)…",
            [],
            self.lead.toggle_claude,
            "Switch between the local engine and Claude",
        )
        self.claude_action.setCheckable(True)
        self._claude_tip = self.claude_action.toolTip()
        suggestions.setToolTipsVisible(True)  # the tooltip says why Claude is greyed out
        self._action(suggestions, "Claude model…", [], self.lead.choose_claude_model)
        self._action(
            suggestions,
            "Translate this transcript… (sends it to Anthropic)",
            [],
            self.translation.translate_open,
            "Machine-translate the open transcript through Claude, cost shown first",
        )
        self._action(suggestions, "Local engine quality…", [], self.lead.show_local_quality)
        help_menu = menus.addMenu("&Help")
        self._action(help_menu, "Keyboard shortcuts", keys["keyboard shortcuts"], self.show_keys)

    def _connect(self) -> None:
        c = self.controller
        self.navigator.transcript_chosen.connect(self.open_transcript)
        self.passage_view.list.selectionModel().currentChanged.connect(lambda *_: c.row_changed())
        self.delegate.chip_clicked.connect(c.chip_clicked)
        self.codebook_panel.code_activated.connect(c.toggle_code)
        self.cancel_button.clicked.connect(c.cancel_suggestions)
        passages = self.passage_view.list
        passages.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        passages.customContextMenuRequested.connect(self._passage_menu)
        c.saved.connect(self._saved)
        c.failed.connect(self.show_error)
        c.progress_changed.connect(self._update_progress)
        c.suggestions_started.connect(self._suggestions_started)
        c.suggestions_progressed.connect(self._suggestions_progressed)
        c.suggestions_finished.connect(self._suggestions_finished)
        c.decision_made.connect(self._decision_made)
        self.agreement.passage_requested.connect(self.show_passage)
        self.search.passage_requested.connect(self.show_passage)
        self.search.failed.connect(self.show_error)
        self.watcher.decisions_changed.connect(self._others_decided)
        self.watcher.codebook_changed.connect(self._codebook_changed)
        self.watcher.settings_changed.connect(self.settings_changed)
        c.passage_requested.connect(self.show_passage)
        c.announced.connect(self._announce)
        c.chip_focused.connect(self._follow_chip)
        for side in (self.left, self.right):
            side.toggled.connect(lambda _folded: self._balance())
        self._update_undo()

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

    def _saved(self, message: str) -> None:
        self.saved_label.setText(f"✓ {message}")
        self._update_undo()

    def _update_undo(self) -> None:
        session = self.session
        self.undo_action.setEnabled(session.can_undo)
        self.redo_action.setEnabled(session.can_redo)
        set_label(self.undo_action, f"Undo {session.undo_label}" if session.undo_label else "Undo")
        set_label(self.redo_action, f"Redo {session.redo_label}" if session.redo_label else "Redo")

    def _update_progress(self) -> None:
        reviewed, total = self.passage_model.progress()
        self.progress_label.setText(f"Reviewed {reviewed} of {total}")
        self.progress_label.setToolTip(
            f"{reviewed} of {total} passages in this transcript reviewed"
        )
        self._update_undo()

    def _suggestions_started(self) -> None:
        self.engine_label.setText(f"Fetching suggestions ({self.controller.engine.name})…")
        self.engine_progress.setRange(0, 0)
        self.engine_progress.show()
        self.cancel_button.show()

    def _suggestions_progressed(self, done: int, total: int) -> None:
        self.engine_progress.setRange(0, max(1, total))
        self.engine_progress.setValue(done)

    def _suggestions_finished(self, message: str) -> None:
        self.engine_label.setText(message)
        self.engine_progress.hide()
        self.cancel_button.hide()

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
        if self.agreement_dock.isVisible():
            self.agreement_dock.hide()
            return
        if not self.may_see_others():
            self.show_error(
                "Blind coding is on: the agreement panel shows other coders' codes, so only "
                "a lead can open it."
            )
            return
        self.agreement_dock.show()
        self.resizeDocks(
            [self.agreement_dock], [max(260, self.height() // 3)], Qt.Orientation.Vertical
        )
        self.agreement.reload()

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

    def _decision_made(self, passage_id: int) -> None:
        if self.agreement_dock.isVisible():
            self.agreement.decision_made(passage_id)

    def show_search(self) -> None:
        """Open the retrieval dock at a third of the window's height (at least SEARCH_DOCK_MIN):
        the transcript keeps priority. Half the height, as it was, left a 1024x700 window a
        transcript 150 px tall, one card, while a list of passages reads fine in five rows;
        the dock's edge can still be dragged taller."""
        if not self.search_dock.isVisible():
            self.search_dock.show()
            self.resizeDocks(
                [self.search_dock],
                [max(SEARCH_DOCK_MIN, self.height() // 3)],
                Qt.Orientation.Vertical,
            )
        self.search_dock.raise_()
        self.search.focus_query()

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
        return [(keys_text(a), a.text().split("\t")[0]) for a in self.actions() if a.shortcuts()]

    def show_keys(self) -> None:
        lines = [
            f"<tr><td><b>{html.escape(keys)}</b></td><td>{html.escape(text)}</td></tr>"
            for keys, text in self.key_table()
        ]
        QMessageBox.information(
            self, "Keyboard shortcuts", "<table cellpadding=3>" + "".join(lines) + "</table>"
        )

    # -- layout ------------------------------------------------------------------------------------

    def _balance(self) -> None:
        """Share the width: the transcript at least half, the codebook enough for whole code
        names where that fits, the transcript list what is left (folded lists take a strip)."""
        total = max(self.splitter.width(), self.width(), 400)
        half = total // 2
        strip = self.left.strip_width
        room = total - half  # for both side panels
        if self.right.collapsed:
            right = self.right.strip_width
        else:
            floor = strip if self.left.collapsed else 220  # what the list needs beside it
            right = max(240, min(self.codebook_panel.wanted_width(), room - floor))
        left = strip if self.left.collapsed else max(180, min(360, room - right))
        self.splitter.setSizes([left, total - left - right, right])

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        narrow = event.size().width() < FOLD_BELOW
        if narrow and not self._auto_folded:
            self._auto_folded = True
            self.left.set_collapsed(True)
        elif not narrow and self._auto_folded:
            self._auto_folded = False
            self.left.set_collapsed(False)
        self._balance()
        self._fit_hint()

    def _fit_hint(self) -> None:
        """The transcript keeps priority when the retrieval dock shares a small window: the
        three lines of key hints under it (at 1024 px wide) go to the passages instead."""
        crowded = self.search_dock.isVisible() and self.height() < HINT_MIN_HEIGHT
        self.passage_view.hint.setVisible(not crowded)

    def _follow_chip(self, chip: Chip | None) -> None:
        """The details pane shows the highlighted chip's code, and a suggestion's reasons."""
        if chip is None:
            return
        note = chip_note_html(chip.kind, chip.probability, chip.rationale, chip.label)
        self.codebook_panel.follow(chip.code_id, note)

    def _announce(self, message: str) -> None:
        self.saved_label.setText(message)
        self.statusBar().showMessage(message, 8000)

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.controller.cancel_suggestions()
        self.watcher.stop()
        super().closeEvent(event)
