"""``workbench export --as NAME`` and ``workbench report --as NAME`` keep blind coding: a coder
gets only their own codes and memos, a report comparing coders is refused; a lead, or anyone
while blind coding is off, gets what the command gave before."""

from __future__ import annotations

import csv
import json

import pytest

from tests.conftest import write
from workbench.cli import main
from workbench.core.session import CodingSession
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store import Project
from workbench.core.store.queries import passage_ids_for_keys
from workbench.core.store.team import change_settings
from workbench.demo import create_demo_project


@pytest.fixture
def study(tmp_path):
    """The demo with a lead (lena) and two coders who coded and wrote memos on one passage."""
    path = create_demo_project(tmp_path / "demo.wb")
    with Project.open(path) as project:
        write(
            tmp_path / "d.csv",
            "passage_id,coder,code\n"
            "work_0097#2,ana,prod.speed\n"
            "work_0097#4,ana,prod.speed\n"
            "work_0097#4,ben,trust.accuracy\n"
            "work_0097#4,lena,prod.speed\n"
            "work_0097#6,ben,trust.accuracy\n",
        )
        import_decisions_csv(project, tmp_path / "d.csv")
        with project.reading() as conn:
            passage = passage_ids_for_keys(conn, ["work_0097#4"])["work_0097#4"]
        CodingSession(project, "ana").save_memo(passage, "ana's own thought")
        CodingSession(project, "ben").save_memo(passage, "ben's private thought")
        change_settings(project, "lena", blind=True, leads=["lena"], coders=["ana", "ben"])
    return path


def _coders_in(path) -> set[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["coder"] for row in csv.DictReader(handle)}


def test_a_coder_exports_only_their_own_codes_and_memos(study, tmp_path, capsys):
    out = tmp_path / "mine.csv"
    assert main(["export", str(study), "--out", str(out), "--long", "--as", "ana", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "export for coder ana" in report["contents"]
    assert _coders_in(out) - {c for c in _coders_in(out) if c.startswith("engine:")} == {"ana"}
    memos = tmp_path / "mine.memos.csv"
    text = memos.read_text(encoding="utf-8")
    assert "ana's own thought" in text and "ben" not in text
    wide = tmp_path / "wide.csv"
    assert main(["export", str(study), "--out", str(wide), "--as", "ana"]) == 0
    header = wide.read_text(encoding="utf-8").splitlines()[0]
    assert "codes:ana" in header and "codes:ben" not in header and "codes:lena" not in header


def test_a_lead_or_no_as_exports_every_coder(study, tmp_path):
    for extra in (["--as", "lena"], []):
        out = tmp_path / f"all{len(extra)}.csv"
        assert main(["export", str(study), "--out", str(out), "--long", *extra]) == 0
        assert {"ana", "ben", "lena"} <= _coders_in(out)
        assert "ben's private thought" in (tmp_path / f"all{len(extra)}.memos.csv").read_text(
            encoding="utf-8"
        )


def test_blind_coding_off_lets_a_coder_export_everyone(study, tmp_path):
    with Project.open(study) as project:
        change_settings(project, "lena", blind=False)
    out = tmp_path / "all.csv"
    assert main(["export", str(study), "--out", str(out), "--long", "--as", "ana"]) == 0
    assert {"ana", "ben", "lena"} <= _coders_in(out)


def test_a_coder_is_refused_others_files_and_a_qdpx(study, tmp_path, capsys):
    out = tmp_path / "x.csv"
    args = ["export", str(study), "--out", str(out), "--as", "ana", "--coder", "ben", "--blind"]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert err == "error: --coder: blind coding is on: 'ana' cannot export the codes of 'ben'"
    assert not out.exists()
    qdpx = tmp_path / "x.qdpx"
    assert main(["export", str(study), "--out", str(qdpx), "--as", "ana"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "a .qdpx carries every coder's codes" in err
    assert not qdpx.exists()
    # a lead may still write a coder's blind file, and a coder their own with --blind alone
    assert main([*args[:4], "--as", "lena", "--coder", "ben", "--blind"]) == 0
    assert main(["export", str(study), "--out", str(out), "--as", "ana", "--blind"]) == 0
    assert "export for coder ana" in capsys.readouterr().out


def test_the_agreement_report_is_refused_to_a_coder(study, tmp_path, capsys):
    out = tmp_path / "agreement.csv"
    assert (
        main(["report", str(study), "--kind", "agreement", "--out", str(out), "--as", "ana"]) == 1
    )
    err = capsys.readouterr().err.strip()
    assert err == (
        "error: --as: blind coding is on and 'ana' is not a lead: the agreement report compares "
        "coders' codes, so only a lead may write it"
    )
    assert not out.exists()
    args = ["report", str(study), "--kind", "agreement", "--out", str(out), "--no-ci"]
    assert main([*args, "--as", "lena"]) == 0 and out.exists()


def _frequencies(path) -> dict[str, str]:
    """``{code: participants}`` from an analysis report's CSV (its frequency table)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["code"]: row["participants"] for row in csv.DictReader(handle)}


def test_a_coders_analysis_report_counts_only_their_codings(study, tmp_path, capsys):
    mine, lead = tmp_path / "mine.html", tmp_path / "lead.html"
    base = ["report", str(study), "--kind", "analysis", "--no-ci"]
    assert main([*base, "--out", str(mine), "--as", "ana"]) == 0
    assert "of ana's own codings" in capsys.readouterr().out
    assert main([*base, "--out", str(lead), "--as", "lena"]) == 0
    page, full = mine.read_text(encoding="utf-8"), lead.read_text(encoding="utf-8")
    assert "Only ana&#x27;s own codings" in page or "Only ana's own codings" in page
    empty = "<th>quote</th></tr></table>"  # the exemplar table, left without rows
    assert empty in page and empty not in full
    assert "only one coder counts" in page.lower() and "only one coder counts" not in full.lower()
    assert "were left out" not in page  # how many passages others reviewed is theirs
    # trust.accuracy is ben's code only: the lead's report counts it, ana's does not
    csv_mine, csv_lead = tmp_path / "mine.csv", tmp_path / "lead.csv"
    assert main([*base, "--out", str(csv_mine), "--as", "ana"]) == 0
    assert main([*base, "--out", str(csv_lead)]) == 0
    assert _frequencies(csv_lead)["trust.accuracy"] != "0"
    assert _frequencies(csv_mine)["trust.accuracy"] == "0"
    assert _frequencies(csv_mine)["prod.speed"] != "0"


def test_a_coder_with_nothing_coded_is_told_so_in_terms_of_as(study, tmp_path, capsys):
    with Project.open(study) as project:
        change_settings(project, "lena", coders=["cy"])
    out = tmp_path / "cy.csv"
    assert main(["export", str(study), "--out", str(out), "--as", "cy"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --as: 'cy' has no codes or memos in ") and "\n" not in err
    assert not out.exists()


def test_a_blank_as_is_refused_at_parse_time(capsys):
    assert main(["report", "x.wb", "--as", " ", "--out", "r.html"]) == 2
    assert "argument --as: a coder's name, not blank" in capsys.readouterr().err
