"""Coding a selection: span decisions in the store, the session's undo, memos on selections."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sqlalchemy import select

from tests.conftest import write
from workbench.core.agreement.compute import overall_metric
from workbench.core.agreement.data import CodedData, project_data
from workbench.core.errors import DecisionError
from workbench.core.session import CodingSession
from workbench.core.store import schema
from workbench.core.store.chain import check_chain
from workbench.core.store.coding import (
    CodingState,
    DecisionAction,
    coding_state,
    ensure_coder,
    record_decision,
)
from workbench.core.store.importing import import_transcript_file
from workbench.core.store.spans import coded_spans

pytestmark = pytest.mark.backends

INTERVIEW = (
    "Interviewer: How?\n\nParticipant: It saves me hours every week, but I worry about my job."
    "\n\nInterviewer: And?\n\nParticipant: I worry.\n"
)


@pytest.fixture
def passages(tmp_path, project):
    """The participant passages as ``(id, start, end, text)``."""
    import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    p, t = schema.passages, schema.transcripts
    with project.reading() as conn:
        rows = conn.execute(
            select(p.c.id, p.c.start, p.c.end, t.c.text)
            .join(t, t.c.id == p.c.transcript_id)
            .where(p.c.coded.is_(True))
            .order_by(p.c.position)
        ).all()
    return [(r.id, r.start, r.end, r.text[r.start : r.end]) for r in rows]


def _words(passage, words: str) -> tuple[int, int]:
    pid, start, _end, text = passage
    at = text.index(words)
    return start + at, start + at + len(words)


def test_a_span_codes_its_passage_and_removing_it_keeps_the_passage_coded(project, passages):
    first = passages[0]
    hours = _words(first, "saves me hours")
    job = _words(first, "worry about my job")
    with project.transaction() as conn:
        ana = ensure_coder(conn, "ana")
        record_decision(
            conn,
            first[0],
            ana,
            DecisionAction.APPLY,
            "prod.speed",
            span_start=hours[0],
            span_end=hours[1],
        )
        record_decision(
            conn,
            first[0],
            ana,
            DecisionAction.APPLY,
            "prod.speed",
            span_start=job[0],
            span_end=job[1],
        )
        state = coding_state(conn, first[0], ana)
        assert state.reviewed and state.codes == {"prod.speed"}
        assert state.spans == {("prod.speed", *hours), ("prod.speed", *job)}
        record_decision(
            conn,
            first[0],
            ana,
            DecisionAction.REMOVE,
            "prod.speed",
            span_start=job[0],
            span_end=job[1],
        )
        state = coding_state(conn, first[0], ana)
        assert state.codes == {"prod.speed"} and state.spans == {("prod.speed", *hours)}
        # the last span going still leaves the passage coded: that takes a passage REMOVE
        record_decision(
            conn,
            first[0],
            ana,
            DecisionAction.REMOVE,
            "prod.speed",
            span_start=hours[0],
            span_end=hours[1],
        )
        assert coding_state(conn, first[0], ana).codes == {"prod.speed"}
        record_decision(
            conn,
            first[0],
            ana,
            DecisionAction.APPLY,
            "prod.speed",
            span_start=hours[0],
            span_end=hours[1],
        )
        record_decision(conn, first[0], ana, DecisionAction.REMOVE, "prod.speed")
        state = coding_state(conn, first[0], ana)
        assert state.codes == frozenset() and state.spans == frozenset()
        record_decision(
            conn,
            first[0],
            ana,
            DecisionAction.APPLY,
            "hope.time",
            span_start=hours[0],
            span_end=hours[1],
        )
        record_decision(conn, first[0], ana, DecisionAction.NO_CODE)
        assert coding_state(conn, first[0], ana).spans == frozenset()
        assert check_chain(conn, schema.decisions) is None
        spanned = conn.execute(
            select(schema.decisions.c.span_start, schema.decisions.c.span_end).where(
                schema.decisions.c.span_start.is_not(None)
            )
        ).all()
    assert len(spanned) == 6 and (hours[0], hours[1]) in [tuple(r) for r in spanned]


def test_a_tampered_span_breaks_the_chain(project, passages):
    if project.location.startswith("postgresql"):
        pytest.skip("the append-only rule on the server refuses the rewrite itself")
    first = passages[0]
    hours = _words(first, "saves me hours")
    with project.transaction() as conn:
        ana = ensure_coder(conn, "ana")
        decision = record_decision(
            conn,
            first[0],
            ana,
            DecisionAction.APPLY,
            "prod.speed",
            span_start=hours[0],
            span_end=hours[1],
        )
    with project.transaction() as conn:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS decisions_no_update")
        conn.execute(
            schema.decisions.update()
            .where(schema.decisions.c.id == decision)
            .values(span_end=hours[1] + 3)
        )
        problem = check_chain(conn, schema.decisions)
    assert problem is not None and problem.row_id == decision


@pytest.mark.parametrize(
    "where, message",
    [
        (lambda s, e: (s, s), r"span \d+\.\.\d+ is empty"),
        (lambda s, e: (s - 5, s + 3), r"outside its passage, which runs"),
        (lambda s, e: (e - 2, e + 1), r"outside its passage"),
        (lambda s, e: (s, None), r"needs both a start and an end"),
    ],
)
def test_a_span_outside_or_empty_is_refused_and_nothing_is_written(
    project, passages, where, message
):
    pid, start, end, _ = passages[0]
    span = where(start, end)
    with pytest.raises(DecisionError, match=message), project.transaction() as conn:
        ana = ensure_coder(conn, "ana")
        record_decision(
            conn, pid, ana, DecisionAction.APPLY, "prod.speed", span_start=span[0], span_end=span[1]
        )
    with project.reading() as conn:
        assert conn.execute(select(schema.decisions.c.id)).first() is None
        assert conn.execute(select(schema.coded_spans.c.id)).first() is None


def test_a_span_on_a_whole_passage_action_is_refused(project, passages):
    pid, start, _end, _ = passages[0]
    with pytest.raises(DecisionError, match="takes no span"), project.transaction() as conn:
        ana = ensure_coder(conn, "ana")
        record_decision(
            conn, pid, ana, DecisionAction.NO_CODE, span_start=start, span_end=start + 2
        )


def test_passage_agreement_is_the_same_whether_coders_code_spans_or_passages(
    tmp_path, project, passages
):
    """Two coders on the same passages: numbers from passage codings, then from the same
    codes applied as selections, must be identical (a span codes its passage)."""

    def coded(spans: bool) -> CodedData:
        with project.transaction() as conn:
            for name, code in (("ana", "prod.speed"), ("ben", "prod.speed"), ("cy", "hope.time")):
                coder = ensure_coder(conn, f"{name}{int(spans)}")
                for pid, start, end, _ in passages[:1] if name == "cy" else passages:
                    record_decision(
                        conn,
                        pid,
                        coder,
                        DecisionAction.APPLY,
                        code,
                        span_start=start + 1 if spans else None,
                        span_end=end - 1 if spans else None,
                    )
        data = project_data(project, include_engines=False)
        columns = [i for i, c in enumerate(data.coders) if c.endswith(str(int(spans)))]
        return replace(
            data,
            coders=[data.coders[i] for i in columns],
            reviewed=data.reviewed[:, columns],
            present=data.present[:, columns, :],
            _counts={},
        )

    plain, spanned = coded(False), coded(True)
    assert plain.present.any()
    assert np.array_equal(plain.present, spanned.present)
    assert np.array_equal(plain.reviewed, spanned.reviewed)
    for metric in ("alpha", "percent"):
        assert overall_metric(plain, metric).value == overall_metric(spanned, metric).value


def test_session_codes_a_selection_and_undo_redo_follow_it(project, passages):
    session = CodingSession(project, "ana")
    first = passages[0]
    pid = first[0]
    hours = _words(first, "saves me hours")
    command = session.code_span(pid, "prod.speed", *hours)
    assert command.label == "code prod.speed on “saves me hours”"
    with project.reading() as conn:
        [span] = coded_spans(conn, [pid], session.coder_id)[pid]
    assert (span.code_id, span.start, span.end) == ("prod.speed", *hours)
    session.undo()
    with project.reading() as conn:
        state = coding_state(conn, pid, session.coder_id)
    assert state.codes == frozenset() and state.spans == frozenset() and not state.reviewed
    session.redo()
    with project.reading() as conn:
        assert coding_state(conn, pid, session.coder_id).spans == {("prod.speed", *hours)}
    # a second span on a passage the code is on; undo takes only that span back
    job = _words(first, "worry about my job")
    session.code_span(pid, "prod.speed", *job)
    session.undo()
    with project.reading() as conn:
        state = coding_state(conn, pid, session.coder_id)
    assert state.codes == {"prod.speed"} and state.spans == {("prod.speed", *hours)}
    # removing the span, then undoing that, brings it back
    removed = session.remove_span(pid, "prod.speed", *hours)
    assert removed.label == "remove prod.speed from “saves me hours”"
    with project.reading() as conn:
        state = coding_state(conn, pid, session.coder_id)
    assert state.codes == {"prod.speed"} and state.spans == frozenset()
    session.undo()
    # removing the code from the passage takes its spans; undo restores code and spans
    session.remove_code(pid, "prod.speed")
    with project.reading() as conn:
        assert coding_state(conn, pid, session.coder_id).spans == frozenset()
    session.undo()
    with project.reading() as conn:
        state = coding_state(conn, pid, session.coder_id)
        assert state.spans == {("prod.speed", *hours)}
        assert check_chain(conn, schema.decisions) is None


def test_accepting_a_suggestion_as_a_span_codes_its_evidence(project, passages):
    """Evidence offsets are passage-relative; the span is the same words in the transcript."""
    from workbench.core.store.suggestions import save_suggestions
    from workbench.core.suggestion import Suggestion

    pid, start, _end, text = passages[0]
    at = text.index("hours every week")
    evidence = (at, at + len("hours every week"))
    suggestion = Suggestion(
        pid, "prod.speed", 0.9, "hours every week", *evidence, "", "local", "test", "v1"
    )
    with project.transaction() as conn:
        save_suggestions(conn, [suggestion], project.codebook.version)
        sid = conn.execute(select(schema.suggestions.c.id)).scalar_one()
    session = CodingSession(project, "ana")
    command = session.accept_as_span(pid, sid, "prod.speed", start, evidence)
    assert command.label == "accept prod.speed on “hours every week”"
    with project.reading() as conn:
        row = conn.execute(
            select(schema.decisions).where(schema.decisions.c.suggestion_id == sid)
        ).one()
        state = coding_state(conn, pid, session.coder_id)
    assert (row.span_start, row.span_end) == (start + evidence[0], start + evidence[1])
    assert state.spans == {("prod.speed", start + evidence[0], start + evidence[1])}


def test_a_memo_on_a_selection_is_its_own_memo_and_undoable(project, passages):
    session = CodingSession(project, "ana")
    pid = passages[0][0]
    hours = _words(passages[0], "saves me hours")
    session.save_memo(pid, "about the passage")
    command = session.save_memo(pid, "is this a real saving?", span=hours)
    assert command is not None and command.label == "memo on “saves me hours”"
    assert session.memos([pid]) == {pid: "about the passage"}
    assert session.span_memos([pid]) == {(pid, *hours): "is this a real saving?"}
    session.undo()
    assert session.span_memos([pid]) == {}
    assert session.memo_history(pid, hours) == ["is this a real saving?", ""]
    assert session.memos([pid]) == {pid: "about the passage"}
    with pytest.raises(DecisionError, match="outside its passage"):
        session.save_memo(pid, "x", span=(0, 3))


# -- codebook migrations: spans follow their code ----------------------------------------------

MIGRATION_BOOK = """name: Study
version: {version}
codes:
{codes}"""


def _code(code_id: str) -> str:
    return f"  - id: {code_id}\n    name: {code_id}\n    definition: {code_id} things.\n"


def _spanned_study(tmp_path, project_location):
    """A project with codes a, b, c: ana codes two selections with a, one with b (one of them
    the same words as an a span), and one with c."""
    from workbench.core.codebook import parse_codebook
    from workbench.core.store import Project

    book = MIGRATION_BOOK.format(version=1, codes="".join(map(_code, "abc")))
    project = Project.create(project_location, codebook=parse_codebook(book))
    import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    p = schema.passages
    with project.transaction() as conn:
        pid, start = conn.execute(
            select(p.c.id, p.c.start).where(p.c.coded.is_(True)).order_by(p.c.position)
        ).first()
        ana = ensure_coder(conn, "ana")
        for code_id, at in (
            ("a", (0, 5)),
            ("a", (10, 20)),
            ("b", (10, 20)),
            ("b", (22, 30)),
            ("c", (2, 9)),
        ):
            record_decision(
                conn,
                pid,
                ana,
                DecisionAction.APPLY,
                code_id,
                span_start=start + at[0],
                span_end=start + at[1],
            )
    return project, pid, start, ana


def _migrate(project, codes: str, version: int = 2, **options):
    from workbench.core.codebook import parse_codebook
    from workbench.core.codebook_migration import apply_migration, parse_mapping, plan_migration

    book = MIGRATION_BOOK.format(version=version, codes=codes)
    plan = plan_migration(project, parse_codebook(book), parse_mapping(**options))
    return apply_migration(project, plan, "lea")


def test_a_merge_unites_spans_and_a_rename_carries_them(tmp_path, project_location):
    project, pid, start, ana = _spanned_study(tmp_path, project_location)
    try:
        _migrate(project, _code("ab") + _code("c"), merges=["a,b=ab"])
        with project.reading() as conn:
            state = coding_state(conn, pid, ana)
            assert check_chain(conn, schema.decisions) is None
        shifted = {(s - start, e - start) for _code_id, s, e in state.spans if _code_id == "ab"}
        assert state.codes == {"ab", "c"}
        assert shifted == {(0, 5), (10, 20), (22, 30)}  # the shared words once
        assert ("c", start + 2, start + 9) in state.spans
        _migrate(project, _code("ab") + _code("cc"), version=3, maps=["c=cc"])
        with project.reading() as conn:
            state = coding_state(conn, pid, ana)
        assert {(c, s - start, e - start) for c, s, e in state.spans if c != "ab"} == {("cc", 2, 9)}
    finally:
        project.close()


def test_a_deleted_code_takes_its_spans_and_restoring_brings_them_back(tmp_path, project_location):
    from workbench.core.codebook import parse_codebook
    from workbench.core.codebook_migration import restore_archived

    project, pid, start, ana = _spanned_study(tmp_path, project_location)
    try:
        _migrate(project, _code("a") + _code("b"))
        with project.reading() as conn:
            state = coding_state(conn, pid, ana)
        assert "c" not in state.codes and all(c != "c" for c, _s, _e in state.spans)
        project.add_codebook_version(
            parse_codebook(MIGRATION_BOOK.format(version=3, codes="".join(map(_code, "abc"))))
        )
        assert restore_archived(project, "c", "lea") == 1
        with project.reading() as conn:
            state = coding_state(conn, pid, ana)
        assert ("c", start + 2, start + 9) in state.spans and "c" in state.codes
    finally:
        project.close()


def test_merging_a_copy_carries_its_spans_and_span_memos(tmp_path):
    """Copies coded offline bring their selections back; merging twice adds nothing."""
    import shutil

    from tests.conftest import REPO
    from workbench.core.codebook import load_codebook
    from workbench.core.merge import merge_copies
    from workbench.core.store import Project
    from workbench.core.store.integrity import verify_project

    study = tmp_path / "study.wb"
    project = Project.create(study, codebook=load_codebook(REPO / "codebooks" / "ai-at-work.yaml"))
    import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    project.close()
    copy = tmp_path / "ana.wb"
    shutil.copyfile(study, copy)
    with Project.open(copy) as theirs:
        session = CodingSession(theirs, "ana")
        p = schema.passages
        with theirs.reading() as conn:
            pid, start = conn.execute(
                select(p.c.id, p.c.start).where(p.c.coded.is_(True)).order_by(p.c.position)
            ).first()
        session.code_span(pid, "prod.speed", start + 4, start + 12)
        session.code_span(pid, "prod.speed", start + 20, start + 30)
        session.remove_span(pid, "prod.speed", start + 20, start + 30)
        session.save_memo(pid, "why here?", span=(start + 4, start + 12))
        with theirs.reading() as conn:
            wanted = coding_state(conn, pid, session.coder_id)
    with Project.open(study) as ours:
        merge_copies(ours, [copy])
        merge_copies(ours, [copy])
        with ours.reading() as conn:
            ana = conn.execute(
                select(schema.coders.c.id).where(schema.coders.c.name == "ana")
            ).scalar_one()
            assert coding_state(conn, pid, ana) == wanted
            assert len(conn.execute(select(schema.decisions.c.id)).all()) == 3
        assert CodingSession(ours, "ana").span_memos([pid]) == {
            (pid, start + 4, start + 12): "why here?"
        }
    assert wanted.spans == {("prod.speed", start + 4, start + 12)}
    assert verify_project(study).ok


def test_bulk_decisions_clear_spans_as_single_ones_do(project, passages):
    """A spreadsheet import's bulk path: REMOVE of a code and NO_CODE take its spans too, a
    REMOVE with a span only that span, and a span APPLY after its code's APPLY adds it."""
    from workbench.core.store.coding import PlannedDecision, record_decisions_bulk

    first, second = passages[0], passages[1]
    hours = _words(first, "saves me hours")
    job = _words(first, "worry about my job")
    with project.transaction() as conn:
        ana = ensure_coder(conn, "ana")
        for pid, code, span in (
            (first[0], "prod.speed", hours),
            (first[0], "prod.speed", job),
            (first[0], "hope.time", hours),
            (second[0], "hope.time", (second[1], second[1] + 2)),
        ):
            record_decision(
                conn, pid, ana, DecisionAction.APPLY, code, span_start=span[0], span_end=span[1]
            )
        reviewed = {(first[0], ana), (second[0], ana)}
        record_decisions_bulk(
            conn,
            [
                PlannedDecision(first[0], ana, DecisionAction.REMOVE, "prod.speed", *job),
                PlannedDecision(first[0], ana, DecisionAction.REMOVE, "hope.time"),
                PlannedDecision(second[0], ana, DecisionAction.NO_CODE),
            ],
            reviewed,
            1,
            "test",
        )
        assert coding_state(conn, first[0], ana).spans == {("prod.speed", *hours)}
        assert coding_state(conn, first[0], ana).codes == {"prod.speed"}
        assert coding_state(conn, second[0], ana).spans == frozenset()
        record_decisions_bulk(
            conn,
            [
                PlannedDecision(second[0], ana, DecisionAction.APPLY, "fear.atrophy"),
                PlannedDecision(
                    second[0], ana, DecisionAction.APPLY, "fear.atrophy", second[1], second[1] + 4
                ),
            ],
            reviewed,
            1,
            "test again",
        )
        state = coding_state(conn, second[0], ana)
        assert state.codes == {"fear.atrophy"}
        assert state.spans == {("fear.atrophy", second[1], second[1] + 4)}
        with pytest.raises(DecisionError, match="outside its passage"):
            record_decisions_bulk(
                conn,
                [PlannedDecision(second[0], ana, DecisionAction.APPLY, "x", 0, 1)],
                reviewed,
                1,
                "bad",
            )
        assert check_chain(conn, schema.decisions) is None


def test_the_decisions_frame_has_the_span_of_each_decision(project, passages):
    from workbench.core.analysis.frames import decisions_frame

    hours = _words(passages[0], "saves me hours")
    CodingSession(project, "ana").code_span(passages[0][0], "prod.speed", *hours)
    frame = decisions_frame(project)
    row = frame.iloc[-1]
    assert (row["action"], row["span_start"], row["span_end"]) == ("apply", *hours)


def test_a_conflict_on_spans_is_listed_and_prefer_copy_takes_the_copys_spans(tmp_path):
    import shutil

    from tests.conftest import REPO
    from workbench.core.codebook import load_codebook
    from workbench.core.merge import merge_copies
    from workbench.core.store import Project

    study = tmp_path / "study.wb"
    project = Project.create(study, codebook=load_codebook(REPO / "codebooks" / "ai-at-work.yaml"))
    import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    p = schema.passages
    with project.reading() as conn:
        pid, start = conn.execute(
            select(p.c.id, p.c.start).where(p.c.coded.is_(True)).order_by(p.c.position)
        ).first()
    project.close()
    copy = tmp_path / "ana.wb"
    shutil.copyfile(study, copy)
    with Project.open(copy) as theirs:
        CodingSession(theirs, "ana").code_span(pid, "prod.speed", start + 20, start + 30)
        with theirs.reading() as conn:
            wanted = coding_state(conn, pid, CodingSession(theirs, "ana").coder_id)
    with Project.open(study) as ours:
        CodingSession(ours, "ana").code_span(pid, "prod.speed", start + 4, start + 12)
        report = merge_copies(ours, [copy])
        assert len(report.conflicts) == 1 and report.conflicts[0].resolved is None
        report = merge_copies(ours, [copy], prefer="copy")
        with ours.reading() as conn:
            state = coding_state(conn, pid, CodingSession(ours, "ana").coder_id)
    assert state == wanted == CodingState(True, frozenset({"prod.speed"}), wanted.spans)
    assert wanted.spans == {("prod.speed", start + 20, start + 30)}
