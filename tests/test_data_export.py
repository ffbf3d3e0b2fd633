"""Coded data out as CSV, XLSX and Parquet (passages or long), memos, blind exports, XLSX in."""

from __future__ import annotations

import csv
import json

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.conftest import write
from workbench.cli import main
from workbench.core.data_export import LONG_COLUMNS, export_data
from workbench.core.session import CodingSession
from workbench.core.spreadsheet import export_passages_csv, import_decisions_csv
from workbench.core.store import Project
from workbench.core.store.importing import import_metadata_file, import_transcript_file
from workbench.core.store.queries import list_transcripts, passages_of
from workbench.core.store.raters import read_ratings
from workbench.core.store.suggestions import record_run, save_suggestions, suggestions_for
from workbench.suggest.engine import Suggestion

INTERVIEW = (
    "Interviewer: How do you use AI?\n\nParticipant: For drafts, und für Übersetzungen.\n\n"
    'Interviewer: And?\n\nParticipant: =HYPERLINK("http://x") Fear of losing the craft.\n'
)
OTHER = "Interviewer: Tell me.\n\nParticipant: Speed, mostly.\n"


@pytest.fixture
def study(tmp_path, project):
    """Three human coders (ana, bruno, zora), an engine on two passages, memos by ana and zora."""
    import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    import_transcript_file(project, write(tmp_path / "p2.txt", OTHER))
    import_metadata_file(
        project, write(tmp_path / "m.csv", "transcript_id,group\np1,creatives\np2,-trades\n")
    )
    import_decisions_csv(
        project,
        write(
            tmp_path / "d.csv",
            "passage_id,coder,code\np1#2,ana,prod.speed\np1#2,ana,hope.time\np1#4,bruno,prod.speed\n"
            "p1#2,zora,trust\np2#2,zora,fear.atrophy\np2#2,ana,\n",
        ),
    )
    with project.reading() as conn:
        passages = list(passages_of(conn, [t.id for t in list_transcripts(conn)]))
    fourth, other = passages[3].id, passages[5].id
    with project.transaction() as conn:
        save_suggestions(
            conn,
            [
                Suggestion(
                    fourth,
                    "fear.atrophy",
                    0.87,
                    "losing the craft",
                    8,
                    24,
                    "names the fear",
                    "local",
                    "tfidf-1",
                    "p1",
                ),
                Suggestion(
                    other, "prod.speed", 0.25, "Speed", 0, 5, "says speed", "local", "tfidf-1", "p1"
                ),
            ],
            project.codebook.version,
        )
        record_run(
            conn, [fourth, other], project.codebook.version, "local", "tfidf-1", "p1", "local"
        )
    with project.reading() as conn:
        suggestion = suggestions_for(conn, [fourth])[fourth][0]
    ana = CodingSession(project, "ana")
    ana.apply_code(fourth, "fear.atrophy", suggestion_id=suggestion.id)
    ana.save_memo(fourth, "Craft: compare with p7.")
    CodingSession(project, "zora").save_memo(other, "zora's secret memo")
    return project


def codings_count(project: Project) -> int:
    with project.reading() as conn:
        ratings = read_ratings(conn)
    return sum(len(codes) for codes in ratings.applied.values())


def csv_rows(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_long_csv_has_one_row_per_coding_with_provenance(tmp_path, study):
    out = tmp_path / "codings.csv"
    result = export_data(study, out, long=True)
    rows = csv_rows(out)
    # ana 3 (two + the accepted suggestion), bruno 1, zora 2, engine 2: as agreement counts them
    assert result.rows == len(rows) == codings_count(study) == 8
    assert list(rows[0])[: len(LONG_COLUMNS)] == LONG_COLUMNS and list(rows[0])[-1] == "group"
    accepted = next(r for r in rows if r["coder"] == "ana" and r["code"] == "fear.atrophy")
    assert accepted["engine"] == "local" and accepted["model"] == "tfidf-1"
    assert float(accepted["confidence"]) == 0.87 and accepted["rationale"] == "names the fear"
    assert accepted["evidence"] == "losing the craft" and accepted["codebook_version"] == "1"
    assert accepted["decided_at"].endswith("+00:00") and accepted["coder_kind"] == "human"
    engine = [r for r in rows if r["coder_kind"] == "engine"]
    assert {(r["passage_id"], r["code"], r["coder"]) for r in engine} == {
        ("p1#4", "fear.atrophy", "engine:local"),
        ("p2#2", "prod.speed", "engine:local"),
    }
    assert {r["group"] for r in rows if r["transcript_id"] == "p2"} == {"'-trades"}
    memos = csv_rows(tmp_path / "codings.memos.csv")
    assert [(m["passage_id"], m["coder"], m["memo"]) for m in memos] == [
        ("p1#4", "ana", "Craft: compare with p7."),
        ("p2#2", "zora", "zora's secret memo"),
    ]
    about = (tmp_path / "codings.about.txt").read_text(encoding="utf-8")
    assert "full export" in about and "codings: 8 rows" in about and "memos: 2 rows" in about


def test_passages_csv_keeps_todays_table_and_neutralises_formulas(tmp_path, study):
    out = tmp_path / "passages.csv"
    export_data(study, out)
    rows = csv_rows(out)
    assert len(rows) == 6 and rows[1]["codes:ana"] == "hope.time;prod.speed"
    assert rows[5]["codes:ana"] == "-" and rows[3]["codes:bruno"] == "prod.speed"
    assert rows[3]["text"].startswith("'=HYPERLINK") and rows[5]["group"] == "'-trades"
    plain = tmp_path / "plain.csv"
    export_passages_csv(study, plain)
    assert plain.read_bytes() == out.read_bytes()  # the API's table is the same file


def test_xlsx_round_trips_numbers_and_keeps_formulas_as_text(tmp_path, study):
    out = tmp_path / "codings.xlsx"
    export_data(study, out, long=True)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["README", "codings", "memos"]
    sheet = book["codings"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=2)]
    assert len(rows) == 8
    accepted = next(r for r in rows if r["coder"] == "ana" and r["code"] == "fear.atrophy")
    assert accepted["confidence"] == 0.87 and accepted["position"] == 4
    assert accepted["codebook_version"] == 1
    readme = dict(book["README"].iter_rows(values_only=True))
    assert readme["table"].startswith("codings: 8 rows") and "full export" in readme["contents"]
    passages = tmp_path / "passages.xlsx"
    export_data(study, passages)
    text_cells = openpyxl.load_workbook(passages)["passages"]["F"]
    # a string cell is never run, so XLSX keeps the text exactly (CSV prefixes an apostrophe)
    assert text_cells[4].value.startswith("=HYPERLINK") and text_cells[4].data_type == "s"
    frame = pd.read_excel(passages, sheet_name="passages")
    assert list(frame["position"]) == [1, 2, 3, 4, 1, 2]


def test_parquet_round_trips_types_and_memos(tmp_path, study):
    out = tmp_path / "codings.parquet"
    export_data(study, out, long=True)
    frame = pd.read_parquet(out)
    assert len(frame) == 8 and str(frame["decided_at"].dt.tz) == "UTC"
    engine = frame[frame["coder_kind"] == "engine"].sort_values("confidence")
    assert list(engine["confidence"]) == [0.25, 0.87] and engine["position"].dtype == "int64"
    memos = pd.read_parquet(tmp_path / "codings.memos.parquet")
    assert sorted(memos["coder"]) == ["ana", "zora"]
    about = pq.read_schema(out).metadata[b"workbench.about"].decode()
    assert about.startswith("full export")
    wide = pd.read_parquet(tmp_path / "codings.parquet")
    assert "text" not in wide.columns
    export_data(study, tmp_path / "p.parquet")
    passages = pd.read_parquet(tmp_path / "p.parquet")
    assert passages["coded"].dtype == bool and passages["text"][3].startswith("=HYPERLINK")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
@pytest.mark.parametrize("long", [False, True])
def test_blind_export_carries_no_other_coder(tmp_path, study, suffix, long):
    out = tmp_path / f"for-ana{suffix}"
    result = export_data(study, out, long=long, coder="ana")
    assert result.contents.startswith("export for coder ana: other coders' codes left out")
    everything = b""
    for path in tmp_path.glob("for-ana*"):
        if path.suffix == ".xlsx":
            book = openpyxl.load_workbook(path)
            everything += repr([list(s.values) for s in book.worksheets]).encode()
        elif path.suffix == ".parquet":
            everything += repr(pd.read_parquet(path).to_dict()).encode()
            everything += path.read_bytes()
        else:
            everything += path.read_bytes()
    for leak in (b"bruno", b"zora", b"trust", b"secret"):
        assert leak not in everything
    assert b"hope.time" in everything and b"Craft: compare" in everything
    # engines' suggestions are shown to coders here, so the blind file keeps them
    assert (b"engine:local" in everything) == long


def test_blind_export_keeps_engine_codes_only_where_the_coder_saw_them(tmp_path, study):
    study.update_settings(suggestions_after_first_pass=True)
    export_data(study, tmp_path / "ana.csv", long=True, coder="ana")
    rows = csv_rows(tmp_path / "ana.csv")
    engine = {r["passage_id"] for r in rows if r["coder_kind"] == "engine"}
    assert engine == {"p1#4", "p2#2"}  # ana reviewed both
    export_data(study, tmp_path / "bruno.csv", long=True, coder="bruno")
    rows = csv_rows(tmp_path / "bruno.csv")
    assert {r["passage_id"] for r in rows if r["coder_kind"] == "engine"} == {"p1#4"}
    assert "suggestions after a first pass" in (tmp_path / "bruno.about.txt").read_text()


def test_xlsx_decisions_import_like_the_csv(tmp_path, project):
    import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    text = "passage_id,coder,code\np1#2,ana,prod.speed\np1#2,ana,hope.time\np1#4,ana,\n"
    text += "'=p1#4,bob,prod.speed\n"  # not a passage: both must refuse it alike
    book = openpyxl.Workbook()
    for row in csv.reader(text.splitlines()):
        book.active.append(row)
    book.save(tmp_path / "d.xlsx")
    for name in ("d.csv", "d.xlsx"):
        path = write(tmp_path / name, text) if name.endswith(".csv") else tmp_path / name
        with pytest.raises(Exception, match=r"line 5: .*'=p1#4'") as caught:
            import_decisions_csv(project, path)
        assert type(caught.value).__name__ == "DecisionError"
    good = "".join(text.splitlines(keepends=True)[:4])
    book = openpyxl.Workbook()
    for row in csv.reader(good.splitlines()):
        book.active.append(row)
    book.save(tmp_path / "good.xlsx")
    other = Project.create(tmp_path / "b.wb", codebook=project.codebook)
    import_transcript_file(other, write(tmp_path / "p1.txt", INTERVIEW))
    from_csv = import_decisions_csv(project, write(tmp_path / "good.csv", good)).to_dict()
    from_xlsx = import_decisions_csv(other, tmp_path / "good.xlsx").to_dict()
    for result in (from_csv, from_xlsx):
        result.pop("file"), result.pop("backup")
    assert from_csv == from_xlsx and from_xlsx["applied"] == 2 and from_xlsx["no_code"] == 1
    export_passages_csv(project, tmp_path / "a.csv")
    export_passages_csv(other, tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    other.close()


def test_cli_export_formats_and_usage(tmp_path, study, capsys):
    assert main(["export", study.location, "--out", str(tmp_path / "x.json")]) == 2
    assert "unknown export format '.json'" in capsys.readouterr().err
    assert main(["export", study.location, "--out", str(tmp_path / "x.csv"), "--blind"]) == 2
    assert "--blind and --coder NAME go together" in capsys.readouterr().err
    code = main(
        ["export", study.location, "--out", str(tmp_path / "x.csv"), "--coder", "nope", "--blind"]
    )
    err = capsys.readouterr().err
    assert code == 1 and "no coder 'nope'" in err and err.count("\n") == 1
    assert not (tmp_path / "x.csv").exists()
    out = tmp_path / "ana.xlsx"
    args = ["export", study.location, "--out", str(out), "--long", "--coder", "ana", "--blind"]
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    # ana's three codes and the engine's two (suggestions are shown to coders here)
    assert (report["format"], report["layout"], report["rows"], report["memos"]) == (
        "xlsx",
        "long",
        5,
        1,
    )
    assert report["files"] == ["ana.xlsx"]


def test_a_passage_id_without_position_names_file_and_line_in_csv_and_xlsx(tmp_path, project):
    import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    text = "passage_id,coder,code\np1#2,ana,prod.speed\n12,ana,prod.speed\n"
    book = openpyxl.Workbook()
    for row in csv.reader(text.splitlines()):
        book.active.append(row)
    book.save(tmp_path / "d.xlsx")
    for path in (write(tmp_path / "d.csv", text), tmp_path / "d.xlsx"):
        with pytest.raises(Exception, match=rf"{path.name}: line 3: '12' is not a passage id"):
            import_decisions_csv(project, path)


def test_xlsx_refuses_a_cell_excel_would_cut_and_leaves_no_file(tmp_path, project):
    long_turn = "Participant: " + "word " * 7000 + "\n"
    import_transcript_file(project, write(tmp_path / "long.txt", long_turn))
    out = tmp_path / "passages.xlsx"
    with pytest.raises(Exception, match=r"sheet 'passages' row 2 holds 34999 characters") as err:
        export_data(project, out)
    assert type(err.value).__name__ == "OutputError" and ".csv or .parquet" in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir() if "passages" in p.name) == []
    export_data(project, tmp_path / "passages.csv")  # CSV keeps the whole text
    assert len(csv_rows(tmp_path / "passages.csv")[0]["text"]) > 32_767


def test_memo_history_leaves_with_the_current_text_marked(tmp_path, study):
    ana = CodingSession(study, "ana")
    with study.reading() as conn:
        fourth = list(passages_of(conn, [t.id for t in list_transcripts(conn)]))[3].id
    ana.save_memo(fourth, "Craft: compare with p7 and p9.")
    export_data(study, tmp_path / "codings.csv", long=True)
    memos = csv_rows(tmp_path / "codings.memos.csv")
    assert [(m["coder"], m["memo"], m["current"]) for m in memos] == [
        ("ana", "Craft: compare with p7.", "no"),
        ("zora", "zora's secret memo", "yes"),
        ("ana", "Craft: compare with p7 and p9.", "yes"),
    ]


def test_a_code_on_selections_is_a_row_per_selection_with_its_words(tmp_path, study):
    """Spans add rows (one per selection) with their offsets and words; memos on a selection
    carry theirs; Parquet keeps the offsets as integers."""
    with study.reading() as conn:
        passages = list(passages_of(conn, [t.id for t in list_transcripts(conn)]))
        text = conn.exec_driver_sql("select text from transcripts where external_id = 'p1'")
        text = text.scalar_one()
    second = passages[1].id
    at = text.index("für Übersetzungen")
    ana = CodingSession(study, "ana")
    ana.code_span(second, "hope.time", at, at + 17)
    ana.code_span(second, "hope.time", at - 10, at - 4)
    ana.save_memo(second, "why German?", span=(at, at + 17))
    out = tmp_path / "codings.csv"
    result = export_data(study, out, long=True)
    rows = csv_rows(out)
    assert result.rows == len(rows) == 9  # hope.time on two selections: one row more
    spans = [
        (r["span_start"], r["span_end"], r["span_text"])
        for r in rows
        if r["coder"] == "ana" and r["code"] == "hope.time"
    ]
    assert spans == [
        (str(at - 10), str(at - 4), text[at - 10 : at - 4]),
        (str(at), str(at + 17), "für Übersetzungen"),
    ]
    whole = next(r for r in rows if r["coder"] == "ana" and r["code"] == "prod.speed")
    assert (whole["span_start"], whole["span_end"], whole["span_text"]) == ("", "", "")
    memos = csv_rows(tmp_path / "codings.memos.csv")
    memo = next(m for m in memos if m["memo"] == "why German?")
    assert (memo["span_start"], memo["span_end"], memo["span_text"]) == (
        str(at),
        str(at + 17),
        "für Übersetzungen",
    )
    export_data(study, tmp_path / "codings.parquet", long=True)
    table = pq.read_table(tmp_path / "codings.parquet")
    assert str(table.schema.field("span_start").type) == "int64"
    frame = table.to_pandas()
    spanned = frame[frame["span_text"] == "für Übersetzungen"]
    assert list(spanned["span_start"]) == [at]
