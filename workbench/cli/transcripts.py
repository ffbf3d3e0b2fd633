"""Commands that bring transcripts in, take the coded data out, or look into them: ``import``,
``export``, ``speakers``, ``local-only``, ``search``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_command,
    coder_name,
    require_lead,
)
from workbench.cli.output import render
from workbench.core.printable import printable
from workbench.core.wording import plural

if TYPE_CHECKING:
    from workbench.core.store import Project
    from workbench.core.store.search import SearchResult
    from workbench.core.store.speaker_roles import LabelSummary, RoleChange, StandingDecisions


def refi_import(
    project: Project,
    path: str,
    dry_run: bool,
    as_json: bool,
    code_map: dict[str, str] | None = None,
    backup: bool = True,
) -> dict[str, Any]:
    """Plan a REFI-QDA import, print what cannot be mapped, then (unless a dry run) commit it.

    ``backup=False`` only for a project being made by the import (``new --from``): it holds
    nothing to lose, and its temporary name would leave an orphan backups folder."""
    from workbench.interop.refi_commit import commit_refi_import
    from workbench.interop.refi_plan import plan_refi_import

    plan = plan_refi_import(project, path, code_map)
    report: dict[str, Any] = {"plan": plan.to_dict()}
    if not as_json:
        _print_refi_plan(plan.to_dict())
    if not dry_run:
        result = commit_refi_import(project, plan, backup=backup).to_dict()
        report["result"] = result
        if not as_json:
            print(
                printable(
                    f"{path}: added {result['transcripts_added']} transcripts "
                    f"({result['passages']} passages), {result['applied']} codes applied, "
                    f"{result['unchanged']} already held"
                    + (
                        f", {result['spans']} selections inside passages kept as spans"
                        if result["spans"]
                        else ""
                    )
                    + (
                        f", {result['suggestions']} engine codings kept as suggestions"
                        if result["suggestions"]
                        else ""
                    )
                    + (f", {result['memos']} memos from notes" if result["memos"] else "")
                )
            )
    return report


def _print_refi_plan(plan: dict[str, Any]) -> None:
    print(
        printable(
            f"{plan['file']}: {plan['sources']} text sources"
            + (  # "0 text sources" alone reads as an empty file on a re-import
                f" ({plan['already_in_project']} already in the project)"
                if plan.get("already_in_project")
                else ""
            )
            + f", {plan['codes']} codes, "
            f"{plural(len(plan['coders']), 'coder')}, {plan['codings']} codings on "
            f"passages from {plan['selections']} selections"
            + (f", {plan['memos']} memos from notes" if plan["memos"] else "")
        )
    )
    for name, codes in plan["code_groups"].items():
        print(printable(f"  code group '{name}': {', '.join(codes)}"))
    if plan["not_mappable"]:
        print(f"not mappable, not imported ({len(plan['not_mappable'])}):")
        for item in plan["not_mappable"]:
            print(printable(f"  {item}"))


def cmd_import(args: argparse.Namespace) -> int:
    from workbench.core.ingest import import_files, import_metadata_file
    from workbench.core.spreadsheet import import_decisions_csv
    from workbench.core.store import Project
    from workbench.interop.refi_import import is_refi_file

    if not args.files and (args.decisions or not args.metadata):
        # metadata alone is fine (it may come before or after its transcripts); nothing else is
        print("error: import needs FILES (or --metadata FILE on its own)", file=sys.stderr)
        return EXIT_USAGE
    refi = [path for path in args.files if is_refi_file(path)]
    if refi and (args.decisions or args.metadata or len(refi) != len(args.files)):
        print(
            "error: import a .qdpx/.qde file on its own (no other files, no --decisions or "
            "--metadata: its variables are its metadata)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if (args.dry_run or args.code_map) and not refi:
        print("error: --dry-run and --map are for REFI-QDA files (.qdpx, .qde)", file=sys.stderr)
        return EXIT_USAGE
    if refi:
        from workbench.interop.refi_codes import parse_code_map
        from workbench.interop.refi_read import RefiError

        try:
            code_map = parse_code_map(args.code_map)
        except RefiError as exc:  # a malformed option: usage, before the project is opened
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        with Project.open(args.project) as project:
            reports = [
                refi_import(project, path, args.dry_run, args.json, code_map) for path in refi
            ]
        # The text was printed file by file as each was planned and committed (refi_import).
        render({"refi_qda": reports}, args.json, lambda: None)
        return EXIT_OK
    with Project.open(args.project) as project:
        if args.decisions:
            results = [import_decisions_csv(project, path).to_dict() for path in args.files]
            report: dict[str, object] = {"decisions": results}
            failed = False
        elif not args.files:
            report = {"metadata": import_metadata_file(project, args.metadata).to_dict()}
            failed = False
        else:
            outcome = import_files(
                project, args.files, exclude=[args.metadata] if args.metadata else []
            )
            report = outcome.to_dict()
            failed = bool(outcome.errors) or any(r.conflicts for r in outcome.files)
            if args.metadata:
                report["metadata"] = import_metadata_file(project, args.metadata).to_dict()
    render(report, args.json, lambda: _print_import_report(report))
    return EXIT_FAILED if failed else EXIT_OK


def _print_import_report(report: dict[str, Any]) -> None:
    for item in report.get("decisions", []):
        print(
            f"{item['file']}: {item['applied']} codes applied, {item['removed']} removed, "
            f"{item['no_code']} 'no code' reviews, {item['unchanged']} unchanged "
            f"({plural(len(item['coders']), 'coder')}, {item['passages']} passages)"
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


def _understood(item: dict[str, Any]) -> str:
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
    if args.acting is not None and args.blind and not args.coder:
        args.coder = args.acting  # --as NAME --blind: a file for the coder who asks
    if bool(args.coder) != args.blind:
        print("error: --blind and --coder NAME go together", file=sys.stderr)
        return EXIT_USAGE
    if kind == "qdpx" and (args.long or args.blind):
        print("error: --long and --blind are for .csv, .xlsx and .parquet", file=sys.stderr)
        return EXIT_USAGE
    if args.acting is not None:
        from workbench.core.blind_search import blind_export_coder, restricted_to

        with Project.open(args.project, read_only=True) as project:
            settings = project.settings
            args.coder = blind_export_coder(
                settings.extra, settings.blind_coding, args.acting, args.coder, kind == "qdpx"
            )
            if args.coder == args.acting:
                blind = restricted_to(settings.extra, settings.blind_coding, args.acting)
                _require_coder(project, args.acting, blind is not None)
    if kind == "qdpx":
        from workbench.interop.refi_export import export_qdpx

        with Project.open(args.project) as project:
            result = export_qdpx(project, args.out).to_dict()
        text = (
            f"wrote {result['sources']} sources, {result['codes']} codes, "
            f"{result['users']} users, {result['codings']} codings and "
            f"{result['notes']} notes to {args.out} (REFI-QDA)"
        )
        lines = [text]
        if result["no_code_reviews"]:
            lines.append(
                f"warning: {result['no_code_reviews']} 'no code applies' reviews on "
                f"{result['no_code_passages']} passages are not in the file (REFI-QDA cannot "
                "represent a review without a code; a decisions export keeps them)"
            )

        def show() -> None:
            for line in lines:
                print(printable(line))

        render(result, args.json, show)
        return EXIT_OK
    with Project.open(args.project) as project:
        data = export_data(project, args.out, long=args.long, coder=args.coder).to_dict()
    render(data, args.json, lambda: _print_export(data, args.out))
    return EXIT_OK


def _require_coder(project: Project, name: str, blind: bool = True) -> None:
    """A coder's own export needs a coder: say so in terms of ``--as``, which named them, and
    with the reason it is their own file (``blind``: blind coding, else ``--as NAME --blind``)."""
    from workbench.core.errors import DecisionError
    from workbench.core.store.coded_data import export_coders

    with project.reading() as conn:
        known = {coder.name for coder in export_coders(conn)}
    if name not in known:
        raise DecisionError(
            f"--as: '{name}' has no codes or memos in {project.shown_location} yet, so there is "
            "nothing of theirs to export ("
            + (
                "blind coding is on: a coder exports only their own"
                if blind
                else "--as NAME --blind is a file of NAME's own codes"
            )
            + ")"
        )


def _print_export(data: dict[str, Any], out: str) -> None:
    what = "passages" if data["layout"] == "passages" else "codings"
    print(printable(f"wrote {data['rows']} {what} and {data['memos']} memos to {out}"))
    print(printable(f"  {data['contents']}"))
    if len(data["files"]) > 1:
        print(printable(f"  files: {', '.join(data['files'])}"))


def cmd_speakers(args: argparse.Namespace) -> int:
    from workbench.core.store import Project
    from workbench.core.store.speaker_roles import (
        decisions_on_interviewer_passages,
        label_summaries,
        set_speaker_roles,
    )

    with Project.open(args.project) as project:
        if args.set:
            require_lead(project, args.lead, "set speaker roles")
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
    render(report, args.json, lambda: _print_speakers(change, labels, standing))
    return EXIT_OK


def _print_speakers(
    change: RoleChange | None, labels: list[LabelSummary], standing: StandingDecisions
) -> None:
    if change is not None:
        for name, role in change.roles.items():
            print(f"{name}: now {role}")
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


def _print_standing(standing: dict[str, Any]) -> None:
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


def cmd_search(args: argparse.Namespace) -> int:
    from workbench.core.blind_search import (
        blind_filters,
        require_known_coder,
        restricted_to,
        seen_by,
    )
    from workbench.core.store import Project
    from workbench.core.store.search import (
        Review,
        Role,
        SearchFilters,
        search_passages,
    )
    from workbench.core.store.search_filters import parse_field

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
        only = None
        if args.acting is not None:
            settings = project.settings
            only = restricted_to(settings.extra, settings.blind_coding, args.acting)
        if only is not None:
            if filters.code is not None and not filters.engine:  # NAME's own codings of X
                require_known_coder(project, only, f"a search of their codings of {args.code}")
            filters = blind_filters(filters, only)
        result = seen_by(search_passages(conn, args.query, filters, limit=args.limit), only)
    render(result.to_dict(), args.json, lambda: _print_search(result))
    return EXIT_OK


def _print_search(result: SearchResult) -> None:
    from workbench.core.store.search_snippet import MARK_END, MARK_START

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


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register this group's commands, each with its handler."""
    imp = add_command(
        commands,
        "import",
        cmd_import,
        "import transcripts (.txt .md .csv .tsv .jsonl), metadata, decisions or a REFI-QDA "
        "project (.qdpx .qde)",
    )
    imp.add_argument("project")
    imp.add_argument("files", nargs="*", help="transcript files (none: only --metadata)")
    imp.set_defaults(trailing_files="files")  # names after an option land here (app.main)
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
    imp.add_argument(
        "--map",
        dest="code_map",
        action="append",
        metavar="PATH=CODE_ID",
        help="REFI-QDA: the file's code at PATH (names from the root, 'Fears/Other', or its "
        "GUID) is the codebook's CODE_ID; 'PATH=' adds it as a new code (repeatable)",
    )
    imp.add_argument("--json", action="store_true")
    export = add_command(
        commands,
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
    export.add_argument(
        "--as",
        dest="acting",
        type=coder_name,
        metavar="NAME",
        help="who exports: with blind coding on and NAME not a lead, only NAME's codes and memos "
        "(a blind export for NAME; .qdpx refused), as in the app",
    )
    export.add_argument("--json", action="store_true")
    speakers = add_command(
        commands,
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
    local = add_command(
        commands,
        "local-only",
        cmd_local_only,
        "mark transcripts as never to be sent to an LLM engine",
    )
    local.add_argument("project")
    local.add_argument("transcripts", help="transcript ids, comma-separated")
    local.add_argument("--off", action="store_true", help="allow sending them again")

    search = add_command(
        commands,
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
    search.add_argument(
        "--as",
        dest="acting",
        type=coder_name,
        metavar="NAME",
        help="who searches: with blind coding on and NAME not a lead, only NAME's codes and "
        "selections are shown (as in the app)",
    )
    search.add_argument("--json", action="store_true")
