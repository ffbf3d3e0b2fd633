"""The codebook editor driven as a lead drives it: add, rename, move by key, preview, save."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from workbench.core.codebook import parse_codebook  # noqa: E402
from workbench.core.codebook_edit import remember_codebook_source  # noqa: E402
from workbench.gui.dialogs.codebook_editor import CodebookEditorDialog  # noqa: E402


def test_edit_preview_and_save_a_new_version(qtbot, project, tmp_path, codebook_path):
    source = tmp_path / "book.yaml"
    source.write_text(codebook_path.read_text(encoding="utf-8"), encoding="utf-8")
    remember_codebook_source(project, source)
    dialog = CodebookEditorDialog(project, "lead")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)

    assert dialog.add_code("hope.calm", "Calm", parent_id="hope")
    assert dialog.current_id() == "hope.calm"
    assert dialog.rename_current("hope.serenity")
    siblings = dialog.document.children_of("hope")
    dialog.tree.setFocus()
    qtbot.keyClick(dialog.tree, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert dialog.document.children_of("hope").index("hope.serenity") == len(siblings) - 2
    dialog.fields["definition"].setPlainText("Feeling at ease about AI at work.")
    assert dialog.problems.count() == 0 and dialog.save_button.isEnabled()
    dialog.fields["color"].setText("blue")
    dialog.fields["color"].textEdited.emit("blue")
    assert any("color" in dialog.problems.item(i).text() for i in range(dialog.problems.count()))
    assert not dialog.save_button.isEnabled()
    dialog.fields["color"].setText("")
    dialog.fields["color"].textEdited.emit("")
    assert dialog.save_button.isEnabled()

    assert "+ hope.serenity  (added)" in dialog.preview_lines()
    dialog.grab().save(str(tmp_path / "editor.png"))
    before = project.codebook.version
    assert dialog.save() == before + 1
    assert project.codebook.version == before + 1
    assert project.codebook.get("hope.serenity").definition == "Feeling at ease about AI at work."
    written = source.read_text(encoding="utf-8")
    assert written.startswith("# Codebook for interviews about AI at work")
    assert parse_codebook(written).get("hope.serenity") is not None


def test_deleting_a_coded_code_needs_the_lead_to_accept_the_migration(qtbot, tmp_path):
    from sqlalchemy import text

    from workbench.core.session import CodingSession
    from workbench.core.store import Project
    from workbench.demo import create_demo_project

    project = Project.open(create_demo_project(tmp_path / "demo.wb"))
    with project.reading() as conn:
        passage_id = conn.execute(text("select min(id) from passages")).scalar()
    CodingSession(project, "ana").apply_code(passage_id, "hope.time")
    dialog = CodebookEditorDialog(project, "lead")
    qtbot.addWidget(dialog)
    dialog.select("hope.time")
    dialog.delete_current()
    before = project.codebook.version
    shown: list[str] = []
    assert dialog.save(confirm=lambda lines: shown.extend(lines) or False) is None
    assert project.codebook.version == before  # refused: nothing stored
    assert any("hope.time" in line and "archived" in line for line in shown)
    assert dialog.save(confirm=lambda lines: True) == before + 1
    project.close()
