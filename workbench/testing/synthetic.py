"""Generate synthetic AI-interviewer transcripts for benchmarks and scale tests.

Real studies are too small to test 81,000-interview scale, and real data cannot be shipped in
bulk. These transcripts have the published datasets' shape (an ``Assistant:`` opening, then
alternating ``AI:`` and ``User:`` turns, about 9 KB each, the odd ``Me:`` line inside an answer)
so that import, segmentation and the GUI see realistic input. The content is a seeded mix of
sentences; it is not meant to be read.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

OPENING = (
    "Hi there! I'm Claude from the research team. Thank you so much for taking the time to "
    "speak with me today. We're conducting interviews to better understand how people are "
    "incorporating AI tools into their work routines. There are no right or wrong answers. "
    "This should take about 10 minutes. Does that sound good? Do you have any questions "
    "before we begin?"
)
QUESTIONS = (
    "Could you tell me about how AI fits into your typical workday? What kinds of tasks do you use it for?",
    "Tell me more about those situations. What does that process look like for you?",
    "What happens after the AI gives you a result? Do you use it as-is or change it?",
    "Are there tasks you prefer to handle yourself, even though AI could help with them?",
    "How have your colleagues or your workplace culture influenced the way you use AI?",
    "Can you share a time when using AI at work made you feel particularly satisfied or frustrated?",
    "How do you think about maintaining your skills in areas where AI could take over?",
    "Who do you think benefits most from the time AI saves you?",
    "How much do you trust what the AI produces, and how do you check it?",
    "Do you tell people you work with that you use AI? Why or why not?",
    "Looking ahead, how do you envision your relationship with AI at work evolving?",
    "Is there anything else about AI in your work that we haven't touched on?",
)
TASKS = (
    "drafting emails",
    "summarising reports",
    "writing code",
    "planning lessons",
    "analysing data",
    "preparing invoices",
    "editing photos",
    "reviewing contracts",
    "writing grant proposals",
    "answering customer questions",
    "translating documents",
    "building spreadsheets",
)
SENTENCES = (
    "I mostly use it for {task}, and it probably saves me an hour or two a day.",
    "Before, {task} took most of my afternoon; now I can do it in twenty minutes.",
    "I always check what it gives me, because it has made confident mistakes before.",
    "Honestly, the time I save just gets filled with more work from my manager.",
    "It lets me do things I could never do before, like {task}, without hiring anyone.",
    "I don't really tell my colleagues, some of them think using AI is cheating.",
    "I worry that I'm slowly losing the ability to do {task} on my own.",
    "I like that I stay in control: I decide what it does and what I keep for myself.",
    "When I'm stressed it helps me think things through, which I didn't expect.",
    "The company gets most of the benefit, we are just expected to produce more.",
    "I think in a few years a lot of people in my field will lose their jobs to this.",
    "It catches errors in my {task} that I would otherwise have missed.",
    "For simple things like {task} I just use what it gives me without much checking.",
    "I give it as much context as possible up front, and then go back and forth a bit.",
    "Our team lead encourages it, but there is no real policy yet.",
    "Sometimes it's faster to just do {task} myself than to explain it.",
    "I learned a lot from it, it's like having a patient tutor available all the time.",
    "My hope is that it takes the boring parts so I can focus on the work I'm good at.",
)
INLINE_LABELS = ("Me: can you make this shorter?", "Note: this is what I typed.")
GROUPS = ("workforce", "creatives", "scientists")
REGIONS = (
    "Europe",
    "North America",
    "Latin America",
    "Africa",
    "South Asia",
    "East Asia",
    "Middle East",
)
STAGES = ("early-career", "mid-career", "senior")
LANGUAGES = ("en", "es", "de", "fr", "ja", "ar", "pt", "hi")


@dataclass(frozen=True)
class SyntheticTranscript:
    external_id: str
    text: str
    metadata: dict[str, str]


def _answer(rng: random.Random, sentences: int) -> str:
    parts = [rng.choice(SENTENCES).format(task=rng.choice(TASKS)) for _ in range(sentences)]
    if rng.random() < 0.05:
        parts.insert(1, "\n" + rng.choice(INLINE_LABELS) + "\n")
    return " ".join(parts)


def generate_transcript(index: int, seed: int = 0, target_chars: int = 9000) -> SyntheticTranscript:
    """One transcript, the same every time for the same ``index`` and ``seed``."""
    rng = random.Random(seed * 1_000_003 + index)
    turns = [f"Assistant: {OPENING}", "User: Sounds good, let's start."]
    size = sum(len(turn) + 2 for turn in turns)
    question = 0
    while size < target_chars:
        asked = QUESTIONS[question % len(QUESTIONS)]
        answer = _answer(rng, rng.randint(3, 7))
        turns += [f"AI: {asked}", f"User: {answer}"]
        size += len(asked) + len(answer) + 14
        question += 1
    group = GROUPS[index % len(GROUPS)]
    return SyntheticTranscript(
        external_id=f"syn_{index:06d}",
        text="\n\n".join(turns) + "\n",
        metadata={
            "group": group,
            "region": rng.choice(REGIONS),
            "career_stage": rng.choice(STAGES),
            "language": rng.choice(LANGUAGES),
        },
    )


def generate_corpus(
    count: int, seed: int = 0, target_chars: int = 9000
) -> Iterator[SyntheticTranscript]:
    for index in range(count):
        yield generate_transcript(index, seed, target_chars)


def write_corpus_csv(path: Path, count: int, seed: int = 0, target_chars: int = 9000) -> int:
    """One CSV (``transcript_id,text,group,region,career_stage,language``); returns its bytes."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["transcript_id", "text", "group", "region", "career_stage", "language"])
        for item in generate_corpus(count, seed, target_chars):
            writer.writerow([item.external_id, item.text, *item.metadata.values()])
    return path.stat().st_size


def write_corpus_files(folder: Path, count: int, seed: int = 0, target_chars: int = 9000) -> int:
    """One ``.txt`` per transcript in ``folder``; returns the total bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for item in generate_corpus(count, seed, target_chars):
        data = item.text.encode("utf-8")
        (folder / f"{item.external_id}.txt").write_bytes(data)
        total += len(data)
    return total
