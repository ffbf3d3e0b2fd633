"""Speaker detection: recurring labels are speakers, a word and a colon inside an answer is not."""

from __future__ import annotations

import csv

from workbench.core.speakers import detect_corpus_speakers, detect_speakers, find_label_lines

AI_STYLE = """Assistant: Hi, thanks for joining. Shall we start?

User: Sure.

AI: How do you use AI at work?

User: I ask it things, for example:

Me: Could you find sources on this?
Chosen AI: Here are some sources.
Me: Thanks, now summarise them.
Chosen AI: Summary follows.

That is how it goes.

AI: What worries you?

User: Not much. Note: I double check.

AI: Thanks!

User: Bye.
"""


def test_labels_inside_an_answer_are_not_speakers():
    assert detect_speakers(AI_STYLE) == {"Assistant", "User", "AI"}


def test_opening_label_counts_even_once():
    assert "Assistant" in detect_speakers(AI_STYLE)


def test_recurring_custom_labels_in_an_interview():
    text = (
        "Maria: hello\n\nJohn: hi\n\nMaria: question\n\nJohn: answer\n\nMaria: more\n\nJohn: done\n"
    )
    assert detect_speakers(text) == {"Maria", "John"}


def test_markdown_and_timestamps():
    text = (
        "# Interview 4\n\n**Interviewer:** Hello there.\n\n**Respondent**: Hi.\n\n"
        "[00:01:02] Interviewer: Next question?\n\n[00:01:09] Respondent: Yes: quite.\n"
    )
    assert detect_speakers(text) == {"Interviewer", "Respondent"}
    labels = [m.label for m in find_label_lines(text)]
    assert labels == ["Interviewer", "Respondent", "Interviewer", "Respondent"]


def test_text_without_labels_has_no_speakers():
    assert (
        detect_speakers("Just some notes.\n\nAnother paragraph with a time 10:30 in it.") == set()
    )


def test_urls_and_times_are_not_labels():
    text = "Interviewer: hi\n\nhttp://example.org is where\n12:30 we met\n\nParticipant: ok\n"
    assert [m.label for m in find_label_lines(text)] == ["Interviewer", "Participant"]


def test_non_latin_scripts():
    text = "AI: 質問です\n\n参加者: 答えです\n\nAI: 次\n\n参加者: はい\n"
    assert detect_speakers(text) == {"AI", "参加者"}
    arabic = "AI: سؤال\n\nالمشاركة: جواب\n\nAI: سؤال آخر\n\nالمشاركة: جواب آخر\n"
    assert detect_speakers(arabic) == {"AI", "المشاركة"}


def test_corpus_labels_are_the_speakers_of_most_transcripts():
    short = "Interviewer: only one question here?\n\nThe answer has no label.\n"
    texts = [AI_STYLE] * 6 + [short, "Me: typed\n\nmore\n\nMe: again\n"]
    corpus = detect_corpus_speakers([detect_speakers(t) for t in texts])
    assert corpus == {"Assistant", "User", "AI"}  # "Me" and "Chosen AI" occur often, never as turns
    assert detect_corpus_speakers([detect_speakers(t) for t in texts[:2]]) == set()


def test_every_published_transcript_has_exactly_its_three_labels(shared_data):
    csv.field_size_limit(2**31 - 1)
    wrong = []
    for name in ("workforce", "creatives", "scientists"):
        with open(shared_data / f"{name}_transcripts.csv", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                found = detect_speakers(row["text"])
                if found != {"Assistant", "AI", "User"}:
                    wrong.append((row["transcript_id"], found))
    assert wrong == []
