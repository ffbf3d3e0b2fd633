"""Hostile inputs: each one a file someone could hand the workbench, refused in one clear line.

Every case goes through the command line as a user would meet it: exit code 1, one line on
stderr naming the file (and line or field), no traceback, nothing half written. The fuzz tests
at the end feed random and half-structured input to the readers and assert that nothing but a
WorkbenchError ever escapes them.
"""

from __future__ import annotations

import contextlib
import json
import os
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import write
from workbench.cli import main
from workbench.core.codebook import MAX_DEPTH, Code, Codebook, parse_codebook
from workbench.core.errors import DecisionError, WorkbenchError
from workbench.core.printable import printable
from workbench.core.readers import MAX_JSON_DEPTH, read_metadata, read_transcripts
from workbench.core.store import Project
from workbench.core.store.coding import MAX_CODER_NAME, CoderKind, check_coder_name

CODE = "  - id: a\n    name: A\n    definition: d\n"
VALID_HEAD = "name: Hostile\nversion: 1\ncodes:\n"
INTERVIEW = "Interviewer: How did it go?\n\nParticipant: Well, mostly.\n"


def error_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The lines on stderr, after checking none of them is part of a traceback."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return [line for line in err.splitlines() if line.strip()]


def alias_bomb() -> str:
    """Under 1 KB that expands to 9**9 codes through ``children`` if aliases were followed."""
    lines = ["name: bomb", "version: 1", "x0: &a0 [{id: a, name: n, definition: d}]"]
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"x{level}: &a{level} [{{id: a, name: n, definition: d, children: [{refs}]}}]")
    lines.append("codes: *a9")
    return "\n".join(lines) + "\n"


def nested_codebook(levels: int) -> str:
    """A codebook whose codes nest ``levels`` deep through ``children``."""
    text = VALID_HEAD
    indent = "  "
    for level in range(levels):
        text += f"{indent}- id: c{level}\n{indent}  name: n\n{indent}  definition: d\n"
        text += f"{indent}  children:\n"
        indent += "    "
    return text + f"{indent}- id: leaf\n{indent}  name: n\n{indent}  definition: d\n"


# -- codebooks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (alias_bomb(), 4, "alias '*a0' is not allowed"),
        ("name: x\nversion: 1\ncodes: &a [*a]\n", 3, "alias '*a' is not allowed"),
        (VALID_HEAD + "  - " + "[" * 499 + "]" * 499 + "\n", 4, f"more than {MAX_DEPTH}"),
        (nested_codebook(40), None, f"more than {MAX_DEPTH}"),
    ],
    ids=["alias-bomb", "recursive-alias", "depth-499", "children-40-deep"],
)
def test_codebook_shape_is_refused_before_it_is_walked(tmp_path, capsys, text, line, words):
    path = write(tmp_path / "hostile.yaml", text)
    assert main(["codebook", "check", str(path)]) == 1
    lines = error_lines(capsys)
    assert len(lines) == 1 and words in lines[0]
    if line is not None:
        assert lines[0].startswith(f"{path}:{line}: error:")
    project = tmp_path / "study.wb"
    assert main(["new", str(project), "--codebook", str(path)]) == 1
    assert len(error_lines(capsys)) == 1 and not project.exists()


def test_the_alias_bomb_is_small():
    assert len(alias_bomb().encode()) < 1024


def test_codes_nested_within_the_bound_still_load():
    codebook = parse_codebook(nested_codebook(20))
    assert max(code.depth for code in codebook.walk()) == 20


@pytest.mark.parametrize(
    ("version", "words"),
    [
        ("0x10", "written in decimal digits, not '0x10'"),
        ("1:20", "written in decimal digits, not '1:20'"),
        ("1_000", "written in decimal digits, not '1_000'"),
        ("1" + "0" * 29, "a whole number from 1 to 1000000"),
        ("1000001", "a whole number from 1 to 1000000"),
    ],
)
def test_codebook_version_must_be_a_decimal_in_range(tmp_path, capsys, version, words):
    path = write(tmp_path / "cb.yaml", f"name: x\nversion: {version}\ncodes:\n{CODE}")
    project = tmp_path / "study.wb"
    assert main(["new", str(project), "--codebook", str(path)]) == 1
    assert error_lines(capsys) == [f"error: {path}:2: 'version' must be {words}"]
    assert not project.exists()


def test_largest_version_is_kept(tmp_path, capsys):
    path = write(tmp_path / "cb.yaml", f"name: x\nversion: 1000000\ncodes:\n{CODE}")
    assert main(["new", str(tmp_path / "s.wb"), "--codebook", str(path)]) == 0
    assert "v1000000" in capsys.readouterr().out


def test_a_project_whose_codebook_cannot_be_stored_is_not_left_behind(tmp_path):
    """Bypassing the loader's checks: the store must still not leave a project without it."""
    code = Code(id="a", name="A", definition="d")
    codebook = Codebook(name="x", version=10**30, codes=(code,), source_text="x")
    location = tmp_path / "study.wb"
    with pytest.raises(Exception):  # noqa: B017,PT011 - whatever the driver raises
        Project.create(location, codebook=codebook)
    assert not location.exists()


# -- imports ---------------------------------------------------------------------------------


def new_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    project = str(tmp_path / "study.wb")
    assert main(["new", project]) == 0
    capsys.readouterr()
    return project


def test_deep_json_is_one_file_error_and_the_other_files_import(tmp_path, capsys):
    project = new_project(tmp_path, capsys)
    deep = write(
        tmp_path / "deep.jsonl", '{"id": "d", "text": ' + "[" * 20000 + "]" * 20000 + "}\n"
    )
    good = write(tmp_path / "p1.txt", INTERVIEW)
    assert main(["import", project, str(deep), str(good), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["added"] == 1 and [f["file"] for f in report["files"]] == [str(good)]
    assert report["errors"] == [
        f"{deep}: line 1: JSON nested more than {MAX_JSON_DEPTH} levels deep"
    ]


def test_brackets_inside_json_strings_are_not_nesting(tmp_path):
    text = "[" * (MAX_JSON_DEPTH + 50)
    path = write(tmp_path / "t.jsonl", json.dumps({"id": "a", "text": f"said {text} twice"}) + "\n")
    assert read_transcripts(path)[0].text == f"said {text} twice"


def test_jsonl_numbers_and_booleans_are_their_json_text(tmp_path):
    row = {"id": 7, "text": "Participant: yes.", "age": 34, "consent": True, "score": 1.5}
    path = write(tmp_path / "t.jsonl", json.dumps(row) + "\n")
    [record] = read_transcripts(path)
    assert record.external_id == "7"
    assert record.metadata == {"age": "34", "consent": "true", "score": "1.5"}


@pytest.mark.parametrize(("value", "kind"), [({"a": 1}, "an object"), ([1, 2], "a list")])
def test_jsonl_objects_and_lists_are_refused_by_field(tmp_path, capsys, value, kind):
    project = new_project(tmp_path, capsys)
    lines = [{"id": "a", "text": "fine"}, {"id": "b", "text": "t", "Region": value}]
    path = write(tmp_path / "t.jsonl", "\n".join(json.dumps(row) for row in lines) + "\n")
    assert main(["import", project, str(path)]) == 1
    assert error_lines(capsys) == [
        f"error: {path}: line 2: field 'Region' is {kind}; "
        "expected text, a number, true/false or null"
    ]


def test_weak_code_page_guess_imports_with_a_warning(tmp_path, capsys):
    project = new_project(tmp_path, capsys)
    path = write(tmp_path / "short.txt", "Participant: café\n", encoding="cp1252")
    assert main(["import", project, str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    [warning] = report["files"][0]["warnings"]
    assert warning.startswith(f"{path}: not UTF-8; read as ") and "low-confidence" in warning
    assert main(["import", project, str(path)]) == 0  # already there: still warned
    lines = error_lines(capsys)
    assert len(lines) == 1 and lines[0].startswith(f"warning: {path}: not UTF-8")


def test_clear_legacy_text_imports_without_a_warning(tmp_path):
    text = "Интервьюер: Где вы были прошлым летом?\n\nУчастник: В Москве, у сестры.\n" * 3
    [record] = read_transcripts(write(tmp_path / "ru.txt", text, encoding="cp1251"))
    assert record.text == text and record.warning is None


def test_metadata_without_an_id_column_is_refused(tmp_path, capsys):
    project = new_project(tmp_path, capsys)
    meta = write(tmp_path / "meta.csv", "group,region\nworkforce,north\n")
    with pytest.raises(WorkbenchError, match="no transcript id column; name one of transcript_id"):
        read_metadata(meta)
    good = write(tmp_path / "p1.txt", INTERVIEW)
    assert main(["import", project, str(good), "--metadata", str(meta)]) == 1
    lines = error_lines(capsys)
    assert len(lines) == 1 and lines[0].startswith(f"error: {meta}: line 1: no transcript id")


def test_project_path_that_is_a_folder_is_one_line(tmp_path, capsys):
    folder = tmp_path / "folder.wb"
    folder.mkdir()
    assert main(["status", str(folder)]) == 1
    assert error_lines(capsys) == [f"error: {folder}: is a folder, not a project file"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_unreadable_project_is_one_line(tmp_path, capsys):
    project = new_project(tmp_path, capsys)
    os.chmod(project, 0)
    try:
        assert main(["status", project]) == 1
    finally:
        os.chmod(project, 0o600)
    assert error_lines(capsys) == [f"error: {project}: cannot read the project: Permission denied"]


def test_escapes_in_file_names_are_shown_not_obeyed(tmp_path, capsys):
    project = new_project(tmp_path, capsys)
    name = "evil\x1b]0;pwned\x07\x1b[2J\nerror: forged\u202etxt.jsonl"
    path = write(tmp_path / name, "not json\n")
    assert main(["import", project, str(path)]) == 1
    lines = error_lines(capsys)
    assert len(lines) == 1 and "\x1b" not in lines[0] and "\u202e" not in lines[0]
    assert "evil\\x1b]0;pwned\\x07\\x1b[2J\\x0aerror: forged\\u202etxt.jsonl" in lines[0]
    assert main(["status", str(tmp_path / "a\x1b[31m.wb")]) == 1
    assert error_lines(capsys) == [
        f"error: {tmp_path}/a\\x1b[31m.wb: no such project (create one with 'workbench new')"
    ]


def test_printable_keeps_ordinary_text():
    text = "Entrevistada: «sí», 研究者, مرحبا\tend"
    assert printable(text) == text.replace("\t", "\\x09")


# -- coder names -----------------------------------------------------------------------------


def test_coder_names_are_bounded_and_free_of_control_characters():
    assert check_coder_name(" " + "x" * MAX_CODER_NAME + " ", CoderKind.HUMAN) == "x" * 100
    with pytest.raises(DecisionError, match="101 characters; at most 100"):
        check_coder_name("x" * (MAX_CODER_NAME + 1), CoderKind.HUMAN)
    with pytest.raises(DecisionError, match=r"'ann\\x1b\[2Jie' has control characters"):
        check_coder_name("ann\x1b[2Jie", CoderKind.HUMAN)
    assert check_coder_name("مريم 研究者", CoderKind.HUMAN) == "مريم 研究者"


def test_decisions_csv_refuses_a_bad_coder_by_line(tmp_path, capsys, codebook_path):
    project = str(tmp_path / "study.wb")
    assert main(["new", project, "--codebook", str(codebook_path)]) == 0
    assert main(["import", project, str(write(tmp_path / "p1.txt", INTERVIEW))]) == 0
    capsys.readouterr()
    rows = f"passage_id,coder,code\np1#2,ann,\np1#2,{'y' * 101},\n"
    decisions = write(tmp_path / "d.csv", rows)
    assert main(["import", project, "--decisions", str(decisions)]) == 1
    lines = error_lines(capsys)
    assert len(lines) == 1 and lines[0].startswith(f"error: {decisions}: line 3: coder name")


def test_pdf_lays_out_any_coder_name(tmp_path):
    pytest.importorskip("reportlab")
    from workbench.reports.model import BarChart, Heatmap, Report, Table, Text
    from workbench.reports.pdf import write_pdf

    names = [
        "x" * 100,
        "W" * 100,
        "مرحبا بالعالم " * 7,
        "研究者" * 33,
        "a" * 50 + "\u202e" + "b" * 49,
    ]
    coders = names * 6  # thirty coders: narrow columns, each headed by a long name
    report = Report(
        "Agreement",
        "hostile names",
        [
            Text("Coders", coders),
            Table("Per coder", ["coder", "passages"], [[name, 3] for name in coders]),
            Table("Matrix", ["code", *coders], [["a", *[0.5] * len(coders)]]),
            BarChart("Kappa", coders, [0.5] * len(coders)),
            Heatmap("Pairs", coders, coders, [[0.5] * len(coders) for _ in coders]),
        ],
    )
    out = tmp_path / "report.pdf"
    write_pdf(report, out)
    assert out.read_bytes().startswith(b"%PDF")


# -- fuzz ------------------------------------------------------------------------------------

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
yaml_fragments = st.sampled_from(
    [
        "name: x\n",
        "version: 1\n",
        "version: 0x1\n",
        "codes:\n",
        CODE,
        "  - &a {id: b}\n",
        "  - *a\n",
        "    children:\n",
        "  - [",
        "]",
        "{",
        "}",
        "- ",
        ": ",
        "\t",
        "'",
        '"',
        "!!python/object:os.system\n",
        "!!binary aGk=\n",
        "? ",
        "&x ",
        "*x ",
        "%YAML 1.1\n---\n",
        "...\n",
        "\x00",
        "\ufeff",
        "é",
    ]
)


@FUZZ
@given(st.one_of(st.text(max_size=300), st.lists(yaml_fragments, max_size=40).map("".join)))
def test_fuzz_codebook_text_only_raises_codebook_errors(text):
    with contextlib.suppress(WorkbenchError):
        parse_codebook(text)


cells = st.text(alphabet=string.printable + "é研\u202e\x1b", max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)
json_rows = st.dictionaries(
    st.sampled_from(["id", "text", "speaker", "turn", "group", "Text", ""]), json_values, max_size=5
)
file_contents = st.one_of(
    st.tuples(st.sampled_from([".txt", ".csv", ".tsv", ".jsonl"]), st.binary(max_size=400)),
    st.tuples(
        st.sampled_from([".csv", ".tsv"]),
        st.lists(st.lists(cells, min_size=1, max_size=4), max_size=6).map(
            lambda rows: "\n".join(",".join(row) for row in [["id", "text"], *rows]).encode()
        ),
    ),
    st.tuples(
        st.just(".jsonl"),
        st.lists(json_rows, max_size=5).map(
            lambda rows: "\n".join(json.dumps(row) for row in rows).encode()
        ),
    ),
)


@FUZZ
@given(file_contents)
def test_fuzz_transcript_readers_only_raise_transcript_errors(tmp_path, case):
    suffix, data = case
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        records = read_transcripts(path)
    except WorkbenchError:
        return
    for record in records:  # what was read is text, never a Python repr
        assert isinstance(record.text, str) and record.external_id.strip()
        assert all(isinstance(v, str) for v in record.metadata.values())


decision_rows = st.lists(
    st.tuples(
        st.sampled_from(["p1#1", "p1#2", "p1#9", "", "x", "=1+1"]),
        st.one_of(st.sampled_from(["ann", "consensus", "engine:x", ""]), cells),
        st.sampled_from(["", "a", "unknown", "-"]),
    ),
    max_size=6,
)


@pytest.fixture(scope="module")
def coded_project(tmp_path_factory):
    from tests.conftest import REPO
    from workbench.core.codebook import load_codebook
    from workbench.core.store.importing import import_transcript_file

    folder = tmp_path_factory.mktemp("decisions")
    codebook = load_codebook(REPO / "codebooks" / "ai-at-work.yaml")
    project = Project.create(folder / "study.wb", codebook=codebook)
    import_transcript_file(project, write(folder / "p1.txt", INTERVIEW))
    yield project, folder
    project.close()


@FUZZ
@given(
    st.one_of(
        decision_rows.map(
            lambda rows: "passage_id,coder,code\n" + "\n".join(",".join(row) for row in rows)
        ).map(str.encode),
        st.binary(max_size=300),
    )
)
def test_fuzz_decisions_csv_only_raises_workbench_errors(coded_project, data):
    from workbench.core.spreadsheet import import_decisions_csv

    project, folder = coded_project
    path = folder / "decisions.csv"
    path.write_bytes(data)
    with contextlib.suppress(WorkbenchError):
        import_decisions_csv(project, path)


def test_a_database_password_is_never_printed():
    from workbench.core.printable import printable

    shown = printable("error: postgresql+psycopg://kim:s3cr:et@db.example:5432/study: busy")
    assert "s3cr" not in shown and "kim:***@db.example" in shown
