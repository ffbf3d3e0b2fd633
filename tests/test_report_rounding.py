"""A report shows the CLI's digits: figures are rounded once, by the writer, never before.

The study below is built so that per-code alpha is 0.73846…: the CLI prints 0.738, and a
builder that rounded to 4 places first (0.7385) made the report print 0.739. XLSX and CSV keep
the whole number (an XLSX cell shows 3 places through its number format).
"""

from __future__ import annotations

import csv
import html
import json
import re

import pytest
from openpyxl import load_workbook

from tests.conftest import write
from workbench.cli import main
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store.importing import import_metadata_file, import_transcript_file
from workbench.reports.writer import write_report

pytestmark = pytest.mark.backends

INTERVIEW = "".join(
    f"Interviewer: q{i}\n\nParticipant: answer {i} about work and AI.\n\n" for i in range(8)
)
PER_CODE = "Agreement per code (human coders)"


@pytest.fixture
def study(tmp_path, project):
    """Nine passages coded by ana and ben: prod.speed by both on two and by ana alone on one,
    trust.accuracy wherever a coder did not code prod.speed. Each code's alpha is 0.73846."""
    for t in range(2):
        text = INTERVIEW.replace("answer", f"answer t{t}")
        import_transcript_file(project, write(tmp_path / f"t{t}.txt", text))
    keys = [f"t0#{i}" for i in range(2, 17, 2)] + ["t1#2"]
    rows = []
    for n, key in enumerate(keys):
        rows.append((key, "ana", "prod.speed" if n <= 2 else "trust.accuracy"))
        rows.append((key, "ben", "prod.speed" if n <= 1 else "trust.accuracy"))
    decisions = "passage_id,coder,code\n" + "".join(f"{p},{c},{k}\n" for p, c, k in rows)
    import_decisions_csv(project, write(tmp_path / "d.csv", decisions))
    return project


def cli(capsys, *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


def cli_per_code(capsys, location: str) -> tuple[dict[str, list[str]], dict[str, dict]]:
    """Each applied code's alpha, CI low and CI high as ``workbench agreement`` prints them,
    and the same figures from its ``--json``."""
    text = cli(capsys, "agreement", location, "--metric", "alpha", "--ci")
    printed = {
        m["code"]: [m["value"], m["low"], m["high"]]
        for m in re.finditer(
            r"^ {4}(?P<code>\S+) +(?P<value>-?\d\.\d+) +\[(?P<low>-?\d\.\d+), (?P<high>-?\d\.\d+)\]",
            text,
            re.M,
        )
    }
    found = json.loads(cli(capsys, "agreement", location, "--metric", "alpha", "--ci", "--json"))
    return printed, found["per_code"]


def html_table(page: str, title: str) -> list[dict[str, str]]:
    """The rows of the HTML table under ``title``, each as header -> cell text."""
    match = re.search(rf"<h2>{re.escape(html.escape(title))}</h2><table>(.*?)</table>", page)
    assert match, f"no table '{title}' in the page"
    header, *rows = re.findall(r"<tr>(.*?)</tr>", match[1])
    columns = [html.unescape(c) for c in re.findall(r"<th>(.*?)</th>", header)]
    return [
        dict(zip(columns, map(html.unescape, re.findall(r"<td[^>]*>(.*?)</td>", row)), strict=True))
        for row in rows
    ]


def sheet_rows(path, name: str) -> list[dict[str, object]]:
    """The XLSX sheet's table rows, each as header -> cell (the cell itself, to read its format)."""
    sheet = load_workbook(path)[name]
    columns = [c.value for c in sheet[1]]
    return [
        dict(zip(columns, row, strict=False))
        for row in sheet.iter_rows(min_row=2)
        if row[0].value is not None and len(row) == len(columns) and row[1].value is not None
    ]


def test_the_study_is_one_where_rounding_twice_changes_a_digit(capsys, study):
    printed, found = cli_per_code(capsys, study.location)
    assert {"prod.speed", "trust.accuracy"} <= printed.keys()
    value = found["prod.speed"]["value"]
    assert f"{value:.3f}" != f"{round(value, 4):.3f}"  # 0.738 once, 0.739 rounded twice


def test_html_per_code_figures_are_the_cli_text_digit_for_digit(tmp_path, capsys, study):
    printed, _ = cli_per_code(capsys, study.location)
    out = tmp_path / "a.html"
    cli(capsys, "report", study.location, "--kind", "agreement", "--out", str(out))
    page = out.read_text(encoding="utf-8")
    shown = {
        row["code"]: [row["alpha"], row["alpha CI low"], row["alpha CI high"]]
        for row in html_table(page, PER_CODE)
    }
    applied = {code: figures for code, figures in printed.items() if code in shown}
    assert applied.keys() == shown.keys() == {"prod.speed", "trust.accuracy"}
    assert shown == applied
    chart = page[page.index("Krippendorff&#x27;s alpha per code") :]
    texts = re.findall(r"<text x='([\d.]+)'[^>]*>([^<]*)</text>", chart[: chart.index("</svg>")])
    right = max(float(x) for x, _ in texts)  # each bar's value, right of the bars
    labels = [label for x, label in texts if float(x) == right]
    assert sorted(labels) == sorted(figures[0] for figures in applied.values())


def test_html_overall_sentence_has_the_cli_headline(tmp_path, capsys, study):
    text = cli(capsys, "agreement", study.location, "--ci")
    headline = re.search(
        r"^Krippendorff's alpha over code sets \(MASI distance\) +(\S+) +\[(\S+), (\S+)\]",
        text,
        re.M,
    )
    assert headline
    out = tmp_path / "a.html"
    write_report(study, "agreement", out)
    page = html.unescape(out.read_text(encoding="utf-8"))
    value, low, high = headline.groups()
    assert f"among the human coders: {value}, 95% CI {low} to {high};" in page


def test_xlsx_and_csv_keep_the_json_numbers_whole(tmp_path, capsys, study):
    _, found = cli_per_code(capsys, study.location)
    out = tmp_path / "a.xlsx"
    cli(capsys, "report", study.location, "--kind", "agreement", "--out", str(out))
    rows = {row["code"].value: row for row in sheet_rows(out, "Agreement per code")}
    assert rows.keys() == {"prod.speed", "trust.accuracy"}
    for code, row in rows.items():
        expected = [found[code]["value"], *found[code]["ci95"]]
        cells = [row["alpha"], row["alpha CI low"], row["alpha CI high"]]
        assert [c.value for c in cells] == pytest.approx(expected, abs=1e-9)
        assert {c.number_format for c in cells} == {"0.000"}
    write_report(study, "agreement", tmp_path / "a.csv")
    with open(tmp_path / "a.csv", encoding="utf-8") as handle:
        listed = {row["code"]: row for row in csv.DictReader(handle)}
    for code in rows:
        assert float(listed[code]["alpha"]) == pytest.approx(found[code]["value"], abs=1e-9)
        assert float(listed[code]["alpha CI low"]) == pytest.approx(
            found[code]["ci95"][0], abs=1e-9
        )


def test_analysis_shares_are_whole_in_xlsx_and_formatted_once_in_html(tmp_path, study):
    from workbench.core.analysis.findings import coded_participants, frequencies

    codebook = study.codebook
    found = {f.code: f for f in frequencies(coded_participants(study, "auto"), codebook)}
    used = {code: f for code, f in found.items() if f.participants}
    assert used.keys() >= {"prod.speed", "trust.accuracy"}

    def figures(f) -> list[float]:
        return [f.participant_share, *f.participant_ci, f.passage_share]

    assert any(  # what made the old 4-place cells wrong for a reviewer recomputing from them
        abs(v - round(v, 4)) > 1e-9 for f in used.values() for v in figures(f)
    )
    write_report(study, "analysis", tmp_path / "f.xlsx")
    rows = {row["code"].value: row for row in sheet_rows(tmp_path / "f.xlsx", "Code frequencies")}
    columns = ["share of participants", "CI low", "CI high", "share of passages"]
    for code, f in used.items():
        cells = [rows[code][c] for c in columns]
        assert [c.value for c in cells] == pytest.approx(figures(f), abs=1e-9)
        assert {c.number_format for c in cells} == {"0.000"}
    write_report(study, "analysis", tmp_path / "f.html")
    shown = {
        row["code"]: row
        for row in html_table((tmp_path / "f.html").read_text(encoding="utf-8"), "Code frequencies")
    }
    for code, f in used.items():
        assert [shown[code][c] for c in columns] == [f"{v:.3f}" for v in figures(f)]


@pytest.fixture
def split_study(tmp_path, project):
    """Forty participants: the twenty in 'workforce' coded prod.speed, the twenty in
    'creatives' not; a split whose p-value is far below .0005."""
    rows, groups = [], []
    for i in range(40):
        text = f"Interviewer: q\n\nParticipant: answer {i} about work.\n"
        import_transcript_file(project, write(tmp_path / f"p{i}.txt", text))
        rows.append((f"p{i}#2", "ana", "prod.speed" if i < 20 else ""))
        groups.append(f"p{i},{'workforce' if i < 20 else 'creatives'}\n")
    decisions = "passage_id,coder,code\n" + "".join(f"{p},{c},{k}\n" for p, c, k in rows)
    import_decisions_csv(project, write(tmp_path / "d.csv", decisions))
    import_metadata_file(
        project, write(tmp_path / "m.csv", "transcript_id,group\n" + "".join(groups))
    )
    return project


def test_a_tiny_p_value_is_never_shown_as_zero(tmp_path, split_study):
    write_report(split_study, "analysis", tmp_path / "f.xlsx", split_fields=["group"])
    rows = sheet_rows(tmp_path / "f.xlsx", "Split by group")
    speed = [row for row in rows if row["code"].value == "prod.speed"]
    p = speed[0]["p"].value
    assert 0 < p < 0.0005  # 0.000 at three places
    assert speed[0]["p"].number_format == "General"  # the whole value, shown whole
    write_report(split_study, "analysis", tmp_path / "f.html", split_fields=["group"])
    page = (tmp_path / "f.html").read_text(encoding="utf-8")
    shown = [row for row in html_table(page, "Split by group") if row["code"] == "prod.speed"]
    assert {row["p"] for row in shown} == {f"{p:.3g}"}
    assert float(shown[0]["p"]) == pytest.approx(p, rel=1e-2)


@pytest.fixture
def anchoring_study(tmp_path, project):
    """Two coders in the anchoring experiment on sixteen suggested passages: every other passage
    accepted, and in the 'before' arm every one (as ``test_anchoring`` builds it)."""
    from workbench.core.anchoring_arms import BEFORE, transcript_frame
    from workbench.core.session import CodingSession
    from workbench.core.store import Project
    from workbench.core.store.queries import passages_to_code
    from workbench.core.store.suggestions import save_suggestions, suggestions_for
    from workbench.suggest.engine import Suggestion

    for name in ("p1", "p2"):
        text = INTERVIEW.replace("answer", f"{name} answer")
        import_transcript_file(project, write(tmp_path / f"{name}.txt", text))
    with project.reading() as conn:
        passages = [pid for pid, _, _ in passages_to_code(conn)]
    with project.transaction() as conn:
        found = [
            Suggestion(pid, "hope.time", 0.8, "", None, None, "", "local", "m", "p")
            for pid in passages
        ]
        save_suggestions(conn, found, project.codebook.version)
    path = str(project.location)
    assert main(["anchoring", path, "--on", "--seed", "5", "--lead", "lee"]) == 0
    project.close()
    with Project.open(path) as opened:
        with opened.reading() as conn:
            ordered = [p for ps in transcript_frame(passages_to_code(conn)).values() for p in ps]
            suggested = suggestions_for(conn, ordered)
        for name in ("ana", "bruno"):
            session = CodingSession(opened, name)
            for n, pid in enumerate(ordered):
                [s] = suggested[pid]
                if n % 2 == 0 or session.arm(pid) == BEFORE:
                    session.apply_code(pid, "hope.time", suggestion_id=s.id)
                else:
                    session.reject(pid, s.id, "hope.time")
    return path


def test_anchoring_figures_are_the_cli_text_digit_for_digit(tmp_path, capsys, anchoring_study):
    from workbench.core.store import Project

    text = cli(capsys, "anchoring", anchoring_study)
    line = re.search(
        r"acceptance rate: before (\S+) \[(\S+), (\S+)\]  after (\S+) \[(\S+), (\S+)\]  "
        r"difference (\S+) \[(\S+), (\S+)\]",
        text,
    )
    assert line, text
    out = tmp_path / "a.html"
    with Project.open(anchoring_study) as project:
        write_report(project, "agreement", out, ci=False)
    rows = html_table(
        out.read_text(encoding="utf-8"),
        "Anchoring experiment: suggestions shown before or after the first pass",
    )
    [acceptance] = [row for row in rows if row["measure"] == "acceptance rate"]
    before, _, _, after, _, _, difference, low, high = line.groups()
    assert [acceptance["before"], acceptance["after"]] == [before, after]
    assert acceptance["difference (before − after)"] == difference
    assert acceptance["95% interval"] == f"{low} to {high}"


def test_each_display_rule_has_the_spreadsheet_format_that_shows_it():
    from workbench.reports.numbers import excel_format

    assert [excel_format(s) for s in (".3f", ".2f", ".0%", ".1%", ".3g")] == [
        "0.000",
        "0.00",
        "0%",
        "0.0%",
        "General",
    ]
    with pytest.raises(ValueError, match="no spreadsheet format for ',d'"):
        excel_format(",d")
