"""The spreadsheet round trip: passages out with each coder's codes, decisions back in."""

from __future__ import annotations

import csv

import pytest

from tests.conftest import write
from workbench.core.errors import DecisionError
from workbench.core.spreadsheet import BASE_COLUMNS, export_passages_csv, import_decisions_csv
from workbench.core.store.importing import import_metadata_file, import_transcript_file

INTERVIEW = "Interviewer: How do you use AI?\n\nParticipant: For drafts.\n\nInterviewer: And?\n\nParticipant: Fear.\n"


@pytest.fixture
def study(tmp_path, project):
    import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    import_metadata_file(project, write(tmp_path / "m.csv", "transcript_id,group\np1,creatives\n"))
    return project


def read_rows(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_export_columns_and_metadata(tmp_path, study):
    out = tmp_path / "passages.csv"
    assert export_passages_csv(study, out) == 4
    with open(out, encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
    assert (
        header[: len(BASE_COLUMNS)]
        == BASE_COLUMNS
        == ["passage_id", "transcript_id", "speaker", "position", "coded", "text"]
    )
    assert header[len(BASE_COLUMNS)] == "group"
    rows = read_rows(out)
    assert (
        rows[1]["passage_id"] == "p1#2"
        and rows[1]["coded"] == "true"
        and rows[1]["text"] == "For drafts."
    )
    assert rows[0]["coded"] == "false" and rows[1]["group"] == "creatives"


def test_decisions_round_trip_through_export(tmp_path, study):
    decisions = write(
        tmp_path / "d.csv",
        "passage_id,coder,code\np1#2,ana,prod.speed\np1#2,ana,hope.time\np1#4,ana,\np1#2,ben,prod.speed\n",
    )
    result = import_decisions_csv(study, decisions)
    assert (result.applied, result.no_code, result.coders) == (3, 1, ["ana", "ben"])
    out = tmp_path / "passages.csv"
    export_passages_csv(study, out)
    rows = {row["passage_id"]: row for row in read_rows(out)}
    assert rows["p1#2"]["codes:ana"] == "hope.time;prod.speed"
    assert rows["p1#4"]["codes:ana"] == "-"
    assert rows["p1#4"]["codes:ben"] == ""
    assert study.status()["coders"] == 2 and study.status()["decisions"] == 4
    # the file is the coder's full set: importing a smaller set removes the rest
    smaller = write(tmp_path / "d2.csv", "passage_id,coder,code\np1#2,ana,prod.speed\n")
    again = import_decisions_csv(study, smaller)
    assert (again.applied, again.removed) == (0, 1)
    assert import_decisions_csv(study, smaller).unchanged == 1


@pytest.mark.parametrize(
    "content, message",
    [
        ("passage,coder,code\n", r"line 1: missing column\(s\) passage_id"),
        (
            "passage_id,coder,code\np1#2,ana,prod.speed\np1#99,ana,prod.speed\n",
            r"line 3: unknown passage id 'p1#99'",
        ),
        ("passage_id,coder,code\np1#2,ana,made.up\n", r"line 2: unknown code 'made.up'"),
        ("passage_id,coder,code\np1#2,,prod.speed\n", r"line 2: empty coder"),
        ("passage_id,coder,code\nnot-a-key,ana,prod.speed\n", r"'not-a-key' is not a passage id"),
        (
            "passage_id,coder,code\np1#2,ana,\np1#2,ana,prod.speed\n",
            r"line 2: passage 'p1#2' for coder 'ana' has both",
        ),
    ],
)
def test_bad_decision_files_change_nothing(tmp_path, study, content, message):
    path = write(tmp_path / "bad.csv", content)
    with pytest.raises(DecisionError, match=message):
        import_decisions_csv(study, path)
    assert study.status()["decisions"] == 0 and study.status()["coders"] == 0
