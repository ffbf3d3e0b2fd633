"""Read WebVTT and SRT captions (recorders, Zoom, Teams) as turns, through webvtt-py.

Captions cut speech every few seconds, so consecutive cues of one speaker are joined into one
turn that keeps the first cue's time. The speaker comes from a voice tag (``<v Name>``, as Teams
writes) or a ``Name:`` prefix (as Zoom writes); a cue with neither continues the turn before it.
A file without any speaker keeps one timed paragraph per cue, and one per voice of a cue whose
lines a subtitler set apart by dashes ("- Where were you?" / "- At home.").
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError
from webvtt.models import Caption

from workbench.core.errors import TranscriptError
from workbench.core.speakers import TURN_PATTERN, detect_speakers
from workbench.core.turns import Turn, clean_name


def read_captions(path: Path, text: str, fmt: str) -> tuple[list[Turn], list[str]]:
    """The turns of a ``vtt`` or ``srt`` file's decoded text, and what was skipped."""
    try:
        captions = webvtt.WebVTT.from_buffer(io.StringIO(text), format=fmt).captions
    except (MalformedFileError, MalformedCaptionError) as exc:
        name = "WebVTT" if fmt == "vtt" else "SRT"
        raise TranscriptError(f"{path}: not valid {name}: {exc}") from exc
    if not captions:
        raise TranscriptError(f"{path}: no captions in the file")
    _check_nothing_dropped(path, text, len(captions))
    turns: list[Turn] = []
    empty = joined = 0
    raw = [_cue(caption) for caption in captions]
    split = [_dialogue(cue) for cue in raw]
    speakers = _prefix_speakers(split)
    cues = [_with_prefixes(cue, speakers) for cue in split]
    any_speaker = any(speaker for lines in cues for speaker, _ in lines)
    nameless: list[str] = []  # times of dialogue cues kept whole: no speaker for each line
    for caption, cue, lines in zip(captions, raw, cues):
        time = caption.start.split(".")[0].split(",")[0]
        if not any(body for _, body in lines):
            empty += 1
            continue
        if any_speaker and len(lines) > len(cue) and not all(name for name, _ in lines):
            lines = _with_prefixes(_whole(cue), speakers)
            nameless.append(time)
            if lines[0][0] is None and turns:
                joined -= 1  # reported as a dialogue cue, not also as a cue joined
        for speaker, body in lines:
            if not body:
                continue
            if not any_speaker:
                turns.append(Turn(body, None, time))
            elif speaker is None and turns:
                last = turns[-1]
                turns[-1] = Turn(f"{last.text} {body}", last.speaker, last.time)
                joined += 1
            elif speaker is None:
                turns.append(Turn(body, None, time))
            elif turns and turns[-1].speaker == speaker:
                last = turns[-1]
                turns[-1] = Turn(f"{last.text} {body}", speaker, last.time)
            else:
                turns.append(Turn(body, speaker, time))
    if not turns:
        raise TranscriptError(f"{path}: every caption is empty")
    skipped = [f"{empty} empty cue{'s' if empty != 1 else ''}"] if empty else []
    if joined:
        skipped.append(
            f"{joined} cue{'s' if joined != 1 else ''} without a speaker joined to the turn before"
        )
    if nameless:
        many = len(nameless) != 1
        skipped.append(
            f"{len(nameless)} cue{'s' if many else ''} of two voices without names (dialogue "
            f"dashes at {', '.join(nameless[:3])}{' and more' if len(nameless) > 3 else ''}) "
            f"kept whole in one turn: splitting {'them' if many else 'it'} would invent "
            "speakers"
        )
    return turns, skipped


_TIMING = re.compile(
    r"^\s*(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}\s+-->\s+(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}"
)


def _check_nothing_dropped(path: Path, text: str, read: int) -> None:
    """Refuse a file in which webvtt-py passed over a cue: it skips a block it cannot read
    without a word, and that would drop what someone said."""
    timings = [
        (number, line) for number, line in enumerate(text.split("\n"), start=1) if "-->" in line
    ]
    if read >= len(timings):
        return
    number, line = next(((n, line) for n, line in timings if not _TIMING.match(line)), timings[-1])
    raise TranscriptError(
        f"{path}: line {number}: a cue that cannot be read ({line.strip()[:60]!r}); "
        f"{len(timings) - read} of {len(timings)} cues would be lost"
    )


def _cue(caption: Caption) -> list[tuple[str | None, str]]:
    """``(speaker, text)`` per voice of a cue: a voice tag opens a part, else the cue's lines
    are one part (its lines kept apart by line breaks, for ``_dialogue``)."""
    parts: list[tuple[str | None, list[str]]] = []
    for raw in caption.lines:
        voice = Caption.VOICE_SPAN_PATTERN.match(raw.strip())
        # WebVTT escapes &, < and > in cue text (&amp;), and caption tools write the same in
        # SRT; webvtt-py strips the tags but leaves the escapes, which were stored as typed.
        line = " ".join(html.unescape(Caption(text=raw).text).split())
        if voice:
            parts.append((clean_name(html.unescape(voice.group(1))), [line]))
        elif parts:
            parts[-1][1].append(line)
        else:
            parts.append((None, [line]))
    return [
        (speaker, ("\n" if speaker is None else " ").join(line for line in lines if line))
        for speaker, lines in parts
    ]


# A line that a subtitler opens with a dash to mark a change of voice: "- At home.", "-Home."
_DIALOGUE_DASH = re.compile(r"^[-–—][ \t]*(?=\S)")


def _dialogue(cue: list[tuple[str | None, str]]) -> list[tuple[str | None, str]]:
    """A cue of two voices as one part per voice. Subtitles put two speakers in one cue as
    lines after dashes ("- Where were you?" / "- At home."), which were read as one line of
    one speaker. Only a cue without voice tags in which a line after the first opens with a
    dash is split; the dashes go, as a label would."""
    if len(cue) != 1 or cue[0][0] is not None:
        return cue
    lines = cue[0][1].split("\n")
    if not any(_DIALOGUE_DASH.match(line) for line in lines[1:]):
        return _whole(cue)
    parts: list[list[str]] = []
    for line in lines:
        if not parts or _DIALOGUE_DASH.match(line):
            parts.append([_DIALOGUE_DASH.sub("", line)])
        else:
            parts[-1].append(line)
    return [(None, " ".join(part)) for part in parts]


def _whole(cue: list[tuple[str | None, str]]) -> list[tuple[str | None, str]]:
    """The cue with each part on one line, as written."""
    return [(speaker, " ".join(body.split("\n"))) for speaker, body in cue]


def _prefix_speakers(cues: list[list[tuple[str | None, str]]]) -> set[str]:
    """The ``Name:`` prefixes of untagged cue text that the project's speaker rule takes (the
    label recurs, or names a role): a cue that happens to begin "So: ..." stays text."""
    heads = "\n".join(body for cue in cues for speaker, body in cue if speaker is None)
    return detect_speakers(heads) if heads else set()


def _with_prefixes(
    cue: list[tuple[str | None, str]], speakers: set[str]
) -> list[tuple[str | None, str]]:
    """The cue's untagged parts that open with the ``Name:`` prefix of a speaker given that
    speaker."""
    parts = []
    for speaker, body in cue:
        prefix = TURN_PATTERN.match(body) if speaker is None else None
        if prefix and prefix["label"] in speakers:
            speaker, body = clean_name(prefix["label"]), body[prefix.end() :]
        parts.append((speaker, body.strip()))
    return parts
