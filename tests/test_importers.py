"""Every transcript format, and a clear error (file and row or line) for every kind of bad input."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO, write
from workbench.core.errors import TranscriptError
from workbench.core.readers import read_metadata, read_transcripts

INTERVIEW = "Interviewer: How do you use AI?\n\nParticipant: For drafts.\nMostly emails.\n"


def test_plain_text(tmp_path):
    [record] = read_transcripts(write(tmp_path / "p01.txt", INTERVIEW))
    assert record.external_id == "p01" and record.source_format == "text"
    assert record.speakers == ("Interviewer", "Participant")
    assert record.text == INTERVIEW


def test_markdown(tmp_path):
    text = "# P02\n\n**Interviewer:** Hello?\n\n**Participant:** Hi.\n"
    [record] = read_transcripts(write(tmp_path / "p02.md", text))
    assert record.source_format == "markdown"
    assert set(record.speakers) == {"Interviewer", "Participant"}


def test_a_leading_markdown_heading_is_the_title_not_a_passage(tmp_path):
    text = "# Interview P02 ##\n\n**Interviewer:** Hello?\n\n**Participant:** Hi.\n\n# Later\n"
    [record] = read_transcripts(write(tmp_path / "p02.md", text))
    assert record.metadata == {"title": "Interview P02"}
    assert record.text.startswith("**Interviewer:** Hello?") and "# Later" in record.text
    [plain] = read_transcripts(write(tmp_path / "p03.txt", text))  # only Markdown has headings
    assert plain.metadata == {} and plain.text == text


def test_sample_study_markdown_starts_with_the_interviewer(project):
    from workbench.core.store.importing import import_files
    from workbench.core.store.queries import list_transcripts, metadata_for, passages_of

    import_files(project, [REPO / "resources" / "sample-study" / "de_labor_zuerich.md"])
    with project.reading() as conn:
        first = next(iter(passages_of(conn, [t.id for t in list_transcripts(conn)])))
        meta = metadata_for(conn, ["de_labor_zuerich"])
    assert (first.position, first.speaker) == (1, "Interviewer")
    assert meta == {"de_labor_zuerich": {"title": "Interview de_labor_zuerich"}}


def test_utf16_text_with_crlf(tmp_path):
    path = tmp_path / "p03.txt"
    path.write_bytes(INTERVIEW.replace("\n", "\r\n").encode("utf-16"))
    [record] = read_transcripts(path)
    assert record.text == INTERVIEW


def test_csv_one_transcript_per_row_with_metadata(tmp_path):
    path = tmp_path / "t.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(
            'transcript_id,text,group\nw1,"AI: q?\n\nUser: a ""quoted"" answer",workforce\n'
        )
        handle.write('w2,"AI: q2?\n\nUser: a2",creatives\n')
    records = read_transcripts(path)
    assert [r.external_id for r in records] == ["w1", "w2"]
    assert records[0].metadata == {"group": "workforce"}
    assert records[0].speakers == ("AI", "User")
    assert 'a "quoted" answer' in records[0].text


def test_csv_one_turn_per_row_ordered_by_turn_column(tmp_path):
    path = write(
        tmp_path / "turns.csv",
        "transcript_id,turn,speaker,text,site\n"
        "a,2,Participant,second,Lyon\n"
        "a,1,Interviewer,first,Lyon\n"
        "b,1,Interviewer,only b,Paris\n",
    )
    records = {r.external_id: r for r in read_transcripts(path)}
    assert records["a"].text == "Interviewer: first\n\nParticipant: second\n"
    assert records["a"].metadata == {"site": "Lyon"}
    assert records["a"].source_format == "csv-turns"


def test_jsonl_turns_and_rows(tmp_path):
    rows = [
        {"transcript_id": "j1", "speaker": "AI", "text": "hello?"},
        {"transcript_id": "j1", "speaker": "User", "text": "hi"},
    ]
    path = write(tmp_path / "t.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    [record] = read_transcripts(path)
    assert record.text == "AI: hello?\n\nUser: hi\n"
    path = write(
        tmp_path / "w.jsonl", json.dumps({"id": "j2", "text": "A: x\n\nB: y", "lang": "en"})
    )
    [record] = read_transcripts(path)
    assert record.external_id == "j2" and record.metadata == {"lang": "en"}


@pytest.mark.parametrize(
    "name, content, message",
    [
        (
            "bad.jsonl",
            '{"id": "a", "text": "x"}\n{not json\n',
            r"bad\.jsonl: line 2: not valid JSON",
        ),
        ("list.jsonl", "[1, 2]\n", r"list\.jsonl: line 1: expected a JSON object"),
        ("cols.csv", "name,body2\nx,y\n", r"cols\.csv: needs a transcript id column"),
        (
            "dup.csv",
            "id,text\na,A: x\na,A: y\n",
            r"dup\.csv: row 2 \(line 3\): transcript id 'a' already used",
        ),
        ("empty.csv", "id,text\na,\n", r"empty\.csv: row 1 \(line 2\): transcript 'a' has no text"),
        ("ragged.csv", "id,text\na,x,extra\n", r"ragged\.csv: row 1 \(line 2\): has 3 cells"),
        ("noid.csv", "id,text\n,x\n", r"noid\.csv: row 1 \(line 2\): empty 'id'"),
        (
            "order.csv",
            "id,turn,speaker,text\na,x,A,y\n",
            r"order\.csv: row 1 \(line 2\): 'turn' must be a number",
        ),
        ("blank.txt", "   \n\n", r"blank\.txt: the file is empty"),
        ("old.doc", "PK", r"old\.doc: unsupported file type '\.doc'"),
        ("doc.docx", "PK", r"doc\.docx: not a readable DOCX file"),
    ],
)
def test_bad_input_names_file_and_row(tmp_path, name, content, message):
    with pytest.raises(TranscriptError, match=message):
        read_transcripts(write(tmp_path / name, content))


def test_binary_file_with_text_suffix(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    with pytest.raises(TranscriptError, match=r"image\.txt: looks like a binary file"):
        read_transcripts(path)


def test_missing_file(tmp_path):
    with pytest.raises(TranscriptError, match="cannot read"):
        read_transcripts(tmp_path / "nope.txt")


def test_metadata_csv(tmp_path):
    path = write(
        tmp_path / "m.csv", "\ufefftranscript_id,group,region\np1,creatives,EU\np2,scientists,\n"
    )
    assert read_metadata(path) == {
        "p1": {"group": "creatives", "region": "EU"},
        "p2": {"group": "scientists"},
    }
    with pytest.raises(TranscriptError, match=r"row 2 \(line 3\): transcript 'p1' appears twice"):
        read_metadata(write(tmp_path / "d.csv", "id,g\np1,a\np1,b\n"))


def test_the_published_dataset_reads_completely(shared_data):
    records = read_transcripts(shared_data / "creatives_transcripts.csv")
    assert len(records) == 125
    assert all(r.speakers == ("AI", "Assistant", "User") for r in records)


def test_metadata_alone_comes_in_after_its_transcripts_and_before_others(tmp_path, capsys):
    from workbench.cli import main

    study = tmp_path / "s.wb"
    assert main(["new", str(study)]) == 0
    assert main(["import", str(study), str(write(tmp_path / "p1.txt", "A: hi\n\nB: yes\n"))]) == 0
    meta = write(tmp_path / "m.csv", "transcript_id,site\np1,Leeds\np2,York\n")
    capsys.readouterr()
    assert main(["import", str(study), "--metadata", str(meta), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["metadata"]
    assert report["transcripts"] == 2 and report["not_in_project"] == ["p2"]
    assert main(["import", str(study), str(write(tmp_path / "p2.txt", "A: so\n\nB: no\n"))]) == 0
    capsys.readouterr()
    for site, transcript in (("Leeds", "p1"), ("York", "p2")):
        assert main(["search", str(study), "", "--field", f"site={site}", "--json"]) == 0
        found = json.loads(capsys.readouterr().out)
        assert {hit["transcript"] for hit in found["hits"]} == {transcript}
    assert main(["import", str(study)]) == 2  # neither files nor metadata: usage
    assert "--metadata" in capsys.readouterr().err
