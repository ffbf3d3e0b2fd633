"""Do suggestions anchor coders? The two arms of the experiment, compared with intervals.

Each unit is one coder's work on one passage, in the arm the randomisation gave it (see
``workbench.core.anchoring_arms``). In each arm: human–engine agreement (Krippendorff's alpha
between the coder's codes and the engine's suggestions, per code as binary data), human–human
agreement (alpha among the coders who coded the passage in that arm), and the acceptance rate
(suggested codes the coder's codes now include / codes suggested). The anchoring effect is each measure's "before" minus its
"after". Intervals are percentile bootstraps that resample passages within transcripts, the
strata the arms were balanced in, so a passage's units (and its coders' dependence) move
together. Everything comes from arrays (``AnchoringUnits``), so a simulated study runs the
very code a project does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from workbench.core.anchoring_arms import AFTER, ARMS, BEFORE, Experiment
from workbench.core.store import Project
from workbench.core.store.anchoring import arm_decisions, current_codes, decided_outside_arms
from workbench.core.store.queries import transcripts_of_passages
from workbench.core.store.suggestions import suggestions_for

MEASURES = ("human_engine", "human_human", "acceptance")
LABELS = {
    "human_engine": "human–engine agreement (alpha)",
    "human_human": "human–human agreement (alpha)",
    "acceptance": "acceptance rate",
}


@dataclass(frozen=True)
class AnchoringUnits:
    """One row per (coder, passage) coded with the experiment on; C codes in ``codes``."""

    codes: tuple[str, ...]
    passage: np.ndarray  # (U,) index of the unit's passage, 0..P-1
    stratum: np.ndarray  # (P,) each passage's transcript index
    arm: np.ndarray  # (U,) 0 = before, 1 = after
    human: np.ndarray  # (U, C) bool: the coder applied the code
    engine: np.ndarray  # (U, C) bool: the engine suggested it on the passage
    accepted: np.ndarray  # (U, C) suggestions of the code the coder accepted
    answered: np.ndarray  # (U, C) suggestions of the code put to the coder


@dataclass(frozen=True)
class Estimate:
    value: float | None
    low: float | None
    high: float | None

    def text(self) -> str:
        if self.value is None:
            return "n/a"
        if self.low is None or self.high is None:
            return f"{self.value:.2f}"
        return f"{self.value:.2f} [{self.low:.2f}, {self.high:.2f}]"


@dataclass(frozen=True)
class Measure:
    before: Estimate
    after: Estimate
    difference: Estimate  # before - after: the anchoring effect


@dataclass(frozen=True)
class Figures:
    human_engine: Measure
    human_human: Measure
    acceptance: Measure


@dataclass(frozen=True)
class AnchoringResult:
    """The whole report: counts, figures overall and per code, the verdict and the methods."""

    seed: int | None
    coders: int
    passages: int
    transcripts: int
    units: dict[str, int]  # per arm
    answered: dict[str, int]  # suggestions per arm (a code suggested on a unit's passage)
    overall: Figures
    per_code: dict[str, Figures]
    resamples: int
    level: float

    experiment_on: bool | None = None  # None: not from a project (a simulation)
    excluded_units: int = 0  # decided outside the experiment or in both arms: left out

    @property
    def verdict(self) -> str:
        """One plain sentence a lead can read out, from the acceptance difference's interval,
        or the one reason there is no verdict (nothing to compare, an arm without answers)."""
        acc = self.overall.acceptance
        if self.units[BEFORE] + self.units[AFTER] == 0:
            if self.experiment_on is False:
                return (
                    "The anchoring experiment is off and no decision was made in its arms, so "
                    "there is nothing to compare (a lead turns it on with "
                    "`workbench anchoring PROJECT --on`)."
                )
            state = "on" + (f" (seed {self.seed})" if self.seed is not None else "")
            return (
                f"The anchoring experiment is {state} but no decision has been made in its "
                "arms yet, so there is nothing to compare."
            )
        empty = [arm for arm in ARMS if self.answered[arm] == 0]
        if len(empty) == 2:
            return (
                "No code was suggested on the passages of either arm, so acceptance cannot be "
                "compared and there is no verdict."
            )
        if empty:
            return (
                f'No code was suggested on the passages of the "{empty[0]}" arm '
                f"({self.units[empty[0]]} coder-passage units there), so acceptance cannot be "
                "compared between the arms and there is no verdict."
            )
        if acc.difference.value is None:
            return "Not enough suggestions in both arms to say whether suggestions anchor coders."
        d = acc.difference
        if d.low is None or d.high is None:
            return (
                f"{acc.before.value:.0%} of suggestions accepted when shown before the first "
                f"pass, {acc.after.value:.0%} when shown after (difference {d.value:+.2f}), "
                "but too few suggestions for an interval (most resamples left an arm "
                "without one): no interval, so no verdict."
            )
        pct = f"{self.level:.0%}"
        rates = (
            f"{acc.before.value:.0%} of suggestions accepted when shown before the first pass, "
            f"{acc.after.value:.0%} when shown after; difference {d.value:+.2f}, "
            f"{pct} interval [{d.low:.2f}, {d.high:.2f}]"
        )
        if d.low is not None and d.low > 0:
            return f"Evidence of anchoring: {rates}. Coders follow suggestions they see first."
        if d.high is not None and d.high < 0:
            return (
                f"Coders accepted fewer suggestions when they saw them first ({rates}): "
                "no anchoring, if anything the reverse."
            )
        return (
            f"No clear evidence of anchoring ({rates}); the data are compatible with an "
            f"effect as large as {max(abs(d.low or 0), abs(d.high or 0)):.2f}."
        )

    @property
    def methods(self) -> str | None:
        """The design as a methods section states it (None with no unit: there was no study)."""
        if self.units[BEFORE] + self.units[AFTER] == 0:
            return None
        seed = f" (seed {self.seed})" if self.seed is not None else ""
        return (
            "To measure whether engine suggestions anchor coders, each coder's passages were "
            "randomly assigned to one of two arms: suggestions shown before the coder's first "
            "pass, or only after it. Assignment was stratified by transcript using permuted "
            f"blocks of two consecutive passages per coder, drawn from a seeded hash{seed}, so "
            "each transcript was balanced between arms for every coder. "
            f"{_count(self.coders, 'coder')} coded {_count(self.passages, 'passage')} from "
            f"{_count(self.transcripts, 'transcript')} ({self.units[BEFORE]} coder-passage units before, {self.units[AFTER]} "
            f"after; {self.answered[BEFORE]} and {self.answered[AFTER]} suggested codes). "
            f"{self._excluded_sentence()}"
            "In each arm we report Krippendorff's alpha between each coder and the engine (on "
            "passages with a stored suggestion) and "
            "among coders in the same arm (binary per code; pooled over codes overall), and the "
            "share of the codes suggested on a passage that the coder's final codes included "
            "(whether the coder took the suggestion or applied the code unaided). The anchoring "
            "effect is the "
            f"difference before minus after; {self.level:.0%} intervals are percentile "
            f"bootstraps ({self.resamples:,} resamples of passages within transcripts)."
        )

    def _excluded_sentence(self) -> str:
        n = self.excluded_units
        if n == 0:
            return ""
        unit = "unit was" if n == 1 else "units were"
        return (
            f"{n} coder-passage {unit} left out because the coder also decided on the passage "
            "outside the experiment (or under another seed), so its arm is not clean. "
        )

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["verdict"] = self.verdict
        data["methods"] = self.methods
        return data


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _alpha(o01: np.ndarray, n1: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Krippendorff's alpha for binary data from summed coincidences: 1 - (n-1) o01 / (n0 n1);
    NaN where it is undefined (one value only, or fewer than two pairable values)."""
    n0 = n - n1
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1 - (n - 1) * o01 / (n0 * n1)
    return np.where((n0 > 0) & (n1 > 0) & (n > 1), alpha, np.nan)


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def _per_passage(units: AnchoringUnits, passages: int) -> dict[str, np.ndarray]:
    """Sums per passage, arm and code (shape (2, P, C)) that every measure is a function of."""
    codes = len(units.codes)
    out = {
        name: np.zeros((2, passages, codes))
        for name in ("he_o01", "he_n1", "he_n", "hh_o01", "hh_n1", "hh_n", "acc", "ans")
    }
    human = units.human.astype(float)
    engine = units.engine.astype(float)
    # A passage without a stored suggestion cannot be told from one the engine never saw, so it
    # is not the engine's "no code": human-engine agreement leaves such units out.
    seen = units.engine.any(axis=1)
    for arm in (0, 1):
        mine = units.arm == arm
        where = units.passage[mine]
        h, e = human[mine], engine[mine]
        # each unit is a pair of values (coder, engine): m = 2, o01 = k (2 - k) with k ones
        k = h + e
        pair = seen[mine][:, None].astype(float)
        np.add.at(out["he_o01"][arm], where, k * (2 - k) * pair)
        np.add.at(out["he_n1"][arm], where, k * pair)
        np.add.at(out["he_n"][arm], where, 2.0 * pair * np.ones_like(k))
        np.add.at(out["acc"][arm], where, units.accepted[mine])
        np.add.at(out["ans"][arm], where, units.answered[mine])
        ones = np.zeros((passages, codes))
        m = np.zeros(passages)
        np.add.at(ones, where, h)
        np.add.at(m, where, 1.0)
        pairable = (m >= 2)[:, None]
        mm = np.where(m >= 2, m, 2.0)[:, None]
        out["hh_o01"][arm] = np.where(pairable, ones * (mm - ones) / (mm - 1), 0.0)
        out["hh_n1"][arm] = np.where(pairable, ones, 0.0)
        out["hh_n"][arm] = np.where(pairable, np.broadcast_to(m[:, None], ones.shape), 0.0)
    return out


def _measures(sums: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each measure per arm from summed statistics (any leading shape, arm on axis 0)."""
    return {
        "human_engine": _alpha(sums["he_o01"], sums["he_n1"], sums["he_n"]),
        "human_human": _alpha(sums["hh_o01"], sums["hh_n1"], sums["hh_n"]),
        "acceptance": _ratio(sums["acc"], sums["ans"]),
    }


def _weights(stratum: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """(B, P) counts: each transcript's passages drawn with replacement, as many as it has."""
    weights = np.zeros((resamples, len(stratum)))
    for value in np.unique(stratum):
        members = np.flatnonzero(stratum == value)
        draws = rng.integers(0, len(members), size=(resamples, len(members)))
        for column in range(len(members)):
            np.add.at(weights, (np.arange(resamples), members[draws[:, column]]), 1.0)
    return weights


def _estimate(value: float, draws: np.ndarray, level: float) -> Estimate:
    if np.isnan(value):
        return Estimate(None, None, None)
    kept = draws[~np.isnan(draws)]
    if len(kept) < 0.5 * len(draws):
        return Estimate(float(value), None, None)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(kept, [tail, 100 - tail])
    return Estimate(float(value), float(low), float(high))


def _figures(point: dict[str, np.ndarray], boot: dict[str, np.ndarray], level: float, index):
    """Figures at ``index`` of the code axis (or the pooled totals with ``index`` None)."""

    def pick(array: np.ndarray, arm: int) -> np.ndarray:
        part = array[arm]
        return part if index is None else part[..., index]

    measures = {}
    for name in MEASURES:
        p, b = point[name], boot[name]
        before = _estimate(float(pick(p, 0)), pick(b, 0), level)
        after = _estimate(float(pick(p, 1)), pick(b, 1), level)
        difference = _estimate(float(pick(p, 0) - pick(p, 1)), pick(b, 0) - pick(b, 1), level)
        measures[name] = Measure(before, after, difference)
    return Figures(**measures)


def analyse_units(
    units: AnchoringUnits,
    *,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 1,
    experiment_seed: int | None = None,
    coders: int = 0,
    experiment_on: bool | None = None,
    excluded_units: int = 0,
) -> AnchoringResult:
    """The report from the units: point estimates from all passages, intervals from
    ``resamples`` draws of passages within transcripts (seeded, so a rerun repeats it)."""
    passages = len(units.stratum)
    per = _per_passage(units, passages)
    totals = {k: v.sum(axis=1) for k, v in per.items()}  # (2, C)
    pooled = {k: v.sum(axis=-1) for k, v in totals.items()}  # (2,)
    weights = _weights(units.stratum, resamples, np.random.default_rng(seed))
    boot = {k: np.einsum("bp,apc->abc", weights, v) for k, v in per.items()}  # (2, B, C)
    boot_pooled = {k: v.sum(axis=-1) for k, v in boot.items()}
    point_codes, point_all = _measures(totals), _measures(pooled)
    boot_codes, boot_all = _measures(boot), _measures(boot_pooled)
    per_code = {
        code: _figures(point_codes, boot_codes, level, c) for c, code in enumerate(units.codes)
    }
    used = np.unique(units.passage)
    return AnchoringResult(
        seed=experiment_seed,
        coders=coders,
        passages=int(len(used)),
        transcripts=int(len(np.unique(units.stratum[used]))) if len(used) else 0,
        units={arm: int((units.arm == i).sum()) for i, arm in enumerate(ARMS)},
        answered={arm: int(units.answered[units.arm == i].sum()) for i, arm in enumerate(ARMS)},
        overall=_figures(point_all, boot_all, level, None),
        per_code=per_code,
        resamples=resamples,
        level=level,
        experiment_on=experiment_on,
        excluded_units=excluded_units,
    )


def units_from_records(
    codes: Sequence[str],
    records: Sequence[tuple[int, str, str, set[str], set[str], dict[str, int], dict[str, int]]],
    transcript_of: dict[int, str],
) -> AnchoringUnits:
    """Arrays from ``(passage id, transcript, arm, coder's codes, engine's codes, accepted
    per code, answered per code)`` records: the bridge from a project to ``analyse_units``."""
    passage_ids = sorted({r[0] for r in records})
    index = {pid: i for i, pid in enumerate(passage_ids)}
    strata = sorted({transcript_of[pid] for pid in passage_ids})
    stratum_index = {t: i for i, t in enumerate(strata)}
    column = {code: i for i, code in enumerate(codes)}
    size = (len(records), len(codes))
    human, engine = np.zeros(size, bool), np.zeros(size, bool)
    accepted, answered = np.zeros(size), np.zeros(size)
    for row, (_, _, _, mine, engines, acc, ans) in enumerate(records):
        for code in mine & column.keys():
            human[row, column[code]] = True
        for code in engines & column.keys():
            engine[row, column[code]] = True
        for code, count in acc.items():
            if code in column:
                accepted[row, column[code]] = count
        for code, count in ans.items():
            if code in column:
                answered[row, column[code]] = count
    return AnchoringUnits(
        codes=tuple(codes),
        passage=np.array([index[r[0]] for r in records], dtype=int),
        stratum=np.array([stratum_index[transcript_of[pid]] for pid in passage_ids], dtype=int),
        arm=np.array([0 if r[2] == BEFORE else 1 for r in records], dtype=int),
        human=human,
        engine=engine,
        accepted=accepted,
        answered=answered,
    )


def project_anchoring(project: Project, resamples: int = 1000, seed: int = 1) -> AnchoringResult:
    """The report for a project: every (human coder, passage) with decisions made in an arm.

    A unit's arm is that of its decisions; a unit with a decision made with the experiment
    off, or in both arms (the seed changed), is left out and counted. Its codes are the coder's
    codes now; the engine's codes are every code suggested on the passage (by any engine or
    run). Acceptance is read from those
    outcomes, not from clicks on suggestions: each code suggested on the passage is one
    suggestion answered, accepted when the coder's codes now include it. Clicks would be
    biased: in the "after" arm a coder who already applied a code never clicks its suggestion
    (it shows as applied), while in "before" the same agreement is a click."""
    with project.reading() as conn:
        decisions = arm_decisions(conn)
        outside = decided_outside_arms(conn)
        codes_now = current_codes(conn)
        passage_ids = sorted({d.passage_id for d in decisions})
        suggested = suggestions_for(conn, passage_ids)
        transcript_of = transcripts_of_passages(conn, passage_ids)  # not every passage
    arms: dict[tuple[str, int], set[str]] = {}
    for d in decisions:
        arms.setdefault((d.coder, d.passage_id), set()).add(d.arm)
    mixed = {unit for unit, seen in arms.items() if len(seen) > 1 or unit in outside}
    arm = {unit: seen.pop() for unit, seen in arms.items() if unit not in mixed}
    engine_codes = {pid: {s.code_id for s in rows} for pid, rows in suggested.items()}
    codes: set[str] = set()  # the codes any unit has or was offered
    for unit in arm:
        codes |= codes_now.get(unit, set()) | engine_codes.get(unit[1], set())
    records = []
    for (coder, passage_id), unit_arm in sorted(arm.items()):
        mine, offered = (
            codes_now.get((coder, passage_id), set()),
            engine_codes.get(passage_id, set()),
        )
        records.append(
            (
                passage_id,
                transcript_of[passage_id],
                unit_arm,
                mine,
                offered,
                dict.fromkeys(offered & mine, 1),
                dict.fromkeys(offered, 1),
            )
        )
    units = units_from_records(sorted(codes), records, transcript_of)
    experiment = Experiment.from_settings(project.settings.extra)
    return analyse_units(
        units,
        resamples=resamples,
        seed=seed,
        experiment_seed=experiment.seed if decisions or experiment.on else None,
        coders=len({coder for coder, _ in arm}),
        experiment_on=experiment.on,
        excluded_units=len(mixed),
    )
