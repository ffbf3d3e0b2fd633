"""Options out of range are refused at parse time with one line naming the option (exit 2).

Each case would otherwise run: a sample of everything, a cost cap that refuses every run, a
similarity that reports nothing or everything, or a traceback from deep in numpy.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.cli import main


@pytest.mark.parametrize(
    "argv, option",
    [
        (["sample", "P", "--size", "0"], "--size"),
        (["sample", "P", "--width", "2"], "--width"),
        (["sample", "P", "--width", "0"], "--width"),
        (["sample", "P", "--expected", "1.5"], "--expected"),
        (["sample", "P", "--expected", "1"], "--expected"),
        (["anchoring", "P", "--resamples", "-3"], "--resamples"),
        (["anchoring", "P", "--resamples", "0"], "--resamples"),
        (["suggest", "P", "--max-cost", "-1"], "--max-cost"),
        (["suggest", "P", "--max-cost", "nan"], "--max-cost"),
        (["codebook", "health", "P", "--similar", "5"], "--similar"),
        (["codebook", "health", "P", "--similar", "-1"], "--similar"),
    ],
)
def test_an_option_out_of_range_is_a_usage_error_naming_it(tmp_path, capsys, argv, option):
    argv = [str(tmp_path / "missing.wb") if a == "P" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"argument {option}" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["sample", "P", "--width", "0.5", "--expected", "0.5"],
        ["codebook", "health", "P", "--similar", "1"],
    ],
)
def test_the_edges_of_the_range_are_taken(tmp_path, capsys, argv):
    """In range, the parser lets it through: the missing project is what fails (exit 1)."""
    argv = [str(tmp_path / "missing.wb") if a == "P" else a for a in argv]
    assert main(argv) == 1
    assert "argument" not in capsys.readouterr().err


def test_sample_size_one_draws_one_passage(tmp_path: Path, capsys) -> None:
    study = tmp_path / "study.wb"
    assert main(["demo", "--no-gui", str(study)]) == 0
    capsys.readouterr()
    assert main(["sample", str(study), "--size", "1", "--json"]) == 0
    assert '"size": 1' in capsys.readouterr().out


@pytest.mark.parametrize("command", ["evaluate", "evaluate-local"])
def test_evaluate_with_too_little_data_fails(tmp_path: Path, capsys, command: str) -> None:
    """Nothing was measured, so a script must not read the run as a result (exit 1)."""
    study = tmp_path / "study.wb"
    assert main(["demo", "--no-gui", str(study)]) == 0
    capsys.readouterr()
    assert main([command, str(study)]) == 1
    assert "needs at least" in capsys.readouterr().out


def test_with_json_an_error_is_a_json_object_on_stdout(tmp_path, capsys):
    """Whether refused by the parser (2) or by the project (1): one object, the line kept."""
    for argv, code, words in (
        (["status", str(tmp_path / "none.wb"), "--json"], 1, "no such project"),
        (["sample", str(tmp_path / "none.wb"), "--size", "0", "--json"], 2, "--size"),
    ):
        assert main(argv) == code
        captured = capsys.readouterr()
        error = json.loads(captured.out)
        assert error["exit_code"] == code and words in error["error"]
        assert error["errors"] == [error["error"]]
        assert f"error: {error['error']}" in captured.err  # a person still sees the line


def test_without_json_or_on_success_stdout_has_no_error_object(tmp_path, capsys):
    assert main(["status", str(tmp_path / "none.wb")]) == 1
    assert capsys.readouterr().out == ""
    study = tmp_path / "study.wb"
    assert main(["demo", "--no-gui", str(study)]) == 0
    capsys.readouterr()
    assert main(["status", str(study), "--json"]) == 0
    assert "error" not in json.loads(capsys.readouterr().out)


def test_files_may_follow_options_in_import_and_nothing_stray_passes_elsewhere(tmp_path, capsys):
    """import's files may be none (metadata alone), yet names after an option are still files."""
    study = tmp_path / "study.wb"
    assert main(["new", str(study)]) == 0
    one = tmp_path / "one.txt"
    one.write_text("A: hi\n\nB: yes\n", encoding="utf-8")
    two = tmp_path / "two.txt"
    two.write_text("A: so\n\nB: no\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["import", str(study), str(one), "--json", str(two)]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 2
    assert main(["status", str(study), "stray"]) == 2
    assert main(["import", str(study), "--bogus", str(one)]) == 2
    assert "unrecognized arguments" in capsys.readouterr().err
