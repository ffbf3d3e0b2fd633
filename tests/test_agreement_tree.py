"""Agreement along the code tree, on a hand-made tree where the levels differ by construction."""

from __future__ import annotations

import json

import krippendorff
import numpy as np
import pytest

from workbench.cli import main
from workbench.core.agreement.data import CodedData
from workbench.core.agreement.tree import agreement_by_level, roll_up, tree_depth
from workbench.core.codebook import parse_codebook

TREE = """name: tree
version: 1
codes:
  - id: A
    name: Theme A
    definition: a
    children:
      - {id: a1, name: a one, definition: x}
      - {id: a2, name: a two, definition: x}
  - id: B
    name: Theme B
    definition: b
    children:
      - {id: b1, name: b one, definition: x}
      - {id: b2, name: b two, definition: x}
"""

# Two coders, six passages. They agree on the theme of u1 and u4 but not on its sub-code.
CODED = {
    "ana": [{"a1"}, {"b1"}, {"a1"}, {"b2"}, set(), {"a2"}],
    "ben": [{"a2"}, {"b1"}, {"a1"}, {"b1"}, set(), {"b2"}],
}


def _data() -> CodedData:
    codes = ["A", "a1", "a2", "B", "b1", "b2"]
    present = np.zeros((6, 2, len(codes)), dtype=bool)
    for c, coder in enumerate(CODED):
        for u, found in enumerate(CODED[coder]):
            for code in found:
                present[u, c, codes.index(code)] = True
    return CodedData(
        [f"u{u}" for u in range(6)], list(CODED), codes, np.ones((6, 2), bool), present, {}
    )


def _alpha(rows: list[list[int]]) -> float:
    """Krippendorff's nominal alpha from the independent ``krippendorff`` package."""
    return krippendorff.alpha(reliability_data=np.array(rows), level_of_measurement="nominal")


def test_a_child_counts_as_its_parent_at_level_one():
    codebook = parse_codebook(TREE)
    assert tree_depth(codebook) == 2
    top = roll_up(_data(), codebook, 1)
    assert top.codes == ["A", "B"]
    a = top.codes.index("A")
    assert top.present[:, 0, a].tolist() == [True, False, True, False, False, True]
    assert top.present[:, 1, a].tolist() == [True, False, True, False, False, False]


def test_each_level_gives_its_own_known_values():
    codebook = parse_codebook(TREE)
    level1, level2 = agreement_by_level(_data(), codebook)
    assert (level1.level, level2.level) == (1, 2)
    # level 1, theme A: ana 1,0,1,0,0,1 and ben 1,0,1,0,0,0
    expected_a = _alpha([[1, 0, 1, 0, 0, 1], [1, 0, 1, 0, 0, 0]])
    assert level1.result.per_code["A"]["value"] == pytest.approx(expected_a)
    # theme B: ana 0,1,0,1,0,0 and ben 0,1,0,1,0,1
    assert level1.result.per_code["B"]["value"] == pytest.approx(
        _alpha([[0, 1, 0, 1, 0, 0], [0, 1, 0, 1, 0, 1]])
    )
    # level 2, a1: ana 1,0,1,0,0,0 and ben 0,0,1,0,0,0; the sub-codes disagree more
    assert level2.result.per_code["a1"]["value"] == pytest.approx(
        _alpha([[1, 0, 1, 0, 0, 0], [0, 0, 1, 0, 0, 0]])
    )
    assert level2.result.per_code["a1"]["value"] < expected_a
    assert level1.result.value > level2.result.value


def test_cli_tree_level_all_on_a_project(project, tmp_path, capsys):
    from tests.conftest import write
    from workbench.core.spreadsheet import import_decisions_csv
    from workbench.core.store.importing import import_transcript_file

    text = "".join(f"Interviewer: q{i}\n\nParticipant: a{i}\n\n" for i in range(3))
    import_transcript_file(project, write(tmp_path / "p1.txt", text))
    rows = [
        ("p1#2", "ana", "hope.time"),
        ("p1#2", "ben", "hope.learning"),  # same theme, other sub-code
        ("p1#4", "ana", "fear.atrophy"),
        ("p1#4", "ben", "fear.atrophy"),
        ("p1#6", "ana", ""),
        ("p1#6", "ben", ""),
    ]
    write(
        tmp_path / "d.csv",
        "passage_id,coder,code\n" + "".join(f"{p},{c},{k}\n" for p, c, k in rows),
    )
    import_decisions_csv(project, tmp_path / "d.csv")
    capsys.readouterr()
    assert main(["agreement", project.location, "--tree-level", "all", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    levels = {item["tree_level"]: item for item in report["levels"]}
    assert levels[1]["value"] == pytest.approx(1.0)  # themes agree everywhere
    assert levels[2]["value"] < 1.0
    assert "ancestor at that level" in report["method"]
    assert main(["agreement", project.location, "--tree-level", "9"]) == 1
    assert "levels 1 to 2" in capsys.readouterr().err
