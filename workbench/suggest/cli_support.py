"""``workbench suggest``: choose the engine, estimate, run or batch, and report spend."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import select

from workbench.core.errors import WorkbenchError
from workbench.core.store import Project, schema
from workbench.core.store.llm import spend
from workbench.core.store.queries import transcript_row_id
from workbench.suggest.claude import (
    ClaudeEngine,
    ClaudeOptions,
    api_key,
    estimate_chunk_cost,
    make_chunks,
)
from workbench.suggest.learning import local_engine_for
from workbench.suggest.prices import DEFAULT_MODEL, Usage, cost, price_of
from workbench.suggest.prompt import PROMPT_VERSION
from workbench.suggest.runner import pending_inputs, run_suggestions


def terminal_progress(done: int, total: int, what: str) -> None:
    """A one-line progress bar on stderr when it is a terminal; silent otherwise."""
    if not sys.stderr.isatty() or total <= 0:
        return
    width = 30
    filled = int(width * done / total)
    sys.stderr.write(f"\r{what:<8} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _transcript_ids(project: Project, wanted: str | None) -> list[int]:
    with project.reading() as conn:
        if not wanted:
            return list(
                conn.execute(
                    select(schema.transcripts.c.id).order_by(schema.transcripts.c.id)
                ).scalars()
            )
        ids = []
        for external_id in wanted.split(","):
            row_id = transcript_row_id(conn, external_id.strip())
            if row_id is None:
                raise WorkbenchError(f"--transcripts: no transcript '{external_id.strip()}'")
            ids.append(row_id)
        return ids


def estimate(
    project: Project, options: ClaudeOptions, transcript_ids: list[int]
) -> dict[str, object]:
    """Tokens and dollars for the passages not yet suggested (local-only ones excluded)."""
    codebook = project.codebook
    assert codebook is not None
    unsent, _done = pending_inputs(
        project, transcript_ids, "claude", options.model, PROMPT_VERSION, include_local_only=False
    )
    chunks = make_chunks(unsent, options)
    total, dollars = Usage(), 0.0
    for index, chunk in enumerate(chunks):
        usage, price = estimate_chunk_cost(chunk, codebook, options, cached=index > 0)
        total, dollars = total + usage, dollars + price
    return {
        "model": options.model,
        "passages": sum(len(c.passages) for c in chunks),
        "requests": len(chunks),
        "input_tokens": total.input_tokens,
        "cache_write_tokens": total.cache_creation_input_tokens,
        "cache_read_tokens": total.cache_read_input_tokens,
        "output_tokens": total.output_tokens,
        "estimated_cost_usd": round(dollars, 4),
        "estimated_cost_batch_usd": round(cost(options.model, total, batch=True), 4),
    }


def run_suggest_command(args: argparse.Namespace) -> tuple[dict[str, object], bool]:
    engine_name = args.engine or ("claude" if api_key() else "local")
    options = ClaudeOptions(
        model=args.model or DEFAULT_MODEL,
        concurrency=args.concurrency,
        redact=args.redact or bool(args.redact_names),
        redact_names=tuple(n.strip() for n in (args.redact_names or "").split(",") if n.strip()),
        max_cost_usd=args.max_cost,
    )
    if engine_name == "claude":
        price_of(options.model)  # an unknown model is a clear error before anything runs
    with Project.open(args.project) as project:
        if project.codebook is None:
            raise WorkbenchError(f"{args.project}: the project has no codebook")
        ids = _transcript_ids(project, args.transcripts)
        if engine_name == "local":
            if args.batch or args.resume or args.dry_run:
                raise WorkbenchError("--batch, --resume and --dry-run are for the claude engine")
            local = local_engine_for(project)
            run = run_suggestions(project, local, ids, progress=terminal_progress)
            report = {"engine": "local", "model": local.model, **run.__dict__}
            report["lines"] = [
                f"local engine ({local.model}): {run.suggestions} suggestions for "
                f"{run.passages - run.skipped_cached} passages ({run.skipped_cached} already done)"
            ]
            return report, False
        if args.dry_run:
            report = estimate(project, options, ids)
            report["lines"] = [
                f"{report['passages']} passages in {report['requests']} requests to {options.model}: "
                f"about {report['input_tokens'] + report['cache_write_tokens'] + report['cache_read_tokens']:,} input and "
                f"{report['output_tokens']:,} output tokens, about ${report['estimated_cost_usd']:.2f} "
                f"(${report['estimated_cost_batch_usd']:.2f} as a batch); nothing was sent"
            ]
            return report, False
        if args.batch or (args.resume and _open_batches(project)):
            return _batches(project, options, ids, args.batch, args.resume)
        # --resume with no batch open continues a sync run: only what is missing is sent
        planned = estimate(project, options, ids)
        if args.max_cost is not None and planned["estimated_cost_usd"] > args.max_cost:  # type: ignore[operator]
            print(
                f"estimated ${planned['estimated_cost_usd']:.2f} is over --max-cost ${args.max_cost:.2f}: "
                "running only as many requests as fit",
                file=sys.stderr,
            )
        engine = ClaudeEngine(options)
        run = run_suggestions(project, engine, ids, progress=terminal_progress)
        with project.reading() as conn:
            spent = spend(conn)
    report = {
        "engine": "claude",
        "model": options.model,
        **run.__dict__,
        "failures": engine.failures,
        "skipped_for_cost": len(engine.skipped_for_cost),
        "spend": spent,
    }
    lines = [
        f"claude ({options.model}): {run.suggestions} suggestions; {run.skipped_cached} passages already done"
    ]
    if engine.failures:
        lines.append(
            f"{len(engine.failures)} requests failed (those passages are tried again next run): {engine.failures[0]}"
        )
    if engine.skipped_for_cost:
        lines.append(f"{len(engine.skipped_for_cost)} passages not sent: --max-cost reached")
    total = sum(v["cost_usd"] for v in spent.values())  # type: ignore[index]
    lines.append(f"spend so far in this project: ${total:.4f}")
    report["lines"] = lines
    return report, bool(engine.failures)


def _open_batches(project: Project) -> bool:
    with project.reading() as conn:
        return (
            conn.execute(
                select(schema.llm_batches.c.batch_id).where(
                    schema.llm_batches.c.collected_at.is_(None)
                )
            ).first()
            is not None
        )


def _batches(
    project: Project, options: ClaudeOptions, ids: list[int], submit: bool, resume: bool
) -> tuple[dict[str, object], bool]:
    from workbench.suggest.batches import resume_batches, submit_batch, sync_client

    client = sync_client(options)
    lines, report = [], {"engine": "claude", "batches": []}
    if resume:
        for status in resume_batches(project, client):
            report["batches"].append(status.__dict__)  # type: ignore[attr-defined]
            lines.append(
                f"batch {status.batch_id}: {status.status} ({status.suggestions} suggestions, {status.failed_requests} failed requests)"
            )
    if submit:
        status = submit_batch(project, client, options, ids)
        if status is None:
            lines.append(
                "nothing to submit: every passage already has suggestions or is in a pending batch"
            )
        else:
            report["batches"].append(status.__dict__)  # type: ignore[attr-defined]
            lines.append(
                f"submitted batch {status.batch_id} with {status.requests} requests; run 'workbench suggest PROJECT --resume' to collect"
            )
    report["lines"] = lines
    return report, False
