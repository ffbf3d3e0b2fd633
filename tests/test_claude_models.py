"""Models and prices: a default the SDK does not deprecate, dated prices, --price, snapshots,
and connection failures said in words."""

from __future__ import annotations

import asyncio
import socket
import ssl
import warnings

import httpx2
import pytest
from anthropic import AsyncAnthropic
from anthropic._data import DEPRECATED_MODELS

from tests.test_claude_engine import (
    FakeAnthropic,
    engine_for,
    good_reply,
    message,
    study,  # noqa: F401  (fixture)
    transcript_ids,
)
from workbench.cli import main
from workbench.core.errors import WorkbenchError
from workbench.core.store.suggestions import suggestions_for
from workbench.suggest import prices
from workbench.suggest.claude import SuggestionError
from workbench.suggest.runner import run_suggestions


def test_the_default_model_is_not_deprecated_by_the_installed_sdk():
    assert prices.DEFAULT_MODEL not in DEPRECATED_MODELS

    # and the SDK, asked for it, does not warn (it warns with DeprecationWarning when it is)
    def create(model: str) -> None:
        client = AsyncAnthropic(
            api_key="sk-test",
            http_client=httpx2.AsyncClient(
                transport=httpx2.MockTransport(
                    lambda request: httpx2.Response(200, json=message('{"passages": []}'))
                )
            ),
        )
        asyncio.run(
            client.messages.create(
                model=model, max_tokens=10, messages=[{"role": "user", "content": "hi"}]
            )
        )

    deprecated = next(iter(DEPRECATED_MODELS))
    with pytest.warns(DeprecationWarning):  # the check below can fail: the SDK does warn
        create(deprecated)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        create(prices.DEFAULT_MODEL)


def test_every_price_names_its_source_and_date():
    assert prices.DEFAULT_MODEL in prices.PRICES
    for model, price in prices.PRICES.items():
        assert price.source.startswith("https://"), model
        assert len(price.checked) == 10 and price.checked[4] == "-", model
        assert 0 < price.input < price.output, model


def test_an_unpriced_model_runs_only_with_price(study, monkeypatch, capsys):  # noqa: F811
    path = str(study.location)
    monkeypatch.setattr("workbench.suggest.cli_support.api_key", lambda: None)
    args = ["suggest", path, "--engine", "claude", "--model", "claude-new-9", "--dry-run"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "no price known for model 'claude-new-9'" in err and "--price IN,OUT" in err
    assert main([*args, "--price", "abc"]) == 1
    assert "--price: 'abc' is not IN,OUT" in capsys.readouterr().err
    assert main([*args, "--price", "2,10", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"model": "claude-new-9"' in out
    assert prices.price_entry("claude-new-9").source == "--price on the command line"


def test_the_model_snapshot_the_api_reports_is_stored(study):  # noqa: F811
    def reply(body):
        answer = message(good_reply(body))
        answer["model"] = "claude-opus-5-5-20261001"
        return httpx2.Response(200, json=answer)

    api = FakeAnthropic([reply])
    run_suggestions(study, engine_for(api, chunk_passages=12), transcript_ids(study)[:1])
    with study.reading() as conn:
        stored = [s for items in suggestions_for(conn, range(1, 100)).values() for s in items]
    assert len(stored) == 6
    assert {(s.model, s.model_snapshot) for s in stored} == {
        (prices.DEFAULT_MODEL, "claude-opus-5-5-20261001")
    }


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (httpx2.ConnectError("[Errno -2] Name or service not known"), "(DNS)"),
        (httpx2.ProxyError("407 Proxy Authentication Required"), "proxy"),
        (
            httpx2.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
            "TLS",
        ),
        (httpx2.ConnectError("[Errno 111] Connection refused"), "no network connection"),
    ],
)
def test_a_failed_connection_says_what_failed(study, failure, words):  # noqa: F811
    api = FakeAnthropic([failure] * 10)
    engine = engine_for(api, chunk_passages=12, max_retries=0)
    with pytest.raises(SuggestionError) as caught:
        run_suggestions(study, engine, transcript_ids(study))
    assert words in str(caught.value) and "check" in str(caught.value)


def test_connection_causes_are_read_from_the_exception_chain():
    from workbench.suggest.claude import connection_problem

    for cause, words in ((socket.gaierror(-2, "x"), "DNS"), (ssl.SSLError(1, "x"), "TLS")):
        try:
            try:
                raise cause
            except OSError as inner:
                raise WorkbenchError("wrapped") from inner
        except WorkbenchError as outer:
            assert words in connection_problem(outer)


def test_an_older_project_gains_the_snapshot_column_and_keeps_its_suggestions(tmp_path):
    import shutil
    import sqlite3
    from pathlib import Path

    from workbench.core.store import Project

    path = tmp_path / "old.wb"
    shutil.copy(Path(__file__).parent / "data" / "project-schema-1.wb", path)
    with sqlite3.connect(path) as conn:
        before = conn.execute("select count(*) from suggestions").fetchone()[0]
    with Project.open(path) as project, project.reading() as conn:
        stored = [s for items in suggestions_for(conn, range(1, 10_000)).values() for s in items]
    assert before > 0 and len(stored) == before
    assert all(s.model_snapshot is None for s in stored)  # never known for old suggestions
    with sqlite3.connect(path) as conn:
        columns = [row[1] for row in conn.execute("pragma table_info(suggestions)")]
    assert "model_snapshot" in columns


def test_a_model_chosen_in_the_app_is_used_unless_model_is_given(tmp_path, monkeypatch):
    from workbench.settings import save_setting
    from workbench.suggest.prices import DEFAULT_MODEL, preferred_model

    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.json"))
    assert preferred_model() == DEFAULT_MODEL
    save_setting("claude_model", "claude-haiku-4-5")
    assert preferred_model() == "claude-haiku-4-5"
    assert preferred_model("claude-sonnet-4-5") == "claude-sonnet-4-5"  # --model wins
