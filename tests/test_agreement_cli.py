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
from workbench.core.spreadsheet import import_decisions_csv
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
    sends_text = learns = False

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


# -- reading ratings: the column-wise reader and the row reader agree -----------------------------------


def _same_ratings(a, b):
    assert type(a) is type(b)
    assert (a.units, a.coders) == (b.units, b.coders)
    if isinstance(a, RatingData):
        assert a.categories == b.categories and a.values.tolist() == b.values.tolist()
    else:
        assert a.codes == b.codes
        assert a.reviewed.tolist() == b.reviewed.tolist()
        assert a.present.tolist() == b.present.tolist()


def test_columnwise_reader_equals_the_row_reader_on_random_files(tmp_path):
    """Quoting every cell sends a file to the csv-module reader; unquoted it is split
    column-wise. Both must read the same units, coders, order and categories."""
    from workbench.core.agreement.columns import split_columns

    rng = np.random.default_rng(5)
    names = ["u1", "unit-with-a-long-name-7", "ü2", "3", "passage#12", "x y"]
    for trial in range(20):
        rows = {
            (str(rng.choice(names)) + str(rng.integers(0, 4)), f"c{rng.integers(0, 3)}")
            for _ in range(rng.integers(1, 30))
        }
        labels = ["low", "mid", "high", "très"] if trial % 2 else ["1", "2", "10"]
        lines = [
            (u, c, str(rng.choice(labels))) for u, c in sorted(rows, key=lambda _: rng.random())
        ]
        plain = "unit,coder,value\n" + "".join(f"{u},{c},{v}\n" for u, c, v in lines)
        quoted = "unit,coder,value\n" + "".join(f'"{u}","{c}","{v}"\n' for u, c, v in lines)
        body = plain.partition("\n")[2].encode()
        assert split_columns(body) is not None  # the fast path really ran
        fast = read_ratings_csv(write(tmp_path / f"p{trial}.csv", plain))
        slow = read_ratings_csv(write(tmp_path / f"q{trial}.csv", quoted))
        _same_ratings(fast, slow)
        assert isinstance(fast, RatingData)


@pytest.mark.parametrize(
    "rows",
    [
        "1,A,x\n 1 ,B, y \n2,A,x\n",  # padded cells are stripped
        "1,A,x\n\n1,B,y\n2,A,x\n",  # a blank line is skipped
        "1,A,x\r\n1,B,y\r\n2,A,x\r\n",  # Windows line ends
        "1,A,x\n1,B,y\n2,A,x",  # no newline at the end
        "1,A,x,note\n1,B,y\n2,A,x\n",  # an extra cell is ignored
    ],
)
def test_irregular_but_valid_files_read_like_the_plain_one(tmp_path, rows):
    plain = read_ratings_csv(
        write(tmp_path / "plain.csv", "unit,coder,value\n1,A,x\n1,B,y\n2,A,x\n")
    )
    _same_ratings(read_ratings_csv(write(tmp_path / "odd.csv", "unit,coder,value\n" + rows)), plain)


def test_reader_errors_name_the_file_and_line(tmp_path):
    with pytest.raises(AgreementDataError, match=r"bad\.csv: line 3: needs a unit and a coder"):
        read_ratings_csv(write(tmp_path / "bad.csv", "unit,coder,value\n1,A,x\n,B,y\n"))
    with pytest.raises(AgreementDataError, match=r"line 2: needs a unit and a coder"):
        read_ratings_csv(write(tmp_path / "one.csv", "unit,coder,value\n1\n"))
    with pytest.raises(AgreementDataError, match="values not in --categories: y, z"):
        read_ratings_csv(write(tmp_path / "c.csv", "unit,coder,value\n1,A,z\n1,B,y\n"), ["x"])
    with pytest.raises(AgreementDataError, match="line 1: expected the header .*the file is empty"):
        read_ratings_csv(write(tmp_path / "empty.csv", ""))
    with pytest.raises(AgreementDataError, match="found 1,a,x"):
        read_ratings_csv(write(tmp_path / "nohead.csv", "1,A,x\n"))


def test_repeated_cell_or_empty_value_is_set_valued(tmp_path):
    repeated = read_ratings_csv(
        write(tmp_path / "r.csv", "unit,coder,value\n1,A,x\n1,A,y\n1,B,x\n")
    )
    assert isinstance(repeated, CodedData) and repeated.present[0, 0].tolist() == [True, True]
    empty = read_ratings_csv(write(tmp_path / "e.csv", "unit,coder,value\n1,A,x\n1,B,\n"))
    assert isinstance(empty, CodedData) and empty.reviewed.tolist() == [[True, True]]
    assert empty.present[0, 1].tolist() == [False]


@pytest.mark.parametrize(
    "text", ["unit,coder,value\n", "unit,coder,value\n\n\n", "unit,coder,value\n1,A,\n1,B,\n2,A,\n"]
)
def test_ratings_without_values_are_undefined_not_an_error(tmp_path, capsys, text):
    path = write(tmp_path / "r.csv", text)
    for metric in ("alpha", "percent", "fleiss", "scott", "ac1"):
        code, result = run_json(capsys, ["agreement", str(path), "--metric", metric, "--json"])
        assert code == 0 and result["value"] is None and result["reason"], metric
    assert main(["agreement", str(path)]) == 0
    assert "undefined" in capsys.readouterr().out


def test_cli_scott_with_missing_ratings_is_gwets_two_coder_formula(tmp_path, capsys):
    """Unit 5 only A rated: it enters the category shares, not the observed agreement."""
    rows = [("1", "A", "x"), ("1", "B", "x"), ("2", "A", "y"), ("2", "B", "y")]
    rows += [("3", "A", "x"), ("3", "B", "y"), ("4", "A", "x"), ("4", "B", "x"), ("5", "A", "z")]
    path = write(
        tmp_path / "r.csv", "unit,coder,value\n" + "".join(f"{u},{c},{v}\n" for u, c, v in rows)
    )
    _, scott = run_json(capsys, ["agreement", str(path), "--metric", "scott", "--json"])
    _, fleiss = run_json(capsys, ["agreement", str(path), "--metric", "fleiss", "--json"])
    # shares per unit: (1,0,0), (0,1,0), (.5,.5,0), (1,0,0), (0,0,1); p_a = 3 of 4 units
    pi = np.array([2.5, 1.5, 1]) / 5
    p_e = float((pi**2).sum())
    assert scott["value"] == pytest.approx((0.75 - p_e) / (1 - p_e), abs=1e-6)
    assert scott["value"] == fleiss["value"] and scott["units"] == 4


def test_agreement_over_a_csv_imports_no_database_code(tmp_path):
    import subprocess
    import sys

    path = write(tmp_path / "r.csv", "unit,coder,value\n1,A,x\n1,B,x\n2,A,y\n2,B,x\n")
    probe = (
        "import sys; from workbench.cli import main; "
        f"code = main(['agreement', {str(path)!r}, '--metric', 'alpha', '--json']); "
        "print(code, sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'PySide6', "
        "'workbench.core.store'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "0 []"


def test_columnwise_reader_knows_every_character_strip_removes(tmp_path):
    """A cell padded with any Unicode space must reach the row reader, which strips it."""
    from workbench.core.agreement.columns import SPACES, split_columns

    assert set(SPACES) == {chr(c) for c in range(0x110000) if chr(c).isspace()}
    for space in SPACES.replace("\n", ""):
        for row in (f"1,A,x{space}\n", f"1,{space}A,x\n", f"{space}1,A,x\n", f"1,A{space},x\n"):
            assert split_columns(row.encode("utf-8")) is None, repr(row)
        inside = split_columns(f"1,A{space}B,x\n".encode())  # kept, but "\r" ends a csv row
        assert (inside is None) == (space == "\r"), repr(space)
