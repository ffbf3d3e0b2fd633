"""Review of ``--by translation``: when nobody read a passage in machine translation (no
translations, or every coder reads the language) there is nothing to split, and the command,
its JSON and the report say so in one sentence instead of showing one lone stratum."""

from __future__ import annotations

import json

from tests.conftest import write
from workbench.cli import main
from workbench.core.agreement.data import project_data
from workbench.core.agreement.strata import ORIGINAL, agreement_by, strata_note
from workbench.core.session import CodingSession
from workbench.core.store import Project
from workbench.core.store.importing import import_transcript_file
from workbench.core.store.queries import passages_to_code


def _two_coders(project: Project, tmp_path) -> str:
    text = "".join(f"Interviewer: q{i}?\n\nParticipant: answer {i} on work.\n\n" for i in range(4))
    import_transcript_file(project, write(tmp_path / "en1.txt", text))
    with project.reading() as conn:
        passages = [pid for pid, _, _ in passages_to_code(conn)]
    for name, code in (("ana", "hope.time"), ("bob", "prod.speed")):
        session = CodingSession(project, name)  # no translation: translation_shown stays None
        for n, pid in enumerate(passages):
            session.apply_code(pid, code if n % 2 else "hope.time")
    return str(project.location)


def test_nobody_read_in_translation_is_said_once(project, tmp_path, capsys):
    path = _two_coders(project, tmp_path)
    data = project_data(project).select(coders=["ana", "bob"])
    strata = agreement_by(project, data, "translation")
    assert [s.value for s in strata] == [ORIGINAL]
    note = strata_note("translation", strata)
    assert note is not None and "nobody read" in note.lower()
    assert strata_note("language", strata) is not None  # one stratum of any field
    project.close()
    capsys.readouterr()
    assert main(["agreement", path, "--by", "translation", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["by"]["note"] == note
    assert main(["agreement", path, "--by", "translation"]) == 0
    assert note in capsys.readouterr().out


def test_the_report_table_carries_the_note(project, tmp_path):
    from workbench.reports.agreement_report import build_agreement_report

    _two_coders(project, tmp_path)
    report = build_agreement_report(project, ci=False, by=["translation"])
    [table] = [s for s in report.sections if s.title.startswith("Agreement by translation")]
    assert "nobody read" in table.note.lower()
