"""Reports: the numbers in every export are the engines', the HTML needs no network, PDF pages render."""

from __future__ import annotations

import csv
import html
import re

import pytest
from openpyxl import load_workbook

from tests.conftest import write
from tests.test_analysis import study  # noqa: F401  (the worked-example fixture)
from workbench.cli import main
from workbench.core.agreement.compute import code_metric
from workbench.core.agreement.data import project_data
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store.importing import import_transcript_file
from workbench.reports.writer import write_report

INTERVIEW = "".join(
    f"Interviewer: q{i}\n\nParticipant: answer {i} about work and AI.\n\n" for i in range(8)
)


@pytest.fixture
def double_coded(tmp_path, project):
    for t in range(3):
        import_transcript_file(
            project, write(tmp_path / f"t{t}.txt", INTERVIEW.replace("answer", f"answer t{t}"))
        )
    rows = []
    codes = ["prod.speed", "trust.accuracy", "hope.learning"]
    for t in range(3):
        for pos in range(2, 17, 2):
            first = codes[(pos + t) % 3]
            second = first if (pos + t) % 4 else codes[(pos + t + 1) % 3]
            rows += [(f"t{t}#{pos}", "ana", first), (f"t{t}#{pos}", "ben", second)]
    write(
        tmp_path / "d.csv",
        "passage_id,coder,code\n" + "".join(f"{p},{c},{k}\n" for p, c, k in rows),
    )
    import_decisions_csv(project, tmp_path / "d.csv")
    return project


def engine_alphas(project) -> dict[str, float]:
    data = project_data(project).select(coders=["ana", "ben"])
    return {
        code: code_metric(data, i, "alpha").value
        for i, code in enumerate(data.codes)
        if data.present[:, :, i].any()
    }


def test_csv_and_xlsx_hold_the_engines_numbers(tmp_path, double_coded):
    expected = engine_alphas(double_coded)
    write_report(double_coded, "agreement", tmp_path / "a.csv", ci=False)
    with open(tmp_path / "a.csv", encoding="utf-8") as handle:
        rows = {row["code"]: float(row["alpha"]) for row in csv.DictReader(handle)}
    assert rows.keys() == expected.keys()
    for code, value in expected.items():
        assert rows[code] == round(value, 6)  # whole, as --json gives it
    write_report(double_coded, "agreement", tmp_path / "a.xlsx", ci=False)
    sheet = load_workbook(tmp_path / "a.xlsx")["Agreement per code"]  # cut on a whole word
    header = [c.value for c in sheet[1]]
    found = {
        row[0]: row[header.index("alpha")]
        for row in sheet.iter_rows(min_row=2, values_only=True)
        if row[0] in expected
    }
    assert found == {code: round(value, 6) for code, value in expected.items()}


def test_html_is_self_contained_and_shows_the_numbers(tmp_path, double_coded):
    expected = engine_alphas(double_coded)
    write_report(double_coded, "agreement", tmp_path / "a.html")
    page = (tmp_path / "a.html").read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img|iframe)\b", page, re.I)
    assert not re.search(r"(src|href)\s*=", page, re.I)
    assert "url(" not in page and "@import" not in page
    assert "<svg" in page and "Method" in page and "Audit summary" in page
    for value in expected.values():
        assert f"{round(value, 6):.3f}" in page


def test_pdf_pages_render(tmp_path, double_coded):
    pdfium = pytest.importorskip("pypdfium2")
    write_report(double_coded, "agreement", tmp_path / "a.pdf")
    document = pdfium.PdfDocument(str(tmp_path / "a.pdf"))
    assert len(document) >= 1
    image = document[0].render(scale=0.5).to_pil().convert("L")
    import numpy as np

    dark = int((np.asarray(image) < 128).sum())
    assert dark > 500  # text and tables were drawn, not a blank page
    assert "Inter-rater agreement" in document[0].get_textpage().get_text_range()


def test_analysis_exports_carry_the_worked_example(tmp_path, study):  # noqa: F811
    write_report(study, "analysis", tmp_path / "f.csv")
    with open(tmp_path / "f.csv", encoding="utf-8") as handle:
        rows = {row["code"]: row for row in csv.DictReader(handle)}
    assert float(rows["hope.support"]["share of participants"]) == 0.4
    assert float(rows["hope.support"]["CI low"]) == pytest.approx(0.1682, abs=1e-4)
    write_report(study, "analysis", tmp_path / "f.html")
    page = (tmp_path / "f.html").read_text(encoding="utf-8")
    assert "4.5x as likely to also be coded" in page
    write_report(study, "analysis", tmp_path / "f.xlsx")
    sheets = load_workbook(tmp_path / "f.xlsx").sheetnames
    assert "Code frequencies" in sheets and any(s.startswith("Paired codes") for s in sheets)


@pytest.mark.parametrize(
    "title, name",
    [
        ("Disagreement examples (19 passages)", "Disagreement examples"),
        ("Agreement per code among the human coders", "Agreement per code among the"),
        ("Supercalifragilisticexpialidocious-and-more", "Supercalifragilisticexpialidoci"),
        ("Split by group", "Split by group"),
        ("a/b: c?", "a b  c"),
    ],
)
def test_sheet_names_are_cut_where_a_word_ends(title, name):
    from workbench.reports.tables import SHEET_NAME_MAX, sheet_name

    assert sheet_name(title) == name and len(name) <= SHEET_NAME_MAX


def test_agreement_workbook_sheet_names_end_on_whole_words(tmp_path, double_coded):
    write_report(double_coded, "agreement", tmp_path / "a.xlsx", ci=False)
    sheets = load_workbook(tmp_path / "a.xlsx").sheetnames
    titles = [s for s in sheets if s.startswith("Disagreement examples")]
    assert titles and all(
        re.fullmatch(r"Disagreement examples( \(\d+ passages?\))?", s) for s in titles
    )


def test_report_cli(tmp_path, double_coded, capsys):
    assert (
        main(
            [
                "report",
                double_coded.location,
                "--kind",
                "agreement",
                "--out",
                str(tmp_path / "r.html"),
                "--no-ci",
            ]
        )
        == 0
    )
    assert "wrote the agreement report" in capsys.readouterr().out
    assert (
        main(
            [
                "report",
                double_coded.location,
                "--kind",
                "analysis",
                "--out",
                str(tmp_path / "r.docx"),
            ]
        )
        == 2  # usage, as `export` and `codebook export` give for a format they do not write
    )
    assert "unknown report format" in capsys.readouterr().err


def test_pdf_numbers_and_sampling_are_reported(tmp_path, double_coded):
    pdfium = pytest.importorskip("pypdfium2")
    from workbench.core.agreement.sampling import stratified_sample

    stratified_sample(double_coded, 12, seed=9)
    write_report(double_coded, "agreement", tmp_path / "a.pdf", ci=False)
    document = pdfium.PdfDocument(str(tmp_path / "a.pdf"))
    text = " ".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    for value in engine_alphas(double_coded).values():
        assert f"{round(value, 6):.3f}" in text
    assert "Double-coding sample: 12 passages" in text and "seed 9" in text


def test_analysis_report_splits_every_code_with_adjusted_p_values(tmp_path, study):  # noqa: F811
    from workbench.core.analysis.findings import coded_participants

    out = tmp_path / "f.xlsx"
    assert (
        main(
            ["report", study.location, "--kind", "analysis", "--split", "group", "--out", str(out)]
        )
        == 0
    )
    sheet = load_workbook(out)["Split by group"]
    header = [c.value for c in sheet[1]]
    assert header[-5:] == ["p", "p Holm", "p BH", "test", "test note"]
    rows = [
        dict(zip(header, r, strict=False)) for r in sheet.iter_rows(min_row=2, values_only=True)
    ]
    rows = [r for r in rows if r["group"]]  # the sheet's note follows the rows
    codes = [code.id for code in study.codebook.walk()]
    assert len(rows) == 2 * len(codes)  # every code of the codebook, in both groups
    support = [r for r in rows if r["code"] == "hope.support"]
    assert {r["group"]: (r["with code"], r["participants"]) for r in support} == {
        "creatives": (0, 5),
        "workforce": (4, 5),
    }
    p = support[0]["p"]
    assert p == pytest.approx(0.0476, abs=1e-3)
    assert support[0]["p Holm"] == pytest.approx(4 * p) and support[0]["p BH"] == pytest.approx(p)
    untested = [r for r in rows if r["code"] == "prod.cost"]
    assert all(r["p"] is None and r["p Holm"] is None and r["p BH"] is None for r in untested)

    write_report(study, "analysis", tmp_path / "f.html", split_fields=["group"])
    page = (tmp_path / "f.html").read_text(encoding="utf-8")
    assert "How participants were counted" in page
    assert coded_participants(study).rule.paragraph() in html.unescape(page)
    assert "all 4 tests in this report" in page and "Benjamini–Hochberg" in page


def test_analysis_report_without_split_names_the_fields_left_out(tmp_path, study):  # noqa: F811
    write(
        tmp_path / "m.csv", "transcript_id,language\n" + "".join(f"p{i},en\n" for i in range(1, 11))
    )
    from workbench.core.store.importing import import_metadata_file

    import_metadata_file(study, tmp_path / "m.csv")
    write_report(study, "analysis", tmp_path / "f.xlsx")
    book = load_workbook(tmp_path / "f.xlsx")
    assert "Split by group" in book.sheetnames and "Split by language" not in book.sheetnames
    write_report(study, "analysis", tmp_path / "f.html")
    assert "Left out: language (1 group)." in (tmp_path / "f.html").read_text(encoding="utf-8")


def test_report_cli_split_errors(tmp_path, study, capsys):  # noqa: F811
    out = str(tmp_path / "f.html")
    assert (
        main(["report", study.location, "--kind", "analysis", "--split", "gender", "--out", out])
        == 1
    )
    error = capsys.readouterr().err
    assert "unknown metadata field 'gender'" in error and "fields are: group" in error
    assert error.count("\n") == 1 and not (tmp_path / "f.html").exists()
    assert (
        main(["report", study.location, "--kind", "agreement", "--split", "group", "--out", out])
        == 2
    )
    assert "--split applies to --kind analysis only" in capsys.readouterr().err


def test_pdf_with_150_coders_splits_columns_and_repeats_row_headers(tmp_path, project):
    """A coder-by-coder heatmap of 150 coders used to make reportlab refuse the whole PDF
    (columns narrower than their padding); now every coder's column is printed, in strips of
    columns, each strip repeating the row labels."""
    pdfium = pytest.importorskip("pypdfium2")
    import_transcript_file(project, write(tmp_path / "t.txt", INTERVIEW))
    codes = ["prod.speed", "trust.accuracy", "hope.learning"]
    coders = [f"coder{n:03d}" for n in range(150)]
    rows = [
        (f"t#{pos}", coder, codes[(pos + n // 50) % 3])
        for n, coder in enumerate(coders)
        for pos in (2, 4, 6)
    ]
    write(
        tmp_path / "d.csv",
        "passage_id,coder,code\n" + "".join(f"{p},{c},{k}\n" for p, c, k in rows),
    )
    import_decisions_csv(project, tmp_path / "d.csv")
    write_report(project, "agreement", tmp_path / "wide.pdf", ci=False)
    document = pdfium.PdfDocument(str(tmp_path / "wide.pdf"))
    pages = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    text = " ".join(pages)
    title = "Coder by coder: alpha over code sets (MASI), human coders and engines"
    strips = re.findall(r"\(columns (\d+)–(\d+) of 150\)", text)
    assert len(strips) > 1 and strips[0][0] == "1"
    covered = [n for first, last in strips for n in range(int(first), int(last) + 1)]
    assert covered == list(range(1, 151))  # every column once, in order
    assert text.count(title) == len(strips)
    assert all(coder in text for coder in coders)
    # each strip holds every row: all 150 row labels follow each strip's title
    after = re.split(r"\(columns \d+–\d+ of 150\)", text)[1:]
    assert len(after) == len(strips)
    assert all(all(coder in part for coder in coders) for part in after)
    document.close()
