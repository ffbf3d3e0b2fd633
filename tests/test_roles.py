"""Roles (lead, coder), blind coding enforced, assignments and `workbench settings`/`assign`."""

from __future__ import annotations

import json

import pytest

from tests.conftest import write
from workbench.cli import main
from workbench.core.roles import RoleError, is_lead, queue_of
from workbench.core.session import CodingSession
from workbench.core.store import Project
from workbench.core.store.importing import import_transcript_file
from workbench.core.store.queries import list_transcripts, passages_of
from workbench.core.store.team import assign_transcripts, change_settings

TEXT = (
    "Interviewer: How?\n\nParticipant: Drafts, mostly.\n\nInterviewer: And?\n\nParticipant: Fear.\n"
)


@pytest.fixture
def study(project, tmp_path):
    for name in ("t_one", "t_two", "t_three"):
        # distinct texts: the same text twice is imported once, as a duplicate
        import_transcript_file(project, write(tmp_path / f"{name}.txt", f"{TEXT}\n{name}\n"))
    return project


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_project_without_roles_lets_everyone_act_as_lead(study):
    assert is_lead(study.settings.extra, "anyone")
    assert assign_transcripts(study, "anyone", "ana", ["t_two"]) == ["t_two"]


def test_settings_lists_and_changes_and_logs(study, capsys):
    location = study.location
    code, out, _ = run(capsys, "settings", location, "--json")
    assert code == 0 and json.loads(out)["roles"] == {}
    code, out, _ = run(
        capsys,
        *("settings", location, "--lead", "kim", "--coder", "ana", "--blind", "off"),
        *("--engines", "local", "--suggestions-after-first-pass", "on", "--as", "kim", "--json"),
    )
    report = json.loads(out)
    assert code == 0
    assert report["roles"] == {"kim": "lead", "ana": "coder"}
    assert report["blind_coding"] is False and report["suggestions_after_first_pass"] is True
    assert report["engines"] == ["local"]
    with Project.open(location) as again:
        assert again.settings.blind_coding is False
        from workbench.core.store.audit import audit_events

        with again.reading() as conn:
            events = audit_events(conn, "settings.update")
    assert events[-1][1]["roles"] == {"kim": "lead", "ana": "coder"}
    # nothing to change: reported as such, nothing logged
    code, out, _ = run(capsys, "settings", location, "--blind", "off", "--as", "kim")
    assert code == 0 and "changed: nothing" in out


def test_a_coder_is_refused_every_lead_action(study, capsys, codebook_path, tmp_path):
    location = study.location
    assert run(capsys, "settings", location, "--lead", "kim", "--coder", "ana")[0] == 0
    sample = write(tmp_path / "s.csv", "passage_id\nt_one#1\n")
    attempts = [
        ("settings", location, "--blind", "off", "--as", "ana"),
        ("assign", location, "--coder", "ana", "--transcripts", "t_one", "--lead", "ana"),
        ("assign", location, "--coder", "ana", "--sample", str(sample), "--lead", "ana"),
        ("sample", location, "--size", "2", "--assign", "ana", "--lead", "ana"),
        ("codebook", "add", location, str(codebook_path), "--lead", "ana"),
        ("speakers", location, "--set", "Participant=interviewer", "--lead", "ana"),
        ("adjudicate", location, "t_one#1", "--codes", "", "--lead", "ana", "--reason", "x"),
    ]
    for argv in attempts:
        code, _out, err = run(capsys, *argv)
        assert code == 1, argv
        assert "'ana' is not a lead" in err and "(kim)" in err, argv
        assert "Traceback" not in err
    with Project.open(location) as again:
        assert queue_of(again.settings.extra, "ana") == []
        assert again.settings.blind_coding is True
    # the lead may
    assert (
        run(
            capsys, "assign", location, "--coder", "ana", "--transcripts", "t_one", "--lead", "kim"
        )[0]
        == 0
    )


def test_the_refusal_names_the_option_that_says_who_acts(study, capsys, codebook_path):
    location = study.location
    assert run(capsys, "settings", location, "--lead", "kim", "--coder", "ana")[0] == 0
    for argv, option in (
        (("settings", location, "--blind", "off", "--as", "ana"), "--as NAME"),
        (("assign", location, "--coder", "ana", "--transcripts", "t_one"), "--lead NAME"),
        (("codebook", "add", location, str(codebook_path), "--lead", "ana"), "--lead NAME"),
    ):
        code, _out, err = run(capsys, *argv)
        assert code == 1 and f"give a lead's name with {option}" in err, argv


@pytest.mark.parametrize("name", ["", "  ", "a\x1bb", "consensus", "engine:x"])
@pytest.mark.parametrize("option", ["--lead", "--coder"])
def test_a_role_name_a_decisions_file_would_refuse_is_refused(study, capsys, option, name):
    code, _out, err = run(capsys, "settings", study.location, option, name)
    assert code == 1 and err.startswith(f"error: {option}: ")
    assert Project.open(study.location).settings.extra.get("roles") in (None, {})


def test_with_roles_set_only_someone_in_them_gets_a_queue(study, capsys):
    location = study.location
    assert run(capsys, "settings", location, "--lead", "kim", "--coder", "ana")[0] == 0
    argv = ("assign", location, "--transcripts", "t_one", "--lead", "kim", "--coder")
    code, _out, err = run(capsys, *argv, "zed")
    assert code == 1 and "--coder zed: not in this project's roles (ana, kim)" in err
    assert run(capsys, *argv, "ana")[0] == 0
    with Project.open(location) as again:
        assert set(again.settings.extra["assignments"]) == {"ana"}


def test_the_last_lead_cannot_be_demoted(study):
    change_settings(study, "kim", leads=["kim"])
    with pytest.raises(Exception, match="at least one lead"):
        change_settings(study, "kim", coders=["kim"])
    assert is_lead(study.settings.extra, "kim") and not is_lead(study.settings.extra, "ana")


def test_assign_checks_every_id_and_keeps_the_queue_in_order(study, capsys, tmp_path):
    location = study.location
    code, _out, err = run(
        capsys, "assign", location, "--coder", "ana", "--transcripts", "t_two,nope"
    )
    assert code == 1 and "nope" in err
    with Project.open(location) as again:
        assert queue_of(again.settings.extra, "ana") == []  # all or nothing
    run(capsys, "assign", location, "--coder", "ana", "--transcripts", "t_three,t_one")
    sample = write(tmp_path / "s.csv", "passage_id,stratum\nt_two#2,all\nt_one#4,all\n")
    code, out, _ = run(
        capsys, "assign", location, "--coder", "ana", "--sample", str(sample), "--json"
    )
    assert code == 0 and json.loads(out)["queue"] == ["t_three", "t_one", "t_two"]
    bad = write(tmp_path / "bad.csv", "passage_id\nt_one#2\nnot a key\n")
    code, _out, err = run(capsys, "assign", location, "--coder", "bo", "--sample", str(bad))
    assert code == 1 and f"{bad}:3: passage_id" in err
    assert run(capsys, "assign", location, "--coder", "bo")[0] == 2


def test_sample_assign_queues_the_drawn_transcripts(study, capsys):
    code, out, _ = run(capsys, "sample", study.location, "--size", "3", "--assign", "bo", "--json")
    report = json.loads(out)
    drawn = list(dict.fromkeys(key.split("#")[0] for key in report["passages"]))
    assert code == 0 and report["queue"] == drawn and len(report["passages"]) == 3
    with Project.open(study.location) as again:
        assert queue_of(again.settings.extra, "bo") == drawn


def test_blind_coding_refuses_a_coder_other_coders_codes(study):
    change_settings(study, "kim", leads=["kim"], coders=["ana"])
    with study.reading() as conn:
        ids = [t.id for t in list_transcripts(conn)]
        passage = next(p.id for p in passages_of(conn, ids) if p.coded)
    kim = CodingSession(study, "kim")
    kim.apply_code(passage, "hope.time")
    ana = CodingSession(study, "ana")
    with pytest.raises(RoleError, match="blind coding is on"):
        ana.others_codes([passage])
    assert kim.others_codes([passage]) == {}  # a lead may look (only ana's codes would show)
    change_settings(study, "kim", blind=False)
    assert ana.others_codes([passage]) == {passage: {"kim": {"hope.time"}}}


def test_an_engine_the_lead_did_not_allow_is_refused(study, capsys):
    change_settings(study, "kim", engines=["claude"])
    code, _out, err = run(capsys, "suggest", study.location, "--engine", "local")
    assert code == 1 and "allow only the engines claude" in err


def test_suggest_is_refused_an_engine_the_lead_has_not_allowed(study, capsys):
    location = study.location
    assert run(capsys, "settings", location, "--engines", "local", "--as", "kim")[0] == 0
    code, out, err = run(capsys, "suggest", location, "--engine", "claude")
    assert code == 1 and out == ""
    assert "allow only the engines local" in err and "--engines local,claude" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert run(capsys, "settings", location, "--engines", "claude", "--as", "kim")[0] == 0
    code, out, err = run(capsys, "suggest", location, "--engine", "local")
    assert code == 1 and "allow only the engines claude" in err
