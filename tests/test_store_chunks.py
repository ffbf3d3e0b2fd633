"""Ids queried 500 at a time: every id is asked for once, across chunk boundaries."""

from __future__ import annotations

import pytest

from tests.conftest import write
from workbench.core.session import CodingSession
from workbench.core.store.chunks import CHUNK, in_chunks
from workbench.core.store.importing import import_transcript_file
from workbench.core.store.queries import (
    passage_keys_for_ids,
    passages_of,
    transcript_row_ids,
)


def test_chunks_cover_every_id_once_in_order():
    ids = list(range(2 * CHUNK + 1))
    chunks = list(in_chunks(iter(ids)))
    assert [len(chunk) for chunk in chunks] == [CHUNK, CHUNK, 1]
    assert [i for chunk in chunks for i in chunk] == ids
    assert list(in_chunks([])) == []
    assert list(in_chunks("abc", size=2)) == [["a", "b"], ["c"]]
    with pytest.raises(ValueError):
        list(in_chunks([1], size=0))


def test_reads_over_more_ids_than_one_chunk_miss_none(tmp_path, project):
    turns = "\n\n".join(
        f"{'Interviewer' if i % 2 else 'Participant'}: turn {i}" for i in range(2 * CHUNK + 3)
    )
    import_transcript_file(project, write(tmp_path / "long.txt", turns + "\n"))
    with project.reading() as conn:
        keys = passage_keys_for_ids(conn, range(1, 10_000))
        coded = [p.id for p in passages_of(conn, transcript_row_ids(conn)) if p.coded]
    assert len(keys) == 2 * CHUNK + 3 and len(coded) == CHUNK + 2
    ids = sorted(keys)
    session = CodingSession(project, "ana")
    session.apply_code(coded[0], "hope.time")
    session.mark_no_code(coded[-1])
    session.save_memo(coded[-1], "last one")
    states = session.states(ids)
    assert len(states) == len(ids)
    assert {pid for pid, state in states.items() if state.reviewed} == {coded[0], coded[-1]}
    assert states[coded[0]].codes == {"hope.time"} and not states[coded[-1]].codes
    assert session.memos(ids) == {coded[-1]: "last one"}
