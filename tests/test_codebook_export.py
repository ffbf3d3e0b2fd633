"""Codebook out and in (YAML, .qdc, Markdown, DOCX, CSV) and codebook health on a hand-made
project where every kind of finding is present."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from lxml import etree
from sqlalchemy import text

from tests.conftest import write
from workbench.cli import main
from workbench.core.agreement.data import CodedData
from workbench.core.codebook import load_codebook, parse_codebook
from workbench.core.codebook_health import codebook_health, confused_pairs, swap_counts
from workbench.core.store import Project
from workbench.core.store.coding import CoderKind, DecisionAction, ensure_coder, record_decision
from workbench.core.store.importing import import_transcript_file
from workbench.core.store.suggestions import record_run, save_suggestions
from workbench.interop.codebook_export import code_stats, export_codebook, markdown
from workbench.interop.refi_codebook import qdc_document, qdc_to_yaml
from workbench.interop.refi_schema import SCHEMA_DIR
from workbench.suggest.engine import Suggestion

BOOK = """\
# a comment the YAML export keeps
name: Study
version: 1
codes:
  - id: hope
    name: Hopes
    definition: Hopes for the future of work.
    color: "#2e7d32"
    children:
      - id: hope.time
        name: Time returned
        definition: AI saves time for family and rest.
        include: [Hours saved]
        exclude: [Time eaten by more work]
        examples: [It let me cook with my mother.]
        color: "#43a047"
  - id: a
    name: Job loss
    definition: Worry about losing jobs to machines and automation.
  - id: b
    name: Job threat
    definition: Worry about jobs lost to automation machines.
  - id: s
    name: Trust
    definition: Trust in the tools' answers.
  - id: cost
    name: "=Cost"
    definition: Costs less than staff.
"""

CODINGS = {  # coder -> passage rank -> codes
    "ana": {1: {"a"}, 2: {"a", "s"}, 3: {"hope.time"}, 4: {"s"}, 5: {"a"}, 6: {"hope.time"}},
    "bo": {1: {"b"}, 2: {"b"}, 3: {"hope.time"}, 4: {"hope.time"}, 5: {"a"}, 6: {"hope.time"}},
}
INTERVIEW = "".join(f"Interviewer: question {i}\n\nUser: answer {i}\n\n" for i in range(1, 7))


@pytest.fixture
def study(tmp_path):
    project = Project.create(tmp_path / "study.wb", codebook=parse_codebook(BOOK))
    import_transcript_file(project, write(tmp_path / "t.txt", INTERVIEW))
    with project.transaction() as conn:
        ids = dict(conn.execute(text("select position, id from passages where coded")).all())
        by_rank = {rank: pid for rank, (_, pid) in enumerate(sorted(ids.items()), start=1)}
        for name, codings in CODINGS.items():
            coder = ensure_coder(conn, name, CoderKind.HUMAN)
            for rank, codes in codings.items():
                for code_id in sorted(codes):
                    record_decision(conn, by_rank[rank], coder, DecisionAction.APPLY, code_id)
        # the engine says "trust" where both humans said "time returned"
        save_suggestions(
            conn,
            [
                Suggestion(by_rank[r], "s", 0.8, "", None, None, "", "local", "m", "p1")
                for r in (3, 6)
            ],
            1,
        )
        record_run(conn, [by_rank[3], by_rank[6]], 1, "local", "m", "p1", "local")
    yield project
    project.close()


def test_qdc_is_schema_valid_and_round_trips(tmp_path):
    codebook = parse_codebook(BOOK)
    out = tmp_path / "book.qdc"
    assert export_codebook(codebook, out) == "qdc"
    schema = etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "Codebook.xsd")))
    assert schema.validate(etree.parse(str(out))), schema.error_log
    back = parse_codebook(qdc_to_yaml(out))

    def tree(book):  # type: ignore[no-untyped-def]
        return [(c.name, c.depth, c.color, len(c.children)) for c in book.walk()]

    assert tree(back) == tree(codebook)
    time = next(c for c in back.walk() if c.name == "Time returned")
    assert (time.definition, time.include, time.exclude, time.examples) == (
        "AI saves time for family and rest.",
        ("Hours saved",),
        ("Time eaten by more work",),
        ("It let me cook with my mother.",),
    )
    # the workbench's own .qdc keeps ids, name and version (from the code's last description
    # line and the file's origin), not slugs of the names
    assert (back.name, back.version, back.ids) == (codebook.name, codebook.version, codebook.ids)
    assert qdc_document(codebook) == qdc_document(codebook)  # stable GUIDs


def test_qdc_import_from_another_tool(tmp_path):
    other = write(
        tmp_path / "nvivo.qdc",
        '<?xml version="1.0"?><CodeBook xmlns="urn:QDA-XML:codebook:1:0"><Codes>'
        '<Code guid="{11111111-1111-1111-1111-111111111111}" name="Other" isCodable="true" '
        'color="#F00"><Description>Anything else.</Description>'
        '<Code guid="22222222-2222-2222-2222-222222222222" name="Other" isCodable="true"/>'
        "</Code></Codes></CodeBook>",
    )
    out = tmp_path / "book.yaml"
    assert main(["codebook", "import", str(other), "--out", str(out)]) == 0
    assert main(["codebook", "check", str(out)]) == 0
    book = load_codebook(out)
    # same names under one another: the child's id names its parent, as a .qdpx import of the
    # same tree names it (it was "other-2", so codings imported from the tool's project did not
    # line up with a codebook imported from its .qdc)
    assert book.ids == ["other", "other.other"]
    assert book.get("other").color == "#ff0000"
    assert book.get("other.other").parent_id == "other"


def test_qdc_import_refuses_a_project_as_codebook(tmp_path, capsys):
    bad = write(tmp_path / "x.qdc", '<Project xmlns="urn:QDA-XML:project:1.0"/>')
    assert main(["codebook", "import", str(bad)]) == 1
    assert "expected <CodeBook>" in capsys.readouterr().err


def test_yaml_export_keeps_the_source_text(tmp_path):
    source = write(tmp_path / "in.yaml", BOOK)
    out = tmp_path / "out.yaml"
    assert main(["codebook", "export", str(source), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == BOOK


def test_csv_export_one_row_per_code_and_no_formulas(tmp_path):
    out = tmp_path / "book.csv"
    export_codebook(parse_codebook(BOOK), out)
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert [r["id"] for r in rows] == ["hope", "hope.time", "a", "b", "s", "cost"]
    assert rows[1]["parent"] == "hope" and rows[1]["examples"] == "It let me cook with my mother."
    assert rows[5]["name"] == "'=Cost"


def test_project_markdown_and_docx_carry_frequency_and_agreement(study, tmp_path):
    stats = code_stats(study)
    assert stats["hope.time"].passages == 3 and stats["hope.time"].participants == 1
    assert stats["hope"].passages == 3  # a parent counts its children's passages
    assert stats["cost"].passages == 0
    assert stats["a"].alpha is not None and stats["a"].alpha_passages == 6
    md = tmp_path / "book.md"
    docx_out = tmp_path / "book.docx"
    assert main(["codebook", "export", str(study.location), "--out", str(md)]) == 0
    assert main(["codebook", "export", str(study.location), "--out", str(docx_out)]) == 0
    text_md = md.read_text(encoding="utf-8")
    assert text_md == markdown(study.codebook, stats)
    assert "### Time returned (`hope.time`)" in text_md
    assert "- It let me cook with my mother." in text_md
    assert f"Krippendorff's alpha {stats['a'].alpha:.3f} (n = 6 passages)" in text_md
    from docx import Document

    paragraphs = [p.text for p in Document(str(docx_out)).paragraphs]
    assert "Time returned (hope.time)" in paragraphs
    assert "Time eaten by more work" in paragraphs
    assert any(p.startswith("Used for 1 participants, 3 passages.") for p in paragraphs)


def test_export_refuses_an_unknown_format_before_writing(tmp_path, capsys):
    source = write(tmp_path / "in.yaml", BOOK)
    # exit 2 (usage), as `export` and `report` give for a format they do not write
    assert main(["codebook", "export", str(source), "--out", str(tmp_path / "x.txt")]) == 2
    assert "unknown codebook format '.txt'" in capsys.readouterr().err
    assert not (tmp_path / "x.txt").exists()


def test_health_finds_every_kind(study, capsys):
    health = codebook_health(study)
    assert health.never_used == ["cost"]
    low = {f.code: f for f in health.low_agreement}
    assert sorted(low) == ["a", "b", "s"]  # hope.time is agreed on; cost has no alpha to judge
    assert low["a"].passages == 6 and low["a"].alpha < 0.667
    pairs = {(p.first, p.second, p.between): p.count for p in health.confused}
    assert pairs[("a", "b", "human coders")] == 2
    assert pairs[("hope.time", "s", "engine:local and human coders")] == 4
    assert not any({p.first, p.second} == {"hope", "hope.time"} for p in health.confused)
    assert health.without_examples == ["hope", "a", "b", "s", "cost"]
    assert [(p.first, p.second) for p in health.close_definitions] == [("a", "b")]
    assert main(["codebook", "health", str(study.location), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["never_used"] == ["cost"]


def test_swaps_count_only_exchanges_not_additions():
    # passages × codes (A, B): swap, addition, same
    first = np.array([[1, 0], [1, 0], [1, 0]], dtype=bool)
    second = np.array([[0, 1], [1, 1], [1, 0]], dtype=bool)
    counts = swap_counts(first, second)
    assert counts.tolist() == [[0, 1], [1, 0]]


def test_confused_pairs_need_both_coders_to_have_reviewed():
    present = np.zeros((3, 2, 2), dtype=bool)
    present[:, 0, 0] = True  # coder x: A everywhere
    present[:, 1, 1] = True  # coder y: B everywhere
    reviewed = np.array([[True, True], [True, True], [True, False]])
    data = CodedData(["p1", "p2", "p3"], ["x", "y"], ["A", "B"], reviewed, present, {})
    book = parse_codebook(
        "name: n\nversion: 1\ncodes:\n"
        "  - {id: A, name: A, definition: a}\n  - {id: B, name: B, definition: b}\n"
    )
    found = confused_pairs(data, book, ["x", "y"], [], minimum=2)
    assert [(p.first, p.second, p.count) for p in found] == [("A", "B", 2)]
    assert confused_pairs(data, book, ["x", "y"], [], minimum=3) == []


def test_agreement_report_has_a_codebook_health_section(study):
    from workbench.reports.agreement_report import build_agreement_report

    report = build_agreement_report(study, ci=False)
    table = next(t for t in report.tables() if t.title == "Codebook health")
    rows = {(row[0], row[1]) for row in table.rows}
    assert ("never used", "cost") in rows and ("low agreement", "a") in rows
    assert ("confused", "a / b") in rows and ("close definitions", "a / b") in rows
    assert ("no examples", "hope.time") not in rows


def test_health_dialog_shows_a_tab_per_finding_kind(study, qtbot, tmp_path):
    from workbench.gui.dialogs.health_dialog import CodebookHealthDialog

    dialog = CodebookHealthDialog(study)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.finished_computing, timeout=60_000) as finished:
        pass  # computed on a worker thread; the tabs come when it is done
    assert finished.args == ["done"] and dialog.status.text() == "12 findings"
    tabs = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert tabs == [
        "Never used (1)",
        "Low agreement (3)",
        "Confused pairs (2)",
        "No examples (5)",
        "Close definitions (1)",
    ]
    dialog.tabs.setCurrentIndex(2)
    model = dialog.models[2][1]
    assert model.data(model.index(0, 0)) == "Job loss (a)"
    assert model.data(model.index(0, 2)) == "2"
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.grab().save(str(tmp_path / "health.png"))


def test_health_dialog_computes_off_the_gui_thread_and_reports_progress(study, qtbot):
    import threading

    from workbench.core.codebook_health import codebook_health
    from workbench.gui.dialogs.health_dialog import CodebookHealthDialog

    threads: list[threading.Thread] = []
    steps: list[str] = []

    def compute(project, progress, cancel):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread())
        return codebook_health(
            project, progress=lambda d, t, w: (steps.append(w), progress(d, t, w)), cancel=cancel
        )

    dialog = CodebookHealthDialog(study, compute=compute)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.finished_computing, timeout=60_000):
        pass
    assert threads and threads[0] is not threading.main_thread()
    assert steps[0] == "reading the codings" and steps[-1] == "done"
    assert dialog.tabs.count() == 5 and not dialog.cancel_button.isVisible()


def test_health_dialog_cancel_stops_the_worker(study, qtbot):
    import threading

    from PySide6.QtCore import Qt

    from workbench.gui.dialogs.health_dialog import CodebookHealthDialog

    started = threading.Event()

    def compute(project, progress, cancel):  # type: ignore[no-untyped-def]
        started.set()
        progress(0, 3, "waiting to be cancelled")
        while True:  # stands for a long computation: stops only at a checkpoint
            cancel.raise_if_cancelled()
            threading.Event().wait(0.01)

    dialog = CodebookHealthDialog(study, compute=compute)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(started.is_set, timeout=10_000)
    qtbot.waitUntil(lambda: "waiting to be cancelled" in dialog.status.text(), timeout=10_000)
    with qtbot.waitSignal(dialog.finished_computing, timeout=10_000) as finished:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert finished.args == ["cancelled"]
    assert dialog.status.text().startswith("Cancelled") and dialog.tabs.count() == 0
