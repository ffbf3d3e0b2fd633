"""Review of ``agreement --tree-level``: options it cannot honour are refused rather than
silently dropped, the text shows what the JSON has, and a flat code list says it is flat."""

from __future__ import annotations

import json

import pytest

from tests.conftest import write
from workbench.cli import main
from workbench.core.codebook import parse_codebook
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store import Project
from workbench.core.store.importing import import_transcript_file

FLAT = """name: flat
version: 1
codes:
  - {id: x, name: X, definition: x}
  - {id: y, name: Y, definition: y}
"""


def _coded(project: Project, tmp_path, rows) -> str:
    text = "".join(f"Interviewer: q{i}\n\nParticipant: a{i}\n\n" for i in range(4))
    import_transcript_file(project, write(tmp_path / "p1.txt", text))
    write(
        tmp_path / "d.csv",
        "passage_id,coder,code\n" + "".join(f"{p},{c},{k}\n" for p, c, k in rows),
    )
    import_decisions_csv(project, tmp_path / "d.csv")
    path = str(project.location)
    project.close()
    return path


ROWS = [
    ("p1#2", "ana", "hope.time"),
    ("p1#2", "ben", "hope.learning"),
    ("p1#4", "ana", "fear.atrophy"),
    ("p1#4", "ben", "fear.atrophy"),
    ("p1#6", "ana", "hope.time"),
    ("p1#6", "ben", ""),
    ("p1#8", "ana", ""),
    ("p1#8", "ben", ""),
]


@pytest.mark.parametrize(
    ("option", "code"),
    [(["--codes", "hope.time"], 2), (["--weights", "linear"], 1), (["--level", "ordinal"], 1)],
)
def test_options_the_tree_cannot_honour_are_refused(project, tmp_path, capsys, option, code):
    path = _coded(project, tmp_path, ROWS)
    capsys.readouterr()
    assert main(["agreement", path, "--tree-level", "1", *option]) == code
    captured = capsys.readouterr()
    assert option[0] in captured.err and captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1


def test_text_shows_each_codes_interval_and_reason_like_the_json(project, tmp_path, capsys):
    path = _coded(project, tmp_path, ROWS)
    capsys.readouterr()
    assert main(["agreement", path, "--tree-level", "all", "--ci", "--json"]) == 0
    level2 = json.loads(capsys.readouterr().out)["levels"][1]["per_code"]
    assert main(["agreement", path, "--tree-level", "all", "--ci"]) == 0
    text = capsys.readouterr().out
    low, high = level2["fear.atrophy"]["ci95"]
    assert f"[{low:.3f}, {high:.3f}]" in text
    assert level2["hope"]["reason"] and f"({level2['hope']['reason']})" in text


def test_a_flat_code_list_says_it_has_one_level(project_location, tmp_path, capsys):
    project = Project.create(project_location, codebook=parse_codebook(FLAT))
    path = _coded(project, tmp_path, [("p1#2", "ana", "x"), ("p1#2", "ben", "y")])
    capsys.readouterr()
    assert main(["agreement", path, "--tree-level", "2"]) == 1
    assert "one level" in capsys.readouterr().err
    assert main(["agreement", path, "--tree-level", "all", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [item["tree_level"] for item in report["levels"]] == [1]
    assert "one level" in report["note"]
    assert main(["agreement", path, "--tree-level", "all"]) == 0
    assert report["note"] in capsys.readouterr().out
