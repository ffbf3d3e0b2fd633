"""Disagreements, adjudication as the consensus coder, and the double-coding sampler."""

from __future__ import annotations

import pytest

from tests.conftest import write
from workbench.cli import main
from workbench.core.agreement.adjudication import adjudicate, find_disagreements
from workbench.core.agreement.data import project_data
from workbench.core.agreement.sampling import sample_size_for_width, stratified_sample
from workbench.core.errors import DecisionError
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store import Project
from workbench.core.store.importing import import_transcript_file
from workbench.demo import create_demo_project

INTERVIEW = "Interviewer: q1\n\nParticipant: a1\n\nInterviewer: q2\n\nParticipant: a2\n\nInterviewer: q3\n\nParticipant: a3\n"


@pytest.fixture
def coded(tmp_path, project):
    import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    write(
        tmp_path / "d.csv",
        "passage_id,coder,code\np1#2,ana,hope.time\np1#2,ben,hope.time\n"
        "p1#4,ana,fear.atrophy\np1#4,ben,prod.speed\np1#6,ana,\np1#6,ben,prod.speed\n",
    )
    import_decisions_csv(project, tmp_path / "d.csv")
    return project


def test_disagreements_overall_and_per_code(coded):
    data = project_data(coded)
    found = find_disagreements(data)
    assert [d.unit for d in found] == ["p1#4", "p1#6"]
    assert found[0].codes == {"ana": frozenset({"fear.atrophy"}), "ben": frozenset({"prod.speed"})}
    assert [d.unit for d in find_disagreements(data, code="prod.speed")] == ["p1#4", "p1#6"]
    assert find_disagreements(data, code="hope.time") == []


def test_adjudication_is_a_consensus_coder_with_a_reason(coded):
    adjudicate(coded, "p1#4", {"fear.atrophy", "prod.speed"}, "lead", "both are in the answer")
    adjudicate(coded, "p1#6", set(), "lead", "a courtesy, nothing to code")
    data = project_data(coded)
    assert (
        data.coders == ["ana", "ben", "consensus"] and data.coder_kinds["consensus"] == "consensus"
    )
    assert [d.unit for d in find_disagreements(data)] == ["p1#4", "p1#6"]  # humans still differ
    adjudicate(coded, "p1#4", {"prod.speed"}, "lead", "on reflection")
    data = project_data(coded)
    unit = data.units.index("p1#4")
    consensus = data.coders.index("consensus")
    assert [data.codes[i] for i in range(len(data.codes)) if data.present[unit, consensus, i]] == [
        "prod.speed"
    ]
    with pytest.raises(DecisionError, match="needs a reason"):
        adjudicate(coded, "p1#4", {"prod.speed"}, "lead", " ")
    with pytest.raises(DecisionError, match="not codes"):
        adjudicate(coded, "p1#4", {"nope"}, "lead", "x")


def test_adjudication_refuses_an_interviewer_turn_and_records_nothing(coded):
    with pytest.raises(DecisionError, match=r"p1#1' is an interviewer turn \('Interviewer'\)"):
        adjudicate(coded, "p1#1", {"prod.speed"}, "lead", "a reason")
    assert "consensus" not in project_data(coded).coders


def test_cli_disagreements_and_adjudicate(coded, capsys):
    assert main(["disagreements", coded.location]) == 0
    assert "p1#4  ana: fear.atrophy  |  ben: prod.speed" in capsys.readouterr().out
    assert (
        main(
            [
                "adjudicate",
                coded.location,
                "p1#4",
                "--codes",
                "prod.speed",
                "--lead",
                "kim",
                "--reason",
                "clear",
            ]
        )
        == 0
    )
    assert "consensus is prod.speed" in capsys.readouterr().out


def test_sample_size_calculator():
    assert sample_size_for_width(0.1, 0.8) == 246  # 1.96² x .8 x .2 / .05²
    assert sample_size_for_width(0.2, 0.5) == 97
    with pytest.raises(ValueError):
        sample_size_for_width(1.5)


def test_stratified_sample_is_proportional_seeded_and_keeps_small_groups(tmp_path):
    with Project.open(create_demo_project(tmp_path / "demo.wb")) as project:
        first = stratified_sample(project, 30, by="group", seed=5)
        again = stratified_sample(project, 30, by="group", seed=5)
        other = stratified_sample(project, 30, by="group", seed=6)
        assert first == again and first != other
        assert set(first) == {"creatives", "scientists", "workforce"}
        assert sum(len(v) for v in first.values()) == 30
        assert len(first["workforce"]) > len(first["creatives"])
        by_language = stratified_sample(project, 10, by="language", seed=1)
        assert all(len(keys) >= 1 for keys in by_language.values()) and "ar" in by_language


def test_cli_sample(tmp_path, capsys):
    location = create_demo_project(tmp_path / "demo.wb")
    out = tmp_path / "sample.csv"
    assert main(["sample", str(location), "--size", "12", "--by", "group", "--out", str(out)]) == 0
    assert (
        out.read_text().startswith("passage_id,group\n") and len(out.read_text().splitlines()) == 13
    )
