"""Prompt caching stated in the dry run, and ``workbench evaluate`` against held-back human
decisions, for the local engine and for Claude through the fake API (nothing measured on a
real model here: the figures are checked against what the fake answered)."""

from __future__ import annotations

import json

import httpx2
import pytest

from tests.test_claude_engine import FakeAnthropic, engine_for, message
from tests.test_claude_prompt import two  # noqa: F401  (fixture)
from tests.test_claude_scale import FakeBatches, batch_client
from tests.test_local_learning import coded, simulated_codes  # noqa: F401  (fixture)
from workbench.suggest.evaluation import code_score, evaluate
from workbench.suggest.prices import MIN_CACHEABLE, min_cacheable


def test_min_cacheable_table_names_its_source_and_keeps_models_apart():
    assert all(entry.source.startswith("https://") for entry in MIN_CACHEABLE.values())
    assert min_cacheable("claude-haiku-4-5").tokens == 4096
    assert min_cacheable("claude-haiku-4-5-20251001").tokens == 4096  # a dated snapshot
    assert min_cacheable("claude-sonnet-5-5") is None  # not claude-sonnet-5's snapshot
    assert min_cacheable("claude-opus-5-5") is None  # unknown: said, not guessed


def test_dry_run_states_the_cached_prefix_against_the_models_minimum(two, monkeypatch, capsys):  # noqa: F811
    from workbench.cli import main
    from workbench.suggest import batches

    path = str(two.location)
    monkeypatch.setattr("workbench.suggest.cli_support.api_key", lambda: None)
    argv = ["suggest", path, "--engine", "claude", "--model", "claude-haiku-4-5", "--dry-run"]
    assert main([*argv, "--json"]) == 0
    offline = json.loads(capsys.readouterr().out)
    assert offline["min_cacheable_tokens"] == 4096
    assert offline["cache_engages"] is (offline["cached_prefix_tokens"] >= 4096)
    assert offline["estimated_cost_without_cache_usd"] > offline["estimated_cost_with_cache_usd"]
    assert main(argv) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert f"about {offline['cached_prefix_tokens']:,} tokens" in line
    assert "minimum of 4,096" in line and "without" in line
    # With a key, count_tokens counts the prefix (mocked: 5,000 tokens, over the minimum)
    api = FakeBatches(tokens_per_request=5_000)
    monkeypatch.setattr("workbench.suggest.cli_support.api_key", lambda: "sk-test")
    monkeypatch.setattr(batches, "sync_client", lambda options: batch_client(api))
    assert main([*argv, "--json"]) == 0
    counted = json.loads(capsys.readouterr().out)
    assert counted["cached_prefix_tokens"] == 5_000 and counted["cache_engages"] is True
    assert counted["estimated_cost_usd"] == counted["estimated_cost_with_cache_usd"]


def test_a_prefix_under_the_minimum_is_priced_without_the_cache(two, monkeypatch, capsys):  # noqa: F811
    from workbench.cli import main
    from workbench.suggest import batches

    api = FakeBatches(tokens_per_request=1_000)  # under haiku's 4,096
    monkeypatch.setattr("workbench.suggest.cli_support.api_key", lambda: "sk-test")
    monkeypatch.setattr(batches, "sync_client", lambda options: batch_client(api))
    path = str(two.location)
    argv = ["suggest", path, "--engine", "claude", "--model", "claude-haiku-4-5", "--dry-run"]
    assert main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cache_engages"] is False
    assert report["estimated_cost_usd"] == report["estimated_cost_without_cache_usd"]


def test_code_score_counts_by_hand():
    truth = [True, True, False, False, True, False]
    guess = [True, False, True, False, True, False]
    score = code_score("x", truth, guess)  # tp 2, fn 1, fp 1, tn 2
    assert (score.support, score.suggested) == (3, 3)
    assert score.precision == pytest.approx(2 / 3) and score.recall == pytest.approx(2 / 3)
    assert score.f1 == pytest.approx(2 / 3)
    # observed 4/6, chance (3*3 + 3*3)/36 = 0.5: kappa (2/3 - 1/2) / (1/2) = 1/3
    assert score.kappa == pytest.approx(1 / 3)
    assert code_score("y", [False] * 4, [False] * 4).kappa is None  # no variation, no kappa


def test_evaluate_local_reports_per_code_figures(coded, capsys):  # noqa: F811
    from workbench.cli import main

    assert main(["evaluate", str(coded.location), "--engine", "local", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["held_back"] >= 20 and report["learned_from"] > report["held_back"]
    speed = report["per_code"]["prod.speed"]
    assert set(speed) == {"support", "suggested", "precision", "recall", "f1", "kappa"}
    assert report["overall"]["f1"] > 0.5  # the same engine evaluate-local measures
    assert main(["evaluate", str(coded.location), "--holdout", "1.5"]) == 1
    assert "--holdout" in capsys.readouterr().err


def oracle(body: dict, wrong: str | None = None) -> httpx2.Response:
    """Answers like a coder who follows the simulated script, and wrongly adds ``wrong``."""
    import re

    content = body["messages"][0]["content"]
    passages = []
    for pid, text in re.findall(r'<passage id="(\d+)">(.*?)</passage>', content, re.S):
        codes = sorted(simulated_codes(text))
        if wrong:
            codes.append(wrong)
        passages.append(
            {
                "passage_id": pid,
                "quotes": [text[:20]],
                "analysis": "",
                "codes": [
                    {"evidence": text[:20], "rationale": "r", "code_id": c, "confidence": 0.9}
                    for c in codes
                ],
            }
        )
    return httpx2.Response(200, json=message(json.dumps({"passages": passages})))


def test_evaluate_claude_through_the_fake_api(coded):  # noqa: F811
    api = FakeAnthropic([lambda body: oracle(body, wrong="hope.time")] * 200)
    report = evaluate(
        coded, "claude", holdout=0.3, claude=lambda options: engine_for(api, **_as_kwargs(options))
    )
    assert report["unanswered"] == 0 and report["scored_passages"] == report["held_back"]
    assert report["team_examples"] > 0
    speed = report["per_code"]["prod.speed"]
    assert speed["precision"] == 1.0 and speed["recall"] == 1.0 and speed["kappa"] == 1.0
    wrong = report["per_code"]["hope.time"]  # suggested everywhere, never coded by the humans
    assert wrong["support"] == 0 and wrong["precision"] == 0.0
    assert wrong["suggested"] == report["held_back"] - report["abstained"]  # abstained: no code
    # the held-back passages were never shown to the model as examples
    sent = api.message_bodies
    held = {pid for b in sent for pid in _passage_ids(b)}
    examples = sent[0]["system"][-1]["text"]
    # abstained passages (nothing to code) are never sent
    assert "<team_examples>" in examples and len(held) == report["held_back"] - report["abstained"]
    for text in _texts(coded, held):
        assert f">{text}<" not in examples


def _as_kwargs(options) -> dict:
    return {"examples": options.examples, "model": options.model, "chunk_passages": 40}


def _passage_ids(body: dict) -> set[int]:
    import re

    return {int(i) for i in re.findall(r'<passage id="(\d+)">', body["messages"][0]["content"])}


def _texts(project, ids: set[int]) -> list[str]:
    from workbench.core.store.queries import list_transcripts, passages_of
    from workbench.suggest.prompt import escape

    with project.reading() as conn:
        transcripts = [t.id for t in list_transcripts(conn)]
        return [escape(p.text) for p in passages_of(conn, transcripts) if p.id in ids]
