"""The local engine learns from human decisions: it beats its codebook-only start on held-back
passages. The "humans" here are a simulated coder who codes the synthetic interviews' sentences
by their known themes, consistently, which is what a trained coder does."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from workbench.core.readers import ParsedTranscript
from workbench.core.speakers import detect_speakers
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store.importing import store_transcripts
from workbench.suggest.learning import LearnedEngine, evaluate_local, human_labels, local_engine_for
from workbench.suggest.local import LocalEngine
from workbench.suggest.runner import passage_inputs
from workbench.testing.synthetic import generate_transcript

THEMES = {
    "took most of my afternoon": "prod.speed",
    "always check what it gives me": "trust.verification",
    "filled with more work": "fear.illusory_productivity",
    "could never do before": "prod.scope",
    "think using AI is cheating": "stigma.concealment",
    "losing the ability": "fear.atrophy",
    "I stay in control": "hope.autonomy",
    "think things through": "hope.support",
    "company gets most of the benefit": "benefit.employer",
    "lose their jobs": "fear.displacement",
    "catches errors": "prod.quality",
    "without much checking": "trust.delegation",
    "patient tutor": "hope.learning",
    "focus on the work I'm good at": "hope.excellence",
}


def simulated_codes(text: str) -> set[str]:
    return {code for phrase, code in THEMES.items() if phrase in text}


@pytest.fixture
def coded(tmp_path, project):
    records = []
    for index in range(10):
        item = generate_transcript(index, seed=3, target_chars=5000)
        records.append(
            ParsedTranscript(
                item.external_id,
                item.text,
                "synthetic",
                "text",
                tuple(sorted(detect_speakers(item.text))),
            )
        )
    store_transcripts(project, records, "synthetic")
    rows = []
    with project.reading() as conn:
        ids = [
            row[0]
            for row in conn.execute(__import__("sqlalchemy").text("select id from transcripts"))
        ]
    passages = passage_inputs(project, ids)
    for passage in passages[::1]:
        codes = simulated_codes(passage.text) or {""}
        rows += [(passage.key, "sim", code) for code in sorted(codes)]
    path = tmp_path / "decisions.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["passage_id", "coder", "code"])
        writer.writerows(rows)
    import_decisions_csv(project, path)
    return project


def test_learning_beats_the_codebook_start_on_held_back_decisions(coded):
    report = evaluate_local(coded, holdout=0.3)
    start, learned = report["codebook_start"]["overall"], report["learned"]["overall"]
    assert report["held_back"] >= 20
    assert learned["f1"] > (start["f1"] or 0) + 0.2
    assert learned["precision"] > 0.5 and learned["recall"] > 0.5
    assert "prod.speed" in report["learned"]["per_code"]


def test_project_engine_switches_to_learned_when_there_are_decisions(coded, project):
    engine = local_engine_for(coded)
    assert isinstance(engine, LearnedEngine) and engine.model.startswith("tfidf-prototypes-")
    assert "trust.verification" in engine.learned_codes
    assert len(human_labels(coded)) > 50


def test_no_decisions_means_the_codebook_start(tmp_path, project):
    assert type(local_engine_for(project)) is LocalEngine


def test_evaluate_local_cli(coded, capsys):
    from workbench.cli import main

    assert main(["evaluate-local", coded.location]) == 0
    out = capsys.readouterr().out
    assert "learned:" in out and "codebook start:" in out and "prod.speed" in out


def test_on_the_sample_study_a_few_dozen_decisions_beat_the_codebook_start(tmp_path):
    """The issue's check on real interviews: the reference coding of the sample study, 40
    passages learned from, the other 75 held back, over ten fixed random splits."""
    from workbench.cli import main
    from workbench.core.store import Project
    from workbench.resources import bundled
    from workbench.suggest.learning import score

    location = tmp_path / "sample.wb"
    study = bundled("resources", "sample-study")
    assert (
        main(["new", str(location), "--codebook", str(bundled("codebooks", "ai-at-work.yaml"))])
        == 0
    )
    assert (
        main(["import", str(location), str(study), "--metadata", str(study / "participants.csv")])
        == 0
    )
    decisions = bundled("resources", "sample-coding", "reference-decisions.csv")
    assert main(["import", str(location), str(decisions), "--decisions"]) == 0
    with Project.open(location) as project:
        codebook = project.codebook
        labelled = human_labels(project)
        codes = [code.id for code in codebook.walk() if not code.children]
        assert len(labelled) == 115
        gains, wins = [], 0
        for seed in range(10):
            order = np.random.default_rng(seed).permutation(len(labelled))
            train = [labelled[i] for i in order[:40]]
            test = [labelled[i] for i in order[40:]]
            f1 = []
            for engine in (LocalEngine(), LearnedEngine(train, codebook)):
                suggested: dict[int, set[str]] = {}
                for s in engine.suggest([item.passage for item in test], codebook):
                    suggested.setdefault(s.passage_id, set()).add(s.code_id)
                f1.append(score(suggested, test, codes)[1]["f1"] or 0.0)
            gains.append(f1[1] - f1[0])
            wins += f1[1] > f1[0]
    assert wins >= 8 and float(np.mean(gains)) > 0.03, (wins, gains)
