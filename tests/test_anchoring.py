"""The anchoring experiment: balanced arms, arms on decisions, a report that recovers a known
effect by simulation, the size calculator, and chains that still verify."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from tests.conftest import write
from workbench.cli import main
from workbench.core.agreement.anchoring import AnchoringUnits, analyse_units, project_anchoring
from workbench.core.agreement.sampling import anchoring_sample_size
from workbench.core.anchoring_arms import AFTER, BEFORE, SETTING, assign_arms, transcript_frame
from workbench.core.session import CodingSession
from workbench.core.store import Project, schema
from workbench.core.store.importing import import_transcript_file
from workbench.core.store.queries import passages_to_code
from workbench.core.store.suggestions import save_suggestions, suggestions_for
from workbench.suggest.engine import Suggestion

SCHEMA_1 = Path(__file__).parent / "data" / "project-schema-1.wb"


def test_arms_are_balanced_in_every_transcript_and_recomputable():
    frame = {"t1": list(range(1, 12)), "t2": list(range(20, 30))}
    arms = assign_arms(7, "ana", frame)
    for passages in frame.values():
        before = sum(arms[p] == BEFORE for p in passages)
        assert abs(before - (len(passages) - before)) <= 1
        for start in range(0, len(passages) - 1, 2):  # each block of two holds both arms
            assert {arms[passages[start]], arms[passages[start + 1]]} == {BEFORE, AFTER}
    assert assign_arms(7, "ana", frame) == arms
    assert assign_arms(7, "bruno", frame) != arms  # per coder
    assert assign_arms(8, "ana", frame) != arms  # per seed


def test_frame_orders_passages_by_position_within_transcript():
    rows = [(5, 2, "b"), (3, 1, "a"), (9, 0, "b"), (1, 0, "a")]
    assert transcript_frame(rows) == {"a": [1, 3], "b": [9, 5]}


def _simulated_study(rng, p_engine, extra, passages=120, coders=3, codes=4, transcripts=6):
    """Coders with a true code per passage, an engine right with probability ``p_engine``, and
    coders who, shown the suggestion first, follow it at ``extra`` more than they would alone:
    an own judgement agreeing with the suggestion is accepted in both arms; in "before" a
    disagreeing one gives way with probability extra / (1 - a), so acceptance rises by
    ``extra`` exactly (a is the chance the two agree)."""
    q = 0.75  # a coder's own accuracy
    agree = p_engine * q + (1 - p_engine) * (1 - q) / (codes - 1)
    truth = rng.integers(0, codes, passages)
    wrong = (truth + rng.integers(1, codes, passages)) % codes
    suggestion = np.where(rng.random(passages) < p_engine, truth, wrong)
    stratum = np.repeat(np.arange(transcripts), passages // transcripts)
    units = passages * coders
    passage = np.tile(np.arange(passages), coders)
    arm = np.empty(units, dtype=int)
    for c in range(coders):  # balanced blocks of two, as the workbench assigns
        heads = rng.random(passages // 2) < 0.5
        arm[c * passages : (c + 1) * passages] = np.column_stack([~heads, heads]).ravel()
    own_wrong = (truth[passage] + rng.integers(1, codes, units)) % codes
    own = np.where(rng.random(units) < q, truth[passage], own_wrong)
    agrees = own == suggestion[passage]
    follows = (arm == 0) & ~agrees & (rng.random(units) < extra / (1 - agree))
    final = np.where(follows, suggestion[passage], own)
    accepted = agrees | follows
    one_hot = np.eye(codes, dtype=bool)
    return AnchoringUnits(
        codes=tuple(f"c{i}" for i in range(codes)),
        passage=passage,
        stratum=stratum,
        arm=arm,
        human=one_hot[final],
        engine=one_hot[suggestion[passage]],
        accepted=one_hot[suggestion[passage]] * accepted[:, None],
        answered=one_hot[suggestion[passage]].astype(float),
    )


def test_the_effect_is_recovered_inside_its_interval_at_the_nominal_rate():
    rng = np.random.default_rng(2024)
    extra, studies, covered, estimates = 0.15, 200, 0, []
    for study in range(studies):
        units = _simulated_study(rng, p_engine=0.7, extra=extra)
        result = analyse_units(units, resamples=400, seed=study)
        d = result.overall.acceptance.difference
        covered += d.low <= extra <= d.high
        estimates.append(d.value)
    assert 0.88 <= covered / studies <= 0.99
    assert abs(np.mean(estimates) - extra) < 0.02  # unbiased, not merely wide


def test_no_effect_is_no_anchoring_and_engine_agreement_rises_with_it():
    rng = np.random.default_rng(5)
    null = analyse_units(_simulated_study(rng, 0.7, 0.0, passages=600), resamples=300)
    assert abs(null.overall.acceptance.difference.value) < 0.1
    assert not null.verdict.startswith("Evidence of anchoring")
    strong = analyse_units(_simulated_study(rng, 0.7, 0.3, passages=600), resamples=300)
    assert strong.verdict.startswith("Evidence of anchoring")
    he = strong.overall.human_engine
    assert he.difference.low > 0 and he.before.value > he.after.value
    assert set(strong.per_code) == {"c0", "c1", "c2", "c3"}
    assert "permuted blocks of two" in strong.methods and "300 resamples" in strong.methods


def test_sample_size_matches_the_two_proportion_formula(capsys):
    assert anchoring_sample_size(0.1, 0.5) == 388  # the textbook figure for .5 vs .6
    assert anchoring_sample_size(0.2, 0.5) < anchoring_sample_size(0.1, 0.5)
    with pytest.raises(ValueError):
        anchoring_sample_size(0.6, 0.5)
    assert main(["sample", "--anchoring-effect", "0.1", "--expected-acceptance", "0.5"]) == 0
    assert "388 suggestions per arm" in capsys.readouterr().out
    assert main(["sample", "--anchoring-effect", "0.9"]) == 2
    assert "--anchoring-effect" in capsys.readouterr().err


INTERVIEW = "".join(
    f"Interviewer: Question {i}?\n\nParticipant: Answer number {i} about time and craft.\n\n"
    for i in range(8)
)


@pytest.fixture
def study(tmp_path, project):
    for name in ("p1", "p2"):
        text = INTERVIEW.replace("Answer", f"{name} answer")  # identical files import once
        import_transcript_file(project, write(tmp_path / f"{name}.txt", text))
    with project.reading() as conn:
        passages = [pid for pid, _, _ in passages_to_code(conn)]
    with project.transaction() as conn:
        save_suggestions(
            conn,
            [
                Suggestion(pid, "hope.time", 0.8, "", None, None, "", "local", "m", "p")
                for pid in passages
            ],
            project.codebook.version,
        )
    return project


def test_decisions_carry_their_arm_and_the_report_runs(study, tmp_path, capsys):
    path = str(study.location)
    assert main(["anchoring", path, "--on", "--seed", "11", "--lead", "lee"]) == 0
    study.close()
    project = Project.open(path)
    with project.reading() as conn:
        frame = transcript_frame(passages_to_code(conn))
        passages = [pid for pids in frame.values() for pid in pids]
        suggested = suggestions_for(conn, passages)
    sessions = {name: CodingSession(project, name) for name in ("ana", "bruno")}
    for name, session in sessions.items():
        for n, pid in enumerate(passages):
            [s] = suggested[pid]
            if n % 3 == 0 or (name == "ana" and session.arm(pid) == BEFORE):
                session.apply_code(pid, "hope.time", suggestion_id=s.id)
            else:
                session.reject(pid, s.id, "hope.time")
    session = sessions["ana"]
    last = session.apply_code(passages[0], "prod.speed")
    session.undo()
    with project.reading() as conn:
        d, c = schema.decisions, schema.coders
        rows = conn.execute(
            select(c.c.name, d.c.passage_id, d.c.arm).join(c, c.c.id == d.c.coder_id)
        ).all()
    expected = {name: assign_arms(11, name, frame) for name in sessions}
    assert rows and all(arm == expected[name][pid] for name, pid, arm in rows)
    assert last.arm == expected["ana"][passages[0]]
    result = project_anchoring(project, resamples=200)
    assert result.units == {BEFORE: len(passages), AFTER: len(passages)}
    assert result.coders == 2 and result.transcripts == 2 and result.seed == 11
    assert result.overall.acceptance.before.value > result.overall.acceptance.after.value
    project.close()
    capsys.readouterr()
    assert main(["anchoring", path, "--json", "--resamples", "100"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["units"] == {BEFORE: len(passages), AFTER: len(passages)}
    assert "verdict" in report and "methods" in report
    assert main(["anchoring", path, "--off", "--lead", "lee"]) == 0
    with Project.open(path) as again:
        assert again.settings.extra[SETTING] == {"on": False, "seed": 11}
        assert CodingSession(again, "ana").arm(passages[0]) is None
        with again.reading() as conn:
            a = schema.audit_log
            actors = conn.execute(
                select(a.c.actor).where(a.c.action == "settings.update")
            ).scalars()
            assert list(actors) == ["lee", "lee"]
    assert main(["verify", path]) == 0


def test_a_migrated_schema_1_project_verifies_with_arm_decisions_after_it(tmp_path, capsys):
    path = tmp_path / "study.wb"
    shutil.copy(SCHEMA_1, path)
    with Project.open(path) as project:
        assert project.status()["schema_version"] == schema.SCHEMA_VERSION
    assert main(["verify", str(path)]) == 0
    assert main(["anchoring", str(path), "--on", "--seed", "3", "--lead", "lee"]) == 0
    with Project.open(path) as project:
        with project.reading() as conn:
            pid = passages_to_code(conn)[0][0]
        session = CodingSession(project, "new-coder")
        session.mark_no_code(pid)
        with project.reading() as conn:
            arms = conn.execute(select(schema.decisions.c.arm)).scalars().all()
    assert arms[-1] in (BEFORE, AFTER) and arms.count(None) == len(arms) - 1
    capsys.readouterr()
    assert main(["verify", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"]
    import sqlite3

    conn = sqlite3.connect(path)  # an arm rewritten by hand breaks the chain
    conn.execute("DROP TRIGGER decisions_no_update")
    conn.execute("UPDATE decisions SET arm = NULL WHERE id = (SELECT max(id) FROM decisions)")
    conn.commit()
    conn.close()
    assert main(["verify", str(path)]) == 1


def test_agreement_report_shows_the_experiment_from_the_same_result(study):
    from workbench.reports.agreement_report import build_agreement_report

    path = str(study.location)
    assert main(["anchoring", path, "--on", "--seed", "5", "--lead", "lee"]) == 0
    study.close()
    with Project.open(path) as project:
        with project.reading() as conn:
            passages = [
                pid for pids in transcript_frame(passages_to_code(conn)).values() for pid in pids
            ]
            suggested = suggestions_for(conn, passages)
        for name in ("ana", "bruno"):
            session = CodingSession(project, name)
            for n, pid in enumerate(passages):
                [s] = suggested[pid]
                if n % 2 == 0 or session.arm(pid) == BEFORE:
                    session.apply_code(pid, "hope.time", suggestion_id=s.id)
                else:
                    session.reject(pid, s.id, "hope.time")
        result = project_anchoring(project)
        report = build_agreement_report(project, ci=False)
    titles = [section.title for section in report.sections]
    text = report.sections[titles.index("Anchoring experiment")]
    assert text.paragraphs == [result.verdict, result.methods]
    measures = report.sections[
        titles.index("Anchoring experiment: suggestions shown before or after the first pass")
    ]
    acceptance = {row[0]: row for row in measures.rows}["acceptance rate"]
    a = result.overall.acceptance
    assert acceptance[1:4] == [a.before.value, a.after.value, a.difference.value]
    per_code = report.sections[titles.index("Anchoring per code: acceptance rate")]
    assert [row[0] for row in per_code.rows] == list(result.per_code)
