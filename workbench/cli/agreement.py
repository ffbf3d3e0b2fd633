"""Commands for double coding: ``agreement``, ``disagreements``, ``adjudicate``, ``sample``,
``anchoring``, ``assign``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from workbench.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_command,
    comma_list,
    getpass_user,
    open_fraction,
    positive_int,
    require_lead,
)
from workbench.cli.output import render
from workbench.core.printable import printable

if TYPE_CHECKING:
    from workbench.core.agreement.anchoring import AnchoringResult
    from workbench.core.store import Project


def cmd_agreement(args: argparse.Namespace) -> int:
    from workbench.core.agreement.report import agreement_command, format_report

    if args.unitizing:
        return _unitizing(args)
    if args.tree_level is not None and args.by is not None:
        # Rolled-up levels are one table per level; a breakdown by group inside each is not
        # computed, and dropping --by silently would pass off the pooled figure as the groups'.
        print(
            "error: --by does not apply to --tree-level (the breakdown by group is over the "
            "codes as coded, not rolled up); run them as two commands",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.tree_level is not None and args.codes is not None:
        # Codes are chosen at the leaves but reported at a level: "--codes hope.time" at level 1
        # would pass off one sub-code as its whole theme.
        print(
            "error: --codes does not apply to --tree-level (each level reports all of its "
            "codes); run them as two commands",
            file=sys.stderr,
        )
        return EXIT_USAGE
    report = agreement_command(
        source=args.source,
        metric=args.metric,
        level=args.level,
        distance=args.distance,
        weights=args.weights,
        categories=args.categories.split(",") if args.categories else None,
        coders=args.coders.split(",") if args.coders else None,
        codes=args.codes.split(",") if args.codes else None,
        ci=args.ci,
        include_engines=args.include_engines,
        by=args.by,
        tree_level=args.tree_level,
        codebook_version=args.codebook_version,
    )
    render(report, args.json, lambda: print(format_report(report)))
    return EXIT_OK


UNITIZING_ALONE = ("metric", "level", "by", "tree_level", "categories")


def _unitizing(args: argparse.Namespace) -> int:
    """``agreement --unitizing``: agreement on the text selected inside passages."""
    from workbench.core.agreement.report import format_unitizing, unitizing_command

    clashing = [name for name in UNITIZING_ALONE if getattr(args, name) is not None]
    if clashing or args.weights != "identity":
        option = "--" + (clashing[0] if clashing else "weights").replace("_", "-")
        print(f"error: {option} does not apply to --unitizing", file=sys.stderr)
        return EXIT_USAGE
    report = unitizing_command(
        args.source,
        coders=comma_list(args.coders) if args.coders else None,
        codes=comma_list(args.codes) if args.codes else None,
        ci=args.ci,
        include_engines=args.include_engines,
    )
    render(report, args.json, lambda: print(format_unitizing(report)))
    return EXIT_OK


def cmd_disagreements(args: argparse.Namespace) -> int:
    from workbench.core.agreement.adjudication import find_disagreements
    from workbench.core.agreement.data import project_data
    from workbench.core.agreement.raters import choose_raters
    from workbench.core.store import Project

    with Project.open(args.project) as project:
        data = project_data(project, include_engines=args.include_engines)
    if args.code is not None and args.code not in data.codes:
        print(
            printable(f"error: --code {args.code}: no such code in {args.project}'s codebook"),
            file=sys.stderr,
        )
        return EXIT_FAILED
    chosen = choose_raters(
        data, args.coders.split(",") if args.coders else None, args.include_engines
    )
    found = find_disagreements(data, args.code, chosen.raters)

    def text() -> None:
        for item in found:
            sides = "  |  ".join(
                f"{coder}: {', '.join(sorted(codes)) or '(no code)'}"
                for coder, codes in item.codes.items()
            )
            print(f"{item.unit}  {sides}")
        print(f"{len(found)} passages where coders differ")

    result = [
        {"passage_id": d.unit, "codes": {c: sorted(v) for c, v in d.codes.items()}} for d in found
    ]
    render(result, args.json, text)
    return EXIT_OK


def cmd_adjudicate(args: argparse.Namespace) -> int:
    from workbench.core.agreement.adjudication import adjudicate
    from workbench.core.store import Project

    codes = {c.strip() for c in (args.codes or "").split(",") if c.strip()}
    with Project.open(args.project) as project:
        require_lead(project, args.lead, "adjudicate")
        adjudicate(project, args.passage, codes, args.lead, args.reason)
    print(f"{args.passage}: consensus is {', '.join(sorted(codes)) or 'no code applies'}")
    return EXIT_OK


def cmd_sample(args: argparse.Namespace) -> int:
    from workbench.core.agreement.sampling import (
        sample_size_for_width,
        stratified_sample,
        transcripts_of_keys,
        write_sample_csv,
    )
    from workbench.core.safe_output import check_output_path
    from workbench.core.store import Project
    from workbench.core.store.team import assign_transcripts

    if args.anchoring_effect is not None:
        return _anchoring_size(args)
    if args.coders is not None:
        print("error: --coders goes with --anchoring-effect", file=sys.stderr)
        return EXIT_USAGE
    if args.project is None:
        print("error: sample needs PROJECT (or --anchoring-effect)", file=sys.stderr)
        return EXIT_USAGE
    if args.out:
        check_output_path(args.out)
    size = args.size or sample_size_for_width(args.width, args.expected)
    queue: list[str] | None = None
    with Project.open(args.project) as project:
        if args.assign:
            require_lead(project, args.lead, "assign a sample")
        strata = stratified_sample(project, size, args.by, args.seed, args.exclude_reviewed_by)
        rows = [(key, name) for name, keys in strata.items() for key in keys]
        if args.assign and rows:
            drawn = transcripts_of_keys(key for key, _name in rows)
            queue = assign_transcripts(
                project,
                args.lead,
                args.assign,
                drawn,
                source=f"sample (seed {args.seed})",
                lead_option="--lead",
            )
    if args.out:
        write_sample_csv(strata, args.by, args.out)

    def text() -> None:
        print(
            f"{len(rows)} passages ({', '.join(f'{k}: {len(v)}' for k, v in strata.items())})"
            + (f" written to {args.out}" if args.out else "")
        )
        if queue is not None:
            print(f"{args.assign}'s queue now holds {len(queue)} transcripts")

    result = {
        "size": len(rows),
        "strata": {k: len(v) for k, v in strata.items()},
        "passages": [r[0] for r in rows],
        **({"assigned_to": args.assign, "queue": queue} if queue is not None else {}),
    }
    render(result, args.json, text)
    return EXIT_OK


def _anchoring_size(args: argparse.Namespace) -> int:
    from workbench.core.agreement.sampling import anchoring_size

    if args.coders is not None and args.coders < 1:
        print(
            "error: --coders: the coders sharing the experiment must be at least 1", file=sys.stderr
        )
        return EXIT_USAGE
    try:
        size = anchoring_size(args.anchoring_effect, args.expected_acceptance, args.coders or 1)
    except ValueError as exc:
        print(f"error: --anchoring-effect/--expected-acceptance: {exc}", file=sys.stderr)
        return EXIT_USAGE
    result = {
        "effect": size.effect,
        "expected_acceptance": size.expected_acceptance,
        "suggestions_per_arm": size.suggestions_per_arm,
        "coder_passages": size.coder_passages,
        "coders": size.coders,
        "passages_per_coder": size.passages_per_coder,
    }
    render(result, args.json, lambda: print(size.sentence()))
    return EXIT_OK


def cmd_anchoring(args: argparse.Namespace) -> int:
    from workbench.core.agreement.anchoring import project_anchoring
    from workbench.core.anchoring_arms import SETTING, Experiment
    from workbench.core.store import Project

    if args.on and args.off:
        print("error: --on and --off exclude each other", file=sys.stderr)
        return EXIT_USAGE
    if args.seed is not None and not args.on:
        print("error: --seed goes with --on", file=sys.stderr)
        return EXIT_USAGE
    with Project.open(args.project) as project:
        if args.on or args.off:
            old = Experiment.from_settings(project.settings.extra)
            seed = args.seed if args.seed is not None else old.seed
            if seed != old.seed and _has_arm_decisions(project):
                # A new seed re-draws every coder's arms, passages already coded included.
                print(
                    printable(
                        f"error: {args.project}: decisions were already made in arms drawn "
                        f"with seed {old.seed}; a new seed would re-randomise passages already "
                        "coded (omit --seed to keep it)"
                    ),
                    file=sys.stderr,
                )
                return EXIT_FAILED
            new = Experiment(bool(args.on), seed)
            extra = dict(project.settings.extra) | {SETTING: new.to_setting()}
            project.update_settings(args.lead, extra=extra)
            state = f"on (seed {seed})" if new.on else "off"
            render(
                {"project": args.project, "anchoring_experiment": new.to_setting()},
                args.json,
                lambda: print(printable(f"{args.project}: anchoring experiment {state}")),
            )
            return EXIT_OK
        result = project_anchoring(project, resamples=args.resamples)
    render(result.to_json(), args.json, lambda: _print_anchoring(result))
    return EXIT_OK


def _has_arm_decisions(project: Project) -> bool:
    from workbench.core.store.anchoring import has_arm_decisions

    with project.reading() as conn:
        return has_arm_decisions(conn)


def _print_anchoring(result: AnchoringResult) -> None:
    from workbench.core.agreement.anchoring import LABELS, MEASURES

    print(result.verdict)
    if result.methods is None:  # no unit in either arm: the verdict says why, nothing follows
        return
    print()
    for name in MEASURES:
        m = getattr(result.overall, name)
        print(
            f"{LABELS[name]:>32}: before {m.before.text()}  after {m.after.text()}  "
            f"difference {m.difference.text()}"
        )
    if result.per_code:
        print()
        print("per code (acceptance before / after / difference):")
        for code, figures in result.per_code.items():
            a = figures.acceptance
            print(
                printable(f"  {code}: {a.before.text()} / {a.after.text()} / {a.difference.text()}")
            )
    print()
    print(result.methods)


def cmd_assign(args: argparse.Namespace) -> int:
    from workbench.core.agreement.sampling import read_sample_csv
    from workbench.core.store import Project
    from workbench.core.store.team import assign_transcripts

    if bool(args.transcripts) == bool(args.sample):
        print("error: give --transcripts or --sample (one of them)", file=sys.stderr)
        return EXIT_USAGE
    wanted = read_sample_csv(args.sample) if args.sample else comma_list(args.transcripts)
    with Project.open(args.project) as project:
        queue = assign_transcripts(
            project,
            args.lead,
            args.coder,
            wanted,
            source=args.sample or "--transcripts",
            lead_option="--lead",
        )
    render(
        {"coder": args.coder, "queue": queue},
        args.json,
        lambda: print(f"{args.coder}'s queue now holds {len(queue)} transcripts"),
    )
    return EXIT_OK


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register this group's commands, each with its handler."""
    lead = getpass_user()
    agree = add_command(
        commands,
        "agreement",
        cmd_agreement,
        "inter-rater agreement for a project or a unit,coder,value CSV",
    )
    agree.add_argument(
        "source", help="a project, or a ratings CSV with the header unit,coder,value"
    )
    agree.add_argument(
        "--metric", choices=["percent", "cohen", "scott", "fleiss", "alpha", "ac1", "bp"]
    )
    agree.add_argument("--level", choices=["nominal", "ordinal", "interval", "ratio", "set"])
    agree.add_argument("--distance", choices=["masi", "jaccard"], default="masi")
    agree.add_argument("--weights", choices=["identity", "linear", "quadratic"], default="identity")
    agree.add_argument("--categories", help="the full ordered category list, comma-separated")
    agree.add_argument(
        "--coders", help="these coders as raters, comma-separated (default: the human coders)"
    )
    agree.add_argument(
        "--include-engines",
        action="store_true",
        help="count the suggestion engines as raters beside the humans",
    )
    agree.add_argument("--codes", help="only these codes, comma-separated")
    agree.add_argument(
        "--by",
        metavar="FIELD",
        help="also per value of a metadata field (language, group, ...), or 'translation': "
        "read in machine translation or in the original",
    )
    agree.add_argument(
        "--tree-level",
        metavar="N|all",
        help="codes rolled up to level N of the code tree (1 = top), or every level",
    )
    agree.add_argument(
        "--codebook-version",
        type=int,
        metavar="N",
        help="only the codings made under stored codebook version N, over its codes",
    )
    agree.add_argument(
        "--ci", action="store_true", help="bootstrap 95%% intervals (1000 resamples)"
    )
    agree.add_argument(
        "--unitizing",
        action="store_true",
        help="Krippendorff's unitizing alpha over the text coders selected inside passages",
    )
    agree.add_argument("--json", action="store_true")
    dis = add_command(
        commands,
        "disagreements",
        cmd_disagreements,
        "passages where coders differ (for adjudication)",
    )
    dis.add_argument("project")
    dis.add_argument("--code", help="only disagreement about this code")
    dis.add_argument("--coders", help="coders to compare, comma-separated")
    dis.add_argument(
        "--include-engines", action="store_true", help="compare the engines' codes too"
    )
    dis.add_argument("--json", action="store_true")
    adj = add_command(
        commands,
        "adjudicate",
        cmd_adjudicate,
        "record the consensus codes of a passage, with a reason",
    )
    adj.add_argument("project")
    adj.add_argument("passage", help="passage id, e.g. work_0001#4")
    adj.add_argument(
        "--codes", default="", help="consensus codes, comma-separated (empty: no code applies)"
    )
    adj.add_argument("--lead", required=True, help="who decides")
    adj.add_argument("--reason", required=True)
    sample = add_command(
        commands,
        "sample",
        cmd_sample,
        "draw a stratified random sample of passages for double coding",
    )
    sample.add_argument("project", nargs="?")
    sample.add_argument(
        "--size", type=positive_int, help="passages to draw (default: from --width)"
    )
    sample.add_argument(
        "--width", type=open_fraction, default=0.1, help="target 95%% interval width"
    )
    sample.add_argument("--expected", type=open_fraction, default=0.8, help="expected agreement")
    sample.add_argument("--by", help="metadata field to stratify by (group, language, ...)")
    sample.add_argument("--seed", type=int, default=1)
    sample.add_argument(
        "--exclude-reviewed-by", help="leave out passages this coder already reviewed"
    )
    sample.add_argument("--out", help="CSV of passage ids")
    sample.add_argument(
        "--assign", metavar="NAME", help="add the drawn passages' transcripts to NAME's queue"
    )
    sample.add_argument("--lead", default=lead, help="who assigns (with --assign)")
    sample.add_argument("--json", action="store_true")
    sample.add_argument(
        "--anchoring-effect",
        type=float,
        help="instead: the size the anchoring experiment needs to detect this acceptance "
        "difference",
    )
    sample.add_argument(
        "--expected-acceptance", type=float, default=0.5, help="with --anchoring-effect"
    )
    sample.add_argument(
        "--coders",
        type=positive_int,
        help="with --anchoring-effect: coders sharing the work (default 1)",
    )
    anchoring = add_command(
        commands,
        "anchoring",
        cmd_anchoring,
        "the anchoring experiment: switch it on or off, or report its arms with intervals",
    )
    anchoring.add_argument("project")
    anchoring.add_argument("--on", action="store_true", help="randomise arms (lead action)")
    anchoring.add_argument("--off", action="store_true", help="stop randomising")
    anchoring.add_argument("--seed", type=int, help="with --on: the randomisation's seed")
    anchoring.add_argument("--lead", default=getpass_user(), help="recorded in the audit log")
    anchoring.add_argument(
        "--resamples", type=positive_int, default=1000, help="bootstrap resamples"
    )
    anchoring.add_argument("--json", action="store_true")
    assign = add_command(
        commands, "assign", cmd_assign, "add transcripts to a coder's queue (leads only)"
    )
    assign.add_argument("project")
    assign.add_argument("--coder", required=True, metavar="NAME")
    assign.add_argument("--transcripts", metavar="A,B", help="transcript ids, comma-separated")
    assign.add_argument(
        "--sample", metavar="FILE.csv", help="a sample file (passage_id column): its transcripts"
    )
    assign.add_argument("--lead", default=lead, help="who assigns (must be a lead)")
    assign.add_argument("--json", action="store_true")
