"""A coder's session: decisions as undoable commands, each written the moment it is made.

Commands follow the do/undo shape (as in glue's command stack). ``do`` appends decisions and
commits; ``undo`` appends the decisions that restore the state before, each pointing at the
decision it reverts, and commits. Nothing is ever deleted from the log, and nothing shown as
saved is held in memory only. Listeners are told which passage changed, so views refresh one
row rather than reload.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from workbench.core.anchoring_arms import Experiment, assign_arms, transcript_frame
from workbench.core.errors import DecisionError
from workbench.core.roles import RoleError, may_see_others
from workbench.core.store import Connection, Project
from workbench.core.store.audit import append_audit
from workbench.core.store.coder_state import (
    coder_states,
    other_humans_codes,
    rejected_suggestion_ids,
)
from workbench.core.store.coding import (
    CoderKind,
    CodingState,
    DecisionAction,
    coding_state,
    ensure_coder,
    find_coder,
    record_decision,
)
from workbench.core.store.memos import (
    memo_history,
    memos_of_coder,
    span_memos_of_coder,
    write_memo,
)
from workbench.core.store.queries import passages_to_code
from workbench.core.store.spans import (
    CodedSpan,
    Span,
    check_span,
    coded_spans,
    quote,
    span_text,
)

# Coder ids start at 1, so this one matches no row: a read-only look by a coder the project has
# never seen shows no decisions as its own.
NO_CODER_ID = 0


@dataclass
class Command:
    """One undoable coding action on one passage."""

    passage_id: int
    label: str
    apply_codes: tuple[str, ...] = ()
    remove_codes: tuple[str, ...] = ()
    no_code: bool = False
    reject_suggestion: int | None = None
    suggestion_for: dict[str, int] = field(default_factory=dict)  # code -> suggestion id
    before: CodingState | None = None
    decision_ids: list[int] = field(default_factory=list)
    arm: str | None = None  # the anchoring experiment's arm of this coder and passage
    translation_shown: bool | None = None  # its machine translation on screen (None: has none)
    apply_spans: tuple[Span, ...] = ()  # (code, start, end): selections coded inside the passage
    remove_spans: tuple[Span, ...] = ()

    def do(self, conn: Connection, coder_id: int, codebook_version: int | None) -> None:
        self.before = coding_state(conn, self.passage_id, coder_id)
        self.decision_ids = []

        def write(
            action: DecisionAction,
            code: str | None = None,
            suggestion: int | None = None,
            span: Span | None = None,
        ) -> None:
            self.decision_ids.append(
                record_decision(
                    conn,
                    self.passage_id,
                    coder_id,
                    action,
                    code,
                    suggestion_id=suggestion,
                    codebook_version=codebook_version,
                    arm=self.arm,
                    translation_shown=self.translation_shown,
                    span_start=span[1] if span else None,
                    span_end=span[2] if span else None,
                )
            )

        if self.reject_suggestion is not None:
            write(
                DecisionAction.REJECT,
                self.remove_codes[0] if self.remove_codes else None,
                self.reject_suggestion,
            )
        if self.no_code:
            write(DecisionAction.NO_CODE)
        for code in self.remove_codes:
            if code in self.before.codes:
                write(DecisionAction.REMOVE, code)
        for code in self.apply_codes:
            write(DecisionAction.APPLY, code, self.suggestion_for.get(code))
        for span in self.remove_spans:
            if span in self.before.spans:
                write(DecisionAction.REMOVE, span[0], span=span)
        for span in self.apply_spans:
            write(DecisionAction.APPLY, span[0], self.suggestion_for.get(span[0]), span)

    def undo(self, conn: Connection, coder_id: int, codebook_version: int | None) -> None:
        """Restore the state before ``do`` with new decisions that name what they revert."""
        assert self.before is not None, "undo before do"
        now = coding_state(conn, self.passage_id, coder_id)
        reverts = self.decision_ids[0] if self.decision_ids else None

        def write(
            action: DecisionAction, code: str | None = None, span: Span | None = None
        ) -> None:
            record_decision(
                conn,
                self.passage_id,
                coder_id,
                action,
                code,
                codebook_version=codebook_version,
                reverts_id=reverts,
                reason="undo",
                arm=self.arm,
                translation_shown=self.translation_shown,
                span_start=span[1] if span else None,
                span_end=span[2] if span else None,
            )

        write(DecisionAction.REVERT)
        for code in sorted(now.codes - self.before.codes):
            write(DecisionAction.REMOVE, code)  # its spans go with it
        for span in sorted(now.spans - self.before.spans):
            if span[0] in self.before.codes:
                write(DecisionAction.REMOVE, span[0], span)
        for code in sorted(self.before.codes - now.codes):
            write(DecisionAction.APPLY, code)
        for span in sorted(self.before.spans - now.spans):
            write(DecisionAction.APPLY, span[0], span)
        if not self.before.reviewed and coding_state(conn, self.passage_id, coder_id).reviewed:
            write(DecisionAction.UNREVIEW)


@dataclass
class MemoCommand:
    """Saving a memo, undoable like a decision: undo appends the text it had before.

    Both ways append a memo row, so the memo's history keeps every text it has had.
    """

    passage_id: int
    text: str
    label: str = "memo"
    before: str | None = None
    span: tuple[int, int] | None = None  # a memo on a selection (transcript offsets)

    def do(self, conn: Connection, coder_id: int, codebook_version: int | None) -> None:
        if self.before is None:
            self.before = _current_memo(conn, coder_id, self.passage_id, self.span)
        write_memo(conn, self.passage_id, coder_id, self.text, self.span)

    def undo(self, conn: Connection, coder_id: int, codebook_version: int | None) -> None:
        assert self.before is not None, "undo before do"
        write_memo(conn, self.passage_id, coder_id, self.before, self.span)


def _current_memo(
    conn: Connection, coder_id: int, passage_id: int, span: tuple[int, int] | None
) -> str:
    if span is None:
        return memos_of_coder(conn, coder_id, [passage_id]).get(passage_id, "")
    return span_memos_of_coder(conn, coder_id, [passage_id]).get((passage_id, *span), "")


@dataclass
class CommandGroup:
    """Commands on several passages taken as one step: recoding a selection in the retrieval
    view is one act for the coder, so one Ctrl+Z takes all of it back."""

    commands: list[Command]
    label: str

    @property
    def passage_id(self) -> int:
        """The first passage: the one undo names and shows."""
        return self.commands[0].passage_id

    @property
    def passage_ids(self) -> list[int]:
        return [command.passage_id for command in self.commands]

    def do(self, conn: Connection, coder_id: int, codebook_version: int | None) -> None:
        for command in self.commands:
            command.do(conn, coder_id, codebook_version)

    def undo(self, conn: Connection, coder_id: int, codebook_version: int | None) -> None:
        for command in reversed(self.commands):
            command.undo(conn, coder_id, codebook_version)


AnyCommand = Command | MemoCommand | CommandGroup
# what ``_do`` hands back is the command it was given, of the same kind
_Cmd = TypeVar("_Cmd", bound=AnyCommand)

Listener = Callable[[int], None]  # called with the passage id that changed
# passage id -> whether its machine translation is on screen (None: it has none)
TranslationShown = Callable[[int], bool | None]


class CodingSession:
    """What one coder does in one project: commands, undo and redo, and change notifications."""

    def __init__(self, project: Project, coder: str):
        self.project = project
        if project.read_only:  # a look, not a session: the coder is not created
            with project.reading() as conn:
                found = find_coder(conn, coder)
            self.coder_id = NO_CODER_ID if found is None else found
        else:
            with project.transaction() as conn:
                self.coder_id = ensure_coder(conn, coder, CoderKind.HUMAN)
        self.coder = coder
        self._undo: list[AnyCommand] = []
        self._redo: list[AnyCommand] = []
        self._listeners: list[Listener] = []
        self._arms: dict[int, str] | None = None
        self._arms_for: Experiment | None = None
        # Set by the app that shows translations; every new decision records what it says.
        self.translation_shown: TranslationShown = lambda _passage_id: None

    # -- notifications -------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _changed(self, passage_id: int) -> None:
        for listener in list(self._listeners):
            listener(passage_id)

    def _changed_by(self, command: AnyCommand) -> None:
        for passage_id in getattr(command, "passage_ids", [command.passage_id]):
            self._changed(passage_id)

    # -- commands --------------------------------------------------------------------------------

    def _version(self) -> int | None:
        codebook = self.project.codebook
        return codebook.version if codebook else None

    def _check_code(self, code_id: str) -> None:
        codebook = self.project.codebook
        if codebook is None or code_id not in codebook:
            raise DecisionError(f"'{code_id}' is not a code of the project's codebook")

    def execute(self, command: Command) -> Command:
        """Run a new command, commit it, and make it the one ``undo`` takes back."""
        for code in (*command.apply_codes, *(span[0] for span in command.apply_spans)):
            self._check_code(code)
        command.arm = self.arm(command.passage_id)
        command.translation_shown = self.translation_shown(command.passage_id)
        return self._do(command, new=True)

    def execute_group(self, commands: list[Command], label: str) -> AnyCommand:
        """Run commands on several passages in one transaction, undone as one step (a single
        command is run as itself, with its own label)."""
        if not commands:
            raise DecisionError("nothing to do: no passage chosen")
        if len(commands) == 1:
            return self.execute(commands[0])
        for command in commands:
            for code in command.apply_codes:
                self._check_code(code)
            command.arm = self.arm(command.passage_id)
        return self._do(CommandGroup(commands, label), new=True)

    # -- the anchoring experiment ------------------------------------------------------------------

    def arm(self, passage_id: int) -> str | None:
        """This coder's arm on the passage while the lead has the experiment on, else None.

        Recomputed from the seed when the settings change, never stored apart from the
        decisions: a lead who reruns the analysis gets the same arms back."""
        experiment = Experiment.from_settings(self.project.settings.extra)
        if not experiment.on:
            return None
        if self._arms is None or self._arms_for != experiment:
            with self.project.reading() as conn:
                frame = transcript_frame(passages_to_code(conn))
            self._arms = assign_arms(experiment.seed, self.coder, frame)
            self._arms_for = experiment
        return self._arms.get(passage_id)

    def _do(self, command: _Cmd, new: bool = False) -> _Cmd:
        """Commit ``command``; a new one (not a redo) makes what was undone unreachable."""
        with self.project.transaction() as conn:
            command.do(conn, self.coder_id, self._version())
        self._undo.append(command)
        if new:
            self._redo.clear()
        self._changed_by(command)
        return command

    def undo(self) -> AnyCommand | None:
        if not self._undo:
            return None
        command = self._undo.pop()
        with self.project.transaction() as conn:
            command.undo(conn, self.coder_id, self._version())
            append_audit(
                conn,
                self.coder,
                "decision.undo",
                {"label": command.label, "passage": command.passage_id},
            )
        self._redo.append(command)
        self._changed_by(command)
        return command

    def redo(self) -> AnyCommand | None:
        if not self._redo:
            return None
        return self._do(self._redo.pop())

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_passage(self) -> int | None:
        """The passage the next undo will change: the GUI goes there before undoing."""
        return self._undo[-1].passage_id if self._undo else None

    @property
    def redo_passage(self) -> int | None:
        return self._redo[-1].passage_id if self._redo else None

    @property
    def undo_label(self) -> str | None:
        return self._undo[-1].label if self._undo else None

    @property
    def redo_label(self) -> str | None:
        return self._redo[-1].label if self._redo else None

    # -- the actions a coder takes ----------------------------------------------------------------

    def apply_code(
        self, passage_id: int, code_id: str, suggestion_id: int | None = None
    ) -> Command:
        label = f"accept {code_id}" if suggestion_id else f"add {code_id}"
        suggestion_for = {code_id: suggestion_id} if suggestion_id else {}
        return self.execute(
            Command(passage_id, label, apply_codes=(code_id,), suggestion_for=suggestion_for)
        )

    def accept_all(self, passage_id: int, suggestions: Iterable[tuple[int, str]]) -> Command:
        """Accept every ``(suggestion id, code)`` in one undoable step."""
        pairs = list(suggestions)
        return self.execute(
            Command(
                passage_id,
                f"accept {len(pairs)} suggestions",
                apply_codes=tuple(code for _, code in pairs),
                suggestion_for={code: sid for sid, code in pairs},
            )
        )

    def remove_code(self, passage_id: int, code_id: str) -> Command:
        return self.execute(Command(passage_id, f"remove {code_id}", remove_codes=(code_id,)))

    def reject(self, passage_id: int, suggestion_id: int, code_id: str) -> Command:
        return self.execute(
            Command(
                passage_id,
                f"reject {code_id}",
                remove_codes=(code_id,),
                reject_suggestion=suggestion_id,
            )
        )

    def replace_code(
        self, passage_id: int, old_code: str, new_code: str, suggestion_id: int | None = None
    ) -> Command:
        """Swap one code for another (e.g. a suggestion for the code the coder thinks is right)."""
        return self.execute(
            Command(
                passage_id,
                f"replace {old_code} with {new_code}",
                apply_codes=(new_code,),
                remove_codes=(old_code,),
                reject_suggestion=suggestion_id,
            )
        )

    def mark_no_code(self, passage_id: int) -> Command:
        return self.execute(Command(passage_id, "no code applies", no_code=True))

    def quote_span(self, passage_id: int, start: int, end: int) -> str:
        """The selected words as a short quotation, for labels and the status bar."""
        with self.project.reading() as conn:
            return quote(span_text(conn, passage_id, start, end))

    def code_span(
        self,
        passage_id: int,
        code_id: str,
        start: int,
        end: int,
        suggestion_id: int | None = None,
    ) -> Command:
        """Code a selection inside the passage (transcript offsets); it codes the passage too.

        The label quotes the words, so undo and redo say which selection they change."""
        verb = "accept" if suggestion_id else "code"
        label = f"{verb} {code_id} on {self.quote_span(passage_id, start, end)}"
        return self.execute(
            Command(
                passage_id,
                label,
                apply_spans=((code_id, start, end),),
                suggestion_for={code_id: suggestion_id} if suggestion_id else {},
            )
        )

    def remove_span(self, passage_id: int, code_id: str, start: int, end: int) -> Command:
        """Take one coded selection back; the code stays on the passage until removed there."""
        label = f"remove {code_id} from {self.quote_span(passage_id, start, end)}"
        return self.execute(Command(passage_id, label, remove_spans=((code_id, start, end),)))

    def accept_as_span(
        self,
        passage_id: int,
        suggestion_id: int,
        code_id: str,
        passage_start: int,
        evidence: tuple[int, int],
    ) -> Command:
        """Accept a suggestion as a coded selection: its evidence quote. The evidence offsets
        are the passage's own (as engines write them), so ``passage_start`` moves them into the
        transcript, where spans live."""
        start, end = evidence
        return self.code_span(
            passage_id, code_id, passage_start + start, passage_start + end, suggestion_id
        )

    # -- reading ---------------------------------------------------------------------------------------

    def states(self, passage_ids: Iterable[int]) -> dict[int, CodingState]:
        """This coder's state on each passage (reviewed, codes)."""
        with self.project.reading() as conn:
            return coder_states(conn, self.coder_id, passage_ids)

    def rejected_suggestions(self, passage_ids: Iterable[int]) -> set[int]:
        """Suggestion ids this coder rejected (and did not undo) on these passages."""
        with self.project.reading() as conn:
            return rejected_suggestion_ids(conn, self.coder_id, passage_ids)

    def others_codes(self, passage_ids: Iterable[int]) -> dict[int, dict[str, set[str]]]:
        """Other human coders' codes per passage: refused to a coder while blind coding is on.

        Checked here, not only in the app, so no caller can show them by forgetting to look.
        """
        settings = self.project.settings
        if not may_see_others(settings.extra, settings.blind_coding, self.coder):
            raise RoleError(
                f"blind coding is on: '{self.coder}' cannot see other coders' codes "
                "(a lead can switch it off with 'workbench settings PROJECT --blind off')"
            )
        with self.project.reading() as conn:
            return other_humans_codes(conn, self.coder_id, passage_ids)

    def save_memo(
        self, passage_id: int, text: str, span: tuple[int, int] | None = None
    ) -> MemoCommand | None:
        """Write, change or (with empty text) clear this coder's memo, as an undoable step;
        with ``span``, the memo on that selection of the passage (labelled with its words).

        The old text stays as history (a new memo row is appended). Saving the text the memo
        already has is no step at all: None.
        """
        with self.project.reading() as conn:
            if span is not None:
                check_span(conn, passage_id, *span)
            current = _current_memo(conn, self.coder_id, passage_id, span)
        if current == (text if text.strip() else ""):
            return None
        label = "memo" if text.strip() else "clear memo"
        if span is not None:
            label += f" on {self.quote_span(passage_id, *span)}"
        command = MemoCommand(passage_id, text, label, span=span)
        with self.project.transaction() as conn:
            command.do(conn, self.coder_id, self._version())
            details: dict[str, object] = {"passage": passage_id, "chars": len(text)}
            if span is not None:
                details["span"] = list(span)
            append_audit(conn, self.coder, "memo.save", details)
        self._undo.append(command)
        self._redo.clear()
        self._changed(passage_id)
        return command

    def memo_history(self, passage_id: int, span: tuple[int, int] | None = None) -> list[str]:
        """Every text this coder's memo on the passage (or a selection of it) has had, oldest
        first ("" = cleared)."""
        with self.project.reading() as conn:
            return memo_history(conn, self.coder_id, passage_id, span)

    def coded_spans(self, passage_ids: Iterable[int]) -> dict[int, list[CodedSpan]]:
        """This coder's coded selections on these passages, in text order."""
        with self.project.reading() as conn:
            return coded_spans(conn, list(passage_ids), self.coder_id)

    def span_memos(self, passage_ids: Iterable[int]) -> dict[tuple[int, int, int], str]:
        """This coder's memos on selections: ``{(passage, start, end): text}``."""
        with self.project.reading() as conn:
            return span_memos_of_coder(conn, self.coder_id, passage_ids)

    def memos(self, passage_ids: Iterable[int]) -> dict[int, str]:
        with self.project.reading() as conn:
            return memos_of_coder(conn, self.coder_id, passage_ids)
