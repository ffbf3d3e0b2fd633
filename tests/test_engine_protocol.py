"""Engines declare what they send and learn, and an engine that does not is refused at load."""

from __future__ import annotations

import pytest

from workbench.core.readers import ParsedTranscript
from workbench.core.store.privacy import set_local_only
from workbench.core.store.queries import transcript_row_ids
from workbench.suggest.claude import ClaudeEngine
from workbench.suggest.engine import (
    DeliversEachResult,
    EngineError,
    EngineSource,
    HashesItsPrompt,
    SuggestionEngine,
    check_engine,
)
from workbench.suggest.learning import LearnedEngine, ProjectLocalEngine
from workbench.suggest.local import LocalEngine
from workbench.suggest.runner import run_suggestions


class Undeclared:
    """An engine written before the protocol declared what an engine sends and learns."""

    name, model, prompt_version, rater = "old", "old-1", "p1", "old"

    def suggest(self, passages, codebook, progress=None, cancel=None):  # type: ignore[no-untyped-def]
        raise AssertionError("an engine refused at load is never asked")


class Sending(Undeclared):
    """Declares that it sends text off the machine, and records what it would send."""

    sends_text, learns = True, False

    def __init__(self) -> None:
        self.seen: list[str] = []

    def suggest(self, passages, codebook, progress=None, cancel=None):  # type: ignore[no-untyped-def]
        self.seen.extend(p.text for p in passages)
        return []


def test_an_engine_missing_declarations_is_refused_naming_its_file_and_what_is_missing():
    with pytest.raises(EngineError) as refused:
        check_engine(Undeclared())
    message = str(refused.value)
    assert message.startswith(__file__ + ": engine Undeclared does not declare")
    assert "sends_text (bool)" in message and "learns (bool)" in message
    assert "model" not in message  # what it does declare is not listed


def test_a_declaration_of_the_wrong_type_is_refused_too():
    engine = Sending()
    engine.sends_text = "yes"  # type: ignore[assignment]
    with pytest.raises(EngineError, match=r"sends_text \(bool\)"):
        check_engine(engine)


def test_the_bundled_engines_declare_what_they_send_and_learn():
    claude = check_engine(ClaudeEngine())
    assert claude.sends_text and not claude.learns
    assert isinstance(claude, HashesItsPrompt) and isinstance(claude, DeliversEachResult)
    local = check_engine(LocalEngine())
    assert not local.sends_text and not local.learns
    assert not isinstance(local, HashesItsPrompt) and not isinstance(local, DeliversEachResult)
    assert LearnedEngine.learns and not LearnedEngine.sends_text


def test_the_apps_local_engine_is_a_source_of_engines_not_an_engine(project):
    source = ProjectLocalEngine(project)
    assert isinstance(source, EngineSource) and not isinstance(source, SuggestionEngine)
    assert check_engine(source.resolve()).name == "local"


def test_the_runner_refuses_an_undeclared_engine_before_storing_anything(project):
    with pytest.raises(EngineError):
        run_suggestions(project, Undeclared(), [])  # type: ignore[arg-type]


def test_an_engine_that_sends_text_never_sees_a_local_only_transcript(project):
    from workbench.core.ingest import store_transcripts

    records = [
        ParsedTranscript(
            name,
            f"Interviewer: How do you use AI?\n\nParticipant: I draft the {name} report with it.\n",
            f"{name}.txt",
            "text",
            ("Interviewer", "Participant"),
        )
        for name in ("open", "secret")
    ]
    store_transcripts(project, records, "test")
    set_local_only(project, ["secret"])
    with project.reading() as conn:
        ids = transcript_row_ids(conn)
    sending = Sending()
    run_suggestions(project, sending, ids)
    assert sending.seen == ["I draft the open report with it."]
