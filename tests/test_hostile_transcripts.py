"""Transcripts as real tools and transcribers write them, each a small hand-written fixture.

Every case here was found by importing such a file through the CLI and reading its passages:
a timestamp between label and colon, a timestamp after the colon or on its own line above the
turn (Rev, Trint, Otter and Teams exports), and the other labels below. File formats as tools
write them are in ``test_hostile_formats``.
"""

from __future__ import annotations

from tests.conftest import write
from workbench.core.readers import read_transcripts
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
