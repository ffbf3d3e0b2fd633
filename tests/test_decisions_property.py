"""Bulk and one-by-one decisions give the same project.

A spreadsheet import records its decisions with ``record_decisions_bulk`` (a few statements for
thousands of rows); the app records each with ``record_decision``. The bulk path re-implements
the single path's rules, so here random rounds of spreadsheet-style targets (each coder's exact
codes on a passage, or "no code applies") go through the real decisions-CSV import into one
project and, planned the way the import plans them, through ``record_decision`` into another.
The decision log, the codings and the reviews must then match row for row, ids, timestamps and
hashes aside; a coding's or review's decision is compared by its place in the log.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.conftest import REPO, write
from workbench.core.codebook import load_codebook
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store import Project, schema
from workbench.core.store.coder_state import coder_states
from workbench.core.store.coding import (
    CoderKind,
    DecisionAction,
    ensure_coder,
    record_decision,
)
from workbench.core.store.importing import import_transcript_file
from workbench.core.store.queries import passage_ids_for_keys

INTERVIEW = (
    "Interviewer: How do you use AI?\n\nParticipant: For drafts.\n\n"
    "Interviewer: And?\n\nParticipant: Fear of losing the craft.\n\n"
    "Interviewer: Anything else?\n\nParticipant: It saves me hours.\n"
)
PASSAGES = ["p1#2", "p1#4", "p1#6"]  # the participant turns (interviewer turns are not coded)
CODERS = ["ana", "ben"]
CODES = ["hope.time", "hope.learning", "hope.excellence"]
FILE_NAME = "decisions.csv"

# One round is one spreadsheet: for some (passage, coder) pairs, the exact codes wanted (an
# empty set is "reviewed, no code applies").
rounds = st.lists(
    st.dictionaries(
        st.tuples(st.sampled_from(PASSAGES), st.sampled_from(CODERS)),
        st.frozensets(st.sampled_from(CODES), max_size=3),
        min_size=1,
        max_size=6,
    ),
    min_size=1,
    max_size=5,
)


def _new_project(folder: Path, name: str) -> Project:
    project = Project.create(
        folder / name, codebook=load_codebook(REPO / "codebooks" / "ai-at-work.yaml")
    )
    import_transcript_file(project, write(folder / "p1.txt", INTERVIEW))
    return project


def _write_round(path: Path, targets: dict[tuple[str, str], frozenset[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["passage_id", "coder", "code"])
        for (key, coder), codes in targets.items():
            for code in sorted(codes) or [""]:
                writer.writerow([key, coder, code])


def _record_one_by_one(project: Project, targets: dict[tuple[str, str], frozenset[str]]) -> None:
    """The round as single decisions, planned as the import plans them: "no code applies" where
    codes are to go (or the pair is unreviewed), otherwise the missing codes applied and the
    extra ones removed, in code order."""
    version = project.codebook.version
    with project.transaction() as conn:
        ids = passage_ids_for_keys(conn, [key for key, _ in targets])
        coder_ids = {name: ensure_coder(conn, name, CoderKind.HUMAN) for name in CODERS}
        for (key, coder), codes in targets.items():
            passage_id, coder_id = ids[key], coder_ids[coder]
            state = coder_states(conn, coder_id, [passage_id])[passage_id]
            steps: list[tuple[DecisionAction, str | None]] = []
            if not codes:
                if state.codes or not state.reviewed:
                    steps.append((DecisionAction.NO_CODE, None))
            else:
                steps += [(DecisionAction.APPLY, c) for c in sorted(codes - state.codes)]
                steps += [(DecisionAction.REMOVE, c) for c in sorted(state.codes - codes)]
            for action, code in steps:
                record_decision(
                    conn,
                    passage_id,
                    coder_id,
                    action,
                    code,
                    codebook_version=version,
                    reason=f"imported from {FILE_NAME}",
                )


def _snapshot(project: Project) -> tuple[list[tuple], set[tuple], set[tuple]]:
    """The decision log, codings and reviews with ids replaced by what they stand for."""
    d, c, r = schema.decisions, schema.codings, schema.reviews
    p, t, k = schema.passages, schema.transcripts, schema.coders
    with project.reading() as conn:
        passage = {
            pid: f"{external_id}#{position}"
            for pid, external_id, position in conn.execute(
                select(p.c.id, t.c.external_id, p.c.position).join(t, t.c.id == p.c.transcript_id)
            )
        }
        coder = dict(conn.execute(select(k.c.id, k.c.name)).all())
        log = conn.execute(select(d).order_by(d.c.id)).all()
        place = {row.id: index for index, row in enumerate(log)}
        decisions = [
            (
                passage[row.passage_id],
                coder[row.coder_id],
                row.action,
                row.code_id,
                row.suggestion_id,
                row.codebook_version,
                None if row.reverts_id is None else place[row.reverts_id],
                row.reason,
            )
            for row in log
        ]
        codings = {
            (passage[row.passage_id], coder[row.coder_id], row.code_id, place[row.decision_id])
            for row in conn.execute(select(c))
        }
        reviews = {
            (passage[row.passage_id], coder[row.coder_id], place[row.decision_id])
            for row in conn.execute(select(r))
        }
    return decisions, codings, reviews


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds)
def test_bulk_import_and_single_decisions_give_the_same_project(sequence):
    with tempfile.TemporaryDirectory() as folder:
        folder_path = Path(folder)
        bulk = _new_project(folder_path, "bulk.wb")
        single = _new_project(folder_path, "single.wb")
        try:
            for targets in sequence:
                csv_path = folder_path / FILE_NAME
                _write_round(csv_path, targets)
                import_decisions_csv(bulk, csv_path)
                _record_one_by_one(single, targets)
                assert _snapshot(bulk) == _snapshot(single)
            decisions, codings, reviews = _snapshot(bulk)
            # The state is the targets of each pair's last round: nothing lost or left over.
            last: dict[tuple[str, str], frozenset[str]] = {}
            for targets in sequence:
                last.update(targets)
            assert {(key, who, code) for key, who, code, _ in codings} == {
                (key, who, code) for (key, who), codes in last.items() for code in codes
            }
            assert {(key, who) for key, who, _ in reviews} == set(last)
        finally:
            bulk.close()
            single.close()
