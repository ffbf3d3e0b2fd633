"""REFI-QDA import: codes are matched by GUID within the file and by id, full path, or an
unambiguous name against the project's codebook, so "Other" under two themes stays two codes."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.core.store import Project
from workbench.core.store.interchange import all_coders, current_codings
from workbench.core.store.queries import list_transcripts, passages_of
from workbench.interop.refi_export import export_qdpx
from workbench.interop.refi_import import import_refi
from workbench.interop.refi_plan import plan_refi_import
from workbench.interop.refi_read import RefiError
from workbench.interop.refi_schema import PROJECT_NS, schema_errors

TEXT = (
    "Interviewer: What worries you?\n\nParticipant: Losing my job to it.\n\n"
    "Interviewer: And what gives you hope?\n\nParticipant: More time for my kids.\n"
)
USER = "00000000-0000-0000-0000-0000000000a1"


def _qdpx(path: Path, tree: str, codings: list[tuple[str, str]], source_guid: str = "d1") -> Path:
    """A .qdpx with one source, the code ``tree`` (XML of <Code> elements) and one selection
    per ``(phrase, code guid)``: the shape NVivo and MAXQDA export, same names included."""
    selections = []
    for number, (phrase, code_guid) in enumerate(codings, start=1):
        start = TEXT.index(phrase)
        selections.append(
            f'<PlainTextSelection guid="00000000-0000-0000-0001-{number:012d}" '
            f'startPosition="{start}" endPosition="{start + len(phrase)}" creatingUser="{USER}">'
            f'<Coding guid="00000000-0000-0000-0002-{number:012d}" creatingUser="{USER}">'
            f'<CodeRef targetGUID="{code_guid}"/></Coding></PlainTextSelection>'
        )
    xml = (
        f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="{PROJECT_NS}" name="themes">'
        f'<Users><User guid="{USER}" name="Ana"/></Users>'
        f"<CodeBook><Codes>{tree}</Codes></CodeBook><Sources>"
        f'<TextSource guid="00000000-0000-0000-0000-0000000000{source_guid}" name="int01.txt" '
        f'plainTextPath="internal://int01.txt">{"".join(selections)}</TextSource>'
        "</Sources></Project>"
    )
    assert schema_errors(xml.encode()) == []  # the fixture is standard REFI-QDA
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", xml)
        archive.writestr("sources/int01.txt", TEXT)
    return path


def _code(guid: str, name: str, children: str = "") -> str:
    return f'<Code guid="{guid}" name="{name}" isCodable="true">{children}</Code>'


# two themes, each with its own "Other", as NVivo and MAXQDA allow
G = {
    name: f"00000000-0000-0000-0000-0000000000{n:02x}"
    for n, name in enumerate(
        ["fears", "fears_other", "hopes", "hopes_other", "worries", "worries_other"], start=0xC0
    )
}
THEMES = _code(G["fears"], "Fears", _code(G["fears_other"], "Other")) + _code(
    G["hopes"], "Hopes", _code(G["hopes_other"], "Other")
)
CODINGS = [("Losing my job", G["fears_other"]), ("More time", G["hopes_other"])]


def _coded(project: Project) -> dict[str, set[str]]:
    """``{passage text: code ids}`` of every coder's current codings."""
    with project.reading() as conn:
        passages = list(passages_of(conn, [t.id for t in list_transcripts(conn)]))
        rows = current_codings(conn, [p.id for p in passages])
        assert all_coders(conn)
    text = {p.id: p.text for p in passages}
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(text[row.passage_id], set()).add(row.code_id)
    return found


def test_same_name_under_two_parents_stays_two_codes(tmp_path):
    with Project.create(tmp_path / "p.wb") as project:
        import_refi(project, _qdpx(tmp_path / "a.qdpx", THEMES, CODINGS))
        book = project.codebook
        others = [code for code in book.walk() if code.name == "Other"]
        assert sorted(code.id for code in others) == ["fears.other", "hopes.other"]
        assert book.get("fears.other").parent_id == "fears"
        assert book.get("hopes.other").parent_id == "hopes"
        assert _coded(project) == {
            "Losing my job to it.": {"fears.other"},
            "More time for my kids.": {"hopes.other"},
        }


def test_another_tools_file_matches_the_codebook_by_full_path(tmp_path):
    """Other GUIDs (another tool's export of the same tree, codes listed in another order):
    each "Other" goes to the code at its path, and no codebook version is added."""
    with Project.create(tmp_path / "p.wb") as project:
        import_refi(project, _qdpx(tmp_path / "a.qdpx", THEMES, []))
        version = project.codebook.version
        fresh = {key: value.replace("0000000000", "00000000ff", 1) for key, value in G.items()}
        swapped = _code(fresh["hopes"], "Hopes", _code(fresh["hopes_other"], "Other")) + _code(
            fresh["fears"], "Fears", _code(fresh["fears_other"], "Other")
        )
        file = _qdpx(
            tmp_path / "b.qdpx",
            swapped,
            [("Losing my job", fresh["fears_other"]), ("More time", fresh["hopes_other"])],
        )
        result = import_refi(project, file)
        assert result.codebook_version is None and project.codebook.version == version
        assert _coded(project) == {
            "Losing my job to it.": {"fears.other"},
            "More time for my kids.": {"hopes.other"},
        }


def test_an_ambiguous_name_is_an_error_then_settled_by_map(tmp_path, capsys):
    """'Worries/Other' is at no path of the codebook, and its name is at two: refused with
    both listed, never guessed; --map settles it either way."""
    location = tmp_path / "p.wb"
    assert main(["new", str(location), "--from", str(_qdpx(tmp_path / "a.qdpx", THEMES, []))]) == 0
    tree = _code(G["worries"], "Worries", _code(G["worries_other"], "Other"))
    file = _qdpx(tmp_path / "w.qdpx", tree, [("Losing my job", G["worries_other"])], "d2")
    capsys.readouterr()
    assert main(["import", str(location), str(file), "--dry-run"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "w.qdpx" in err[0] and "Traceback" not in err[0]
    assert "'Other': in the file 'Worries/Other'" in err[0]
    assert "fears.other (Fears/Other), hopes.other (Hopes/Other)" in err[0]
    assert "--map 'PATH=CODE_ID'" in err[0]
    with Project.open(location) as project:
        before = project.codebook.version
    assert main(["import", str(location), str(file), "--map", "Worries/Other=fears.other"]) == 0
    with Project.open(location) as project:
        assert _coded(project) == {"Losing my job to it.": {"fears.other"}}
        assert project.codebook.get("worries") is not None  # the new parent still comes in
        assert project.codebook.version == before + 1
    assert main(["import", str(location), str(file), "--map", "Worries/Other"]) == 2
    assert "expected PATH=CODE_ID" in capsys.readouterr().err
    assert main(["import", str(location), str(file), "--map", "Worries/Other="]) == 0
    with Project.open(location) as project:
        assert project.codebook.get("worries.other").parent_id == "worries"


def test_map_naming_nothing_is_refused(tmp_path):
    with Project.create(tmp_path / "p.wb") as project:
        import_refi(project, _qdpx(tmp_path / "a.qdpx", THEMES, []))
        file = _qdpx(tmp_path / "b.qdpx", THEMES, [])
        with pytest.raises(RefiError, match="--map 'Fears/Nope': no code of the file"):
            plan_refi_import(project, file, {"Fears/Nope": "fears.other"})
        with pytest.raises(RefiError, match="the project's codebook has no code 'nope'"):
            plan_refi_import(project, file, {"Fears/Other": "nope"})
        # by GUID, braces and case as NVivo writes them
        plan = plan_refi_import(project, file, {"{" + G["hopes_other"].upper() + "}": ""})
        assert plan.codebook is not None
        assert "hopes.other-2" in {code.id for code in plan.codebook.walk()}


def test_a_code_renamed_in_another_tool_comes_home_by_id(tmp_path, project):
    """The workbench's export derives each code's GUID from its id: a code renamed and moved
    elsewhere keeps that GUID, so it is matched by id, not added as a new code."""
    import_refi(project, _qdpx(tmp_path / "a.qdpx", THEMES, CODINGS))
    out = tmp_path / "out.qdpx"
    export_qdpx(project, out)
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        files = {name: archive.read(name) for name in names}
    qde = files["project.qde"].decode("utf-8")
    assert qde.count('name="Other"') == 2
    files["project.qde"] = qde.replace('name="Other"', 'name="Something else"', 1).encode()
    renamed = tmp_path / "renamed.qdpx"
    with zipfile.ZipFile(renamed, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    before = {code.id for code in project.codebook.walk()}
    result = import_refi(project, renamed)
    assert {code.id for code in project.codebook.walk()} == before
    assert result.applied == 0  # every coding already held, on the codes it was made with


def test_a_unique_name_still_matches_where_the_tree_differs(tmp_path):
    """A code the other tool moved under another parent: one code of that name on each side,
    so the name is enough, and no duplicate is made."""
    with Project.create(tmp_path / "p.wb") as project:
        import_refi(project, _qdpx(tmp_path / "a.qdpx", _code(G["fears"], "Fears"), []))
        moved = _code(G["hopes"], "Hopes", _code(G["fears_other"], "Fears"))
        import_refi(
            project, _qdpx(tmp_path / "b.qdpx", moved, [("Losing my job", G["fears_other"])])
        )
        assert [code.id for code in project.codebook.walk() if code.name == "Fears"] == ["fears"]
        assert _coded(project) == {"Losing my job to it.": {"fears"}}
