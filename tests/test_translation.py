"""Coding across languages: the language guess, the translator through the real anthropic SDK
over httpx2.MockTransport (no network), the store, decisions that record whether a translation
was shown, and agreement split by language and by "read in translation"."""

from __future__ import annotations

import json
import re

import httpx2
import pytest
from sqlalchemy import select

from tests.conftest import write
from workbench.cli.app import main
from workbench.core.agreement.data import project_data
from workbench.core.agreement.strata import IN_TRANSLATION, MIXED, ORIGINAL, agreement_by
from workbench.core.language import guess_language, normalise_language
from workbench.core.session import CodingSession
from workbench.core.store import schema
from workbench.core.store.chain import check_chain
from workbench.core.store.importing import import_transcript_file
from workbench.core.store.llm import spend
from workbench.core.store.privacy import set_local_only
from workbench.core.store.queries import list_transcripts, passages_of
from workbench.core.store.translations import (
    StoredTranslation,
    read_in_translation,
    save_translations,
    set_transcript_languages,
    transcript_languages,
    translations_for,
)
from workbench.suggest.prices import cost, price_of
from workbench.suggest.translation import (
    INSTRUCTIONS,
    OFFLINE_SOURCE,
    TranslationError,
    TranslationOptions,
    Translator,
    counting_client,
    estimate,
    estimate_chunk,
    plan_translation,
    translate_project,
)

PASSAGE = re.compile(r'<passage id="(\d+)">(.*?)</passage>', re.S)
MODEL = "claude-sonnet-5-5"

GERMAN = (
    "Interviewer: Woran arbeiten Sie gerade, und wo kommt KI dabei vor?\n\n"
    "Participant: Ich bin Postdoc in der Strukturbiologie. Ich nutze KI vor allem, um Skripte "
    "für die Datenauswertung zu schreiben. Früher habe ich zwei Tage gebraucht, heute sind es "
    "zwei Stunden.\n\n"
    "Interviewer: Vertrauen Sie den Ergebnissen?\n\n"
    "Participant: Nein, nicht blind. Bei der Literatur hat mir das Modell zweimal Quellen "
    "genannt, die es gar nicht gibt. Schreiben Sie mir an lena@example.org, wenn Sie mehr "
    "wissen wollen.\n\n"
)


def message(text: str) -> dict:
    return {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 400,
            "output_tokens": 300,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }


def translated(body: dict, drop: int = 0, extra: bool = False) -> str:
    """What the API would answer: one translation per passage sent ("EN:" + its text)."""
    found = PASSAGE.findall(body["messages"][0]["content"])
    items = [{"passage_id": pid, "text": f"EN: {text}"} for pid, text in found]
    items = items[drop:]
    if extra:
        items.append({"passage_id": "99999", "text": "invented"})
    return json.dumps({"translations": items})


class FakeAnthropic:
    """Scripted answers for /v1/messages; every request is kept for the assertions."""

    def __init__(self, script=None):
        self.script = list(script or [])
        self.bodies: list[dict] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        step = self.script.pop(0) if self.script else "ok"
        if isinstance(step, httpx2.Response):
            return step
        if callable(step):
            return httpx2.Response(200, json=message(step(body)))
        return httpx2.Response(200, json=message(translated(body)))


def translator(api: FakeAnthropic, **options) -> Translator:
    defaults = {"target_language": "en", "model": MODEL, "max_retries": 2, "timeout_s": 5.0}
    defaults.update(options)
    return Translator(
        TranslationOptions(**defaults),
        http_client_factory=lambda: httpx2.AsyncClient(transport=httpx2.MockTransport(api)),
        key="sk-test-not-a-real-key",
    )


@pytest.fixture
def german(tmp_path, project):
    import_transcript_file(project, write(tmp_path / "de1.txt", GERMAN))
    return project


def stored(project, target="en") -> dict[int, StoredTranslation]:
    with project.reading() as conn:
        ids = [p.id for p in passages_of(conn, [t.id for t in list_transcripts(conn)])]
        return translations_for(conn, ids, target)


def run(project, api, **options):
    t = translator(api, **options)
    plan = plan_translation(project, "en", None, t.options)
    return plan, translate_project(project, plan, t)


# -- the language guess ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (GERMAN, "de"),
        (
            "Je travaille comme illustratrice à Lyon et je ne pense pas que ce soit la fin du "
            "métier, mais nous avons peur pour les plus jeunes.",
            "fr",
        ),
        (
            "Trabajo en un taller de costura en Bogotá y la verdad es que no uso mucho la IA, "
            "pero mi hija sí.",
            "es",
        ),
        ("I work in a lab and I use it for the scripts that we have to write every week.", "en"),
        ("私は大阪で経理の仕事をしています。AIは請求書の確認に使っています。", "ja"),
        ("أعمل معلمة في عمّان وأستخدم الذكاء الاصطناعي لتحضير الدروس.", "ar"),
        ("Я работаю бухгалтером, и это не так просто, как кажется, но мы справляемся.", "ru"),
    ],
)
def test_the_offline_guess_names_the_language(text, language):
    assert guess_language(text) == language


def test_the_guess_says_nothing_when_the_evidence_is_thin():
    assert guess_language("OK.") is None
    assert guess_language("12:30 14:00") is None
    assert guess_language("") is None


def test_language_tags_are_checked_and_normalised():
    assert normalise_language(" pt_BR ") == "pt-BR"
    assert normalise_language("DE") == "de"
    with pytest.raises(ValueError, match="not a language tag"):
        normalise_language("german!")
    for tag in ("zh-Hant-TW", "es-419", "ca-valencia", "de-1901", "yue", "sr-Latn"):
        assert normalise_language(tag) == tag
    for made_up in ("xx-notalang", "xx", "qq", "en-US-x", "en-toolongvariant"):
        with pytest.raises(ValueError, match="not a language tag"):
            normalise_language(made_up)


# -- the translator --------------------------------------------------------------------------------


def test_a_transcript_is_translated_passage_by_passage_in_one_cached_request(german):
    api = FakeAnthropic()
    plan, result = run(german, api)
    assert plan.detected == {"de1": "de"}  # guessed offline, and stored as metadata
    with german.reading() as conn:
        assert transcript_languages(conn) == {"de1": "de"}
    assert result.translated == 4 and not result.failed
    assert len(api.bodies) == 1  # four passages, one request
    body = api.bodies[0]
    assert body["model"] == MODEL
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert body["system"][0]["text"] == INSTRUCTIONS
    assert body["output_config"]["format"]["type"] == "json_schema"
    assert 'source_language="de"' in body["messages"][0]["content"]
    translations = stored(german)
    assert len(translations) == 4  # interviewer turns too: a coder reads them as context
    with german.reading() as conn:
        passages = {p.id: p for p in passages_of(conn, [t.id for t in list_transcripts(conn)])}
        totals = spend(conn)
    for pid, translation in translations.items():
        assert translation.text == "EN: " + passages[pid].text
        assert (translation.engine, translation.model) == ("claude", MODEL)
        assert translation.source_language == "de"
    assert totals[MODEL]["requests"] == 1
    assert totals[MODEL]["cost_usd"] == pytest.approx(cost(MODEL, _usage(400, 300)), abs=1e-4)
    again = plan_translation(german, "en", None, translator(api).options)
    assert again.chunks == [] and again.already_translated == 4  # never sent twice


def _usage(inp: int, out: int):
    from workbench.suggest.prices import Usage

    return Usage(input_tokens=inp, output_tokens=out)


@pytest.mark.parametrize(
    "bad", [lambda b: translated(b, drop=1), lambda b: translated(b, extra=True)]
)
def test_a_reply_that_misses_or_invents_a_passage_stores_nothing_for_its_chunk(german, bad):
    api = FakeAnthropic([bad, bad])
    _plan, result = run(german, api)
    assert len(api.bodies) == 2  # asked again once
    assert result.translated == 0
    assert len(result.failed) == 1 and "malformed reply twice" in result.failed[0]
    assert stored(german) == {}
    with german.reading() as conn:
        assert spend(conn)[MODEL]["requests"] == 2  # what was paid for is still recorded


def test_a_malformed_reply_is_asked_again_once(german):
    api = FakeAnthropic([lambda b: translated(b, drop=1)])
    _plan, result = run(german, api)
    assert len(api.bodies) == 2 and result.translated == 4 and not result.failed
    assert len(stored(german)) == 4


class CutOffAPI(FakeAnthropic):
    """An API whose reply stops at max_tokens (cut mid-JSON) for the requests ``too_long``
    picks from the passages sent, and translates the others."""

    def __init__(self, too_long):
        super().__init__()
        self.too_long = too_long

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        reply = message(translated(body))
        if self.too_long(PASSAGE.findall(body["messages"][0]["content"])):
            reply["stop_reason"] = "max_tokens"
            text = reply["content"][0]["text"]
            reply["content"][0]["text"] = text[: len(text) // 2]
        return httpx2.Response(200, json=reply)


def test_a_reply_cut_off_at_max_tokens_is_split_in_halves_and_asked_again(german):
    api = CutOffAPI(lambda sent: len(sent) > 2)
    _plan, result = run(german, api)
    assert [len(PASSAGE.findall(b["messages"][0]["content"])) for b in api.bodies] == [4, 2, 2]
    assert result.translated == 4 and not result.failed
    assert len(stored(german)) == 4
    assert len(result.requests) == 3 and not result.requests[0].ok  # the cut one is paid too
    with german.reading() as conn:
        assert spend(conn)[MODEL]["requests"] == 3


def test_a_single_passage_still_cut_off_is_reported_failed_and_the_rest_kept(german):
    api = CutOffAPI(lambda sent: any("Strukturbiologie" in text for _pid, text in sent))
    _plan, result = run(german, api, max_tokens=500)
    sizes = [len(PASSAGE.findall(b["messages"][0]["content"])) for b in api.bodies]
    assert sizes == [4, 2, 1, 1, 2]  # whole, first half, its two passages, second half
    assert result.translated == 3
    assert result.failed == [
        "passage de1#2: its translation was cut off at max_tokens (500) even on its own; "
        "nothing stored for it"
    ]
    translations = stored(german)
    assert len(translations) == 3
    assert not any("Strukturbiologie" in t.text for t in translations.values())
    with german.reading() as conn:
        assert spend(conn)[MODEL]["requests"] == 5


def test_a_rate_limit_is_waited_out_and_retried(german):
    limited = httpx2.Response(
        429,
        json={"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}},
        headers={"retry-after": "0"},
    )
    api = FakeAnthropic([limited])
    _plan, result = run(german, api)
    assert len(api.bodies) == 2 and result.translated == 4 and not result.failed


def test_a_local_only_transcript_is_refused_and_never_sent(german):
    set_local_only(german, ["de1"])
    api = FakeAnthropic()
    plan, result = run(german, api)
    assert plan.local_only == ["de1"] and plan.chunks == []
    assert result.translated == 0 and api.bodies == []


def test_redaction_applies_before_sending(german):
    api = FakeAnthropic()
    _plan, result = run(german, api, redact=True)
    sent = api.bodies[0]["messages"][0]["content"]
    assert "lena@example.org" not in sent and "[EMAIL]" in sent
    assert result.translated == 4
    assert any("[EMAIL]" in t.text for t in stored(german).values())


def test_no_key_is_a_clear_error_and_nothing_is_sent(german, monkeypatch, tmp_path):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "none.json"))
    options = TranslationOptions(target_language="en", model=MODEL)
    plan = plan_translation(german, "en", None, options)
    with pytest.raises(TranslationError, match="no local translator"):
        translate_project(german, plan, Translator(options))
    assert stored(german) == {}


def test_the_cost_is_estimated_from_the_price_table_before_sending(german):
    options = TranslationOptions(target_language="en", model=MODEL, chunk_passages=2)
    plan = plan_translation(german, "en", None, options)
    assert [len(c.passages) for c in plan.chunks] == [2, 2]
    figures = estimate(plan, options)
    first = estimate_chunk(plan.chunks[0], options, cached=False)
    second = estimate_chunk(plan.chunks[1], options, cached=True)
    input_price, output_price = price_of(MODEL)
    by_hand = (
        (first.input_tokens + second.input_tokens) * input_price
        + first.cache_creation_input_tokens * input_price * 1.25
        + second.cache_read_input_tokens * input_price * 0.10
        + (first.output_tokens + second.output_tokens) * output_price
    ) / 1_000_000
    assert figures["cost_usd"] == pytest.approx(by_hand, abs=1e-4)
    assert figures["requests"] == 2 and figures["passages"] == 4
    # output is about as long as what is translated: more text, more output tokens
    lengths = [sum(len(t) for t in c.texts.values()) for c in plan.chunks]
    assert lengths[0] != lengths[1]
    assert (first.output_tokens > second.output_tokens) == (lengths[0] > lengths[1])


class FakeCounter:
    """/v1/messages/count_tokens as the API answers it (or a server error, when told)."""

    def __init__(self, tokens: int = 5_000, fail: bool = False):
        self.tokens, self.fail = tokens, fail
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.calls.append((request.url.path, json.loads(request.content)))
        if self.fail:
            return httpx2.Response(
                500, json={"type": "error", "error": {"type": "api_error", "message": "boom"}}
            )
        return httpx2.Response(200, json={"input_tokens": self.tokens})


def counter_client(api: FakeCounter):
    return counting_client(
        TranslationOptions(model=MODEL, max_retries=0),
        key="sk-test-not-a-real-key",
        http_client=httpx2.Client(transport=httpx2.MockTransport(api)),
    )


def test_with_a_key_the_input_is_counted_by_count_tokens(german):
    options = TranslationOptions(target_language="en", model=MODEL)
    plan = plan_translation(german, "en", None, options)
    offline = estimate(plan, options)
    assert offline["estimate_source"] == OFFLINE_SOURCE
    api = FakeCounter(tokens=50_000)  # far more than the offline guess of this short transcript
    counted = estimate(plan, options, counter_client(api))
    assert counted["estimate_source"] == "count_tokens"
    assert [path for path, _ in api.calls] == ["/v1/messages/count_tokens"]
    body = api.calls[0][1]  # the request as it would be sent, less max_tokens
    assert body["model"] == MODEL and "max_tokens" not in body
    assert body["system"][0]["text"] == INSTRUCTIONS
    assert "Strukturbiologie" in body["messages"][0]["content"]
    assert counted["input_tokens"] == pytest.approx(50_000, abs=2)  # one request: its count
    assert counted["output_tokens"] == offline["output_tokens"]  # output cannot be counted
    assert counted["cost_usd"] > 10 * offline["cost_usd"]


def test_count_tokens_samples_a_long_run_and_scales_the_rest(german):
    options = TranslationOptions(target_language="en", model=MODEL, chunk_passages=1)
    plan = plan_translation(german, "en", None, options)
    offline = estimate(plan, options)
    api = FakeCounter(tokens=10_000)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("workbench.suggest.translation_request.COUNTED_SAMPLE", 2)
        counted = estimate(plan, options, counter_client(api))
    assert len(plan.chunks) == 4 and len(api.calls) == 2  # two counted, four estimated
    assert counted["input_tokens"] > 5 * offline["input_tokens"]


def test_a_count_tokens_error_falls_back_to_the_offline_estimate(german):
    options = TranslationOptions(target_language="en", model=MODEL)
    plan = plan_translation(german, "en", None, options)
    api = FakeCounter(fail=True)
    figures = estimate(plan, options, counter_client(api))
    assert len(api.calls) == 1
    assert figures["estimate_source"] == OFFLINE_SOURCE
    assert figures.pop("count_tokens_error") == (
        "count_tokens failed (InternalServerError); using the offline estimate"
    )
    assert figures == estimate(plan, options)


def test_without_a_key_nothing_is_counted(monkeypatch, tmp_path):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "none.json"))
    assert counting_client(TranslationOptions(model=MODEL)) is None


def test_cli_dry_run_counts_tokens_and_says_when_it_could_not(german, capsys, monkeypatch):
    german.close()
    api = FakeCounter(tokens=50_000)
    monkeypatch.setattr(
        "workbench.suggest.translation.counting_client", lambda options: counter_client(api)
    )
    argv = ["translate", str(german.location), "--to", "en", "--dry-run"]
    assert main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["estimate"]
    assert report["estimate_source"] == "count_tokens" and api.calls
    assert main(argv) == 0
    assert "(estimate: count_tokens)" in capsys.readouterr().out
    api.fail = True
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "count_tokens failed (InternalServerError); using the offline estimate" in err
    assert "(estimate: offline" in out


def test_cli_dry_run_estimates_and_sends_nothing(german, capsys):
    set_local_only(german, ["de1"])
    german.close()
    code = main(["translate", str(german.location), "--to", "en", "--dry-run", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["dry_run"] is True
    assert report["refused_local_only"] == ["de1"]
    assert report["estimate"]["passages"] == 0


def test_cli_dry_run_says_when_the_run_would_lack_a_key(german, capsys, monkeypatch, tmp_path):
    german.close()
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "none.json"))
    argv = ["translate", str(german.location), "--to", "en", "--dry-run"]
    assert main(argv) == 0
    assert "no Anthropic API key: the run itself would be refused" in capsys.readouterr().out
    assert main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["api_key"] is False
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    assert main(argv) == 0
    assert "no Anthropic API key" not in capsys.readouterr().out


def test_cli_rejects_a_bad_target_language(german, capsys):
    german.close()
    assert main(["translate", str(german.location), "--to", "deutsch!"]) == 1
    assert "--to" in capsys.readouterr().err


def test_cli_language_sets_and_guesses(german, capsys, tmp_path):
    import_transcript_file(
        german,
        write(
            tmp_path / "fr1.txt",
            "Participant: Je pense que nous avons peur pour "
            "les plus jeunes, mais ce n'est pas la fin du métier pour moi.\n",
        ),
    )
    german.close()
    assert main(["language", str(german.location), "--detect", "--set", "fr1=fr-FR", "--json"]) == 0
    rows = {r["transcript"]: r for r in json.loads(capsys.readouterr().out)["transcripts"]}
    assert rows["de1"]["language"] == "de" and rows["de1"]["source"] == "guessed"
    assert rows["fr1"]["language"] == "fr-FR" and rows["fr1"]["source"] == "set"
    assert main(["language", str(german.location), "--set", "nope=de"]) == 1
    assert "no such transcript: nope" in capsys.readouterr().err
    assert main(["language", str(german.location), "--set", "fr1=xx-notalang"]) == 1
    assert "'xx-notalang' is not a language tag" in capsys.readouterr().err


# -- the store and decisions ---------------------------------------------------------------------


@pytest.mark.backends
def test_translations_round_trip_and_replace(german):
    with german.reading() as conn:
        pid = next(p.id for p in passages_of(conn, [t.id for t in list_transcripts(conn)]))
    first = StoredTranslation(pid, "en", "de", "first", "claude", MODEL)
    with german.transaction() as conn:
        save_translations(conn, [first])
    assert stored(german)[pid] == first
    second = StoredTranslation(pid, "en", "de", "second", "claude", "claude-haiku-4-5")
    with german.transaction() as conn:
        save_translations(conn, [second, StoredTranslation(pid, "fr", "de", "fr", "claude", MODEL)])
    assert stored(german)[pid] == second
    assert stored(german, "fr")[pid].text == "fr"


@pytest.mark.backends
def test_decisions_record_whether_the_translation_was_shown(german):
    with german.reading() as conn:
        coded = [p.id for p in passages_of(conn, [t.id for t in list_transcripts(conn)]) if p.coded]
    session = CodingSession(german, "ana")
    shown = {coded[0]: True, coded[1]: False}
    session.translation_shown = shown.get  # what the app's view says per passage
    session.apply_code(coded[0], "hope.time")
    session.apply_code(coded[1], "hope.time")
    session.undo()  # an undo is made with the same view
    d = schema.decisions
    with german.reading() as conn:
        rows = conn.execute(
            select(d.c.passage_id, d.c.action, d.c.translation_shown).order_by(d.c.id)
        ).all()
        assert check_chain(conn, d) is None  # the new column is hashed and verifies
        assert read_in_translation(conn, coded) == {(coded[0], "ana")}
    assert [(r.passage_id, r.translation_shown) for r in rows] == [
        (coded[0], True),
        (coded[1], False),
        (coded[1], False),  # the undo's revert
        (coded[1], False),  # its removal
        (coded[1], False),  # and its un-review
    ]
    plain = CodingSession(german, "bob")  # no translation view: NULL, as before schema 8
    plain.mark_no_code(coded[0])
    with german.reading() as conn:
        last = conn.execute(select(d.c.translation_shown).order_by(d.c.id.desc())).scalar()
    assert last is None


# -- agreement split by language and by reading ------------------------------------------------------


def test_agreement_by_language_and_by_read_in_translation(tmp_path, project):
    participant = "Interviewer: Und?\n\nParticipant: Antwort {n} über die Arbeit.\n\n"
    import_transcript_file(
        project, write(tmp_path / "de1.txt", "".join(participant.format(n=n) for n in range(4)))
    )
    english = "Interviewer: And?\n\nParticipant: Answer {n} about work.\n\n"
    import_transcript_file(
        project, write(tmp_path / "en1.txt", "".join(english.format(n=n) for n in range(4)))
    )
    with project.transaction() as conn:
        set_transcript_languages(conn, {"de1": "de", "en1": "en"})
    with project.reading() as conn:
        by = {t.external_id: t.id for t in list_transcripts(conn)}
        de = [p.id for p in passages_of(conn, [by["de1"]]) if p.coded]
        en = [p.id for p in passages_of(conn, [by["en1"]]) if p.coded]
    ana, bob = CodingSession(project, "ana"), CodingSession(project, "bob")
    ana.translation_shown = lambda pid: pid in de[:2]  # read two German passages translated
    bob.translation_shown = lambda pid: True if pid in de else None  # read all of them so
    for pid in de + en:
        ana.apply_code(pid, "hope.time")
    for pid in de[:2] + en:
        bob.apply_code(pid, "hope.time")
    for pid in de[2:]:  # bob differs on two German passages: two codes each way
        bob.apply_code(pid, "prod.speed")
    data = project_data(project, include_engines=False).select(coders=["ana", "bob"])
    codes = len(data.codes)

    def figures(field):
        return {
            s.value: (s.passages, s.result.value)
            for s in agreement_by(project, data, field, metric="percent")
        }

    # Percent agreement pools every (passage, code) cell: a disagreeing passage differs on
    # hope.time and on prod.speed, so two German passages make four of 4 x codes cells differ.
    assert figures("language") == {
        "de": (4, pytest.approx(1 - 4 / (4 * codes))),
        "en": (4, pytest.approx(1.0)),
    }
    assert figures("translation") == {
        IN_TRANSLATION: (2, pytest.approx(1.0)),
        MIXED: (2, pytest.approx(1 - 4 / (2 * codes))),
        ORIGINAL: (4, pytest.approx(1.0)),
    }
