"""The codebook validator: one test per kind of problem, each with its line number."""

from __future__ import annotations

import pytest

from workbench.cli import main
from workbench.core.codebook import check_codebook_text, load_codebook, parse_codebook
from workbench.core.errors import CodebookError

VALID = """\
name: Test
version: 2
codes:
  - id: a
    name: A
    definition: The first code.
    children:
      - id: a.one
        name: A one
        definition: A child.
        shortcut: "1"
        opposite: b
  - id: b
    name: B
    definition: The second code.
    include: [when b]
    exclude: [when not b]
    examples: ["a quote"]
    color: "#112233"
"""


def problems(text: str) -> list[tuple[int | None, str, str]]:
    _codebook, found = check_codebook_text(text, "cb.yaml")
    return [(p.line, p.severity, p.message) for p in found]


def test_valid_codebook_parses_into_a_tree():
    codebook = parse_codebook(VALID)
    assert codebook.name == "Test" and codebook.version == 2
    assert codebook.ids == ["a", "a.one", "b"]
    child = codebook.get("a.one")
    assert child.parent_id == "a" and child.depth == 1 and child.opposite == "b"
    assert codebook.get("b").include == ("when b",)
    assert codebook.descendants("a") == ["a.one"]
    assert "b" in codebook and "zzz" not in codebook


def test_yaml_syntax_error_names_the_line():
    found = problems("name: x\nversion: 1\ncodes:\n  - id: a\n    name: [unclosed\n")
    assert len(found) == 1
    line, severity, message = found[0]
    assert severity == "error" and "YAML syntax error" in message and line is not None and line >= 5


def test_duplicate_ids_point_at_both_lines():
    text = VALID.replace("id: b\n", "id: a\n")
    found = problems(text)
    assert (13, "error", "duplicate id 'a' (first defined on line 4)") in found


def test_missing_required_keys_are_all_reported():
    text = "version: 1\ncodes:\n  - id: a\n    name: A\n  - name: B\n    definition: d\n"
    messages = [m for _, _, m in problems(text)]
    assert "missing required key 'name'" in messages
    assert "code 'a': missing required key 'definition'" in messages
    assert "code: missing required key 'id'" in messages


def test_wrong_types_are_errors():
    text = VALID.replace("version: 2", "version: two").replace(
        "include: [when b]", "include: when b"
    )
    found = problems(text)
    assert (2, "error", "'version' must be a whole number, 1 or more") in found
    assert (16, "error", "'include' must be a list of texts") in found


def test_bad_id_characters():
    found = problems(VALID.replace("id: b\n", "id: b c!\n"))
    assert any(line == 13 and "has characters other than" in msg for line, _, msg in found)


def test_unknown_keys_are_warnings_not_errors():
    text = VALID.replace("    color:", "    colour: red\n    color:")
    codebook, found = check_codebook_text(text, "cb.yaml")
    assert codebook is not None
    assert (19, "warning", "code 'b': unknown key 'colour' (ignored)") in [
        (p.line, p.severity, p.message) for p in found
    ]


def test_opposite_must_name_a_code():
    found = problems(VALID.replace("opposite: b", "opposite: nope"))
    assert (12, "error", "code 'a.one': opposite 'nope' is not a code id") in found


def test_shortcuts_must_be_unique_and_single_keys():
    text = VALID.replace('    color: "#112233"', '    color: "#112233"\n    shortcut: "1"')
    found = problems(text)
    assert any("shortcut '1' is already used by 'a.one'" in m for _, _, m in found)
    assert any(
        "single key" in m for _, _, m in problems(VALID.replace('shortcut: "1"', "shortcut: ab"))
    )


def test_bad_colour():
    found = problems(VALID.replace('"#112233"', "blue"))
    assert (19, "error", "'color' must be a hex colour like '#3a7bd5'") in found


def test_empty_or_non_mapping_codebook():
    assert problems("")[0][2] == "the codebook is empty"
    assert "must be a mapping" in problems("- a\n- b\n")[0][2]
    assert "'codes' is empty" in problems("name: x\nversion: 1\ncodes: []\n")[0][2]


def test_every_problem_is_reported_at_once():
    text = "name: x\nversion: 0\ncodes:\n  - id: 'bad id'\n    name: n\n  - id: ok\n"
    assert len([p for p in problems(text) if p[1] == "error"]) >= 3


def test_load_codebook_raises_with_all_problems(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nversion: 0\ncodes: 5\n")
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    assert len(info.value.problems) == 2
    assert str(path) in str(info.value)


@pytest.mark.parametrize("name", ["ai-at-work.yaml", "patient-experience.yaml"])
def test_shipped_codebooks_are_clean(name, codebook_path):
    path = codebook_path.parent / name
    codebook = load_codebook(path)
    _, found = check_codebook_text(path.read_text(encoding="utf-8"), str(path))
    assert found == []
    assert all(code.definition for code in codebook.walk())


def test_ai_at_work_covers_the_studies_themes(codebook_path):
    codebook = load_codebook(codebook_path)
    for parent in ("hope", "fear", "prod", "benefit", "stigma", "trust"):
        assert codebook.descendants(parent), parent
    # light-and-shade pairs point at each other
    for code in codebook.walk():
        if code.opposite:
            assert codebook.get(code.opposite).opposite == code.id


def test_cli_check_prints_file_line_message_and_exit_codes(tmp_path, capsys, codebook_path):
    assert main(["codebook", "check", str(codebook_path)]) == 0
    assert "ok" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        VALID.replace("id: b\n", "id: a\n").replace("    color:", "    colour: x\n    color:")
    )
    assert main(["codebook", "check", str(bad)]) == 1
    captured = capsys.readouterr()
    assert f"{bad}:13: error: duplicate id 'a'" in captured.err
    assert f"{bad}:19: warning: code 'a': unknown key 'colour'" in captured.out
    assert "Traceback" not in captured.err


def test_cli_check_never_tracebacks_on_unreadable_input(tmp_path, capsys):
    binary = tmp_path / "cb.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage\x00\x81")
    assert main(["codebook", "check", str(binary)]) == 1
    assert main(["codebook", "check", str(tmp_path / "missing.yaml")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "cannot read" in err


@pytest.mark.parametrize(
    ("key", "command"),
    [("J", "next passage"), ("a", "accept suggestion"), ("0", "no code applies")],
)
def test_cli_check_refuses_a_shortcut_the_workspace_keeps(tmp_path, capsys, key, command):
    path = tmp_path / "keys.yaml"
    path.write_text(VALID.replace('shortcut: "1"', f'shortcut: "{key}"'))
    assert main(["codebook", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert (
        f"{path}:11: error: shortcut '{key}' is the workspace's '{command}' key; "
        "the app would ignore it"
    ) in err
    with pytest.raises(CodebookError):
        load_codebook(path)  # so 'new --codebook' and 'codebook add' refuse it too


def test_free_letters_stay_allowed_and_stored_codebooks_still_parse():
    assert problems(VALID.replace('shortcut: "1"', "shortcut: q")) == []
    # a project that stored such a codebook before the check existed still opens
    stored = VALID.replace('shortcut: "1"', "shortcut: j")
    assert parse_codebook(stored).get("a.one").shortcut == "j"
    _, found = check_codebook_text(stored, "cb.yaml", workspace_keys=True)
    assert [(p.line, p.severity) for p in found] == [(11, "error")]


@pytest.mark.parametrize(
    "head, where",
    [
        ("  - id: a\n", "children of 'a'"),
        ('  - id: "a b"\n', "children of 'a b'"),
        ("  - ", "children of the code on line 4"),
    ],
)
def test_bad_children_name_their_code_even_when_its_id_is_bad(head, where):
    """Not "'codes' must be a list": the top-level list is fine, the code's children are not."""
    text = f"name: x\nversion: 1\ncodes:\n{head}" + (
        "name: A\n    definition: d\n    children: 5\n"
        if head == "  - "
        else "    name: A\n    definition: d\n    children: 5\n"
    )
    _, problems = check_codebook_text(text, "cb.yaml")
    messages = [str(p) for p in problems]
    assert any(f"{where} must be a list of codes" in m for m in messages), messages
    assert not any("'codes' must be a list" in m for m in messages)
