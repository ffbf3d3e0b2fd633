"""Read a REFI-QDA project (``.qdpx`` zip, or a bare ``.qde`` with its sources beside it).

Real exports bend the standard, so this reads what the tools write, not only what the schema
says: the namespaces ``urn:QDA-XML:project:1.0``, ``urn:QDA-XML:codebook:1:0`` (NVivo 12 for
Mac) and the draft ``…:0:4`` (older ATLAS.ti), or none; code groups as ``Sets`` of
``MemberCode`` inside the code book or beside it; sources inside the zip under ``sources/``,
next to a bare ``.qde``, or at the project's ``basePath``. Namespaces are dropped after the
root is checked, so every element is found by its local name.

The result is a plain model of what the file holds (users, the code tree, text sources with
their selections, variables) plus the list of everything that is not text coding (pictures,
audio, PDF regions, links, graphs), which the importer reports and never drops silently. Notes
are read with what they hang on (source, selection, coding, code): they come back as memos.
"""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

from lxml import etree

from workbench.core.decoding import detect_encoding
from workbench.interop.refi_model import (  # noqa: F401  (the model is read from here too)
    RefiCode,
    RefiCoding,
    RefiError,
    RefiProject,
    RefiSelection,
    RefiTextSource,
)
from workbench.interop.refi_notes import note_refs, read_notes
from workbench.interop.refi_provenance import parse_provenance

NAMESPACE_PREFIX = "urn:QDA-XML:"
MAX_XML_BYTES = 2_000_000_000  # a zip entry that claims more is refused before reading


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _strip_namespaces(root: etree._Element) -> None:
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = _local(element)


class _Files:
    """Where a project's source files are: inside the zip, or on disk beside the ``.qde``."""

    def __init__(self, path: Path, archive: zipfile.ZipFile | None, base_path: str | None):
        self.path = path
        self.archive = archive
        self.base = base_path
        # MAXQDA writes sources/, NVivo Sources/ (QualCoder refi.py): members found in any case
        self.members = {} if archive is None else {n.lower(): n for n in archive.namelist()}
        self.by_name = {PurePosixPath(n).name: n for n in self.members.values()}

    def read(self, reference: str) -> bytes | None:
        scheme, sep, rest = reference.partition("://")
        target = rest if sep else reference
        target = target.replace("\\", "/").lstrip("/")
        if self.archive is not None:
            for candidate in (f"sources/{target}", target, f"Sources/{target}"):
                if candidate.lower() in self.members:
                    return self.archive.read(self.members[candidate.lower()])
            name = PurePosixPath(target).name
            if scheme.lower() == "internal" and name in self.by_name:
                return self.archive.read(self.by_name[name])
        # beside a bare .qde: sources/ or Sources/; ATLAS.ti keeps linked files without a
        # basePath in "<project> Media" beside the export (QualCoder refi.py parse_project_tag)
        here = self.path.parent
        folders = [here / "sources", here / "Sources", here / f"{self.path.stem} Media", here]
        if self.base:
            base = self.base.split("://", 1)[-1]
            folders.insert(0, Path(base))
        candidates = [Path(target)] if scheme.lower() == "absolute" else []
        candidates += [folder / target for folder in folders]
        for found in candidates:
            try:
                if found.is_file():
                    return found.read_bytes()
            except OSError:
                continue
        return None


def decode_source(data: bytes, name: str) -> str:
    """Text of a source file with any BOM removed: the offsets count from the first character
    after it, and line endings are left as the file has them, since the offsets count them."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16").lstrip("\ufeff")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        encoding = detect_encoding(data, name)
        return data.decode(encoding, errors="replace").lstrip("\ufeff")


def read_refi(path: str | Path) -> RefiProject:
    """Everything a REFI-QDA file holds that the workbench can use, and a list of what it can't."""
    path = Path(path)
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                return _read_archive(path, archive)
        data = path.read_bytes()
    except OSError as exc:
        raise RefiError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except zipfile.BadZipFile as exc:
        raise RefiError(f"{path}: not a readable .qdpx zip: {exc}") from exc
    if path.suffix.lower() == ".qdpx":
        raise RefiError(f"{path}: not a zip file; a .qdpx is a zip holding project.qde")
    return _read_document(path, data, None)


def _read_archive(path: Path, archive: zipfile.ZipFile) -> RefiProject:
    names = [n for n in archive.namelist() if n.lower().endswith(".qde")]
    if not names:
        raise RefiError(f"{path}: the zip holds no .qde project file")
    name = "project.qde" if "project.qde" in names else sorted(names, key=len)[0]
    if archive.getinfo(name).file_size > MAX_XML_BYTES:
        raise RefiError(f"{path}: {name} is larger than 2 GB; refused")
    return _read_document(path, archive.read(name), archive)


def _read_document(path: Path, data: bytes, archive: zipfile.ZipFile | None) -> RefiProject:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise RefiError(f"{path}: line {exc.lineno}: not well-formed XML: {exc.msg}") from exc
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and list(dtd.iterentities()):
        # not expanded (no file or network is read), but text around them would be cut short
        raise RefiError(f"{path}: declares XML entities; refused (REFI-QDA never needs them)")
    namespace = etree.QName(root).namespace
    if namespace is not None and not namespace.startswith(NAMESPACE_PREFIX):
        raise RefiError(
            f"{path}: the root element is in namespace '{namespace}', not a REFI-QDA one "
            f"(expected urn:QDA-XML:project:1.0)"
        )
    if _local(root) != "Project":
        raise RefiError(f"{path}: the root element is <{_local(root)}>, expected <Project>")
    _strip_namespaces(root)
    files = _Files(path, archive, root.get("basePath"))
    not_mappable: list[str] = []
    users = _users(root, not_mappable)
    cases = {_guid(case.get("guid")) for case in root.iterfind("Cases/Case")}
    codes = _without_case_codes(
        [_code(element) for element in root.iterfind("CodeBook/Codes/Code")], cases
    )
    groups: list[tuple[str, list[str]]] = []
    for container in ("CodeBook/Sets/Set", "Sets/Set", "CodeBook/Codes/Sets/Set"):
        for element in root.iterfind(container):
            name = element.get("name") or "(unnamed set)"
            # a project's MemberCode names its code by targetGUID; a code book's by guid, which
            # a tool copying its code book's Sets into the project keeps
            members = [
                _guid(m.get("targetGUID") or m.get("guid")) for m in element.iterfind("MemberCode")
            ]
            if members:
                groups.append((name, members))
            others = len(element.findall("MemberSource")) + len(element.findall("MemberNote"))
            if others:
                not_mappable.append(
                    f"set '{name}': {others} member sources or notes (only code groups are kept)"
                )
    variables = {
        _guid(v.get("guid")): v.get("name") or "variable"
        for v in root.iterfind("Variables/Variable")
    }
    sources: list[RefiTextSource] = []
    for element in root.iterfind("Sources/*"):
        if not isinstance(element.tag, str):
            continue
        kind = element.tag
        name = element.get("name") or element.get("guid") or "(unnamed)"
        representation = element.find("Representation")
        if kind == "PDFSource" and representation is not None:
            # text selections of a PDF are made in its plain-text representation: a text source
            source = _text_source(representation, name, files, variables, not_mappable, path)
            source.guid = _guid(element.get("guid")) or source.guid
            source.variables = _values(element, variables) | source.variables
            sources.append(source)
            if source.text is not None:
                not_mappable.append(
                    f"source '{name}' is a PDF: its plain-text representation is imported as "
                    "the transcript (the pages' layout is not)"
                )
            regions = element.findall("PDFSelection")
            if regions:
                codings = sum(1 for region in regions for _ in region.iter("Coding"))
                not_mappable.append(
                    f"source '{name}': {len(regions)} regions of PDF pages not imported "
                    f"({codings} codings); its text selections are imported"
                )
            continue
        if kind != "TextSource":
            codings = sum(1 for _ in element.iter("Coding"))
            what = {
                "PictureSource": "a picture",
                "PDFSource": "a PDF (regions of pages)",
                "AudioSource": "audio",
                "VideoSource": "video",
            }.get(kind, kind)
            transcripts = len(element.findall("Transcript"))  # audio/video: not read either
            with_them = f"; {transcripts} transcripts with it" if transcripts else ""
            not_mappable.append(
                f"source '{name}' is {what}, not text: not imported ({codings} codings{with_them})"
            )
            continue
        sources.append(_text_source(element, name, files, variables, not_mappable, path))
    _case_variables(root, variables, sources, not_mappable)
    _drop_case_codings(sources, cases, not_mappable)
    provenance = _provenance_notes(root)
    for tag, what in (("Links/Link", "links"), ("Graphs/Graph", "graphs")):
        count = len(root.findall(tag))
        if count:
            not_mappable.append(
                f"{count} {what} (not imported: the workbench has no place for them)"
            )
    notes, problems = read_notes(root, files.read, decode_source, path, _guid)
    not_mappable.extend(problems)
    referenced = {
        _guid(ref.get("targetGUID"))
        for ref in root.iter("NoteRef")
        if ref.getparent() is not None and ref.getparent().tag != "Link"
    }
    loose = [guid for guid in notes if guid not in referenced and guid not in provenance]
    if loose:
        not_mappable.append(
            f"{len(loose)} notes attached to no source, selection, coding or code (the "
            "project's own memos): not imported, the workbench keeps memos on transcripts, "
            "passages and codes"
        )
    default = root.get("creatingUserGUID")
    origin = (root.get("origin") or "").strip()
    return RefiProject(
        path=str(path),
        name=root.get("name") or path.stem,
        users=users,
        codes=codes,
        code_groups=groups,
        sources=sources,
        not_mappable=not_mappable,
        default_user=_guid(default) if default else None,
        origin=origin,
        crlf_counted=not counts_crlf_as_one(origin),
        provenance_notes=provenance,
        description=root.findtext("Description") or "",
        notes={guid: note for guid, note in notes.items() if guid not in provenance},
    )


def _provenance_notes(root: etree._Element) -> dict[str, str]:
    """The notes a workbench export hangs on codings an engine suggested: they become the
    suggestions' confidence and rationale again, so they are used, not reported as dropped."""
    coding_refs = {_guid(ref.get("targetGUID")) for ref in root.iterfind("Sources//Coding/NoteRef")}
    found: dict[str, str] = {}
    for note in root.iterfind("Notes/Note"):
        guid = _guid(note.get("guid"))
        text = note.findtext("PlainTextContent") or ""
        if guid in coding_refs and parse_provenance(text) is not None:
            found[guid] = text
    return found


def counts_crlf_as_one(origin: str) -> bool:
    """ATLAS.ti stores CRLF in its source files but counts each as one character, as though
    the text had ``\\n`` line endings (QualCoder refi.py, load_text_source); the other tools
    count both characters, as the standard's code points do."""
    return "atlas" in origin.casefold()


def _drop_case_codings(
    sources: list[RefiTextSource], cases: set[str], not_mappable: list[str]
) -> None:
    """Codings whose code is a case (NVivo's case membership, see ``_without_case_codes``)
    are taken out of the selections and counted, never applied as codes."""
    if not cases:
        return
    for source in sources:
        dropped = 0
        for selection in source.selections:
            kept = [coding for coding in selection.codings if coding.code_guid not in cases]
            dropped += len(selection.codings) - len(kept)
            selection.codings = kept
        if dropped:
            not_mappable.append(
                f"source '{source.name}': {dropped} codings that assign text to a case (NVivo "
                "writes cases as codes): not imported as codes"
            )


def _users(root: etree._Element, not_mappable: list[str]) -> dict[str, str]:
    """``{guid: name}``; a user without a name (QualCoder refi.py parse_users meets them) is
    named by its id or GUID, so its codings keep a coder of their own. The tools key users by
    GUID, so two may share a name: merged, their disagreements would vanish from agreement, so
    the second is ``Name (2)`` and the report says so."""
    users: dict[str, str] = {}
    shared: dict[str, list[str]] = {}
    listed = [
        (
            _guid(user.get("guid")),
            (user.get("name") or "").strip() or (user.get("id") or "").strip(),
        )
        for user in root.iterfind("Users/User")
    ]
    # a file without Users (the schema allows it), or one that omits some, still names its
    # coders by GUID: each keeps a coder of its own instead of falling to the default
    known = {guid for guid, _ in listed}
    unlisted = [
        guid
        for element in root.iter()
        for attribute in ("creatingUser", "modifyingUser")
        if (guid := _guid(element.get(attribute))) and guid not in known
    ]
    unlisted = list(dict.fromkeys(unlisted))
    if unlisted:
        not_mappable.append(
            f"{len(unlisted)} users named by their guid, not listed in <Users>: kept as the "
            f"coders 'user <first 8 of the guid>' ({', '.join(unlisted)})"
        )
    for guid, name in listed + [(guid, "") for guid in unlisted]:
        if guid in users:
            continue
        name = name or f"user {guid[:8]}"
        same = shared.setdefault(name.casefold(), [])
        same.append(guid)
        users[guid] = name if len(same) == 1 else f"{name} ({len(same)})"
    for guids in shared.values():
        if len(guids) > 1:
            not_mappable.append(
                f"{len(guids)} users named '{users[guids[0]]}' with different guids "
                f"({', '.join(guids)}): kept as the coders "
                f"{', '.join(repr(users[g]) for g in guids)} (the file cannot tell whether "
                "they are one person)"
            )
    return users


def _without_case_codes(codes: list[RefiCode], cases: set[str]) -> list[RefiCode]:
    """The code tree without the codes that are cases: NVivo writes each case as a code too,
    with the case's GUID, and codes the case's text with it (QualCoder refi.py,
    clean_up_case_codes_and_case_text). Case membership is not coding; their codings are
    reported by ``_text_source``. A case-code's children move up to its place."""
    kept: list[RefiCode] = []
    for code in codes:
        code.children = _without_case_codes(code.children, cases)
        if code.guid in cases:
            kept.extend(code.children)
        else:
            kept.append(code)
    return kept


def _guid(value: str | None) -> str:
    return (value or "").strip().strip("{}").lower()


def _code(element: etree._Element) -> RefiCode:
    description = element.findtext("Description") or ""
    codable = (element.get("isCodable") or "true").strip().lower() not in ("false", "0")
    return RefiCode(
        guid=_guid(element.get("guid")),
        name=(element.get("name") or "").strip(),
        codable=codable,
        color=element.get("color"),
        description=description,
        children=[_code(child) for child in element.iterfind("Code")],
        notes=note_refs(element, _guid),
    )


def _text_source(
    element: etree._Element,
    name: str,
    files: _Files,
    variables: dict[str, str],
    not_mappable: list[str],
    path: Path,
) -> RefiTextSource:
    source = RefiTextSource(
        guid=_guid(element.get("guid")),
        name=name,
        text=None,
        notes=note_refs(element, _guid),
        description=(element.findtext("Description") or "").strip(),
        user_guid=_guid(element.get("creatingUser") or element.get("modifyingUser")) or None,
        created=element.get("creationDateTime") or element.get("modifiedDateTime"),
    )
    content = element.find("PlainTextContent")
    reference = element.get("plainTextPath")
    if content is not None and content.text is not None:
        source.text = content.text.lstrip("\ufeff")  # a BOM kept from a Notepad file
    elif reference:
        data = files.read(reference)
        if data is None:
            source.missing = f"its text file '{reference}' is not in {path.name} nor beside it"
        else:
            source.text = decode_source(data, f"{path}: {reference}")
    elif element.get("richTextPath"):
        rich = element.get("richTextPath") or ""
        source.text = _docx_text(files.read(rich))
        if source.text is None:
            source.missing = f"it has only rich text ('{rich}', not a readable .docx)"
        else:
            source.rich_text = rich
            not_mappable.append(
                f"source '{name}': its text read from the rich text '{rich}' (the file has no "
                "plain text); only selections whose name quotes their own words there are coded"
            )
    else:
        source.missing = "it has no text (neither PlainTextContent nor plainTextPath)"
    for selection in element.iterfind("PlainTextSelection"):
        try:
            start = int(selection.get("startPosition", ""))
            end = int(selection.get("endPosition", ""))
        except ValueError:
            not_mappable.append(
                f"source '{name}': selection {selection.get('guid')} has no valid "
                "startPosition/endPosition"
            )
            continue
        user = selection.get("creatingUser") or selection.get("modifyingUser")
        source.selections.append(
            RefiSelection(
                _guid(selection.get("guid")),
                start,
                end,
                _codings(selection),
                selection.get("name") or "",
                notes=note_refs(selection, _guid),
                description=(selection.findtext("Description") or "").strip(),
                user_guid=_guid(user) or None,
                created=selection.get("creationDateTime") or selection.get("modifiedDateTime"),
            )
        )
    whole = len(element.findall("Coding"))
    if whole:
        not_mappable.append(
            f"source '{name}': {whole} codings of the whole source (not of a selection) "
            "not imported"
        )
    source.variables.update(_values(element, variables))
    return source


def _docx_text(data: bytes | None) -> str | None:
    """A rich-text source's text as the tools render it plain: one paragraph a line. ``None``
    when it is not a .docx python-docx can open (RTF, or damaged)."""
    if data is None or not data.startswith(b"PK"):
        return None
    try:
        import io

        import docx

        document = docx.Document(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - python-docx raises many kinds for a bad file
        return None
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


def _codings(selection: etree._Element) -> list[RefiCoding]:
    """A selection's codings. Who and when fall back from the coding to its selection, and
    from ``creatingUser``/``creationDateTime`` to ``modifyingUser``/``modifiedDateTime``,
    which some exports give alone (QualCoder refi.py, load_codings_for_text)."""

    def first(*values: str | None) -> str | None:
        return next((value for value in values if value), None)

    found = []
    for coding in selection.iterfind("Coding"):
        ref = coding.find("CodeRef")
        if ref is None:
            continue
        user = first(
            coding.get("creatingUser"),
            coding.get("modifyingUser"),
            selection.get("creatingUser"),
            selection.get("modifyingUser"),
        )
        created = first(
            coding.get("creationDateTime"),
            coding.get("modifiedDateTime"),
            selection.get("creationDateTime"),
            selection.get("modifiedDateTime"),
        )
        notes = tuple(_guid(note.get("targetGUID")) for note in coding.iterfind("NoteRef"))
        found.append(RefiCoding(_guid(ref.get("targetGUID")), _guid(user) or None, created, notes))
    return found


def _values(element: etree._Element, variables: dict[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in element.iterfind("VariableValue"):
        ref = value.find("VariableRef")
        if ref is None:
            continue
        name = variables.get(_guid(ref.get("targetGUID")))
        cells = [child for child in value if child.tag != "VariableRef"]
        if name and cells and cells[0].text is not None:
            found[name] = cells[0].text.strip()
    return found


def _case_variables(
    root: etree._Element,
    variables: dict[str, str],
    sources: list[RefiTextSource],
    not_mappable: list[str],
) -> None:
    """NVivo and others keep attributes on cases that name their sources: give each source
    the values of the cases it belongs to (its own values win). A source in two cases (a joint
    interview) may get two values of one variable: the first case's is kept, the other
    listed. A case holding only parts of sources (``SelectionRef``) has no transcript to
    carry its values, so it is listed."""
    by_guid = {source.guid: source for source in sources}
    own = {source.guid: dict(source.variables) for source in sources}
    given: dict[tuple[str, str], tuple[str, str]] = {}  # (source, variable) -> (value, case)
    for case in root.iterfind("Cases/Case"):
        case_name = case.get("name") or _guid(case.get("guid"))
        values = _values(case, variables)
        for ref in case.iterfind("SourceRef"):
            source = by_guid.get(_guid(ref.get("targetGUID")))
            if source is None:
                continue
            for name, value in values.items():
                if name in own[source.guid]:
                    continue
                first = given.setdefault((source.guid, name), (value, case_name))
                if first[0] != value:
                    not_mappable.append(
                        f"source '{source.name}': variable '{name}' is '{first[0]}' in case "
                        f"'{first[1]}' and '{value}' in case '{case_name}'; the first is kept"
                    )
                else:
                    source.variables[name] = value
        parts = len(case.findall("SelectionRef"))
        if parts:
            not_mappable.append(
                f"case '{case_name}': {parts} selections (parts of sources) in the case: its "
                "variables are not given to them (metadata is kept per transcript)"
            )
