"""The one interface every suggestion engine implements, and the values it returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from workbench.core.abstain import has_codable_content
from workbench.core.codebook import Codebook
from workbench.core.suggestion import Suggestion
from workbench.core.tasks import CancelToken, Progress

__all__ = ["PassageInput", "Suggestion", "SuggestionEngine", "codable", "locate_evidence"]


@dataclass(frozen=True)
class PassageInput:
    """A passage as an engine sees it: its text and the interviewer turn it answers.

    ``interview`` (the transcript's id) and ``previous_answer`` (the participant's turn before
    this one) let an engine read a passage the way a coder does, inside its conversation.
    """

    passage_id: int
    key: str
    text: str
    context: str = ""
    interview: str = ""
    previous_answer: str = ""


class SuggestionEngine(Protocol):
    name: str
    model: str
    prompt_version: str
    # The coder this engine's suggestions count as in agreement: one per engine and model, the
    # same across retrains and prompt revisions (the local engine is one rater, "local").
    rater: str

    def suggest(
        self,
        passages: Sequence[PassageInput],
        codebook: Codebook,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> list[Suggestion]:
        """Suggestions for ``passages`` under ``codebook``; may return none for a passage."""
        ...


def locate_evidence(passage_text: str, quote: str) -> tuple[int | None, int | None, bool]:
    """Offsets of ``quote`` in the passage: exact first, then ignoring case and spacing."""
    quote = quote.strip()
    if not quote:
        return None, None, False
    start = passage_text.find(quote)
    if start >= 0:
        return start, start + len(quote), True
    folded = passage_text.casefold()
    start = folded.find(quote.casefold())
    if start >= 0 and len(folded) == len(passage_text):
        return start, start + len(quote), True
    return None, None, False


def codable(passages: Sequence[PassageInput]) -> list[PassageInput]:
    """The passages an engine may suggest for: greetings, thanks and bare acknowledgements are
    left out by every engine, by the one rule in ``workbench.core.abstain``."""
    return [p for p in passages if has_codable_content(p.text)]
