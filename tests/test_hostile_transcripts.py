"""Transcripts as real tools and transcribers write them, each a small hand-written fixture.

Every case here was found by importing such a file through the CLI and reading its passages:
a timestamp between label and colon, a timestamp after the colon or on its own line above the
turn (Rev, Trint, Otter and Teams exports), and the other layouts below.
"""

from __future__ import annotations

import pytest

from tests.conftest import write
from tests.test_transcript_formats import _pdf
from workbench.core.documents import strip_page_furniture
from workbench.core.errors import TranscriptError
from workbench.core.readers import read_metadata, read_transcripts
from workbench.core.segmenter import segment
from workbench.core.speaker_labels import Role, default_role
from workbench.core.turns import passage_time


def passages(record):
    """``(speaker, text, time)`` per passage, as the store would cut them."""
    return [
        (p.speaker, p.text, passage_time(record.text, p.start))
        for p in segment(record.text, record.speakers, label_lines=record.label_lines)
    ]


def test_timestamp_between_label_and_colon_is_not_part_of_the_label(tmp_path):
    # Rev, Descript and Trint: "Speaker 1 (00:01:23): text". Read as prose before, one passage.
    text = (
        "Speaker 1 (00:01:23): Thanks for making the time.\n"
        "Speaker 2 (00:01:30): Of course.\n"
        "Speaker 1 (00:02:02): What does a day look like?\n"
        "Speaker 2 [01:02:10.5]: Long. Note: I disagree with my manager.\n"
    )
    [record] = read_transcripts(write(tmp_path / "rev.txt", text))
    assert record.speakers == ("Speaker 1", "Speaker 2")
    assert passages(record) == [
        ("Speaker 1", "Thanks for making the time.", "00:01:23"),
        ("Speaker 2", "Of course.", "00:01:30"),
        ("Speaker 1", "What does a day look like?", "00:02:02"),
        ("Speaker 2", "Long. Note: I disagree with my manager.", "01:02:10"),
    ]


def test_timestamp_after_the_colon_stays_out_of_the_passage(tmp_path):
    # Rev's paragraph layout: "Kim Lee: (00:02)" with the turn on the lines below.
    text = (
        "Kim Lee: (00:02)\nThanks for joining.\n\n"
        "Sam Ortiz: (00:09)\nGood, busy.\n\n"
        "Kim Lee: [01:15]\nTell me about AI.\n\n"
        "Sam Ortiz: (01:20)\nWe use it.\n"
    )
    [record] = read_transcripts(write(tmp_path / "rev.txt", text))
    assert passages(record) == [
        ("Kim Lee", "Thanks for joining.", "00:02"),
        ("Sam Ortiz", "Good, busy.", "00:09"),
        ("Kim Lee", "Tell me about AI.", "01:15"),
        ("Sam Ortiz", "We use it.", "01:20"),
    ]


def test_timestamp_on_its_own_line_belongs_to_the_turn_below(tmp_path):
    # Before, the first passage was the bare time and each turn ended with the next one's time.
    text = (
        "00:01:23\nInterviewer: Thanks for joining.\n\n"
        "[00:01:30]\nParticipant: Happy to be here.\nAt 10:30 I start.\n\n"
        "00:02:10\nInterviewer: What do you do?\n"
    )
    [record] = read_transcripts(write(tmp_path / "otter.txt", text))
    assert passages(record) == [
        ("Interviewer", "Thanks for joining.", "00:01:23"),
        ("Participant", "Happy to be here.\nAt 10:30 I start.", "00:01:30"),
        ("Interviewer", "What do you do?", "00:02:10"),
    ]
    assert record.text == text  # nothing rewritten: offsets index the file's own text


def test_a_time_at_a_line_start_in_prose_is_still_text(tmp_path):
    text = "I: When do you start?\nR: Early.\n10:30 is when the shift starts.\nI: Thanks.\n"
    [record] = read_transcripts(write(tmp_path / "ir.txt", text))
    assert passages(record) == [
        ("I", "When do you start?", None),
        ("R", "Early.\n10:30 is when the shift starts.", None),
        ("I", "Thanks.", None),
    ]


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


def test_german_iv_b_transcript_has_its_interviewer(tmp_path):
    # "IV:" (Interviewer/in) with "B:" (Befragte/r) or "IP:" (Interviewpartner/in): the IV
    # turns were offered for coding as a participant's.
    text = (
        "IV: Wie lange arbeiten Sie schon hier?\nB: Seit zehn Jahren.\n"
        "IV: Und was hat sich verändert?\nB: Alles.\n"
    )
    [record] = read_transcripts(write(tmp_path / "de.txt", text))
    assert record.speakers == ("B", "IV")
    assert default_role("IV") is Role.INTERVIEWER
    assert default_role("B") is default_role("IP") is default_role("IE") is Role.PARTICIPANT


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


def test_labels_set_apart_by_a_dash_or_a_tab(tmp_path):
    # "INTERVIEWER - text" and "Name<TAB>text": read before as one passage with no speaker.
    dash = "INTERVIEWER - How did you start?\nPARTICIPANT - By accident - really.\n" * 2
    [record] = read_transcripts(write(tmp_path / "dash.txt", dash))
    assert record.speakers == ("INTERVIEWER", "PARTICIPANT")
    assert [(s, t) for s, t, _ in passages(record)][:2] == [
        ("INTERVIEWER", "How did you start?"),
        ("PARTICIPANT", "By accident - really."),
    ]
    tab = "Kim\tHow did you start?\nSam Ortiz\tBy accident.\nKim\tGo on.\nSam Ortiz\tOK.\n"
    [record] = read_transcripts(write(tmp_path / "tab.txt", tab))
    assert [s for s, _, _ in passages(record)] == ["Kim", "Sam Ortiz", "Kim", "Sam Ortiz"]


def test_prose_with_dashes_is_not_cut_into_turns(tmp_path):
    text = "Notes.\n\nSo - I went there.\n\nThen - nothing.\n\nSo - that was it.\n\nThen - home.\n"
    [record] = read_transcripts(write(tmp_path / "notes.txt", text))
    assert record.speakers == ()
    assert [s for s, _, _ in passages(record)] == [None] * 5
    # a colon transcript is read by its colons even where a line also has a dash
    text = "I: Start - now?\nR: Yes - go.\nNOTE - not a speaker\nI: Fine.\n"
    [record] = read_transcripts(write(tmp_path / "ir.txt", text))
    assert record.speakers == ("I", "R")


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


def test_no_break_space_and_direction_marks_before_the_colon(tmp_path):
    # French typography ("Enquêteur : ...", often a no-break space) and the right-to-left mark
    # a word processor leaves after an Arabic label: those turns merged into the one above.
    french = (
        "Enquêteur\u00a0: Comment utilisez-vous l’IA ?\nEnquêtée\u202f: Pour traduire.\n"
        "Enquêteur : Souvent ?\nEnquêtée :\u00a0Oui.\n"
    )
    [record] = read_transcripts(write(tmp_path / "fr.txt", french))
    assert [(s, t) for s, t, _ in passages(record)] == [
        ("Enquêteur", "Comment utilisez-vous l’IA ?"),
        ("Enquêtée", "Pour traduire."),
        ("Enquêteur", "Souvent ?"),
        ("Enquêtée", "Oui."),
    ]
    arabic = "المحاور\u200f: كيف؟\nالمشارك\u200f: للترجمة.\n\u200fالمحاور: هل يساعدك؟\n"
    [record] = read_transcripts(write(tmp_path / "ar.txt", arabic))
    assert [s for s, _, _ in passages(record)] == ["المحاور", "المشارك", "المحاور"]
    assert default_role("المحاور") is Role.INTERVIEWER


def test_japanese_label_with_an_ascii_colon_and_no_space(tmp_path):
    text = "インタビュアー:お仕事でAIを使いますか？\n回答者:はい。\nインタビュアー:なぜ？\n回答者:速いから。\n"
    [record] = read_transcripts(write(tmp_path / "ja.txt", text))
    assert [(s, t) for s, t, _ in passages(record)][:2] == [
        ("インタビュアー", "お仕事でAIを使いますか？"),
        ("回答者", "はい。"),
    ]
    # a Latin word and a colon with no space after it is still no label
    text = "Interviewer: When?\nParticipant: At 10:30.\nSee:this\nInterviewer: OK.\n"
    [record] = read_transcripts(write(tmp_path / "en.txt", text))
    assert record.speakers == ("Interviewer", "Participant")


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


def test_five_word_names_and_bracketed_labels(tmp_path):
    # A title, two given names and two surnames: the doctor's questions were read as part of
    # the participant's answers, and coded.
    text = (
        "Dra. María José Ñúñez García: ¿Cómo usa la IA?\nJuan Carlos Pérez López: Poco.\n"
        "Dra. María José Ñúñez García: ¿Por qué?\nJuan Carlos Pérez López: No sé.\n"
    )
    [record] = read_transcripts(write(tmp_path / "es.txt", text))
    assert [s for s, _, _ in passages(record)] == [
        "Dra. María José Ñúñez García",
        "Juan Carlos Pérez López",
    ] * 2
    text = "[Interviewer]: Thanks.\n[Participant]: Sure.\n[Interviewer]: Go on.\n"
    [record] = read_transcripts(write(tmp_path / "b.txt", text))
    assert [(s, t) for s, t, _ in passages(record)][:2] == [
        ("Interviewer", "Thanks."),
        ("Participant", "Sure."),
    ]


def test_a_label_spelled_differently_or_with_a_slip_is_still_a_turn(tmp_path):
    # One "Interviwer:" merged a question into the answer above it, and then "Kim Lee" no
    # longer looked like it spanned several turns: the whole interview was three passages.
    text = (
        "Interviewer: How long?\nKim Lee: Ten years.\nInterviwer: And then?\n"
        "Kim Lee: It changed.\nINTERVIEWER: Why?\nkim lee: Money.\nInterviewer: OK.\n"
        "Kim Lee: Yes.\nNote: this stays text\n"
    )
    [record] = read_transcripts(write(tmp_path / "typos.txt", text))
    assert [(s, t) for s, t, _ in passages(record)] == [
        ("Interviewer", "How long?"),
        ("Kim Lee", "Ten years."),
        ("Interviwer", "And then?"),
        ("Kim Lee", "It changed."),
        ("INTERVIEWER", "Why?"),
        ("kim lee", "Money."),
        ("Interviewer", "OK."),
        ("Kim Lee", "Yes.\nNote: this stays text"),
    ]


def test_short_names_one_letter_apart_are_different_people(tmp_path):
    text = "Ann: Hi.\nBob: Hello.\nAnn: So?\nBob: Well.\nDan: I agree with Ann.\n"
    [record] = read_transcripts(write(tmp_path / "names.txt", text))
    assert record.speakers == ("Ann", "Bob")


def test_markdown_italic_labels_list_items_and_caption_chevrons(tmp_path):
    # Each read before as text without a speaker.
    cases = {
        "italic.md": "*Interviewer:* Hi.\n\n*Participant*: Hello.\n\n_Interviewer_: Go on.\n",
        "list.md": "- **Interviewer:** Hi.\n- **Participant:** Hello.\n* Interviewer: Go on.\n",
        "quote.md": "> Interviewer: Hi.\n> Participant: Hello.\n> Interviewer: Go on.\n",
        "tv.txt": ">> INTERVIEWER: Hi.\n>> PARTICIPANT: Hello.\n>>INTERVIEWER: Go on.\n",
    }
    for name, text in cases.items():
        [record] = read_transcripts(write(tmp_path / name, text))
        assert [t for _, t, _ in passages(record)] == ["Hi.", "Hello.", "Go on."], name
        assert [s.casefold() for s, _, _ in passages(record)] == [
            "interviewer",
            "participant",
            "interviewer",
        ], name


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


def test_page_breaks_and_unicode_line_separators_start_a_line(tmp_path):
    # pdftotext's form feed, Word's vertical tab, NEL, U+2028 and U+2029: a label after one
    # was read as text inside the turn before it.
    text = "Interviewer: One?\fParticipant: Two.\u2028Interviewer: Three?\x85Participant: Four.\vmore\u2029"
    [record] = read_transcripts(write(tmp_path / "breaks.txt", text))
    assert [(s, t) for s, t, _ in passages(record)] == [
        ("Interviewer", "One?"),
        ("Participant", "Two."),
        ("Interviewer", "Three?"),
        ("Participant", "Four.\nmore"),
    ]
    assert len(record.text) == len(text)  # one "\n" each: offsets keep their place


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


def test_line_numbered_transcript_is_cut_by_its_labels(tmp_path):
    # Conversation-analysis and many German transcripts number every line; the whole
    # interview was one passage without a speaker. The numbers of continuation lines were
    # then coded with the turn ("und\n3       davor"): they go, by the rule that read the
    # numbers before the labels, and a number the speaker said stays.
    text = (
        "1   I:  Wie lange arbeiten Sie schon hier?\n2   B:  Seit zehn Jahren, und\n"
        "3       davor in Köln.\n4\n5       10 Jahre.\n6   I:  Und?\n7   B:  Gut.\n"
    )
    [record] = read_transcripts(write(tmp_path / "n.txt", text))
    assert [(s, t) for s, t, _ in passages(record)] == [
        ("I", "Wie lange arbeiten Sie schon hier?"),
        ("B", "Seit zehn Jahren, und\ndavor in Köln.\n\n10 Jahre."),
        ("I", "Und?"),
        ("B", "Gut."),
    ]
    assert record.text.startswith("1   I:  Wie")  # the label lines keep their numbers
    # not numbered throughout: a line that opens with a number is what was said
    text = "I: Wie lange?\nB: Seit 2010, und\n12 Jahre davor in Köln.\nI: Und?\n"
    [record] = read_transcripts(write(tmp_path / "plain.txt", text))
    assert record.text == text


def test_a_bare_time_closing_a_turn_stays_in_it(tmp_path):
    text = (
        "Interviewer: When?\nParticipant: We met at\n10:30\nInterviewer: And?\nParticipant: Fine.\n"
    )
    [record] = read_transcripts(write(tmp_path / "t.txt", text))
    assert [t for _, t, _ in passages(record)][1] == "We met at\n10:30"


def test_a_single_name_before_a_dash_is_a_label_when_it_recurs(tmp_path):
    # "Sam - so I went": read before as one passage per line with no speaker.
    text = "Sam - so I went there.\nKim - Where?\nSam - To the shop.\nKim - And then?\n"
    [record] = read_transcripts(write(tmp_path / "names.txt", text))
    assert record.speakers == ("Kim", "Sam")
    assert [(s, t) for s, t, _ in passages(record)] == [
        ("Sam", "so I went there."),
        ("Kim", "Where?"),
        ("Sam", "To the shop."),
        ("Kim", "And then?"),
    ]


def test_single_words_before_a_dash_in_prose_stay_prose(tmp_path):
    cases = {
        # words that open sentences, however often they recur
        "openers.txt": "So - I went.\n\nYes - and then.\n\nSo - it was.\n\nYes - and more.\n",
        # a word the text also writes in lowercase is a word, not a name
        "word.txt": "Evening - we left; evening came.\n\nHome - at last.\n\n"
        "Evening - sleep.\n\nHome - a mess, home anyway.\n",
        # once each: no recurrence
        "once.txt": "Sam - so I went.\n\nKim - Where?\n\nLee - Home.\n",
        # not capitalised
        "lower.txt": "sam - so I went.\nkim - where?\nsam - home.\nkim - ok.\n",
    }
    for name, text in cases.items():
        [record] = read_transcripts(write(tmp_path / name, text))
        assert record.speakers == (), name


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


def test_empty_turns_in_a_text_file_are_reported_with_their_lines(tmp_path):
    # "Kim Lee:" with nothing after it gave no passage, and the import said nothing.
    text = (
        "Interviewer: How long?\nKim Lee:\nInterviewer: Sorry?\nKim Lee: Ten years.\n"
        "Interviewer:   \n\nKim Lee: Bye.\n"
    )
    [record] = read_transcripts(write(tmp_path / "empty.txt", text))
    assert [s for s, _, _ in passages(record)] == [
        "Interviewer",
        "Interviewer",
        "Kim Lee",
        "Kim Lee",
    ]
    assert record.skipped == (
        "2 empty turns (a label with nothing after it): line 2 'Kim Lee', line 5 'Interviewer'",
    )
    # lines are the file's own, above a Markdown title too
    [record] = read_transcripts(write(tmp_path / "empty.md", "# P02\n\n" + text))
    assert record.skipped == (
        "2 empty turns (a label with nothing after it): line 4 'Kim Lee', line 7 'Interviewer'",
    )
    [record] = read_transcripts(write(tmp_path / "full.txt", "I: Hi.\nR: Hello.\n"))
    assert record.skipped == ()
