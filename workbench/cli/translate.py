"""Commands for coding across languages: ``translate`` (machine translation through Claude) and
``language`` (each transcript's language: list, guess offline, set)."""

from __future__ import annotations

import argparse
import sys

from workbench.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    add_command,
    comma_list,
    non_negative_float,
)
from workbench.cli.output import render
from workbench.core.printable import printable


def cmd_translate(args: argparse.Namespace) -> int:
    from workbench.core.errors import WorkbenchError
    from workbench.core.language import normalise_language
    from workbench.core.store import Project
    from workbench.suggest.prices import give_price, preferred_model, price_of
    from workbench.suggest.translation import (
        TranslationOptions,
        Translator,
        counting_client,
        estimate,
        plan_translation,
        translate_project,
    )

    try:
        target = normalise_language(args.to)
    except ValueError as exc:
        raise WorkbenchError(f"--to: {exc}") from None
    model = preferred_model(args.model)
    if args.price:
        give_price(model, args.price)
    price_of(model)  # an unknown model is refused before anything is read or sent
    options = TranslationOptions(
        target_language=target,
        model=model,
        concurrency=max(1, args.concurrency),
        redact=args.redact or bool(args.redact_names),
        redact_names=tuple(comma_list(args.redact_names or "")),
    )
    wanted = [t for value in args.transcript or [] for t in comma_list(value)]
    with Project.open(args.project, read_only=args.dry_run) as project:
        plan = plan_translation(project, target, wanted, options, store_detected=not args.dry_run)
        figures = estimate(plan, options, counting_client(options) if plan.chunks else None)
        if "count_tokens_error" in figures:  # as suggest says it: on stderr, the run goes on
            print(figures["count_tokens_error"], file=sys.stderr)
        report: dict[str, object] = {
            "target_language": target,
            "model": model,
            "dry_run": args.dry_run,
            "estimate": figures,
            "refused_local_only": plan.local_only,
            "same_language": plan.same_language,
            "already_translated": plan.already_translated,
            "languages_detected": plan.detected,
            "redacted": options.redact,
        }
        if args.dry_run:  # say now what the real run would stop on
            from workbench.suggest.claude_client import api_key

            report["api_key"] = api_key() is not None
        failed: list[str] = []
        if not args.dry_run and plan.chunks:
            cost_usd = figures["cost_usd"]
            assert isinstance(cost_usd, float)  # priced() rounds a dollar figure
            if args.max_cost is not None and cost_usd > args.max_cost:
                raise WorkbenchError(
                    f"estimated ${figures['cost_usd']:.4f} ({figures['estimate_source']}) is over "
                    f"--max-cost {args.max_cost}; nothing was sent"
                )
            run = translate_project(
                project, plan, Translator(options), progress=_progress if args.verbose else None
            )
            failed = run.failed
            report.update(
                translated=run.translated,
                failed=run.failed,
                requests=len(run.requests),
                cost_usd=round(run.cost_usd, 4),
            )

    def text() -> None:
        for tid in plan.local_only:
            print(f"{printable(tid)}: local-only, refused: never sent")
        for tid in plan.same_language:
            print(f"{printable(tid)}: already in {target}, nothing to translate")
        for tid, tag in plan.detected.items():
            print(f"{printable(tid)}: language guessed as {tag}")
        print(
            f"{figures['passages']} passages in {figures['requests']} requests to {model}: "
            f"about {figures['input_tokens']:,} tokens in, {figures['output_tokens']:,} out, "
            f"${figures['cost_usd']:.4f} (estimate: {figures['estimate_source']}); "
            f"{plan.already_translated} already translated"
        )
        if args.dry_run:
            print("dry run: nothing sent")
            if not report["api_key"]:
                print(
                    "no Anthropic API key: the run itself would be refused; set "
                    "ANTHROPIC_API_KEY (or anthropic_api_key in the workbench settings file)"
                )
        elif "translated" in report:
            print(
                f"translated {report['translated']} passages into {target} "
                f"for ${report['cost_usd']:.4f}"
            )
            for line in failed:
                print(f"failed: {printable(line)}")

    render(report, args.json, text)
    return EXIT_FAILED if failed else EXIT_OK


def _progress(done: int, total: int, what: str) -> None:
    print(f"{what}: {done}/{total} passages translated", file=sys.stderr)


def cmd_language(args: argparse.Namespace) -> int:
    from workbench.core.errors import WorkbenchError
    from workbench.core.language import guess_language, normalise_language
    from workbench.core.store import Project
    from workbench.core.store.queries import list_transcripts, passages_of
    from workbench.core.store.translations import set_transcript_languages, transcript_languages

    changes: dict[str, str] = {}
    for item in args.set or []:
        tid, sep, tag = item.rpartition("=")
        if not sep or not tid.strip():
            raise WorkbenchError(f"--set '{item}': expected TRANSCRIPT=LANGUAGE (e.g. p07=de)")
        try:
            changes[tid.strip()] = normalise_language(tag)
        except ValueError as exc:
            raise WorkbenchError(f"--set '{item}': {exc}") from None
    writes = bool(changes) or args.detect
    with Project.open(args.project, read_only=not writes) as project:
        with project.reading() as conn:
            transcripts = list_transcripts(conn)
            languages = transcript_languages(conn)
            known = {t.external_id for t in transcripts}
            missing = sorted(set(changes) - known)
            if missing:
                raise WorkbenchError(f"--set: no such transcript: {', '.join(missing)}")
            guessed: dict[str, str] = {}
            if args.detect:
                for info in transcripts:
                    if info.external_id in languages or info.external_id in changes:
                        continue
                    body = "\n".join(p.text for p in passages_of(conn, [info.id]))
                    tag = guess_language(body)
                    if tag:
                        guessed[info.external_id] = tag
        if changes or guessed:
            with project.transaction() as conn:
                set_transcript_languages(conn, {**guessed, **changes})
        languages.update(guessed)
        languages.update(changes)
    rows = [
        {
            "transcript": t.external_id,
            "language": languages.get(t.external_id),
            "source": "set"
            if t.external_id in changes
            else "guessed"
            if t.external_id in guessed
            else "metadata"
            if t.external_id in languages
            else None,
        }
        for t in transcripts
    ]

    def text() -> None:
        for row in rows:
            language = row["language"] or "unknown (use --detect or --set)"
            note = f" ({row['source']})" if row["source"] in ("set", "guessed") else ""
            print(f"{printable(str(row['transcript']))}: {language}{note}")

    render({"transcripts": rows}, args.json, text)
    return EXIT_OK


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register this group's commands, each with its handler."""
    translate = add_command(
        commands,
        "translate",
        cmd_translate,
        "machine-translate passages through Claude, aligned passage by passage, for coders who "
        "do not read a transcript's language (local-only transcripts are never sent)",
    )
    translate.add_argument("project")
    translate.add_argument("--to", required=True, metavar="LANGUAGE", help="target, e.g. en")
    translate.add_argument(
        "--transcript",
        action="append",
        metavar="ID",
        help="only these transcripts (repeatable, or comma-separated; default: all)",
    )
    translate.add_argument("--dry-run", action="store_true", help="only estimate tokens and cost")
    translate.add_argument(
        "--model",
        help="Claude model (default: the app's Claude model setting, else the price table's default)",
    )
    translate.add_argument("--price", metavar="IN,OUT", help="USD per million tokens, as suggest")
    translate.add_argument(
        "--max-cost", type=non_negative_float, help="refuse a run estimated above this (USD)"
    )
    translate.add_argument(
        "--redact", action="store_true", help="remove emails, phones, URLs before sending"
    )
    translate.add_argument("--redact-names", help="names to remove too, comma-separated")
    translate.add_argument("--concurrency", type=int, default=4)
    translate.add_argument("--json", action="store_true")
    language = add_command(
        commands,
        "language",
        cmd_language,
        "each transcript's language (metadata 'language'): list, guess offline, or set",
    )
    language.add_argument("project")
    language.add_argument(
        "--detect", action="store_true", help="guess and store it where none is declared"
    )
    language.add_argument(
        "--set", action="append", metavar="ID=LANG", help="set one (repeatable), e.g. p07=de"
    )
    language.add_argument("--json", action="store_true")
