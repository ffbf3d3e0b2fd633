"""REFI-QDA files in the shapes MAXQDA, NVivo and ATLAS.ti are documented or known to write.

Each fixture is hand-written here and zipped at test time (no vendor export can be shipped),
then validated against the standard's ``Project.xsd`` or ``Codebook.xsd`` (the shared copy in
/work/shared/refi-qda when present). A test says so where a vendor is known to write something
the schema refuses. What the workbench cannot represent must be listed, with a count and the
element's name or guid; what it can must come in.
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
from workbench.interop.refi_plan import plan_refi_import
from workbench.interop.refi_schema import CODEBOOK_NS, PROJECT_NS, SCHEMA_DIR

SHARED = Path("/work/shared/refi-qda")
TEXT = (
    "Interviewer: How did it start?\n\nParticipant: Slowly, with drafts.\n\n"
    "Interviewer: And now?\n\nParticipant: I fear for the craft.\n"
)
ANA = "00000000-0000-0000-0000-0000000000a1"
BEN = "00000000-0000-0000-0000-0000000000a2"
FEAR = "00000000-0000-0000-0000-0000000000c1"
HOPE = "00000000-0000-0000-0000-0000000000c2"
CODES = f'<Code guid="{FEAR}" name="Fear" isCodable="true"/><Code guid="{HOPE}" name="Hope" isCodable="true"/>'
USERS = f'<Users><User guid="{ANA}" name="Ana"/></Users>'


def _guid(kind: int, number: int) -> str:
    return f"00000000-0000-0000-{kind:04d}-{number:012d}"


def _valid(xml: str, codebook: bool = False) -> None:
    name = "Codebook.xsd" if codebook else "Project.xsd"
    xsd = SHARED / name if (SHARED / name).is_file() else SCHEMA_DIR / name
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    assert schema.validate(etree.fromstring(xml.encode("utf-8"))), schema.error_log


def _project(
    sources: str,
    codes: str = CODES,
    users: str = USERS,
    before: str = "",
    after: str = "",
    origin: str = "hand-built",
) -> str:
    """A project document; ``before`` goes ahead of Sources (Variables, Cases), ``after``
    behind it (Notes, Sets), as the schema orders them."""
    xml = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="{PROJECT_NS}" name="vendor" '
        f'origin="{origin}">{users}<CodeBook><Codes>{codes}</Codes></CodeBook>'
        f"{before}<Sources>{sources}</Sources>{after}</Project>"
    )
    _valid(xml)
    return xml


def _selection(number: int, start: int, end: int, inner: str, **attributes: str) -> str:
    extra = "".join(f' {key}="{value}"' for key, value in attributes.items())
    return (
        f'<PlainTextSelection guid="{_guid(1, number)}" startPosition="{start}" '
        f'endPosition="{end}"{extra}>{inner}</PlainTextSelection>'
    )


def _coding(number: int, code: str = FEAR, **attributes: str) -> str:
    extra = "".join(f' {key}="{value}"' for key, value in attributes.items())
    return f'<Coding guid="{_guid(2, number)}"{extra}><CodeRef targetGUID="{code}"/></Coding>'


def _text(
    name: str,
    inner: str = "",
    path: str = "internal://s1.txt",
    number: int = 1,
    tag: str = "TextSource",
) -> str:
    return f'<{tag} guid="{_guid(3, number)}" name="{name}" plainTextPath="{path}">{inner}</{tag}>'


def _qdpx(
    folder: Path, xml: str, files: dict[str, bytes | str] | None = None, name: str = "study.qdpx"
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", xml)
        for member, data in (files or {"sources/s1.txt": TEXT}).items():
            archive.writestr(member, data.encode("utf-8") if isinstance(data, str) else data)
    return path


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


def _at(text: str, phrase: str) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + len(phrase)


# --- sources other than text ---------------------------------------------------------------


def test_pdf_representation_is_the_transcript_and_media_are_listed_by_name(tmp_path):
    """MAXQDA and NVivo write a coded PDF as a PDFSource holding its plain-text rendering as a
    ``Representation`` (REFI-QDA 1.5, PDFSource); its text selections live there. Pictures,
    audio and video have no text to code: each is listed by name with its codings."""
    start, end = _at(TEXT, "fear for")
    pdf = (
        f'<PDFSource guid="{_guid(3, 9)}" name="Report.pdf" path="internal://r.pdf">'
        f'<PDFSelection guid="{_guid(1, 9)}" page="1" firstX="0" firstY="0" secondX="9" '
        f'secondY="9">{_coding(9, creatingUser=ANA)}</PDFSelection>'
        + _text(
            "Report.txt",
            _selection(1, start, end, _coding(1, creatingUser=ANA)),
            tag="Representation",
        )
        + "</PDFSource>"
    )
    media = (
        f'<PictureSource guid="{_guid(3, 5)}" name="Whiteboard.png" path="internal://w.png">'
        f'<PictureSelection guid="{_guid(1, 5)}" firstX="1" firstY="1" secondX="5" secondY="5">'
        f"{_coding(5, creatingUser=ANA)}</PictureSelection></PictureSource>"
        f'<AudioSource guid="{_guid(3, 6)}" name="Call.mp3" path="internal://c.mp3">'
        f'<AudioSelection guid="{_guid(1, 6)}" begin="0" end="900">{_coding(6, creatingUser=ANA)}'
        f"{_coding(7, HOPE, creatingUser=ANA)}</AudioSelection></AudioSource>"
        f'<VideoSource guid="{_guid(3, 7)}" name="Walkthrough.mp4" path="internal://v.mp4">'
        f'<Transcript guid="{_guid(8, 1)}" name="Walkthrough transcript">'
        "<PlainTextContent>Now we open the menu.</PlainTextContent></Transcript></VideoSource>"
    )
    path = _qdpx(tmp_path, _project(pdf + media, origin="MAXQDA 24"))
    with Project.create(tmp_path / "p.wb") as project:
        plan = plan_refi_import(project, path)
        listed = "\n".join(plan.not_mappable)
        assert [r.external_id for r in plan.records] == ["Report"]
        assert "'Report.pdf'" in listed and "plain-text representation" in listed
        assert "'Report.pdf': 1 regions of PDF pages not imported (1 codings)" in listed
        assert "source 'Whiteboard.png' is a picture, not text: not imported (1 codings)" in listed
        assert "source 'Call.mp3' is audio, not text: not imported (2 codings)" in listed
        assert (
            "source 'Walkthrough.mp4' is video, not text: not imported (0 codings; 1 "
            "transcripts with it)"
        ) in listed
        import_refi(project, path)
        assert _coded(project) == {("I fear for the craft.", "Ana"): {"fear"}}


def test_relative_source_is_read_beside_the_qdpx_or_listed(tmp_path):
    """MAXQDA and ATLAS.ti link large sources instead of embedding them: ``relative://`` is
    relative to the project's basePath, or, without one, to where the export lies."""
    start, end = _at(TEXT, "Slowly")
    xml = _project(
        _text(
            "Linked.txt",
            _selection(1, start, end, _coding(1, creatingUser=ANA)),
            "relative://linked.txt",
        )
    )
    missing = _qdpx(tmp_path / "alone", xml, files={})
    with Project.create(tmp_path / "a.wb") as project:
        plan = plan_refi_import(project, missing)
        assert plan.records == []
        assert (
            "source 'Linked.txt' not imported: its text file 'relative://linked.txt' is not in "
            "study.qdpx nor beside it (1 codings)" in plan.not_mappable
        )
    beside = _qdpx(tmp_path / "beside", xml, files={})
    (tmp_path / "beside" / "linked.txt").write_text(TEXT, encoding="utf-8")
    with Project.create(tmp_path / "b.wb") as project:
        import_refi(project, beside)
        assert _coded(project) == {("Slowly, with drafts.", "Ana"): {"fear"}}


def _docx(paragraphs: list[str]) -> bytes:
    import io

    docx = pytest.importorskip("docx")
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_rich_text_only_source_is_read_from_its_docx(tmp_path):
    """The schema lets a TextSource carry ``richTextPath`` alone, though its comment asks for
    plain text too; a tool exporting only the .docx of a document source writes that. The text comes from
    the .docx, a paragraph a line, as the tools' plain text renders it; a selection whose name
    reads its own words there is coded, the others are listed (their positions belong to a
    plain text the file does not hold)."""
    lines = [line for line in TEXT.split("\n") if line]
    plain = "\n".join(lines)
    start, end = _at(plain, "fear for the craft")
    wrong = _at(plain, "Slowly")
    inner = _selection(
        1, start, end, _coding(1, creatingUser=ANA), name="fear for the craft"
    ) + _selection(2, wrong[0] + 3, wrong[1] + 3, _coding(2, HOPE, creatingUser=ANA), name="Slowly")
    source = f'<TextSource guid="{_guid(3, 1)}" name="Rich.docx" richTextPath="internal://r.docx">{inner}</TextSource>'
    path = _qdpx(
        tmp_path, _project(source, origin="NVivo 14"), files={"sources/r.docx": _docx(lines)}
    )
    with Project.create(tmp_path / "p.wb") as project:
        plan = plan_refi_import(project, path)
        listed = "\n".join(plan.not_mappable)
        assert [r.external_id for r in plan.records] == ["Rich"]
        assert "'Rich.docx': its text read from the rich text 'internal://r.docx'" in listed
        assert f"selection {wrong[0] + 3}-{wrong[1] + 3}" in listed
        import_refi(project, path)
        assert _coded(project) == {("I fear for the craft.", "Ana"): {"fear"}}


def test_rich_text_that_is_not_a_docx_is_listed(tmp_path):
    source = f'<TextSource guid="{_guid(3, 1)}" name="Rich.rtf" richTextPath="internal://r.rtf"/>'
    path = _qdpx(tmp_path, _project(source), files={"sources/r.rtf": b"not a docx"})
    with Project.create(tmp_path / "p.wb") as project:
        plan = plan_refi_import(project, path)
        assert plan.records == []
        assert any(
            "'Rich.rtf' not imported" in item and "rich text" in item for item in plan.not_mappable
        )


# --- selections ----------------------------------------------------------------------------

EMOJI = (
    "Interviewer: How did it start? \U0001f914\r\n\r\nParticipant: Slowly \U0001f605, with "
    "drafts.\r\n\r\nInterviewer: And now?\r\n\r\nParticipant: I fear for the craft \u2764\ufe0f.\r\n"
)


def test_positions_count_code_points_with_emoji_and_crlf_as_the_standard_says(tmp_path):
    """REFI-QDA 1.5 counts Unicode code points of the source file: an emoji beyond U+FFFF is
    one, a CRLF two. Unnamed selections (MAXQDA writes no names) give no other evidence, so
    the standard decides; the words land on the stored text, which has ``\\n`` endings."""
    drafts = _at(EMOJI, "with drafts")
    craft = _at(EMOJI, "craft \u2764\ufe0f")
    inner = _selection(1, *drafts, _coding(1, creatingUser=ANA)) + _selection(
        2, *craft, _coding(2, HOPE, creatingUser=ANA)
    )
    path = _qdpx(
        tmp_path,
        _project(_text("Emoji.txt", inner), origin="MAXQDA 24"),
        files={"sources/s1.txt": EMOJI},
    )
    with Project.create(tmp_path / "p.wb") as project:
        plan = plan_refi_import(project, path)
        stored = plan.records[0].text
        assert "\r" not in stored
        assert [stored[s[4] : s[5]] for s in plan.spans] == ["with drafts", "craft \u2764\ufe0f"]
        import_refi(project, path)
        assert _coded(project) == {
            ("Slowly \U0001f605, with drafts.", "Ana"): {"fear"},
            ("I fear for the craft \u2764\ufe0f.", "Ana"): {"hope"},
        }


def test_out_of_range_overlapping_and_userless_selections(tmp_path):
    """Selections past the end or reversed are listed with their guid's positions; two
    overlapping selections by one coder both count (one coding of the passage, two spans);
    a coding with no creatingUser anywhere goes to the project's creatingUserGUID."""
    slowly = _at(TEXT, "Slowly, with")
    drafts = _at(TEXT, "with drafts")
    inner = (
        _selection(1, *slowly, _coding(1, creatingUser=ANA))
        + _selection(2, *drafts, _coding(2, creatingUser=ANA))
        + _selection(3, len(TEXT) - 2, len(TEXT) + 40, _coding(3, creatingUser=ANA))
        + _selection(4, 20, 10, _coding(4, creatingUser=ANA))
        + _selection(5, *_at(TEXT, "fear for"), _coding(5, HOPE))
    )
    xml = _project(_text("T.txt", inner)).replace(
        'origin="hand-built"', f'origin="hand-built" creatingUserGUID="{ANA}"'
    )
    _valid(xml)
    path = _qdpx(tmp_path, xml)
    with Project.create(tmp_path / "p.wb") as project:
        plan = plan_refi_import(project, path)
        listed = "\n".join(plan.not_mappable)
        assert (
            f"selection {len(TEXT) - 2}-{len(TEXT) + 40}: outside the text (0-{len(TEXT)})"
            in listed
        )
        assert "selection 20-10: outside the text" in listed
        assert f"not imported (selection {_guid(1, 3)})" in listed  # the element, by guid
        # the overlapping pair stays two spans of one coding of the passage
        assert [s[4:] for s in plan.spans if s[3] == "fear"] == [slowly, drafts]
        assert [s[:4] for s in plan.codings] == [("T", 2, "Ana", "fear"), ("T", 4, "Ana", "hope")]
        import_refi(project, path)
        assert _coded(project) == {
            ("Slowly, with drafts.", "Ana"): {"fear"},
            ("I fear for the craft.", "Ana"): {"hope"},
        }


# --- users ---------------------------------------------------------------------------------


def test_users_with_one_name_and_different_guids_stay_two_coders(tmp_path):
    """MAXQDA and NVivo key users by GUID; two people (or one person on two machines, which
    the file cannot tell apart) may share a display name. Merging them silently would make
    their disagreements vanish from agreement, so each keeps a coder of its own."""
    users = f'<Users><User guid="{ANA}" name="Ana"/><User guid="{BEN}" name="Ana"/></Users>'
    slowly = _at(TEXT, "Slowly")
    inner = _selection(1, *slowly, _coding(1, creatingUser=ANA)) + _selection(
        2, *slowly, _coding(2, HOPE, creatingUser=BEN)
    )
    path = _qdpx(tmp_path, _project(_text("T.txt", inner), users=users))
    with Project.create(tmp_path / "p.wb") as project:
        plan = plan_refi_import(project, path)
        assert len(plan.coders) == 2
        assert any("2 users named 'Ana'" in item for item in plan.not_mappable)
        import_refi(project, path)
        coded = _coded(project)
        assert coded == {
            ("Slowly, with drafts.", "Ana"): {"fear"},
            ("Slowly, with drafts.", "Ana (2)"): {"hope"},
        }
        assert sorted(codes for codes in map(sorted, coded.values())) == [["fear"], ["hope"]]


def test_no_users_element_at_all(tmp_path):
    """The schema makes ``Users`` optional, and small tools leave it out; codings then name
    users the file never lists. They still come in, each under its GUID, none lost."""
    slowly = _at(TEXT, "Slowly")
    inner = _selection(1, *slowly, _coding(1, creatingUser=ANA)) + _selection(
        2, *_at(TEXT, "fear for"), _coding(2, HOPE)
    )
    path = _qdpx(tmp_path, _project(_text("T.txt", inner), users=""))
    with Project.create(tmp_path / "p.wb") as project:
        import_refi(project, path)
        coded = _coded(project)
        assert coded == {
            ("Slowly, with drafts.", "user 00000000"): {"fear"},
            ("I fear for the craft.", "refi:study"): {"hope"},
        }


# --- codebook ------------------------------------------------------------------------------

EMOTIONS, TOPICS = _guid(4, 1), _guid(4, 2)
OTHER_E, OTHER_T = _guid(4, 3), _guid(4, 4)
TREE = (
    f'<Code guid="{EMOTIONS}" name="Emotions" isCodable="false">'
    f'<Code guid="{FEAR}" name="Fear" isCodable="true" color="#FF8800"/>'
    f'<Code guid="{OTHER_E}" name="Other" isCodable="true"/></Code>'
    f'<Code guid="{TOPICS}" name="Topics" isCodable="false" color="#0a0">'
    f'<Code guid="{OTHER_T}" name="Other" isCodable="true" color="#00ff00"/></Code>'
)


def _set(member: str = "targetGUID", extra: str = "") -> str:
    return (
        f'<Set guid="{_guid(5, 1)}" name="Key codes"><MemberCode {member}="{FEAR}"/>'
        f'<MemberCode {member}="{OTHER_T}"/>{extra}</Set>'
    )


def test_codebook_shapes_come_in_as_a_tree_with_groups(tmp_path):
    """NVivo folders and MAXQDA parent codes with no codings of their own are written
    ``isCodable="false"``; the schema's colours are ``#RRGGBB`` or ``#RGB`` in either case,
    and many codes carry none; "Other" under two themes is two codes (QualCoder issue #894 meets it); a Set of
    codes is a code group, a Set's sources are listed."""
    slowly, craft = _at(TEXT, "Slowly"), _at(TEXT, "fear for")
    inner = _selection(
        1, *slowly, _coding(1, OTHER_E, creatingUser=ANA) + _coding(2, EMOTIONS, creatingUser=ANA)
    ) + _selection(
        2, *craft, _coding(3, OTHER_T, creatingUser=ANA) + _coding(4, FEAR, creatingUser=ANA)
    )
    member = f'<MemberSource targetGUID="{_guid(3, 1)}"/>'
    sets = f"<Sets>{_set(extra=member)}</Sets>"
    path = _qdpx(
        tmp_path, _project(_text("T.txt", inner), codes=TREE, after=sets, origin="MAXQDA 24")
    )
    with Project.create(tmp_path / "p.wb") as project:
        plan = plan_refi_import(project, path)
        listed = "\n".join(plan.not_mappable)
        assert "coding with 'Emotions', which the file marks not codable" in listed
        assert "set 'Key codes': 1 member sources or notes" in listed
        import_refi(project, path)
        codes = {code.id: code for code in project.codebook.walk()}
        assert {code.id: code.color for code in codes.values()} == {
            "emotions": None,
            "fear": "#ff8800",
            "emotions.other": None,
            "topics": "#00aa00",
            "topics.other": "#00ff00",
        }
        assert "Code groups (REFI-QDA): Key codes" in codes["fear"].definition
        assert "Code groups (REFI-QDA): Key codes" in codes["topics.other"].definition
        assert _coded(project) == {
            ("Slowly, with drafts.", "Ana"): {"emotions.other"},
            ("I fear for the craft.", "Ana"): {"topics.other", "fear"},
        }


def test_a_set_with_codebook_style_members_inside_a_project_is_not_lost(tmp_path):
    """A code book's ``MemberCode`` names its code by ``guid`` (Codebook.xsd), a project's by
    ``targetGUID`` (Project.xsd). A file that mixes the two (schema-invalid, so this fixture
    is not validated; no vendor is documented writing it, but the members were dropped
    without a word) must still give the group its members."""
    xml = _project(_text("T.txt"), codes=TREE).replace(
        "</Sources>", f"</Sources><Sets>{_set('guid')}</Sets>"
    )
    path = _qdpx(tmp_path, xml)
    with Project.create(tmp_path / "p.wb") as project:
        plan = plan_refi_import(project, path)
        assert plan.code_groups == {"Key codes": ["fear", "topics.other"]}


def test_qdc_code_book_with_the_same_shapes(tmp_path):
    """A ``.qdc`` alone, as the tools exchange code books: the same tree, colours and
    groups, in the code book namespace with its own ``MemberCode guid=``."""
    xml = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<CodeBook xmlns="{CODEBOOK_NS}" '
        f'origin="MAXQDA 24"><Codes>{TREE}</Codes><Sets>{_set("guid")}</Sets></CodeBook>'
    )
    _valid(xml, codebook=True)
    path = tmp_path / "book.qdc"
    path.write_text(xml, encoding="utf-8")
    import yaml

    from workbench.interop.refi_codebook import qdc_to_yaml

    data = yaml.safe_load(qdc_to_yaml(path))
    top = {code["id"]: code for code in data["codes"]}
    # two codes named Other, each under its own parent: ids name the parent, exactly as the
    # project import above names them (a .qdc once gave other, other-2, so a codebook read
    # from the .qdc and codings read from the tool's .qdpx did not line up)
    assert [child["id"] for child in top["emotions"]["children"]] == ["fear", "emotions.other"]
    assert [child["id"] for child in top["topics"]["children"]] == ["topics.other"]
    assert top["emotions"]["children"][0]["color"] == "#ff8800"
    assert "color" not in top["emotions"]["children"][1]
    assert "Key codes: fear, topics.other" in data["description"]


# --- cases and variables -------------------------------------------------------------------

VALUES = [
    ("role", "Text", "TextValue", "Nurse"),
    ("consented", "Boolean", "BooleanValue", "true"),
    ("age", "Integer", "IntegerValue", "42"),
    ("hours", "Float", "FloatValue", "37.5"),
    ("interviewed", "Date", "DateValue", "2024-05-01"),
    ("started", "DateTime", "DateTimeValue", "2024-05-01T10:00:00Z"),
]


def _variables() -> str:
    return (
        "<Variables>"
        + "".join(
            f'<Variable guid="{_guid(6, n)}" name="{name}" typeOfVariable="{kind}"/>'
            for n, (name, kind, _tag, _value) in enumerate(VALUES)
        )
        + "</Variables>"
    )


def _value(number: int, value: str | None = None) -> str:
    _name, _kind, tag, default = VALUES[number]
    return (
        f'<VariableValue><VariableRef targetGUID="{_guid(6, number)}"/>'
        f"<{tag}>{value or default}</{tag}></VariableValue>"
    )


def test_case_variables_of_every_type_reach_every_source_of_the_case(tmp_path):
    """NVivo and MAXQDA keep attributes on cases (NVivo's "case classifications"), one case
    per participant, spanning each of their interviews. Every value type of the schema becomes
    text metadata on each source of the case; a source's own value wins over its case's."""
    second = TEXT.replace("drafts", "emails")
    sources = (
        _text("P01 a.txt", _value(0, "Head nurse"))
        + f'<TextSource guid="{_guid(3, 2)}" name="P01 b.txt" plainTextPath="internal://s2.txt"/>'
    )
    case = (
        f'<Cases><Case guid="{_guid(7, 1)}" name="P01">'
        + "".join(_value(n) for n in range(len(VALUES)))
        + f'<SourceRef targetGUID="{_guid(3, 1)}"/><SourceRef targetGUID="{_guid(3, 2)}"/>'
        "</Case></Cases>"
    )
    xml = _project(sources, before=_variables() + case, origin="NVivo 14")
    path = _qdpx(tmp_path, xml, files={"sources/s1.txt": TEXT, "sources/s2.txt": second})
    with Project.create(tmp_path / "p.wb") as project:
        import_refi(project, path)
        with project.reading() as conn:
            metadata = {t.external_id: t.metadata for t in list_transcripts(conn)}
    expected = {name: value for name, _kind, _tag, value in VALUES}
    assert metadata == {"P01 a": expected | {"role": "Head nurse"}, "P01 b": expected}


def test_a_source_in_two_cases_with_different_values_is_listed(tmp_path):
    """A source in two cases (a joint interview belongs to both participants' cases)
    can carry two values of one variable; the first case's is kept and the other listed, not
    dropped silently. A case that holds only part of a source (``SelectionRef``) is listed."""
    cases = (
        f'<Cases><Case guid="{_guid(7, 1)}" name="P01">{_value(2, "42")}'
        f'<SourceRef targetGUID="{_guid(3, 1)}"/></Case>'
        f'<Case guid="{_guid(7, 2)}" name="P02">{_value(2, "57")}'
        f'<SourceRef targetGUID="{_guid(3, 1)}"/><SelectionRef targetGUID="{_guid(1, 1)}"/>'
        "</Case></Cases>"
    )
    inner = _selection(1, *_at(TEXT, "Slowly"), _coding(1, creatingUser=ANA))
    xml = _project(_text("Joint.txt", inner), before=_variables() + cases)
    path = _qdpx(tmp_path, xml)
    with Project.create(tmp_path / "p.wb") as project:
        plan = plan_refi_import(project, path)
        listed = "\n".join(plan.not_mappable)
        assert plan.metadata == {"Joint": {"age": "42"}}
        assert (
            "source 'Joint.txt': variable 'age' is '42' in case 'P01' and '57' in case 'P02'"
            in listed
        )
        assert "case 'P02': 1 selections" in listed


def test_a_colour_the_schema_refuses_is_listed_not_dropped_unseen(tmp_path):
    """Malformed input (schema-invalid, so not validated): a colour with an alpha channel or
    a colour name. The code still comes in, without the colour, and the report says so."""
    codes = f'<Code guid="{FEAR}" name="Fear" isCodable="true" color="#FF8800CC"/>'
    xml = _project(_text("T.txt"), codes=codes.replace("#FF8800CC", "#FF8800"))
    path = _qdpx(tmp_path, xml.replace("#FF8800", "#FF8800CC"))
    with Project.create(tmp_path / "p.wb") as project:
        plan = plan_refi_import(project, path)
        assert f"code 'Fear' ({FEAR}): colour '#FF8800CC' is not #RRGGBB" in "\n".join(
            plan.not_mappable
        )
        import_refi(project, path)
        assert [(code.id, code.color) for code in project.codebook.walk()] == [("fear", None)]
