"""What a newcomer following the README met on the command line: a REFI-QDA re-import that
said "0 text sources" for a file holding fifteen, and a findings report written for an
``--as`` name the project has never seen (a typo gave an empty report and exit 0)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import write
from workbench.cli import main
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store import Project
from workbench.core.store.team import change_settings
from workbench.demo import create_demo_project


@pytest.fixture
def demo(tmp_path):
    return create_demo_project(tmp_path / "demo.wb")


def test_a_reimport_plan_names_the_sources_the_project_already_holds(demo, tmp_path, capsys):
    qdpx = tmp_path / "demo.qdpx"
    assert main(["export", str(demo), "--out", str(qdpx)]) == 0
    capsys.readouterr()
    assert main(["import", str(demo), str(qdpx), "--dry-run", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)["refi_qda"][0]["plan"]
    held = plan["already_in_project"]
    assert plan["sources"] == 0 and held > 0
    assert main(["import", str(demo), str(qdpx), "--dry-run"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert f"0 text sources ({held} already in the project)" in first


def test_a_first_import_plan_says_nothing_of_sources_held(demo, tmp_path, capsys):
    qdpx = tmp_path / "demo.qdpx"
    assert main(["export", str(demo), "--out", str(qdpx)]) == 0
    empty = tmp_path / "empty.wb"
    assert main(["new", str(empty)]) == 0
    capsys.readouterr()
    assert main(["import", str(empty), str(qdpx), "--dry-run"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert "15 text sources," in first and "already in the project" not in first


@pytest.fixture
def blind_study(demo, tmp_path):
    """The demo with a lead (lena) and a coder (ana) who coded one passage, blind coding on."""
    with Project.open(demo) as project:
        write(tmp_path / "d.csv", "passage_id,coder,code\nwork_0097#4,ana,prod.speed\n")
        import_decisions_csv(project, tmp_path / "d.csv")
        change_settings(project, "lena", blind=True, leads=["lena"], coders=["ana"])
    return demo


def test_a_findings_report_for_a_name_that_never_coded_is_refused(blind_study, tmp_path, capsys):
    out = tmp_path / "findings.csv"
    base = ["report", str(blind_study), "--kind", "analysis", "--no-ci", "--out", str(out)]
    assert main([*base, "--as", "Ana"]) == 1  # a typo of ana: no such coder
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --as: 'Ana' has no decisions or memos in ") and "\n" not in err
    assert not out.exists()
    assert main([*base, "--as", "ana"]) == 0 and out.exists()
    assert main([*base, "--as", "lena"]) == 0  # a lead sees every coder, coded or not


def test_a_blind_code_search_as_an_unknown_name_names_as(blind_study, capsys):
    """``--code`` under ``--as`` means the name's own codings: a typo in the name is an error
    about ``--as``, which the user typed, not about ``--coder``, which they did not."""
    base = ["search", str(blind_study), "", "--code", "prod.speed"]
    assert main([*base, "--as", "Ana"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --as: 'Ana' has no decisions or memos in ") and "\n" not in err
    assert main([*base, "--as", "ana", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 1
    assert main(["search", str(blind_study), "speed", "--as", "Ana"]) == 0  # words alone: fine


def test_an_own_export_of_nothing_coded_gives_the_true_reason(blind_study, tmp_path, capsys):
    """``--as NAME --blind`` asks for NAME's own file: with nothing coded it is refused, but
    "blind coding is on" is no reason for a lead, nor for anyone while it is off."""
    out = tmp_path / "mine.csv"
    args = ["export", str(blind_study), "--out", str(out), "--as", "lena", "--blind"]
    assert main(args) == 1  # lena leads and has coded nothing
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --as: 'lena' has no codes or memos in ") and "\n" not in err
    assert "blind coding is on" not in err and "--as NAME --blind" in err
    with Project.open(blind_study) as project:
        change_settings(project, "lena", blind=False)
    assert main([*args[:-3], "--as", "cy", "--blind"]) == 1
    err = capsys.readouterr().err.strip()
    assert "blind coding is on" not in err and not out.exists()
    assert main([*args[:-3], "--as", "ana", "--blind"]) == 0 and out.exists()
