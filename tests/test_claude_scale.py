"""Claude at corpus scale: nothing paid for is lost, nothing unanswered is recorded as done.

The real SDK talks to ``FakeAnthropic`` (tests/test_claude_engine.py) over httpx2.MockTransport.
"""

from __future__ import annotations

import json

import httpx2
import pytest
from sqlalchemy import func, select

from tests.test_claude_engine import (
    PASSAGE,
    FakeAnthropic,
    engine_for,
    good_reply,
    message,
    study,  # noqa: F401  (fixture)
    transcript_ids,
)
from workbench.core.store import schema
from workbench.core.store.llm import spend
from workbench.suggest.claude import SuggestionError
from workbench.suggest.runner import run_suggestions


def _ids(body: dict) -> list[str]:
    return [pid for pid, _text in PASSAGE.findall(body["messages"][0]["content"])]


def _runs(project) -> set[int]:
    with project.reading() as conn:
        return set(conn.execute(select(schema.suggestion_runs.c.passage_id)).scalars())


def test_a_passage_left_out_of_the_reply_is_asked_again_once_then_failed(study):  # noqa: F811
    def drop_first(body):
        reply = json.loads(good_reply(body))
        reply["passages"] = reply["passages"][1:]
        return httpx2.Response(200, json=message(json.dumps(reply)))

    # first reply leaves one passage out; the re-request for it answers it
    api = FakeAnthropic([drop_first, "ok"])
    engine = engine_for(api, concurrency=1, chunk_passages=12)
    run = run_suggestions(study, engine, transcript_ids(study))
    bodies = api.message_bodies
    assert (
        len(bodies) == 2 and len(_ids(bodies[1])) == 1 and _ids(bodies[1])[0] == _ids(bodies[0])[0]
    )
    assert run.suggestions == 12 and run.not_done == 0 and len(_runs(study)) == 12

    # left out twice: reported as failed, not recorded as done, and sent again next run
    with study.transaction() as conn:
        conn.execute(schema.suggestion_runs.delete())
        conn.execute(schema.suggestions.delete())
    api = FakeAnthropic(
        [drop_first, lambda body: httpx2.Response(200, json=message('{"passages": []}'))]
    )
    engine = engine_for(api, concurrency=1, chunk_passages=12)
    run = run_suggestions(study, engine, transcript_ids(study))
    assert run.not_done == 1 and len(engine.left_out) == 1 and len(_runs(study)) == 11
    assert "left out of the reply twice" in engine.failures[0]
    again = FakeAnthropic()
    run = run_suggestions(study, engine_for(again), transcript_ids(study))
    assert [_ids(b) for b in again.message_bodies] == [[str(engine.left_out[0])]]
    assert len(_runs(study)) == 12


def test_a_reply_cut_off_at_max_tokens_is_paid_for_and_split_in_halves(study):  # noqa: F811
    def cut_off_when_large(body):
        if len(_ids(body)) > 3:
            cut = message(
                '{"passages": [{"passage_id": "',
                usage={"input_tokens": 1000, "output_tokens": 8000},
            )
            cut["stop_reason"] = "max_tokens"
            return httpx2.Response(200, json=cut)
        return httpx2.Response(200, json=message(good_reply(body)))

    api = FakeAnthropic([cut_off_when_large] * 20)
    engine = engine_for(api, concurrency=2, chunk_passages=12)
    run = run_suggestions(study, engine, transcript_ids(study))
    sizes = [len(_ids(b)) for b in api.message_bodies]
    assert sizes[0] == 12 and sorted(sizes[1:]) == [3, 3, 3, 3, 6, 6]
    assert run.suggestions == 12 and run.not_done == 0
    with study.reading() as conn:
        rows = conn.execute(select(schema.llm_requests)).mappings().all()
        total = spend(conn)
    cut = [r for r in rows if r["error"] == "reply cut off at max_tokens"]
    assert len(cut) == 3 and all(r["output_tokens"] == 8000 and r["cost_usd"] > 0 for r in cut)
    assert sum(v["requests"] for v in total.values()) == 7


def test_a_single_passage_cut_off_fails_without_looping(study):  # noqa: F811
    def always_cut(body):
        cut = message("{", usage={"input_tokens": 10, "output_tokens": 8000})
        cut["stop_reason"] = "max_tokens"
        return httpx2.Response(200, json=cut)

    api = FakeAnthropic([always_cut] * 100)
    engine = engine_for(api, concurrency=4, chunk_passages=2)
    with pytest.raises(SuggestionError, match="cut off at max_tokens"):
        run_suggestions(study, engine, transcript_ids(study))
    # 6 chunks of 2, each split once into 2 single passages: 18 requests, every one paid for
    assert len(api.message_bodies) == 18 and _runs(study) == set()
    with study.reading() as conn:
        assert conn.execute(select(func.count()).select_from(schema.llm_requests)).scalar() == 18
