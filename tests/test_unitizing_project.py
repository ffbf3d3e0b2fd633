"""Unitizing agreement from a project: which passages and coders enter, and the CLI.

Spans are written straight into ``coded_spans`` (with the ``codings`` row and a decision from
``record_decision``, as the span-recording API will), since this side only reads them.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.conftest import write
from workbench.cli import main
from workbench.core.agreement.unitizing import Continuum, unitizing_alpha
from workbench.core.agreement.unitizing_source import project_has_spans, project_unitizing
from workbench.core.store import schema
from workbench.core.store.coding import DecisionAction, ensure_coder, record_decision
from workbench.core.store.importing import import_transcript_file
from workbench.core.store.unitizing_data import read_span_passages

pytestmark = pytest.mark.backends

ANSWER = "I use it every day for drafting reports and then I check every number by hand myself."
INTERVIEW = "".join(f"Interviewer: question {i}?\n\nParticipant: {ANSWER}\n\n" for i in range(3))


def passage_rows(project, key):
    """(row id, start, end) of passage ``t#n``."""
    external_id, position = key.split("#")
    p, t = schema.passages, schema.transcripts
    with project.reading() as conn:
        row = conn.execute(
            select(p.c.id, p.c.start, p.c.end)
            .join(t, t.c.id == p.c.transcript_id)
            .where(t.c.external_id == external_id, p.c.position == int(position))
        ).one()
    return tuple(row)


def code_span(project, key, coder, code, start, end):
    """``coder`` selects ``[start, end)`` of passage ``key`` (offsets inside the passage)."""
    pid, base, _end = passage_rows(project, key)
    with project.transaction() as conn:
        coder_id = ensure_coder(conn, coder)
        decision = record_decision(conn, pid, coder_id, DecisionAction.APPLY, code)
        conn.execute(
            schema.coded_spans.insert().values(
                passage_id=pid,
                coder_id=coder_id,
                code_id=code,
                start=base + start,
                end=base + end,
                decision_id=decision,
            )
        )


def code_passage(project, key, coder, code=None):
    """A whole-passage decision: ``code`` applied, or no code applies."""
    pid, _start, _end = passage_rows(project, key)
    action = DecisionAction.APPLY if code else DecisionAction.NO_CODE
    with project.transaction() as conn:
        record_decision(conn, pid, ensure_coder(conn, coder), action, code)


@pytest.fixture
def spans_project(tmp_path, project):
    import_transcript_file(project, write(tmp_path / "t1.txt", INTERVIEW))
    import_transcript_file(project, write(tmp_path / "t2.txt", INTERVIEW.replace("day", "week")))
    # t1: ana and ben select inside passages
    code_span(project, "t1#2", "ana", "hope.time", 0, 20)
    code_span(project, "t1#2", "ben", "hope.time", 5, 20)
    code_span(project, "t1#2", "ben", "prod.speed", 30, 40)
    code_span(project, "t1#4", "ana", "prod.speed", 10, 30)
    code_passage(project, "t1#4", "ben", "prod.speed")  # no selection: the whole passage
    code_span(project, "t1#6", "ana", "hope.time", 0, 10)  # ben never reviewed t1#6
    # t2: only ana selects; ben codes whole passages. Nobody else unitized here.
    code_span(project, "t2#2", "ana", "hope.time", 0, 10)
    code_passage(project, "t2#2", "ben", "hope.time")
    return project


def test_reads_passages_two_coders_reviewed_in_transcripts_two_coders_unitized(spans_project):
    with spans_project.reading() as conn:
        passages = read_span_passages(conn, ["ana", "ben"])
    assert [p.key for p in passages] == ["t1#2", "t1#4"]
    first, second = passages
    assert first.selections == {
        "ana": [("hope.time", 0, 20)],
        "ben": [("hope.time", 5, 20), ("prod.speed", 30, 40)],
    }
    assert second.selections["ben"] == [("prod.speed", 0, second.length)]
    _pid, start, end = passage_rows(spans_project, "t1#4")
    assert second.length == end - start
    with spans_project.reading() as conn:
        assert read_span_passages(conn, ["ana"]) == []  # one coder: nothing to compare


def test_project_figure_is_the_pure_computation_over_those_passages(spans_project):
    result = project_unitizing(spans_project, ["ana", "ben"])
    length = [
        passage_rows(spans_project, k)[2] - passage_rows(spans_project, k)[1]
        for k in ("t1#2", "t1#4")
    ]
    expected = unitizing_alpha(
        [
            Continuum(
                length[0],
                {
                    "ana": [("hope.time", 0, 20)],
                    "ben": [("hope.time", 5, 20), ("prod.speed", 30, 40)],
                },
                "t1",
            ),
            Continuum(
                length[1],
                {"ana": [("prod.speed", 10, 30)], "ben": [("prod.speed", 0, length[1])]},
                "t1",
            ),
        ]
    )
    assert result.value == pytest.approx(expected.value)
    assert result.continua == 2 and result.groups == 1 and result.length == sum(length)
    assert list(result.per_code) == ["hope.time", "prod.speed"]  # codebook order, used codes
    assert project_has_spans(spans_project)


def test_identical_selections_agree_perfectly(tmp_path, project):
    import_transcript_file(project, write(tmp_path / "t1.txt", INTERVIEW))
    for coder in ("ana", "ben"):
        code_span(project, "t1#2", coder, "hope.time", 3, 25)
        code_passage(project, "t1#4", coder)  # reviewed, nothing applies: all gap
    result = project_unitizing(project, ["ana", "ben"])
    assert result.value == pytest.approx(1.0)
    assert result.continua == 2


def run(capsys, argv):
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_json_and_text(spans_project, capsys):
    location = str(spans_project.location)
    code, out, _err = run(capsys, ["agreement", location, "--unitizing", "--json"])
    assert code == 0
    report = json.loads(out)
    assert report["value"] == pytest.approx(
        project_unitizing(spans_project, ["ana", "ben"]).value, abs=1e-6
    )
    assert report["passages"] == 2 and report["coder_names"] == ["ana", "ben"]
    assert set(report["per_code"]) == {"hope.time", "prod.speed"}
    assert "unitizing alpha" in report["method"] and report["raters"]["rule"] == "human coders"
    code, out, _err = run(capsys, ["agreement", location, "--unitizing"])
    assert code == 0 and "uα (every code)" in out and "prod.speed" in out


def test_cli_named_coders_and_a_third(spans_project, capsys):
    code_span(spans_project, "t1#2", "cy", "hope.time", 0, 20)
    location = str(spans_project.location)
    _code, out, _err = run(capsys, ["agreement", location, "--unitizing", "--json"])
    assert json.loads(out)["coders"] == 3
    _code, out, _err = run(
        capsys, ["agreement", location, "--unitizing", "--coders", "ana,cy", "--json"]
    )
    report = json.loads(out)
    assert report["coder_names"] == ["ana", "cy"] and report["passages"] == 1
    assert report["value"] == pytest.approx(1.0)


def test_cli_errors(spans_project, capsys, tmp_path):
    location = str(spans_project.location)
    code, _out, err = run(capsys, ["agreement", location, "--unitizing", "--metric", "alpha"])
    assert code == 2 and "--metric does not apply to --unitizing" in err
    ratings = write(tmp_path / "r.csv", "unit,coder,value\nu1,a,x\nu1,b,x\n")
    code, _out, err = run(capsys, ["agreement", str(ratings), "--unitizing"])
    assert code == 1 and "needs a project" in err and "Traceback" not in err
    code, _out, err = run(capsys, ["agreement", location, "--unitizing", "--codes", "nope"])
    assert code == 1 and "'nope'" in err


def test_selection_outside_its_passage_is_one_line_naming_it(spans_project, capsys):
    _pid, start, end = passage_rows(spans_project, "t1#4")
    code_span(spans_project, "t1#4", "ana", "hope.time", 0, end - start + 7)
    code, _out, err = run(capsys, ["agreement", str(spans_project.location), "--unitizing"])
    assert code == 1 and "t1#4" in err and "outside the passage" in err
    assert len(err.strip().splitlines()) == 1


def _titles(report):
    return [section.title for section in report.sections]


def test_agreement_report_has_the_section_only_when_text_was_selected(spans_project, tmp_path):
    from workbench.reports.agreement_report import build_agreement_report

    report = build_agreement_report(spans_project, ci=False)
    result = project_unitizing(spans_project, ["ana", "ben"])
    titles = _titles(report)
    assert "Agreement on the text selected inside passages" in titles
    assert "Anchoring experiment" not in titles  # the experiment was never on
    text = report.sections[titles.index("Agreement on the text selected inside passages")]
    assert f"uα {result.value:.3f}" in text.paragraphs[0]
    assert text.paragraphs[1].startswith("Agreement on the text coders selected")
    table = report.sections[titles.index("Unitizing agreement per code (human coders)")]
    values = {row[0]: row[2] for row in table.rows}
    assert values == {code: row["value"] for code, row in result.per_code.items()}


def test_report_files_carry_the_unitizing_numbers(spans_project, tmp_path):
    from openpyxl import load_workbook

    from workbench.reports.writer import write_report

    result = project_unitizing(spans_project, ["ana", "ben"])
    write_report(spans_project, "agreement", tmp_path / "a.html", ci=False)
    page = (tmp_path / "a.html").read_text(encoding="utf-8")
    assert "Unitizing agreement per code" in page and f"{result.value:.3f}" in page
    write_report(spans_project, "agreement", tmp_path / "a.xlsx", ci=False)
    sheet = load_workbook(tmp_path / "a.xlsx")["Unitizing agreement per code"]
    rows = {row[0]: row[2] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]}
    assert rows["hope.time"] == result.per_code["hope.time"]["value"]
    pdfium = pytest.importorskip("pypdfium2")
    write_report(spans_project, "agreement", tmp_path / "a.pdf", ci=False)
    document = pdfium.PdfDocument(str(tmp_path / "a.pdf"))
    text = "".join(page.get_textpage().get_text_range() for page in document)
    assert "Unitizing agreement per code" in text


def test_report_without_spans_has_no_unitizing_section(tmp_path, project):
    from workbench.reports.agreement_report import build_agreement_report

    import_transcript_file(project, write(tmp_path / "t1.txt", INTERVIEW))
    for coder in ("ana", "ben"):
        code_passage(project, "t1#2", coder, "hope.time")
    titles = _titles(build_agreement_report(project, ci=False))
    assert "Agreement on the text selected inside passages" not in titles
    assert "Overall agreement" in titles


def test_cli_text_json_report_files_and_panel_show_the_same_figures(
    spans_project, capsys, tmp_path, qtbot
):
    # one project, every surface: each figure is the JSON's number, written by the CLI's rule
    # (the writer's display format for the files, which must print the same digits)
    from openpyxl import load_workbook

    from workbench.core.agreement.report import coefficient_text
    from workbench.gui.widgets.agreement_tabs import SelectionsTab
    from workbench.reports.agreement_report import build_agreement_report
    from workbench.reports.numbers import column_formats, excel_format, shown
    from workbench.reports.writer import write_report

    code_span(spans_project, "t1#2", "cy", "hope.time", 2, 22)
    code_span(spans_project, "t1#2", "cy", "prod.speed", 12, 40)  # hope.time + prod.speed
    location = str(spans_project.location)
    _code, out, _err = run(capsys, ["agreement", location, "--unitizing", "--json"])
    report = json.loads(out)
    assert report["coders"] == 3 and report["combined"]
    figures = {key: coefficient_text(report[key]) for key in ("value", "binary", "cu")}
    assert all(text != "undefined" for text in figures.values())
    coverage = f"{report['cu_coverage']:.0%}"

    _code, text, _err = run(capsys, ["agreement", location, "--unitizing"])
    lines = text.splitlines()

    def line(start: str) -> str:
        return next(row for row in lines if row.lstrip().startswith(start))

    assert figures["value"] in line("uα (every code)")
    assert figures["binary"] in line("|uα (coded or not)")
    assert figures["cu"] in line("cuα (codes of jointly coded text)")
    assert f"covering {coverage} of the pooled text" in text
    for code, row in report["per_code"].items():
        at = lines.index(line(code))
        assert coefficient_text(row["value"]) in lines[at]
        assert (
            f"{coefficient_text(row['k_alpha'])}  covering {row['k_coverage']:.0%}" in lines[at + 1]
        )

    built = build_agreement_report(spans_project, ci=False)
    titles = [section.title for section in built.sections]
    headline = built.sections[titles.index("Agreement on the text selected inside passages")]
    assert f"uα {figures['value']}" in headline.paragraphs[0]
    assert f"(|uα): {figures['binary']}" in headline.paragraphs[0]
    assert f"(cuα): {figures['cu']}, on {coverage} of the pooled text" in headline.paragraphs[0]
    table = built.sections[titles.index("Unitizing agreement per code (human coders)")]
    specs = dict(zip(table.columns, column_formats(table), strict=True))
    by_code = {row[0]: row for row in table.rows}
    for code, row in {**report["per_code"], **report["combined"]}.items():
        cells = dict(zip(table.columns, by_code[code], strict=True))
        if "value" in row:
            assert cells["uα"] == row["value"]
            assert shown(cells["uα"], specs["uα"]) == coefficient_text(row["value"])
        assert cells["(k)uα"] == row["k_alpha"]
        assert shown(cells["(k)uα"], specs["(k)uα"]) == coefficient_text(row["k_alpha"])
        assert shown(cells["(k)uα coverage"], specs["(k)uα coverage"]) == f"{row['k_coverage']:.0%}"

    write_report(spans_project, "agreement", tmp_path / "a.html", ci=False)
    page = (tmp_path / "a.html").read_text(encoding="utf-8")
    section = page.split("<h2>Unitizing agreement per code")[1].split("</table>")[0]
    for code, row in report["per_code"].items():
        html_row = next(r for r in section.split("<tr>") if r.startswith(f"<td>{code}</td>"))
        assert f"<td class='num'>{coefficient_text(row['value'])}</td>" in html_row
        assert f"<td class='num'>{coefficient_text(row['k_alpha'])}</td>" in html_row
    write_report(spans_project, "agreement", tmp_path / "a.xlsx", ci=False)
    sheet = load_workbook(tmp_path / "a.xlsx")["Unitizing agreement per code"]
    header = [cell.value for cell in sheet[1]]
    for cells in sheet.iter_rows(min_row=2):
        code = cells[0].value
        if code in report["per_code"]:
            value = cells[header.index("uα")]
            assert value.value == report["per_code"][code]["value"]
            assert value.number_format == excel_format(specs["uα"])

    tab = SelectionsTab({})
    qtbot.addWidget(tab)
    tab.show_result(project_unitizing(spans_project, report["coder_names"]))
    shown_headline = tab.headline.text()
    assert f"uα {figures['value']}" in shown_headline
    assert f"|uα {figures['binary']}" in shown_headline
    assert f"cuα {figures['cu']} (on {coverage} of the text)" in shown_headline
    panel_rows = {row[0]: row for row in tab.model.rows}
    for code, row in report["per_code"].items():
        assert panel_rows[code][1] == coefficient_text(row["value"])
        assert panel_rows[code][4] == coefficient_text(row["k_alpha"])
        assert panel_rows[code][5] == f"{row['k_coverage']:.0%}"


def test_the_panel_formats_the_printed_number_not_the_unrounded_one(qtbot):
    # .58349996 prints .584 from the JSON's .5835 and .583 unrounded: the panel must say .584
    from dataclasses import replace

    from workbench.core.agreement.report import coefficient_text
    from workbench.gui.widgets.agreement_tabs import SelectionsTab

    result = unitizing_alpha([Continuum(10, {"A": [("x", 0, 6)], "B": [("x", 2, 8)]})])
    result = replace(result, value=0.58349996)
    assert coefficient_text(result.to_dict()["value"]) == "0.584"
    tab = SelectionsTab({})
    qtbot.addWidget(tab)
    tab.show_result(result)
    assert "uα 0.584 " in tab.headline.text()
