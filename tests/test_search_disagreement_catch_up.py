"""The disagreement filter after new decisions: the kept answer is caught up by re-reading only
the passages decided on since, and is the same as working it out again; a log that is not the
kept one plus new decisions is worked out again."""

from __future__ import annotations

import pytest

from tests import test_search_disagreement as base
from tests.test_search_disagreement import B, found, reference
from workbench.core.store import search_disagreement
from workbench.core.store.search_disagreement import disagreeing_passages

pytestmark = pytest.mark.backends

coded = base.coded  # the hand-made cases, on both backends


@pytest.fixture
def calls(monkeypatch):
    """The passages each ``_disagreeing`` call looked at (() for all of them)."""
    seen: list[tuple[int, ...]] = []
    real = search_disagreement._disagreeing

    def spy(conn, code=None, passage_ids=()):  # type: ignore[no-untyped-def]
        seen.append(tuple(passage_ids))
        return real(conn, code, passage_ids)

    monkeypatch.setattr(search_disagreement, "_disagreeing", spy)
    search_disagreement._DISAGREEING.clear()
    yield seen
    search_disagreement._DISAGREEING.clear()


def test_a_decision_is_caught_up_by_re_reading_its_passage_only(coded, calls):
    project, ids, sessions = coded
    assert found(project, disagreement=True) == ["t#4", "t#6", "t#8", "t#12"]
    assert calls == [()]  # the first search works it out over every passage
    sessions["ben"].apply_code(ids["t#2"], B)  # t#2 comes in
    sessions["ana"].apply_code(ids["t#6"], B)  # already there; still there (ben lacks B)
    sessions["ben"].apply_code(ids["t#4"], "prod.speed")  # still differ on B
    sessions["ben"].remove_code(ids["t#4"], B)  # now agree on t#4: it leaves
    assert found(project, disagreement=True) == ["t#2", "t#6", "t#8", "t#12"]
    assert len(calls) == 2  # caught up once, over the three passages decided on
    assert sorted(calls[1]) == sorted((ids["t#2"], ids["t#4"], ids["t#6"]))
    with project.reading() as conn:
        assert set(disagreeing_passages(conn, None)) == reference(project, None)
        assert set(disagreeing_passages(conn, B)) == reference(project, B)
    sessions["ben"].undo()  # the undo is a decision too: t#4 comes back
    assert found(project, disagreement=True) == ["t#2", "t#4", "t#6", "t#8", "t#12"]
    assert calls[-1] == (ids["t#4"],)


def test_a_log_that_is_not_the_kept_one_is_worked_out_again(coded, calls):
    project, ids, sessions = coded
    found(project, disagreement=True)
    key = next(iter(search_disagreement._DISAGREEING))
    head_id, _hash, kept = search_disagreement._DISAGREEING[key]
    search_disagreement._DISAGREEING[key] = (head_id - 1, "not the hash of that row", kept)
    assert found(project, disagreement=True) == ["t#4", "t#6", "t#8", "t#12"]
    assert calls == [(), ()]  # worked out again, not caught up from a history it was not


def test_many_passages_decided_since_are_worked_out_again(coded, calls, monkeypatch):
    project, ids, sessions = coded
    monkeypatch.setattr(search_disagreement, "_CATCH_UP_LIMIT", 1)
    found(project, disagreement=True)
    sessions["ben"].apply_code(ids["t#2"], B)
    sessions["ben"].apply_code(ids["t#14"], B)
    assert found(project, disagreement=True) == ["t#2", "t#4", "t#6", "t#8", "t#12", "t#14"]
    assert calls == [(), ()]
