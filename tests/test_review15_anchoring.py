"""Review of the anchoring experiment's edge cases: every state a lead can run the report in
gets one plain sentence saying what can and cannot be concluded, never a traceback or a
methods paragraph about "0 coders"."""

from __future__ import annotations

import json

import numpy as np

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
    assert 'no suggestion was answered in the "after" arm' in verdict.lower()


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
