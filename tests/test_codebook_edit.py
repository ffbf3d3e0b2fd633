"""The codebook edit layer: edits keep the lead's comments, key order and quotes."""

from __future__ import annotations

import pytest

from workbench.core.codebook import check_codebook, parse_codebook
from workbench.core.codebook_edit import CodebookDocument, EditError, load_document

TEXT = """\
# How to code: the most specific code that fits.
name: Demo   # the study's name
version: 3
codes:
  - id: a
    name: Alpha
    # the first theme
    definition: >
      Talk about alpha.
    examples:
      - "An alpha passage."   # from P04
    children:
      - id: a.one
        name: Alpha one
        definition: First child.
  - id: b
    name: Beta
    definition: Talk about beta.
    opposite: a.one
"""


def test_unedited_document_renders_byte_for_byte(codebook_path):
    text = codebook_path.read_text(encoding="utf-8")
    assert load_document(codebook_path).text() == text
    assert CodebookDocument(TEXT).text() == TEXT


def test_edits_keep_comments_key_order_and_quotes():
    doc = CodebookDocument(TEXT)
    doc.add_code("c", "Gamma", "Talk about gamma.")
    doc.rename_code("a.one", "a.first")
    doc.set_field("a", "definition", "Talk about alpha, and only alpha.")
    doc.set_field("b", "color", "#112233")
    doc.set_field("b", "include", ["Any beta."])
    doc.move_by("b", "up")
    text = doc.text()
    for comment in ("# How to code", "# the study's name", "# the first theme", "# from P04"):
        assert comment in text
    assert '- "An alpha passage."' in text
    codebook = parse_codebook(text)
    assert [c.id for c in codebook.codes] == ["b", "a", "c"]
    assert codebook.get("a.first").was == ("a.one",)
    assert codebook.get("b").opposite == "a.first"  # the reference follows the rename
    assert codebook.get("a").definition == "Talk about alpha, and only alpha."
    assert codebook.get("b").include == ("Any beta.",)
    # a new key goes before the children, in the order a reader expects
    lines = [line.strip().split(":")[0] for line in text.splitlines()]
    assert lines.index("examples") < lines.index("children")


def test_delete_and_moves_by_key():
    doc = CodebookDocument(TEXT)
    assert doc.move_by("a.one", "left")
    assert doc.children_of(None) == ["a", "a.one", "b"]
    assert "children" not in doc.code("a")  # an emptied children list goes
    assert doc.move_by("b", "right")
    assert doc.parent_of("b") == "a.one"
    assert not doc.move_by("a", "up")  # already first
    doc.delete_code("a.one")
    assert doc.ids() == ["a"]
    with pytest.raises(EditError, match="under itself"):
        CodebookDocument(TEXT).move_code("a", "a.one")


def test_refused_edits_change_nothing():
    doc = CodebookDocument(TEXT)
    with pytest.raises(EditError, match="already exists"):
        doc.add_code("b", "Again", "x")
    with pytest.raises(EditError, match="not a code id"):
        doc.rename_code("b", "bad id")
    with pytest.raises(EditError, match="no code 'zzz'"):
        doc.delete_code("zzz")
    assert doc.text() == TEXT


def test_example_from_a_passage_is_shortened_and_appended():
    doc = CodebookDocument(TEXT)
    added = doc.add_example("a", "word " * 200)
    assert len(added) <= 301 and added.endswith("…")
    assert parse_codebook(doc.text()).get("a").examples == ("An alpha passage.", added)
    assert "# from P04" in doc.text()


def test_validation_messages_equal_codebook_check(tmp_path):
    doc = CodebookDocument(TEXT, str(tmp_path / "cb.yaml"))
    doc.set_field("a", "color", "red")
    doc.set_field("b", "shortcut", "1")
    doc.set_field("a.one", "shortcut", "1")
    path = tmp_path / "cb.yaml"
    path.write_text(doc.text(), encoding="utf-8")
    _, expected = check_codebook(path)
    codebook, problems = doc.check()
    assert codebook is None and problems == expected
    assert any("color" in p.message for p in problems)


def test_codebook_add_remembers_its_source_file(project, tmp_path, codebook_path):
    from workbench.core.codebook_edit import codebook_source, remember_codebook_source

    assert codebook_source(project) is None
    copy = tmp_path / "book.yaml"
    copy.write_text(codebook_path.read_text(encoding="utf-8"), encoding="utf-8")
    remember_codebook_source(project, copy)
    assert codebook_source(project) == copy.resolve()
