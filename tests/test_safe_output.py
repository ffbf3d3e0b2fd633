"""Safe outputs: no formula reaches a spreadsheet, no half-written file, no traceback on `| head`."""

from __future__ import annotations

import csv
import errno
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import REPO, write
from workbench.cli import main
from workbench.core.codebook import load_codebook
from workbench.core.safe_output import (
    FORMULA_TRIGGERS,
    OutputError,
    atomic_output,
    check_output_path,
    neutralise_cell,
    restore_cell,
)
from workbench.core.spreadsheet import export_passages_csv, import_decisions_csv
from workbench.core.store import Project
from workbench.core.store.importing import import_metadata_file, import_transcript_file
from workbench.reports.writer import write_report

HYPERLINK = '=HYPERLINK("http://x","y")'
EVIL = [HYPERLINK, "+cmd", "@SUM(1)", "-2+3", "\t=1", "\r=1"]


def partials(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if "wb-partial" in p.name]


# --- the OWASP rule ------------------------------------------------------------------------


@pytest.mark.parametrize("value", EVIL + ["-x", "=", "@", "+1+1", "-1e5x", "--1"])
def test_formula_like_text_gets_an_apostrophe(value):
    assert neutralise_cell(value) == "'" + value
    assert restore_cell(neutralise_cell(value)) == value


@pytest.mark.parametrize(
    "value", [0, -3, -0.25, 1.5e-7, True, None, "", "plain", "a=b", "'=already", "x\t=1"]
)
def test_typed_values_and_harmless_text_pass_unchanged(value):
    assert neutralise_cell(value) is value


@pytest.mark.parametrize("value", ["-0.25", "-3", "+7", "-1e-05", ".5", "-12.", "-"])
def test_plain_numbers_and_the_no_code_mark_stay_as_they_are(value):
    # a spreadsheet reads these as the number (or the lone mark) and nothing else
    assert neutralise_cell(value) == value


# --- formula injection, end to end ---------------------------------------------------------

CODEBOOK = """name: study
version: 1
codes:
  - id: evil
    name: "@SUM(1)"
    definition: d
  - id: good
    name: Good
    definition: d
"""


@pytest.fixture
def poisoned(tmp_path):
    """A project whose transcript text, code name, coder names and metadata are formulas."""
    project = Project.create(
        tmp_path / "p.wb", codebook=load_codebook(write(tmp_path / "cb.yaml", CODEBOOK))
    )
    for t in range(3):
        text = "".join(
            f"Interviewer: q{i}\n\nParticipant: {EVIL[(i + t) % 4]} answer {t}{i}\n\n"
            for i in range(6)
        )
        import_transcript_file(project, write(tmp_path / f"t{t}.txt", text))
    import_metadata_file(
        project,
        write(
            tmp_path / "m.csv",
            'transcript_id,group\nt0,+cmd\nt1,"=HYPERLINK(""http://x"",""y"")"\nt2,-2+3\n',
        ),
    )
    rows = []
    for t in range(3):
        for pos in range(2, 13, 2):
            rows.append(
                f't{t}#{pos},"=HYPERLINK(""http://x"",""y"")",{"evil" if pos % 4 else "good"}'
            )
            rows.append(f"t{t}#{pos},@bob,evil")
    rows.append("t0#2,carl,")  # reviewed, no code applies: exported as the "-" mark
    import_decisions_csv(
        project, write(tmp_path / "d.csv", "passage_id,coder,code\n" + "\n".join(rows))
    )
    yield project
    project.close()


def assert_no_live_formula(cells: list[object], where: str) -> None:
    for value in cells:
        if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
            assert neutralise_cell(value) == value, f"{where}: live formula {value!r}"


def csv_cells(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def dict_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def xlsx_cells(path: Path) -> list:  # type: ignore[type-arg]
    workbook = load_workbook(path)
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert cells
    formulas = [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert formulas == [], f"{path.name}: formulas at {formulas}"
    with zipfile.ZipFile(path) as archive:  # what Excel reads: no formula element anywhere
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert not any(b"<f>" in archive.read(n) or b"<f " in archive.read(n) for n in sheets)
    return [cell.value for cell in cells]


def test_export_csv_neutralises_text_metadata_and_keeps_no_code_mark(tmp_path, poisoned):
    out = tmp_path / "e.csv"
    export_passages_csv(poisoned, out)
    cells = csv_cells(out)
    assert_no_live_formula(cells, out.name)
    for value in ("'" + HYPERLINK, "'+cmd", "'-2+3", "'@SUM(1) answer 02"):
        assert value in cells
    rows = dict_rows(out)
    assert rows[1]["text"] == f"'{HYPERLINK} answer 00" and rows[1]["group"] == "'+cmd"
    assert rows[1]["codes:carl"] == "-"


@pytest.mark.parametrize("kind", ["agreement", "analysis"])
def test_report_csv_and_xlsx_hold_no_formula(tmp_path, poisoned, kind):
    # three participants in three groups: the default rule would not split by group
    split = {"split_fields": ["group"]} if kind == "analysis" else {}
    write_report(poisoned, kind, tmp_path / "r.csv", ci=False, **split)
    cells = csv_cells(tmp_path / "r.csv")
    assert_no_live_formula(cells, f"{kind}.csv")
    assert "'@SUM(1)" in cells  # the code name, in the primary table
    write_report(poisoned, kind, tmp_path / "r.xlsx", ci=False, **split)
    values = xlsx_cells(tmp_path / "r.xlsx")  # string cells, never formulas: values kept exact
    assert "@SUM(1)" in values and HYPERLINK in values
    if kind == "agreement":
        assert "@bob" in values  # coder names
        assert any(isinstance(v, float) and v < 0 for v in values)  # negative alphas stay numbers
    else:
        assert "+cmd" in values and "-2+3" in values  # metadata values in the splits


def test_xlsx_text_cells_are_strings_even_if_a_formula_slipped_through(tmp_path):
    from openpyxl import Workbook

    from workbench.reports.tables import append_text_safe

    workbook = Workbook()
    append_text_safe(workbook.active, ["=1+1", "plain", 3, -0.5])
    workbook.save(tmp_path / "w.xlsx")
    row = next(load_workbook(tmp_path / "w.xlsx").active.iter_rows())
    assert [c.data_type for c in row] == ["s", "s", "n", "n"]
    assert [c.value for c in row] == ["=1+1", "plain", 3, -0.5]  # text, kept as it is


def test_an_exported_formula_like_id_round_trips_into_a_decisions_file(tmp_path, project):
    import_transcript_file(
        project, write(tmp_path / "-p1.txt", "Interviewer: q\n\nParticipant: a\n")
    )
    export_passages_csv(project, tmp_path / "e.csv")
    exported = [r["passage_id"] for r in dict_rows(tmp_path / "e.csv")]
    assert exported[1] == "'-p1#2"
    decisions = write(tmp_path / "d.csv", f"passage_id,coder,code\n{exported[1]},ana,prod.speed\n")
    assert import_decisions_csv(project, decisions).applied == 1


# --- atomic writes -------------------------------------------------------------------------


def test_atomic_output_replaces_only_on_success(tmp_path):
    target = write(tmp_path / "out.csv", "old\n")
    with atomic_output(target) as handle:
        handle.write("new\n")
        assert target.read_text() == "old\n"  # untouched until the rename
    assert target.read_text() == "new\n" and partials(tmp_path) == []


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, RuntimeError])
def test_an_interrupted_write_keeps_the_old_file_and_no_temp(tmp_path, interruption):
    target = write(tmp_path / "out.csv", "old\n")
    with pytest.raises(interruption), atomic_output(target) as handle:
        handle.write("half" * 10000)
        raise interruption()
    assert target.read_text() == "old\n" and partials(tmp_path) == []


@pytest.mark.parametrize("existed", [True, False])
def test_a_full_disk_says_truthfully_what_is_left(tmp_path, existed):
    target = tmp_path / "out.csv"
    if existed:
        write(target, "old\n")
    with pytest.raises(OutputError) as caught, atomic_output(target) as handle:
        handle.write("half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    message = str(caught.value)
    assert str(target) in message and "No space left on device" in message
    if existed:
        assert "previous file is unchanged" in message and target.read_text() == "old\n"
    else:
        assert "no file was left behind" in message and not target.exists()
    assert partials(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_an_overwritten_file_keeps_its_mode(tmp_path):
    target = write(tmp_path / "out.csv", "old\n")
    target.chmod(0o640)
    with atomic_output(target) as handle:
        handle.write("new\n")
    assert target.stat().st_mode & 0o777 == 0o640


KILLED_WRITER = """
import sys, time
from workbench.core.safe_output import atomic_output
with atomic_output(sys.argv[1]) as handle:
    handle.write("partial row\\n" * 50000)
    handle.flush()
    print("writing", flush=True)
    time.sleep(120)
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_killed_writer_leaves_the_old_file_and_the_next_write_cleans_up(tmp_path):
    target = write(tmp_path / "out.csv", "old\n")
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(target)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert writer.stdout.readline() == "writing\n"
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    writer.stdout.close()
    assert target.read_text() == "old\n"
    stale = partials(tmp_path)
    assert len(stale) == 1 and stale[0].stat().st_size > 0  # it really died mid-write
    with atomic_output(target) as handle:
        handle.write("new\n")
    assert target.read_text() == "new\n" and partials(tmp_path) == []


# --- bad output paths, refused before any work ---------------------------------------------


def test_check_output_path_names_what_is_wrong(tmp_path):
    with pytest.raises(OutputError, match="folder .*missing.* does not exist"):
        check_output_path(tmp_path / "missing" / "out.csv")
    with pytest.raises(OutputError, match="is a folder"):
        check_output_path(tmp_path)
    with pytest.raises(OutputError, match="not a folder"):
        check_output_path(write(tmp_path / "file", "x") / "out.csv")
    assert check_output_path(tmp_path / "fine.csv") == tmp_path / "fine.csv"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_check_output_path_refuses_read_only_places(tmp_path):
    read_only = write(tmp_path / "ro.csv", "x")
    read_only.chmod(0o444)
    if os.access(read_only, os.W_OK):
        pytest.skip("running as root: permissions are not enforced")
    with pytest.raises(OutputError, match="read-only"):
        check_output_path(read_only)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="cannot write in the folder"):
            check_output_path(locked / "out.csv")
    finally:
        locked.chmod(0o755)


@pytest.mark.parametrize("command", ["report", "export", "sample"])
def test_cli_refuses_a_bad_out_before_any_work(tmp_path, project, capsys, monkeypatch, command):
    import workbench.core.agreement.sampling as sampling
    import workbench.core.data_export as data_export
    import workbench.reports.writer as writer

    def slow_work(*_args, **_kwargs):
        raise AssertionError("the work started before the output path was checked")

    monkeypatch.setattr(writer, "build_report", slow_work)
    monkeypatch.setattr(data_export, "metadata_fields", slow_work)
    monkeypatch.setattr(sampling, "stratified_sample", slow_work)
    extra = {"report": ["--kind", "agreement"], "export": [], "sample": ["--size", "3"]}[command]
    before = sorted(tmp_path.iterdir())
    for bad, says in ((tmp_path / "nope" / "out.csv", "does not exist"), (tmp_path, "is a folder")):
        code = main([command, project.location, *extra, "--out", str(bad)])
        err = capsys.readouterr().err
        assert code == 1 and says in err and str(bad) in err
        assert err.count("\n") == 1 and "Traceback" not in err
    assert sorted(tmp_path.iterdir()) == before


def _export_failing_after(monkeypatch, transcripts: int, error: BaseException) -> None:
    """The export fails once ``transcripts`` transcripts' rows are on their way to the file
    (the passages table is written a transcript at a time), so part of it was written."""
    from workbench.core.store import coded_data

    real = coded_data.stream_transcripts

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        for number, walked in enumerate(real(*args, **kwargs)):
            if number >= transcripts:
                break
            yield walked
        raise error

    monkeypatch.setattr(coded_data, "stream_transcripts", failing)


@pytest.fixture
def exported_before(tmp_path, project):
    import_transcript_file(
        project, write(tmp_path / "p1.txt", "Interviewer: q\n\nParticipant: a\n" * 10)
    )
    out = tmp_path / "out.csv"
    export_passages_csv(project, out)
    return out, out.read_bytes()


def test_ctrl_c_during_export_keeps_the_old_file(
    tmp_path, project, exported_before, capsys, monkeypatch
):
    out, old = exported_before
    _export_failing_after(monkeypatch, 1, KeyboardInterrupt())
    assert main(["export", project.location, "--out", str(out)]) == 130
    assert "nothing partial was written" in capsys.readouterr().err
    assert out.read_bytes() == old and partials(tmp_path) == []


def test_full_disk_during_export_is_reported_truthfully(
    tmp_path, project, exported_before, capsys, monkeypatch
):
    out, old = exported_before
    _export_failing_after(monkeypatch, 1, OSError(errno.ENOSPC, "No space left on device"))
    assert main(["export", project.location, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert (
        err
        == f"error: {out}: not written: No space left on device; the previous file is unchanged\n"
    )
    assert out.read_bytes() == old and partials(tmp_path) == []


# --- a closed pipe -------------------------------------------------------------------------


def _run_into_closed_pipe(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run the CLI with stdout on a pipe whose reader is already gone (what `| head` leaves)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "workbench", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=120,
        )
    finally:
        os.close(write_end)


@pytest.fixture
def ratings(tmp_path) -> Path:
    lines = [f"u{u},{c},{(u + i) % 3}" for u in range(400) for i, c in enumerate("abc")]
    return write(tmp_path / "r.csv", "unit,coder,value\n" + "\n".join(lines) + "\n")


@pytest.mark.skipif(os.name != "posix", reason="SIGPIPE semantics")
@pytest.mark.parametrize("which", ["status", "status --json", "agreement"])
def test_a_closed_pipe_ends_quietly(project, ratings, which):
    args = [str(ratings)] if which == "agreement" else [project.location]
    result = _run_into_closed_pipe([which.split()[0], *args, *which.split()[1:]])
    assert result.stderr == ""
    assert result.returncode == 141


@pytest.mark.skipif(os.name != "posix", reason="a shell pipeline")
def test_agreement_piped_into_head(ratings):
    result = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -m workbench agreement "{ratings}" --json | head -1'],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    assert result.stdout == "{\n" and result.stderr == ""
