"""Bugs found in a newcomer review, each pinned as a strict xfail until it is fixed.

Every test here states the behaviour a user expects and fails today; when a fix lands the test
passes, strict xfail turns that into a failure, and whoever fixed it removes the marker. The
tests drive the command line (``main([...])``) on the bundled sample study, as a user would.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from tests.conftest import REPO, write
from workbench.cli import main

REFERENCE = REPO / "resources" / "sample-coding" / "reference-decisions.csv"


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The demo project with the reference coder and a second coder who differs on some codes."""
    path = tmp_path / "sample.wb"
    assert main(["demo", "--no-gui", str(path)]) == 0
    assert main(["import", str(path), str(REFERENCE), "--decisions"]) == 0
    rows = list(csv.DictReader(REFERENCE.open(encoding="utf-8", newline="")))
    second = tmp_path / "ana.csv"
    with second.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["passage_id", "coder", "code"])
        writer.writeheader()
        for i, row in enumerate(rows):
            code = "prod.speed" if i % 5 == 0 and row["code"] else row["code"]
            writer.writerow({"passage_id": row["passage_id"], "coder": "ana", "code": code})
    assert main(["import", str(path), str(second), "--decisions"]) == 0
    capsys.readouterr()
    return path


def test_tree_level_with_by_is_refused_or_broken_down(sample, capsys):
    code, out, _ = _run(
        capsys, ["agreement", str(sample), "--tree-level", "all", "--by", "group", "--json"]
    )
    result = json.loads(out) if code == 0 else {}
    assert code == 2 or "by" in result


def test_codebook_diff_takes_a_bare_project_as_its_newest_version(sample, tmp_path, capsys):
    same = REPO / "codebooks" / "ai-at-work.yaml"
    code, out, err = _run(capsys, ["codebook", "diff", str(sample), str(same)])
    assert code == 0, err
    assert "UTF-8" not in err


def test_a_bare_operator_is_not_a_match_everything(sample, capsys):
    code, out, _ = _run(capsys, ["search", str(sample), "NOT", "--json"])
    assert code in (0, 1)
    if code == 0:
        everything = json.loads(_run(capsys, ["search", str(sample), "", "--json"])[1])
        assert json.loads(out)["total"] < everything["total"]


def test_restore_leaves_no_wal_files_in_the_backups_folder(sample, capsys):
    code, out, err = _run(capsys, ["backup", str(sample)])
    assert code == 0, err
    backup = Path(out.strip().splitlines()[-1])
    code, _, err = _run(capsys, ["restore", str(sample), backup.name, "--yes"])
    assert code == 0, err
    leftovers = sorted(p.name for p in backup.parent.iterdir() if p.name.endswith(("-wal", "-shm")))
    assert leftovers == []


def test_refi_round_trip_keeps_engine_suggestions_apart_from_reviews(tmp_path, capsys):
    source = tmp_path / "engine-only.wb"
    assert main(["demo", "--no-gui", str(source)]) == 0
    assert main(["suggest", str(source)]) == 0
    before = json.loads(_run(capsys, ["status", str(source), "--json"])[1])
    assert before["reviewed_passages"] == 0
    qdpx = tmp_path / "out.qdpx"
    assert main(["export", str(source), "--out", str(qdpx)]) == 0
    copy = tmp_path / "copy.wb"
    assert main(["new", str(copy), "--from", str(qdpx)]) == 0
    after = json.loads(_run(capsys, ["status", str(copy), "--json"])[1])
    assert after["reviewed_passages"] == before["reviewed_passages"]


def test_a_codebook_error_says_error_once(tmp_path, capsys):
    bad = write(
        tmp_path / "bad.yaml",
        "name: x\nversion: 1\ncodes:\n  - id: a\n    name: A\n    definition: d\n"
        "  - id: a\n    name: B\n    definition: d\n",
    )
    code, _, err = _run(capsys, ["new", str(tmp_path / "x.wb"), "--codebook", str(bad)])
    assert code == 1
    # "error:" (the pytest folder's name holds the word "error" too)
    assert all(line.count("error:") == 1 for line in err.splitlines() if line)


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root reads and writes through file modes; run as a normal user to see it",
)
def test_a_project_in_a_read_only_folder_can_still_be_read(sample, tmp_path, capsys):
    folder = tmp_path / "archive"
    folder.mkdir()
    target = folder / "study.wb"
    target.write_bytes(sample.read_bytes())
    target.chmod(0o444)
    folder.chmod(0o555)
    try:
        code, _, err = _run(capsys, ["status", str(target), "--json"])
    finally:
        folder.chmod(0o755)
    assert code == 0, err


def test_a_malformed_passage_id_is_reported_with_its_file_and_line(sample, tmp_path, capsys):
    bad = write(tmp_path / "bad.csv", "passage_id,coder,code\nwork_0008#4,bo,\n12,bo,prod.speed\n")
    code, _, err = _run(capsys, ["import", str(sample), str(bad), "--decisions"])
    assert code == 1
    assert "bad.csv" in err and "line 3" in err


def test_metadata_alone_can_be_imported_after_the_transcripts(sample, tmp_path, capsys):
    meta = write(tmp_path / "meta.csv", "transcript_id,site\nwork_0008,Leeds\n")
    code, _, err = _run(capsys, ["import", str(sample), "--metadata", str(meta)])
    assert code == 0, err


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_an_offline_sqlite_copy_merges_into_a_server_project(
    project_location, tmp_path, capsys, codebook_path
):
    study = REPO / "resources" / "sample-study" / "anthropic-interviewer-sample.csv"
    server = str(project_location)
    assert main(["new", server, "--codebook", str(codebook_path)]) == 0
    assert main(["import", server, str(study)]) == 0
    laptop = tmp_path / "laptop.wb"
    assert main(["new", str(laptop), "--codebook", str(codebook_path)]) == 0
    assert main(["import", str(laptop), str(study)]) == 0
    assert main(["suggest", str(laptop)]) == 0
    decisions = write(tmp_path / "d.csv", "passage_id,coder,code\nwork_0008#4,ana,prod.speed\n")
    assert main(["import", str(laptop), str(decisions), "--decisions"]) == 0
    code, out, err = _run(capsys, ["merge", server, str(laptop), "--json"])
    assert code == 0, err
    assert json.loads(out)["decisions"] == 1


def test_a_refused_claude_run_leaves_no_coder_behind(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "no-settings.json"))
    path = tmp_path / "study.wb"
    assert main(["demo", "--no-gui", str(path)]) == 0
    code, _, err = _run(capsys, ["suggest", str(path), "--engine", "claude"])
    assert code == 1 and "API key" in err
    code, out, _ = _run(capsys, ["status", str(path), "--json"])
    assert json.loads(out)["coders"] == 0


@pytest.mark.parametrize("width, expected", [("0", "0.8"), ("0.1", "1.5")])
def test_sample_width_out_of_range_is_one_line(sample, tmp_path, capsys, width, expected):
    argv = ["sample", str(sample), "--width", width, "--expected", expected]
    code = main([*argv, "--out", str(tmp_path / "s.csv")])
    err = capsys.readouterr().err
    assert code in (1, 2)
    assert "--width" in err or "--expected" in err


@pytest.mark.parametrize("name", ["", "a\x1bb"])
def test_settings_refuses_an_empty_or_control_character_role_name(sample, capsys, name):
    code, _, _ = _run(capsys, ["settings", str(sample), "--lead", name, "--as", "kim"])
    assert code in (1, 2)


def test_disagreements_with_an_unknown_code_is_one_line(sample, capsys):
    code = main(["disagreements", str(sample), "--code", "nope"])
    err = capsys.readouterr().err
    assert code == 1 and "nope" in err


def test_anchoring_negative_resamples_is_one_line(sample, capsys):
    code = main(["anchoring", str(sample), "--resamples", "-3"])
    err = capsys.readouterr().err
    assert code in (1, 2) and "--resamples" in err


def test_adjudicate_refuses_an_interviewer_turn(sample, capsys):
    code, _, err = _run(
        capsys,
        [
            "adjudicate",
            str(sample),
            "work_0008#1",
            "--codes",
            "prod.speed",
            "--lead",
            "kim",
            "--reason",
            "r",
        ],
    )
    assert code == 1 and "interviewer" in err


def test_agreement_leaves_out_passages_that_became_interviewer_turns(sample, capsys):
    code, _, err = _run(capsys, ["speakers", str(sample), "--set", "User=interviewer"])
    assert code == 0, err
    to_code = json.loads(_run(capsys, ["status", str(sample), "--json"])[1])["coded_passages"]
    out = _run(capsys, ["agreement", str(sample), "--metric", "alpha", "--json"])[1]
    assert json.loads(out)["units"] <= to_code
