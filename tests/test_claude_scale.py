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
from workbench.suggest.batches import sync_client as REAL_SYNC_CLIENT
from workbench.suggest.claude import ClaudeOptions, SuggestionError
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
    run = run_suggestions(study, engine, transcript_ids(study)[:1])
    bodies = api.message_bodies
    assert (
        len(bodies) == 2 and len(_ids(bodies[1])) == 1 and _ids(bodies[1])[0] == _ids(bodies[0])[0]
    )
    assert run.suggestions == 6 and run.not_done == 0 and len(_runs(study)) == 6

    # left out twice: reported as failed, not recorded as done, and sent again next run
    with study.transaction() as conn:
        conn.execute(schema.suggestion_runs.delete())
        conn.execute(schema.suggestions.delete())
    api = FakeAnthropic(
        [drop_first, lambda body: httpx2.Response(200, json=message('{"passages": []}'))]
    )
    engine = engine_for(api, concurrency=1, chunk_passages=12)
    run = run_suggestions(study, engine, transcript_ids(study)[:1])
    assert run.not_done == 1 and len(engine.left_out) == 1 and len(_runs(study)) == 5
    assert "left out of the reply twice" in engine.failures[0]
    again = FakeAnthropic()
    run = run_suggestions(study, engine_for(again), transcript_ids(study)[:1])
    assert [_ids(b) for b in again.message_bodies] == [[str(engine.left_out[0])]]
    assert len(_runs(study)) == 6


def test_a_reply_cut_off_at_max_tokens_is_paid_for_and_split_in_halves(study):  # noqa: F811
    def cut_off_when_large(body):
        if len(_ids(body)) > 2:
            cut = message(
                '{"passages": [{"passage_id": "',
                usage={"input_tokens": 1000, "output_tokens": 8000},
            )
            cut["stop_reason"] = "max_tokens"
            return httpx2.Response(200, json=cut)
        return httpx2.Response(200, json=message(good_reply(body)))

    api = FakeAnthropic([cut_off_when_large] * 20)
    engine = engine_for(api, concurrency=2, chunk_passages=12)
    run = run_suggestions(study, engine, transcript_ids(study)[:1])
    sizes = [len(_ids(b)) for b in api.message_bodies]
    assert sizes[0] == 6 and sorted(sizes[1:]) == [1, 1, 2, 2, 3, 3]
    assert run.suggestions == 6 and run.not_done == 0
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


class FakeBatches:
    """The Message Batches endpoints and count_tokens, several batches at once."""

    def __init__(self, tokens_per_request: int = 5000):
        self.batches: dict[str, dict] = {}
        self.calls: list[tuple[str, str]] = []
        self.tokens_per_request = tokens_per_request

    def _batch(self, batch_id: str) -> dict:
        state = self.batches[batch_id]
        n = len(state["requests"])
        ended = state["status"] == "ended"
        return {
            "id": batch_id,
            "type": "message_batch",
            "processing_status": state["status"],
            "request_counts": {
                "processing": 0 if ended else n,
                "succeeded": n if ended else 0,
                "errored": 0,
                "canceled": 0,
                "expired": 0,
            },
            "created_at": "2026-11-23T10:00:00Z",
            "expires_at": "2026-11-24T10:00:00Z",
            "ended_at": None,
            "cancel_initiated_at": None,
            "archived_at": None,
            "results_url": f"https://api.anthropic.com/v1/messages/batches/{batch_id}/results"
            if ended
            else None,
        }

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        self.calls.append((request.method, path))
        if path == "/v1/messages/count_tokens":
            return httpx2.Response(200, json={"input_tokens": self.tokens_per_request})
        if request.method == "POST" and path == "/v1/messages/batches":
            batch_id = f"msgbatch_{len(self.batches) + 1:02d}"
            self.batches[batch_id] = {
                "status": "in_progress",
                "requests": json.loads(request.content)["requests"],
            }
            return httpx2.Response(200, json=self._batch(batch_id))
        parts = path.split("/")
        batch_id = parts[4] if len(parts) > 4 else ""
        if batch_id not in self.batches:
            return httpx2.Response(
                404, json={"type": "error", "error": {"type": "not_found_error", "message": path}}
            )
        if path.endswith("/cancel"):
            self.batches[batch_id]["status"] = "canceling"
        if path.endswith("/results"):
            lines = [
                json.dumps(
                    {
                        "custom_id": r["custom_id"],
                        "result": {
                            "type": "succeeded",
                            "message": message(good_reply(r["params"])),
                        },
                    }
                )
                for r in self.batches[batch_id]["requests"]
            ]
            return httpx2.Response(
                200,
                content="\n".join(lines).encode(),
                headers={"content-type": "application/binary"},
            )
        return httpx2.Response(200, json=self._batch(batch_id))

    @property
    def submitted(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c == ("POST", "/v1/messages/batches")]


def batch_client(api: FakeBatches):
    return REAL_SYNC_CLIENT(
        ClaudeOptions(max_retries=0),
        http_client=httpx2.Client(transport=httpx2.MockTransport(api)),
        key="sk-test",
    )


def test_split_batches_respects_both_limits():
    from workbench.suggest.batches import split_batches

    assert split_batches([10] * 7, max_requests=3, max_bytes=10_000) == [
        range(0, 3),
        range(3, 6),
        range(6, 7),
    ]
    groups = split_batches([400, 400, 400, 100, 900], max_requests=100, max_bytes=1000)
    assert groups == [range(0, 2), range(2, 4), range(4, 5)]
    assert split_batches([], max_requests=3, max_bytes=1000) == []
    with pytest.raises(SuggestionError, match="over the batch limit"):
        split_batches([5000], max_requests=3, max_bytes=1000)


@pytest.mark.parametrize("limit", ["requests", "bytes"])
def test_a_large_run_goes_out_as_several_batches_each_tracked_and_collected(
    study,  # noqa: F811
    monkeypatch,
    limit,
):
    from workbench.suggest import batches
    from workbench.suggest.claude import ClaudeOptions

    options = ClaudeOptions(chunk_passages=2, max_retries=0)
    plan = batches.plan_batches(study, options, transcript_ids(study))
    sizes = [batches.request_bytes(r) for r in plan.requests]
    if limit == "requests":
        monkeypatch.setattr(batches, "MAX_BATCH_REQUESTS", 4)
    else:  # room for two requests of this size, not three
        monkeypatch.setattr(batches, "MAX_BATCH_BYTES", 2 * max(sizes) + 200)
    api = FakeBatches()
    client = batch_client(api)
    submitted = batches.submit_batches(study, client, options, transcript_ids(study))
    expected = [4, 2] if limit == "requests" else [2, 2, 2]
    assert [s.requests for s in submitted] == expected
    for state in api.batches.values():
        body = json.dumps({"requests": state["requests"]}, separators=(",", ":")).encode()
        assert len(state["requests"]) <= batches.MAX_BATCH_REQUESTS
        assert len(body) <= batches.MAX_BATCH_BYTES
    with study.reading() as conn:
        stored = conn.execute(select(schema.llm_batches.c.batch_id)).scalars().all()
    assert sorted(stored) == sorted(api.batches)
    assert batches.submit_batches(study, client, options, transcript_ids(study)) == []

    first = sorted(api.batches)[0]
    api.batches[first]["status"] = "ended"  # only one batch has ended: only it is collected
    statuses = {s.batch_id: s for s in batches.resume_batches(study, client)}
    assert statuses[first].status == "collected" and statuses[first].suggestions == expected[0] * 2
    assert len(_runs(study)) == expected[0] * 2
    for state in api.batches.values():
        state["status"] = "ended"
    batches.resume_batches(study, client)
    assert len(_runs(study)) == 12


def test_batch_status_and_cancel_from_the_command_line(study, monkeypatch, capsys):  # noqa: F811
    from workbench.cli import main
    from workbench.suggest import batches

    api = FakeBatches()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    monkeypatch.setattr(batches, "sync_client", lambda options: batch_client(api))
    monkeypatch.setattr(batches, "MAX_BATCH_REQUESTS", 1)
    path = str(study.location)
    argv = ["suggest", path, "--engine", "claude", "--batch", "--transcripts", "p1", "--json"]
    assert main(argv) == 0
    submitted = json.loads(capsys.readouterr().out)["batches"]
    assert len(submitted) == 1 and len(api.batches) == 1  # one short interview: one request
    assert main(["suggest", path, "--batch", "--status", "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)["batches"]
    assert listed["status"] == "in_progress" and listed["counts"]["processing"] == 1
    assert main(["suggest", path, "--batch", "--cancel"]) == 0
    assert "canceling" in capsys.readouterr().out
    monkeypatch.delenv("ANTHROPIC_API_KEY")  # offline: the state stored in the project
    monkeypatch.setattr("workbench.suggest.cli_support.api_key", lambda: None)
    calls = len(api.calls)
    assert main(["suggest", path, "--batch", "--status"]) == 0
    out = capsys.readouterr().out
    assert "not refreshed" in out and "canceling, 1 requests" in out and len(api.calls) == calls
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    assert ("POST", f"/v1/messages/batches/{submitted[0]['batch_id']}/cancel") in api.calls
    assert main(["suggest", path, "--batch", "--cancel"]) == 0
    assert "no open batch to cancel" in capsys.readouterr().out


def test_max_cost_refuses_a_batch_before_submitting_it(study, monkeypatch, capsys):  # noqa: F811
    from workbench.cli import main
    from workbench.suggest import batches

    api = FakeBatches(tokens_per_request=2_000_000)  # counted: far more than the offline guess
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    monkeypatch.setattr(batches, "sync_client", lambda options: batch_client(api))
    path = str(study.location)
    assert main(["suggest", path, "--engine", "claude", "--batch", "--max-cost", "1"]) == 1
    err = capsys.readouterr().err
    assert "--max-cost" in err and "count_tokens" in err and "nothing was sent" in err
    assert api.submitted == [] and ("POST", "/v1/messages/count_tokens") in api.calls
    # counted small, the same cap lets the batch through
    api.tokens_per_request = 1000
    assert main(["suggest", path, "--engine", "claude", "--batch", "--max-cost", "1"]) == 0
    assert len(api.submitted) == 1


def test_max_cost_refuses_a_sync_run_before_sending(study, monkeypatch, capsys):  # noqa: F811
    from workbench.cli import main
    from workbench.suggest import batches

    counter = FakeBatches(tokens_per_request=2_000_000)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    monkeypatch.setattr(batches, "sync_client", lambda options: batch_client(counter))
    path = str(study.location)
    assert main(["suggest", path, "--engine", "claude", "--max-cost", "0.5", "--json"]) == 1
    assert "over the cap of $0.50" in capsys.readouterr().err
    assert _runs(study) == set() and set(counter.calls) == {("POST", "/v1/messages/count_tokens")}


def test_dry_run_says_whether_tokens_were_counted(study, monkeypatch, capsys):  # noqa: F811
    from workbench.cli import main
    from workbench.suggest import batches

    path = str(study.location)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setattr("workbench.suggest.cli_support.api_key", lambda: None)
    assert main(["suggest", path, "--engine", "claude", "--dry-run", "--json"]) == 0
    offline = json.loads(capsys.readouterr().out)
    assert offline["estimate_source"].startswith("offline")
    api = FakeBatches(tokens_per_request=50_000)
    monkeypatch.setattr("workbench.suggest.cli_support.api_key", lambda: "sk-test")
    monkeypatch.setattr(batches, "sync_client", lambda options: batch_client(api))
    assert main(["suggest", path, "--engine", "claude", "--dry-run", "--json"]) == 0
    counted = json.loads(capsys.readouterr().out)
    assert counted["estimate_source"] == "count_tokens"
    assert counted["input_tokens"] + counted["cache_write_tokens"] + counted[
        "cache_read_tokens"
    ] > 3 * (offline["input_tokens"] + offline["cache_write_tokens"] + offline["cache_read_tokens"])
    assert counted["output_tokens"] == offline["output_tokens"]
