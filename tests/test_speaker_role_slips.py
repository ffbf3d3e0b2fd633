"""Roles guessed from labels as people type them: slips of the interviewer words.

A hand-typed ``Interviwer:`` was found as its own turn but taken for a participant, so the
question was offered for coding as an answer.
"""

from __future__ import annotations

import pytest

from tests.conftest import write
from workbench.core.ingest.files import import_transcript_file
from workbench.core.speaker_labels import Role, close_interviewer_word, default_role
from workbench.core.store.project import ProjectSettings
from workbench.core.store.speaker_roles import label_summaries


@pytest.mark.parametrize(
    ("label", "word"),
    [
        ("Interviwer", "interviewer"),  # a letter left out
        ("Intervewer 2", "interviewer"),  # ... with numbering
        ("Moderater", "moderator"),  # a letter changed
        ("INTERVEIWER", "interviewer"),  # two swapped, in capitals
        ("Inter viewer", "interviewer"),  # written apart
        ("Entrevistadorr", "entrevistador"),  # a letter added
        ("Интервьюэр", "интервьюер"),
    ],
)
def test_a_slip_of_an_interviewer_word_is_an_interviewer(label, word):
    assert close_interviewer_word(label) == word
    assert default_role(label) is Role.INTERVIEWER
    assert ProjectSettings().default_speaker_role(label) is Role.INTERVIEWER


@pytest.mark.parametrize(
    "label",
    [
        "Interviewer",  # the word itself is no approximation
        "Interviewee",  # a participant word one letter from "interviewer"
        "Interviewe",  # as close to "interviewee" as to "interviewer": not guessed
        "Interviewre",  # the same
        "Entrevistado",  # participant, one letter from "entrevistador"
        "Befragter",  # participant, one letter from "befrager"
        "Iv2",
        "In",  # short words are matched exactly: "In" is not "Int"
        "Ai ",
        "Qa",
        "Kim Lee",
        "Maria",
    ],
)
def test_words_that_are_not_slips_are_left_alone(label):
    assert close_interviewer_word(label) is None


def test_short_role_words_stay_exact():
    assert default_role("Int") is Role.INTERVIEWER and default_role("Ins") is Role.PARTICIPANT
    assert default_role("IV") is Role.INTERVIEWER and default_role("IW") is Role.PARTICIPANT
    assert default_role("Q") is Role.INTERVIEWER and default_role("A") is Role.PARTICIPANT


def test_a_lead_who_dropped_a_word_or_decided_is_not_overruled():
    dropped = ProjectSettings(context_speakers=("interviewer",))
    assert dropped.default_speaker_role("Moderater") is Role.PARTICIPANT
    assert dropped.default_speaker_role("Interviwer") is Role.INTERVIEWER
    decided = ProjectSettings(speaker_roles={"Interviwer": "participant"})
    assert decided.speaker_role("Interviwer") is Role.PARTICIPANT
    assert decided.guessed_interviewer_word("Interviwer") is None
    # a name the lead added to the list is matched exactly, never approximated
    named = ProjectSettings(context_speakers=("Dr. Kimberly",))
    assert named.default_speaker_role("Dr. Kimberley") is Role.PARTICIPANT


def test_import_takes_the_slip_as_interviewer_and_says_so(project, tmp_path):
    text = (
        "Interviewer: How long?\nKim Lee: Ten years.\nInterviwer: And then?\n"
        "Kim Lee: It changed.\nInterviewer: Why?\nKim Lee: Money.\n"
    )
    path = write(tmp_path / "typos.txt", text)
    result = import_transcript_file(project, path)
    assert result.warnings == [
        f"{path}: 'Interviwer' taken as the interviewer (close to 'Interviewer'); "
        "if wrong: workbench speakers --set 'Interviwer=participant'"
    ]
    with project.reading() as conn:
        roles = {row.label: row.role for row in label_summaries(conn, project.settings)}
    assert roles == {
        "Interviewer": Role.INTERVIEWER,
        "Interviwer": Role.INTERVIEWER,
        "Kim Lee": Role.PARTICIPANT,
    }
