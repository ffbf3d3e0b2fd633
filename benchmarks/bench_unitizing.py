"""Unitizing alpha at scale: 5,000 passages of 300-1,500 characters, 3 coders, 30 codes.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_unitizing.py [--passages 5000]
        [--project-passages 5000] [--no-project] [--project PATH] [--profile]
        [--dump figures.json] [--compare figures.json]

Times ``unitizing_alpha`` on synthetic continua without and with ``--ci`` (1,000 resamples of
transcripts), then the same through a project (``project_unitizing``: the store read plus the
computation) on a SQLite project whose selections are recorded by ``record_decision`` as the
app records them. About two selections per coder per passage; coders mostly agree (boundaries
jittered by up to 40 characters, one selection in ten given another code or missed), the third
coder reviews about 70% of the passages, 50 passages per transcript.

``--dump`` writes every figure of the pure run, unrounded, and ``--compare`` checks a later run
against such a file to 1e-12: how an optimisation is shown to change no result.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import numpy as np

from workbench.core.agreement import unitizing
from workbench.core.agreement.unitizing import Continuum, unitizing_alpha

CODERS = ("ana", "ben", "cy")
PER_TRANSCRIPT = 50


def code_ids(count: int) -> list[str]:
    """The first ``count`` leaf-or-not codes of the shipped codebook, so the project run's codes
    are the codebook's."""
    from workbench.core.codebook import load_codebook

    book = load_codebook(Path(__file__).resolve().parents[1] / "codebooks" / "ai-at-work.yaml")
    return [code.id for code in book.walk()][:count]


def selections(
    rng: np.random.Generator, length: int, codes: list[str]
) -> dict[str, list[tuple[str, int, int]]]:
    """Each reviewing coder's selections of one passage: a shared truth, jittered per coder."""
    truth = []
    for _ in range(int(rng.integers(1, 4))):  # 1-3 selections, about 2
        size = int(rng.integers(30, min(300, length // 2) + 1))
        start = int(rng.integers(0, length - size + 1))
        truth.append((str(rng.choice(codes)), start, start + size))
    coders = list(CODERS[:2]) + ([CODERS[2]] if rng.random() < 0.7 else [])
    out: dict[str, list[tuple[str, int, int]]] = {}
    for coder in coders:
        spans = []
        for code, start, end in truth:
            if rng.random() < 0.05:
                continue  # missed
            if rng.random() < 0.05:
                code = str(rng.choice(codes))
            a = min(max(0, start + int(rng.integers(-40, 41))), length - 1)
            b = max(a + 1, min(length, end + int(rng.integers(-40, 41))))
            spans.append((code, a, b))
        out[coder] = spans
    return out


def synthetic(passages: int, codes: list[str], seed: int = 7) -> list[Continuum]:
    rng = np.random.default_rng(seed)
    out = []
    for index in range(passages):
        length = int(rng.integers(300, 1501))
        out.append(
            Continuum(
                length,
                selections(rng, length, codes),
                group=f"t{index // PER_TRANSCRIPT:04d}",
                name=f"t{index // PER_TRANSCRIPT:04d}#{index % PER_TRANSCRIPT}",
            )
        )
    return out


def timed(label: str, call):  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    result = call()
    print(f"{label:<48} {time.perf_counter() - began:8.2f} s", flush=True)
    return result


def exact_figures(continua: list[Continuum], codes: list[str]) -> dict[str, object]:
    """Every figure, unrounded: ``round`` is made the identity inside the module for the run."""
    with mock.patch.object(unitizing, "round", lambda value, digits=None: value, create=True):
        return unitizing_alpha(continua, codes, ci=True).to_dict()


def differences(before: object, after: object, where: str = "") -> list[str]:
    """Where two dumps differ by more than 1e-12 (or in kind)."""
    if isinstance(before, dict) and isinstance(after, dict):
        if set(before) != set(after):
            return [f"{where}: keys {sorted(set(before) ^ set(after))}"]
        return [d for k in before for d in differences(before[k], after[k], f"{where}.{k}")]
    if isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return [f"{where}: lengths {len(before)} and {len(after)}"]
        return [
            d
            for i, (a, b) in enumerate(zip(before, after))
            for d in differences(a, b, f"{where}[{i}]")
        ]
    if isinstance(before, float) and isinstance(after, float):
        return (
            []
            if math.isclose(before, after, rel_tol=0, abs_tol=1e-12)
            else [f"{where}: {before!r} != {after!r}"]
        )
    return [] if before == after else [f"{where}: {before!r} != {after!r}"]


def project_run(continua: list[Continuum], keep: Path | None, profile: bool) -> None:
    """The same selections recorded in a SQLite project, then read and computed from it.
    ``keep``: build the project there (or reuse the one there) instead of a temporary one."""
    from workbench.core.agreement.unitizing_source import project_unitizing
    from workbench.core.store import Project

    with tempfile.TemporaryDirectory() as folder:
        location = keep or Path(folder) / "bench.wb"
        if not location.exists():
            build_project(location, continua)
        project = Project.open(location)
        figures = timed("project_unitizing", lambda: project_unitizing(project, CODERS))
        if profile:
            profiled(lambda: project_unitizing(project, CODERS, ci=True))
        timed("project_unitizing --ci", lambda: project_unitizing(project, CODERS, ci=True))
        pure = unitizing_alpha(continua, list(figures.per_code))
        same = pure.to_dict() == figures.to_dict() | {"rule": pure.rule}
        print(f"project figures equal the pure run's: {same}")
        project.close()


def profiled(call) -> None:  # type: ignore[no-untyped-def]
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(call)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def build_project(location: Path, continua: list[Continuum]) -> None:
    from sqlalchemy import select

    from workbench.core.codebook import load_codebook
    from workbench.core.store import Project, schema
    from workbench.core.store.coding import DecisionAction, ensure_coder, record_decision
    from workbench.core.store.importing import import_transcript_file

    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        by_group: dict[str, list[Continuum]] = {}
        for continuum in continua:
            by_group.setdefault(continuum.group, []).append(continuum)
        project = Project.create(
            location, codebook=load_codebook(root / "codebooks" / "ai-at-work.yaml")
        )
        began = time.perf_counter()
        for group, items in by_group.items():
            turns = [
                f"Interviewer: question {i}?\n\nParticipant: {'x' * c.length}\n\n"
                for i, c in enumerate(items)
            ]
            path = base / f"{group}.txt"
            path.write_text("".join(turns), encoding="utf-8")
            import_transcript_file(project, path)
        p, t = schema.passages, schema.transcripts
        with project.transaction() as conn:
            ids = {name: ensure_coder(conn, name) for name in CODERS}
            rows = conn.execute(
                select(t.c.external_id, p.c.id, p.c.start, p.c.end)
                .join(t, t.c.id == p.c.transcript_id)
                .where(p.c.coded.is_(True))
                .order_by(t.c.external_id, p.c.position)
            ).all()
            passages: dict[str, list[tuple[int, int, int]]] = {}
            for external_id, pid, start, end in rows:
                passages.setdefault(external_id, []).append((pid, start, end))
            for group, items in by_group.items():
                for continuum, (pid, start, end) in zip(items, passages[group], strict=True):
                    assert end - start == continuum.length, (group, end - start, continuum.length)
                    for coder, spans in continuum.segments.items():
                        if not spans:
                            record_decision(conn, pid, ids[coder], DecisionAction.NO_CODE)
                        for code, a, b in spans:
                            record_decision(
                                conn,
                                pid,
                                ids[coder],
                                DecisionAction.APPLY,
                                code,
                                span_start=start + a,
                                span_end=start + b,
                            )
        print(
            f"{'project built (not part of the timings)':<48} {time.perf_counter() - began:8.2f} s",
            flush=True,
        )
        project.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=5000)
    parser.add_argument("--project-passages", type=int, default=5000)
    parser.add_argument("--codes", type=int, default=30)
    parser.add_argument("--no-project", action="store_true")
    parser.add_argument("--dump", type=Path)
    parser.add_argument("--compare", type=Path)
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        help="a field --compare skips (a deliberate change)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the --ci runs")
    parser.add_argument("--project", type=Path, help="keep (or reuse) the project here")
    args = parser.parse_args()
    codes = code_ids(args.codes)
    continua = synthetic(args.passages, codes)
    chars = sum(c.length for c in continua)
    spans = sum(len(s) for c in continua for s in c.segments.values())
    print(
        f"{args.passages:,} passages, {chars:,} characters, {spans:,} selections, "
        f"{len(codes)} codes, {len({c.group for c in continua})} transcripts"
    )
    result = timed("unitizing_alpha", lambda: unitizing_alpha(continua, codes))
    if args.profile:
        profiled(lambda: unitizing_alpha(continua, codes, ci=True))
    timed("unitizing_alpha --ci", lambda: unitizing_alpha(continua, codes, ci=True))
    print(f"uα {result.value:.6f}  |uα {result.binary:.6f}  cuα {result.cu:.6f}")
    if args.dump or args.compare:
        figures = exact_figures(continua, codes)
        if args.dump:
            args.dump.write_text(json.dumps(figures), encoding="utf-8")
        if args.compare:
            found = differences(
                json.loads(args.compare.read_text(encoding="utf-8")),
                json.loads(json.dumps(figures)),
            )
            print(
                f"compared with {args.compare}: "
                + (
                    "identical to 1e-12"
                    if not found
                    else f"{len(found)} differences, first: {found[:5]}"
                )
            )
            skipped = [d for d in found if d.split(":")[0].rsplit(".", 1)[-1] in args.ignore]
            if skipped:
                print(f"  of which {len(skipped)} in fields ignored ({', '.join(args.ignore)})")
            if len(skipped) < len(found):
                return 1
    if not args.no_project:
        project_run(synthetic(args.project_passages, codes), args.project, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
