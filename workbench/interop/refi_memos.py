"""A REFI-QDA file's notes brought in as the workbench's memos, planned then written.

Memos are what a coder thinks while coding; a user moving a project from NVivo, ATLAS.ti or
MAXQDA expects them to come along. Where a note hangs decides where the memo goes:

- on a selection (or on a coding of it, as ATLAS.ti comments a quotation), or a selection's own
  ``Description`` (MAXQDA's comment on text): a memo on the passage the selection is in, and on
  the selected words (``span_start/span_end``) when the selection is narrower than the passage;
  a selection over several passages gives its memo to the first of them;
- on a source, or the source's ``Description``: a memo on the whole transcript;
- on a code: added to a new code's definition by ``refi_codebook_merge`` (a code the codebook
  already has keeps its definition, and its notes are listed as not placed).

Who wrote it is the note's ``creatingUser``, else the selection's or source's, else the file's
default user; its dates are the note's. Several notes of one coder on one place are one memo,
their texts in file order. Writing only adds: a memo already holding the text is left as it is
(re-importing an export adds nothing), and an existing memo with other text keeps it, the
imported text appended after it, so the memo's history loses nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from workbench.core.store import Connection
from workbench.core.store.memos import add_imported_memo
from workbench.core.store.queries import passage_key, transcript_row_id
from workbench.interop.refi_read import RefiProject, RefiSelection, RefiTextSource


def own_note_name(title: str, source_name: str) -> bool:
    """Whether a note's name is the one a workbench export gives a memo ("Memo on p1#4 10-19"):
    that name says only where the memo is. Any other name is the memo's title, kept."""
    pattern = rf"Memo on {re.escape(source_name)}(#\d+)?( \d+-\d+)?"
    return re.fullmatch(pattern, title) is not None


@dataclass
class PlannedMemo:
    transcript: str  # external id of the transcript it is on
    position: int | None  # the passage; None for a memo on the whole transcript
    coder: str
    text: str
    span: tuple[int, int] | None = None  # stored-text offsets of the words it is about
    created: datetime | None = None
    updated: datetime | None = None


def parse_when(value: str | None) -> datetime | None:
    """An ``xsd:dateTime`` as an aware UTC time; None where it is absent or unreadable (the
    memo is then dated by the import)."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


class MemoPlanner:
    """Collects the memos of one import; ``users`` is the plan's ``{guid: (coder, kind)}``."""

    def __init__(self, refi: RefiProject, users: dict) -> None:
        self.refi = refi
        self.users = users
        self.memos: dict[tuple, PlannedMemo] = {}

    def _coder(self, *guids: str | None) -> str:
        for guid in guids:
            if guid and guid in self.users:
                return str(self.users[guid][0])
        return str(self.users[""][0])

    def _texts(
        self,
        note_guids: tuple[str, ...],
        description: str,
        fallback_user: str | None,
        source_name: str,
    ) -> list[tuple[str, str, datetime | None, datetime | None]]:
        """``(coder, text, created, modified)`` of each note and the inline description."""
        found = []
        seen: set[str] = set()
        for guid in note_guids:
            note = self.refi.notes.get(guid)
            if note is None or guid in seen:
                continue  # a provenance note (used elsewhere), or one listed as unreadable
            seen.add(guid)
            text = note.text.strip()
            title = note.name.strip()
            if title and not own_note_name(title, source_name) and not text.startswith(title):
                text = f"{title}\n{text}".strip()
            if text:
                coder = self._coder(note.user_guid, fallback_user)
                found.append((coder, text, parse_when(note.created), parse_when(note.modified)))
        if description.strip():
            found.append((self._coder(fallback_user), description.strip(), None, None))
        return found

    def _add(self, key: tuple, memo: PlannedMemo) -> None:
        held = self.memos.get(key)
        if held is None:
            self.memos[key] = memo
            return
        if memo.text not in held.text:
            held.text = f"{held.text}\n\n{memo.text}"
        dates = [d for d in (held.created, memo.created) if d is not None]
        held.created = min(dates) if dates else None
        later = [d for d in (held.updated, memo.updated) if d is not None]
        held.updated = max(later) if later else None

    def selection_notes(self, selection: RefiSelection) -> int:
        """How many memo texts a selection carries (to list them when it cannot be placed)."""
        guids = self._selection_guids(selection)
        return len(self._texts(guids, selection.description, None, ""))

    @staticmethod
    def _selection_guids(selection: RefiSelection) -> tuple[str, ...]:
        return selection.notes + tuple(g for c in selection.codings for g in c.notes)

    def on_selection(
        self,
        source: RefiTextSource,
        selection: RefiSelection,
        target: str,
        passage: tuple[int, int, int, bool],
        start: int,
        end: int,
    ) -> None:
        """The selection's memos, on ``passage`` (its first coded passage): on the words inside
        it where they are fewer than the passage's."""
        position, low, high, _coded = passage
        inside = (max(start, low), min(end, high))
        span = None if inside == (low, high) else inside
        user = selection.user_guid or next(
            (c.user_guid for c in selection.codings if c.user_guid), None
        )
        when = parse_when(selection.created)
        guids = self._selection_guids(selection)
        texts = self._texts(guids, selection.description, user, source.name)
        for coder, text, created, modified in texts:
            memo = PlannedMemo(
                target, position, coder, text, span, created or when, modified or created or when
            )
            self._add((target, position, span, coder), memo)

    def on_source(self, source: RefiTextSource, target: str) -> None:
        when = parse_when(source.created)
        texts = self._texts(source.notes, source.description, source.user_guid, source.name)
        for coder, text, created, modified in texts:
            memo = PlannedMemo(target, None, coder, text, None, created or when, modified)
            self._add((target, None, None, coder), memo)

    def source_notes(self, source: RefiTextSource) -> str:
        """``, N memos (notes)`` for a source that is not imported, to say what went with it."""
        count = len(self._texts(source.notes, source.description, None, source.name))
        count += sum(self.selection_notes(selection) for selection in source.selections)
        return f", {count} memos (notes)" if count else ""

    def planned(self) -> list[PlannedMemo]:
        return list(self.memos.values())


def store_memos(
    conn: Connection,
    memos: list[PlannedMemo],
    passage_ids: dict[str, int],
    coder_ids: dict[str, int],
) -> int:
    """Write the planned memos; how many changed a memo (those already holding their text
    are left as they are)."""
    transcripts: dict[str, int | None] = {}
    written = 0
    for memo in memos:
        coder_id = coder_ids[memo.coder]
        if memo.position is None:
            if memo.transcript not in transcripts:
                transcripts[memo.transcript] = transcript_row_id(conn, memo.transcript)
            transcript_id = transcripts[memo.transcript]
            if transcript_id is None:
                continue  # not stored (listed by the plan as not imported)
            changed = add_imported_memo(
                conn,
                coder_id,
                memo.text,
                transcript_id=transcript_id,
                created=memo.created,
                updated=memo.updated,
            )
        else:
            changed = add_imported_memo(
                conn,
                coder_id,
                memo.text,
                passage_id=passage_ids[passage_key(memo.transcript, memo.position)],
                span=memo.span,
                created=memo.created,
                updated=memo.updated,
            )
        written += changed
    return written
