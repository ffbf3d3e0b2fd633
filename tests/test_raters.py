"""Who is a rater: human coders by default, engines beside them, never the consensus; a project
written by the previous schema migrates; engines are judged against the humans; strata."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import write
from workbench.cli import main
from workbench.core.agreement.compute import set_alpha
from workbench.core.agreement.data import CodedData, project_data
from workbench.core.agreement.engines import compare_engine
from workbench.core.agreement.raters import choose_raters
from workbench.core.agreement.strata import agreement_by
from workbench.core.errors import WorkbenchError
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store import Project, schema

SCHEMA_1 = Path(__file__).parent / "data" / "project-schema-1.wb"


def run_json(capsys, argv):
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if code == 0 else captured.err


@pytest.fixture
def old_project(tmp_path):
    """A copy of a project the previous release wrote: humans ana and ben (40 passages coded by
    both), a consensus on one passage, three local-engine runs (a codebook start and two
    retrains, which schema 1 counted as three coders), a memo."""
    path = tmp_path / "old.wb"
    shutil.copy(SCHEMA_1, path)
    return path


def _rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_a_schema_1_project_migrates_with_a_backup_and_loses_nothing(old_project):
    counts = "select (select count(*) from decisions), (select count(*) from suggestions), (select count(*) from memos), (select count(*) from audit_log)"
    before = _rows(old_project, counts)[0]
    with Project.open(old_project) as project:
        assert project.upgraded_from == 1
        backup = project.upgrade_backup
    assert backup is not None and backup.exists()
    assert _rows(backup, "select value from meta where key = 'schema_version'") == [("1",)]
    assert _rows(old_project, "select value from meta where key = 'schema_version'") == [
        (str(schema.SCHEMA_VERSION),)
    ]
    decisions, suggestions, memos, audit = _rows(old_project, counts)[0]
    assert (decisions, suggestions, memos) == before[:3]
    assert audit == before[3] + schema.SCHEMA_VERSION - 1  # one entry per upgrade step
    assert _rows(old_project, "select name, kind from coders order by name") == [
        ("ana", "human"),
        ("ben", "human"),
        ("consensus", "consensus"),
        ("engine:local", "engine"),
    ]
    assert _rows(old_project, "select count(*) from suggestion_runs where coder_id is null") == [
        (0,)
    ]
    detail = json.loads(
        _rows(old_project, "select detail from audit_log where action = 'project.migrate'")[0][0]
    )
    assert detail["from"] == 1 and detail["to"] == 2 and detail["backup"] == backup.name
    with Project.open(old_project) as again:  # nothing more to do the second time
        assert again.upgraded_from is None


def test_after_migration_agreement_counts_the_two_humans(old_project, capsys):
    """Schema 1's release reported alpha 0.313 over 120 passages and 6 "coders" here (ana, ben,
    the consensus and three local-engine retrains); the humans' own alpha was 0.782 on the 40
    passages both coded (measured with that release's ``--coders ana,ben``)."""
    code, report = run_json(capsys, ["agreement", str(old_project), "--metric", "alpha", "--json"])
    assert code == 0
    assert report["coder_names"] == ["ana", "ben"] and report["coders"] == 2
    assert report["units"] == 40 and report["value"] == pytest.approx(0.782324, abs=1e-6)
    assert "40 passages coded by two or more of 2 coders (ana, ben)" in report["method"]
    assert report["raters"]["engines"] == ["engine:local"] and report["raters"]["consensus"]
    (engine,) = report["engines"]
    assert engine["engine"] == "engine:local" and engine["units"] == 40
    assert engine["human_human_alpha"]["value"] == pytest.approx(0.782324, abs=1e-6)


def test_engines_enter_only_when_asked_and_the_consensus_never(old_project, capsys):
    _, both = run_json(
        capsys, ["agreement", str(old_project), "--metric", "alpha", "--include-engines", "--json"]
    )
    assert both["coder_names"] == ["ana", "ben", "engine:local"] and "engines" not in both
    _, named = run_json(
        capsys,
        [
            "agreement",
            str(old_project),
            "--metric",
            "alpha",
            "--coders",
            "ana,engine:local",
            "--json",
        ],
    )
    assert named["coder_names"] == ["ana", "engine:local"]
    code, error = run_json(
        capsys, ["agreement", str(old_project), "--coders", "ana,consensus", "--json"]
    )
    assert code == 1 and "adjudicated result, not a rater" in error


def test_reserved_coder_names_are_refused_in_a_decisions_file(tmp_path, old_project):
    with Project.open(old_project) as project:
        for name in ("consensus", "Consensus", "engine:local", "engine:mine"):
            path = write(tmp_path / "d.csv", f"passage_id,coder,code\nwork_0008#2,{name},\n")
            with pytest.raises(WorkbenchError, match="consensus|engines"):
                import_decisions_csv(project, path)
        # the adjudicated codes are untouched
        data = project_data(project)
        assert int(data.reviewed[:, data.coders.index("consensus")].sum()) == 1


# -- engines against the humans ---------------------------------------------------------------------


def _coded(values: dict[str, list[set[str]]], codes: list[str]) -> CodedData:
    """Coded data from each coder's code sets per unit (None: not reviewed)."""
    coders = list(values)
    units = len(next(iter(values.values())))
    reviewed = np.zeros((units, len(coders)), dtype=bool)
    present = np.zeros((units, len(coders), len(codes)), dtype=bool)
    for c, coder in enumerate(coders):
        for u, found in enumerate(values[coder]):
            if found is not None:
                reviewed[u, c] = True
                for code in found:
                    present[u, c, codes.index(code)] = True
    kinds = {c: "engine" if c.startswith("engine:") else "human" for c in coders}
    return CodedData([f"u{u}" for u in range(units)], coders, codes, reviewed, present, kinds)


def _study(seed: int, engine_noise: float, human_noise: float, units: int = 120) -> CodedData:
    rng = np.random.default_rng(seed)
    codes = ["a", "b", "c"]
    truth = [set(rng.choice(codes, size=rng.integers(0, 3), replace=False)) for _ in range(units)]

    def noisy(noise: float) -> list[set[str]]:
        return [{c for c in codes if (c in t) != (rng.random() < noise)} for t in truth]

    return _coded(
        {"ana": noisy(human_noise), "ben": noisy(human_noise), "engine:x": noisy(engine_noise)},
        codes,
    )


def test_the_vectorised_comparison_equals_alpha_computed_pair_by_pair():
    data = _study(1, 0.3, 0.05)
    found = compare_engine(data, "engine:x", ["ana", "ben"])
    humans = set_alpha(data.select(coders=["ana", "ben"])).value
    pairs = [set_alpha(data.select(coders=[h, "engine:x"])).value for h in ("ana", "ben")]
    assert found.units == 120
    assert found.human_human.value == pytest.approx(humans)
    assert found.engine_human.value == pytest.approx(np.mean(pairs))
    assert found.difference.value == pytest.approx(np.mean(pairs) - humans)
    per_code = compare_engine(data, "engine:x", ["ana", "ben"], "b")
    from workbench.core.agreement.compute import code_metric

    pair = data.select(coders=["ana", "ben"])
    assert per_code.human_human.value == pytest.approx(code_metric(pair, 1, "alpha").value)


@pytest.mark.parametrize(
    ("engine_noise", "human_noise", "verdict"),
    [
        (0.35, 0.03, "agrees with the humans less than they agree with each other"),
        (0.03, 0.03, "no clear difference from the humans' agreement"),
        (0.03, 0.4, "cannot judge: the humans do not yet agree"),
    ],
)
def test_the_engine_verdict(engine_noise, human_noise, verdict):
    found = compare_engine(_study(7, engine_noise, human_noise), "engine:x", ["ana", "ben"])
    assert found.verdict == verdict
    assert found.human_human.ci95 is not None and found.difference.ci95 is not None
    low, high = found.human_human.ci95
    assert low <= found.human_human.value <= high
    assert f"{found.human_human.value:.3f}" in found.sentence
    assert f"{found.engine_human.value:.3f}" in found.sentence


def test_the_engine_is_judged_on_passages_two_humans_coded():
    data = _study(3, 0.1, 0.05, units=60)
    data.reviewed[40:, 1] = False  # ben coded the first 40 only
    found = compare_engine(data, "engine:x", ["ana", "ben"])
    assert found.units == 40


def test_one_human_is_not_enough_to_judge_an_engine(old_project, capsys):
    _, report = run_json(
        capsys, ["agreement", str(old_project), "--metric", "alpha", "--coders", "ana", "--json"]
    )
    assert report["value"] is None and "engines" not in report
    data = _study(2, 0.1, 0.1)
    from workbench.core.agreement.engines import compare_engines

    (only,) = compare_engines(data, ["engine:x"], ["ana"])
    assert only.verdict == "cannot judge: needs two human coders"


# -- strata ---------------------------------------------------------------------------------------------


def test_agreement_by_a_metadata_field_equals_agreement_on_each_subset(old_project, capsys):
    code, report = run_json(
        capsys, ["agreement", str(old_project), "--metric", "alpha", "--by", "language", "--json"]
    )
    assert code == 0 and report["by"]["field"] == "language"
    strata = {s["stratum"]: s for s in report["by"]["strata"]}
    assert sum(s["units"] for s in strata.values()) == report["units"]
    with Project.open(old_project) as project:
        data = project_data(project)
        humans = data.select(coders=choose_raters(data).raters)
        english = [
            key for key in humans.units if key.startswith(("work_", "creativity_", "science_"))
        ]
        found = {s.value: s for s in agreement_by(project, humans, "language")}
    mask = np.array([key in english for key in humans.units])
    direct = set_alpha(humans.units_where(mask), ci=True)
    assert strata["en"]["value"] == pytest.approx(direct.value)
    assert strata["en"]["units"] == direct.units == found["en"].result.units
    assert strata["en"]["ci95"] == pytest.approx(list(direct.ci95), abs=1e-6)
    code, error = run_json(capsys, ["agreement", str(old_project), "--by", "shoe_size"])
    assert code == 1 and "no such metadata field" in error and "language" in error
