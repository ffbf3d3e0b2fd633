"""Reports read only what they show: the same exemplars and participants as reading everything."""

from __future__ import annotations

from collections import defaultdict

import pytest

from workbench.core.analysis.exemplars import exemplars
from workbench.core.analysis.findings import coded_participants
from workbench.core.session import CodingSession
from workbench.core.store import Project
from workbench.core.store.queries import (
    list_transcripts,
    passage_transcripts,
    passages_of,
    transcript_row_ids,
    transcripts_of_passages,
)
from workbench.demo import create_demo_project


@pytest.fixture
def coded(tmp_path):
    """The demo study with two coders on passages of four of its transcripts, often agreeing."""
    project = Project.open(create_demo_project(tmp_path / "demo.wb"))
    with project.reading() as conn:
        passages = [p for p in passages_of(conn, transcript_row_ids(conn)[:4]) if p.coded]
    ana, bo = CodingSession(project, "ana"), CodingSession(project, "bo")
    for index, passage in enumerate(passages[::3]):
        ana.apply_code(passage.id, "hope.time")
        if index % 2:
            bo.apply_code(passage.id, "hope.time")
    yield project, passages
    project.close()


def test_exemplars_rank_as_reading_every_passage_would(coded):
    project, passages = coded
    votes: dict[int, int] = defaultdict(int)
    for passage in passages[::3]:
        votes[passage.id] += 1
    for index, passage in enumerate(passages[::3]):
        votes[passage.id] += index % 2

    def rank(passage):  # the ranking as the exemplars define it, over every passage's text
        length = len(passage.text)
        return (-votes[passage.id], 0 if 60 <= length <= 400 else 1, length)

    expected = sorted((p for p in passages if p.id in votes), key=rank)[:3]
    found = exemplars(project, "hope.time")
    assert [key for key, _quote in found] == [p.key for p in expected]
    assert [quote for _key, quote in found] == [
        p.text if len(p.text) <= 400 else p.text[:399] + "…" for p in expected
    ]
    assert exemplars(project, "fear.atrophy") == []


def test_participants_and_their_metadata_only(coded):
    project, passages = coded
    data = coded_participants(project)
    with project.reading() as conn:
        every = passage_transcripts(conn)
        ids = [p.id for p in passages[::3]]
        assert transcripts_of_passages(conn, ids) == {pid: every[pid] for pid in ids}
        all_transcripts = {t.external_id for t in list_transcripts(conn)}
    assert data.participants == sorted({every[pid] for pid in ids})
    assert set(data.metadata) <= set(data.participants) < all_transcripts
    assert data.metadata  # the demo's metadata came along for the coded participants
