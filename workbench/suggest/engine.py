"""The one interface every suggestion engine implements, and the values it returns."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from workbench.core.abstain import has_codable_content
from workbench.core.codebook import Codebook
from workbench.core.errors import WorkbenchError
from workbench.core.suggestion import Suggestion
from workbench.core.tasks import CancelToken, Progress

__all__ = [
    "DeliversEachResult",
    "EngineError",
    "EngineSource",
    "HashesItsPrompt",
    "PassageInput",
    "ResultSink",
    "Suggestion",
    "SuggestionEngine",
    "check_engine",
    "codable",
    "locate_evidence",
]


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


@runtime_checkable
class SuggestionEngine(Protocol):
    """What every engine declares and does. Checked when an engine is loaded (``check_engine``),
    so an engine missing a part is refused with its class and file named, not half-run."""

    name: str
    prompt_version: str

    # model and rater are read-only: an engine may derive them (Claude's from its options), and
    # nothing outside an engine sets them.
    @property
    def model(self) -> str: ...

    # The coder this engine's suggestions count as in agreement: one per engine and model, the
    # same across retrains and prompt revisions (the local engine is one rater, "local").
    @property
    def rater(self) -> str: ...

    # Whether it sends passage text off the machine: such an engine never sees a local-only
    # transcript (store/privacy.py), and the README says which engines do.
    sends_text: bool
    # Whether what it suggests depends on the team's decisions (retrained as they arrive).
    learns: bool

    def suggest(
        self,
        passages: Sequence[PassageInput],
        codebook: Codebook,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> list[Suggestion]:
        """Suggestions for ``passages`` under ``codebook``; may return none for a passage."""
        ...


# What an engine that delivers each request's results as they arrive hands over: its
# suggestions, the passages it settled (with or without suggestions) and its request records.
ResultSink = Callable[[list[Suggestion], list[int], list[Any]], None]


@runtime_checkable
class HashesItsPrompt(Protocol):
    """Optional: an engine whose prompt version is a hash of the prompt a codebook makes, so a
    passage run under an earlier codebook version with the same prompt counts as done."""

    def prompt_version_for(self, codebook: Codebook) -> str: ...


@runtime_checkable
class DeliversEachResult(Protocol):
    """Optional: an engine that hands over each request's results the moment they arrive
    (``on_result``, set by the runner), so a run stopped halfway keeps what was paid for."""

    on_result: ResultSink | None
    completed: set[int]  # passages a valid reply answered
    delivered: int  # suggestions handed to on_result


@runtime_checkable
class EngineSource(Protocol):
    """Not an engine but what makes one on the worker thread when a run starts (the app's
    local engine, retrained from the decisions when they change)."""

    name: str

    def resolve(self) -> SuggestionEngine: ...


class EngineError(WorkbenchError):
    """An engine that does not declare what the protocol asks."""


_DECLARED: dict[str, type] = {
    "name": str,
    "model": str,
    "prompt_version": str,
    "rater": str,
    "sends_text": bool,
    "learns": bool,
}


def check_engine(engine: object) -> SuggestionEngine:
    """``engine`` if it satisfies ``SuggestionEngine``; else an EngineError that names its class,
    the file it is defined in and every part it lacks or declares with the wrong type."""
    problems = [
        f"{field} ({kind.__name__})"
        for field, kind in _DECLARED.items()
        if not isinstance(getattr(engine, field, None), kind)
    ]
    if not callable(getattr(engine, "suggest", None)):
        problems.append("suggest(passages, codebook, progress, cancel)")
    if problems:
        cls = type(engine)
        try:
            where = inspect.getsourcefile(cls) or cls.__module__
        except TypeError:  # a class defined where no file is (built in, or typed at a prompt)
            where = cls.__module__
        raise EngineError(
            f"{where}: engine {cls.__qualname__} does not declare {', '.join(problems)}"
        )
    assert isinstance(engine, SuggestionEngine)
    return engine


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
