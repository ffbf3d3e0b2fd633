"""The Claude request by the book, read back from what the real SDK sends over MockTransport:
evidence before the label, one interview per request with marked context, the whole codebook,
the coder's language, the team's examples in the cached prefix, and suggestions reused exactly
while the prefix the model reads is unchanged."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import write
from tests.test_claude_engine import FakeAnthropic, engine_for, transcript_ids
from workbench.core.codebook import parse_codebook
from workbench.core.store import schema
from workbench.core.store.coding import CoderKind, DecisionAction, ensure_coder, record_decision
from workbench.core.store.importing import import_transcript_file
from workbench.core.store.privacy import set_local_only
from workbench.core.store.queries import list_transcripts, passages_of
from workbench.core.store.suggestions import suggestions_for
from workbench.suggest.examples import MAX_CHARS, team_examples, with_team_examples
from workbench.suggest.prompt import TeamExample
from workbench.suggest.runner import run_suggestions

INTERVIEW = re.compile(r'<interview id="([^"]*)">(.*?)</interview>', re.S)
PASSAGE = re.compile(r'<passage id="(\d+)">')


def answers(prefix: str, n: int = 5) -> str:
    return "".join(
        f"Interviewer: Question {i} for {prefix}?\n\nParticipant: {prefix} answer {i}: it saves "
        "me hours every week.\n\n"
        for i in range(n)
    )


@pytest.fixture
def two(tmp_path, project):
    import_transcript_file(project, write(tmp_path / "alpha.txt", answers("alpha")))
    import_transcript_file(project, write(tmp_path / "beta.txt", answers("beta")))
    return project


def passage_ids_of(project, external_id: str) -> list[int]:
    with project.reading() as conn:
        [row] = [t for t in list_transcripts(conn) if t.external_id == external_id]
        return [p.id for p in passages_of(conn, [row.id]) if p.coded]


def test_the_schema_asks_for_evidence_before_the_label(two):
    api = FakeAnthropic()
    run_suggestions(two, engine_for(api, chunk_passages=40), transcript_ids(two))
    body = api.message_bodies[0]
    schema = body["output_config"]["format"]["schema"]
    item = schema["properties"]["passages"]["items"]
    assert list(item["properties"]) == ["passage_id", "quotes", "analysis", "codes"]
    assert item["required"] == ["passage_id", "quotes", "analysis", "codes"]
    code = item["properties"]["codes"]["items"]
    assert list(code["properties"]) == ["evidence", "rationale", "code_id", "confidence"]
    assert code["required"] == ["evidence", "rationale", "code_id", "confidence"]
    instructions = body["system"][0]["text"]
    order = [instructions.index(f"- {name}:") for name in ("evidence", "rationale", "code_id")]
    assert order == sorted(order) and instructions.index("1. quotes") < instructions.index(
        "3. codes"
    )


def test_one_interview_per_request_and_a_long_one_split_never_mixed(two):
    api = FakeAnthropic()
    run_suggestions(two, engine_for(api, chunk_passages=40), transcript_ids(two))
    seen = []
    for body in api.message_bodies:
        [(interview, inner)] = INTERVIEW.findall(body["messages"][0]["content"])
        seen.append((interview, [int(i) for i in PASSAGE.findall(inner)]))
    assert seen == [
        ("alpha", passage_ids_of(two, "alpha")),
        ("beta", passage_ids_of(two, "beta")),
    ]  # 10 passages fit one request, yet two go out: one per interview
    api = FakeAnthropic()
    fresh = engine_for(api, chunk_passages=3, model="claude-sonnet-5")
    run_suggestions(two, fresh, transcript_ids(two))
    interviews = [INTERVIEW.findall(b["messages"][0]["content"]) for b in api.message_bodies]
    assert [len(found) for found in interviews] == [1] * 4  # 5 passages: 3 + 2, per interview
    assert [found[0][0] for found in interviews] == ["alpha", "alpha", "beta", "beta"]


def test_context_is_the_end_of_a_long_question_and_the_previous_answer(tmp_path, project):
    long_turn = "START " + "background " * 400 + "So what changed for you?"
    text = (
        f"Interviewer: {long_turn}\n\nParticipant: First I was sceptical.\n\n"
        "Interviewer: And then?\n\nParticipant: Then it saved me hours.\n\n"
    )
    import_transcript_file(project, write(tmp_path / "p1.txt", text))
    api = FakeAnthropic()
    run_suggestions(project, engine_for(api), transcript_ids(project))
    assert _context(api.message_bodies[0]) == [
        ("interviewer_question", long_turn[-1500:]),
        ("passage", "First I was sceptical."),
        ("interviewer_question", "And then?"),
        ("passage", "Then it saved me hours."),  # its previous answer is just above: not resent
    ]
    with project.transaction() as conn:
        conn.execute(schema.suggestion_runs.delete())
    api = FakeAnthropic()
    run_suggestions(project, engine_for(api, chunk_passages=1), transcript_ids(project))
    assert _context(api.message_bodies[1]) == [
        ("interviewer_question", "And then?"),
        ("previous_answer", "First I was sceptical."),  # marked as context, not a passage
        ("passage", "Then it saved me hours."),
    ]


def _context(body: dict) -> list[tuple[str, str]]:
    content = body["messages"][0]["content"]
    data = ET.fromstring(content[: content.index("</transcript_data>") + len("</transcript_data>")])
    return [(child.tag, (child.text or "").strip().lstrip("…")) for child in data.find("interview")]


def test_the_whole_codebook_is_in_the_prompt_as_elements(two):
    api = FakeAnthropic()
    run_suggestions(two, engine_for(api, chunk_passages=40), transcript_ids(two))
    block = ET.fromstring(api.message_bodies[0]["system"][1]["text"])
    codebook = two.codebook
    assert block.findtext("description").split()[:3] == codebook.description.split()[:3]
    codes = {c.attrib["id"]: c for c in block.findall("code")}
    assert list(codes) == codebook.ids
    for code in codebook.walk():
        element = codes[code.id]
        assert element.findtext("definition") == code.definition.strip()
        assert [e.text for e in element.findall("include")] == list(code.include)
        assert [e.text for e in element.findall("exclude")] == list(code.exclude)
        assert [e.text for e in element.findall("example")] == list(code.examples)
        assert element.findtext("opposite") == code.opposite
        assert element.attrib.get("parent") == code.parent_id
    assert any(code.opposite for code in codebook.walk())  # the links are really exercised


def test_quotes_stay_in_the_passage_language_rationale_in_the_coders(two):
    api = FakeAnthropic()
    run_suggestions(two, engine_for(api, language="Deutsch"), transcript_ids(two))
    instructions = " ".join(api.message_bodies[0]["system"][0]["text"].split())
    assert "never translate a quote" in instructions
    assert "every rationale in Deutsch" in instructions
    api = FakeAnthropic()
    run_suggestions(two, engine_for(api, model="claude-sonnet-5"), transcript_ids(two))
    assert "every rationale in English" in " ".join(
        api.message_bodies[0]["system"][0]["text"].split()
    )


def decide(project, passage_id: int, action: DecisionAction, code: str | None, coder="ana"):
    with project.transaction() as conn:
        coder_id = ensure_coder(conn, coder, CoderKind.HUMAN)
        record_decision(conn, passage_id, coder_id, action, code)


def test_team_examples_by_the_stated_rule_never_local_only(two, tmp_path):
    alpha, beta = passage_ids_of(two, "alpha"), passage_ids_of(two, "beta")
    import_transcript_file(two, write(tmp_path / "secret.txt", answers("secret")))
    secret = passage_ids_of(two, "secret")
    set_local_only(two, ["secret"])
    decide(two, secret[0], DecisionAction.APPLY, "prod.speed")  # earliest, but local-only
    for pid in alpha[:4]:
        decide(two, pid, DecisionAction.APPLY, "prod.speed")  # four: only the first three go
    decide(two, beta[0], DecisionAction.REJECT, "prod.speed")
    decide(two, beta[1], DecisionAction.REJECT, "fear.atrophy")
    decide(two, beta[1], DecisionAction.APPLY, "fear.atrophy", coder="bo")  # held: no counter
    texts = {}
    with two.reading() as conn:
        for t in list_transcripts(conn):
            texts.update({p.id: p.text for p in passages_of(conn, [t.id])})
    by_code = {
        "prod.speed": [
            TeamExample("prod.speed", texts[alpha[0]]),
            TeamExample("prod.speed", texts[alpha[1]]),
            TeamExample("prod.speed", texts[alpha[2]]),
            TeamExample("prod.speed", texts[beta[0]], applies=False),
        ],
        "fear.atrophy": [TeamExample("fear.atrophy", texts[beta[1]])],
    }
    chosen = team_examples(two)
    assert chosen == tuple(e for code in two.codebook.ids for e in by_code.get(code, []))
    assert all("secret" not in e.text for e in chosen)
    assert all(len(e.text) <= MAX_CHARS for e in chosen)
    api = FakeAnthropic()
    engine = engine_for(api)
    engine.options = with_team_examples(two, engine.options)
    run_suggestions(two, engine, transcript_ids(two))
    system = api.message_bodies[0]["system"]
    assert system[-1]["cache_control"] == {"type": "ephemeral"}  # examples inside the prefix
    assert all("cache_control" not in block for block in system[:-1])
    block = ET.fromstring(system[-1]["text"])
    assert [(e.tag, e.attrib["code"], e.text) for e in block] == [
        ("example" if e.applies else "counter_example", e.code_id, e.text) for e in chosen
    ]
    sent = json.dumps(api.message_bodies)
    assert "secret answer" not in sent


def recolour(project, tmp_path, codebook_path, change) -> None:
    text = change(codebook_path.read_text(encoding="utf-8"))
    version = project.codebook.version + 1
    text = re.sub(r"^version: \d+", f"version: {version}", text, flags=re.M)
    project.add_codebook_version(parse_codebook(text, "edited.yaml"))
    assert project.codebook.version == version


def test_a_colour_or_shortcut_edit_resends_nothing_a_definition_edit_does(
    two, tmp_path, codebook_path
):
    api = FakeAnthropic()
    first = run_suggestions(two, engine_for(api), transcript_ids(two))
    assert first.passages == 10 and len(api.message_bodies) == 2
    recolour(
        two,
        tmp_path,
        codebook_path,
        lambda t: t.replace('color: "#43a047"', 'color: "#000000"').replace(
            'shortcut: "1"', 'shortcut: "Z"'
        ),
    )
    edited = two.codebook.get("hope.excellence")
    assert edited.color == "#000000" and edited.shortcut.upper() == "Z"
    again = run_suggestions(two, engine_for(api), transcript_ids(two))
    assert again.skipped_cached == 10 and len(api.message_bodies) == 2  # nothing re-sent
    with two.reading() as conn:
        carried = suggestions_for(conn, range(1, 100), two.codebook.version)
    assert sum(len(v) for v in carried.values()) == 10  # shown under the new version too
    recolour(
        two,
        tmp_path,
        codebook_path,
        lambda t: t.replace(
            "The hope that AI clears away routine work", "The wish that AI clears away routine work"
        ),
    )
    third = run_suggestions(two, engine_for(api), transcript_ids(two))
    assert third.skipped_cached == 0 and len(api.message_bodies) == 4  # the prompt changed


def test_changing_the_examples_changes_the_prompt_hash(two):
    engine = engine_for(FakeAnthropic())
    before = engine.prompt_version_for(two.codebook)
    decide(two, passage_ids_of(two, "alpha")[0], DecisionAction.APPLY, "prod.speed")
    engine.options = with_team_examples(two, engine.options)
    after = engine.prompt_version_for(two.codebook)
    assert before != after and before.startswith("claude-codes-3-")
    assert engine_for(FakeAnthropic()).prompt_version_for(two.codebook) == before  # stable
