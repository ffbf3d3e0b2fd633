"""The coding session: every action is written at once, undo and redo restore state via the log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import write
from workbench.core.errors import DecisionError
from workbench.core.session import CodingSession
from workbench.core.store import Project, schema
from workbench.core.store.coding import CodingState
from workbench.core.store.importing import import_transcript_file

INTERVIEW = "Interviewer: How?\n\nParticipant: It saves me hours.\n\nInterviewer: And?\n\nParticipant: I worry.\n"


@pytest.fixture
def session(tmp_path, project):
    import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    return CodingSession(project, "ana")


def coded_passages(project):
    with project.reading() as conn:
        return list(
            conn.execute(
                select(schema.passages.c.id).where(schema.passages.c.coded.is_(True))
            ).scalars()
        )


def test_actions_undo_and_redo(session, project):
    first, second = coded_passages(project)
    seen = []
    session.subscribe(seen.append)
    session.apply_code(first, "hope.time")
    session.apply_code(first, "prod.speed")
    assert session.states([first])[first] == CodingState(
        True, frozenset({"hope.time", "prod.speed"})
    )
    session.undo()
    assert session.states([first])[first].codes == {"hope.time"}
    session.undo()
    assert session.states([first])[first] == CodingState(False, frozenset())
    session.redo()
    assert session.states([first])[first] == CodingState(True, frozenset({"hope.time"}))
    session.mark_no_code(second)
    session.undo()
    assert session.states([second])[second] == CodingState(False, frozenset())
    assert seen == [first, first, first, first, first, second, second]
    assert not session.can_redo or session.redo_label == "no code applies"


def test_no_code_clears_and_undo_brings_codes_back(session, project):
    first, _ = coded_passages(project)
    session.apply_code(first, "hope.time")
    session.mark_no_code(first)
    assert session.states([first])[first] == CodingState(True, frozenset())
    session.undo()
    assert session.states([first])[first] == CodingState(True, frozenset({"hope.time"}))


def test_reject_and_replace(session, project):
    first, _ = coded_passages(project)
    with project.transaction() as conn:
        sid = conn.execute(
            schema.suggestions.insert().values(
                passage_id=first,
                code_id="hope.time",
                codebook_version=1,
                engine="t",
                model="m",
                prompt_version="p",
                confidence=0.9,
                created_at=__import__("datetime").datetime.now(),
            )
        ).inserted_primary_key[0]
    session.reject(first, sid, "hope.time")
    assert session.rejected_suggestions([first]) == {sid}
    assert session.states([first])[first].reviewed
    session.undo()
    assert session.rejected_suggestions([first]) == set()
    assert not session.states([first])[first].reviewed
    session.replace_code(first, "hope.time", "prod.speed", sid)
    assert session.states([first])[first].codes == {"prod.speed"}


def test_decisions_survive_reopening_and_record_the_coder(session, project):
    first, _ = coded_passages(project)
    session.apply_code(first, "hope.time")
    reopened = Project.open(project.location)
    again = CodingSession(reopened, "ana")
    assert again.states([first])[first].codes == {"hope.time"}
    other = CodingSession(reopened, "ben")
    assert other.states([first])[first] == CodingState(False, frozenset())
    assert other.others_codes([first]) == {first: {"ana": {"hope.time"}}}
    reopened.close()


def test_unknown_code_is_refused(session, project):
    first, _ = coded_passages(project)
    with pytest.raises(DecisionError, match="not a code"):
        session.apply_code(first, "no.such.code")
    assert project.status()["decisions"] == 0


def test_memos(session, project):
    first, _ = coded_passages(project)
    session.save_memo(first, "ambivalent")
    assert session.memos([first]) == {first: "ambivalent"}
    session.save_memo(first, "")
    assert session.memos([first]) == {}


def test_memo_edits_keep_history_and_undo_restores_the_text_before(session, project):
    first, _ = coded_passages(project)
    session.save_memo(first, "ambivalent")
    session.save_memo(first, "ambivalent, see p7")
    assert session.memos([first]) == {first: "ambivalent, see p7"}
    assert session.undo_label == "memo"
    session.undo()
    assert session.memos([first]) == {first: "ambivalent"}
    session.redo()
    assert session.memos([first]) == {first: "ambivalent, see p7"}
    session.save_memo(first, "")
    assert session.memos([first]) == {}
    session.undo()
    assert session.memos([first]) == {first: "ambivalent, see p7"}
    assert session.memo_history(first) == [
        "ambivalent",
        "ambivalent, see p7",
        "ambivalent",
        "ambivalent, see p7",
        "",
        "ambivalent, see p7",
    ]


def test_saving_the_same_memo_again_is_not_a_step(session, project):
    first, _ = coded_passages(project)
    session.save_memo(first, "same")
    assert session.save_memo(first, "same") is None
    session.undo()
    assert session.memos([first]) == {}
    assert not session.can_undo
