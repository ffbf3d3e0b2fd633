"""Scale: the team study's steps on an 81,000-transcript project, each timed with its peak memory.

Run on demand, never in pytest. The project is built once and kept:

    .venv/bin/python benchmarks/bench_scale.py --project /tmp/scale-81k.wb --transcripts 81000
    .venv/bin/python benchmarks/bench_scale.py --url postgresql+psycopg://me@127.0.0.1/wb_bench \\
        --transcripts 81000
    .venv/bin/python benchmarks/bench_scale.py --project /tmp/scale-81k.wb --steps export

Each step runs in a process of its own, as a user would run it (the CLI, or the app's own calls
for opening and deciding), so that its wall time includes start-up and its peak resident memory
(``wait4``'s ``ru_maxrss``: the largest process of the step's tree) is the step's alone, not
what an earlier step left behind. Steps: import (one CSV of synthetic transcripts), decisions
import (three coders on a sample of transcripts: two code every participant passage of it, a
third one in three), the local engine's suggestions on part of that sample, open to first
transcript (the app, offscreen), decision latency (200 ``CodingSession.apply_code`` calls, as
a keypress makes them), agreement over everything, the agreement and analysis reports (HTML)
and the passages-table export (CSV). The build steps are measured when the project lacks what
they add; on a kept project they are not run. Each step gives wall and CPU seconds: on a
shared machine the wall time also counts waiting for a core. ``--steps`` measures only the steps
it names (``build`` builds the project and measures nothing), to time one change.
Targets are the Teams issue's (#14); the table says which steps met them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CODES = ("prod.speed", "prod.quality", "fear.dependence", "hope.time", "trust.verification")
CODERS = ("ana", "ben", "cy")
TARGETS = {  # seconds, from the issue
    "open to first transcript": 1.0,
    "decision latency (p95)": 0.05,
    "agreement over everything": 5.0,
    "agreement report": 10.0,
    "analysis report": 20.0,
    "export passages table": 20.0,
}
PEAK_TARGET_MB = 1536


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    env.setdefault("WORKBENCH_CODER", "bench")
    return env


def run_step(name: str, argv: list[str]) -> dict[str, object]:
    """Run one step's process; its wall time, peak RSS and the JSON it printed last, if any."""
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        started = time.perf_counter()
        child = subprocess.Popen(argv, env=_env(), stdout=out_file, stderr=err_file)
        _pid, status, usage = os.wait4(child.pid, 0)  # reaped here, so its rusage is ours
        wall = time.perf_counter() - started
        child.returncode = code = os.waitstatus_to_exitcode(status)
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read(), err_file.read()
    peak_kb = usage.ru_maxrss
    result: dict[str, object] = {
        "step": name,
        "wall_s": round(wall, 2),
        # CPU seconds of the step's processes: on a shared machine wall time also counts the
        # waits for a core, which this does not
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_mb": round(peak_kb / 1024),
        "exit": code,
    }
    lines = [line for line in out.decode("utf-8", "replace").splitlines() if line.startswith("{")]
    if lines:
        with contextlib.suppress(json.JSONDecodeError):
            result["detail"] = json.loads(lines[-1])
    if code not in (0, 1):
        result["error"] = err.decode("utf-8", "replace")[-800:]
    return result


def workbench(*args: str) -> list[str]:
    return [sys.executable, "-m", "workbench", *args]


def own_step(step: str, project: str, *extra: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--step", step, project, *extra]


# ---- steps run in their own process (``--step``) ------------------------------------------


def step_open(project: str) -> dict[str, object]:
    """What the app does on open, offscreen: window, navigator page, first transcript painted."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from workbench.core.session import CodingSession
    from workbench.core.store import Project
    from workbench.gui.main_window import MainWindow
    from workbench.gui.theme import apply_theme

    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_workspace import NoEngine

    app = QApplication.instance() or QApplication([])
    apply_theme(app)  # type: ignore[arg-type]
    started = time.perf_counter()
    opened = Project.open(project)
    window = MainWindow(CodingSession(opened, "bench"), NoEngine())
    window.resize(1400, 900)
    window.show()
    window.open_first_transcript()
    window.passage_view.list.viewport().repaint()
    app.processEvents()
    seconds = time.perf_counter() - started
    passages = window.passage_model.rowCount()
    window.close()
    opened.close()
    return {"seconds": round(seconds, 3), "passages_shown": passages}


def step_decide(project: str, count: int = 200) -> dict[str, object]:
    """``apply_code`` as a keypress calls it, one decision per passage, each timed."""
    from sqlalchemy import select

    from workbench.core.session import CodingSession
    from workbench.core.store import Project, schema

    with Project.open(project) as opened:
        with opened.reading() as conn:
            p = schema.passages
            ids = [
                row[0]
                for row in conn.execute(
                    select(p.c.id).where(p.c.coded.is_(True)).order_by(p.c.id.desc()).limit(count)
                )
            ]
        session = CodingSession(opened, "bench")
        times = []
        for index, passage_id in enumerate(ids):
            began = time.perf_counter()
            session.apply_code(passage_id, CODES[index % len(CODES)])
            times.append(time.perf_counter() - began)
    times.sort()
    return {
        "decisions": len(times),
        "median_s": round(times[len(times) // 2], 4),
        "p95_s": round(times[max(0, int(len(times) * 0.95) - 1)], 4),
        "max_s": round(times[-1], 4),
    }


# ---- building the project -----------------------------------------------------------------


def write_decisions(project: str, path: Path, share: float, seed: int = 1) -> int:
    """Three coders on every 1/share-th transcript: ana and ben code each participant passage,
    cy one in three; they agree about three times in four. Returns the rows written."""
    from sqlalchemy import select

    from workbench.core.store import Project, schema
    from workbench.core.store.queries import passage_key

    rng = random.Random(seed)
    step = max(1, round(1 / share))
    t, p = schema.transcripts, schema.passages
    rows = 0
    with Project.open(project, read_only=True) as opened, opened.reading() as conn:
        query = (
            select(t.c.external_id, p.c.position)
            .join(t, t.c.id == p.c.transcript_id)
            .where(p.c.coded.is_(True), t.c.id % step == 0)
            .order_by(t.c.id, p.c.position)
        )
        with open(path, "w", encoding="utf-8") as out:
            out.write("passage_id,coder,code\n")
            for external_id, position in conn.execute(query):
                key = passage_key(external_id, position)
                code = rng.choice(CODES)
                coders = CODERS if rng.random() < 1 / 3 else CODERS[:2]
                for coder in coders:
                    given = code if rng.random() < 0.75 else rng.choice(CODES)
                    out.write(f"{key},{coder},{given}\n")
                    rows += 1
    return rows


def counts(project: str) -> dict[str, int]:
    """The project's status counts; empty when there is no project yet."""
    if "://" not in project and not Path(project).exists():
        return {}
    done = subprocess.run(
        workbench("status", project, "--json"), env=_env(), capture_output=True, text=True
    )
    return json.loads(done.stdout) if done.returncode == 0 else {}


def build(
    project: str, transcripts: int, share: float, engine_transcripts: int, work: Path
) -> list[dict[str, object]]:
    """Import the corpus and the coders' decisions, each where the project lacks them (a run
    stopped half way picks up where it was)."""
    from workbench.testing.synthetic import write_corpus_csv

    steps: list[dict[str, object]] = []
    if not counts(project).get("transcripts"):
        corpus = work / "corpus.csv"
        began = time.perf_counter()
        size = write_corpus_csv(corpus, transcripts, target_chars=6000)
        print(
            f"generated {transcripts} transcripts ({size / 1e6:.0f} MB) in "
            f"{time.perf_counter() - began:.0f} s",
            file=sys.stderr,
        )
        if not counts(project):
            codebook = str(REPO / "codebooks" / "ai-at-work.yaml")
            subprocess.run(
                workbench("new", project, "--codebook", codebook),
                env=_env(),
                check=True,
                capture_output=True,
            )
        steps.append(run_step("import", workbench("import", project, str(corpus), "--json")))
        steps[-1]["input_mb"] = round(size / 1e6)
        print(json.dumps(steps[-1]), file=sys.stderr)
    if not counts(project).get("decisions"):
        decisions = work / "decisions.csv"
        written = write_decisions(project, decisions, share)
        steps.append(
            run_step(
                "decisions import", workbench("import", project, str(decisions), "--decisions")
            )
        )
        steps[-1]["rows"] = written
        print(json.dumps(steps[-1]), file=sys.stderr)
    if engine_transcripts and not counts(project).get("suggestions"):
        ids = sampled_transcripts(project, share, engine_transcripts)
        steps.append(
            run_step(
                "engine suggestions",
                workbench("suggest", project, "--engine", "local", "--transcripts", ",".join(ids)),
            )
        )
        steps[-1]["transcripts"] = len(ids)
        print(json.dumps(steps[-1]), file=sys.stderr)
    if not steps:
        print(f"{project}: kept from an earlier run; build steps not run", file=sys.stderr)
    return steps


def sampled_transcripts(project: str, share: float, limit: int) -> list[str]:
    """The first ``limit`` of the double-coded transcripts: where the engine's suggestions meet
    the humans' decisions (what calibration and the engines' agreement read)."""
    from sqlalchemy import select

    from workbench.core.store import Project, schema

    step = max(1, round(1 / share))
    t = schema.transcripts
    with Project.open(project, read_only=True) as opened, opened.reading() as conn:
        query = select(t.c.external_id).where(t.c.id % step == 0).order_by(t.c.id).limit(limit)
        return list(conn.execute(query).scalars())


# ``--steps`` names: each measured step, and "build" for building the project only
STEP_NAMES = {
    "open": "open to first transcript",
    "decide": "decision latency",
    "agreement": "agreement over everything",
    "agreement-report": "agreement report",
    "analysis-report": "analysis report",
    "export": "export passages table",
}


def measure(project: str, work: Path, only: set[str] | None = None) -> list[dict[str, object]]:
    """Each measured step, or only those named (``--steps``: one change timed without the rest)."""
    plan = [
        ("open to first transcript", own_step("open", project)),
        ("decision latency", own_step("decide", project)),
        ("agreement over everything", workbench("agreement", project, "--json")),
        (
            "agreement report",
            workbench("report", project, "--kind", "agreement", "--out", str(work / "a.html")),
        ),
        (
            "analysis report",
            workbench("report", project, "--kind", "analysis", "--out", str(work / "b.html")),
        ),
        (
            "export passages table",
            workbench("export", project, "--out", str(work / "passages.csv"), "--json"),
        ),
    ]
    if only is not None:
        plan = [(name, argv) for name, argv in plan if name in only]
    steps = []
    for name, argv in plan:
        steps.append(run_step(name, argv))
        if name == "export passages table" and (work / "passages.csv").exists():
            steps[-1]["output_mb"] = round((work / "passages.csv").stat().st_size / 1e6)
        print(json.dumps(steps[-1]), file=sys.stderr)
    return steps


def table(steps: list[dict[str, object]]) -> str:
    lines = [
        "| step | wall s | CPU s | in-step measure | peak MB | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for step in steps:
        name = str(step["step"])
        detail = step.get("detail") if isinstance(step.get("detail"), dict) else {}
        inner = ""
        if name == "open to first transcript" and detail:
            inner = f"{detail['seconds']:.2f}"
        if name == "decision latency" and detail:
            inner = (
                f"median {detail['median_s'] * 1000:.1f} ms, p95 {detail['p95_s'] * 1000:.1f} ms"
            )
        key = "decision latency (p95)" if name == "decision latency" else name
        target = TARGETS.get(key)
        measured = (
            float(detail["seconds"])
            if name == "open to first transcript" and detail
            else float(detail["p95_s"])
            if name == "decision latency" and detail
            else float(step["wall_s"])  # type: ignore[arg-type]
        )
        met = "" if target is None else ("yes" if measured < target and step["exit"] == 0 else "no")
        shown = (
            ""
            if target is None
            else (f"< {target * 1000:.0f} ms" if target < 1 else f"< {target:g} s")
        )
        lines.append(
            f"| {name} | {step['wall_s']} | {step['cpu_s']} | {inner} | {step['peak_mb']} "
            f"| {shown} | {met} |"
        )
    peak = max(int(s["peak_mb"]) for s in steps)  # type: ignore[call-overload]
    lines.append(
        f"| peak memory | | | | {peak} | < {PEAK_TARGET_MB} MB | "
        f"{'yes' if peak < PEAK_TARGET_MB else 'no'} |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", choices=["open", "decide"], help=argparse.SUPPRESS)
    parser.add_argument("target", nargs="?", help=argparse.SUPPRESS)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--project", type=Path, help="SQLite project to build and keep")
    where.add_argument("--url", help="PostgreSQL project (an empty database to build into)")
    parser.add_argument("--transcripts", type=int, default=81_000)
    parser.add_argument("--share", type=float, default=0.02, help="transcripts double-coded")
    parser.add_argument(
        "--engine-transcripts",
        type=int,
        default=200,
        help="double-coded transcripts the local engine suggests for (0: none)",
    )
    parser.add_argument("--json-out", type=Path, help="write the results here too")
    parser.add_argument(
        "--steps",
        help="comma-separated steps to measure (default: all): build (the project only), "
        + ", ".join(STEP_NAMES),
    )
    args = parser.parse_args()
    only: set[str] | None = None
    if args.steps:
        chosen = [name.strip() for name in args.steps.split(",") if name.strip()]
        unknown = [name for name in chosen if name not in STEP_NAMES and name != "build"]
        if unknown:
            parser.error(
                f"--steps: unknown step {', '.join(unknown)}; "
                f"choose from build, {', '.join(STEP_NAMES)}"
            )
        only = {STEP_NAMES[name] for name in chosen if name != "build"}
    if args.step:
        result = step_open(args.target) if args.step == "open" else step_decide(args.target)
        print(json.dumps(result))
        return
    project = args.url or str(
        args.project or Path(tempfile.gettempdir()) / f"workbench-scale-{args.transcripts}.wb"
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        steps: list[dict[str, object]] = []
        steps += build(project, args.transcripts, args.share, args.engine_transcripts, work)
        steps += measure(project, work, only)
    status = subprocess.run(
        workbench("status", project, "--json"), env=_env(), capture_output=True, text=True
    )
    found = json.loads(status.stdout) if status.returncode == 0 else None
    if found:
        found["project"] = str(found.get("project", "")).split("@")[-1]  # no credentials
    summary = {
        "project": project.split("@")[-1],
        "status": found,
        "steps": steps,
    }
    if steps:
        print(table(steps))
    print(json.dumps(summary["status"]))
    if args.json_out:
        args.json_out.write_text(json.dumps(summary, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
