"""Commands of the suggestion engines: ``suggest``, ``evaluate``, ``evaluate-local``."""

from __future__ import annotations

import argparse

from workbench.cli.common import EXIT_FAILED, EXIT_OK, add_command, non_negative_float
from workbench.cli.output import render


def cmd_suggest(args: argparse.Namespace) -> int:
    from workbench.core.tasks import terminal_progress
    from workbench.suggest.local_command import run_local_suggest, wants_local

    if not (args.status or args.cancel or args.dry_run):
        from workbench.core.roles import require_engine
        from workbench.core.store import Project

        with Project.open(args.project, read_only=True) as project:
            require_engine(project.settings.extra, "local" if wants_local(args) else "claude")
    if wants_local(args):  # never imports the Claude client: see local_command.py
        report, failed = run_local_suggest(args, progress=terminal_progress)
    else:
        from workbench.suggest.cli_support import run_suggest_command

        report, failed = run_suggest_command(args)

    def text() -> None:
        lines = report.get("lines", [])
        assert isinstance(lines, list)  # both engines' reports keep their text lines as a list
        for line in lines:
            print(line)

    render(report, args.json, text)
    return EXIT_FAILED if failed else EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from workbench.core.store import Project
    from workbench.suggest.claude import ClaudeOptions
    from workbench.suggest.evaluation import evaluate
    from workbench.suggest.prices import give_price, preferred_model, price_of

    options = None
    if args.engine == "claude":
        options = ClaudeOptions(model=preferred_model(args.model))
        if args.price:
            give_price(options.model, args.price)
        price_of(options.model)
    with Project.open(args.project) as project:
        report = evaluate(project, args.engine, holdout=args.holdout, options=options)
    render(report, args.json, lambda: _print_evaluation(args, report))
    return EXIT_FAILED if "reason" in report else EXIT_OK  # too little data: nothing measured


def _print_evaluation(args: argparse.Namespace, report: dict[str, object]) -> None:
    if "reason" in report:
        print(f"{args.project}: {report['reason']} (has {report['labelled_passages']})")
        return
    print(
        f"{args.engine} ({report['model']}): learned from {report['learned_from']} human-reviewed "
        f"passages, scored on {report['scored_passages']} of {report['held_back']} held back"
    )
    if args.engine == "claude":
        print(
            f"{report['team_examples']} team examples in the prompt; "
            f"{report['unanswered']} passages unanswered; cost ${report['cost_usd']:.4f}"
        )

    def figure(value: object) -> str:
        return "-" if value is None else f"{value:.2f}"

    overall, per_code = report["overall"], report["per_code"]
    assert isinstance(overall, dict) and isinstance(per_code, dict)  # evaluate() measured
    print("overall: " + ", ".join(f"{k} {figure(v)}" for k, v in overall.items()))
    print(f"{'code':<32} {'support':>7} {'precision':>9} {'recall':>6} {'F1':>5} {'kappa':>6}")
    for code, q in per_code.items():
        print(
            f"{code:<32} {q['support']:>7} {figure(q['precision']):>9} {figure(q['recall']):>6} "
            f"{figure(q['f1']):>5} {figure(q['kappa']):>6}"
        )


def cmd_evaluate_local(args: argparse.Namespace) -> int:
    from workbench.core.store import Project
    from workbench.suggest.learning import evaluate_local

    with Project.open(args.project) as project:
        report = evaluate_local(project, holdout=args.holdout)
    render(report, args.json, lambda: _print_local_evaluation(args, report))
    return EXIT_FAILED if "reason" in report else EXIT_OK  # too little data: nothing measured


def _print_local_evaluation(args: argparse.Namespace, report: dict[str, object]) -> None:
    from workbench.suggest.calibration import calibration_lines

    bins = report["calibration"]
    assert isinstance(bins, list)  # calibration_report()'s rows, with or without a measurement
    calibration = calibration_lines(bins)
    if "reason" in report:
        print(f"{args.project}: {report['reason']} (has {report['labelled_passages']})")
        print("\n".join(calibration))
        return
    print(
        f"trained on {report['trained_on']} human-reviewed passages, tested on {report['held_back']} held back"
    )
    for name in ("codebook_start", "learned"):
        section = report[name]
        assert isinstance(section, dict)  # evaluate_local() measured both
        overall = section["overall"]
        figures = ", ".join(
            f"{k} {v:.2f}" if v is not None else f"{k} -" for k, v in overall.items()
        )
        print(f"{name.replace('_', ' '):>15}: {figures}")
    print("per code (learned): support, precision, recall")
    learned = report["learned"]
    assert isinstance(learned, dict)
    for code, quality in learned["per_code"].items():
        p, r = (
            "-" if value is None else f"{value:.2f}"
            for value in (quality["precision"], quality["recall"])
        )
        print(f"  {code:<30} {quality['support']:>4}  {p:>5}  {r:>5}")
    print("\n".join(calibration))


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register this group's commands, each with its handler."""
    suggest = add_command(
        commands, "suggest", cmd_suggest, "suggest codes with the local engine or Claude"
    )
    suggest.add_argument("project")
    suggest.add_argument(
        "--engine",
        choices=["local", "claude"],
        default=None,
        help="default: claude with a key, else local",
    )
    suggest.add_argument(
        "--model",
        help="Claude model (default: the app's Claude model setting, else the price table's default)",
    )
    suggest.add_argument(
        "--price",
        metavar="IN,OUT",
        help="USD per million input,output tokens, for a model the price table does not list",
    )
    suggest.add_argument("--transcripts", help="transcript ids, comma-separated (default: all)")
    suggest.add_argument(
        "--batch", action="store_true", help="submit through the Message Batches API"
    )
    suggest.add_argument(
        "--resume",
        action="store_true",
        help="collect submitted batches; with none open, send what a stopped run left",
    )
    suggest.add_argument(
        "--status", action="store_true", help="with --batch: list the project's batches"
    )
    suggest.add_argument(
        "--cancel", action="store_true", help="with --batch: cancel the open batches"
    )
    suggest.add_argument(
        "--max-cost", type=non_negative_float, help="stop before spending more than this (USD)"
    )
    suggest.add_argument("--dry-run", action="store_true", help="only estimate tokens and cost")
    suggest.add_argument(
        "--redact", action="store_true", help="remove emails, phones, URLs before sending"
    )
    suggest.add_argument("--redact-names", help="names to remove too, comma-separated")
    suggest.add_argument("--concurrency", type=int, default=4)
    suggest.add_argument(
        "--rationale-language",
        metavar="LANGUAGE",
        help="language of Claude's rationales (default: the rationale_language setting, else "
        "English); quotes stay in the passage's own language",
    )
    suggest.add_argument("--json", action="store_true")
    evaluation = add_command(
        commands,
        "evaluate",
        cmd_evaluate,
        "per-code precision, recall, F1 and kappa of an engine against held-back human decisions",
    )
    evaluation.add_argument("project")
    evaluation.add_argument("--engine", choices=["local", "claude"], default="local")
    evaluation.add_argument(
        "--model",
        help="Claude model (default: the app's Claude model setting, else the price table's default)",
    )
    evaluation.add_argument("--price", metavar="IN,OUT", help="USD per million tokens, as suggest")
    evaluation.add_argument(
        "--holdout", type=float, default=0.3, help="share held back for testing"
    )
    evaluation.add_argument("--json", action="store_true")
    evaluate = add_command(
        commands,
        "evaluate-local",
        cmd_evaluate_local,
        "the local engine against human decisions, learned versus codebook start (an alias "
        "kept from before 'evaluate')",
    )
    evaluate.add_argument("project")
    evaluate.add_argument("--holdout", type=float, default=0.3, help="share held back for testing")
    evaluate.add_argument("--json", action="store_true")
