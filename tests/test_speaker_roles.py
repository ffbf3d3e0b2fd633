"""Who is speaking: label variants, the lead's decisions on labels, and decisions kept on re-flag."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.conftest import write
from workbench.cli import main
from workbench.core.agreement.data import project_data
from workbench.core.analysis.findings import coded_participants
from workbench.core.errors import DecisionError, ProjectError
from workbench.core.speaker_labels import (
    INTERVIEWER_WORDS,
    Role,
    default_role,
    normalize_label,
)
from workbench.core.speakers import detect_speakers
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store import Project, ProjectSettings, schema
from workbench.core.store.coding import DecisionAction, ensure_coder, record_decision
from workbench.core.store.importing import import_transcript_file
from workbench.core.store.queries import list_transcripts, passage_ids_for_keys, passages_of
from workbench.core.store.speaker_roles import (
    decisions_on_interviewer_passages,
    label_summaries,
    set_speaker_roles,
)

NUMBERED = (
    "Interviewer1 : How do you use AI at work?\n\nParticipant 1: For drafts.\n\n"
    "Interviewer1 : Anything else?\n\nParticipant 1: Fear, a little.\n\n"
    "Interviewer1 : Thanks.\n"
)


@pytest.mark.parametrize(
    "label",
    [
        "Interviewer1",
        "Interviewer1 ",
        "INTERVIEWER 2",
        "interviewer  3",
        "Interviewer #4",
        "Interviewer (Kim)",
        "Int.",
        "INT",
        "I",
        "Q",
        "Q1",
        "Moderator",
        "FACILITATOR 2",
        "Researcher",
        "Ｑ",  # full width, as Japanese transcripts type it
    ],
)
def test_interviewer_variants_of_case_spacing_and_numbering(label):
    assert default_role(label) is Role.INTERVIEWER


@pytest.mark.parametrize(
    "label",
    [
        "R",
        "A",
        "P1",
        "P-01",
        "Participant 3",
        "Respondent",
        "User",
        "Befragte/r",
        "Maria",
        "Interviewee",
        "Entrevistado",
        "Интересно",  # a word that starts like Интервьюер but is not a role
    ],
)
def test_participant_labels_stay_participants(label):
    assert default_role(label) is Role.PARTICIPANT


@pytest.mark.parametrize(
    ("language", "label"),
    [
        ("es", "Entrevistador"),
        ("es", "Entrevistadora 2"),
        ("de", "Interviewerin"),
        ("de", "Befragerin"),
        ("fr", "Enquêtrice"),
        ("fr", "Intervieweur 1"),
        ("pt", "Entrevistadora"),
        ("pt", "Pesquisador"),
        ("ru", "Интервьюер"),
        ("ru", "ИНТЕРВЬЮЕР 2"),
        ("ja", "インタビュアー"),
        ("ja", "聞き手"),
        ("zh", "采访者"),
        ("zh", "访谈者1"),
        ("ar", "المحاور"),
        ("ar", "المقابل"),
    ],
)
def test_interviewer_words_per_language(language, label):
    assert default_role(label) is Role.INTERVIEWER
    assert normalize_label(label) in {normalize_label(w) for w in INTERVIEWER_WORDS[language]}


def test_every_table_word_says_what_it_means():
    for language, words in INTERVIEWER_WORDS.items():
        for word, meaning in words.items():
            assert meaning.strip(), (language, word)
            assert default_role(word) is Role.INTERVIEWER, (language, word)


def test_normalisation_keeps_the_role_word():
    assert normalize_label("INTERVIEWER 2") == "interviewer"
    assert normalize_label("Interviewer (Kim)") == "interviewer"
    assert normalize_label("Int.") == "int"
    assert normalize_label("Participant #3") == "participant"
    assert normalize_label("采访者1") == "采访者"
    assert normalize_label("2") == "2"  # nothing but a number is left as it is


def test_detection_reads_bracketed_names_and_full_width_colons():
    text = "Interviewer (Kim): Hello.\n\nP1: Hi.\n\nInterviewer (Kim): Why?\n\nP1: Because.\n"
    assert detect_speakers(text) == {"Interviewer (Kim)", "P1"}
    japanese = (
        "インタビュアー：今日は。\n\n回答者：はい。\n\nインタビュアー：なぜ？\n\n回答者：だから。\n"
    )
    assert detect_speakers(japanese) == {"インタビュアー", "回答者"}


def test_i_r_and_q_a_transcripts():
    for asking, answering in (("I", "R"), ("Q", "A")):
        text = f"{asking}: One?\n\n{answering}: Yes.\n\n{asking}: Two?\n\n{answering}: No.\n"
        assert detect_speakers(text) == {asking, answering}
        assert default_role(asking) is Role.INTERVIEWER
        assert default_role(answering) is Role.PARTICIPANT


@pytest.fixture
def numbered(tmp_path, project):
    import_transcript_file(project, write(tmp_path / "n1.txt", NUMBERED))
    return project


def coded_by_speaker(project):
    with project.reading() as conn:
        ids = [t.id for t in list_transcripts(conn)]
        return {(p.speaker, p.coded) for p in passages_of(conn, ids)}


def test_a_corpus_labelled_interviewer1_offers_no_interviewer_turn_for_coding(numbered):
    assert coded_by_speaker(numbered) == {("Interviewer1", False), ("Participant 1", True)}
    assert numbered.status()["coded_passages"] == 2


def decide(project, key, coder, action, code=None):
    with project.transaction() as conn:
        passage_id = passage_ids_for_keys(conn, [key])[key]
        record_decision(conn, passage_id, ensure_coder(conn, coder), action, code)


def decision_rows(project):
    with project.reading() as conn:
        return conn.execute(select(schema.decisions).order_by(schema.decisions.c.id)).all()


def test_reflagging_with_decisions_present_keeps_every_decision(numbered):
    decide(numbered, "n1#2", "ana", DecisionAction.APPLY, "hope.excellence")
    decide(numbered, "n1#4", "ana", DecisionAction.NO_CODE)
    decide(numbered, "n1#2", "bob", DecisionAction.APPLY, "fear.atrophy")
    before = decision_rows(numbered)

    change = set_speaker_roles(numbered, {"Participant 1": Role.INTERVIEWER}, actor="kim")

    assert decision_rows(numbered) == before
    assert change.to_interviewer == ["n1#2", "n1#4"] and change.to_participant == []
    assert change.kept.to_dict() == {
        "count": 3,
        "by_coder": {
            "ana": {"decisions": 2, "passages": ["n1#2", "n1#4"]},
            "bob": {"decisions": 1, "passages": ["n1#2"]},
        },
    }
    assert numbered.status()["coded_passages"] == 0
    with numbered.reading() as conn:
        audit = conn.execute(
            select(schema.audit_log).where(schema.audit_log.c.action == "speakers.set")
        ).one()
        standing = decisions_on_interviewer_passages(conn)
    assert audit.actor == "kim"
    detail = json.loads(audit.detail)
    assert detail["roles"] == {"Participant 1": "interviewer"}
    assert detail["to_interviewer"] == ["n1#2", "n1#4"]
    assert detail["decisions_kept"]["count"] == 3
    assert standing.count == 3  # reproducible later, not only in the moment of the change

    back = set_speaker_roles(numbered, {"Participant 1": Role.PARTICIPANT}, actor="kim")
    assert back.to_participant == ["n1#2", "n1#4"] and back.kept.count == 0
    assert decision_rows(numbered) == before


def test_passages_that_became_interviewer_turns_leave_agreement_and_findings(numbered):
    version = numbered.codebook.version
    for coder in ("ana", "bob"):
        with numbered.transaction() as conn:
            passage_id = passage_ids_for_keys(conn, ["n1#2"])["n1#2"]
            record_decision(
                conn,
                passage_id,
                ensure_coder(conn, coder),
                DecisionAction.APPLY,
                "hope.excellence",
                codebook_version=version,
            )

    def counted():
        return (
            project_data(numbered).units,
            project_data(numbered, codebook_version=version).units,
            coded_participants(numbered).passages,
            coded_participants(numbered, codebook_version=version).passages,
        )

    assert counted() == (["n1#2"], ["n1#2"], 1, 1)
    set_speaker_roles(numbered, {"Participant 1": Role.INTERVIEWER}, actor="kim")
    assert counted() == ([], [], 0, 0)  # kept in the log, counted nowhere
    set_speaker_roles(numbered, {"Participant 1": Role.PARTICIPANT}, actor="kim")
    assert counted() == (["n1#2"], ["n1#2"], 1, 1)


def test_the_local_engine_does_not_learn_from_passages_that_became_interviewer_turns(numbered):
    from workbench.core.store.coding import human_coding

    with numbered.transaction() as conn:
        passage_id = passage_ids_for_keys(conn, ["n1#2"])["n1#2"]
        record_decision(
            conn, passage_id, ensure_coder(conn, "ana"), DecisionAction.APPLY, "hope.excellence"
        )

    def learned():
        with numbered.reading() as conn:
            return human_coding(conn)

    assert learned() == ({passage_id}, {passage_id: {"hope.excellence"}})
    set_speaker_roles(numbered, {"Participant 1": Role.INTERVIEWER}, actor="kim")
    assert learned() == (set(), {})
    set_speaker_roles(numbered, {"Participant 1": Role.PARTICIPANT}, actor="kim")
    assert learned() == ({passage_id}, {passage_id: {"hope.excellence"}})


def test_the_lead_decision_survives_reopening_and_applies_to_later_imports(tmp_path, numbered):
    set_speaker_roles(numbered, {"Interviewer1": Role.PARTICIPANT}, actor="kim")
    numbered.close()
    with Project.open(numbered.location) as reopened:
        assert reopened.settings.speaker_roles == {"Interviewer1": "participant"}
        later = NUMBERED.replace("Thanks.", "Thank you.")
        import_transcript_file(reopened, write(tmp_path / "n2.txt", later))
        assert coded_by_speaker(reopened) == {("Interviewer1", True), ("Participant 1", True)}
        with reopened.reading() as conn:
            summary = {row.label: row for row in label_summaries(conn, reopened.settings)}
    assert summary["Interviewer1"].set_by_lead
    assert summary["Interviewer1"].default_role is Role.INTERVIEWER
    assert (summary["Interviewer1"].passages, summary["Participant 1"].passages) == (6, 4)


def test_an_unknown_label_is_refused_and_nothing_changes(numbered):
    with pytest.raises(ProjectError, match="'interviewer1'.*Interviewer1, Participant 1"):
        set_speaker_roles(numbered, {"interviewer1": Role.PARTICIPANT}, actor="kim")
    assert numbered.settings.speaker_roles == {}
    assert numbered.status()["coded_passages"] == 2


def test_projects_that_stored_the_old_default_get_the_language_tables():
    old = json.dumps({"context_speakers": ["ai", "assistant", "interviewer", "interviewer 1"]})
    assert ProjectSettings.from_json(old).context_speakers == (
        "ai",
        "assistant",
        "interviewer",
        "interviewer 1",
    )
    legacy = [
        *("ai", "assistant", "interviewer", "interviewer 1", "interviewer 2", "int", "i", "q"),
        *("question", "moderator", "facilitator", "researcher", "entrevistador"),
        *("entrevistadora", "interviewerin", "intervieweur", "enquêteur", "enquêtrice"),
        *("intervistatore", "インタビュアー", "採訪者", "访谈者", "المحاور"),
    ]
    settings = ProjectSettings.from_json(json.dumps({"context_speakers": legacy}))
    assert settings.context_speakers == ProjectSettings().context_speakers
    assert not settings.is_coded_speaker("Интервьюер", has_speakers=True)


def test_decisions_import_refuses_a_code_on_an_interviewer_passage(tmp_path, numbered):
    path = write(
        tmp_path / "d.csv",
        "passage_id,coder,code\nn1#2,ana,hope.excellence\nn1#3,ana,fear.atrophy\n",
    )
    with pytest.raises(DecisionError, match=r"d\.csv: line 3: passage 'n1#3' is an interviewer"):
        import_decisions_csv(numbered, path)
    assert decision_rows(numbered) == []  # nothing from the file, not even line 2
    empty = write(tmp_path / "e.csv", "passage_id,coder,code\nn1#1,ana,\n")
    with pytest.raises(DecisionError, match="line 2: .*'no code applies' review"):
        import_decisions_csv(numbered, empty)


def run(capsys, argv):
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_speakers_command_lists_sets_and_reports(tmp_path, capsys, numbered):
    decide(numbered, "n1#2", "ana", DecisionAction.APPLY, "hope.excellence")
    location = numbered.location
    numbered.close()

    code, out, _ = run(capsys, ["speakers", location, "--json"])
    listing = json.loads(out)
    assert code == 0
    assert listing["labels"] == [
        {
            "label": "Interviewer1",
            "role": "interviewer",
            "default_role": "interviewer",
            "set_by_lead": False,
            "passages": 3,
            "decisions": 0,
        },
        {
            "label": "Participant 1",
            "role": "participant",
            "default_role": "participant",
            "set_by_lead": False,
            "passages": 2,
            "decisions": 1,
        },
    ]
    assert listing["decisions_on_interviewer_passages"]["count"] == 0

    code, out, _ = run(capsys, ["speakers", location, "--set", "Participant 1=interviewer"])
    assert code == 0
    assert "2 passages became interviewer turns" in out
    assert "ana: 1 decision on n1#2" in out
    assert "1 decision stands on interviewer passages" in out

    code, out, _ = run(capsys, ["speakers", location, "--json"])
    standing = json.loads(out)["decisions_on_interviewer_passages"]
    assert standing == {"count": 1, "by_coder": {"ana": {"decisions": 1, "passages": ["n1#2"]}}}

    code, _, err = run(capsys, ["speakers", location, "--set", "Nobody=participant"])
    assert code == 1 and err.count("\n") == 1 and "'Nobody'" in err
    assert run(capsys, ["speakers", location, "--set", "Interviewer1=boss"])[0] == 2
    with Project.open(location) as project, project.reading() as conn:
        kept = conn.execute(select(func.count()).select_from(schema.decisions)).scalar_one()
    assert kept == 1
