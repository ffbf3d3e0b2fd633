"""The anchoring experiment's randomisation: which passages a coder sees suggestions on first.

Each coder's passages are split between two arms: "before" (suggestions show from the start)
and "after" (they show only once the coder has made a first pass). The split is stratified by
transcript with permuted blocks of two: the passages of a transcript, in order, are paired, and
a seeded hash of (seed, coder, transcript, block) says which of each pair is "before". So every
transcript is balanced to within one passage for every coder, and neighbouring passages (which
share context) land in different arms as often as possible. Nothing is stored but the seed: the
assignment is recomputed wherever it is needed, and each decision records its arm.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

BEFORE = "before"
AFTER = "after"
ARMS = (BEFORE, AFTER)
SETTING = "anchoring_experiment"  # the key in ProjectSettings.extra


@dataclass(frozen=True)
class Experiment:
    """The lead's switch: on or off, and the seed the randomisation is drawn from."""

    on: bool
    seed: int = 1

    @classmethod
    def from_settings(cls, extra: Mapping[str, object]) -> Experiment:
        raw = extra.get(SETTING)
        if not isinstance(raw, dict):
            return cls(False)
        seed = raw.get("seed", 1)
        return cls(bool(raw.get("on", False)), int(seed) if isinstance(seed, int) else 1)

    def to_setting(self) -> dict[str, object]:
        return {"on": self.on, "seed": self.seed}


def _coin(seed: int, coder: str, transcript: str, block: int) -> bool:
    key = f"{seed}\x1f{coder}\x1f{transcript}\x1f{block}".encode()
    return hashlib.sha256(key).digest()[0] & 1 == 1


def assign_arms(seed: int, coder: str, transcripts: Mapping[str, Sequence[int]]) -> dict[int, str]:
    """Each passage's arm for ``coder``; ``transcripts`` gives each transcript's passage ids in
    reading order. A pair's first passage is "before" when the coin is heads, its second then
    "after" (and the other way round); a transcript's odd last passage gets the coin's arm."""
    arms: dict[int, str] = {}
    for transcript, passage_ids in transcripts.items():
        for start in range(0, len(passage_ids), 2):
            heads = _coin(seed, coder, transcript, start // 2)
            pair = passage_ids[start : start + 2]
            for offset, passage_id in enumerate(pair):
                arms[passage_id] = BEFORE if heads == (offset == 0) else AFTER
    return arms


def transcript_frame(passages: Iterable[tuple[int, int, str]]) -> dict[str, list[int]]:
    """``(passage id, position, transcript)`` rows (``queries.passages_to_code``) as each
    transcript's passage ids in reading order: the frame the arms are drawn over."""
    frame: dict[str, list[tuple[int, int]]] = {}
    for passage_id, position, transcript in passages:
        frame.setdefault(transcript, []).append((position, passage_id))
    return {t: [pid for _, pid in sorted(rows)] for t, rows in sorted(frame.items())}


def arm_counts(arms: Iterable[str]) -> dict[str, int]:
    """How many passages went to each arm: what a lead checks the balance with."""
    counts = dict.fromkeys(ARMS, 0)
    for arm in arms:
        counts[arm] += 1
    return counts
