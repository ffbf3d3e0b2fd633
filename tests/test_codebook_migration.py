"""Codebook migrations on a project with two coders, a consensus, suggestions and memos.

Each kind is checked by counts before and after: every coding is carried, united, flagged or
archived, none silently dropped, and the log only grows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.conftest import write
from workbench.cli import main
from workbench.core.clock import utc_now
from workbench.core.codebook import parse_codebook
from workbench.core.codebook_migration import (
    apply_migration,
    parse_mapping,
    plan_migration,
    restore_archived,
)
from workbench.core.errors import ProjectError
from workbench.core.store import Project, schema
from workbench.core.store.codebook_changes import list_archived, list_review_flags
from workbench.core.store.coding import CoderKind, DecisionAction, ensure_coder, record_decision
from workbench.core.store.importing import import_transcript_file
from workbench.core.store.suggestions import save_suggestions
from workbench.suggest.engine import Suggestion


def code(code_id: str, definition: str, children: str = "", indent: int = 2) -> str:
    pad = " " * indent
    out = f"{pad}- id: {code_id}\n{pad}  name: {code_id}\n{pad}  definition: {definition}\n"
    if children:
        out += f"{pad}  children:\n{children}"
    return out


def book(codes: str, version: int) -> str:
    return f"name: Study\nversion: {version}\ncodes:\n{codes}"


V1_CODES = {
    "hope": code("hope", "Hopes.", code("hope.time", "Saves time.", indent=6)),
    "fear": code("fear", "Fears.", code("fear.atrophy", "Skills wither.", indent=6)),
    "a": code("a", "Worry about jobs."),
    "b": code("b", "Worry about pay."),
    "s": code("s", "Trust in tools."),
    "cost": code("cost", "Costs less."),
}
V1 = book("".join(V1_CODES.values()), 1)

CODINGS = {  # coder -> passage position -> codes
    "ana": {1: {"fear.atrophy", "a", "b"}, 2: {"a", "s"}, 3: {"cost", "hope.time"}, 4: {"s", "b"}},
    "bo": {1: {"fear.atrophy", "b"}, 2: {"s"}, 3: {"cost"}},
    "consensus": {1: {"fear.atrophy", "a"}, 3: {"cost"}},
}
INTERVIEW = "".join(f"Interviewer: question {i}\n\nUser: answer {i}\n\n" for i in range(1, 5))


@pytest.fixture
def study(tmp_path):
    project = Project.create(tmp_path / "study.wb", codebook=parse_codebook(V1))
    import_transcript_file(project, write(tmp_path / "t.txt", INTERVIEW))
    with project.transaction() as conn:
        ids = dict(
            conn.execute(text("select position, id from passages where coded")).all()
        )  # participant turns: positions 2, 4, 6, 8, ranked 1 to 4
        by_rank = {rank: pid for rank, (_, pid) in enumerate(sorted(ids.items()), start=1)}
        for name, codings in CODINGS.items():
            kind = CoderKind.CONSENSUS if name == "consensus" else CoderKind.HUMAN
            coder = ensure_coder(conn, name, kind)
            for rank, codes in codings.items():
                for code_id in sorted(codes):
                    record_decision(conn, by_rank[rank], coder, DecisionAction.APPLY, code_id)
        save_suggestions(
            conn,
            [
                Suggestion(by_rank[r], c, 0.8, "", None, None, "", "local", "m", "p1")
                for r, c in ((1, "fear.atrophy"), (3, "cost"), (2, "a"))
            ],
            1,
        )
        ana = ensure_coder(conn, "ana")
        now = utc_now()
        conn.execute(
            schema.memos.insert(),
            [
                {
                    "passage_id": by_rank[1],
                    "coder_id": ana,
                    "text": "note",
                    "created_at": now,
                    "updated_at": now,
                },
                {
                    "passage_id": by_rank[3],
                    "coder_id": ana,
                    "text": "more",
                    "created_at": now,
                    "updated_at": now,
                },
            ],
        )
    project.by_rank = by_rank  # type: ignore[attr-defined]
    yield project
    project.close()


def state(project: Project) -> dict[tuple[int, str], set[str]]:
    """(passage rank, coder) -> codes, from the current state."""
    rank_of = {pid: rank for rank, pid in project.by_rank.items()}  # type: ignore[attr-defined]
    found: dict[tuple[int, str], set[str]] = {}
    with project.reading() as conn:
        rows = conn.execute(
            text(
                "select c.passage_id, k.name, c.code_id from codings c join coders k on k.id = c.coder_id"
            )
        )
        for pid, coder, code_id in rows:
            found.setdefault((rank_of[pid], coder), set()).add(code_id)
    return found


def counts(project: Project) -> dict[str, int]:
    with project.reading() as conn:
        return {
            table: conn.execute(
                select(func.count()).select_from(getattr(schema, table))
            ).scalar_one()
            for table in ("decisions", "codings", "suggestions", "memos", "audit_log", "reviews")
        }


def migrate(project: Project, codes: str, **options: list[str]):  # type: ignore[no-untyped-def]
    plan = plan_migration(project, parse_codebook(book(codes, 2)), parse_mapping(**options))
    return apply_migration(project, plan, "lea")


def v2(**replace: str) -> str:
    return "".join(replace.get(key, value) for key, value in V1_CODES.items()) + replace.get(
        "+", ""
    )


def last_audit(project: Project) -> tuple[str, str, dict]:
    with project.reading() as conn:
        row = conn.execute(
            text("select actor, action, detail from audit_log order by id desc limit 1")
        ).one()
    return row.actor, row.action, json.loads(row.detail)


def test_rename_carries_every_coding_and_keeps_the_rest(study):
    before, old_state = counts(study), state(study)
    codes = v2(fear=code("fear", "Fears.", code("fear.deskilling", "Skills wither.", indent=6)))
    result = migrate(study, codes)
    after, new_state = counts(study), state(study)
    coded = [key for key, codes in old_state.items() if "fear.atrophy" in codes]
    assert len(coded) == 3  # ana, bo and the consensus on passage 1
    for key, codes_before in old_state.items():
        expected = {"fear.deskilling" if c == "fear.atrophy" else c for c in codes_before}
        assert new_state[key] == expected
    # one REMOVE and one APPLY per (passage, coder); nothing else touched or lost
    assert result.decisions == 2 * len(coded) and after["decisions"] == before["decisions"] + 6
    assert after["codings"] == before["codings"]
    assert (after["suggestions"], after["memos"], after["reviews"]) == (
        before["suggestions"],
        before["memos"],
        before["reviews"],
    )
    assert study.codebook.version == 2 and "fear.deskilling" in study.codebook
    actor, action, detail = last_audit(study)
    assert (actor, action, detail["from"], detail["to"]) == ("lea", "codebook.migrate", 1, 2)
    assert {
        "kind": "rename",
        "from": ["fear.atrophy"],
        "to": ["fear.deskilling"],
        "how": "same definition",
    } in detail["mapping"]
    assert result.backup is not None and result.backup.exists()
    assert detail["backup"] == result.backup.name
    with study.reading() as conn:
        reasons = (
            conn.execute(text("select distinct reason from decisions where codebook_version = 2"))
            .scalars()
            .all()
        )
    assert reasons == ["codebook migration to v2: carried to the new code"]


def test_merge_unites_codings_and_a_passage_with_both_counts_once(study):
    before, old_state = counts(study), state(study)
    codes = v2(a="", b=code("jobs", "Worry about jobs or pay."))
    result = migrate(study, codes, merges=["a,b=jobs"])
    new_state = state(study)
    for key, codes_before in old_state.items():
        merged = {"jobs" if c in ("a", "b") else c for c in codes_before}
        assert new_state[key] == merged
    assert new_state[(1, "ana")] == {"fear.atrophy", "jobs"}  # coded a and b: one coding of jobs
    with_a_or_b = [k for k, c in old_state.items() if c & {"a", "b"}]
    both = [k for k, c in old_state.items() if {"a", "b"} <= c]
    assert counts(study)["codings"] == before["codings"] - len(both)
    removals = sum(len(c & {"a", "b"}) for c in old_state.values())
    assert result.decisions == removals + len(with_a_or_b)
    [change] = [c for c in result.plan.changes if c.kind == "merge"]
    assert (change.codings, change.after) == (removals, len(with_a_or_b))


def test_merging_into_a_kept_code_counts_only_the_codings_that_move(study):
    """--map a=b with b kept: a's 3 codings (2 passages) move, b's own 3 are said apart."""
    plan = plan_migration(study, parse_codebook(book(v2(a=""), 2)), parse_mapping(maps=["a=b"]))
    [change] = [c for c in plan.changes if c.kind == "merge"]
    assert (change.codings, change.passages, change.joined, change.after) == (3, 2, 3, 5)
    assert "3 codings on 2 passages of a are added to b's 3, making 5 codings of b" in (
        change.line()
    )
    result = apply_migration(study, plan, "lea")
    assert sum("b" in codes for codes in state(study).values()) == result.plan.changes[0].after


def test_split_flags_every_passage_for_re_review_and_archives_nothing_silently(study):
    before, old_state = counts(study), state(study)
    codes = v2(s=code("s.ai", "Trust in AI tools.") + code("s.people", "Trust in colleagues."))
    result = migrate(study, codes, splits=["s=s.ai,s.people"])
    new_state = state(study)
    coded_s = sorted(k for k, c in old_state.items() if "s" in c)
    assert len(coded_s) == 3 and result.flagged == 3 and result.archived == 3
    assert all("s" not in c and not c & {"s.ai", "s.people"} for c in new_state.values())
    assert counts(study)["codings"] == before["codings"] - 3
    with study.reading() as conn:
        flags = list_review_flags(conn)
        archived = list_archived(conn, "s")
    assert sorted((f.coder, f.candidates) for f in flags) == [
        ("ana", ("s.ai", "s.people")),
        ("ana", ("s.ai", "s.people")),
        ("bo", ("s.ai", "s.people")),
    ]
    assert {a.why for a in archived} == {"split"} and len(archived) == 3
    assert study.status()["needs_rereview"] == 3
    # the coder decides: that flag is settled, the others stay
    flag = flags[0]
    with study.transaction() as conn:
        coder = ensure_coder(conn, flag.coder)
        record_decision(conn, flag.passage_id, coder, DecisionAction.APPLY, "s.ai")
    assert study.status()["needs_rereview"] == 2


def test_delete_archives_codings_lists_them_and_restores_them(study):
    before, old_state = counts(study), state(study)
    result = migrate(study, v2(cost=""))
    coded_cost = sorted(k for k, c in old_state.items() if "cost" in c)
    assert result.archived == len(coded_cost) == 3
    assert all("cost" not in c for c in state(study).values())
    with study.reading() as conn:
        archived = list_archived(conn)
        reasons = (
            conn.execute(
                text("select reason from decisions where action = 'remove' and code_id = 'cost'")
            )
            .scalars()
            .all()
        )
    assert sorted(a.coder for a in archived) == ["ana", "bo", "consensus"]
    assert reasons == ["archived by codebook migration to v2 (code deleted)"] * 3
    assert counts(study)["suggestions"] == before["suggestions"]
    assert study.status()["archived_codings"] == 3
    # restorable: as a code of the current codebook
    with pytest.raises(ProjectError, match="'cost' is not a code"):
        restore_archived(study, "cost", "lea")
    study.add_codebook_version(
        parse_codebook(book(v2(cost="") + code("cheaper", "Costs less."), 3))
    )
    assert restore_archived(study, "cost", "lea", as_code="cheaper") == 3
    assert {k for k, c in state(study).items() if "cheaper" in c} == set(coded_cost)
    assert study.status()["archived_codings"] == 0
    with pytest.raises(ProjectError, match="no archived codings"):
        restore_archived(study, "cost", "lea", as_code="cheaper")


def test_a_move_keeps_everything(study):
    before, old_state = counts(study), state(study)
    moved = (
        code("hope", "Hopes.")
        + "".join(v for k, v in V1_CODES.items() if k != "hope")
        + code("hope.time", "Saves time.")
    )
    result = migrate(study, moved)
    assert [c.kind for c in result.plan.changes] == ["move"]
    assert result.decisions == 0 and state(study) == old_state
    after = counts(study)
    assert (
        after["decisions"] == before["decisions"] and after["audit_log"] == before["audit_log"] + 1
    )


def test_an_ambiguous_change_is_refused_until_mapped_and_dry_run_changes_nothing(study, capsys):
    path = study.location
    v2_text = book(
        v2(a="", b=code("worry", "Worry about jobs.")) + code("z", "Worry about jobs."), 2
    )
    # a and b removed, worry and z added: a's definition fits two new codes
    new = write(Path(path).with_name("v2.yaml"), v2_text)
    plan = plan_migration(study, parse_codebook(v2_text))
    assert plan.unresolved and "ambiguous change: a -> worry, z" in plan.refusal()
    with pytest.raises(ProjectError, match="ambiguous change"):
        apply_migration(study, plan, "lea")
    before, before_state = counts(study), state(study)
    study.close()
    assert main(["codebook", "migrate", path, str(new)]) == 1
    assert "error: ambiguous change: a -> worry, z" in capsys.readouterr().err
    assert main(["codebook", "migrate", path, str(new), "--map", "a=worry", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "rename   a -> worry (--map): 3 codings on 2 passages carried across" in out
    assert "delete   b:" in out and "dry run: nothing was changed" in out
    reopened = Project.open(path)
    reopened.by_rank = study.by_rank  # type: ignore[attr-defined]
    assert counts(reopened) == before and state(reopened) == before_state
    assert reopened.codebook.version == 1
    assert not list(Path(path).parent.glob("*before-codebook*"))
    reopened.close()
    args = ["codebook", "migrate", path, str(new), "--map", "a=worry", "--lead", "lea", "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["to_version"] == 2 and report["archived"] == 3 and report["backup"]


def test_codebook_add_refuses_a_version_that_strands_codings(study, tmp_path, capsys):
    renamed = write(tmp_path / "v2.yaml", book(v2(cost=code("cheaper", "Costs less.")), 2))
    with pytest.raises(ProjectError, match=r"cost \(3 codings\); run 'workbench codebook migrate"):
        study.add_codebook_version(parse_codebook(renamed.read_text()))
    study.close()
    assert main(["codebook", "add", study.location, str(renamed)]) == 1
    assert "run 'workbench codebook migrate" in capsys.readouterr().err
    # a version that only adds codes is still added directly
    added = write(tmp_path / "v3.yaml", book(v2(**{"+": code("new", "New.")}), 3))
    assert main(["codebook", "add", study.location, str(added)]) == 0


def test_mapping_mistakes_name_the_option(study):
    with pytest.raises(ProjectError, match="--map a: expected OLD=NEW"):
        parse_mapping(maps=["a"])
    with pytest.raises(ProjectError, match="--merge a=c: expected two or more codes"):
        parse_mapping(merges=["a=c"])
    with pytest.raises(ProjectError, match="--split s=x: expected one code and two or more"):
        parse_mapping(splits=["s=x"])
    with pytest.raises(ProjectError, match="'a' is named twice"):
        parse_mapping(maps=["a=x"], merges=["a,b=c"])
    new = parse_codebook(book(v2(a=""), 2))
    with pytest.raises(ProjectError, match="'nope' is not a code of the new codebook"):
        plan_migration(study, new, parse_mapping(maps=["a=nope"]))
    with pytest.raises(ProjectError, match="'b' is still a code of the new codebook"):
        plan_migration(study, new, parse_mapping(maps=["b=hope"]))


def test_cli_lists_passages_to_re_review_and_archived_codings(study, capsys):
    codes = v2(s=code("s.ai", "Trust in AI tools.") + code("s.people", "Trust in colleagues."))
    migrate(study, codes, splits=["s=s.ai,s.people"])
    study.close()
    assert main(["codebook", "rereview", study.location, "--json"]) == 0
    flags = json.loads(capsys.readouterr().out)
    assert sorted(f["coder"] for f in flags) == ["ana", "ana", "bo"]
    assert main(["codebook", "rereview", study.location]) == 0
    assert "t#4  bo  was s, split in v2 into s.ai, s.people" in capsys.readouterr().out
    assert main(["codebook", "archived", study.location, "--code", "s"]) == 0
    assert capsys.readouterr().out.count("split in v2  archived") == 3
    assert main(["status", study.location, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["needs_rereview"] == 3


def test_cli_listings_say_when_there_is_nothing(study, capsys):
    study.close()
    for action, empty in (
        ("rereview", "no passage needs re-review"),
        ("archived", "no archived codings"),
    ):
        assert main(["codebook", action, study.location]) == 0
        assert capsys.readouterr().out == f"{study.location}: {empty}\n"
        assert main(["codebook", action, study.location, "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == []


def test_codings_orphaned_by_an_older_version_can_be_carried(study):
    """Codings of a code no version has (left by a release without migrations) are not lost."""
    with study.transaction() as conn:
        bo = ensure_coder(conn, "bo")
        record_decision(conn, study.by_rank[4], bo, DecisionAction.APPLY, "old.gone")
    # the orphan is not this version's doing: adding a version that keeps every code works
    assert study.add_codebook_version(parse_codebook(book(v2(**{"+": code("x", "X.")}), 2))) == 2
    plan = plan_migration(study, parse_codebook(book(v2(), 3)))
    [orphan] = [c for c in plan.changes if c.kind == "orphan"]
    assert orphan.sources == ("old.gone",) and "carry them with --map old.gone=NEW" in orphan.line()
    result = migrate(study, v2(), maps=["old.gone=hope"])
    assert state(study)[(4, "bo")] == {"hope"}
    # hope is a code already: old.gone merges into it; x, added in v2, goes again
    assert [c.kind for c in result.plan.changes] == ["merge", "delete"]
