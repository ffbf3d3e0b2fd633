"""Codebook diffs on hand-made pairs, and the ``was:`` key that declares a rename."""

from __future__ import annotations

import json

from workbench.cli import main
from workbench.core.codebook import check_codebook_text, parse_codebook
from workbench.core.codebook_diff import diff_codebooks


def book(codes: str, version: int = 1) -> str:
    return f"name: T\nversion: {version}\ncodes:\n{codes}"


def code(code_id: str, definition: str, extra: str = "", indent: int = 2) -> str:
    pad = " " * indent
    text = (
        f"{pad}- id: {code_id}\n{pad}  name: {code_id.title()}\n{pad}  definition: {definition}\n"
    )
    return text + "".join(f"{pad}  {line}\n" for line in extra.splitlines())


def diff(old: str, new: str):  # type: ignore[no-untyped-def]
    return diff_codebooks(parse_codebook(book(old)), parse_codebook(book(new, 2)))


BASE = code("hope", "Hopes.") + code("fear", "Fears.") + code("cost", "Costs less.")


def test_identical_codebooks_have_no_change():
    result = diff(BASE, BASE)
    assert not result.changed and result.unchanged == 3


def test_added_and_removed():
    result = diff(BASE, code("hope", "Hopes.") + code("fear", "Fears.") + code("trust", "Trust."))
    assert result.added == ("trust",) and result.removed == ("cost",)
    assert not result.renamed and not result.ambiguous


def test_rename_by_same_definition_ignores_whitespace_and_case():
    new = code("hope", "Hopes.") + code("fear.deskilling", "FEARS. ") + code("cost", "Costs less.")
    result = diff(BASE, new)
    assert [(r.old, r.new, r.how) for r in result.renamed] == [
        ("fear", "fear.deskilling", "definition")
    ]
    assert not result.added and not result.removed


def test_rename_declared_with_was_even_when_redefined():
    new = (
        code("hope", "Hopes.")
        + code("dread", "Worries about work.", "was: fear")
        + code("cost", "Costs less.")
    )
    result = diff(BASE, new)
    assert [(r.old, r.new, r.how) for r in result.renamed] == [("fear", "dread", "was")]
    assert [(r.code, r.fields) for r in result.redefined] == [("dread", ("name", "definition"))]


def test_was_with_two_old_codes_is_a_declared_merge():
    new = code("hope", "Hopes.") + code("worry", "Fears and costs.", "was: [fear, cost]")
    result = diff(BASE, new)
    assert [(m.sources, m.target) for m in result.merged] == [(("fear", "cost"), "worry")]
    assert not result.removed and not result.added


def test_move_in_the_tree_follows_a_renamed_parent():
    old = code("fear", "Fears.", "children:\n" + code("fear.a", "Atrophy.")) + code(
        "hope", "Hopes."
    )
    new = code("dread", "Fears.", "children:\n" + code("fear.a", "Atrophy.")) + code(
        "hope", "Hopes.", "children:\n" + code("hope.b", "Better work.")
    )
    result = diff(old, new)
    assert [(r.old, r.new) for r in result.renamed] == [("fear", "dread")]
    assert result.moved == ()  # fear.a stays under its (renamed) parent
    moved = diff(
        old,
        code("fear", "Fears.") + code("hope", "Hopes.", "children:\n" + code("fear.a", "Atrophy.")),
    )
    assert [(m.code, m.old_parent, m.new_parent) for m in moved.moved] == [
        ("fear.a", "fear", "hope")
    ]


def test_redefined_names_each_field_that_changed():
    new = (
        code("hope", "Hopes.", "include: [any hope]")
        + code("fear", "Fears.", "examples: ['I worry']")
        + code("cost", "Cheaper.")
    )
    result = diff(BASE, new)
    fields = {r.code: r.fields for r in result.redefined}
    assert fields == {"hope": ("include",), "fear": ("examples",), "cost": ("definition",)}


def test_two_removed_codes_with_one_definition_are_ambiguous_not_guessed():
    old = code("a", "Same thing.") + code("b", "Same thing.") + code("hope", "Hopes.")
    new = code("c", "Same thing.") + code("hope", "Hopes.")
    result = diff(old, new)
    assert not result.renamed and not result.removed and not result.added
    [ambiguity] = result.ambiguous
    assert ambiguity.old == ("a", "b") and ambiguity.new == ("c",)
    assert any(line.startswith("? a, b -> c") for line in result.lines())


def test_was_is_checked_like_every_other_key():
    text = book(
        code("a", "A.", "was: a") + code("b", "B.", "was: [x, x]") + code("c", "C.", "was: b")
    )
    codebook, problems = check_codebook_text(text, "cb.yaml")
    messages = [str(p) for p in problems]
    assert codebook is None
    assert any("cb.yaml:7: error: code 'a': 'was' names the code itself" in m for m in messages)
    assert any(":11: error: 'was' names 'x' twice" in m for m in messages)
    assert any("was 'b', but 'b' is still a code (line 8)" in m for m in messages)
    twice = book(code("a", "A.", "was: old") + code("b", "B.", "was: old"))
    _, problems = check_codebook_text(twice, "cb.yaml")
    assert any(
        "also claims; to split a code, use 'codebook migrate --split'" in str(p) for p in problems
    )
    bad = book(code("a", "A.", "was: {x: 1}"))
    _, problems = check_codebook_text(bad, "cb.yaml")
    assert any("'was' must be an earlier code id or a list of them" in str(p) for p in problems)


def test_cli_diff_of_files_and_json(tmp_path, capsys):
    old = tmp_path / "v1.yaml"
    new = tmp_path / "v2.yaml"
    old.write_text(book(BASE), encoding="utf-8")
    new.write_text(book(code("hope", "Hopes.") + code("dread", "Fears."), 2), encoding="utf-8")
    assert main(["codebook", "diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "- cost  (removed)" in out and "~ fear -> dread  (renamed: same definition)" in out
    assert main(["codebook", "diff", str(old), str(new), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["removed"] == ["cost"] and data["renamed"][0]["new"] == "dread"


def test_cli_diff_of_stored_versions(tmp_path, capsys):
    from workbench.core.store import Project

    with Project.create(tmp_path / "s.wb", codebook=parse_codebook(book(BASE))) as project:
        project.add_codebook_version(parse_codebook(book(BASE + code("trust", "Trust."), 2)))
    assert main(["codebook", "diff", f"{tmp_path / 's.wb'}@1", f"{tmp_path / 's.wb'}@2"]) == 0
    assert "+ trust  (added)" in capsys.readouterr().out
    assert main(["codebook", "diff", f"{tmp_path / 's.wb'}@7", f"{tmp_path / 's.wb'}@2"]) == 1
    assert "no codebook version 7" in capsys.readouterr().err


def test_cli_diff_takes_a_bare_project_as_its_newest_version(tmp_path, capsys):
    """Whatever the project file is called: it is recognised as a database, not read as YAML."""
    from workbench.core.store import Project

    location = tmp_path / "study.data"
    with Project.create(location, codebook=parse_codebook(book(BASE))) as project:
        project.add_codebook_version(parse_codebook(book(BASE + code("trust", "Trust."), 2)))
    assert main(["codebook", "diff", f"{location}@1", str(location)]) == 0
    assert "+ trust  (added)" in capsys.readouterr().out
    newest = tmp_path / "v2.yaml"
    newest.write_text(book(BASE + code("trust", "Trust."), 2), encoding="utf-8")
    assert main(["codebook", "diff", str(location), str(newest)]) == 0
    assert "no change to any code" in capsys.readouterr().out


def test_cli_diff_of_a_version_that_is_not_a_number_says_so_once(tmp_path, capsys):
    from workbench.core.store import Project

    Project.create(tmp_path / "s.wb", codebook=parse_codebook(book(BASE))).close()
    assert main(["codebook", "diff", f"{tmp_path / 's.wb'}@x", f"{tmp_path / 's.wb'}"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.count("error:") == 1 and "version number" in line  # the folder says "error"


def test_cli_codebook_errors_say_error_once_in_diff_and_migrate(tmp_path, capsys):
    from workbench.core.store import Project

    Project.create(tmp_path / "s.wb", codebook=parse_codebook(book(BASE))).close()
    bad = tmp_path / "bad.yaml"
    bad.write_text(book(code("hope", "Hopes.") + code("hope", "Again.")), encoding="utf-8")
    for argv in (
        ["codebook", "diff", str(bad), str(tmp_path / "s.wb")],
        ["codebook", "migrate", str(tmp_path / "s.wb"), str(bad), "--dry-run"],
    ):
        assert main(argv) == 1
        lines = capsys.readouterr().err.splitlines()
        assert lines and all(line.startswith("error: ") for line in lines)
        assert all(line.count("error:") == 1 for line in lines)  # the folder says "error"
        assert any("bad.yaml:" in line and "duplicate id 'hope'" in line for line in lines)
