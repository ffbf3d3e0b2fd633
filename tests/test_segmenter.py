"""Segmentation: passages keep speakers and offsets that round-trip into the stored text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.core.segmenter import Segmentation, segment, turn_spans
from workbench.core.speakers import detect_speakers

TEXT = """Title line

Interviewer: First question?
Still the question.

Participant: An answer.

Second paragraph of the answer.

Interviewer: Thanks.
"""


def test_turns_keep_continuation_lines_and_offsets():
    passages = segment(TEXT, {"Interviewer", "Participant"})
    assert [(p.position, p.speaker) for p in passages] == [
        (1, None),
        (2, "Interviewer"),
        (3, "Participant"),
        (4, "Interviewer"),
    ]
    assert passages[1].text == "First question?\nStill the question."
    assert passages[2].text == "An answer.\n\nSecond paragraph of the answer."
    for p in passages:
        assert TEXT[p.start : p.end] == p.text


def test_paragraph_mode_splits_turns_but_keeps_speakers():
    passages = segment(TEXT, {"Interviewer", "Participant"}, Segmentation.PARAGRAPH)
    answer = [p for p in passages if p.speaker == "Participant"]
    assert [p.text for p in answer] == ["An answer.", "Second paragraph of the answer."]
    assert [p.position for p in passages] == list(range(1, len(passages) + 1))


def test_no_speakers_means_paragraphs_without_speaker():
    text = "One.\n\n  Two, indented.  \n\n\n\nThree.\n"
    passages = segment(text, set())
    assert [p.text for p in passages] == ["One.", "Two, indented.", "Three."]
    assert all(p.speaker is None for p in passages)
    assert all(text[p.start : p.end] == p.text for p in passages)


def test_empty_turns_are_skipped():
    passages = segment("A: hi\n\nB:\n\nA: again\n\nB: yes\n", {"A", "B"})
    assert [p.text for p in passages] == ["hi", "again", "yes"]


def test_turn_spans_cover_text_before_the_first_turn():
    spans = turn_spans("intro\n\nA: x\n\nB: y\n", {"A", "B"})
    assert spans[0] == (None, 0, 7)


words = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=40
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["Interviewer", "Participant", "User", "AI"]), words),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(list(Segmentation)),
)
def test_offsets_round_trip_for_any_text(turns, mode):
    text = "\n\n".join(f"{speaker}: {body}" for speaker, body in turns)
    speakers = detect_speakers(text)
    for passage in segment(text, speakers, mode):
        assert text[passage.start : passage.end] == passage.text
        assert passage.text == passage.text.strip()
        assert passage.text
