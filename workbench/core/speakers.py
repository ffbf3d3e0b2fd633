"""Find the speaker labels of a transcript: the labels that recur through it as turns.

Any line that starts with a word and a colon looks like a turn, but participants write "Me:",
"Note:" or "Frustrated:" inside their own answers (the published AI-interviewer transcripts have
dozens of such lines). A label counts as a speaker when it is a known interview role, opens the
transcript, or recurs across several turns of the speakers already found; labels whose every
occurrence sits inside one other speaker's turn are text, not turns.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

from workbench.core.speaker_labels import (
    INTERVIEWER_LABELS,
    KNOWN_ROLE_LABELS,
    MIN_SLIP_LENGTH,
    normalize_label,
    one_slip,
)

# A timestamp as transcription tools write it: 0:02, 01:02:03, 01:02:03.5 (01:02:03,500 in SRT).
_STAMP = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?"
# A time alone on the line above a turn has its seconds or brackets: a bare "10:30" there may
# be the last words of the turn before.
_CLOCK = r"\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?"

# No-break spaces, which French typography puts before a colon ("Enquêteur : ..."), and the
# direction marks Arabic and Hebrew text carries around a label from a word processor.
_SPACES = "\u00a0\u202f"
_MARKS = "\u200e\u200f"
# Kana, Han and Hangul: a label in these scripts may be followed by ":" with no space
# ("インタビュアー:お仕事"), where a Latin word and a colon without a space ("10:30",
# "http:") is no label.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff66-\uff9f"

# Markdown around a label: emphasis ("**Interviewer:**", "*Interviewer*:", "__Kim__:"), and
# before it a list item's marker or a quote's ("- **Interviewer:**", "> Kim:"); ">>" is also
# how broadcast captions mark a change of speaker (">> KIM: ...").
_EMPHASIS = r"\*{1,3}|_{1,3}"
_MARKER = r"(?:[-*+]|>+)[ \t]*"

# A line that starts a turn: optional timestamp, optional Markdown emphasis or square brackets,
# a short label of at most five words ("Dra. María José Ñúñez García": a title and two given
# names and two surnames) that starts with a letter, optionally a name in brackets ("Interviewer (Kim)"),
# a colon, then whitespace or the end of the line. Chinese and Japanese transcripts write the
# full-width colon "：" with no space after it. Transcription services put the turn's time in
# three more places, all kept out of the label and the passage: on its own line above the turn
# (Otter, Teams), in brackets between the label and the colon (Rev, Descript: "Speaker 1
# (00:01:23):") and in brackets after the colon (Rev: "Kim Lee: (00:02)", the turn below).
TURN_PATTERN = re.compile(
    rf"^(?:[ \t]*(?:\[(?P<above>{_STAMP})\]|\((?P<paren>{_STAMP})\)|(?P<bare>{_CLOCK}))[ \t]*\n)?"
    rf"[ \t{_MARKS}]*(?:\d{{1,5}}[ \t]+)?(?:\[?\(?(?P<lead>{_STAMP})\)?\]?[ \t]+)?"
    rf"(?:{_MARKER})?(?:{_EMPHASIS})?\[?"
    r"(?P<label>[^\W\d_][^\W_]*(?:[ .'’&/-]{1,2}[^\W_]+){0,4}\.?"
    r"(?:[ \t]?[(（][^()（）\n:：]{1,30}[)）])?)"
    rf"\]?(?:[ \t]*[\[(](?P<before>{_STAMP})[\])])?"
    rf"[ \t]*(?:{_EMPHASIS})?[ \t{_SPACES}{_MARKS}]*"
    rf"(?::(?:{_EMPHASIS})?(?=[ \t{_SPACES}]|\n|$)|(?<=[{_CJK}]):(?:{_EMPHASIS})?|：(?:{_EMPHASIS})?)"
    rf"[ \t{_SPACES}]*"
    rf"(?:[\[(](?P<after>{_STAMP})[\])][ \t]*)?",
    re.MULTILINE,
)
STAMP_GROUPS = ("above", "paren", "bare", "lead", "before", "after")

# A recurring label must reach this share of the most frequent speaker's turns: a participant
# who writes "Me:" twice in a 30-turn interview has not become a speaker.
MIN_SHARE_OF_TOP = 0.25


class LabelMatch(NamedTuple):
    """One line that looks like a turn: where the line starts, where its text starts, the label.

    A named tuple: an import finds millions of them.
    """

    label: str
    line_start: int
    text_start: int


_LABEL_HEAD = 60  # a label, its timestamp and emphasis fit in this many characters

# The same pattern, for a whole text at once: a line break, then (looked ahead) a colon within
# the line's first characters, then the turn. The literal line break lets the regex engine jump
# from line to line in C, and the look-ahead drops the many lines with no colon near their start.
# A look-ahead that also accepts "：" is a third slower, so it is used only for texts that have one.
_TURN_BODY = TURN_PATTERN.pattern.removeprefix("^")


def _line_patterns(colons: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    head = rf"(?=[^\n{colons}]{{1,{_LABEL_HEAD}}}[{colons}])"
    return (
        re.compile(head + _TURN_BODY, TURN_PATTERN.flags),
        re.compile(r"\n" + head + _TURN_BODY, TURN_PATTERN.flags),
    )


_FIRST_TURN, _NEXT_TURN = _line_patterns(":")
_FIRST_TURN_WIDE, _NEXT_TURN_WIDE = _line_patterns(":：")


def find_label_lines(text: str) -> tuple[LabelMatch, ...]:
    """Every line of ``text`` that starts like a turn, in order."""
    first_turn, next_turn = (
        (_FIRST_TURN_WIDE, _NEXT_TURN_WIDE) if "：" in text else (_FIRST_TURN, _NEXT_TURN)
    )
    new = tuple.__new__  # a LabelMatch without a Python call per line: imports find millions
    first = first_turn.match(text)
    found = [new(LabelMatch, (first["label"], 0, first.end()))] if first else []
    found += [
        new(LabelMatch, (m["label"], m.start() + 1, m.end())) for m in next_turn.finditer(text)
    ]
    return tuple(found)


# The same label set apart by a dash or a tab instead of a colon ("INTERVIEWER - text",
# "Kim<TAB>text"), as some transcribers and screenplay-style templates write it.
_SEPARATED_TURN = re.compile(
    r"^[ \t]*(?:\*\*|__)?"
    r"(?P<label>[^\W\d_][^\W_]*(?:[ .'’&/-]{1,2}[^\W_]+){0,3}\.?"
    r"(?:[ \t]?[(（][^()（）\n:：]{1,30}[)）])?)"
    r"(?:\*\*|__)?(?:[ \t]+(?P<dash>[-–—])[ \t]+|[ \t]*\t[ \t]*)(?=\S)",
    re.MULTILINE,
)
_BLOCK_BREAK = re.compile(r"\n[ \t]*\n")


def find_separated_turns(text: str) -> tuple[set[str], tuple[LabelMatch, ...]]:
    """Speakers and label lines of a transcript whose labels end in a dash or a tab, for a text
    in which the ``Name:`` rule found no speaker. "So - I went" also starts lines, so more is
    asked here than of a colon: a label before a dash must be a known role, in capitals
    ("INTERVIEWER -"), a name of capitalised words ("Kim Lee -") or a single capitalised name
    that recurs (``_recurring_name``); then two speakers or more,
    each a known role or on two lines at least, whose lines open at least half of the text's
    turns (paragraphs, or lines where the text has no blank lines)."""
    found = list(_SEPARATED_TURN.finditer(text))
    openers = Counter(m["label"] for m in found if m["dash"])
    names = {label for label, count in openers.items() if _recurring_name(label, count, text)}
    matches = tuple(
        LabelMatch(m["label"], m.start(), m.end())
        for m in found
        if not m["dash"] or _name_like(m["label"]) or m["label"] in names
    )
    counts = Counter(match.label for match in matches)
    speakers = {
        label
        for label in (detect_speakers(text, matches=matches) if matches else ())
        if counts[label] >= 2 or normalize_label(label) in KNOWN_ROLE_LABELS
    }
    kept = tuple(match for match in matches if match.label in speakers)
    blocks = [block for block in _BLOCK_BREAK.split(text) if block.strip()]
    if len(blocks) < 2:
        blocks = [line for line in text.split("\n") if line.strip()]
    if len(speakers) < 2 or 2 * len(kept) < len(blocks):
        return set(), ()
    return speakers, kept


def _name_like(label: str) -> bool:
    words = label.split()
    return (
        normalize_label(label) in KNOWN_ROLE_LABELS
        or label.isupper()
        or (len(words) >= 2 and all(word[0].isupper() for word in words))
    )


# Words that open sentences, in the languages of the role tables: before a dash they are prose
# ("So - I went", "Yes - and"), however often they recur.
_PROSE_OPENERS = frozenset(
    (
        *("so", "yes", "no", "and", "but", "or", "then", "well", "oh", "ok", "okay", "now"),
        *("yeah", "right", "sure", "because", "anyway", "actually", "also", "first", "next"),
        *("finally", "again", "later", "still", "maybe", "like", "um", "uh", "hmm", "i"),
        *("y", "pero", "entonces", "sí", "si", "bueno", "pues", "und", "aber", "dann", "ja"),
        *("nein", "naja", "genau", "et", "mais", "alors", "oui", "non", "donc", "puis", "bon"),
        *("e", "mas", "então", "sim", "não", "ma", "poi", "allora", "però"),
    )
)


def _recurring_name(label: str, lines: int, text: str) -> bool:
    """A single capitalised word before a dash is a name ("Sam - so I went") when it opens
    two lines or more (``lines``), is no word that opens sentences, and the text never writes
    it in lowercase (a word is written both ways; a name only capitalised)."""
    return (
        lines >= 2
        and label.isalpha()
        and label[0].isupper()
        and label.casefold() not in _PROSE_OPENERS
        and re.search(rf"\b{re.escape(label.lower())}\b", text) is None
    )


def is_interviewer(
    label: str | None, interviewer_labels: Iterable[str] = INTERVIEWER_LABELS
) -> bool:
    """True for labels that name the interviewer, compared after ``normalize_label``."""
    if label is None:
        return False
    wanted = {normalize_label(value) for value in interviewer_labels}
    return normalize_label(label) in wanted


def detect_speakers(
    text: str, known: Iterable[str] = (), matches: tuple[LabelMatch, ...] | None = None
) -> set[str]:
    """The labels that are speakers in ``text``.

    ``known`` are labels already established as speakers (for example, the labels shared by
    most transcripts of the same CSV file); they are taken when they occur.
    """
    if matches is None:
        matches = find_label_lines(text)
    if not matches:
        return set()
    positions: dict[str, list[int]] = {}
    for match in matches:
        positions.setdefault(match.label, []).append(match.line_start)
    known_set = set(known)
    speakers = {
        label
        for label in positions
        if label in known_set or normalize_label(label) in KNOWN_ROLE_LABELS
    }
    if not text[: matches[0].line_start].strip():
        speakers.add(matches[0].label)  # the transcript opens with this label
    counts = Counter({label: len(found) for label, found in positions.items()})
    # Twice: a variant found in the first round ("Interviwer") cuts the turn it sat in, which
    # may show that another label recurs across turns after all.
    for _ in range(2):
        _add_variants(speakers, positions)
        for label, count in counts.most_common():
            if label in speakers or count < 2:
                continue
            top = max((counts[s] for s in speakers), default=count)
            if count < MIN_SHARE_OF_TOP * top:
                continue
            if not speakers or _spans_several_turns(positions[label], speakers, positions):
                speakers.add(label)
    return speakers


def _add_variants(speakers: set[str], positions: dict[str, list[int]]) -> None:
    """Add the labels that spell a speaker differently: in other case, spacing or numbering
    ("KIM LEE", "Kim  Lee", "Speaker 3" beside "Speaker 1"), or with one typing slip (a
    letter left out, added, changed or two swapped: "Interviwer"). Hand-typed transcripts
    have them, and each one left out merged a question into the answer above it."""
    if not speakers:
        return
    wanted = {normalize_label(speaker) for speaker in speakers}
    for label in positions:
        if label in speakers:
            continue
        form = normalize_label(label)
        if form in wanted or (
            len(form) >= MIN_SLIP_LENGTH and any(one_slip(form, other) for other in wanted)
        ):
            speakers.add(label)


def _spans_several_turns(
    found: list[int], speakers: set[str], positions: dict[str, list[int]]
) -> bool:
    """True when the label's lines fall into at least two turns of the speakers found so far."""
    boundaries = sorted(pos for speaker in speakers for pos in positions[speaker])
    turns = {bisect.bisect_left(boundaries, pos) for pos in found}
    return len(turns) >= 2


def detect_corpus_speakers(per_transcript: list[set[str]], min_share: float = 0.5) -> set[str]:
    """Labels found as speakers in at least ``min_share`` of several transcripts of one file.

    A dataset exported from one interview tool uses the same speaker labels everywhere; a
    transcript where one of them is too rare to be found on its own still gets it. A label that
    participants type inside answers ("Me:") may occur in many transcripts, but it is seldom
    found as a speaker in any, so it does not qualify.
    """
    if len(per_transcript) < 5:
        return set()
    seen: Counter[str] = Counter()
    for speakers in per_transcript:
        seen.update(speakers)
    return {label for label, count in seen.items() if count >= min_share * len(per_transcript)}
