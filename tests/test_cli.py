"""The command line, driven through ``main([...])``: output, --json and exit codes."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO, write
from workbench.cli import main

INTERVIEW = "Interviewer: How do you use AI?\n\nParticipant: For drafts.\n"


def run_json(capsys, argv):
    capsys.readouterr()  # drop what earlier commands printed
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip().startswith("{") else out


def test_help_lists_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("new", "import", "status", "export", "codebook", "demo", "gui"):
        assert command in out


def test_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["import"]) == 2
    assert main(["frobnicate"]) == 2


@pytest.mark.backends
def test_new_import_status_export(project_location, tmp_path, capsys, codebook_path):
    project = str(project_location)
    code, created = run_json(capsys, ["new", project, "--codebook", str(codebook_path), "--json"])
    assert code == 0 and created["codebook_version"] == 1
    write(tmp_path / "p1.txt", INTERVIEW)
    write(tmp_path / "t.csv", 'transcript_id,text,group\nc1,"AI: q\n\nUser: a",creatives\n')
    write(tmp_path / "meta.csv", "transcript_id,region\np1,EU\nc1,LatAm\n")
    code, report = run_json(
        capsys,
        [
            "import",
            project,
            str(tmp_path / "p1.txt"),
            str(tmp_path / "t.csv"),
            "--metadata",
            str(tmp_path / "meta.csv"),
            "--json",
        ],
    )
    assert code == 0
    assert report["added"] == 2 and report["metadata"]["fields"] == ["region"]
    code, status = run_json(capsys, ["status", project, "--json"])
    assert code == 0
    for key in (
        "transcripts",
        "passages",
        "coded_passages",
        "coders",
        "decisions",
        "codebook_version",
    ):
        assert key in status
    assert (status["transcripts"], status["passages"], status["coded_passages"]) == (2, 4, 2)
    assert status["reviewed_passages"] == 0
    assert main(["export", project, "--out", str(tmp_path / "out.csv")]) == 0
    assert "wrote 4 passages" in capsys.readouterr().out


@pytest.mark.backends
def test_status_text_says_what_each_count_is(project_location, tmp_path, capsys, codebook_path):
    project = str(project_location)
    main(["new", project, "--codebook", str(codebook_path)])
    main(["import", project, str(write(tmp_path / "p1.txt", INTERVIEW))])
    decisions = write(tmp_path / "d.csv", "passage_id,coder,code\np1#2,ana,prod.speed\n")
    main(["import", project, str(decisions), "--decisions"])
    code, status = run_json(capsys, ["status", project, "--json"])
    assert code == 0 and (status["coded_passages"], status["reviewed_passages"]) == (1, 1)
    capsys.readouterr()
    assert main(["status", project]) == 0
    lines = {line.split(":")[0].strip(): line for line in capsys.readouterr().out.splitlines()}
    assert "coded_passages" not in lines and "reviewed_passages" not in lines
    assert lines["passages to code"].split(":")[1].split()[0] == "1"
    assert "interviewer turns are context" in lines["passages to code"]
    assert lines["reviewed"].split(":")[1].split()[0] == "1"
    assert "by at least one coder" in lines["reviewed"]
    assert lines["passages"].split(":")[1].split()[0] == "2"


@pytest.mark.backends
def test_import_reports_bad_files_and_exits_1(project_location, tmp_path, capsys):
    project = str(project_location)
    assert main(["new", project]) == 0
    write(tmp_path / "ok.txt", INTERVIEW)
    write(tmp_path / "bad.jsonl", "{oops\n")
    assert main(["import", project, str(tmp_path / "ok.txt"), str(tmp_path / "bad.jsonl")]) == 1
    captured = capsys.readouterr()
    assert "bad.jsonl: line 1: not valid JSON" in captured.err and "Traceback" not in captured.err
    assert "added 1 transcripts" in captured.out


@pytest.mark.backends
def test_changed_transcript_is_reported_not_merged(project_location, tmp_path, capsys):
    project = str(project_location)
    main(["new", project])
    path = write(tmp_path / "p1.txt", INTERVIEW)
    assert main(["import", project, str(path)]) == 0
    write(path, INTERVIEW + "\nParticipant: changed\n")
    assert main(["import", project, str(path)]) == 1
    assert "differs from the one already in the project" in capsys.readouterr().err


@pytest.mark.backends
def test_decisions_import(project_location, tmp_path, capsys, codebook_path):
    project = str(project_location)
    main(["new", project, "--codebook", str(codebook_path)])
    main(["import", project, str(write(tmp_path / "p1.txt", INTERVIEW))])
    decisions = write(tmp_path / "d.csv", "passage_id,coder,code\np1#2,ana,prod.speed\n")
    code, report = run_json(capsys, ["import", project, str(decisions), "--decisions", "--json"])
    assert code == 0 and report["decisions"][0]["applied"] == 1
    bad = write(tmp_path / "bad.csv", "passage_id,coder,code\np1#7,ana,prod.speed\n")
    assert main(["import", project, str(bad), "--decisions"]) == 1
    assert "unknown passage id 'p1#7'" in capsys.readouterr().err


def test_opening_a_missing_or_foreign_project_is_a_clear_error(tmp_path, capsys):
    assert main(["status", str(tmp_path / "missing.wb")]) == 1
    assert "no such project" in capsys.readouterr().err
    assert main(["status", str(write(tmp_path / "x.wb", "text"))]) == 1
    assert "not a workbench project" in capsys.readouterr().err


@pytest.mark.backends
def test_codebook_add_bumps_the_version(project_location, tmp_path, capsys, codebook_path):
    project = str(project_location)
    main(["new", project, "--codebook", str(codebook_path)])
    other = REPO / "codebooks" / "patient-experience.yaml"
    assert main(["codebook", "add", project, str(other)]) == 0
    assert "version 2" in capsys.readouterr().out


def test_demo_without_gui_builds_the_sample_study(tmp_path, capsys):
    code, status = run_json(capsys, ["demo", str(tmp_path / "demo.wb"), "--no-gui", "--json"])
    assert code == 0
    assert status["transcripts"] >= 12 and status["codebook_name"] == "AI at work"
    code, text = run_json(capsys, ["demo", str(tmp_path / "again.wb"), "--no-gui"])
    assert code == 0 and "{" not in text  # for a person, as `status` prints it
    assert "transcripts: 15" in text.replace("  ", "")


def test_python_dash_m_entry_point():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "workbench", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "workbench" in result.stdout


@pytest.mark.backends
def test_importing_a_folder_skips_its_readme_and_the_metadata_file(
    project_location, tmp_path, capsys
):
    folder = tmp_path / "study"
    folder.mkdir()
    write(folder / "p1.txt", INTERVIEW)
    write(folder / "README.md", "# About this study\n\nNotes: nothing to code.\n")
    write(folder / "participants.csv", "transcript_id,group\np1,workforce\n")
    project = str(project_location)
    main(["new", project])
    code, report = run_json(
        capsys,
        ["import", project, str(folder), "--metadata", str(folder / "participants.csv"), "--json"],
    )
    assert code == 0 and report["added"] == 1 and report["errors"] == []
