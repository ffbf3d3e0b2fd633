"""Commands on a project as a whole: ``new``, ``status``, ``settings``, ``backup``, ``restore``,
``verify``, ``merge``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_command,
    comma_list,
    getpass_user,
)
from workbench.cli.output import render
from workbench.cli.transcripts import refi_import
from workbench.core.printable import printable
from workbench.core.segmenter import Segmentation

if TYPE_CHECKING:
    from workbench.core.merge import MergeReport
    from workbench.core.store import ProjectSettings


def cmd_new(args: argparse.Namespace) -> int:
    from workbench.core.codebook import load_codebook
    from workbench.core.codebook_edit import remember_codebook_source
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
        if args.codebook:
            remember_codebook_source(project, args.codebook)
        status = project.status()
    version = (
        f", codebook '{status['codebook_name']}' v{status['codebook_version']}" if codebook else ""
    )
    render(status, args.json, lambda: print(printable(f"created {args.project}{version}")))
    return EXIT_OK


def _new_from_refi(args: argparse.Namespace, settings: ProjectSettings) -> int:
    """``new --from FILE.qdpx``: a project made from one, whole or not at all where it can be."""
    from workbench.core.store.database import is_url

    if is_url(args.project):
        return _new_from_refi_on_server(args, settings)
    return _new_from_refi_file(args, settings)


def _new_from_refi_file(args: argparse.Namespace, settings: ProjectSettings) -> int:
    """Build under a temporary name beside the target and rename it into place only when the
    whole import succeeded: a killed run leaves no half project under the name the user chose,
    only a hidden partial file that the next run deletes."""
    from workbench.core.errors import ProjectError
    from workbench.core.partial_project import (
        clear_stale_partials,
        partial_path,
        publish,
        remove_partial,
    )
    from workbench.core.store import Project

    final = Path(args.project).expanduser()
    taken = final.exists() and final.stat().st_size > 0
    for path in clear_stale_partials(final, refuse_live=not taken):
        print(
            printable(f"removed {path}: an earlier 'new' of {final} was cut short"),
            file=sys.stderr,
        )
    if taken:
        raise ProjectError(f"{final}: already exists; open it instead, or choose a new name")
    partial = partial_path(final)
    try:
        with Project.create(
            partial,
            settings=settings,
            audit_detail={"location": str(final), "from": str(args.from_file)},
        ) as project:
            report = refi_import(
                project, args.from_file, dry_run=False, as_json=args.json, backup=False
            )
        publish(partial, final)
    except BaseException:
        remove_partial(partial)
        raise
    with Project.open(final) as project:
        status = project.status()
    render(
        {"import": report, "status": status},
        args.json,
        lambda: print(printable(f"created {args.project} from {args.from_file}")),
    )
    return EXIT_OK


def _new_from_refi_on_server(args: argparse.Namespace, settings: ProjectSettings) -> int:
    """On a database server there is no rename: the project exists from its first step. A
    failure says so, and how to finish it, since ``new`` again refuses the taken database."""
    from workbench.core.errors import ProjectError
    from workbench.core.store import Project
    from workbench.core.store.database import shown_location

    shown = shown_location(args.project)
    project = Project.create(
        args.project, settings=settings, audit_detail={"from": str(args.from_file)}
    )
    incomplete = (
        f"the project {shown} was created but is incomplete; "
        f"'workbench import {shown} {args.from_file}' completes it"
    )
    try:
        with project:
            report = refi_import(project, args.from_file, dry_run=False, as_json=args.json)
            status = project.status()
    except KeyboardInterrupt:
        print(printable(f"interrupted; {incomplete}"), file=sys.stderr)
        return 130
    except Exception as exc:
        detail = getattr(exc, "orig", None) or exc
        raise ProjectError(f"{detail}; {incomplete}") from exc
    render(
        {"import": report, "status": status},
        args.json,
        lambda: print(printable(f"created {shown} from {args.from_file}")),
    )
    return EXIT_OK


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
    render(status, args.json, lambda: print_status(status))
    return EXIT_OK


def print_status(status: dict[str, object]) -> None:
    """The status for a person, one labelled line a figure (also what ``demo --no-gui`` shows)."""
    for key, value in status.items():
        note = f"  ({STATUS_NOTES[key]})" if key in STATUS_NOTES else ""
        print(f"{STATUS_LABELS.get(key, key.replace('_', ' ')):>18}: {value}{note}")


def cmd_verify(args: argparse.Namespace) -> int:
    from workbench.core.store.integrity import verify_project

    report = verify_project(args.project)

    def text() -> None:
        if report.ok:
            print(f"{args.project}: OK (integrity check, triggers and hash chains)")
            return
        for problem in report.problems():
            print(f"{args.project}: {problem}")

    render(report.to_dict(), args.json, text)
    return EXIT_OK if report.ok else EXIT_FAILED


def cmd_backup(args: argparse.Namespace) -> int:
    from workbench.core.store.backups import backup_file, list_backups, utc_stamp

    if args.list:
        backups = list_backups(args.project)

        def text() -> None:
            if not backups:
                print(printable(f"{args.project}: no backups yet"))
            for backup in backups:
                print(
                    printable(
                        f"{backup.path.name}  {utc_stamp(backup.taken_at)}  {backup.reason}  "
                        f"{backup.size / 1e6:.1f} MB"
                    )
                )

        render(
            {"project": args.project, "backups": [b.to_dict() for b in backups]}, args.json, text
        )
        return EXIT_OK
    target = backup_file(args.project, "manual")
    render(
        {"project": args.project, "backup": str(target)},
        args.json,
        lambda: print(printable(str(target))),
    )
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
    saved = f"; the replaced state is kept as {result.saved_as}" if result.saved_as else ""
    render(
        result.to_dict(),
        args.json,
        lambda: print(printable(f"{args.project}: restored from {result.backup.name}{saved}")),
    )
    return EXIT_OK


def _on_off(value: str) -> bool:
    if value.lower() not in ("on", "off"):
        raise argparse.ArgumentTypeError(f"'{value}': expected on or off")
    return value.lower() == "on"


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
                actor_option="--as",
                lead_option="--lead",
                leads_field="--lead",
                coders_field="--coder",
                engines_field="--engines",
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
    render(report, args.json, lambda: _print_settings(settings, changed if wants_change else None))
    return EXIT_OK


def _print_settings(settings: ProjectSettings, changed: dict[str, object] | None) -> None:
    from workbench.core.roles import assignments_of, engines_allowed, roles_of

    extra = settings.extra
    if changed is not None:
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


def cmd_merge(args: argparse.Namespace) -> int:
    from workbench.core.merge import merge_copies
    from workbench.core.store import Project

    with Project.open(args.project) as project:
        report = merge_copies(
            project, args.copies, prefer=args.prefer, dry_run=args.dry_run, actor=args.acting
        )
    render(report.to_dict(), args.json, lambda: _print_merge(report))
    unrelated = [copy for copy, n in report.matched_transcripts.items() if n == 0]
    for copy in unrelated:
        print(
            printable(
                f"error: {copy}: no transcript in it matches the project's, so nothing of it "
                "was merged (is it a copy of this project?)"
            ),
            file=sys.stderr,
        )
    return EXIT_FAILED if report.unresolved or unrelated else EXIT_OK


SKIPPED_SHOWN = 5  # transcript ids named per skipped group in the text output


def _print_merge(report: MergeReport) -> None:
    would = "would merge" if report.dry_run else "merged"
    print(
        f"{would}: {report.decisions} decisions, {report.memos} memo rows, "
        f"{report.suggestions} suggestions, {report.suggestion_runs} suggestion runs"
    )
    # one line per copy and reason, not per transcript: an unrelated copy skips all of its
    # transcripts (1,125 lines before); --json lists every one
    grouped: dict[tuple[str, str], list[str]] = {}
    for skipped in report.skipped_transcripts:
        grouped.setdefault((skipped["copy"], skipped["why"]), []).append(skipped["transcript"])
    for (copy, why), transcripts in grouped.items():
        shown = ", ".join(transcripts[:SKIPPED_SHOWN])
        more = (
            f" and {len(transcripts) - SKIPPED_SHOWN:,} more"
            if len(transcripts) > SKIPPED_SHOWN
            else ""
        )
        what = "transcript" if len(transcripts) == 1 else f"{len(transcripts):,} transcripts"
        print(printable(f"skipped {copy}: {what} {shown}{more}: {why}"))
    for c in report.conflicts:
        outcome = f"kept the {c.resolved}'s" if c.resolved else "NOT merged"
        print(
            printable(
                f"conflict {c.copy}: {c.coder} on {c.transcript} passage {c.position}: "
                f"project {_state(c.project_codes, c.project_reviewed)}, "
                f"copy {_state(c.copy_codes, c.copy_reviewed)}; {outcome}"
            )
        )
    if report.unresolved:
        print(
            f"{len(report.unresolved)} conflicting passages were left as they are; "
            "rerun with --prefer project|copy|latest to settle them",
            file=sys.stderr,
        )


def _state(codes: list[str], reviewed: bool) -> str:
    if codes:
        return ", ".join(codes)
    return "no code" if reviewed else "not reviewed"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register this group's commands, each with its handler."""
    lead = getpass_user()
    new = add_command(
        commands, "new", cmd_new, "create a project (one SQLite file, or a SQLAlchemy URL)"
    )
    new.add_argument("project")
    new.add_argument("--codebook", help="YAML codebook to start with")
    new.add_argument(
        "--from", dest="from_file", metavar="FILE", help="a REFI-QDA project (.qdpx or .qde)"
    )
    new.add_argument("--segmentation", choices=[s.value for s in Segmentation], default="turn")
    new.add_argument("--json", action="store_true")
    status = add_command(
        commands, "status", cmd_status, "counts of transcripts, passages, coders and decisions"
    )
    status.add_argument("project")
    status.add_argument("--json", action="store_true")
    verify = add_command(
        commands,
        "verify",
        cmd_verify,
        "check the database file and the hash chains of decisions and the audit log",
    )
    verify.add_argument("project")
    verify.add_argument("--json", action="store_true")
    backup = add_command(
        commands,
        "backup",
        cmd_backup,
        "copy a project into its backups folder (PROJECT.backups/), or list the copies there",
    )
    backup.add_argument("project")
    backup.add_argument("--list", action="store_true", help="list the backups, newest first")
    backup.add_argument("--json", action="store_true")
    restore = add_command(
        commands,
        "restore",
        cmd_restore,
        "replace a project with one of its backups (the current state is backed up first)",
    )
    restore.add_argument("project")
    restore.add_argument("backup", help="a backup file, or its name in the backups folder")
    restore.add_argument("--yes", action="store_true", help="do not ask (needed when not a TTY)")
    restore.add_argument("--json", action="store_true")
    team = add_command(
        commands,
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
    team.add_argument("--engines", type=comma_list, metavar="local,claude", help="engines allowed")
    team.add_argument("--lead", action="append", metavar="NAME", help="make NAME a lead")
    team.add_argument("--coder", action="append", metavar="NAME", help="make NAME a coder")
    team.add_argument(
        "--as", dest="acting", default=lead, metavar="NAME", help="who changes (must be a lead)"
    )
    team.add_argument("--json", action="store_true")
    merge = add_command(
        commands,
        "merge",
        cmd_merge,
        "bring decisions, memos and suggestions from copies coded offline into the project",
    )
    merge.add_argument("project")
    merge.add_argument("copies", nargs="+", metavar="COPY", help="project files copied from it")
    merge.add_argument(
        "--prefer",
        choices=["project", "copy", "latest"],
        help="settle conflicts for this side (default: list them and merge nothing for them)",
    )
    merge.add_argument("--dry-run", action="store_true", help="count and list; write nothing")
    merge.add_argument("--as", dest="acting", default=lead, metavar="NAME", help="who merges")
    merge.add_argument("--json", action="store_true")
