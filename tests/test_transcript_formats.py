"""A fixture per transcript format (DOCX, ODT, RTF, PDF, WebVTT, SRT, call exports), built here,
awkward ones included: BOM, CRLF, speaker names with colons, empty turns, a cue without a speaker.
"""

from __future__ import annotations

import base64
import io
import json

import pytest

from tests.conftest import write
from workbench.cli import main
from workbench.core.errors import TranscriptError
from workbench.core.readers import read_transcripts
from workbench.core.segmenter import segment
from workbench.core.store import Project
from workbench.core.store.importing import import_files
from workbench.core.store.queries import list_transcripts, passages_of
from workbench.core.turns import passage_time

# A 1×1 PNG, to put a picture in a document.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def passages(record):
    """``(speaker, text, time)`` per passage, as the store would cut them."""
    return [
        (p.speaker, p.text, passage_time(record.text, p.start))
        for p in segment(record.text, record.speakers, label_lines=record.label_lines)
    ]


# --- WebVTT and SRT -------------------------------------------------------------------------

TEAMS_VTT = (
    "\ufeffWEBVTT\r\n\r\n"
    "a1/1\r\n00:00:01.000 --> 00:00:04.000\r\n<v Dr. Kim: PI>How do you use AI?</v>\r\n\r\n"
    "00:00:05.000 --> 00:00:06.500\r\n<v Lee, Sam (Guest)>For drafts,\r\nmostly.</v>\r\n\r\n"
    "00:00:07.000 --> 00:00:08.000\r\nand emails\r\n\r\n"
    "00:00:09.000 --> 00:00:10.000\r\n\r\n\r\n"
    "01:02:03.000 --> 01:02:05.000\r\n<v Dr. Kim: PI>Thanks.</v>\r\n"
)


def test_vtt_voice_tags_bom_crlf_colons_empty_cue_and_cue_without_speaker(tmp_path):
    [record] = read_transcripts(write(tmp_path / "teams.vtt", TEAMS_VTT))
    assert record.source_format == "vtt"
    assert record.speakers == ("Dr. Kim: PI", "Lee, Sam (Guest)")
    assert passages(record) == [
        ("Dr. Kim: PI", "How do you use AI?", "00:00:01"),
        ("Lee, Sam (Guest)", "For drafts, mostly. and emails", "00:00:05"),
        ("Dr. Kim: PI", "Thanks.", "01:02:03"),
    ]
    assert record.skipped == ("1 empty cue", "1 cue without a speaker joined to the turn before")
    assert "\r" not in record.text and "\ufeff" not in record.text


def test_vtt_name_prefixes_as_zoom_writes_them(tmp_path):
    text = (
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nAna Ruiz: Hello, Ana here.\n\n"
        "2\n00:00:04.000 --> 00:00:06.000\nBo: So: what now?\n\n"
        "3\n00:00:07.000 --> 00:00:09.000\nAna Ruiz: We start.\n\n"
        "4\n00:00:10.000 --> 00:00:12.000\nBo: Fine.\n"
    )
    [record] = read_transcripts(write(tmp_path / "zoom.vtt", text))
    assert [(s, t) for s, t, _ in passages(record)] == [
        ("Ana Ruiz", "Hello, Ana here."),
        ("Bo", "So: what now?"),  # "So:" inside the turn is text, not a speaker
        ("Ana Ruiz", "We start."),
        ("Bo", "Fine."),
    ]


def test_vtt_without_speakers_keeps_a_timed_paragraph_per_cue(tmp_path):
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfirst words\n\n00:00:03.000 --> 00:00:04.000\nsecond\n"
    [record] = read_transcripts(write(tmp_path / "plain.vtt", text))
    assert record.speakers == ()
    assert [(t, time) for _s, t, time in passages(record)] == [
        ("[00:00:01] first words", "00:00:01"),
        ("[00:00:03] second", "00:00:03"),
    ]


def test_srt_with_crlf_bom_and_prefixes(tmp_path):
    text = (
        "\ufeff1\r\n00:00:01,000 --> 00:00:02,000\r\nInterviewer: Ready?\r\n\r\n"
        "2\r\n00:00:02,500 --> 00:00:05,000\r\nParticipant: Yes.\r\nI am.\r\n\r\n"
        "3\r\n00:00:06,000 --> 00:00:07,000\r\nInterviewer: Good.\r\n"
    )
    [record] = read_transcripts(write(tmp_path / "rec.srt", text))
    assert record.source_format == "srt"
    assert passages(record) == [
        ("Interviewer", "Ready?", "00:00:01"),
        ("Participant", "Yes. I am.", "00:00:02"),
        ("Interviewer", "Good.", "00:00:06"),
    ]


def test_malformed_captions_name_the_file(tmp_path):
    path = write(tmp_path / "bad.vtt", "not a caption file\n")
    with pytest.raises(TranscriptError, match=r"bad\.vtt: not valid WebVTT"):
        read_transcripts(path)
    path = write(tmp_path / "bad.srt", "1\n00:00:01,000 --> nonsense\nHi\n")
    with pytest.raises(TranscriptError, match=r"bad\.srt: no captions in the file"):
        read_transcripts(path)


@pytest.mark.parametrize("suffix", [".srt", ".vtt"])
def test_a_cue_the_library_would_pass_over_is_refused_not_lost(tmp_path, suffix):
    sep = "," if suffix == ".srt" else "."
    text = (
        f"1\n00:00:01{sep}000 --> 00:00:02{sep}000\nHi\n\n"
        f"2\n00:00:03{sep}000 --> bad\nLost words\n\n"
        f"3\n00:00:04{sep}000 --> 00:00:05{sep}000\nBye\n"
    )
    path = write(tmp_path / f"gap{suffix}", ("WEBVTT\n\n" if suffix == ".vtt" else "") + text)
    line = 6 if suffix == ".srt" else 8
    with pytest.raises(
        TranscriptError, match=rf"gap\{suffix}: line {line}: a cue that cannot be read"
    ):
        read_transcripts(path)


# --- Video-call and transcription-service text exports --------------------------------------


def test_call_export_header_lines_with_an_empty_turn(tmp_path):
    text = (
        "Team meeting\r\n\r\n"
        "Kim Lee  00:00:01\r\nHow do you use AI?\r\nTell me.\r\n\r\n"
        "Sam: the analyst  00:00:09\r\nFor drafts.\r\n\r\n"
        "Kim Lee  00:01:02\r\n\r\n"
        "Sam: the analyst  00:01:10\r\nBye.\r\n"
    )
    [record] = read_transcripts(write(tmp_path / "zoom.txt", text))
    assert record.source_format == "call-transcript"
    assert record.speakers == ("Kim Lee", "Sam: the analyst")
    assert passages(record) == [
        (None, "Team meeting", None),
        ("Kim Lee", "How do you use AI?\nTell me.", "00:00:01"),
        ("Sam: the analyst", "For drafts.", "00:00:09"),
        ("Sam: the analyst", "Bye.", "00:01:10"),
    ]
    assert record.skipped == ("1 empty turn",)


def test_otter_export(tmp_path):
    text = "Speaker 1  0:02\nHello.\n\nSpeaker 2  0:10\nHi there.\n"
    [record] = read_transcripts(write(tmp_path / "otter.txt", text))
    assert passages(record) == [
        ("Speaker 1", "Hello.", "0:02"),
        ("Speaker 2", "Hi there.", "0:10"),
    ]


def test_zoom_timed_name_lines_keep_their_time(tmp_path):
    text = "00:01:02 Interviewer: Ready?\n00:01:05 Participant: Yes.\n"
    [record] = read_transcripts(write(tmp_path / "zoom2.txt", text))
    assert record.source_format == "text" and record.text == text  # the ordinary rule reads it
    assert [time for *_, time in passages(record)] == ["00:01:02", "00:01:05"]


def test_ordinary_text_is_not_taken_for_a_call_export(tmp_path):
    text = "Interviewer: When?\n\nParticipant: We met at 10:30\nand left at 11:00\n"
    [record] = read_transcripts(write(tmp_path / "p.txt", text))
    assert record.source_format == "text" and record.text == text


# --- Word processors and PDF ----------------------------------------------------------------


def _docx(tmp_path, name="p.docx"):
    import docx

    document = docx.Document()
    document.add_paragraph("Interview 7")
    document.add_paragraph("Interviewer: How do you use AI?")
    document.add_paragraph("Participant: For drafts.")
    document.add_paragraph("")
    table = document.add_table(rows=4, cols=3)
    for row, cells in zip(
        table.rows,
        [("Time", "Speaker", "Text"), ("00:02:00", "Dr. Kim: PI", "And then?"),
         ("00:02:05", "Participant", "Then emails."), ("00:02:09", "Participant", "")],
    ):  # fmt: skip
        for cell, value in zip(row.cells, cells):
            cell.text = value
    document.add_picture(io.BytesIO(PNG))
    path = tmp_path / name
    document.save(str(path))
    return path


def test_docx_paragraphs_prefixes_and_a_table_of_turns(tmp_path):
    [record] = read_transcripts(_docx(tmp_path))
    assert record.source_format == "docx"
    assert passages(record) == [
        (None, "Interview 7", None),
        ("Interviewer", "How do you use AI?", None),
        ("Participant", "For drafts.", None),
        ("Dr. Kim: PI", "And then?", "00:02:00"),
        ("Participant", "Then emails.", "00:02:05"),
    ]
    assert record.skipped == ("1 picture",)


def test_odt_paragraphs_and_table(tmp_path):
    from odf import table, text
    from odf.opendocument import OpenDocumentText

    document = OpenDocumentText()
    document.text.addElement(text.H(outlinelevel=1, text="Interview 8"))
    document.text.addElement(text.P(text="Interviewer: Où travaillez-vous ?"))
    document.text.addElement(text.P(text="Participant: À Lyon."))
    grid = table.Table()
    grid.addElement(table.TableColumn(numbercolumnsrepeated=2))
    for who, said in [("Interviewer", "Depuis quand ?"), ("Participant", "Deux ans.")]:
        row = table.TableRow()
        for value in (who, said):
            cell = table.TableCell()
            cell.addElement(text.P(text=value))
            row.addElement(cell)
        grid.addElement(row)
    document.text.addElement(grid)
    path = tmp_path / "p.odt"
    document.save(str(path))
    [record] = read_transcripts(path)
    assert record.source_format == "odt"
    assert [(s, t) for s, t, _ in passages(record)] == [
        (None, "Interview 8"),
        ("Interviewer", "Où travaillez-vous ?"),
        ("Participant", "À Lyon."),
        ("Interviewer", "Depuis quand ?"),
        ("Participant", "Deux ans."),
    ]


def test_rtf_code_page_unicode_and_a_picture(tmp_path):
    rtf = (
        r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Arial;}}" "\r\n"
        r"\f0 Interviewer: Caf\'e9 or tea?\par" "\r\n"
        r"Participant: Tea, \u8220?always\u8221?.\par" "\r\n"
        r"{\pict\pngblip 89504e47}\par" "\r\n"
        r"Interviewer: Why?\par}"
    )  # fmt: skip
    path = tmp_path / "p.rtf"
    path.write_bytes(rtf.encode("ascii"))
    [record] = read_transcripts(path)
    assert [(s, t) for s, t, _ in passages(record)] == [
        ("Interviewer", "Café or tea?"),
        ("Participant", "Tea, “always”."),
        ("Interviewer", "Why?"),
    ]
    assert record.skipped == ("1 picture",)


def _pdf(path, pages):
    from reportlab.pdfgen import canvas

    drawing = canvas.Canvas(str(path))
    for lines in pages:
        y = 800
        for line in lines:
            drawing.drawString(72, y, line)
            y -= 14
        if not lines:
            drawing.rect(72, 600, 200, 100, fill=1)  # a "scan": marks, no text
        drawing.showPage()
    drawing.save()
    return path


def test_pdf_text_layer_with_a_page_without_text(tmp_path):
    path = _pdf(
        tmp_path / "p.pdf",
        [["Interviewer: How do you use AI?", "Participant: For drafts and", "emails."], [],
         ["Interviewer: Thanks."]],
    )  # fmt: skip
    [record] = read_transcripts(path)
    assert record.source_format == "pdf"
    assert [(s, " ".join(t.split())) for s, t, _ in passages(record)] == [
        ("Interviewer", "How do you use AI?"),
        ("Participant", "For drafts and emails."),
        ("Interviewer", "Thanks."),
    ]
    assert record.skipped == ("1 page without text (page 2)",)


def test_scanned_pdf_is_refused(tmp_path):
    path = _pdf(tmp_path / "scan.pdf", [[], []])
    with pytest.raises(TranscriptError) as error:
        read_transcripts(path)
    assert str(error.value) == f"{path}: no text layer (a scanned PDF?): run OCR first"


@pytest.mark.parametrize("suffix", [".docx", ".odt", ".pdf", ".rtf"])
def test_a_broken_document_is_one_clear_error(tmp_path, suffix):
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(b"PK\x03\x04 this is not what it claims to be")
    with pytest.raises(TranscriptError, match=rf"broken\{suffix}: not (a readable|an RTF)"):
        read_transcripts(path)


# --- Through the store and the command line -------------------------------------------------


def test_import_stores_timed_passages_and_rejects_a_bad_file_whole(tmp_path):
    good = write(tmp_path / "teams.vtt", TEAMS_VTT)
    scan = _pdf(tmp_path / "scan.pdf", [[]])
    with Project.create(tmp_path / "s.wb") as project:
        outcome = import_files(project, [good, scan], parallel=False)
        assert outcome.errors == [f"{scan}: no text layer (a scanned PDF?): run OCR first"]
        [result] = outcome.files
        assert result.to_dict()["speakers"] == ["Dr. Kim: PI", "Lee, Sam (Guest)"]
        assert result.format == "vtt" and result.passages == 3
        with project.reading() as conn:
            [transcript] = list_transcripts(conn)
            assert transcript.external_id == "teams"
            stored = list(passages_of(conn, [transcript.id]))
    assert [(p.speaker, p.text, p.time) for p in stored] == [
        ("Dr. Kim: PI", "How do you use AI?", "00:00:01"),
        ("Lee, Sam (Guest)", "For drafts, mostly. and emails", "00:00:05"),
        ("Dr. Kim: PI", "Thanks.", "01:02:03"),
    ]


def test_cli_import_reports_what_it_understood(tmp_path, capsys):
    project = tmp_path / "s.wb"
    assert main(["new", str(project)]) == 0
    docx_path = _docx(tmp_path)
    capsys.readouterr()
    assert main(["import", str(project), str(docx_path), "--json"]) == 0
    [item] = json.loads(capsys.readouterr().out)["files"]
    assert item["format"] == "docx" and item["passages"] == 5
    assert item["speakers"] == ["Dr. Kim: PI", "Interviewer", "Participant"]
    assert item["skipped"] == ["1 picture"]
    vtt = write(tmp_path / "teams.vtt", TEAMS_VTT)
    assert main(["import", str(project), str(vtt)]) == 0
    out = capsys.readouterr().out
    assert "read as vtt; 2 speakers (Dr. Kim: PI, Lee, Sam (Guest)); skipped: 1 empty cue" in out


def test_what_pypdf_logs_goes_to_the_import_warnings_not_the_terminal(tmp_path, capsys):
    good = _pdf(tmp_path / "ok.pdf", [["Interviewer: How?", "Participant: Fine."]]).read_bytes()
    broken = tmp_path / "broken.pdf"  # a wrong startxref: pypdf repairs it and logs a warning
    broken.write_bytes(good[: good.rfind(b"startxref")] + b"startxref\n99\n%%EOF\n")
    [record] = read_transcripts(broken)
    assert record.warning is not None and "startxref" in record.warning
    assert record.warning.startswith("broken.pdf: the PDF reader repaired")
    assert "pypdf" not in capsys.readouterr().err
    assert main(["new", str(tmp_path / "p.wb")]) == 0
    capsys.readouterr()
    assert main(["import", str(tmp_path / "p.wb"), str(broken)]) == 0
    err = capsys.readouterr().err
    assert "warning: broken.pdf: the PDF reader repaired" in err and "WARNING pypdf" not in err
