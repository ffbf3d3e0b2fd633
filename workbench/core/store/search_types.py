"""What a search takes and gives back: its filters, its hits and its result, and the error for
a search the project cannot run. Apart from the queries, so that the filters' SQL, the
disagreement cache and the callers share them without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from workbench.core.errors import WorkbenchError
from workbench.core.store.search_snippet import MARK_END, MARK_START
from workbench.core.store.spans import quote

COUNT_LIMIT = 10_000  # matches counted beyond those shown; more reads as "10,000 or more"


class SearchError(WorkbenchError):
    """A search the project cannot run: a filter naming nothing there, or a malformed query."""


class Review(Enum):
    """Whether a passage has been reviewed (by any human coder)."""

    ANY = "any"
    YES = "yes"
    NO = "no"


class Role(Enum):
    """Which speakers' passages: the ones coded (participants) or the context (interviewers)."""

    ANY = "any"
    PARTICIPANT = "participant"
    INTERVIEWER = "interviewer"


@dataclass(frozen=True)
class SearchFilters:
    """What narrows a search. ``code`` is applied by a human, unless ``engine`` (suggested by an
    engine's latest run) or ``disagreement`` (some human reviewers applied it, others not) say
    otherwise; ``coder`` names whose coding counts (a human, or an engine coder with ``engine``).
    """

    code: str | None = None
    coder: str | None = None
    engine: bool = False
    disagreement: bool = False
    role: Role = Role.ANY
    fields: tuple[tuple[str, str], ...] = ()
    reviewed: Review = Review.ANY
    reviewed_by: str | None = None
    unreviewed_by: str | None = None
    passage_ids: tuple[int, ...] = ()  # only these passages (a view re-reading its rows)


@dataclass
class SearchHit:
    """One passage found, with what a coder needs to judge it without opening it."""

    passage_id: int
    key: str
    transcript: str
    position: int
    speaker: str | None
    snippet: str  # the match in its context, marked with MARK_START/MARK_END
    text: str  # the whole passage
    codes: dict[str, list[str]] = field(default_factory=dict)  # coder -> codes applied
    # coder -> the selections coded inside the passage: (code, start, end), transcript offsets
    selections: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    start: int = 0  # the passage's offset in its transcript, where selections are counted from

    def selection_quotes(self) -> dict[str, list[str]]:
        """coder -> ``code “words”`` for each coded selection: what a retrieval file shows."""
        return {
            coder: [
                f"{code} {quote(self.text[low - self.start : high - self.start], 200)}"
                for code, low, high in spans
            ]
            for coder, spans in self.selections.items()
        }

    def to_dict(self) -> dict[str, object]:
        return {
            "passage": self.key,
            "transcript": self.transcript,
            "position": self.position,
            "speaker": self.speaker,
            "snippet": self.snippet.replace(MARK_START, "[").replace(MARK_END, "]"),
            "text": self.text,
            "codes": self.codes,
            "selections": {
                coder: [{"code": c, "start": s, "end": e} for c, s, e in spans]
                for coder, spans in self.selections.items()
            },
        }


@dataclass
class SearchResult:
    hits: list[SearchHit]
    total: int  # passages that match (at most COUNT_LIMIT); ``hits`` holds the first ``limit``
    query: str
    filters: SearchFilters

    @property
    def total_is_lower_bound(self) -> bool:
        """Whether more passages match than were counted."""
        return self.total >= COUNT_LIMIT

    def total_text(self) -> str:
        """ "3 passages", "1 passage", "10,000 or more passages"."""
        if self.total_is_lower_bound:
            return f"{self.total:,} or more passages"
        return f"{self.total:,} passage{'' if self.total == 1 else 's'}"

    def to_dict(self) -> dict[str, object]:
        return {
            "query": self.query,
            "total": self.total,
            "total_is_lower_bound": self.total_is_lower_bound,
            "shown": len(self.hits),
            "hits": [hit.to_dict() for hit in self.hits],
        }
