"""``workbench suggest`` with the local engine, without importing the Claude client.

The anthropic SDK and scikit-learn take seconds to import; a ``suggest`` that finds every
passage already done should cost what ``status`` costs. So this path names the engine it would
use from the decision count alone, asks the project what is pending, and imports and trains
the engine only when there is something to suggest for.
"""

from __future__ import annotations

import argparse
import os

from workbench.core.errors import WorkbenchError
from workbench.core.store import Project
from workbench.core.store.queries import transcript_row_id, transcript_row_ids
from workbench.core.tasks import Progress
from workbench.settings import load_settings
from workbench.suggest.labels import human_labels, local_model_name
from workbench.suggest.runner import SuggestionRun, pending_inputs, run_suggestions

PROMPT_VERSION = "local-1"  # LocalEngine.prompt_version, without importing it


def wants_local(args: argparse.Namespace) -> bool:
    """Whether the command runs the local engine: asked for, or the default without a key."""
    if args.engine:
        return bool(args.engine == "local")
    if args.batch or args.status or args.cancel:
        return False
    key = os.environ.get("ANTHROPIC_API_KEY") or load_settings().get("anthropic_api_key")
    return not (isinstance(key, str) and key.strip())


def transcript_ids(project: Project, wanted: str | None) -> list[int]:
    """Row ids of ``--transcripts`` (external ids, comma-separated), or of every transcript."""
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


def run_local_suggest(
    args: argparse.Namespace, progress: Progress | None = None
) -> tuple[dict[str, object], bool]:
    """The local engine's ``suggest``: the report and whether anything failed (never)."""
    if args.batch or args.resume or args.dry_run or args.status or args.cancel:
        raise WorkbenchError(
            "--batch, --resume, --status, --cancel and --dry-run are for the claude engine"
        )
    with Project.open(args.project) as project:
        codebook = project.codebook
        if codebook is None:
            raise WorkbenchError(f"{args.project}: the project has no codebook")
        ids = transcript_ids(project, args.transcripts)
        labelled = human_labels(project)
        model = local_model_name(len(labelled))
        pending, cached = pending_inputs(
            project, ids, "local", model, PROMPT_VERSION, include_local_only=True, abstain=False
        )
        if pending:
            from workbench.suggest.learning import local_engine_for

            engine = local_engine_for(project, labelled)
            model, stale = engine.model, engine.model != model
            if stale:  # the decisions changed meanwhile: ask again
                pending, cached = pending_inputs(
                    project, ids, "local", model, PROMPT_VERSION, True, abstain=False
                )
            run = run_suggestions(project, engine, ids, progress, pending=(pending, cached))
        else:
            run = SuggestionRun(cached, cached, 0)
    report: dict[str, object] = {"engine": "local", "model": model, **run.__dict__}
    line = (
        f"local engine ({model}): {run.suggestions} suggestions for "
        f"{run.passages - run.skipped_cached} passages ({run.skipped_cached} already done)"
    )
    if run.abstained:
        line += f"; {run.abstained} with nothing to code (greetings, thanks) left without"
    report["lines"] = [line]
    return report, False
