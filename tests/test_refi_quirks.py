"""REFI-QDA files as NVivo, MAXQDA and ATLAS.ti really write them.

No vendor export could be used here (the public samples found are binary zips the index does
not hold), so each fixture is built from a documented quirk, cited in its test: mostly
QualCoder's importer, ccbogel/QualCoder src/qualcoder/refi.py, whose comments record what
each tool writes, and its issue tracker. Every fixture is checked against the standard's
Project.xsd (the quirks below are all schema-valid: they bend what the schema leaves open).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree

from workbench.core.store import Project
from workbench.core.store.interchange import all_coders, current_codings
from workbench.core.store.queries import list_transcripts, passages_of
from workbench.interop.refi_import import import_refi
from workbench.interop.refi_offsets import OffsetMap
from workbench.interop.refi_plan import plan_refi_import
from workbench.interop.refi_read import read_refi
from workbench.interop.refi_schema import PROJECT_NS, SCHEMA_DIR

SHARED_XSD = Path("/work/shared/refi-qda/Project.xsd")
TEXT = (
    "Interviewer: How did it start?\r\n\r\nParticipant: Slowly, with drafts.\r\n\r\n"
    "Interviewer: And now?\r\n\r\nParticipant: I fear for the craft.\r\n"
)
ANA = "00000000-0000-0000-0000-0000000000a1"
CODE = "00000000-0000-0000-0000-0000000000c1"


def _valid(xml: str) -> None:
    """The fixture against the standard's schema (the shared copy when present)."""
    xsd = SHARED_XSD if SHARED_XSD.is_file() else SCHEMA_DIR / "Project.xsd"
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    document = etree.fromstring(xml.encode("utf-8"))
    assert schema.validate(document), schema.error_log


def _selection(number: int, start: int, end: int, inner: str, **attributes: str) -> str:
    extra = "".join(f' {key}="{value}"' for key, value in attributes.items())
    return (
        f'<PlainTextSelection guid="00000000-0000-0000-0001-{number:012d}" '
        f'startPosition="{start}" endPosition="{end}"{extra}>{inner}</PlainTextSelection>'
    )


def _coding(number: int, code: str = CODE, **attributes: str) -> str:
    extra = "".join(f' {key}="{value}"' for key, value in attributes.items())
    return (
        f'<Coding guid="00000000-0000-0000-0002-{number:012d}"{extra}>'
        f'<CodeRef targetGUID="{code}"/></Coding>'
    )


def _document(
    sources: str,
    origin: str = "hand-built",
    users: str = f'<User guid="{ANA}" name="Ana"/>',
    codes: str = f'<Code guid="{CODE}" name="Fear" isCodable="true"/>',
    after: str = "",
) -> str:
    xml = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="{PROJECT_NS}" name="quirks" '
        f'origin="{origin}"><Users>{users}</Users><CodeBook><Codes>{codes}</Codes></CodeBook>'
        f"{after}<Sources>{sources}</Sources></Project>"
    )
    _valid(xml)
    return xml


def _coded(project: Project) -> dict[tuple[str, str], set[str]]:
    """``{(passage text, coder): code ids}``."""
    with project.reading() as conn:
        passages = list(passages_of(conn, [t.id for t in list_transcripts(conn)]))
        coders = {c.id: c.name for c in all_coders(conn)}
        rows = current_codings(conn, [p.id for p in passages])
    text = {p.id: p.text for p in passages}
    found: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        found.setdefault((text[row.passage_id], coders[row.coder_id]), set()).add(row.code_id)
    return found


def _source(name: str, inner: str, path: str = "internal://s1.txt", guid: str = "d1") -> str:
    return (
        f'<TextSource guid="00000000-0000-0000-0000-0000000000{guid}" name="{name}" '
        f'plainTextPath="{path}">{inner}</TextSource>'
    )


@pytest.mark.parametrize(
    ("origin", "counted"), [("ATLAS.ti 23.2.1", False), ("NVivo 14", True), ("MAXQDA 24", True)]
)
def test_crlf_counted_as_the_tool_counts_it(tmp_path, origin, counted):
    """ATLAS.ti stores CRLF in the source file but counts each as one character: "Atlas stored
    correct positions in the project.qde xml as though it is \\n - one character" (QualCoder
    refi.py, load_text_source, keyed on the Project's origin). Its .qde inside the zip is
    named after the project, not project.qde (QualCoder issue #1369). The other tools count
    both characters, as code points of the file."""
    lf = TEXT.replace("\r\n", "\n")
    text = TEXT if counted else lf
    start = text.index("fear for")
    selection = _selection(1, start, start + 8, _coding(1, creatingUser=ANA))
    xml = _document(_source("int.txt", selection), origin=origin)
    path = tmp_path / "study.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Environmental Attitudes.qde", xml)
        archive.writestr("sources/s1.txt", TEXT.encode("utf-8"))
    assert read_refi(path).crlf_counted is counted
    with Project.create(tmp_path / "p.wb") as project:
        import_refi(project, path)
        assert _coded(project) == {("I fear for the craft.", "Ana"): {"fear"}}


def test_atlas_offsets_map_without_crlf():
    offsets = OffsetMap("a\r\nb\r\nCafe\u0301 fear", crlf_counted=False)
    assert offsets.length == len("a\nb\nCafe\u0301 fear")
    unix = "a\nb\nCafe\u0301 fear"
    assert offsets.text[offsets(unix.index("fear")) :] == "fear"


def test_atlas_media_folder_and_nvivo_sources_folder_beside_a_bare_qde(tmp_path):
    """Without a basePath, ATLAS.ti keeps linked sources in "<project> Media" beside the
    export (QualCoder refi.py, parse_project_tag); NVivo names the folder "Sources" where
    MAXQDA writes "sources" (QualCoder refi.py, name_creating_user_create_date_source_path_helper)."""
    start = TEXT.index("Slowly")
    selection = _selection(1, start, start + 6, _coding(1, creatingUser=ANA))
    atlas = tmp_path / "atlas"
    (atlas / "Study Media").mkdir(parents=True)
    (atlas / "Study Media" / "s1.txt").write_bytes(TEXT.encode("utf-8"))
    xml = _document(_source("int.txt", selection, "relative://s1.txt"), origin="NVivo")
    (atlas / "Study.qde").write_text(xml, encoding="utf-8")
    nvivo = tmp_path / "nvivo"
    (nvivo / "Sources").mkdir(parents=True)
    (nvivo / "Sources" / "s1.txt").write_bytes(TEXT.encode("utf-8"))
    (nvivo / "project.qde").write_text(_document(_source("int.txt", selection)), encoding="utf-8")
    for folder, qde in ((atlas, "Study.qde"), (nvivo, "project.qde")):
        with Project.create(folder / "p.wb") as project:
            import_refi(project, folder / qde)
            assert _coded(project) == {("Slowly, with drafts.", "Ana"): {"fear"}}


def test_maxqda_same_named_sources_uppercase_guids_and_comments(tmp_path):
    """MAXQDA has written several text sources with one name ("In MAXQDA qdpx folder - there
    has been one example of text sources with the same name", QualCoder refi.py parse_sources,
    and issue #396), upper-case GUIDs ("5D2B49D0-9562-...", refi.py
    load_codings_for_audio_video), and selections that hold a Description and no Coding: its
    comments on text (refi.py load_codings_for_text, issue #491)."""
    upper_code = "{" + CODE.upper() + "}"
    other = TEXT.replace("drafts", "emails")
    first = TEXT.index("Slowly")
    sources = _source(
        "Interview.txt",
        _selection(1, first, first + 6, _coding(1, upper_code, creatingUser=ANA.upper()))
        + _selection(2, 0, 5, "<Description>check this</Description>", creatingUser=ANA)
        + _selection(
            4,
            first,
            first + 6,
            "<Description>a memo</Description>" + _coding(4, creatingUser=ANA),
        ),
    ) + (
        '<TextSource guid="00000000-0000-0000-0000-0000000000d2" name="Interview.txt">'
        f"<PlainTextContent>{other}</PlainTextContent>"
        + _selection(3, first, first + 6, _coding(3, CODE.upper(), creatingUser=ANA))
        + "</TextSource>"
    )
    folder = tmp_path / "maxqda"
    (folder / "sources").mkdir(parents=True)
    (folder / "sources" / "s1.txt").write_bytes(TEXT.encode("utf-8"))
    (folder / "project.qde").write_text(_document(sources, "MAXQDA 2022"), encoding="utf-8")
    with Project.create(tmp_path / "p.wb") as project:
        plan = plan_refi_import(project, folder / "project.qde")
        assert [r.external_id for r in plan.records] == ["Interview", "Interview (2)"]
        # comments on text are memos now: one outside any passage is listed, not dropped
        assert any(
            "selection 0-5: lies on no passage (blank text) only; 0 codings and 1 memos" in item
            for item in plan.not_mappable
        )
        assert [(m.coder, m.text) for m in plan.memos] == [("Ana", "a memo")]
        import_refi(project, folder / "project.qde")
        assert _coded(project) == {
            ("Slowly, with drafts.", "Ana"): {"fear"},
            ("Slowly, with emails.", "Ana"): {"fear"},
        }


def test_nvivo_cases_written_as_codes_are_not_codes(tmp_path):
    """NVivo writes each case as a code with the case's GUID too, and codes the case's text
    with it: "Some Code guids match the Case guids. So remove these Codes" (QualCoder
    refi.py, clean_up_case_codes_and_case_text). Case membership is not coding: those codes
    stay out of the codebook and their codings are listed, while the case's variables still
    reach its source."""
    case = "00000000-0000-0000-0000-0000000000e1"
    variable = "00000000-0000-0000-0000-0000000000f1"
    codes = (
        f'<Code guid="{CODE}" name="Fear" isCodable="true"/>'
        '<Code guid="00000000-0000-0000-0000-0000000000c9" name="Cases" isCodable="false">'
        f'<Code guid="{case}" name="P01" isCodable="true"/></Code>'
    )
    start = TEXT.index("fear for")
    selection = _selection(1, 0, len(TEXT), _coding(1, case, creatingUser=ANA)) + _selection(
        2, start, start + 8, _coding(2, creatingUser=ANA)
    )
    after = (
        f'<Variables><Variable guid="{variable}" name="age" typeOfVariable="Text"/></Variables>'
        f'<Cases><Case guid="{case}" name="P01"><VariableValue><VariableRef '
        f'targetGUID="{variable}"/><TextValue>30-39</TextValue></VariableValue>'
        '<SourceRef targetGUID="00000000-0000-0000-0000-0000000000d1"/></Case></Cases>'
    )
    folder = tmp_path / "nvivo"
    (folder / "sources").mkdir(parents=True)
    (folder / "sources" / "s1.txt").write_bytes(TEXT.encode("utf-8"))
    xml = _document(_source("P01.txt", selection), "NVivo 14", codes=codes, after=after)
    (folder / "project.qde").write_text(xml, encoding="utf-8")
    with Project.create(tmp_path / "p.wb") as project:
        plan = plan_refi_import(project, folder / "project.qde")
        assert any("1 codings that assign text to a case" in item for item in plan.not_mappable)
        import_refi(project, folder / "project.qde")
        assert {code.name for code in project.codebook.walk()} == {"Fear", "Cases"}
        assert _coded(project) == {("I fear for the craft.", "Ana"): {"fear"}}
        with project.reading() as conn:
            assert list_transcripts(conn)[0].metadata == {"age": "30-39"}


def test_users_without_names_and_only_modifying_user(tmp_path):
    """Users without a name (QualCoder refi.py parse_users stores them as None, then
    "default") keep a coder of their own; a coding whose creatingUser is missing falls back
    to its selection's creatingUser, then modifyingUser ("if creating_user_guid is None:
    creating_user_guid = element.get('modifyingUser')", refi.py load_codings_for_text)."""
    nameless = "00000000-0000-0000-0000-0000000000a2"
    users = f'<User guid="{ANA}" name="Ana"/><User guid="{nameless}"/>'
    first, second = TEXT.index("Slowly"), TEXT.index("fear for")
    sources = _source(
        "int.txt",
        _selection(1, first, first + 6, _coding(1), modifyingUser=nameless)
        + _selection(2, second, second + 8, _coding(2), creatingUser=ANA),
    )
    folder = tmp_path / "q"
    (folder / "sources").mkdir(parents=True)
    (folder / "sources" / "s1.txt").write_bytes(TEXT.encode("utf-8"))
    (folder / "project.qde").write_text(_document(sources, users=users), encoding="utf-8")
    with Project.create(tmp_path / "p.wb") as project:
        import_refi(project, folder / "project.qde")
        assert _coded(project) == {
            ("Slowly, with drafts.", "user 00000000"): {"fear"},
            ("I fear for the craft.", "Ana"): {"fear"},
        }


def test_notes_by_reference_and_a_bom_inside_the_content_are_handled(tmp_path):
    """NVivo links annotations to text as Notes referenced by NoteRef (QualCoder refi.py,
    parse_notes, insert_annotation): they come in as memos on the selected words. A text kept from a Notepad file may start with a BOM even inline ("Associated
    with notepad files", refi.py): it is not text, and positions count from after it."""
    lf = TEXT.replace("\r\n", "\n")
    start = lf.index("Slowly")
    note_ref = '<NoteRef targetGUID="00000000-0000-0000-0000-00000000bb01"/>'
    inline = (
        '<TextSource guid="00000000-0000-0000-0000-0000000000d1" name="int">'
        f"<PlainTextContent>\ufeff{lf}</PlainTextContent>"
        + _selection(1, start, start + 6, _coding(1, creatingUser=ANA) + note_ref)
        + "</TextSource>"
    )
    notes = (
        '<Notes><Note guid="00000000-0000-0000-0000-00000000bb01" name="memo">'
        "<PlainTextContent>why this</PlainTextContent></Note></Notes>"
    )
    xml = _document(inline).replace("</Sources>", f"</Sources>{notes}")
    _valid(xml)
    path = tmp_path / "n.qde"
    path.write_text(xml, encoding="utf-8")
    with Project.create(tmp_path / "p.wb") as project:
        plan = plan_refi_import(project, path)
        assert [(m.coder, m.text, m.span) for m in plan.memos] == [
            ("Ana", "memo\nwhy this", (start, start + 6))
        ]
        assert not any("note" in item for item in plan.not_mappable)
        import_refi(project, path)
        with project.reading() as conn:
            assert not list_transcripts(conn)[0].external_id.startswith("\ufeff")
        assert _coded(project) == {("Slowly, with drafts.", "Ana"): {"fear"}}


EMOJI_TEXT = (
    "Interviewer: Favourite tool?\n\nParticipant: " + "🤖" * 40 + " all of them.\n\n"
    "Interviewer: And the risk?\n\nParticipant: Losing the craft.\n\n"
    "Interviewer: Anything else?\n\nParticipant: No, that is all.\n"
)


def _utf16(text: str, phrase: str) -> tuple[int, int]:
    """Where ``phrase`` is in UTF-16 code units, as a tool built on UTF-16 strings counts."""
    start = len(text[: text.index(phrase)].encode("utf-16-le")) // 2
    return start, start + len(phrase.encode("utf-16-le")) // 2


@pytest.mark.parametrize("named", [True, False])
def test_positions_read_by_the_convention_the_selection_names_bear_out(tmp_path, named):
    """The standard counts code points (REFI-QDA 1.5, 10.2); a tool on UTF-16 strings counts
    an emoji twice. Selections are named by the text they start with in the standard's own
    examples (name="granola" at 62-69), so where names quote the text, the convention under
    which they read right is used. Without names nothing tells, and code points are read (the
    documented limitation): 40 emoji earlier, the selection then lands on an interviewer."""
    start, end = _utf16(EMOJI_TEXT, "Losing the craft")
    assert start == EMOJI_TEXT.index("Losing") + 40
    extra = {"name": "Losing the cr…"} if named else {}
    selection = _selection(1, start, end, _coding(1), creatingUser=ANA, **extra)
    inline = (
        '<TextSource guid="00000000-0000-0000-0000-0000000000d1" name="int">'
        f"<PlainTextContent>{EMOJI_TEXT}</PlainTextContent>{selection}</TextSource>"
    )
    path = tmp_path / "e.qde"
    path.write_text(_document(inline, "a UTF-16 tool"), encoding="utf-8")
    with Project.create(tmp_path / "p.wb") as project:
        plan = plan_refi_import(project, path)
        import_refi(project, path)
        coded = _coded(project)
    if named:
        assert coded == {("Losing the craft.", "Ana"): {"fear"}}
    else:
        assert coded == {}
        assert any("lies on interviewer turns only" in item for item in plan.not_mappable)


def test_crlf_convention_from_names_when_the_origin_does_not_say(tmp_path):
    """A tool that counts CRLF as one but does not call itself ATLAS.ti: its names decide
    (read with CRLF counted, the selection would land 40 lines early, on the interviewer)."""
    text = "Interviewer: " + "line\r\n" * 40 + "\r\nParticipant: I fear for the craft.\r\n"
    lf = text.replace("\r\n", "\n")
    start = lf.index("fear for")
    selection = _selection(1, start, start + 8, _coding(1), creatingUser=ANA, name="fear for")
    folder = tmp_path / "q"
    (folder / "sources").mkdir(parents=True)
    (folder / "sources" / "s1.txt").write_bytes(text.encode("utf-8"))
    (folder / "project.qde").write_text(
        _document(_source("int.txt", selection), "Some Tool 2.0"), encoding="utf-8"
    )
    with Project.create(tmp_path / "p.wb") as project:
        import_refi(project, folder / "project.qde")
        assert _coded(project) == {("I fear for the craft.", "Ana"): {"fear"}}
