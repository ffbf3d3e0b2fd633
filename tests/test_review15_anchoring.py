"""Review of the anchoring experiment's edge cases: every state a lead can run the report in
gets one plain sentence saying what can and cannot be concluded, never a traceback or a
methods paragraph about "0 coders"."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import write
from workbench.cli import main
from workbench.core.agreement.anchoring import AnchoringUnits, analyse_units
from workbench.core.store.importing import import_transcript_file


def _units(passage, stratum, arm, answered, accepted) -> AnchoringUnits:
    n = len(passage)
    return AnchoringUnits(
        codes=("c",),
        passage=np.array(passage),
        stratum=np.array(stratum),
        arm=np.array(arm),
        human=np.array(accepted, dtype=bool).reshape(n, 1),
        engine=np.ones((n, 1), dtype=bool),
        accepted=np.array(accepted, dtype=float).reshape(n, 1),
        answered=np.array(answered, dtype=float).reshape(n, 1),
    )


def test_a_difference_without_an_interval_still_gives_a_verdict():
    # One answered suggestion per arm, each on one passage of a 40-passage transcript: most
    # resamples leave one arm empty, so the difference has a value but no interval.
    passages = 40
    answered = [0.0] * passages
    answered[0] = answered[1] = 1.0
    accepted = [0.0] * passages
    accepted[0] = 1.0
    units = _units(
        list(range(passages)), [0] * passages, [i % 2 for i in range(passages)], answered, accepted
    )
    result = analyse_units(units, resamples=200)
    d = result.overall.acceptance.difference
    assert d.value == 1.0 and d.low is None  # the case under review
    assert "no interval" in result.verdict and "+1.00" in result.verdict


def test_one_arm_without_answers_names_that_arm():
    units = _units([0, 1, 2, 3], [0, 0, 0, 0], [0, 0, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0])
    verdict = analyse_units(units, resamples=50).verdict
    assert 'no code was suggested on the passages of the "after" arm' in verdict.lower()


def _project_with_passages(tmp_path, project):
    text = "".join(f"Interviewer: Q{i}?\n\nParticipant: Answer {i}.\n\n" for i in range(4))
    import_transcript_file(project, write(tmp_path / "p1.txt", text))
    path = str(project.location)
    project.close()
    return path


def test_experiment_never_on_says_so_in_one_line(tmp_path, project, capsys):
    path = _project_with_passages(tmp_path, project)
    assert main(["anchoring", path]) == 0
    out = capsys.readouterr().out.strip()
    assert out.splitlines() == [out]  # one line: no figures, no methods about 0 coders
    assert "experiment is off" in out and "--on" in out
    assert main(["anchoring", path, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == out and report["methods"] is None


def test_experiment_on_without_decisions_says_so(tmp_path, project, capsys):
    path = _project_with_passages(tmp_path, project)
    assert main(["anchoring", path, "--on", "--seed", "4", "--lead", "lee"]) == 0
    capsys.readouterr()
    assert main(["anchoring", path]) == 0
    out = capsys.readouterr().out.strip()
    assert out.splitlines() == [out]
    assert "on (seed 4)" in out and "no decision" in out


@pytest.mark.backends
def test_acceptance_counts_agreement_made_before_the_suggestion_showed(tmp_path, project):
    """In the "after" arm a coder codes first; a suggestion of a code they already applied
    shows as applied and is never clicked. Counting only clicked answers made every such
    agreement vanish from "after" but not from "before" (where the same agreement is a click),
    so coders who ignore suggestions entirely looked anchored. Acceptance is what the coder's
    codes end up holding of what was suggested, however it got there."""
    from workbench.core.agreement.anchoring import project_anchoring
    from workbench.core.anchoring_arms import BEFORE, transcript_frame
    from workbench.core.session import CodingSession
    from workbench.core.store import Project
    from workbench.core.store.queries import passages_to_code
    from workbench.core.store.suggestions import save_suggestions, suggestions_for
    from workbench.suggest.engine import Suggestion

    text = "".join(f"Interviewer: Q{i}?\n\nParticipant: p answer {i}.\n\n" for i in range(12))
    for name in ("p1", "p2"):
        import_transcript_file(project, write(tmp_path / f"{name}.txt", text.replace("p ", name)))
    with project.reading() as conn:
        passages = [pid for pid, _, _ in passages_to_code(conn)]
    with project.transaction() as conn:
        save_suggestions(
            conn,
            [
                Suggestion(p, "hope.time", 0.8, "", None, None, "", "local", "m", "p")
                for p in passages
            ],
            project.codebook.version,
        )
    path = str(project.location)
    project.close()
    assert main(["anchoring", path, "--on", "--seed", "2", "--lead", "lee"]) == 0
    agreed = {BEFORE: [], "after": []}
    with Project.open(path) as project:
        with project.reading() as conn:
            order = [p for ps in transcript_frame(passages_to_code(conn)).values() for p in ps]
            suggested = suggestions_for(conn, order)
        for c, name in enumerate(("ana", "bruno")):
            session = CodingSession(project, name)
            for n, pid in enumerate(order):
                [s] = suggested[pid]
                own = "hope.time" if (n + c) % 3 == 0 else "prod.speed"  # blind to the arm
                arm = session.arm(pid)
                agreed[arm].append(own == "hope.time")
                if arm == BEFORE:  # shown first: agreeing is a click on the suggestion
                    session.apply_code(pid, own, suggestion_id=s.id if own == s.code_id else None)
                else:  # coded first: an agreeing suggestion then shows as already applied
                    session.apply_code(pid, own)
                if own != s.code_id:
                    session.reject(pid, s.id, s.code_id)
        result = project_anchoring(project, resamples=50)
    acceptance = result.overall.acceptance
    assert acceptance.before.value == np.mean(agreed[BEFORE])
    assert acceptance.after.value == np.mean(agreed["after"])  # was 0: no click, no answer


def _coded_study(tmp_path, project):
    from workbench.core.store.queries import passages_to_code
    from workbench.core.store.suggestions import save_suggestions
    from workbench.suggest.engine import Suggestion

    text = "".join(f"Interviewer: Q{i}?\n\nParticipant: answer {i}.\n\n" for i in range(6))
    import_transcript_file(project, write(tmp_path / "p1.txt", text))
    with project.reading() as conn:
        passages = [pid for pid, _, _ in passages_to_code(conn)]
    with project.transaction() as conn:
        save_suggestions(
            conn,
            [
                Suggestion(p, "hope.time", 0.8, "", None, None, "", "local", "m", "p")
                for p in passages
            ],
            project.codebook.version,
        )
    path = str(project.location)
    project.close()
    return path, passages


@pytest.mark.backends
def test_a_passage_also_decided_outside_the_experiment_is_left_out(tmp_path, project, capsys):
    from workbench.core.agreement.anchoring import project_anchoring
    from workbench.core.session import CodingSession
    from workbench.core.store import Project

    path, passages = _coded_study(tmp_path, project)
    with Project.open(path) as opened:  # experiment off: ana's first look at passage 0
        CodingSession(opened, "ana").apply_code(passages[0], "prod.speed")
    assert main(["anchoring", path, "--on", "--seed", "3", "--lead", "lee"]) == 0
    with Project.open(path) as opened:
        session = CodingSession(opened, "ana")
        for pid in passages:
            session.apply_code(pid, "hope.time")
        result = project_anchoring(opened, resamples=20)
    assert sum(result.units.values()) == len(passages) - 1
    assert result.excluded_units == 1
    assert "1 coder-passage unit was left out" in result.methods


@pytest.mark.backends
def test_the_seed_cannot_change_once_decisions_are_in_arms(tmp_path, project, capsys):
    from workbench.core.session import CodingSession
    from workbench.core.store import Project

    path, passages = _coded_study(tmp_path, project)
    assert main(["anchoring", path, "--on", "--seed", "3", "--lead", "lee"]) == 0
    assert main(["anchoring", path, "--on", "--seed", "4", "--lead", "lee"]) == 0  # none yet
    with Project.open(path) as opened:
        CodingSession(opened, "ana").apply_code(passages[0], "hope.time")
    capsys.readouterr()
    assert main(["anchoring", path, "--on", "--seed", "5", "--lead", "lee"]) == 1
    err = capsys.readouterr().err
    assert "seed 4" in err and len(err.strip().splitlines()) == 1
    assert main(["anchoring", path, "--off", "--lead", "lee"]) == 0
    assert main(["anchoring", path, "--on", "--lead", "lee"]) == 0  # back on, same seed
    assert main(["anchoring", path, "--on", "--seed", "4", "--lead", "lee"]) == 0


def test_passages_without_a_suggestion_do_not_count_as_the_engine_saying_no_code():
    """No stored suggestion on a passage cannot be told from an engine never run there; counting
    it as "the engine found no code" gave alpha -0.83 against coders who coded those passages."""
    rng = np.random.default_rng(3)
    units = 40
    human = rng.random((units, 2)) < 0.5
    engine = rng.random((units, 2)) < 0.5
    engine[:, 0] |= ~engine.any(axis=1)  # every unit here has a suggestion
    base = AnchoringUnits(
        codes=("a", "b"),
        passage=np.arange(units),
        stratum=np.zeros(units, dtype=int),
        arm=np.arange(units) % 2,
        human=human,
        engine=engine,
        accepted=(human & engine).astype(float),
        answered=engine.astype(float),
    )
    extra = 10  # passages the engine never saw, coded by the coders
    grown = AnchoringUnits(
        codes=base.codes,
        passage=np.arange(units + extra),
        stratum=np.zeros(units + extra, dtype=int),
        arm=np.arange(units + extra) % 2,
        human=np.vstack([human, np.ones((extra, 2), bool)]),
        engine=np.vstack([engine, np.zeros((extra, 2), bool)]),
        accepted=np.vstack([base.accepted, np.zeros((extra, 2))]),
        answered=np.vstack([base.answered, np.zeros((extra, 2))]),
    )
    before = analyse_units(base, resamples=20).overall.human_engine
    after = analyse_units(grown, resamples=20).overall.human_engine
    assert after.before.value == pytest.approx(before.before.value)
    assert after.after.value == pytest.approx(before.after.value)
