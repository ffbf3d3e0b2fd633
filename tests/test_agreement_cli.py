"""Agreement from a project and from ratings CSVs, through the core and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import write
from workbench.cli import main
from workbench.core.agreement.compute import coded_metric, coder_pairs, method_statement, set_alpha
from workbench.core.agreement.data import (
    AgreementDataError,
    CodedData,
    RatingData,
    project_data,
    read_ratings_csv,
)
from workbench.core.exchange import import_decisions_csv
from workbench.core.store.importing import import_transcript_file
from workbench.core.store.queries import list_transcripts
from workbench.suggest.runner import run_suggestions

INTERVIEW = (
    "Interviewer: q1\n\nParticipant: a1\n\nInterviewer: q2\n\nParticipant: a2\n\n"
    "Interviewer: q3\n\nParticipant: a3\n\nInterviewer: q4\n\nParticipant: a4\n"
)


def run_json(capsys, argv):
    capsys.readouterr()
    code = main(argv)
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture
def coded_project(tmp_path, project):
    import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    rows = [
        ("p1#2", "ana", "hope.time"),
        ("p1#2", "ben", "hope.time"),
        ("p1#4", "ana", "fear.atrophy"),
        ("p1#4", "ben", "fear.atrophy"),
        ("p1#4", "ben", "prod.speed"),
        ("p1#6", "ana", ""),
        ("p1#6", "ben", "prod.speed"),
        ("p1#8", "ana", "hope.time"),  # ben did not review p1#8: missing, not disagreement
    ]
    write(
        tmp_path / "d.csv",
        "passage_id,coder,code\n" + "".join(f"{p},{c},{k}\n" for p, c, k in rows),
    )
    import_decisions_csv(project, tmp_path / "d.csv")
    return project


def test_project_data_treats_unreviewed_as_missing(coded_project):
    data = project_data(coded_project)
    assert data.coders == ["ana", "ben"]
    assert data.units == ["p1#2", "p1#4", "p1#6", "p1#8"]
    assert data.reviewed.tolist() == [[True, True], [True, True], [True, True], [True, False]]
    time = data.codes.index("hope.time")
    assert data.code_values(time)[:, 0].tolist() == [1, 0, 0, 1]
    assert data.code_values(time)[:, 1].tolist() == [1, 0, 0, -1]


def test_coded_metrics_per_code_and_over_sets(coded_project):
    data = project_data(coded_project)
    alpha = coded_metric(data, "alpha")
    assert alpha.per_code["hope.time"]["value"] == pytest.approx(1.0)
    assert alpha.per_code["prod.speed"]["units"] == 3
    # set alpha by hand: sets per unit (ana, ben): {t},{t} | {a},{a,s} | {},{s} | {t},-
    sets = [
        frozenset({"t"}),
        frozenset({"a"}),
        frozenset({"a", "s"}),
        frozenset(),
        frozenset({"s"}),
    ]
    from workbench.core.agreement.statistics import (
        count_matrix,
        krippendorff_alpha,
        set_distance_matrix,
    )

    values = np.array([[0, 0], [1, 2], [3, 4], [0, -1]])
    expected = krippendorff_alpha(
        count_matrix(values, 5), delta=set_distance_matrix(sets, "masi")
    ).value
    assert alpha.value == pytest.approx(expected)
    assert alpha.distance == "masi" and alpha.to_dict()["level"] == "set"
    assert alpha.units == 3 and alpha.single_rated == 1  # p1#8 was coded by ana only
    kappa = coded_metric(data, "cohen")
    assert kappa.pooled
    assert "Cohen's kappa" in method_statement(kappa)


class FixedEngine:
    """An engine that suggests one code everywhere; ``model`` changes as a retrain would."""

    name, prompt_version, rater = "fixed", "p", "fixed"

    def __init__(self, model: str, code: str):
        self.model, self.code = model, code

    def suggest(self, passages, codebook, progress=None, cancel=None):
        from workbench.suggest.engine import Suggestion

        return [
            Suggestion(
                p.passage_id, self.code, 0.9, p.text, 0, len(p.text), "", "fixed", self.model, "p"
            )
            for p in passages
        ]


def test_an_engine_is_one_coder_however_often_it_retrains(coded_project):
    with coded_project.reading() as conn:
        ids = [t.id for t in list_transcripts(conn)]
    run_suggestions(coded_project, FixedEngine("m1", "hope.time"), ids)
    run_suggestions(coded_project, FixedEngine("m2", "prod.speed"), ids)  # a retrain
    data = project_data(coded_project)
    assert data.coders == ["ana", "ben", "engine:fixed"]
    assert data.coder_kinds["engine:fixed"] == "engine"
    # its coding of a passage is its latest suggestion set there: prod.speed, not hope.time
    engine = data.coders.index("engine:fixed")
    assert data.present[:, engine, data.codes.index("prod.speed")].all()
    assert not data.present[:, engine, data.codes.index("hope.time")].any()
    assert data.provenance == {"engine:fixed": {"m2 · prompt p · codebook v1": 4}}
    pairs = coder_pairs(data)
    assert set(pairs) == {("ana", "ben"), ("ana", "engine:fixed"), ("ben", "engine:fixed")}


def test_ratings_csv_single_and_set_valued(tmp_path):
    single = read_ratings_csv(
        write(tmp_path / "r.csv", "unit,coder,value\n1,A,low\n1,B,high\n2,A,low\n"),
        ["low", "mid", "high"],
    )
    assert isinstance(single, RatingData) and single.categories == ["low", "mid", "high"]
    assert single.values.tolist() == [[0, 2], [0, -1]]
    sets = read_ratings_csv(
        write(tmp_path / "s.csv", "unit,coder,value\n1,A,x\n1,A,y\n1,B,x\n2,A,\n2,B,y\n")
    )
    assert isinstance(sets, CodedData) and sets.codes == ["x", "y"]
    assert sets.reviewed.tolist() == [[True, True], [True, True]]
    with pytest.raises(AgreementDataError, match="values not in --categories: z"):
        read_ratings_csv(write(tmp_path / "z.csv", "unit,coder,value\n1,A,z\n"), ["x"])
    with pytest.raises(AgreementDataError, match="line 1: expected the header unit,coder,value"):
        read_ratings_csv(write(tmp_path / "h.csv", "id,rater,score\n"))


def test_cli_one_metric_json_shape(tmp_path, capsys):
    path = write(
        tmp_path / "r.csv",
        "unit,coder,value\n1,A,1\n1,B,1\n2,A,2\n2,B,3\n3,A,3\n3,B,3\n4,A,1\n4,B,2\n",
    )
    code, result = run_json(
        capsys,
        ["agreement", str(path), "--metric", "alpha", "--level", "interval", "--ci", "--json"],
    )
    assert code == 0
    for key in ("metric", "value", "reason", "units", "coders", "ci95"):
        assert key in result
    assert result["metric"] == "alpha" and result["units"] == 4 and result["coders"] == 2
    low, high = result["ci95"]
    assert low <= result["value"] <= high
    code, again = run_json(
        capsys,
        ["agreement", str(path), "--metric", "alpha", "--level", "interval", "--ci", "--json"],
    )
    assert again["ci95"] == result["ci95"]  # seeded: reproducible


def test_cli_weighted_kappa_and_ac2(tmp_path, capsys):
    path = write(
        tmp_path / "r.csv",
        "unit,coder,value\n1,A,1\n1,B,2\n2,A,3\n2,B,3\n3,A,1\n3,B,1\n4,A,2\n4,B,3\n",
    )
    _, linear = run_json(
        capsys,
        [
            "agreement",
            str(path),
            "--metric",
            "cohen",
            "--weights",
            "linear",
            "--categories",
            "1,2,3,4",
            "--json",
        ],
    )
    _, plain = run_json(
        capsys, ["agreement", str(path), "--metric", "cohen", "--categories", "1,2,3,4", "--json"]
    )
    assert linear["value"] > plain["value"]  # near misses earn partial credit
    _, ac2 = run_json(
        capsys, ["agreement", str(path), "--metric", "ac1", "--weights", "quadratic", "--json"]
    )
    assert ac2["value"] is not None and ac2["weights"] == "quadratic"


def test_cli_undefined_and_table(tmp_path, capsys):
    path = write(tmp_path / "r.csv", "unit,coder,value\n1,A,1\n1,B,1\n1,C,1\n2,A,1\n2,B,1\n2,C,1\n")
    _, result = run_json(capsys, ["agreement", str(path), "--metric", "alpha", "--json"])
    assert result["value"] is None and "no variation" in result["reason"]
    _, cohen = run_json(capsys, ["agreement", str(path), "--metric", "cohen", "--json"])
    assert cohen["value"] is None and "exactly two coders" in cohen["reason"]
    assert main(["agreement", str(path)]) == 0
    out = capsys.readouterr().out
    assert (
        "Krippendorff's alpha" in out
        and "undefined" in out
        and "Agreement was assessed on 2 units" in out
    )


def test_cli_project_per_code(coded_project, capsys):
    code, result = run_json(
        capsys,
        [
            "agreement",
            coded_project.location,
            "--metric",
            "alpha",
            "--codes",
            "hope.time,prod.speed",
            "--json",
        ],
    )
    assert code == 0 and set(result["per_code"]) == {"hope.time", "prod.speed"}
    assert main(["agreement", coded_project.location, "--coders", "ana,zed"]) == 1
    assert "unknown coder 'zed'" in capsys.readouterr().err


def test_set_alpha_perfect_and_undefined():
    reviewed = np.ones((3, 2), dtype=bool)
    present = np.zeros((3, 2, 2), dtype=bool)
    present[0, :, 0] = present[1, :, 1] = True
    data = CodedData(["u1", "u2", "u3"], ["a", "b"], ["x", "y"], reviewed, present, {})
    assert set_alpha(data).value == pytest.approx(1.0)
    present[:, :, :] = False
    assert set_alpha(data).value is None
