"""The disagreement filter, worked out once per state of the decision log: the same passages as
the query it replaced (kept here as the reference), on hand-made cases, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.conftest import write
from workbench.core.session import CodingSession
from workbench.core.store import Project
from workbench.core.store.importing import import_files
from workbench.core.store.queries import passage_ids_for_keys
from workbench.core.store.search import SearchFilters, search_passages
from workbench.core.store.search_disagreement import disagreeing_passages

pytestmark = pytest.mark.backends

A, B = "prod.speed", "fear.atrophy"
# passage -> each human coder's codes (None: reviewed, no code applies)
CASES: dict[str, dict[str, set[str] | None]] = {
    "t#2": {"ana": {A}, "ben": {A}},  # agree
    "t#4": {"ana": {A}, "ben": {B}},  # differ on both codes
    "t#6": {"ana": {A, B}, "ben": {A}},  # differ on B only
    "t#8": {"ana": {A}, "ben": None},  # ben saw no code
    "t#10": {"ana": {A}},  # one reviewer: nothing to disagree with
    "t#12": {"ana": {A}, "ben": {A}, "cy": None},  # a third reviewer saw none
    "t#14": {"ana": None, "ben": None},  # agree that no code applies
}
# The filter as it was written before it was read once per search (schema 8, 2026-11).
REFERENCE = (
    "SELECT k.passage_id FROM codings k JOIN reviews v "
    "ON v.passage_id = k.passage_id AND v.coder_id = k.coder_id "
    "WHERE k.coder_id IN (SELECT id FROM coders WHERE kind = 'human'){code} "
    "GROUP BY k.passage_id HAVING count(*) < count(DISTINCT k.code_id) * {r} AND {r} >= 2"
)
REVIEWERS = (
    "(SELECT count(*) FROM reviews r WHERE r.passage_id = k.passage_id "
    "AND r.coder_id IN (SELECT id FROM coders WHERE kind = 'human'))"
)


def reference(project: Project, code: str | None) -> set[int]:
    sql = REFERENCE.format(code=" AND k.code_id = :code" if code else "", r=REVIEWERS)
    with project.reading() as conn:
        return {pid for (pid,) in conn.execute(text(sql), {"code": code} if code else {})}


@pytest.fixture
def coded(project, tmp_path):
    turns = []
    for n in range(1, 8):
        turns += [f"Interviewer: Question {n}?", f"Participant: Answer number {n} here."]
    write(tmp_path / "t.txt", "\n\n".join(turns) + "\n")
    import_files(project, [tmp_path / "t.txt"])
    with project.reading() as conn:
        ids = passage_ids_for_keys(conn, list(CASES))
    sessions = {name: CodingSession(project, name) for name in ("ana", "ben", "cy")}
    for key, by_coder in CASES.items():
        for name, codes in by_coder.items():
            if codes is None:
                sessions[name].mark_no_code(ids[key])
            for code in sorted(codes or ()):
                sessions[name].apply_code(ids[key], code)
    return project, ids, sessions


def found(project: Project, **filters) -> list[str]:
    with project.reading() as conn:
        return [hit.key for hit in search_passages(conn, "", SearchFilters(**filters)).hits]


def test_the_passages_in_disagreement_are_those_the_old_query_found(coded):
    project, ids, _ = coded
    by_id = {pid: key for key, pid in ids.items()}
    expected = {None: ["t#4", "t#6", "t#8", "t#12"], A: ["t#4", "t#8", "t#12"], B: ["t#4", "t#6"]}
    for code, keys in expected.items():
        assert found(project, disagreement=True, code=code) == keys
        with project.reading() as conn:
            fresh = disagreeing_passages(conn, code)
        assert {by_id[pid] for pid in fresh} == {by_id[pid] for pid in reference(project, code)}
    # only some passages: the rows a view re-reads after a recode
    with project.reading() as conn:
        assert disagreeing_passages(conn, None, (ids["t#2"], ids["t#4"])) == [ids["t#4"]]


def test_a_new_decision_is_seen_at_once(coded):
    project, ids, sessions = coded
    assert found(project, disagreement=True) == ["t#4", "t#6", "t#8", "t#12"]
    sessions["ben"].apply_code(ids["t#2"], B)  # now they differ on t#2
    assert found(project, disagreement=True) == ["t#2", "t#4", "t#6", "t#8", "t#12"]
    sessions["ben"].undo()
    assert found(project, disagreement=True) == ["t#4", "t#6", "t#8", "t#12"]
    assert reference(project, None) == {ids[k] for k in ("t#4", "t#6", "t#8", "t#12")}


def test_no_disagreement_finds_nothing(project):
    assert found(project, disagreement=True) == []
