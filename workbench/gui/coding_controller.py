"""What the coder's keys and clicks do: turns them into session commands and keeps views in step.

The controller owns no widgets' layout; it is handed the models and the passage list view and
calls the core ``CodingSession`` for every decision (written at once). Suggestions are fetched
on a worker thread; the window stays responsive however slow the engine is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QListView, QMenu, QWidget

from workbench.core.errors import WorkbenchError
from workbench.core.session import CodingSession
from workbench.core.store import Project
from workbench.core.store.coder_state import code_counts_of_coder
from workbench.core.store.queries import passage_keys_for_ids
from workbench.core.tasks import CancelToken, Progress
from workbench.gui.dialogs.code_picker import CodePickerDialog
from workbench.gui.dialogs.text_dialogs import MemoDialog
from workbench.gui.models.codebook_model import CodebookTreeModel
from workbench.gui.models.passage_model import Chip, PassageListModel
from workbench.gui.models.transcript_model import TranscriptTableModel
from workbench.gui.workers import Task, start_task
from workbench.suggest.engine import EngineSource, SuggestionEngine, check_engine
from workbench.suggest.runner import SuggestionRun, run_suggestions

log = logging.getLogger(__name__)


class CodingController(QObject):
    saved = Signal(str)  # a human-readable "saved" message
    failed = Signal(str)  # an error for the window's one error place
    suggestions_started = Signal()
    suggestions_progressed = Signal(int, int)
    suggestions_finished = Signal(str)
    progress_changed = Signal()
    decision_made = Signal(int)  # passage id
    announced = Signal(str)  # what undo or redo did, or is about to do, for the status bar
    passage_requested = Signal(str)  # a passage key to put in front of the coder
    chip_focused = Signal(object)  # the highlighted Chip, or None: the details pane follows it

    def __init__(
        self,
        session: CodingSession,
        engine: SuggestionEngine | EngineSource,
        passages: PassageListModel,
        transcripts: TranscriptTableModel,
        codebook_model: CodebookTreeModel,
        view: QListView,
        dialog_parent: QWidget,
    ):
        super().__init__(dialog_parent)
        self.session = session
        self.engine = engine if isinstance(engine, EngineSource) else check_engine(engine)
        self.passages = passages
        self.transcripts = transcripts
        self.codebook_model = codebook_model
        self.view = view
        self.dialog_parent = dialog_parent
        self.task: Task | None = None
        self.closed = False  # set as the window closes: late worker results are dropped
        # whether a passage outside the open transcript is on screen elsewhere (the retrieval
        # view): undo then takes the step at once instead of first showing the passage
        self.in_sight: Callable[[int], bool] = lambda _passage_id: False
        self._chip = 0
        self._counts_timer = QTimer(self, singleShot=True, interval=150)
        self._counts_timer.timeout.connect(self.refresh_counts)
        session.subscribe(self._passage_changed)
        self.refresh_counts()

    # -- transcripts and suggestions --------------------------------------------------------------

    def open_transcript(self, transcript_id: int) -> None:
        self.cancel_suggestions()
        self.passages.load(transcript_id)
        coded = self.passages.coded_rows()
        if coded:
            self.go_to_row(coded[0])
        self.fetch_suggestions(transcript_id)
        self.progress_changed.emit()

    def fetch_suggestions(self, transcript_id: int) -> None:
        """Run the engine for the open transcript in the background (cached passages are skipped).

        A read-only project shows the suggestions it holds: running the engine would store more.
        """
        if self.session.project.read_only:
            self.suggestions_finished.emit("Read-only: showing the suggestions already stored")
            return
        self.suggestions_started.emit()
        self.task = start_task(
            _suggest,
            self.session.project,
            self.engine,
            transcript_id,
            owner=self,
            on_done=lambda run: self._suggestions_done(transcript_id, run),
            on_error=self._suggestions_failed,
            on_progress=lambda done, total, _what: self._unless_closed(
                self.suggestions_progressed.emit, done, total
            ),
            on_cancelled=lambda: self._unless_closed(
                self.suggestions_finished.emit, "Suggestions cancelled"
            ),
        )

    def _unless_closed(self, signal_emit: Callable[..., object], *args: object) -> None:
        if not self.closed:
            signal_emit(*args)

    def _suggestions_done(self, transcript_id: int, run: SuggestionRun) -> None:
        if self.closed:  # the worker finished as the window closed: its models are going
            return
        if self.passages.transcript_id == transcript_id:
            self.passages.reload_suggestions()
            self._refocus()
        if run.suggestions or run.skipped_cached:
            message = f"{self.engine.name} engine: {run.suggestions} new suggestions"
            if run.skipped_cached:
                message += f", {run.skipped_cached} passages already done"
        else:
            message = f"{self.engine.name} engine: no suggestions for this transcript"
        self.suggestions_finished.emit(message)

    def _suggestions_failed(self, message: str) -> None:
        if self.closed:
            return
        self.suggestions_finished.emit("Suggestions failed")
        self.failed.emit(f"Suggestions could not be made: {message}")

    def cancel_suggestions(self) -> None:
        if self.task is not None and not self.task.done:
            self.task.cancel()

    def close(self) -> None:
        """The window is closing: cancel the engine and ignore a result already on its way.

        A task marks itself done on its worker thread before its result reaches this thread,
        so a result can arrive after the window closed, for models Qt has deleted."""
        self.closed = True
        self.cancel_suggestions()

    @property
    def suggesting(self) -> bool:
        return self.task is not None and not self.task.done

    # -- moving around ----------------------------------------------------------------------------------

    def current_row(self) -> int:
        index = self.view.currentIndex()
        return index.row() if index.isValid() else -1

    def go_to_row(self, row: int) -> None:
        if 0 <= row < self.passages.rowCount():
            index = self.passages.index(row)
            self.view.setCurrentIndex(index)
            self.view.scrollTo(index)
            self._chip = 0
            self._refocus()

    def row_changed(self) -> None:
        self._chip = 0
        self._refocus()

    def move(self, step: int) -> None:
        """Next or previous passage to code (interviewer turns are skipped: they are context)."""
        coded = self.passages.coded_rows()
        row = self.current_row()
        candidates = [r for r in coded if (r > row if step > 0 else r < row)]
        if candidates:
            self.go_to_row(candidates[0] if step > 0 else candidates[-1])

    def next_unreviewed(self) -> None:
        coded = self.passages.coded_rows()
        row = self.current_row()
        ordered = [r for r in coded if r > row] + [r for r in coded if r <= row]
        target = next((r for r in ordered if not self.passages.is_reviewed(r)), None)
        if target is not None:
            self.go_to_row(target)

    def move_chip(self, step: int) -> None:
        row = self.current_row()
        chips = self.passages.chips(row) if row >= 0 else ()
        if chips:
            self._chip = (self._chip + step) % len(chips)
            self._refocus()

    def _refocus(self) -> None:
        row = self.current_row()
        chips = self.passages.chips(row) if row >= 0 else ()
        if not chips:
            self.passages.set_focus(row, None)
            self.chip_focused.emit(None)
            return
        self._chip = min(self._chip, len(chips) - 1)
        self.passages.set_focus(row, self._chip)
        self.chip_focused.emit(chips[self._chip])

    # -- decisions -------------------------------------------------------------------------------------------

    def _act(self, action: Callable[[], object]) -> bool:
        try:
            action()
        except WorkbenchError as exc:
            self.failed.emit(str(exc))
            return False
        except Exception as exc:  # a database failure: nothing was written; say so plainly
            log.exception("decision failed")
            self.failed.emit(f"The decision was not saved: {exc}")
            return False
        return True

    def _current(self) -> tuple[int, int] | None:
        row = self.current_row()
        passage = self.passages.passage(row)
        if passage is None or not passage.coded:
            return None
        return row, passage.id

    def _focused(self) -> tuple[int, Chip] | None:
        """The passage being coded and its highlighted chip, if there is one."""
        current = self._current()
        if current is None:
            return None
        row, passage_id = current
        chips = self.passages.chips(row)
        if not chips:
            return None
        return passage_id, chips[min(self._chip, len(chips) - 1)]

    def accept_focused(self) -> None:
        focused = self._focused()
        if focused is None:
            return
        passage_id, chip = focused
        if chip.kind in ("suggested", "rejected", "other"):
            self._act(lambda: self.session.apply_code(passage_id, chip.code_id, chip.suggestion_id))

    def accept_all(self) -> None:
        current = self._current()
        if current is None:
            return
        row, passage_id = current
        pending = [
            (c.suggestion_id, c.code_id) for c in self.passages.chips(row) if c.kind == "suggested"
        ]
        if pending and self._act(lambda: self.session.accept_all(passage_id, pending)):
            self.move(1)

    def reject_focused(self) -> None:
        focused = self._focused()
        if focused is None:
            return
        passage_id, chip = focused
        if chip.kind == "applied":
            self._act(lambda: self.session.remove_code(passage_id, chip.code_id))
        elif chip.kind == "suggested" and chip.suggestion_id is not None:
            self._act(lambda: self.session.reject(passage_id, chip.suggestion_id, chip.code_id))

    def _selected(self) -> tuple[int, int, int] | None:
        """(passage id, start, end) of text selected in the passage being coded, in
        transcript offsets; None when nothing is selected there."""
        current = self._current()
        selection = self.passages.selection()
        if current is None or selection is None or selection[0].id != current[1]:
            return None
        return current[1], selection[1], selection[2]

    def select_words(self, edge: str, forward: bool) -> None:
        """Select words in the current passage from the keyboard: move the selection's end
        (``edge="end"``) or start one word; the first press takes the passage's first word."""
        row = self.current_row()
        if not self.passages.step_selection(row, edge, forward):
            self.announced.emit("Move to a passage to code first (J/K): it has no words to select")
            return
        selected = self._selected()
        if selected is not None:
            passage_id, start, end = selected
            words = self.session.quote_span(passage_id, start, end)
            self.announced.emit(f"Selected {words}: a code's key or / codes it")

    def code_selection(self, code_id: str | None = None) -> None:
        """Code the selected words (with the picker when no code is given); undoable."""
        selected = self._selected()
        codebook = self.session.project.codebook
        if selected is None:
            self.announced.emit("Select words in the passage first (drag over them)")
            return
        if code_id is None:
            if codebook is None:
                return
            dialog = CodePickerDialog(
                codebook, title="Code the selection with…", parent=self.dialog_parent
            )
            if not (dialog.exec() and dialog.chosen):
                return
            code_id = dialog.chosen
        passage_id, start, end = selected
        chosen = code_id
        if self._act(lambda: self.session.code_span(passage_id, chosen, start, end)):
            self.passages.clear_selection()

    def accept_evidence_as_span(self) -> None:
        """Accept the highlighted suggestion as a coded selection: its evidence quote."""
        focused = self._focused()
        current = self._current()
        if focused is None or current is None:
            return
        passage_id, chip = focused
        passage = self.passages.passage(current[0])
        if chip.suggestion_id is None or chip.evidence is None or passage is None:
            self.announced.emit("The highlighted chip has no evidence quote to code")
            return
        suggestion, evidence, start = chip.suggestion_id, chip.evidence, passage.start
        self._act(
            lambda: self.session.accept_as_span(
                passage_id, suggestion, chip.code_id, start, evidence
            )
        )

    def remove_focused_span(self, span: tuple[int, int] | None = None) -> None:
        """Take one coded selection of the highlighted code back: ``span``, else the one the
        text selection touches, else its first. The code stays on the passage."""
        focused = self._focused()
        if focused is None:
            return
        passage_id, chip = focused
        if chip.kind != "applied" or not chip.spans:
            self.announced.emit("The highlighted code is not coded on a selection")
            return
        if span is None:
            selected = self._selected()
            touching = [
                s for s in chip.spans if selected and s[0] < selected[2] and selected[1] < s[1]
            ]
            span = (touching or list(chip.spans))[0]
        start, end = span
        self._act(lambda: self.session.remove_span(passage_id, chip.code_id, start, end))

    def toggle_code(self, code_id: str) -> None:
        current = self._current()
        if current is None:
            return
        if self._selected() is not None:  # a code's key on selected words codes just them
            self.code_selection(code_id)
            return
        row, passage_id = current
        chips = self.passages.chips(row)
        if any(c.code_id == code_id and c.kind == "applied" for c in chips):
            self._act(lambda: self.session.remove_code(passage_id, code_id))
            return
        suggestion = next(
            (c.suggestion_id for c in chips if c.code_id == code_id and c.suggestion_id), None
        )
        self._act(lambda: self.session.apply_code(passage_id, code_id, suggestion))

    def pick_code(self) -> None:
        codebook = self.session.project.codebook
        if self._current() is None or codebook is None:
            return
        title = "Code the selection with…" if self._selected() is not None else "Apply a code"
        dialog = CodePickerDialog(codebook, title=title, parent=self.dialog_parent)
        if dialog.exec() and dialog.chosen:
            self.toggle_code(dialog.chosen)

    def replace_focused(self) -> None:
        """Swap the focused code or suggestion for one chosen in the picker."""
        current = self._current()
        codebook = self.session.project.codebook
        if current is None or codebook is None:
            return
        row, passage_id = current
        chips = self.passages.chips(row)
        if not chips:
            self.pick_code()
            return
        chip = chips[min(self._chip, len(chips) - 1)]
        dialog = CodePickerDialog(
            codebook, title=f"Replace {chip.code_id} with…", parent=self.dialog_parent
        )
        if dialog.exec() and dialog.chosen and dialog.chosen != chip.code_id:
            chosen = dialog.chosen
            suggestion = chip.suggestion_id if chip.kind == "suggested" else None
            self._act(
                lambda: self.session.replace_code(passage_id, chip.code_id, chosen, suggestion)
            )

    def no_code(self) -> None:
        current = self._current()
        if current is not None and self._act(lambda: self.session.mark_no_code(current[1])):
            self.move(1)

    def edit_memo(self) -> None:
        current = self._current()
        if current is None:
            return
        row, passage_id = current
        passage = self.passages.passage(row)
        selected = self._selected()
        if selected is not None:  # a memo on the selected words
            span = (selected[1], selected[2])
            existing = self.session.span_memos([passage_id]).get((passage_id, *span), "")
            title = f"{passage.key if passage else ''} {self.session.quote_span(passage_id, *span)}"
            dialog = MemoDialog(title, existing, self.dialog_parent)
            if dialog.exec():
                self._act(lambda: self.session.save_memo(passage_id, dialog.text, span))
            return
        existing = self.session.memos([passage_id]).get(passage_id, "")
        dialog = MemoDialog(passage.key if passage else "", existing, self.dialog_parent)
        if dialog.exec():
            self._act(lambda: self.session.save_memo(passage_id, dialog.text))

    def undo(self) -> None:
        self._step(undo=True)

    def redo(self) -> None:
        self._step(undo=False)

    def _step(self, undo: bool) -> None:
        """Undo or redo, never out of sight: a step on a passage of another transcript first
        brings that passage up and says so; the next press takes the step.

        A step in the open transcript is taken at once, and the passage it changed is shown.
        Either way the status bar names the step and the passage.
        """
        session = self.session
        passage_id = session.undo_passage if undo else session.redo_passage
        label = session.undo_label if undo else session.redo_label
        verb = "Undo" if undo else "Redo"
        if passage_id is None:
            self.announced.emit(f"Nothing to {verb.lower()}")
            return
        key = self._key_of(passage_id)
        if self.passages.row_of(passage_id) is None and not self.in_sight(passage_id):
            self.passage_requested.emit(key)
            self.announced.emit(
                f"{verb} will change {key} ({label}), shown now: press again to {verb.lower()} it"
            )
            return
        if not self._act(session.undo if undo else session.redo):
            return
        row = self.passages.row_of(passage_id)
        if row is not None and row != self.current_row():
            self.go_to_row(row)
        self.announced.emit(f"{'Undone' if undo else 'Redone'}: {label} on {key}")

    def _key_of(self, passage_id: int) -> str:
        row = self.passages.row_of(passage_id)
        passage = self.passages.passage(row) if row is not None else None
        if passage is not None:
            return passage.key
        with self.session.project.reading() as conn:
            return passage_keys_for_ids(conn, [passage_id]).get(passage_id, str(passage_id))

    def chip_clicked(self, row: int, chip: int, button: int) -> None:
        """Click accepts a suggestion (or removes an applied code); right-click rejects."""
        self.go_to_row(row)
        self._chip = chip
        self._refocus()
        chips = self.passages.chips(row)
        if chips[chip].kind == "applied" and chips[chip].spans:
            self.span_menu(chips[chip])  # which selection, or the whole code: the coder says
        elif button == 2 or chips[chip].kind == "applied":  # right button
            self.reject_focused()
        else:
            self.accept_focused()

    def span_menu(self, chip: Chip) -> None:
        """The menu of a code coded on selections: remove one of them, or the code."""
        menu = QMenu(self.dialog_parent)
        for span, words in zip(chip.spans, chip.quotes, strict=True):
            action = menu.addAction(f"Remove {chip.code_id} from {words}")
            action.triggered.connect(lambda _=False, s=span: self.remove_focused_span(s))
        menu.addSeparator()
        whole = menu.addAction(f"Remove {chip.code_id} from the passage (all its selections)")
        whole.triggered.connect(self.reject_focused)
        menu.exec(QCursor.pos())

    # -- after each decision -----------------------------------------------------------------------------

    def _passage_changed(self, passage_id: int) -> None:
        self.passages.refresh_passage(passage_id)
        if self.passages.transcript_id is not None:
            self.transcripts.refresh_progress(self.passages.transcript_id)
        self._refocus()
        self._counts_timer.start()
        label = self.session.undo_label
        self.saved.emit(f"Saved: {label}" if label else "Saved")
        self.progress_changed.emit()
        self.decision_made.emit(passage_id)

    def refresh_counts(self) -> None:
        with self.session.project.reading() as conn:
            counts = code_counts_of_coder(conn, self.session.coder_id)
        self.codebook_model.set_counts(counts)


def _suggest(
    project: Project,
    engine: SuggestionEngine | EngineSource,
    transcript_id: int,
    progress: Progress,
    cancel: CancelToken,
) -> SuggestionRun:
    """Background function: never touches a widget. Engines that learn are (re)trained here."""
    if isinstance(engine, EngineSource):
        engine = engine.resolve()
    return run_suggestions(project, engine, [transcript_id], progress=progress, cancel=cancel)
