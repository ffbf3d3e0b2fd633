"""The ``workbench`` command line. Imports no Qt: the GUI is loaded only by ``gui`` and ``demo``.

Exit codes: 0 ok, 1 bad input or a failed check, 2 usage. Errors the user can fix are printed
as one line each (file, line, what is wrong), never as a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench import __version__
from workbench.core.errors import CodebookError, WorkbenchError
from workbench.core.printable import printable
from workbench.core.segmenter import Segmentation

if TYPE_CHECKING:
    from workbench.core.store import Project, ProjectSettings

# SQLAlchemy, the store and the codebook are imported by the commands that use them: start-up
# time is most of a short command's run, e.g. ``agreement`` over a ratings CSV.

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE: what `yes | head -1` reports for `yes`

log = logging.getLogger("workbench")


def _print_json(value: object) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def cmd_new(args: argparse.Namespace) -> int:
    from workbench.core.codebook import load_codebook
    from workbench.core.store import Project, ProjectSettings

    if args.from_file and args.codebook:
        print(
            "error: --from takes the code book from the REFI-QDA file; leave out --codebook",
            file=sys.stderr,
        )
        return EXIT_USAGE
    codebook = load_codebook(args.codebook) if args.codebook else None
    settings = ProjectSettings(segmentation=Segmentation(args.segmentation))
    if args.from_file:
        return _new_from_refi(args, settings)
    with Project.create(args.project, codebook=codebook, settings=settings) as project:
        status = project.status()
    if args.json:
        _print_json(status)
    else:
        version = (
            f", codebook '{status['codebook_name']}' v{status['codebook_version']}"
            if codebook
            else ""
        )
        print(printable(f"created {args.project}{version}"))
    return EXIT_OK


def _new_from_refi(args: argparse.Namespace, settings: ProjectSettings) -> int:
    """``new --from FILE.qdpx``: a project made from one; a failed import leaves no file."""
    from workbench.core.store import Project
    from workbench.core.store.database import is_url

    project = Project.create(args.project, settings=settings)
    try:
        with project:
            report = _refi_import(project, args.from_file, dry_run=False, as_json=args.json)
            status = project.status()
    except BaseException:
        if not is_url(args.project):
            Path(args.project).expanduser().unlink(missing_ok=True)
        raise
    if args.json:
        _print_json({"import": report, "status": status})
    else:
        print(printable(f"created {args.project} from {args.from_file}"))
    return EXIT_OK


def _refi_import(project: Project, path: str, dry_run: bool, as_json: bool) -> dict[str, Any]:
    """Plan a REFI-QDA import, print what cannot be mapped, then (unless a dry run) commit it."""
    from workbench.interop.refi_import import commit_refi_import, plan_refi_import

    plan = plan_refi_import(project, path)
    report: dict[str, Any] = {"plan": plan.to_dict()}
    if not as_json:
        _print_refi_plan(plan.to_dict())
    if not dry_run:
        result = commit_refi_import(project, plan).to_dict()
        report["result"] = result
        if not as_json:
            print(
                printable(
                    f"{path}: added {result['transcripts_added']} transcripts "
                    f"({result['passages']} passages), {result['applied']} codes applied, "
                    f"{result['unchanged']} already held"
                )
            )
    return report


def _print_refi_plan(plan: dict) -> None:  # type: ignore[type-arg]
    print(
        printable(
            f"{plan['file']}: {plan['sources']} text sources, {plan['codes']} codes, "
            f"{len(plan['coders'])} coders, {plan['codings']} codings on "
            f"passages from {plan['selections']} selections"
        )
    )
    for name, codes in plan["code_groups"].items():
        print(printable(f"  code group '{name}': {', '.join(codes)}"))
    if plan["not_mappable"]:
        print(f"not mappable, not imported ({len(plan['not_mappable'])}):")
        for item in plan["not_mappable"]:
            print(printable(f"  {item}"))


def cmd_import(args: argparse.Namespace) -> int:
    from workbench.core.exchange import import_decisions_csv
    from workbench.core.store import Project
    from workbench.core.store.importing import import_files, import_metadata_file
    from workbench.interop.refi_import import is_refi_file

    refi = [path for path in args.files if is_refi_file(path)]
    if refi and (args.decisions or args.metadata or len(refi) != len(args.files)):
        print(
            "error: import a .qdpx/.qde file on its own (no other files, no --decisions or "
            "--metadata: its variables are its metadata)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.dry_run and not refi:
        print("error: --dry-run is for REFI-QDA files (.qdpx, .qde)", file=sys.stderr)
        return EXIT_USAGE
    if refi:
        with Project.open(args.project) as project:
            reports = [_refi_import(project, path, args.dry_run, args.json) for path in refi]
        if args.json:
            _print_json({"refi_qda": reports})
        return EXIT_OK
    with Project.open(args.project) as project:
        if args.decisions:
            results = [import_decisions_csv(project, path).to_dict() for path in args.files]
            report: dict[str, object] = {"decisions": results}
            failed = False
        else:
            outcome = import_files(
                project, args.files, exclude=[args.metadata] if args.metadata else []
            )
            report = outcome.to_dict()
            failed = bool(outcome.errors) or any(r.conflicts for r in outcome.files)
            if args.metadata:
                report["metadata"] = import_metadata_file(project, args.metadata).to_dict()
    if args.json:
        _print_json(report)
    else:
        _print_import_report(report)
    return EXIT_FAILED if failed else EXIT_OK


def _print_import_report(report: dict) -> None:  # type: ignore[type-arg]
    for item in report.get("decisions", []):
        print(
            f"{item['file']}: {item['applied']} codes applied, {item['removed']} removed, "
            f"{item['no_code']} 'no code' reviews, {item['unchanged']} unchanged "
            f"({len(item['coders'])} coders, {item['passages']} passages)"
        )
    for item in report.get("files", []):
        line = f"{item['file']}: added {item['added']} transcripts ({item['passages']} passages)"
        if item["unchanged"]:
            line += f", {len(item['unchanged'])} already imported"
        if item["duplicates"]:
            line += f", {len(item['duplicates'])} duplicates of other transcripts skipped"
        print(printable(line))
        understood = _understood(item)
        if understood:
            print(printable(f"  {understood}"))
        for warning in item.get("warnings", []):
            print(f"warning: {printable(warning)}", file=sys.stderr)
        for external_id in item["conflicts"]:
            print(
                printable(
                    f"{item['file']}: transcript '{external_id}' differs from the one already in "
                    "the project; not imported (rename it or remove the old one)"
                ),
                file=sys.stderr,
            )
    for error in report.get("errors", []):
        print(f"error: {printable(error)}", file=sys.stderr)
    if "metadata" in report:
        meta = report["metadata"]
        print(
            f"{meta['file']}: metadata for {meta['transcripts']} transcripts ({', '.join(meta['fields'])})"
        )
        if meta["not_in_project"]:
            print(f"  kept for {len(meta['not_in_project'])} transcript ids not in the project yet")
    if "throughput_mb_s" in report:
        print(
            f"{report['added']} transcripts, {report['megabytes']:.1f} MB in {report['seconds']:.1f} s"
        )


def _understood(item: dict) -> str:  # type: ignore[type-arg]
    """What the reader made of a file: its format, speakers and what it left out."""
    parts = []
    if item.get("format"):
        parts.append(f"read as {item['format']}")
    speakers = item.get("speakers", [])
    if speakers:
        shown = ", ".join(speakers[:8]) + (
            f" and {len(speakers) - 8} more" if len(speakers) > 8 else ""
        )
        parts.append(f"{len(speakers)} speakers ({shown})")
    if item.get("skipped"):
        parts.append("skipped: " + "; ".join(item["skipped"]))
    return "; ".join(parts)


# The words a researcher reads for each ``status`` key (the JSON keys stay as they are), and
# what a count includes where the bare number could be misread.
STATUS_LABELS = {
    "schema_version": "schema version",
    "coded_passages": "passages to code",
    "reviewed_passages": "reviewed",
    "codebook_name": "codebook",
    "codebook_version": "codebook version",
}
STATUS_NOTES = {
    "passages": "every passage, interviewer turns included",
    "coded_passages": "participant passages; interviewer turns are context",
    "reviewed_passages": "passages reviewed by at least one coder",
}


def cmd_status(args: argparse.Namespace) -> int:
    from workbench.core.store import Project

    with Project.open(args.project) as project:
        status = project.status()
    if args.json:
        _print_json(status)
    else:
        for key, value in status.items():
            note = f"  ({STATUS_NOTES[key]})" if key in STATUS_NOTES else ""
            print(f"{STATUS_LABELS.get(key, key.replace('_', ' ')):>18}: {value}{note}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from workbench.core.store.integrity import verify_project

    report = verify_project(args.project)
    if args.json:
        _print_json(report.to_dict())
    elif report.ok:
        print(f"{args.project}: OK (integrity check, triggers and hash chains)")
    else:
        for problem in report.problems():
            print(f"{args.project}: {problem}")
    return EXIT_OK if report.ok else EXIT_FAILED


def cmd_backup(args: argparse.Namespace) -> int:
    from workbench.core.store.backups import backup_file, list_backups, utc_stamp

    if args.list:
        backups = list_backups(args.project)
        if args.json:
            _print_json({"project": args.project, "backups": [b.to_dict() for b in backups]})
        elif not backups:
            print(printable(f"{args.project}: no backups yet"))
        for backup in [] if args.json else backups:
            print(
                printable(
                    f"{backup.path.name}  {utc_stamp(backup.taken_at)}  {backup.reason}  "
                    f"{backup.size / 1e6:.1f} MB"
                )
            )
        return EXIT_OK
    target = backup_file(args.project, "manual")
    if args.json:
        _print_json({"project": args.project, "backup": str(target)})
    else:
        print(printable(str(target)))
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from workbench.core.store.backups import resolve_backup
    from workbench.core.store.restore import restore

    source = resolve_backup(args.project, args.backup)
    if not args.yes:
        plan = (
            f"this replaces {args.project} with the backup {source}; the current state is "
            "saved first as a 'before-restore' backup"
        )
        if not sys.stdin.isatty():
            print(printable(f"error: {plan}; pass --yes to do it"), file=sys.stderr)
            return EXIT_USAGE
        print(printable(plan), file=sys.stderr)
        if input("Restore? [y/N] ").strip().lower() not in ("y", "yes"):
            print("not restored", file=sys.stderr)
            return EXIT_FAILED
    result = restore(args.project, source)
    if args.json:
        _print_json(result.to_dict())
    else:
        saved = f"; the replaced state is kept as {result.saved_as}" if result.saved_as else ""
        print(printable(f"{args.project}: restored from {result.backup.name}{saved}"))
    return EXIT_OK


def export_kind(out: str) -> str | None:
    """The export ``--out`` asks for, by its extension: ``qdpx`` or a table format (``csv``,
    ``xlsx``, ``parquet``); None when the extension is none of them."""
    from workbench.core.data_export import table_format

    if Path(out).suffix.lower() == ".qdpx":
        return "qdpx"
    return table_format(out)


def cmd_export(args: argparse.Namespace) -> int:
    from workbench.core.data_export import export_data
    from workbench.core.safe_output import check_output_path
    from workbench.core.store import Project

    check_output_path(args.out)  # a missing folder is named first, whatever the extension
    kind = export_kind(args.out)
    if kind is None:
        print(
            printable(
                f"error: {args.out}: unknown export format '{Path(args.out).suffix}'; "
                "use .csv, .xlsx, .parquet or .qdpx"
            ),
            file=sys.stderr,
        )
        return EXIT_USAGE
    if bool(args.coder) != args.blind:
        print("error: --blind and --coder NAME go together", file=sys.stderr)
        return EXIT_USAGE
    if kind == "qdpx" and (args.long or args.blind):
        print("error: --long and --blind are for .csv, .xlsx and .parquet", file=sys.stderr)
        return EXIT_USAGE
    if kind == "qdpx":
        from workbench.interop.refi_export import export_qdpx

        with Project.open(args.project) as project:
            result = export_qdpx(project, args.out).to_dict()
        if args.json:
            _print_json(result)
        else:
            print(
                printable(
                    f"wrote {result['sources']} sources, {result['codes']} codes, "
                    f"{result['users']} users, {result['codings']} codings and "
                    f"{result['notes']} notes to {args.out} (REFI-QDA)"
                )
            )
        return EXIT_OK
    with Project.open(args.project) as project:
        data = export_data(project, args.out, long=args.long, coder=args.coder).to_dict()
    if args.json:
        _print_json(data)
    else:
        what = "passages" if data["layout"] == "passages" else "codings"
        print(printable(f"wrote {data['rows']} {what} and {data['memos']} memos to {args.out}"))
        print(printable(f"  {data['contents']}"))
        if len(data["files"]) > 1:
            print(printable(f"  files: {', '.join(data['files'])}"))
    return EXIT_OK


def cmd_codebook_check(args: argparse.Namespace) -> int:
    from workbench.core.codebook import check_codebook

    codebook, problems = check_codebook(args.file)
    errors = [p for p in problems if p.severity == "error"]
    if args.json:
        _print_json(
            {
                "file": args.file,
                "ok": not errors,
                "codes": len(codebook.ids) if codebook else None,
                "problems": [p.__dict__ for p in problems],
            }
        )
    else:
        for problem in problems:
            print(
                printable(str(problem)),
                file=sys.stderr if problem.severity == "error" else sys.stdout,
            )
        if codebook is not None:
            print(
                f"{args.file}: ok: '{codebook.name}' v{codebook.version}, {len(codebook.ids)} codes"
            )
    return EXIT_FAILED if errors else EXIT_OK


def cmd_codebook_add(args: argparse.Namespace) -> int:
    from workbench.core.codebook import load_codebook
    from workbench.core.store import Project

    codebook = load_codebook(args.file)
    with Project.open(args.project) as project:
        _require_lead(project, args.lead, "add a codebook version")
        version = project.add_codebook_version(codebook, actor=args.lead)
    print(f"{args.project}: codebook '{codebook.name}' is now version {version}")
    return EXIT_OK


def _codebook_source(spec: str):  # type: ignore[no-untyped-def]
    """A codebook file, or ``PROJECT@N`` for version N stored in a project."""
    from workbench.core.codebook import load_codebook

    location, sep, version = spec.rpartition("@")
    if sep and version.isdigit() and not Path(spec).exists():
        from workbench.core.store import Project

        with Project.open(location, read_only=True) as project:
            return project.codebook_at(int(version))
    return load_codebook(spec)


def cmd_codebook_diff(args: argparse.Namespace) -> int:
    from workbench.core.codebook_diff import diff_codebooks

    diff = diff_codebooks(
        _codebook_source(args.old), _codebook_source(args.new), args.old, args.new
    )
    if args.json:
        _print_json(diff.to_dict())
    elif not diff.changed:
        print(f"{args.old} -> {args.new}: no change to any code")
    else:
        print(f"{args.old} -> {args.new}:")
        for line in diff.lines():
            print(f"  {printable(line)}")
    return EXIT_OK


def cmd_codebook_migrate(args: argparse.Namespace) -> int:
    from workbench.core.codebook import load_codebook
    from workbench.core.codebook_migration import apply_migration, parse_mapping, plan_migration
    from workbench.core.store import Project

    codebook = load_codebook(args.file)
    mapping = parse_mapping(args.map, args.merge, args.split)
    with Project.open(args.project) as project:
        plan = plan_migration(project, codebook, mapping)
        refusal = plan.refusal()
        result = None
        if not args.dry_run and refusal is None:
            _require_lead(project, args.lead, "migrate the codebook")
            result = apply_migration(project, plan, args.lead)
    if args.json:
        report = plan.to_dict()
        report["dry_run"] = bool(args.dry_run)
        report["refused"] = refusal
        if result is not None:
            report.update(
                decisions=result.decisions,
                archived=result.archived,
                flagged=result.flagged,
                backup=str(result.backup) if result.backup else None,
            )
        _print_json(report)
    else:
        print(f"{args.project}: codebook v{plan.from_version} -> v{plan.to_version}")
        for change in plan.changes:
            print(f"  {printable(change.line())}")
        print("  memos stay with their passages and are not touched")
        if result is not None:
            saved = f"; backup {result.backup}" if result.backup else ""
            print(
                f"done: {result.decisions} decisions appended, {result.archived} codings "
                f"archived, {result.flagged} passages flagged for re-review{saved}"
            )
        elif refusal is None:
            print("dry run: nothing was changed")
    if refusal is not None:
        print(f"error: {printable(refusal)}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_codebook_rereview(args: argparse.Namespace) -> int:
    from workbench.core.store import Project
    from workbench.core.store.codebook_changes import list_review_flags

    with Project.open(args.project) as project, project.reading() as conn:
        flags = list_review_flags(conn)
    if args.json:
        _print_json([flag.__dict__ for flag in flags])
        return EXIT_OK
    for flag in flags:
        print(
            printable(
                f"{flag.passage}  {flag.coder}  was {flag.code_id}, split in "
                f"v{flag.to_version} into {', '.join(flag.candidates)}"
            )
        )
    if not flags:
        print(f"{args.project}: no passage needs re-review")
    return EXIT_OK


def cmd_codebook_archived(args: argparse.Namespace) -> int:
    from workbench.core.codebook_migration import restore_archived
    from workbench.core.store import Project
    from workbench.core.store.codebook_changes import list_archived

    with Project.open(args.project) as project:
        if args.restore:
            _require_lead(project, args.lead, "restore archived codings")
            restored = restore_archived(project, args.restore, args.lead, args.as_code)
            print(f"{args.project}: {restored} codings of '{args.restore}' restored")
            return EXIT_OK
        with project.reading() as conn:
            rows = list_archived(conn, args.code)
    if args.json:
        _print_json([row.__dict__ for row in rows])
        return EXIT_OK
    for row in rows:
        state = f"restored (decision {row.restored_by})" if row.restored_by else "archived"
        print(
            printable(
                f"{row.passage}  {row.coder}  {row.code_id}  {row.why} in v{row.to_version}  "
                f"{state}"
            )
        )
    if not rows:
        print(f"{args.project}: no archived codings")
    return EXIT_OK


def cmd_codebook_export(args: argparse.Namespace) -> int:
    from workbench.interop.codebook_export import code_stats, export_codebook, export_format

    export_format(args.out)
    source = Path(args.source)
    if source.suffix.lower() in (".yaml", ".yml") and source.is_file():
        from workbench.core.codebook import load_codebook

        codebook = load_codebook(source)
        kind = export_codebook(codebook, args.out)
    else:
        from workbench.core.store import Project

        with Project.open(args.source, read_only=True) as project:
            codebook = project.codebook
            if codebook is None:
                print(f"error: {args.source}: the project has no codebook", file=sys.stderr)
                return EXIT_FAILED
            stats = code_stats(project)
        kind = export_codebook(codebook, args.out, stats)
    print(printable(f"{args.out}: codebook '{codebook.name}' v{codebook.version} written as {kind}"))
    return EXIT_OK


def cmd_codebook_import(args: argparse.Namespace) -> int:
    from workbench.core.safe_output import atomic_output, check_output_path
    from workbench.interop.refi_codebook import qdc_to_yaml

    if args.out:
        check_output_path(args.out)
    text = qdc_to_yaml(args.file)
    if not args.out:
        sys.stdout.write(text)
        return EXIT_OK
    with atomic_output(args.out) as handle:
        handle.write(text)
    print(f"{args.out}: codebook read from {printable(args.file)}; check it, then codebook add")
    return EXIT_OK


def cmd_codebook_health(args: argparse.Namespace) -> int:
    from workbench.core.codebook_health import codebook_health, health_lines
    from workbench.core.store import Project

    with Project.open(args.project, read_only=True) as project:
        if project.codebook is None:
            print(f"error: {args.project}: the project has no codebook", file=sys.stderr)
            return EXIT_FAILED
        health = codebook_health(project, close_threshold=args.similar)
    if args.json:
        _print_json(health.to_dict())
        return EXIT_OK
    for line in health_lines(health):
        print(printable(line))
    return EXIT_OK


def cmd_agreement(args: argparse.Namespace) -> int:
    from workbench.core.agreement.report import agreement_command, format_report

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
    )
    if args.json:
        _print_json(report)
    else:
        print(format_report(report))
    return EXIT_OK


def cmd_suggest(args: argparse.Namespace) -> int:
    from workbench.suggest.local_command import run_local_suggest, terminal_progress, wants_local

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
    if args.json:
        _print_json(report)
    else:
        for line in report.get("lines", []):  # type: ignore[union-attr]
            print(line)
    return EXIT_FAILED if failed else EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from workbench.core.store import Project
    from workbench.suggest.claude import ClaudeOptions
    from workbench.suggest.evaluation import evaluate
    from workbench.suggest.prices import DEFAULT_MODEL, give_price, price_of

    options = None
    if args.engine == "claude":
        options = ClaudeOptions(model=args.model or DEFAULT_MODEL)
        if args.price:
            give_price(options.model, args.price)
        price_of(options.model)
    with Project.open(args.project) as project:
        report = evaluate(project, args.engine, holdout=args.holdout, options=options)
    if args.json:
        _print_json(report)
        return EXIT_OK
    if "reason" in report:
        print(f"{args.project}: {report['reason']} (has {report['labelled_passages']})")
        return EXIT_OK
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

    overall = report["overall"]
    print("overall: " + ", ".join(f"{k} {figure(v)}" for k, v in overall.items()))  # type: ignore[union-attr]
    print(f"{'code':<32} {'support':>7} {'precision':>9} {'recall':>6} {'F1':>5} {'kappa':>6}")
    for code, q in report["per_code"].items():  # type: ignore[union-attr]
        print(
            f"{code:<32} {q['support']:>7} {figure(q['precision']):>9} {figure(q['recall']):>6} "
            f"{figure(q['f1']):>5} {figure(q['kappa']):>6}"
        )
    return EXIT_OK


def cmd_evaluate_local(args: argparse.Namespace) -> int:
    from workbench.core.store import Project
    from workbench.suggest.calibration import calibration_lines
    from workbench.suggest.learning import evaluate_local

    with Project.open(args.project) as project:
        report = evaluate_local(project, holdout=args.holdout)
    if args.json:
        _print_json(report)
        return EXIT_OK
    calibration = calibration_lines(report["calibration"])  # type: ignore[arg-type]
    if "reason" in report:
        print(f"{args.project}: {report['reason']} (has {report['labelled_passages']})")
        print("\n".join(calibration))
        return EXIT_OK
    print(
        f"trained on {report['trained_on']} human-reviewed passages, tested on {report['held_back']} held back"
    )
    for name in ("codebook_start", "learned"):
        overall = report[name]["overall"]  # type: ignore[index]
        figures = ", ".join(
            f"{k} {v:.2f}" if v is not None else f"{k} -" for k, v in overall.items()
        )
        print(f"{name.replace('_', ' '):>15}: {figures}")
    print("per code (learned): support, precision, recall")
    for code, quality in report["learned"]["per_code"].items():  # type: ignore[index]
        p, r = (
            "-" if value is None else f"{value:.2f}"
            for value in (quality["precision"], quality["recall"])
        )
        print(f"  {code:<30} {quality['support']:>4}  {p:>5}  {r:>5}")
    print("\n".join(calibration))
    return EXIT_OK


def cmd_local_only(args: argparse.Namespace) -> int:
    from workbench.core.store import Project
    from workbench.core.store.privacy import set_local_only

    with Project.open(args.project) as project:
        changed = set_local_only(project, args.transcripts.split(","), not args.off)
    state = (
        "may now be sent to an LLM engine"
        if args.off
        else "are local-only: never sent to an LLM engine"
    )
    print(f"{changed} transcripts {state}")
    return EXIT_OK


def cmd_speakers(args: argparse.Namespace) -> int:
    from workbench.core.store import Project
    from workbench.core.store.speaker_roles import (
        decisions_on_interviewer_passages,
        label_summaries,
        set_speaker_roles,
    )

    with Project.open(args.project) as project:
        if args.set:
            _require_lead(project, args.lead, "set speaker roles")
        change = set_speaker_roles(project, dict(args.set), args.lead) if args.set else None
        with project.reading() as conn:
            labels = label_summaries(conn, project.settings)
            standing = decisions_on_interviewer_passages(conn)
    report: dict[str, object] = {
        "labels": [label.to_dict() for label in labels],
        "decisions_on_interviewer_passages": standing.to_dict(),
    }
    if change is not None:
        report["changed"] = change.to_dict()
    if args.json:
        _print_json(report)
        return EXIT_OK
    if change is not None:
        for label, role in change.roles.items():
            print(f"{label}: now {role}")
        print(
            f"{len(change.to_interviewer)} passages became interviewer turns, "
            f"{len(change.to_participant)} became participant turns"
        )
        if change.kept.count:
            print(
                f"{_decisions(change.kept.count)} stand on passages that became interviewer "
                "turns (kept, not deleted):"
            )
            _print_standing(change.kept.to_dict())
    width = max([len(label.label) for label in labels] + [5])
    print(f"{'label':<{width}}  {'role':<11}  {'passages':>8}  {'decisions':>9}")
    for label in labels:
        mark = " (set by lead)" if label.set_by_lead else ""
        print(
            f"{label.label:<{width}}  {label.role.value:<11}  {label.passages:>8}  "
            f"{label.decisions:>9}{mark}"
        )
    verb = "stands" if standing.count == 1 else "stand"
    print(f"{_decisions(standing.count)} {verb} on interviewer passages")
    _print_standing(standing.to_dict())
    return EXIT_OK


def _print_standing(standing: dict) -> None:  # type: ignore[type-arg]
    for coder, item in standing["by_coder"].items():
        passages = item["passages"]
        shown = ", ".join(passages[:10]) + (
            f" and {len(passages) - 10} more" if len(passages) > 10 else ""
        )
        print(f"  {coder}: {_decisions(item['decisions'])} on {shown}")


def _decisions(count: int) -> str:
    return f"{count} decision" if count == 1 else f"{count} decisions"


def _label_role(value: str) -> tuple[str, str]:
    """``LABEL=interviewer|participant`` as given to ``speakers --set``."""
    label, sep, role = value.rpartition("=")
    role = role.strip().lower()
    if not sep or not label.strip() or role not in ("interviewer", "participant"):
        raise argparse.ArgumentTypeError(
            f"'{value}': expected LABEL=interviewer or LABEL=participant"
        )
    return label.strip(), role


def cmd_disagreements(args: argparse.Namespace) -> int:
    from workbench.core.agreement.adjudication import find_disagreements
    from workbench.core.agreement.data import project_data
    from workbench.core.agreement.raters import choose_raters
    from workbench.core.store import Project

    with Project.open(args.project) as project:
        data = project_data(project, include_engines=args.include_engines)
    chosen = choose_raters(
        data, args.coders.split(",") if args.coders else None, args.include_engines
    )
    found = find_disagreements(data, args.code, chosen.raters)
    if args.json:
        _print_json(
            [
                {"passage_id": d.unit, "codes": {c: sorted(v) for c, v in d.codes.items()}}
                for d in found
            ]
        )
    else:
        for item in found:
            sides = "  |  ".join(
                f"{coder}: {', '.join(sorted(codes)) or '(no code)'}"
                for coder, codes in item.codes.items()
            )
            print(f"{item.unit}  {sides}")
        print(f"{len(found)} passages where coders differ")
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    from workbench.core.store import Project
    from workbench.core.store.search import (
        MARK_END,
        MARK_START,
        Review,
        Role,
        SearchFilters,
        parse_field,
        search_passages,
    )

    filters = SearchFilters(
        code=args.code,
        coder=args.coder,
        engine=args.engine,
        disagreement=args.disagreement,
        role=Role(args.role),
        fields=tuple(parse_field(value) for value in args.field or ()),
        reviewed=Review(args.reviewed),
        reviewed_by=args.reviewed_by,
        unreviewed_by=args.unreviewed_by,
    )
    with Project.open(args.project, read_only=True) as project, project.reading() as conn:
        result = search_passages(conn, args.query, filters, limit=args.limit)
    if args.json:
        _print_json(result.to_dict())
        return EXIT_OK
    for hit in result.hits:
        codes = "; ".join(f"{coder}: {', '.join(c)}" for coder, c in hit.codes.items())
        snippet = " ".join(hit.snippet.split()).replace(MARK_START, "[").replace(MARK_END, "]")
        print(f"{hit.key}  {hit.speaker or ''}: {printable(snippet)}")
        if codes:
            print(f"    {printable(codes)}")
    more = (
        f" (first {len(result.hits)} shown; --limit for more)"
        if result.total > len(result.hits)
        else ""
    )
    print(f"{result.total_text()}{more}")
    return EXIT_OK


def cmd_adjudicate(args: argparse.Namespace) -> int:
    from workbench.core.agreement.adjudication import adjudicate
    from workbench.core.store import Project

    codes = {c.strip() for c in (args.codes or "").split(",") if c.strip()}
    with Project.open(args.project) as project:
        _require_lead(project, args.lead, "adjudicate")
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
    if args.project is None:
        print("error: sample needs PROJECT (or --anchoring-effect)", file=sys.stderr)
        return EXIT_USAGE
    if args.out:
        check_output_path(args.out)
    size = args.size or sample_size_for_width(args.width, args.expected)
    queue: list[str] | None = None
    with Project.open(args.project) as project:
        if args.assign:
            _require_lead(project, args.lead, "assign a sample")
        strata = stratified_sample(project, size, args.by, args.seed, args.exclude_reviewed_by)
        rows = [(key, name) for name, keys in strata.items() for key in keys]
        if args.assign and rows:
            drawn = transcripts_of_keys(key for key, _name in rows)
            queue = assign_transcripts(
                project, args.lead, args.assign, drawn, source=f"sample (seed {args.seed})"
            )
    if args.out:
        write_sample_csv(strata, args.by, args.out)
    if args.json:
        _print_json(
            {
                "size": len(rows),
                "strata": {k: len(v) for k, v in strata.items()},
                "passages": [r[0] for r in rows],
                **({"assigned_to": args.assign, "queue": queue} if queue is not None else {}),
            }
        )
    else:
        print(
            f"{len(rows)} passages ({', '.join(f'{k}: {len(v)}' for k, v in strata.items())})"
            + (f" written to {args.out}" if args.out else "")
        )
        if queue is not None:
            print(f"{args.assign}'s queue now holds {len(queue)} transcripts")
    return EXIT_OK


def _require_lead(project: Project, name: str, action: str) -> None:
    from workbench.core.roles import require_lead

    require_lead(project.settings.extra, name, action)


def _on_off(value: str) -> bool:
    if value.lower() not in ("on", "off"):
        raise argparse.ArgumentTypeError(f"'{value}': expected on or off")
    return value.lower() == "on"


def _names(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def cmd_settings(args: argparse.Namespace) -> int:
    from workbench.core.roles import assignments_of, engines_allowed, leads_of, roles_of
    from workbench.core.store import Project
    from workbench.core.store.team import change_settings

    with Project.open(args.project) as project:
        changed: dict[str, object] = {}
        wants_change = any(
            value is not None
            for value in (args.blind, args.suggestions_after_first_pass, args.engines)
        ) or bool(args.lead or args.coder)
        if wants_change:
            changed = change_settings(
                project,
                args.acting,
                blind=args.blind,
                suggestions_after_first_pass=args.suggestions_after_first_pass,
                engines=args.engines,
                leads=args.lead or [],
                coders=args.coder or [],
            )
        settings = project.settings
    extra = settings.extra
    report: dict[str, object] = {
        "blind_coding": settings.blind_coding,
        "suggestions_after_first_pass": settings.suggestions_after_first_pass,
        "engines": engines_allowed(extra),
        "roles": roles_of(extra),
        "leads": leads_of(extra),
        "assignments": {coder: len(queue) for coder, queue in assignments_of(extra).items()},
        "speaker_roles": settings.speaker_roles,
        "segmentation": settings.segmentation.value,
    }
    if wants_change:
        report["changed"] = changed
    if args.json:
        _print_json(report)
        return EXIT_OK
    if wants_change:
        print("changed: " + (", ".join(f"{k}={v}" for k, v in changed.items()) or "nothing"))
    roles = roles_of(extra)
    print(f"blind coding:                  {'on' if settings.blind_coding else 'off'}")
    print(
        "suggestions after first pass:  "
        + ("on" if settings.suggestions_after_first_pass else "off")
    )
    print(f"engines allowed:               {', '.join(engines_allowed(extra)) or '(none)'}")
    print(
        "roles:                         "
        + (
            ", ".join(f"{printable(name)} ({role})" for name, role in sorted(roles.items()))
            or "none set: everyone acts as a lead"
        )
    )
    for coder, queue in sorted(assignments_of(extra).items()):
        print(f"queue of {printable(coder)}: {len(queue)} transcripts")
    return EXIT_OK


def cmd_assign(args: argparse.Namespace) -> int:
    from workbench.core.agreement.sampling import read_sample_csv
    from workbench.core.store import Project
    from workbench.core.store.team import assign_transcripts

    if bool(args.transcripts) == bool(args.sample):
        print("error: give --transcripts or --sample (one of them)", file=sys.stderr)
        return EXIT_USAGE
    wanted = read_sample_csv(args.sample) if args.sample else _names(args.transcripts)
    with Project.open(args.project) as project:
        queue = assign_transcripts(
            project, args.lead, args.coder, wanted, source=args.sample or "--transcripts"
        )
    if args.json:
        _print_json({"coder": args.coder, "queue": queue})
    else:
        print(f"{args.coder}'s queue now holds {len(queue)} transcripts")
    return EXIT_OK


def _anchoring_size(args: argparse.Namespace) -> int:
    from workbench.core.agreement.sampling import anchoring_sample_size

    try:
        per_arm = anchoring_sample_size(args.anchoring_effect, args.expected_acceptance)
    except ValueError as exc:
        print(f"error: --anchoring-effect/--expected-acceptance: {exc}", file=sys.stderr)
        return EXIT_USAGE
    passages = 2 * per_arm
    if args.json:
        _print_json(
            {
                "effect": args.anchoring_effect,
                "expected_acceptance": args.expected_acceptance,
                "answered_per_arm": per_arm,
                "passages_per_coder": passages,
            }
        )
    else:
        print(
            f"{per_arm} answered suggestions per arm to detect a difference of "
            f"{args.anchoring_effect:g} in acceptance from {args.expected_acceptance:g} "
            f"(alpha .05, power .8): {passages} passages per coder at one suggestion a passage"
        )
    return EXIT_OK


def cmd_anchoring(args: argparse.Namespace) -> int:
    from workbench.core.agreement.anchoring import LABELS, MEASURES, project_anchoring
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
            new = Experiment(bool(args.on), seed)
            extra = dict(project.settings.extra) | {SETTING: new.to_setting()}
            project.update_settings(args.lead, extra=extra)
            state = f"on (seed {seed})" if new.on else "off"
            if args.json:
                _print_json({"project": args.project, "anchoring_experiment": new.to_setting()})
            else:
                print(printable(f"{args.project}: anchoring experiment {state}"))
            return EXIT_OK
        result = project_anchoring(project, resamples=args.resamples)
    if args.json:
        _print_json(result.to_json())
        return EXIT_OK
    print(result.verdict)
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
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from workbench.core.safe_output import check_output_path
    from workbench.core.store import Project
    from workbench.reports.writer import write_report
    from workbench.suggest.cli_support import terminal_progress

    check_output_path(args.out)
    if args.split and args.kind != "analysis":
        print("error: --split applies to --kind analysis only", file=sys.stderr)
        return EXIT_USAGE
    if args.by and args.kind != "agreement":
        print("error: --by applies to --kind agreement only", file=sys.stderr)
        return EXIT_USAGE
    with Project.open(args.project) as project:
        written = write_report(
            project,
            args.kind,
            args.out,
            ci=not args.no_ci,
            progress=terminal_progress,
            by=args.by,
            split_fields=args.split,
        )
    print(f"wrote the {args.kind} report to {written}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from workbench.core.store import Project
    from workbench.sample import create_demo_project

    location = create_demo_project(Path(args.project) if args.project else None)
    if args.no_gui:
        with Project.open(location) as project:
            _print_json(project.status())
        return EXIT_OK
    from workbench.gui.app import run_gui

    return run_gui(
        str(location),
        screenshot=args.screenshot,
        size=args.size,
        transcript=args.transcript,
        coder=args.coder,
    )


def cmd_gui(args: argparse.Namespace) -> int:
    from workbench.gui.app import run_gui

    return run_gui(
        args.project,
        screenshot=args.screenshot,
        size=args.size,
        transcript=args.transcript,
        coder=args.coder,
        read_only=bool(args.screenshot),  # a screenshot of a real study leaves no trace in it
    )


def getpass_user() -> str:
    """The login name, for the audit log's "who" when no --lead is given."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no such user entry (containers) or no environment to ask
        return "workbench"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Qualitative coding of interview transcripts: import, code, measure agreement.",
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(
        name: str, handler: Callable[[argparse.Namespace], int], help_text: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    new = add("new", cmd_new, "create a project (one SQLite file, or a SQLAlchemy URL)")
    new.add_argument("project")
    new.add_argument("--codebook", help="YAML codebook to start with")
    new.add_argument(
        "--from", dest="from_file", metavar="FILE", help="a REFI-QDA project (.qdpx or .qde)"
    )
    new.add_argument("--segmentation", choices=[s.value for s in Segmentation], default="turn")
    new.add_argument("--json", action="store_true")

    imp = add(
        "import",
        cmd_import,
        "import transcripts (.txt .md .csv .tsv .jsonl), metadata, decisions or a REFI-QDA "
        "project (.qdpx .qde)",
    )
    imp.add_argument("project")
    imp.add_argument("files", nargs="+")
    imp.add_argument("--metadata", help="CSV keyed by transcript id (group, region, language, ...)")
    imp.add_argument(
        "--decisions",
        action="store_true",
        help="FILES are passage_id,coder,code tables (.csv, or .xlsx: its first sheet)",
    )
    imp.add_argument(
        "--dry-run",
        action="store_true",
        help="REFI-QDA: print what would be imported and what cannot be mapped; write nothing",
    )
    imp.add_argument("--json", action="store_true")

    status = add("status", cmd_status, "counts of transcripts, passages, coders and decisions")
    status.add_argument("project")
    status.add_argument("--json", action="store_true")

    verify = add(
        "verify",
        cmd_verify,
        "check the database file and the hash chains of decisions and the audit log",
    )
    verify.add_argument("project")
    verify.add_argument("--json", action="store_true")

    backup = add(
        "backup",
        cmd_backup,
        "copy a project into its backups folder (PROJECT.backups/), or list the copies there",
    )
    backup.add_argument("project")
    backup.add_argument("--list", action="store_true", help="list the backups, newest first")
    backup.add_argument("--json", action="store_true")

    restore = add(
        "restore",
        cmd_restore,
        "replace a project with one of its backups (the current state is backed up first)",
    )
    restore.add_argument("project")
    restore.add_argument("backup", help="a backup file, or its name in the backups folder")
    restore.add_argument("--yes", action="store_true", help="do not ask (needed when not a TTY)")
    restore.add_argument("--json", action="store_true")

    export = add(
        "export",
        cmd_export,
        "write the coded data by --out's extension: one row per passage with metadata and each "
        "coder's codes (.csv .xlsx .parquet; memos in their own table), or the whole project "
        "as REFI-QDA (.qdpx)",
    )
    export.add_argument("project")
    export.add_argument("--out", required=True)
    export.add_argument(
        "--long",
        action="store_true",
        help="one row per passage, coder and code, with when, codebook version, engine, "
        "confidence, rationale and metadata",
    )
    export.add_argument("--coder", metavar="NAME", help="with --blind: the coder the file is for")
    export.add_argument(
        "--blind",
        action="store_true",
        help="only --coder's codes and memos (and engines' suggestions as the project shows them)",
    )
    export.add_argument("--json", action="store_true")

    codebook = add(
        "codebook",
        lambda _args: EXIT_USAGE,
        "check, compare, add or migrate a codebook",
    )
    codebook_commands = codebook.add_subparsers(
        dest="codebook_command", metavar="ACTION", required=True
    )
    check = codebook_commands.add_parser("check", help="report every problem as FILE:LINE: message")
    check.add_argument("file")
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=cmd_codebook_check)
    add_cb = codebook_commands.add_parser(
        "add", help="store a codebook as the project's new version"
    )
    add_cb.add_argument("project")
    add_cb.add_argument("file")
    add_cb.add_argument("--lead", default=getpass_user(), help="who adds (must be a lead)")
    add_cb.set_defaults(handler=cmd_codebook_add)
    diff_cb = codebook_commands.add_parser(
        "diff", help="codes added, removed, renamed, merged, moved and redefined"
    )
    diff_cb.add_argument("old", help="a codebook file, or PROJECT@N for stored version N")
    diff_cb.add_argument("new", help="a codebook file, or PROJECT@N for stored version N")
    diff_cb.add_argument("--json", action="store_true")
    diff_cb.set_defaults(handler=cmd_codebook_diff)
    lead = getpass_user()
    migrate_cb = codebook_commands.add_parser(
        "migrate", help="store a new codebook version and carry every coding to it"
    )
    migrate_cb.add_argument("project")
    migrate_cb.add_argument("file")
    migrate_cb.add_argument(
        "--map", action="append", metavar="OLD=NEW", help="rename (OLD= archives OLD)"
    )
    migrate_cb.add_argument("--merge", action="append", metavar="A,B=C", help="merge codes")
    migrate_cb.add_argument("--split", action="append", metavar="A=B,C", help="split a code")
    migrate_cb.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
    migrate_cb.add_argument("--lead", default=lead, help="who migrates (recorded in the audit log)")
    migrate_cb.add_argument("--json", action="store_true")
    migrate_cb.set_defaults(handler=cmd_codebook_migrate)
    archived = codebook_commands.add_parser(
        "archived", help="list codings archived by migrations, or restore them"
    )
    archived.add_argument("project")
    archived.add_argument("--code", help="only the codings of this code")
    archived.add_argument("--restore", metavar="CODE", help="put CODE's archived codings back")
    archived.add_argument(
        "--as", dest="as_code", metavar="NEW", help="restore them as this current code"
    )
    archived.add_argument("--lead", default=lead, help="who restores (recorded in the audit log)")
    archived.add_argument("--json", action="store_true")
    archived.set_defaults(handler=cmd_codebook_archived)
    rereview = codebook_commands.add_parser(
        "rereview", help="passages a split code left for their coders to decide again"
    )
    rereview.add_argument("project")
    rereview.add_argument("--json", action="store_true")
    rereview.set_defaults(handler=cmd_codebook_rereview)
    export_cb = codebook_commands.add_parser(
        "export", help="write a codebook as YAML, .qdc, Markdown, DOCX or CSV (by --out's suffix)"
    )
    export_cb.add_argument("source", help="a codebook YAML file, or a project")
    export_cb.add_argument(
        "--out", required=True, help="FILE.yaml, .qdc, .md, .docx or .csv (the suffix decides)"
    )
    export_cb.set_defaults(handler=cmd_codebook_export)
    import_cb = codebook_commands.add_parser(
        "import", help="read a REFI-QDA code book (.qdc, or a project's) into YAML"
    )
    import_cb.add_argument("file", help="a .qdc file (or a .qdpx/.qde project)")
    import_cb.add_argument("--out", help="the YAML file to write (default: print it)")
    import_cb.set_defaults(handler=cmd_codebook_import)
    health_cb = codebook_commands.add_parser(
        "health",
        help="codes never used, low agreement, confused pairs, no examples, close definitions",
    )
    health_cb.add_argument("project")
    health_cb.add_argument(
        "--similar",
        type=float,
        default=0.5,
        metavar="COSINE",
        help="definitions at least this alike (TF-IDF cosine) are reported (default 0.5)",
    )
    health_cb.add_argument("--json", action="store_true")
    health_cb.set_defaults(handler=cmd_codebook_health)

    agree = add(
        "agreement", cmd_agreement, "inter-rater agreement for a project or a unit,coder,value CSV"
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
        "--by", metavar="FIELD", help="also per value of a metadata field (language, group, ...)"
    )
    agree.add_argument(
        "--tree-level",
        metavar="N|all",
        help="codes rolled up to level N of the code tree (1 = top), or every level",
    )
    agree.add_argument(
        "--ci", action="store_true", help="bootstrap 95%% intervals (1000 resamples)"
    )
    agree.add_argument("--json", action="store_true")

    suggest = add("suggest", cmd_suggest, "suggest codes with the local engine or Claude")
    suggest.add_argument("project")
    suggest.add_argument(
        "--engine",
        choices=["local", "claude"],
        default=None,
        help="default: claude with a key, else local",
    )
    suggest.add_argument("--model", help="Claude model (default: the price table's default)")
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
    suggest.add_argument("--max-cost", type=float, help="stop before spending more than this (USD)")
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

    speakers = add(
        "speakers",
        cmd_speakers,
        "list speaker labels with their role; --set makes a label interviewer or participant",
    )
    speakers.add_argument("project")
    speakers.add_argument(
        "--set",
        action="append",
        type=_label_role,
        metavar="LABEL=ROLE",
        help="ROLE is interviewer or participant; repeat for several labels",
    )
    speakers.add_argument(
        "--lead", default="workbench", help="who decides (recorded in the audit log)"
    )
    speakers.add_argument("--json", action="store_true")

    dis = add("disagreements", cmd_disagreements, "passages where coders differ (for adjudication)")
    dis.add_argument("project")
    dis.add_argument("--code", help="only disagreement about this code")
    dis.add_argument("--coders", help="coders to compare, comma-separated")
    dis.add_argument(
        "--include-engines", action="store_true", help="compare the engines' codes too"
    )
    dis.add_argument("--json", action="store_true")

    search = add(
        "search",
        cmd_search,
        "full-text search of passages, or every passage coded X (with an empty QUERY)",
    )
    search.add_argument("project")
    search.add_argument(
        "query", help='words (all must occur), "a phrase", word* for a prefix, OR, NOT; "" for none'
    )
    search.add_argument("--code", help="only passages coded with this code (by a human)")
    search.add_argument(
        "--coder", help="only this coder's codings (with --engine: an engine coder)"
    )
    search.add_argument(
        "--engine", action="store_true", help="codes suggested by an engine's latest run instead"
    )
    search.add_argument(
        "--disagreement", action="store_true", help="only where human coders differ (on --code)"
    )
    search.add_argument("--role", choices=["any", "participant", "interviewer"], default="any")
    search.add_argument(
        "--field", action="append", metavar="FIELD=VALUE", help="metadata filter (repeatable)"
    )
    search.add_argument(
        "--reviewed", choices=["any", "yes", "no"], default="any", help="reviewed by any human"
    )
    search.add_argument("--reviewed-by", metavar="NAME", help="only passages NAME reviewed")
    search.add_argument("--unreviewed-by", metavar="NAME", help="only passages NAME has not")
    search.add_argument("--limit", type=int, default=200, help="passages to show (default 200)")
    search.add_argument("--json", action="store_true")

    adj = add(
        "adjudicate", cmd_adjudicate, "record the consensus codes of a passage, with a reason"
    )
    adj.add_argument("project")
    adj.add_argument("passage", help="passage id, e.g. work_0001#4")
    adj.add_argument(
        "--codes", default="", help="consensus codes, comma-separated (empty: no code applies)"
    )
    adj.add_argument("--lead", required=True, help="who decides")
    adj.add_argument("--reason", required=True)

    sample = add(
        "sample", cmd_sample, "draw a stratified random sample of passages for double coding"
    )
    sample.add_argument("project", nargs="?")
    sample.add_argument("--size", type=int, help="passages to draw (default: from --width)")
    sample.add_argument("--width", type=float, default=0.1, help="target 95%% interval width")
    sample.add_argument("--expected", type=float, default=0.8, help="expected agreement")
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

    anchoring = add(
        "anchoring",
        cmd_anchoring,
        "the anchoring experiment: switch it on or off, or report its arms with intervals",
    )
    anchoring.add_argument("project")
    anchoring.add_argument("--on", action="store_true", help="randomise arms (lead action)")
    anchoring.add_argument("--off", action="store_true", help="stop randomising")
    anchoring.add_argument("--seed", type=int, help="with --on: the randomisation's seed")
    anchoring.add_argument("--lead", default=getpass_user(), help="recorded in the audit log")
    anchoring.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    anchoring.add_argument("--json", action="store_true")

    team = add(
        "settings",
        cmd_settings,
        "list the project settings, or change them (blind coding, engines, roles); leads only",
    )
    team.add_argument("project")
    team.add_argument("--blind", type=_on_off, metavar="on|off", help="blind coding")
    team.add_argument(
        "--suggestions-after-first-pass",
        type=_on_off,
        metavar="on|off",
        help="show engine suggestions only after a coder's own first pass",
    )
    team.add_argument("--engines", type=_names, metavar="local,claude", help="engines allowed")
    team.add_argument("--lead", action="append", metavar="NAME", help="make NAME a lead")
    team.add_argument("--coder", action="append", metavar="NAME", help="make NAME a coder")
    team.add_argument(
        "--as", dest="acting", default=lead, metavar="NAME", help="who changes (must be a lead)"
    )
    team.add_argument("--json", action="store_true")

    assign = add("assign", cmd_assign, "add transcripts to a coder's queue (leads only)")
    assign.add_argument("project")
    assign.add_argument("--coder", required=True, metavar="NAME")
    assign.add_argument("--transcripts", metavar="A,B", help="transcript ids, comma-separated")
    assign.add_argument(
        "--sample", metavar="FILE.csv", help="a sample file (passage_id column): its transcripts"
    )
    assign.add_argument("--lead", default=lead, help="who assigns (must be a lead)")
    assign.add_argument("--json", action="store_true")

    report = add("report", cmd_report, "agreement or findings report: .html .pdf .xlsx .csv")
    report.add_argument("project")
    report.add_argument("--kind", choices=["agreement", "analysis"], required=True)
    report.add_argument("--out", required=True, help="FILE.html, FILE.pdf, FILE.xlsx or FILE.csv")
    report.add_argument("--no-ci", action="store_true", help="skip bootstrap intervals (faster)")
    report.add_argument(
        "--by",
        action="append",
        metavar="FIELD",
        help="agreement: also per value of this metadata field (repeatable)",
    )
    report.add_argument(
        "--split",
        action="append",
        metavar="FIELD",
        help="analysis: split every code by this metadata field (repeatable; default: every "
        "field with 2 to 20 groups)",
    )

    evaluation = add(
        "evaluate",
        cmd_evaluate,
        "per-code precision, recall, F1 and kappa of an engine against held-back human decisions",
    )
    evaluation.add_argument("project")
    evaluation.add_argument("--engine", choices=["local", "claude"], default="local")
    evaluation.add_argument("--model", help="Claude model (default: the price table's default)")
    evaluation.add_argument("--price", metavar="IN,OUT", help="USD per million tokens, as suggest")
    evaluation.add_argument(
        "--holdout", type=float, default=0.3, help="share held back for testing"
    )
    evaluation.add_argument("--json", action="store_true")

    evaluate = add(
        "evaluate-local",
        cmd_evaluate_local,
        "the local engine against human decisions, learned versus codebook start (an alias "
        "kept from before 'evaluate')",
    )
    evaluate.add_argument("project")
    evaluate.add_argument("--holdout", type=float, default=0.3, help="share held back for testing")
    evaluate.add_argument("--json", action="store_true")

    local = add(
        "local-only", cmd_local_only, "mark transcripts as never to be sent to an LLM engine"
    )
    local.add_argument("project")
    local.add_argument("transcripts", help="transcript ids, comma-separated")
    local.add_argument("--off", action="store_true", help="allow sending them again")

    for name, handler, help_text in (
        ("demo", cmd_demo, "open a fresh project made from the bundled sample study"),
        ("gui", cmd_gui, "open the coding workspace"),
    ):
        sub = add(name, handler, help_text)
        sub.add_argument("project", nargs="?", help="project file (demo: where to create it)")
        sub.add_argument(
            "--screenshot",
            metavar="FILE.png",
            help="render offscreen, save, exit"
            + (" (the project is opened read-only)" if name == "gui" else ""),
        )
        sub.add_argument("--size", default="1400x900", help="window size for --screenshot")
        sub.add_argument("--transcript", help="transcript id to show first")
        sub.add_argument("--coder", help="your coder name (otherwise asked once and remembered)")
        if name == "demo":
            sub.add_argument(
                "--no-gui", action="store_true", help="create the project, print its status"
            )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        code = args.handler(args)
        sys.stdout.flush()  # output still buffered meets a closed pipe here, where it is caught
        return code
    except BrokenPipeError:
        return _closed_pipe()
    except WorkbenchError as exc:
        # A codebook error lists its problems one a line; any other error is one line, however
        # many newlines or escapes the file names in it carry.
        if isinstance(exc, CodebookError) and exc.problems:
            lines = [str(p) for p in exc.problems if p.severity == "error"] or [str(exc)]
        else:
            lines = [str(exc)]
        for line in lines:
            print(f"error: {printable(line)}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted; nothing partial was written", file=sys.stderr)
        return 130
    except Exception as exc:
        from sqlalchemy.exc import SQLAlchemyError  # only where a failure may have come from it

        if not isinstance(exc, SQLAlchemyError):
            raise
        detail = getattr(exc, "orig", None) or exc
        print(
            f"error: the project database refused the change, nothing was written: {detail}",
            file=sys.stderr,
        )
        return EXIT_FAILED


def _closed_pipe() -> int:
    """The reader went away (``| head``): stop quietly, as a Unix tool does.

    stdout is pointed at devnull so the interpreter's final flush of what is still buffered
    does not print a second BrokenPipeError on the way out (the recipe in Python's signal docs).
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_CLOSED_PIPE


if __name__ == "__main__":
    sys.exit(main())
