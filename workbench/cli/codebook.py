"""``workbench codebook ACTION``: check, add, diff, migrate, export, import, health, archived,
rereview."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from workbench.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_command,
    getpass_user,
    require_lead,
    unit_interval,
)
from workbench.cli.output import render
from workbench.core.printable import printable

if TYPE_CHECKING:
    from workbench.core.codebook import Codebook
    from workbench.core.store.codebook_changes import ArchivedCoding

Row = TypeVar("Row")


def cmd_codebook_check(args: argparse.Namespace) -> int:
    from workbench.core.codebook import check_codebook

    codebook, problems = check_codebook(args.file)
    errors = [p for p in problems if p.severity == "error"]

    def text() -> None:
        for problem in problems:
            print(
                printable(str(problem)),
                file=sys.stderr if problem.severity == "error" else sys.stdout,
            )
        if codebook is not None:
            print(
                f"{args.file}: ok: '{codebook.name}' v{codebook.version}, {len(codebook.ids)} codes"
            )

    result = {
        "file": args.file,
        "ok": not errors,
        "codes": len(codebook.ids) if codebook else None,
        "problems": [p.__dict__ for p in problems],
    }
    render(result, args.json, text)
    return EXIT_FAILED if errors else EXIT_OK


def cmd_codebook_add(args: argparse.Namespace) -> int:
    from workbench.core.codebook import load_codebook
    from workbench.core.codebook_edit import remember_codebook_source
    from workbench.core.store import Project

    codebook = load_codebook(args.file)
    with Project.open(args.project) as project:
        require_lead(project, args.lead, "add a codebook version")
        version = project.add_codebook_version(codebook, actor=args.lead)
        remember_codebook_source(project, args.file, args.lead)
    print(f"{args.project}: codebook '{codebook.name}' is now version {version}")
    return EXIT_OK


def _codebook_source(spec: str) -> Codebook:
    """A codebook file, ``PROJECT@N`` for version N stored in a project, or a bare project
    for its newest version (as ``codebook export`` takes it)."""
    from workbench.core.codebook import load_codebook
    from workbench.core.errors import ProjectError

    location, version = _project_version(spec)
    if version is None and not _is_project(location):
        project_part, sep, after = spec.rpartition("@")
        if sep and _is_project(project_part):
            raise ProjectError(
                f"{spec}: after '@' comes a codebook version number, e.g. {project_part}@1"
            )
        return load_codebook(spec)
    from workbench.core.store import Project

    with Project.open(location, read_only=True) as project:
        codebook = project.codebook if version is None else project.codebook_at(version)
    if codebook is None:
        raise ProjectError(f"{location}: the project has no codebook")
    return codebook


def _is_project(spec: str) -> bool:
    """A database URL, or a file that is an SQLite database (whatever its name): a codebook
    is YAML text, and reading a project as YAML only says it is not UTF-8."""
    if "://" in spec:
        return True
    path = Path(spec)
    if path.suffix.lower() in (".yaml", ".yml") or not path.is_file():
        return False
    try:
        with path.open("rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _project_version(spec: str) -> tuple[str, int | None]:
    """``PROJECT@N`` -> (PROJECT, N); a bare project (or a path that exists as written, ``@``
    and all) -> (PROJECT, None), its newest version."""
    location, sep, version = spec.rpartition("@")
    if sep and version.isdigit() and not Path(spec).exists():
        return location, int(version)
    return spec, None


def cmd_codebook_diff(args: argparse.Namespace) -> int:
    from workbench.core.codebook_diff import diff_codebooks

    diff = diff_codebooks(
        _codebook_source(args.old), _codebook_source(args.new), args.old, args.new
    )

    def text() -> None:
        if not diff.changed:
            print(f"{args.old} -> {args.new}: no change to any code")
            return
        print(f"{args.old} -> {args.new}:")
        for line in diff.lines():
            print(f"  {printable(line)}")

    render(diff.to_dict(), args.json, text)
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
            require_lead(project, args.lead, "migrate the codebook")
            result = apply_migration(project, plan, args.lead)
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

    def text() -> None:
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

    render(report, args.json, text)
    if refusal is not None:
        print(f"error: {printable(refusal)}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_codebook_rereview(args: argparse.Namespace) -> int:
    from workbench.core.store import Project
    from workbench.core.store.codebook_changes import list_review_flags

    with Project.open(args.project) as project, project.reading() as conn:
        flags = list_review_flags(conn)

    _render_listing(
        flags,
        args.json,
        lambda flag: (
            f"{flag.passage}  {flag.coder}  was {flag.code_id}, split in "
            f"v{flag.to_version} into {', '.join(flag.candidates)}"
        ),
        f"{args.project}: no passage needs re-review",
    )
    return EXIT_OK


def _render_listing(
    rows: Sequence[Row], as_json: bool, line: Callable[[Row], str], empty: str
) -> None:
    """One line a row, or ``empty`` when there are none; ``--json`` gets the rows' fields. The
    listing commands of this group (rereview, archived) print their records alike."""

    def text() -> None:
        for row in rows:
            print(printable(line(row)))
        if not rows:
            print(empty)

    render([row.__dict__ for row in rows], as_json, text)


def cmd_codebook_archived(args: argparse.Namespace) -> int:
    from workbench.core.codebook_migration import restore_archived
    from workbench.core.store import Project
    from workbench.core.store.codebook_changes import list_archived

    with Project.open(args.project) as project:
        if args.restore:
            require_lead(project, args.lead, "restore archived codings")
            restored = restore_archived(project, args.restore, args.lead, args.as_code)
            print(f"{args.project}: {restored} codings of '{args.restore}' restored")
            return EXIT_OK
        with project.reading() as conn:
            rows = list_archived(conn, args.code)

    def line(row: ArchivedCoding) -> str:
        state = f"restored (decision {row.restored_by})" if row.restored_by else "archived"
        return f"{row.passage}  {row.coder}  {row.code_id}  {row.why} in v{row.to_version}  {state}"

    _render_listing(rows, args.json, line, f"{args.project}: no archived codings")
    return EXIT_OK


def cmd_codebook_export(args: argparse.Namespace) -> int:
    from workbench.core.errors import WorkbenchError
    from workbench.interop.codebook_export import code_stats, export_codebook, export_format

    try:
        export_format(args.out)
    except WorkbenchError as exc:  # a wrong option, as `export` says: usage, exit 2
        print(printable(f"error: {exc}"), file=sys.stderr)
        return EXIT_USAGE
    source = Path(args.source)
    codebook: Codebook | None
    if source.suffix.lower() in (".yaml", ".yml") and source.is_file():
        from workbench.core.codebook import load_codebook

        codebook = load_codebook(source)
        kind = export_codebook(codebook, args.out)
    else:
        from workbench.core.store import Project

        location, version = _project_version(args.source)
        with Project.open(location, read_only=True) as project:
            codebook = project.codebook if version is None else project.codebook_at(version)
            if codebook is None:
                print(f"error: {location}: the project has no codebook", file=sys.stderr)
                return EXIT_FAILED
            stats = code_stats(project, version)
        kind = export_codebook(codebook, args.out, stats)
    print(
        printable(f"{args.out}: codebook '{codebook.name}' v{codebook.version} written as {kind}")
    )
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
        codebook = project.codebook
        if args.codebook_version is not None:  # an unknown version is one clear error
            codebook = project.codebook_at(args.codebook_version)
        health = codebook_health(
            project, close_threshold=args.similar, codebook_version=args.codebook_version
        )

    def text() -> None:
        if args.codebook_version is not None:
            print(
                printable(
                    f"codebook '{codebook.name}' v{codebook.version}; "
                    f"codings made under version {args.codebook_version}"
                )
            )
        for line in health_lines(health):
            print(printable(line))

    render(health.to_dict(), args.json, text)
    return EXIT_OK


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register this group's commands, each with its handler."""
    lead = getpass_user()
    codebook = add_command(
        commands,
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
    export_cb.add_argument(
        "source",
        help="a codebook YAML file, a project (its newest version), or PROJECT@N for stored "
        "version N",
    )
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
        type=unit_interval,
        default=0.5,
        metavar="COSINE",
        help="definitions at least this alike (TF-IDF cosine) are reported (default 0.5)",
    )
    health_cb.add_argument(
        "--codebook-version",
        type=int,
        metavar="N",
        help="stored codebook version N and only the codings made under it",
    )
    health_cb.add_argument("--json", action="store_true")
    health_cb.set_defaults(handler=cmd_codebook_health)
