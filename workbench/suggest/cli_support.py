"""``workbench suggest``: choose the engine, estimate, run or batch, and report spend."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from anthropic import Anthropic, APIConnectionError, APIError

from workbench.core.codebook import Codebook
from workbench.core.errors import WorkbenchError
from workbench.core.store import Project
from workbench.core.store.llm import has_open_batches, spend
from workbench.core.store.queries import transcript_row_id, transcript_row_ids
from workbench.core.tasks import terminal_progress
from workbench.suggest.claude import (
    Chunk,
    ClaudeEngine,
    ClaudeOptions,
    api_key,
    coder_language,
    connection_problem,
    estimate_chunk_cost,
    make_chunks,
    prefix_blocks,
    prompt_version_for,
    request_params,
)
from workbench.suggest.examples import with_team_examples
from workbench.suggest.local_command import run_local_suggest
from workbench.suggest.prices import (
    Usage,
    cost,
    estimate_tokens,
    give_price,
    min_cacheable,
    preferred_model,
    price_of,
)
from workbench.suggest.prompt import prefix_text
from workbench.suggest.runner import pending_inputs, run_suggestions


def _transcript_ids(project: Project, wanted: str | None) -> list[int]:
    with project.reading() as conn:
        if not wanted:
            return transcript_row_ids(conn)
        ids = []
        for external_id in wanted.split(","):
            row_id = transcript_row_id(conn, external_id.strip())
            if row_id is None:
                raise WorkbenchError(f"--transcripts: no transcript '{external_id.strip()}'")
            ids.append(row_id)
        return ids


COUNTED_SAMPLE = 5  # requests counted exactly by the API; the rest are scaled from them


def estimate(
    project: Project,
    options: ClaudeOptions,
    transcript_ids: list[int],
    chunks: list[Chunk] | None = None,
    client: Anthropic | None = None,
    count_prefix: bool = False,
) -> dict[str, Any]:  # the --json report: numbers and text, read by key for the dry-run lines
    """Tokens and dollars for the passages not yet suggested (local-only ones excluded).

    With a client, the API's ``count_tokens`` counts the input of a few requests exactly and the
    offline estimate of every request is scaled by what it found: counting each of 40,000
    requests would cost as many calls. Without one (or when counting fails) the figure is the
    offline estimate, and says so in ``estimate_source``.
    """
    codebook = project.codebook
    assert codebook is not None
    if chunks is None:
        unsent, _done = pending_inputs(
            project,
            transcript_ids,
            "claude",
            options.model,
            prompt_version_for(codebook, options),
            include_local_only=False,
            any_codebook_version=True,
        )
        chunks = make_chunks(unsent, options)
    usages = [
        estimate_chunk_cost(chunk, codebook, options, cached=index > 0)[0]
        for index, chunk in enumerate(chunks)
    ]
    scale, source = 1.0, "offline (about 3.5 characters a token; not counted by the API)"
    prefix = estimate_tokens(prefix_text(prefix_blocks(codebook, options)))
    if client is not None and chunks:
        counted = _count_tokens(client, chunks, codebook, options)
        if counted is not None:
            scale, source = counted, "count_tokens"
            counted_prefix = _count_prefix(client, codebook, options) if count_prefix else None
            prefix = counted_prefix or round(prefix * scale)
    total = Usage()
    for usage in usages:
        total = total + Usage(
            round(usage.input_tokens * scale),
            round(usage.cache_creation_input_tokens * scale),
            round(usage.cache_read_input_tokens * scale),
            usage.output_tokens,
        )
    # Without the cache (or with a prefix below the model's minimum) every cached token is
    # plain input: that is what a run costs when the breakpoint does not engage.
    uncached = Usage(
        total.input_tokens + total.cache_creation_input_tokens + total.cache_read_input_tokens,
        0,
        0,
        total.output_tokens,
    )
    minimum = min_cacheable(options.model)
    engages = None if minimum is None else prefix >= minimum.tokens
    expected = uncached if engages is False else total
    return {
        "model": options.model,
        "passages": sum(len(c.passages) for c in chunks),
        "requests": len(chunks),
        "input_tokens": total.input_tokens,
        "cache_write_tokens": total.cache_creation_input_tokens,
        "cache_read_tokens": total.cache_read_input_tokens,
        "output_tokens": total.output_tokens,
        "estimate_source": source,
        "cached_prefix_tokens": prefix,
        "min_cacheable_tokens": minimum.tokens if minimum else None,
        "min_cacheable_source": minimum.source if minimum else None,
        "cache_engages": engages,
        "team_examples": len(options.examples),
        "estimated_cost_usd": round(cost(options.model, expected), 4),
        "estimated_cost_batch_usd": round(cost(options.model, expected, batch=True), 4),
        "estimated_cost_with_cache_usd": round(cost(options.model, total), 4),
        "estimated_cost_without_cache_usd": round(cost(options.model, uncached), 4),
    }


def _count_prefix(client: Anthropic, codebook: Codebook, options: ClaudeOptions) -> int | None:
    """The cached prefix counted by the API: the system prompt with a one-character message
    (the message adds a handful of tokens, so the figure errs a little high)."""
    try:
        return client.messages.count_tokens(
            model=options.model,
            system=prefix_blocks(codebook, options),
            messages=[{"role": "user", "content": "."}],
        ).input_tokens
    except APIError:
        return None


def cache_line(report: dict[str, object]) -> str:
    """The dry run's sentence on prompt caching: prefix length against the model's minimum."""
    prefix, minimum = report["cached_prefix_tokens"], report["min_cacheable_tokens"]
    with_cache = report["estimated_cost_with_cache_usd"]
    without = report["estimated_cost_without_cache_usd"]
    if minimum is None:
        verdict = f"the minimum cacheable length of {report['model']} is not known to workbench"
    elif report["cache_engages"]:
        verdict = f"at least the model's minimum of {minimum:,}, so the cache engages"
    else:
        verdict = f"under the model's minimum of {minimum:,}, so nothing is cached"
    return (
        f"cached prefix (instructions, codebook, {report['team_examples']} team examples): "
        f"about {prefix:,} tokens, {verdict}; ${with_cache:.2f} with the cache, "
        f"${without:.2f} without"
    )


def _count_tokens(
    client: Anthropic, chunks: list[Chunk], codebook: Codebook, options: ClaudeOptions
) -> float | None:
    """Counted input tokens over the offline estimate, on a spread sample; None if the API
    cannot be asked (the caller falls back to the offline estimate)."""
    step = max(1, len(chunks) // COUNTED_SAMPLE)
    sample = chunks[::step][:COUNTED_SAMPLE]
    counted = offline = 0
    try:
        for chunk in sample:
            params = request_params(chunk, codebook, options)
            counted += client.messages.count_tokens(  # the request as sent, less max_tokens
                model=params["model"],
                system=params["system"],
                messages=params["messages"],
                output_config=params["output_config"],
            ).input_tokens
            usage, _ = estimate_chunk_cost(chunk, codebook, options, cached=False)
            offline += usage.input_tokens + usage.cache_creation_input_tokens
    except APIError as exc:
        print(
            f"count_tokens failed ({exc.__class__.__name__}); using the offline estimate",
            file=sys.stderr,
        )
        return None
    return counted / offline if offline else None


def _refuse_over_cap(planned: dict[str, Any], cap: float, batch: bool) -> None:
    """--max-cost is checked against the estimate before anything is sent, in every mode."""
    key = "estimated_cost_batch_usd" if batch else "estimated_cost_usd"
    dollars = float(planned[key])
    if dollars > cap:
        what = "the batch" if batch else "the run"
        raise WorkbenchError(
            f"--max-cost: {what} is estimated at ${dollars:.2f} ({planned['requests']} requests, "
            f"{planned['estimate_source']}), over the cap of ${cap:.2f}; nothing was sent. "
            "Raise the cap or choose fewer transcripts with --transcripts"
        )


def run_suggest_command(args: argparse.Namespace) -> tuple[dict[str, object], bool]:
    """The suggest command; an API failure outside a request (batches, counting) is one line."""
    try:
        return _suggest(args)
    except APIConnectionError as exc:
        raise WorkbenchError(connection_problem(exc)) from exc
    except APIError as exc:
        raise WorkbenchError(f"the Anthropic API answered with an error: {exc}") from exc


def _suggest(args: argparse.Namespace) -> tuple[dict[str, object], bool]:
    batch_work = args.batch or args.status or args.cancel
    engine_name = args.engine or ("claude" if api_key() or batch_work else "local")
    options = ClaudeOptions(
        model=preferred_model(args.model),
        language=getattr(args, "rationale_language", None) or coder_language(),
        concurrency=args.concurrency,
        redact=args.redact or bool(args.redact_names),
        redact_names=tuple(n.strip() for n in (args.redact_names or "").split(",") if n.strip()),
        max_cost_usd=args.max_cost,
    )
    if engine_name == "claude":
        if args.price:
            give_price(options.model, args.price)
        price_of(options.model)  # an unknown model is a clear error before anything runs
    if engine_name == "local":
        return run_local_suggest(args, progress=terminal_progress)
    with Project.open(args.project) as project:
        if project.codebook is None:
            raise WorkbenchError(f"{args.project}: the project has no codebook")
        ids = _transcript_ids(project, args.transcripts)
        options = with_team_examples(project, options)
        if args.dry_run:
            report = estimate(
                project, options, ids, client=_counting_client(options), count_prefix=True
            )
            report["lines"] = [
                f"{report['passages']} passages in {report['requests']} requests to {options.model}: "
                f"about {report['input_tokens'] + report['cache_write_tokens'] + report['cache_read_tokens']:,} input and "
                f"{report['output_tokens']:,} output tokens, about ${report['estimated_cost_usd']:.2f} "
                f"(${report['estimated_cost_batch_usd']:.2f} as a batch); estimate: "
                f"{report['estimate_source']}; nothing was sent",
                cache_line(report),
            ]
            return report, False
        if args.batch or args.status or args.cancel or (args.resume and _open_batches(project)):
            return _batches(project, options, ids, args)
        # --resume with no batch open continues a sync run: only what is missing is sent
        if args.max_cost is not None:
            planned = estimate(project, options, ids, client=_counting_client(options))
            _refuse_over_cap(planned, args.max_cost, batch=False)
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
    total = sum(v["cost_usd"] for v in spent.values())
    lines.append(f"spend so far in this project: ${total:.4f}")
    report["lines"] = lines
    return report, bool(engine.failures)


def _counting_client(options: ClaudeOptions) -> Anthropic | None:
    """A client for count_tokens when a key is set; the estimate is offline without one."""
    from workbench.suggest.batches import sync_client

    return sync_client(options) if api_key() else None


def _open_batches(project: Project) -> bool:
    with project.reading() as conn:
        return has_open_batches(conn)


def _batches(
    project: Project, options: ClaudeOptions, ids: list[int], args: argparse.Namespace
) -> tuple[dict[str, object], bool]:
    from workbench.suggest.batches import (
        batch_list,
        cancel_batches,
        plan_batches,
        resume_batches,
        submit_batches,
        sync_client,
    )

    lines: list[str] = []
    batches: list[object] = []
    report: dict[str, object] = {"engine": "claude", "batches": batches}
    if args.status:
        client = sync_client(options) if api_key() else None
        listed = batch_list(project, client)
        report["batches"] = listed
        if client is None:
            lines.append("no API key: the state stored in the project, not refreshed")
        for entry in listed:
            counts = entry.get("counts")
            detail = (
                ", ".join(f"{k} {v}" for k, v in counts.items())
                if isinstance(counts, dict) and counts
                else ("collected" if entry["collected"] else "")
            )
            lines.append(
                f"batch {entry['batch_id']}: {entry['status']}, {entry['requests']} requests"
                + (f" ({detail})" if detail else "")
            )
        if not listed:
            lines.append("no batches in this project")
        report["lines"] = lines
        return report, False
    client = sync_client(options)
    if args.cancel:
        for status in cancel_batches(project, client):
            batches.append(status.__dict__)
            lines.append(f"batch {status.batch_id}: {status.status} ({status.requests} requests)")
        if not batches:
            lines.append("no open batch to cancel")
        report["lines"] = lines
        return report, False
    if args.resume:
        for status in resume_batches(project, client):
            batches.append(status.__dict__)
            lines.append(
                f"batch {status.batch_id}: {status.status} ({status.suggestions} suggestions, {status.failed_requests} failed requests)"
            )
    if args.batch:
        plan = plan_batches(project, options, ids)
        if args.max_cost is not None and plan.chunks:
            planned = estimate(
                project, options, ids, chunks=plan.chunks, client=_counting_client(options)
            )
            _refuse_over_cap(planned, args.max_cost, batch=True)
        statuses = submit_batches(project, client, options, ids, plan)
        if not statuses:
            lines.append(
                "nothing to submit: every passage already has suggestions or is in a pending batch"
            )
        for status in statuses:
            batches.append(status.__dict__)
            lines.append(
                f"submitted batch {status.batch_id} with {status.requests} requests; run 'workbench suggest PROJECT --resume' to collect"
            )
    report["lines"] = lines
    return report, False
