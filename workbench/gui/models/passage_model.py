"""The passages of the open transcript, with the current coder's state and the suggestions.

One transcript is loaded at a time (up to a few thousand passages) and each decision refreshes
only its own row. Each row is handed to the delegate as one ``PassageCard``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from workbench.core.anchoring_arms import AFTER
from workbench.core.session import CodingSession
from workbench.core.store.coding import CodingState
from workbench.core.store.queries import Passage, passages_of
from workbench.core.store.spans import CodedSpan, quote
from workbench.core.store.suggestions import StoredSuggestion, suggestions_for
from workbench.core.store.translations import StoredTranslation
from workbench.gui.models.word_steps import first_word, step
from workbench.gui.translation_view import TranslationView
from workbench.suggest.calibration import Calibration, family, project_calibrations

CardRole = Qt.ItemDataRole.UserRole + 1
PassageIdRole = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Chip:
    """One code shown beside a passage."""

    code_id: str
    kind: str  # "applied", "suggested", "rejected", "other"
    confidence: float | None = None
    suggestion_id: int | None = None
    evidence: tuple[int, int] | None = None  # offsets in the passage text
    label: str = ""  # for "other": the coder's name
    # The calibrated probability a coder applies it (calibration.py); None: not calibrated yet,
    # and the chip says "uncalibrated" rather than show the raw score as a percentage.
    probability: float | None = None
    rationale: str = ""  # the engine's reason, shown when the chip is highlighted
    # For an applied code: the selections it was coded on (transcript offsets) and their words.
    spans: tuple[tuple[int, int], ...] = ()
    quotes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PassageCard:
    passage: Passage
    state: CodingState
    chips: tuple[Chip, ...]
    focused_chip: int | None = None
    memo: str = ""
    suggestions_hidden: bool = False  # "suggestions after first pass" and not yet reviewed
    expanded: bool = True  # context turns are shortened unless they are the current row
    evidence_spans: tuple[tuple[int, int], ...] = field(default=())
    translation: StoredTranslation | None = None  # shown under the original when switched on
    # The coder's coded selections, passage-relative: (start, end, code id), drawn underlined.
    coded_spans: tuple[tuple[int, int, str], ...] = ()
    selection: tuple[int, int] | None = None  # text selected in this passage, passage-relative
    # The coder's memos on selections, passage-relative: (start, end, text), in text order; the
    # card marks their words and lists them under the passage's memo.
    span_memos: tuple[tuple[int, int, str], ...] = ()


class PassageListModel(QAbstractListModel):
    def __init__(self, session: CodingSession, parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._session = session
        self._passages: list[Passage] = []
        self._row_of: dict[int, int] = {}
        self._states: dict[int, CodingState] = {}
        self._suggestions: dict[int, list[StoredSuggestion]] = {}
        self._rejected: set[int] = set()
        self._memos: dict[int, str] = {}
        self._span_memos: dict[int, list[tuple[int, int, str]]] = {}
        self._others: dict[int, dict[str, set[str]]] = {}
        self._calibrations: dict[tuple[str, str], Calibration] = {}
        self._focus: tuple[int, int] | None = None  # (row, chip index)
        self._current_row = -1
        self._spans: dict[int, list[CodedSpan]] = {}
        self._selection: tuple[int, int, int] | None = None  # (row, start, end), passage-relative
        self.transcript_id: int | None = None
        self.translations = TranslationView(session.project)
        # Each decision records whether the passage's translation was on screen when made.
        session.translation_shown = self.translations.shown_for

    # -- loading ------------------------------------------------------------------------------------

    def load(self, transcript_id: int | None) -> None:
        self.beginResetModel()
        self.transcript_id = transcript_id
        self._passages = []
        if transcript_id is not None:
            with self._session.project.reading() as conn:
                self._passages = list(passages_of(conn, [transcript_id]))
        self._row_of = {p.id: row for row, p in enumerate(self._passages)}
        coded = [p.id for p in self._passages if p.coded]
        self._states = self._session.states(coded)
        self._rejected = self._session.rejected_suggestions(coded)
        self._memos = self._session.memos(coded)
        self._span_memos = self._read_span_memos(coded)
        self._spans = self._session.coded_spans(coded)
        self._selection = None
        settings = self._session.project.settings
        self._others = {} if settings.blind_coding else self._session.others_codes(coded)
        self._suggestions = {}
        self.reload_suggestions()
        self.translations.load(
            self._passages[0].transcript_id if self._passages else None,
            [p.id for p in self._passages],
        )
        self._focus = None
        self.endResetModel()

    def reload_translations(self) -> None:
        """Re-read the open transcript's translations (after translating, or a language change)."""
        self.translations.load(
            self._passages[0].transcript_id if self._passages else None,
            [p.id for p in self._passages],
        )
        if self._passages:
            self.dataChanged.emit(self.index(0), self.index(len(self._passages) - 1))

    def set_translation_visible(self, visible: bool) -> None:
        """Show or hide the machine translation under every passage (the coder's toggle)."""
        self.translations.visible = visible
        if self._passages:  # every card changes height
            self.dataChanged.emit(self.index(0), self.index(len(self._passages) - 1))

    def reload_suggestions(self) -> None:
        codebook = self._session.project.codebook
        version = codebook.version if codebook else None
        with self._session.project.reading() as conn:
            self._suggestions = suggestions_for(
                conn, [p.id for p in self._passages if p.coded], version
            )
        # Recomputed with the suggestions: cheap next to them, and it follows every decision.
        self._calibrations = project_calibrations(self._session.project)
        if self._passages:
            self.dataChanged.emit(self.index(0), self.index(len(self._passages) - 1))

    def refresh_passage(self, passage_id: int) -> None:
        """Re-read one passage's state after a decision, undo or memo."""
        row = self._row_of.get(passage_id)
        if row is None:
            return
        self._states.update(self._session.states([passage_id]))
        self._rejected -= {s.id for s in self._suggestions.get(passage_id, [])}
        self._rejected |= self._session.rejected_suggestions([passage_id])
        self._memos.pop(passage_id, None)
        self._memos.update(self._session.memos([passage_id]))
        self._span_memos.pop(passage_id, None)
        self._span_memos.update(self._read_span_memos([passage_id]))
        self._spans.pop(passage_id, None)
        self._spans.update(self._session.coded_spans([passage_id]))
        self.dataChanged.emit(self.index(row), self.index(row))

    def _read_span_memos(self, passage_ids: list[int]) -> dict[int, list[tuple[int, int, str]]]:
        """This coder's memos on selections per passage, in transcript offsets and text order."""
        found: dict[int, list[tuple[int, int, str]]] = {}
        for (passage_id, start, end), text in self._session.span_memos(passage_ids).items():
            found.setdefault(passage_id, []).append((start, end, text))
        return {pid: sorted(memos) for pid, memos in found.items()}

    # -- the text selection ------------------------------------------------------------------------

    def set_selection(self, row: int, start: int, end: int) -> None:
        """Select characters ``start``..``end`` of a passage's text (either order; empty clears)."""
        old = self._selection
        passage = self.passage(row)
        if passage is None or not passage.coded or start == end:
            self._selection = None
        else:
            low, high = sorted((start, end))
            self._selection = (row, max(0, low), min(len(passage.text), high))
        for changed in {old[0] if old else None, row}:
            if changed is not None and 0 <= changed < len(self._passages):
                self.dataChanged.emit(self.index(changed), self.index(changed))

    def step_selection(self, row: int, edge: str, forward: bool) -> bool:
        """Move the selection's ``edge`` ("start" or "end") one word in the passage at ``row``
        (the keyboard's way to select); with no selection there, select its first word.
        False when the passage has nothing to select (an interviewer turn, no words)."""
        passage = self.passage(row)
        if passage is None or not passage.coded:
            return False
        if self._selection is None or self._selection[0] != row:
            word = first_word(passage.text)
            if word is None:
                return False
            self.set_selection(row, *word)
            return True
        _row, start, end = self._selection
        self.set_selection(row, *step(passage.text, start, end, edge, forward))
        return True

    def clear_selection(self) -> None:
        if self._selection is not None:
            row = self._selection[0]
            self._selection = None
            self.dataChanged.emit(self.index(row), self.index(row))

    def selection(self) -> tuple[Passage, int, int] | None:
        """The selected passage and the selection in transcript offsets, as spans are stored."""
        if self._selection is None:
            return None
        row, start, end = self._selection
        passage = self._passages[row]
        return passage, passage.start + start, passage.start + end

    # -- chips and focus -------------------------------------------------------------------------------

    def chips(self, row: int) -> tuple[Chip, ...]:
        passage = self._passages[row]
        if not passage.coded:
            return ()
        state = self._states.get(passage.id, CodingState(False, frozenset()))
        chips: list[Chip] = []
        shown = set()
        suggestions = [] if self.suggestions_hidden(row) else self._suggestions.get(passage.id, [])
        by_code = {s.code_id: s for s in suggestions}
        spans = self._spans.get(passage.id, [])
        for code in sorted(state.codes):
            s = by_code.get(code)
            mine = [span for span in spans if span.code_id == code]
            chips.append(
                Chip(
                    code,
                    "applied",
                    s.confidence if s else None,
                    s.id if s else None,
                    _span(s) if s else None,
                    probability=self._probability(s) if s else None,
                    rationale=(s.rationale or "") if s else "",
                    spans=tuple((span.start, span.end) for span in mine),
                    quotes=tuple(
                        quote(passage.text[span.start - passage.start : span.end - passage.start])
                        for span in mine
                    ),
                )
            )
            shown.add(code)
        for s in suggestions:
            if s.code_id in shown:
                continue
            shown.add(s.code_id)
            kind = "rejected" if s.id in self._rejected else "suggested"
            chips.append(
                Chip(
                    s.code_id,
                    kind,
                    s.confidence,
                    s.id,
                    _span(s),
                    probability=self._probability(s),
                    rationale=s.rationale or "",
                )
            )
        for coder, codes in sorted(self._others.get(passage.id, {}).items()):
            chips.extend(Chip(code, "other", label=coder) for code in sorted(codes))
        return tuple(chips)

    def _probability(self, suggestion: StoredSuggestion) -> float | None:
        calibration = self._calibrations.get((suggestion.engine, family(suggestion.model)))
        return calibration.probability(suggestion.confidence) if calibration else None

    def suggestions_hidden(self, row: int) -> bool:
        settings = self._session.project.settings
        passage = self._passages[row]
        after = settings.suggestions_after_first_pass or (
            self._session.arm(passage.id) == AFTER  # the anchoring experiment's "after" arm
        )
        return after and not self._states.get(passage.id, CodingState(False, frozenset())).reviewed

    def set_focus(self, row: int, chip: int | None) -> None:
        old = self._focus
        old_row = self._current_row
        self._focus = (row, chip) if chip is not None else None
        self._current_row = row
        for changed in {old[0] if old else None, old_row, row}:
            if changed is not None and 0 <= changed < len(self._passages):
                self.dataChanged.emit(self.index(changed), self.index(changed))

    def focused_chip(self, row: int) -> int | None:
        if self._focus and self._focus[0] == row:
            chips = self.chips(row)
            return self._focus[1] if self._focus[1] < len(chips) else None
        return None

    # -- the model interface ------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._passages)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
        if not index.isValid() or not 0 <= index.row() < len(self._passages):
            return None
        row = index.row()
        passage = self._passages[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{passage.speaker or ''}: {passage.text}" if passage.speaker else passage.text
        if role == PassageIdRole:
            return passage.id
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{passage.key} · characters {passage.start}–{passage.end}"
        if role == CardRole:
            chips = self.chips(row)
            focused = self.focused_chip(row)
            spans = tuple(
                c.evidence for c in chips if c.evidence and c.kind in ("suggested", "applied")
            )
            return PassageCard(
                passage=passage,
                state=self._states.get(passage.id, CodingState(False, frozenset())),
                chips=chips,
                focused_chip=focused,
                memo=self._memos.get(passage.id, ""),
                suggestions_hidden=passage.coded and self.suggestions_hidden(row),
                expanded=passage.coded or row == self._current_row,
                evidence_spans=spans,
                translation=self.translations.shown(passage.id),
                coded_spans=tuple(
                    (span.start - passage.start, span.end - passage.start, span.code_id)
                    for span in self._spans.get(passage.id, [])
                ),
                span_memos=tuple(
                    (start - passage.start, end - passage.start, text)
                    for start, end, text in self._span_memos.get(passage.id, [])
                ),
                selection=(
                    self._selection[1:]
                    if self._selection is not None and self._selection[0] == row
                    else None
                ),
            )
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # -- helpers -----------------------------------------------------------------------------------------

    def passage(self, row: int) -> Passage | None:
        return self._passages[row] if 0 <= row < len(self._passages) else None

    def row_of(self, passage_id: int) -> int | None:
        return self._row_of.get(passage_id)

    def coded_rows(self) -> list[int]:
        return [row for row, p in enumerate(self._passages) if p.coded]

    def is_reviewed(self, row: int) -> bool:
        passage = self._passages[row]
        return self._states.get(passage.id, CodingState(False, frozenset())).reviewed

    def progress(self) -> tuple[int, int]:
        coded = [p.id for p in self._passages if p.coded]
        return sum(
            1 for pid in coded if self._states.get(pid, CodingState(False, frozenset())).reviewed
        ), len(coded)


def _span(suggestion: StoredSuggestion) -> tuple[int, int] | None:
    if (
        suggestion.evidence_found
        and suggestion.evidence_start is not None
        and suggestion.evidence_end is not None
    ):
        return (suggestion.evidence_start, suggestion.evidence_end)
    return None
