"""Offline copies merged back: by coder and time, conflicts listed or settled, twice is once."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import write
from workbench.cli import main
from workbench.core.merge import merge_copies
from workbench.core.session import CodingSession
from workbench.core.store import Project
from workbench.core.store.database import is_url, make_engine
from workbench.core.store.importing import import_files
from workbench.core.store.integrity import verify_project
from workbench.core.store.queries import list_transcripts, passages_of
from workbench.core.store.suggestions import record_run, save_suggestions
from workbench.core.suggestion import Suggestion

# The project merged into is a SQLite file or a PostgreSQL database; the copies are SQLite files.
pytestmark = pytest.mark.backends

ONE = "Interviewer: What changed?\nParticipant: I spend less time on reports now.\n"
TWO = "Interviewer: And then?\nParticipant: I learn new tools every week.\n"


class Study(str):
    """Where the project lives (a file or a server URL), with ``seed``, a SQLite file made the
    same way: copies are taken from it, since a server database cannot be copied with cp."""

    seed: Path


def _rows(location: str | Path, sql: str) -> list[tuple]:
    engine = make_engine(location)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql)]
    finally:
        engine.dispose()


def _count(location: str | Path, sql: str) -> int:
    return _rows(location, sql)[0][0]


def _coded(project: Project) -> list[int]:
    """The coded passage of each transcript, in external id order."""
    with project.reading() as conn:
        transcripts = sorted(list_transcripts(conn), key=lambda t: t.external_id)
        return [next(p.id for p in passages_of(conn, [t.id]) if p.coded) for t in transcripts]


def _codes(path: Path, coder: str) -> dict[int, set[str]]:
    with Project.open(path, read_only=True) as project:
        passages = _coded(project)
        with project.reading() as conn:
            from workbench.core.store.coding import coding_state, find_coder

            coder_id = find_coder(conn, coder)
            if coder_id is None:
                return {}
            return {
                i: set(coding_state(conn, pid, coder_id).codes) for i, pid in enumerate(passages)
            }


@pytest.fixture
def study(tmp_path, project, codebook_path) -> Study:
    """A closed project with two transcripts, and nothing coded yet."""
    from workbench.core.codebook import load_codebook

    files = [write(tmp_path / "p1.txt", ONE), write(tmp_path / "p2.txt", TWO)]
    import_files(project, files)
    project.close()
    study = Study(project.location)
    if is_url(study):
        study.seed = tmp_path / "seed.wb"
        with Project.create(study.seed, codebook=load_codebook(codebook_path)) as seed:
            import_files(seed, files)
    else:
        study.seed = Path(study)
    return study


def _copy(study: Study, name: str) -> Path:
    target = study.seed.with_name(name)
    shutil.copyfile(study.seed, target)
    return target


def _code(path: Path, coder: str, index: int, code: str, memo: str | None = None) -> None:
    with Project.open(path) as project:
        session = CodingSession(project, coder)
        passage = _coded(project)[index]
        session.apply_code(passage, code)
        if memo:
            session.save_memo(passage, memo)


def test_two_copies_by_different_coders_merge_exactly(study):
    ana, ben = _copy(study, "ana.wb"), _copy(study, "ben.wb")
    _code(ana, "ana", 0, "hope.excellence", memo="reports, less")
    _code(ana, "ana", 1, "hope.learning")
    _code(ben, "ben", 0, "hope.time")
    before = _count(study, "select count(*) from decisions")

    assert main(["merge", str(study), str(ana), str(ben), "--json"]) == 0

    assert _count(study, "select count(*) from decisions") == before + 3
    assert _count(study, "select count(*) from memos") == 1
    assert _codes(study, "ana") == {0: {"hope.excellence"}, 1: {"hope.learning"}}
    assert _codes(study, "ben") == {0: {"hope.time"}, 1: set()}
    assert verify_project(study).ok
    reasons = [r[0] for r in _rows(study, "select reason from decisions order by id")]
    assert all(r.startswith("merged from ana.wb, decided 20") for r in reasons[:2])
    assert _count(study, "select count(*) from audit_log where action = 'merge'") == 1
    if not is_url(study):  # a server database is backed up by its own tools
        assert list(Path(study).parent.joinpath("study.wb.backups").glob("*merge*"))


def test_merging_the_same_copy_twice_changes_nothing(study, capsys):
    ana = _copy(study, "ana.wb")
    _code(ana, "ana", 0, "hope.excellence", memo="first")
    assert main(["merge", str(study), str(ana)]) == 0
    decisions = _count(study, "select count(*) from decisions")
    memos = _count(study, "select count(*) from memos")
    capsys.readouterr()

    assert main(["merge", str(study), str(ana), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["decisions"], report["memos"], report["conflicts"]) == (0, 0, [])
    assert _count(study, "select count(*) from decisions") == decisions
    assert _count(study, "select count(*) from memos") == memos


def test_a_copy_of_a_merged_project_brings_nothing_back_twice(study):
    """The identity survives a merge: a copy made after merging shares those decisions."""
    if is_url(study):
        pytest.skip("a copy of a server project is not made with cp")
    ana = _copy(study, "ana.wb")
    _code(ana, "ana", 0, "hope.excellence")
    merge_copies(Project.open(study), [ana])
    later = _copy(study, "later.wb")
    _code(later, "ana", 1, "hope.learning")
    with Project.open(study) as project:
        report = merge_copies(project, [later, ana])
    assert report.decisions == 1 and report.conflicts == []


def _conflicting(study: Path) -> tuple[Path, Path]:
    """ana codes the same passage differently in two copies (the second later)."""
    first, second = _copy(study, "laptop.wb"), _copy(study, "desktop.wb")
    _code(first, "ana", 0, "hope.excellence")
    _code(second, "ana", 0, "hope.time")
    return first, second


def test_same_coder_deciding_differently_is_a_listed_conflict(study, capsys):
    first, second = _conflicting(study)
    assert main(["merge", str(study), str(first), str(second)]) == 1
    out = capsys.readouterr()
    assert "conflict desktop.wb: ana on" in out.out and "NOT merged" in out.out
    assert "--prefer" in out.err
    # the first copy merged, the conflicting passage of the second left alone
    assert _codes(study, "ana")[0] == {"hope.excellence"}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("project", {"hope.excellence"}),
        ("copy", {"hope.time"}),
        ("latest", {"hope.time"}),  # desktop.wb was coded after laptop.wb
    ],
)
def test_each_prefer_rule(study, capsys, rule, expected):
    first, second = _conflicting(study)
    assert main(["merge", str(study), str(first)]) == 0
    capsys.readouterr()
    assert main(["merge", str(study), str(second), "--prefer", rule, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    [conflict] = report["conflicts"]
    assert conflict["coder"] == "ana" and conflict["resolved"] in ("project", "copy")
    assert _codes(study, "ana")[0] == expected
    assert verify_project(study).ok
    decisions = _count(study, "select count(*) from decisions")
    main(["merge", str(study), str(second), "--prefer", rule])
    assert _count(study, "select count(*) from decisions") == decisions


def test_latest_keeps_the_project_when_its_decision_is_later(study):
    copy = _copy(study, "old.wb")
    _code(copy, "ana", 0, "hope.time")
    _code(study, "ana", 0, "hope.excellence")
    with Project.open(study) as project:
        report = merge_copies(project, [copy], prefer="latest")
    assert report.conflicts[0].resolved == "project"
    assert _codes(study, "ana")[0] == {"hope.excellence"}


def test_a_copy_with_a_changed_transcript_is_refused_for_that_transcript(study, capsys):
    copy = _copy(study, "edited.wb")
    _code(copy, "ana", 0, "hope.excellence")
    _code(copy, "ana", 1, "hope.learning")
    conn = sqlite3.connect(copy)
    conn.execute("update transcripts set content_hash = 'edited' where external_id = 'p1'")
    conn.commit()
    conn.close()

    assert main(["merge", str(study), str(copy)]) == 0
    out = capsys.readouterr().out
    assert f"skipped {copy}: transcript p1: its text differs" in out
    assert _codes(study, "ana") == {0: set(), 1: {"hope.learning"}}


def test_an_unrelated_project_is_summarised_and_fails(study, tmp_path, capsys, codebook_path):
    """Every transcript skipped: one line per reason, not one per transcript, and exit 1."""
    other = tmp_path / "other.wb"
    assert main(["new", str(other), "--codebook", str(codebook_path)]) == 0
    texts = [write(tmp_path / f"o{i}.txt", f"A: hello {i}\n\nB: answer {i}\n") for i in range(8)]
    assert main(["import", str(other), *map(str, texts)]) == 0
    capsys.readouterr()
    assert main(["merge", str(study), str(other)]) == 1
    captured = capsys.readouterr()
    skipped = [line for line in captured.out.splitlines() if line.startswith("skipped")]
    assert skipped == [
        f"skipped {other}: 8 transcripts o0, o1, o2, o3, o4 and 3 more: not in the project"
    ]
    assert "no transcript in it matches the project's" in captured.err
    assert main(["merge", str(study), str(other), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert len(report["skipped_transcripts"]) == 8
    assert report["matched_transcripts"] == {str(other): 0}


def test_dry_run_writes_nothing(study, capsys):
    ana = _copy(study, "ana.wb")
    _code(ana, "ana", 0, "hope.excellence")
    before = _count(study, "select count(*) from decisions")
    assert main(["merge", str(study), str(ana), "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["decisions"] == 1
    assert _count(study, "select count(*) from decisions") == before
    assert _count(study, "select count(*) from audit_log where action = 'merge'") == 0


def test_suggestions_and_runs_come_across_once(study):
    copy = _copy(study, "engine.wb")
    with Project.open(copy) as project:
        passage = _coded(project)[0]
        with project.transaction() as conn:
            save_suggestions(
                conn,
                [
                    Suggestion(
                        passage, "hope.time", 0.8, "less time", None, None, "", "local", "m", "p"
                    )
                ],
                1,
            )
            record_run(conn, [passage], 1, "local", "m", "p", "local/m")
    for expected in (1, 0):
        with Project.open(study) as project:
            report = merge_copies(project, [copy])
        assert (report.suggestions, report.suggestion_runs) == (expected, expected)
    assert _count(study, "select count(*) from suggestions") == 1
    assert _count(study, "select count(*) from suggestion_runs") == 1


def test_every_decision_column_comes_across_arm_and_span_included(study):
    """Columns the merge does not rewrite are carried as they are: the anchoring arm, a
    selection's offsets, whether a translation was shown, a memo's selection."""
    from workbench.core.store.coding import DecisionAction, ensure_coder, record_decision
    from workbench.core.store.merging import CARRIED_DECISION_COLUMNS
    from workbench.core.store.merging import append_memo_row as memo_row

    assert {"arm", "span_start", "span_end", "translation_shown"} <= set(CARRIED_DECISION_COLUMNS)
    copy = _copy(study, "ana.wb")
    with Project.open(copy) as project:
        passage = _coded(project)[0]
        with project.transaction() as conn:
            coder = ensure_coder(conn, "ana")
            record_decision(
                conn,
                passage,
                coder,
                DecisionAction.APPLY,
                "hope.time",
                arm="before",
                carried={"span_start": 40, "span_end": 52, "translation_shown": True},
            )
            record_decision(conn, passage, coder, DecisionAction.APPLY, "prod.speed", arm="after")
            from datetime import UTC, datetime

            moment = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
            memo_row(
                conn,
                passage,
                None,
                coder,
                "this bit",
                moment,
                moment,
                (("span_start", 40), ("span_end", 52)),
            )
    for _ in range(2):  # the second merge brings nothing new
        with Project.open(study) as project:
            merge_copies(project, [copy])
    rows = [
        (*r[:4], None if r[4] is None else bool(r[4]))  # SQLite's 1 is PostgreSQL's true
        for r in _rows(
            study,
            "select code_id, arm, span_start, span_end, translation_shown from decisions "
            "order by id",
        )
    ]
    memos = _rows(study, "select text, span_start, span_end from memos")
    assert rows == [
        ("hope.time", "before", 40, 52, True),
        ("prod.speed", "after", None, None, None),
    ]
    assert memos == [("this bit", 40, 52)]
    assert verify_project(study).ok


def test_an_unrelated_project_is_summarised_and_exits_1(study, tmp_path, capsys, codebook_path):
    from workbench.core.codebook import load_codebook

    other = tmp_path / "other.wb"
    with Project.create(other, codebook=load_codebook(codebook_path)) as project:
        files = [
            write(tmp_path / f"x{i}.txt", f"Interviewer: Hi?\nParticipant: {i} x\n")
            for i in range(5)
        ]
        import_files(project, files)
    capsys.readouterr()
    assert main(["merge", str(study), str(other)]) == 1
    out, err = capsys.readouterr()
    skipped = [line for line in out.splitlines() if line.startswith("skipped")]
    assert skipped == [f"skipped {other}: 5 transcripts x0, x1, x2, x3, x4: not in the project"]
    assert err.count("\n") == 1 and "no transcript in it matches" in err
    assert main(["merge", str(study), str(other), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["unmatched"] == [str(other)] and len(report["skipped_transcripts"]) == 5
    assert report["matched_transcripts"] == {str(other): 0}


def test_a_memo_on_a_whole_transcript_comes_across_once(study):
    """A memo with no passage is kept by the merge's reader (its passage join is an outer one)
    and lands on the project's transcript of the same external id."""
    from datetime import UTC, datetime

    from workbench.core.store.coding import ensure_coder
    from workbench.core.store.merging import append_memo_row, transcript_ids

    copy = _copy(study, "ana.wb")
    moment = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with Project.open(copy) as project, project.transaction() as conn:
        transcript = sorted(transcript_ids(conn).items())[1]
        append_memo_row(
            conn, None, transcript[1], ensure_coder(conn, "ana"), "whole talk", moment, moment
        )
    for _ in range(2):  # the second merge brings nothing new
        with Project.open(study) as project:
            merge_copies(project, [copy])
    assert _rows(
        study,
        "select t.external_id, m.passage_id, m.text from memos m "
        "join transcripts t on t.id = m.transcript_id",
    ) == [(transcript[0], None, "whole talk")]
