"""Transcript files as real tools write them (Word, ODT and PDF documents, Teams and Trint
exports, subtitles, spreadsheets and chat exports, mixed encodings), each a small hand-written
fixture. Speaker labels as transcribers type them are in ``test_hostile_transcripts``.
"""

from __future__ import annotations

import pytest

from tests.conftest import write
from tests.test_hostile_transcripts import passages
from tests.test_transcript_formats import _pdf
from workbench.core.documents import strip_page_furniture
from workbench.core.errors import TranscriptError
from workbench.core.readers import read_metadata, read_transcripts
from workbench.core.speaker_labels import Role, default_role


def test_excel_csv_with_bom_and_semicolons_is_read_by_its_header(tmp_path):
    # Excel where the decimal separator is a comma: BOM, ";" between cells, CRLF, a ";" and a
    # "," inside quoted cells. Refused before as lacking an id column.
    data = (
        "\ufefftranscript_id;speaker;text\r\n"
        "t1;Interviewer;Hello, welcome\r\n"
        't1;Participant;"Thanks; “quoted”, é"\r\n'
    ).encode("utf-8")
    path = tmp_path / "turns.csv"
    path.write_bytes(data)
    [record] = read_transcripts(path)
    assert record.external_id == "t1"
    assert [(s, t) for s, t, _ in passages(record)] == [
        ("Interviewer", "Hello, welcome"),
        ("Participant", "Thanks; “quoted”, é"),
    ]


def test_semicolon_metadata_and_a_comma_header_keeps_its_semicolons(tmp_path):
    meta = write(tmp_path / "meta.csv", "transcript_id;group;region\nt1;workforce;Europe\n")
    assert read_metadata(meta) == {"t1": {"group": "workforce", "region": "Europe"}}
    comma = write(tmp_path / "c.csv", "transcript_id,note\nt1,a; b\n")
    assert read_metadata(comma) == {"t1": {"note": "a; b"}}


def test_pdf_page_numbers_and_running_headers_are_not_speech(tmp_path):
    # "Page 1 of 2" was the last line of the participant's passage, and coded with it.
    path = _pdf(
        tmp_path / "p.pdf",
        [["Study X - confidential - 3 May", "Interviewer: How do you use AI?",
          "Participant: For drafts.", "Page 1 of 2"],
         ["Study X - confidential - 3 May", "Interviewer: Thanks.", "Participant: No.",
          "Page 2 of 2"]],
    )  # fmt: skip
    [record] = read_transcripts(path)
    assert [(s, t.strip()) for s, t, _ in passages(record)] == [
        ("Interviewer", "How do you use AI?"),
        ("Participant", "For drafts."),
        ("Interviewer", "Thanks."),
        ("Participant", "No."),
    ]
    assert record.skipped == (
        "4 page header or footer lines ('Study X - confidential - 3 May', 'Page 1 of 2' and 2 more)",
    )


def test_page_furniture_keeps_lines_that_are_speech():
    pages = [
        "Interviewer: Years?\nParticipant: 12\nYes.",  # an answer "12" mid-page stays
        "- 2 -\nInterviewer: Sure?\nYes.",  # "Yes." ends two of three pages: speech, not a footer
        "Interviewer: Last one.\nParticipant: Fine.\nSeite 3",
    ]
    kept, taken = strip_page_furniture(pages)
    assert taken == ["- 2 -", "Seite 3"]
    assert kept == [
        pages[0],
        "Interviewer: Sure?\nYes.",
        "Interviewer: Last one.\nParticipant: Fine.",
    ]


def _docx_paragraphs(path, paragraphs):
    """A DOCX of paragraphs given as (bold run, plain run) pairs."""
    import docx

    document = docx.Document()
    for bold, plain in paragraphs:
        paragraph = document.add_paragraph()
        if bold:
            paragraph.add_run(bold).bold = True
        paragraph.add_run(plain)
    document.save(str(path))
    return path


def test_docx_speaker_set_apart_by_bold_type_without_a_colon(tmp_path):
    # Before: no speakers at all, every interviewer question offered for coding.
    path = _docx_paragraphs(
        tmp_path / "bold.docx",
        [
            ("Important", " read this first."),  # bold emphasis once: stays text
            ("Interviewer", " Thanks for joining."),
            ("Dr. María Ñúñez", "\tHappy to be here."),
            ("", "A second paragraph of her answer."),
            ("Interviewer ", "What do you do?"),
            ("Dr. María Ñúñez", " I fix bikes."),
        ],
    )
    [record] = read_transcripts(path)
    assert record.speakers == ("Dr. María Ñúñez", "Interviewer")
    assert [(s, t) for s, t, _ in passages(record)] == [
        (None, "Important read this first."),
        ("Interviewer", "Thanks for joining."),
        ("Dr. María Ñúñez", "Happy to be here.\n\nA second paragraph of her answer."),
        ("Interviewer", "What do you do?"),
        ("Dr. María Ñúñez", "I fix bikes."),
    ]


TEAMS_BLOCKS = (
    "0:0:0.0 --> 0:0:5.120\nKim Lee\nThanks for joining.\n\n"
    "0:0:5.120 --> 0:0:9.800\nSam Ortiz\nHappy to be here.\nReally.\n\n"
    "0:0:9.8 --> 0:0:12.0\nKim Lee\n\n"
    "[01:15]\nKim Lee\nWhat do you do?\n"
)


def test_time_line_name_line_turn_blocks_as_teams_writes_them(tmp_path):
    # Teams' transcript download and Stream: read as one paragraph per block, no speakers.
    [record] = read_transcripts(write(tmp_path / "teams.txt", TEAMS_BLOCKS))
    assert record.source_format == "call-transcript"
    assert passages(record) == [
        ("Kim Lee", "Thanks for joining.", "00:00:00"),
        ("Sam Ortiz", "Happy to be here.\nReally.", "00:00:05"),
        ("Kim Lee", "What do you do?", "01:15"),
    ]
    assert record.skipped == ("1 empty turn",)


def test_a_name_colon_turn_under_a_time_line_is_not_a_name_line(tmp_path):
    text = "00:01:23\nInterviewer: Hi\n\n00:01:30\nParticipant: Hello\n"
    [record] = read_transcripts(write(tmp_path / "otter.txt", text))
    assert [(s, t) for s, t, _ in passages(record)] == [
        ("Interviewer", "Hi"),
        ("Participant", "Hello"),
    ]


def test_teams_transcript_saved_as_docx(tmp_path):
    # Teams' "Download as .docx": a title, then "Name   0:03" headers over the turns. Before,
    # every header and turn was a passage without a speaker.
    path = _docx_paragraphs(
        tmp_path / "teams.docx",
        [("", "Research interview"), ("", "Kim Lee   0:03"), ("", "Thanks for joining."),
         ("", "Sam Ortiz   0:09"), ("", "Happy to be here."), ("", "Kim Lee   1:15"),
         ("", "What do you do?")],
    )  # fmt: skip
    [record] = read_transcripts(path)
    assert record.source_format == "docx"
    assert passages(record) == [
        (None, "Research interview", None),
        ("Kim Lee", "Thanks for joining.", "0:03"),
        ("Sam Ortiz", "Happy to be here.", "0:09"),
        ("Kim Lee", "What do you do?", "1:15"),
    ]


def test_vtt_character_escapes_are_read_as_the_characters(tmp_path):
    # "&amp;" was stored and coded as typed: "I fix bikes &amp; cars."
    text = (
        "WEBVTT\n\nNOTE exported by a recorder\n\n"
        "00:00:01.000 --> 00:00:04.000 align:start\n<v Kim &amp; Co>Fish &amp; chips?\n\n"
        "00:00:04.500 --> 00:00:08.000\n<v.loud Sam Ortiz>Yes &lt;3 &gt; no, <i>AT&T</i>&nbsp;ok\n"
    )
    [record] = read_transcripts(write(tmp_path / "e.vtt", text))
    assert [(s, t) for s, t, _ in passages(record)] == [
        ("Kim & Co", "Fish & chips?"),
        ("Sam Ortiz", "Yes <3 > no, AT&T ok"),
    ]


def test_f4_time_marks_closing_a_paragraph_are_not_coded(tmp_path):
    # f4/f5transkript, the usual tool of German-speaking qualitative research, closes each
    # paragraph with "#00:00:05-2#"; it ended every passage.
    text = (
        "I: Wie lange arbeiten Sie schon hier? #00:00:05-2#\n\n"
        "B: Seit zehn Jahren. #00:00:09-8#\n\n"
        "I: Und? #00:00:14-1#\n\nB: Alles #wichtig#\n#00:00:25-0#\n"
    )
    [record] = read_transcripts(write(tmp_path / "f4.txt", text))
    assert [(s, t) for s, t, _ in passages(record)] == [
        ("I", "Wie lange arbeiten Sie schon hier?"),
        ("B", "Seit zehn Jahren."),
        ("I", "Und?"),
        ("B", "Alles #wichtig#"),  # a word in hashes is text
    ]


def test_a_stray_quote_is_reported_at_the_row_that_holds_it(tmp_path):
    # The csv module stops where the quote runs out, lines below the mistake (at the end of
    # the file for a quote never closed); the row that holds it is now named too.
    good = "".join(f't{i},"Interviewer: hi\nParticipant: ok {i}"\n' for i in range(3))
    text = "transcript_id,text\n" + good + 'tbad,"Interviewer: no closing quote\n' + good
    with pytest.raises(TranscriptError) as error:
        read_transcripts(write(tmp_path / "q.csv", text))
    assert "in the row that starts on line 8;" in str(error.value)
    assert str(error.value).startswith(f"{tmp_path / 'q.csv'}: line 9: not valid CSV")


def test_utf8_with_a_few_pasted_cp1252_bytes_keeps_its_accents(tmp_path):
    # Read whole as cp1252 before: every "é" of the file became "Ã©", without a warning.
    data = "Interviewer: Café or tea?\nParticipant: Café, ".encode() + b"\x93always\x94.\n"
    path = tmp_path / "mixed.txt"
    path.write_bytes(data)
    [record] = read_transcripts(path)
    assert [t for _, t, _ in passages(record)] == ["Café or tea?", "Café, “always”."]
    assert record.warning == (
        f"{path}: line 2: 2 bytes not valid UTF-8 (text pasted from another program?) "
        "read as cp1252; check them"
    )
    legacy = tmp_path / "legacy.txt"  # all cp1252: still the code page's own reading
    legacy.write_bytes("Interviewer: Café?\nParticipant: “Oui”, café.\n".encode("cp1252"))
    [record] = read_transcripts(legacy)
    assert "Café?" in record.text and "“Oui”" in record.text


def test_turn_per_row_speakers_are_taken_as_the_column_writes_them(tmp_path):
    # Read back through the Name: rule before: all four rows were passages without a speaker.
    text = (
        "id,speaker,text\n"
        'x,"Lee, Sam",Hello there.\nx,Dr. Kim: PI,How do you use AI?\n'
        'x,"Lee, Sam",For drafts.\nx,1st Respondent,Me too.\nx,INTERVIEWER:,Thanks.\n'
    )
    [record] = read_transcripts(write(tmp_path / "turns.csv", text))
    assert [(s, t) for s, t, _ in passages(record)] == [
        ("Lee, Sam", "Hello there."),
        ("Dr. Kim: PI", "How do you use AI?"),
        ("Lee, Sam", "For drafts."),
        ("1st Respondent", "Me too."),
        ("INTERVIEWER", "Thanks."),  # the colon typed after the name is not part of it
    ]
    # the stored text of an ordinary file is as before, so re-importing it adds nothing
    [plain] = read_transcripts(write(tmp_path / "p.csv", "id,speaker,text\ny,I,Hi\ny,R,Yo\n"))
    assert plain.text == "I: Hi\n\nR: Yo\n"


def test_chat_export_jsonl_with_conversation_ids_and_roles(tmp_path):
    # The shape chat tools export: refused before for lacking an id column.
    text = (
        '{"conversation_id": "c1", "role": "assistant", "content": "How do you use AI?"}\n'
        '{"conversation_id": "c1", "role": "user", "content": "For drafts."}\n'
    )
    [record] = read_transcripts(write(tmp_path / "chat.jsonl", text))
    assert record.external_id == "c1"
    assert [(s, t) for s, t, _ in passages(record)] == [
        ("assistant", "How do you use AI?"),
        ("user", "For drafts."),
    ]
    assert default_role("assistant") is Role.INTERVIEWER


def test_docx_table_with_a_row_number_column(tmp_path):
    import docx

    def table_docx(path, rows):
        document = docx.Document()
        table = document.add_table(rows=0, cols=len(rows[0]))
        for row in rows:
            for cell, value in zip(table.add_row().cells, row):
                cell.text = value
        document.save(str(path))
        return path

    # "# | Speaker | Text": each row was a paragraph "1 Interviewer Thanks..." without speaker
    numbered = [("#", "Speaker", "Text"), ("1", "Interviewer", "Thanks."), ("2", "Sam", "Hi."),
                ("3", "Interviewer", "Go on."), ("4", "Sam", "OK.")]  # fmt: skip
    [record] = read_transcripts(table_docx(tmp_path / "n.docx", numbered))
    assert [(s, t) for s, t, _ in passages(record)] == [
        ("Interviewer", "Thanks."),
        ("Sam", "Hi."),
        ("Interviewer", "Go on."),
        ("Sam", "OK."),
    ]
    # a numbered list of distinct things, no header: not an interview, its rows stay text
    ranking = [("1", "Drafting", "Most used"), ("2", "Email", "Often"), ("3", "Code", "Rarely")]
    [record] = read_transcripts(table_docx(tmp_path / "r.docx", ranking))
    assert record.speakers == ()
    assert [t for _, t, _ in passages(record)][0] == "1 Drafting Most used"


def test_time_and_name_on_one_line_over_the_turn(tmp_path):
    # Trint's layout: read before as one speakerless paragraph per turn, header and all.
    text = (
        "[00:00:02] Speaker 1\nThanks for joining.\n\n"
        "[00:00:05] Speaker 2\nHappy to be here.\nReally.\n\n"
        "00:00:09 Speaker 1\nWhat do you do?\n"
    )
    [record] = read_transcripts(write(tmp_path / "trint.txt", text))
    assert passages(record) == [
        ("Speaker 1", "Thanks for joining.", "00:00:02"),
        ("Speaker 2", "Happy to be here.\nReally.", "00:00:05"),
        ("Speaker 1", "What do you do?", "00:00:09"),
    ]
    # Zoom's "00:00:02 Kim: text" lines stay Name: turns, read by the ordinary rule
    zoom = (
        "00:00:02 Kim: Hi.\n\n00:00:04 Sam: Hello.\n\n00:00:06 Kim: Go on.\n\n00:00:08 Sam: OK.\n"
    )
    [record] = read_transcripts(write(tmp_path / "zoom.txt", zoom))
    assert record.source_format == "text"
    assert [(s, t) for s, t, _ in passages(record)][:2] == [("Kim", "Hi."), ("Sam", "Hello.")]


def test_odt_speaker_set_apart_by_bold_type_without_a_colon(tmp_path):
    from odf.opendocument import OpenDocumentText
    from odf.style import Style, TextProperties
    from odf.text import P, Span

    document = OpenDocumentText()
    bold = Style(name="B1", family="text")
    bold.addElement(TextProperties(fontweight="bold"))
    document.automaticstyles.addElement(bold)
    for name, text in [("Interviewer", "Thanks."), ("Ñúñez", "Hi."), ("Interviewer", "Go on."),
                       ("Ñúñez", "OK."), ("Note", "a bold word once stays text.")]:  # fmt: skip
        paragraph = P()
        paragraph.addElement(Span(stylename=bold, text=name))
        paragraph.addText(" " + text)
        document.text.addElement(paragraph)
    document.save(str(tmp_path / "bold.odt"))
    [record] = read_transcripts(tmp_path / "bold.odt")
    assert [(s, t) for s, t, _ in passages(record)] == [
        ("Interviewer", "Thanks."),
        ("Ñúñez", "Hi."),
        ("Interviewer", "Go on."),
        ("Ñúñez", "OK.\n\nNote a bold word once stays text."),
    ]


def test_dialogue_dashes_in_a_caption_are_two_voices(tmp_path):
    # "- Where were you?\n- At home.": one passage "- Where were you? - At home." before.
    srt = (
        "1\n00:00:01,000 --> 00:00:03,000\n- Where were you?\n- At home.\n\n"
        "2\n00:00:04,000 --> 00:00:06,000\nAll night?\n\n"
        "3\n00:00:07,000 --> 00:00:09,000\nWhy?\n-Because.\n"
    )
    [record] = read_transcripts(write(tmp_path / "film.srt", srt))
    assert passages(record) == [
        (None, "[00:00:01] Where were you?", "00:00:01"),
        (None, "[00:00:01] At home.", "00:00:01"),
        (None, "[00:00:04] All night?", "00:00:04"),
        (None, "[00:00:07] Why?", "00:00:07"),
        (None, "[00:00:07] Because.", "00:00:07"),
    ]
    assert record.skipped == ()
    # with names after the dashes, each line is its speaker's turn
    named = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n- Kim: Where were you?\n- Sam: At home.\n\n"
        "00:00:04.000 --> 00:00:06.000\nKim: All night?\n\n"
        "00:00:07.000 --> 00:00:09.000\nSam: Yes.\n"
    )
    [record] = read_transcripts(write(tmp_path / "named.vtt", named))
    assert passages(record) == [
        ("Kim", "Where were you?", "00:00:01"),
        ("Sam", "At home.", "00:00:01"),
        ("Kim", "All night?", "00:00:04"),
        ("Sam", "Yes.", "00:00:07"),
    ]


def test_nameless_dialogue_among_named_speakers_stays_whole_and_is_reported(tmp_path):
    # Splitting would need a speaker for each line, and none is named: no speaker is invented.
    vtt = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nKim: Where were you?\n\n"
        "00:00:04.000 --> 00:00:06.000\nSam: Out.\n\n"
        "00:00:07.000 --> 00:00:09.000\n- With whom?\n- Friends.\n\n"
        "00:00:10.000 --> 00:00:12.000\nKim: OK.\n\n"
        "00:00:13.000 --> 00:00:15.000\nSam: Fine.\n"
    )
    [record] = read_transcripts(write(tmp_path / "mixed.vtt", vtt))
    assert [(s, t) for s, t, _ in passages(record)] == [
        ("Kim", "Where were you?"),
        ("Sam", "Out. - With whom? - Friends."),
        ("Kim", "OK."),
        ("Sam", "Fine."),
    ]
    assert record.skipped == (
        "1 cue of two voices without names (dialogue dashes at 00:00:07) kept whole in one "
        "turn: splitting it would invent speakers",
    )
