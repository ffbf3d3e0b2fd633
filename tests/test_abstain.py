"""No engine suggests on passages with nothing to code: one rule, in several languages."""

from __future__ import annotations

import pytest

from workbench.core.abstain import has_codable_content
from workbench.suggest.engine import PassageInput
from workbench.suggest.local import LocalEngine
from workbench.suggest.runner import pending_inputs, run_suggestions

NOTHING = [
    "Thank you so much!",
    "Sounds good to me! No questions, let's begin",
    "No, that will be all!",
    "ok",
    "👍",
    "Hola, muchas gracias.",
    "Sí, claro, empecemos.",
    "Merci beaucoup, c'est tout.",
    "Oui, allons-y.",
    "Ja, gerne. Keine Fragen.",
    "Obrigada, tudo bem.",
    "Grazie mille, nessuna domanda.",
    "ありがとうございます。",
    "はい、お願いします。",
    "谢谢！没有问题。",
    "نعم، تفضل.",
    "Спасибо большое!",
]
SOMETHING = [
    "I don't think so",  # an answer: it is the question that makes it codable
    "No, I worry that my job will vanish.",
    "I use Claude for code review every day.",
    "Thanks to AI I finish my reports in half the time.",
    "Creo que la IA me quitará el trabajo.",
    "Merci, mais j'ai peur de perdre mes compétences.",
    "Danke, aber ich prüfe alles, was es schreibt.",
    "AIは仕事に役立ちます。",
    "谢谢，我用它写代码。",
    "Yes, 30%.",  # a number is something said
    "a1",
    # stock words, but too many of them to be a mere acknowledgement
    " ".join(["ok"] * 25),
]


@pytest.mark.parametrize("text", NOTHING)
def test_greetings_thanks_and_acknowledgements_have_nothing_to_code(text):
    assert not has_codable_content(text)


@pytest.mark.parametrize("text", SOMETHING)
def test_anything_said_beyond_stock_phrases_is_codable(text):
    assert has_codable_content(text)


def test_the_local_engines_abstain_and_can_be_told_not_to(project):
    codebook = project.codebook
    passages = [
        PassageInput(1, "t#1", "Thank you, sounds good!"),
        PassageInput(2, "t#2", "Thank you, I always check what the AI gives me before I use it."),
    ]
    engine = LocalEngine(min_similarity=0.0)
    assert {s.passage_id for s in engine.suggest(passages, codebook)} == {2}
    unruled = LocalEngine(min_similarity=0.0, abstain=False)
    assert {s.passage_id for s in unruled.suggest(passages, codebook)} == {1, 2}


class Recording:
    """An engine that records what it is asked about, as a sending engine would send it."""

    name, model, prompt_version, rater = "rec", "rec-1", "p1", "rec"
    sends_text, learns = True, False

    def __init__(self) -> None:
        self.seen: list[str] = []

    def suggest(self, passages, codebook, progress=None, cancel=None):  # type: ignore[no-untyped-def]
        self.seen.extend(p.text for p in passages)
        return []


def test_the_runner_never_sends_them_and_records_them_as_done(project):
    from workbench.core.readers import ParsedTranscript
    from workbench.core.store.importing import store_transcripts

    text = (
        "Interviewer: Any questions before we start?\n\n"
        "Participant: No questions, thanks!\n\n"
        "Interviewer: How do you use AI?\n\n"
        "Participant: I draft every report with it and then check each figure.\n"
    )
    store_transcripts(
        project,
        [ParsedTranscript("t1", text, "t1.txt", "text", ("Interviewer", "Participant"))],
        "test",
    )
    from sqlalchemy import select

    from workbench.core.store import schema

    with project.reading() as conn:
        ids = list(conn.execute(select(schema.transcripts.c.id)).scalars())
    todo, _ = pending_inputs(project, ids, "rec", "rec-1", "p1", include_local_only=False)
    assert [p.text for p in todo] == [
        "I draft every report with it and then check each figure."
    ]  # nothing estimated or batched for the greeting either
    engine = Recording()
    run = run_suggestions(project, engine, ids)
    assert engine.seen == ["I draft every report with it and then check each figure."]
    assert run.abstained == 1 and run.passages == 2
    again = Recording()
    rerun = run_suggestions(project, again, ids)
    assert again.seen == [] and rerun.skipped_cached == 2  # the abstention is remembered


class Refusing(Recording):
    """An engine refused before it sends anything (Claude without an API key)."""

    def suggest(self, passages, codebook, progress=None, cancel=None):  # type: ignore[no-untyped-def]
        from workbench.suggest.claude_client import SuggestionError

        raise SuggestionError("no Anthropic API key")


def test_a_refused_run_records_no_abstention_and_no_engine_coder(project):
    from sqlalchemy import func, select

    from workbench.core.readers import ParsedTranscript
    from workbench.core.store import schema
    from workbench.core.store.importing import store_transcripts
    from workbench.suggest.claude_client import SuggestionError

    text = "Interviewer: Ready?\n\nParticipant: Yes, thanks!\n\nInterviewer: And AI?\n\n"
    text += "Participant: I check every figure it gives me.\n"
    store_transcripts(
        project,
        [ParsedTranscript("t1", text, "t1.txt", "text", ("Interviewer", "Participant"))],
        "test",
    )
    with project.reading() as conn:
        ids = list(conn.execute(select(schema.transcripts.c.id)).scalars())
    with pytest.raises(SuggestionError):
        run_suggestions(project, Refusing(), ids)
    with project.reading() as conn:
        for table in (schema.coders, schema.suggestion_runs):
            assert conn.execute(select(func.count()).select_from(table)).scalar() == 0
    run = run_suggestions(project, Recording(), ids)  # a run that works records both
    assert run.abstained == 1 and run.passages == 2
    with project.reading() as conn:
        assert conn.execute(select(schema.coders.c.name)).scalars().all() == ["engine:rec"]


def test_on_the_sample_study_fewer_no_code_passages_get_a_suggestion(tmp_path):
    """The issue's figure (README, Code suggestions): the share of the reference coding's
    "no code applies" passages that receive a suggestion, with the rule off and on; and the
    rule never silences a passage the reference coder coded."""
    from workbench.cli import main
    from workbench.core.store import Project
    from workbench.resources import bundled
    from workbench.suggest.labels import human_labels

    location = tmp_path / "sample.wb"
    study = bundled("resources", "sample-study")
    codebook_file = bundled("codebooks", "ai-at-work.yaml")
    decisions = bundled("resources", "sample-coding", "reference-decisions.csv")
    assert main(["new", str(location), "--codebook", str(codebook_file)]) == 0
    assert (
        main(["import", str(location), str(study), "--metadata", str(study / "participants.csv")])
        == 0
    )
    assert main(["import", str(location), str(decisions), "--decisions"]) == 0
    with Project.open(location) as project:
        codebook, labelled = project.codebook, human_labels(project)
    none = [i for i in labelled if not i.codes]
    assert len(none) == 43
    assert all(has_codable_content(i.passage.text) for i in labelled if i.codes)

    def share(engine: LocalEngine) -> float:
        hit = {s.passage_id for s in engine.suggest([i.passage for i in labelled], codebook)}
        return sum(i.passage.passage_id in hit for i in none) / len(none)

    before, after = share(LocalEngine(abstain=False)), share(LocalEngine())
    assert after < before - 0.1, (before, after)
