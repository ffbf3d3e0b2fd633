"""A codebook alone as a REFI-QDA ``.qdc`` file, out and in.

A ``.qdc`` is how NVivo, ATLAS.ti, MAXQDA and QualCoder exchange a code tree without a project.
Out: a ``<CodeBook>`` in the codebook namespace, checked against ``Codebook.xsd`` before it is
written, each code's definition, rules and examples folded into its description as the project
export does, and ends with the code's id; the ``origin`` names the codebook and its version.
In: the code tree becomes a YAML codebook that ``codebook check`` accepts: ids are given as a
project import gives them (``refi_codebook_merge.new_code_id``), descriptions become
definitions, and descriptions we folded are unfolded back into rules and examples. A file the
workbench wrote keeps its ids, name and version. A whole project (``.qdpx``/``.qde``) is read
too, for its code tree only.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from lxml import etree

from workbench import __version__
from workbench.core.codebook import Code, Codebook, check_codebook_text
from workbench.core.errors import CodebookError
from workbench.core.safe_output import atomic_output, check_output_path
from workbench.interop.refi_codebook_merge import _new_code
from workbench.interop.refi_codes import repeated_names
from workbench.interop.refi_export import _xml_safe
from workbench.interop.refi_provenance import codebook_label, parse_codebook_label
from workbench.interop.refi_read import (
    NAMESPACE_PREFIX,
    RefiCode,
    RefiError,
    RefiProject,
    _code,
    _guid,
    _local,
    _strip_namespaces,
    read_refi,
)
from workbench.interop.refi_schema import CODEBOOK_NS, GuidMaker, schema_errors
from workbench.interop.refi_text import fold_description

MAX_QDC_BYTES = 200_000_000  # a code book of that size is not a code book


def qdc_document(codebook: Codebook) -> bytes:
    """The ``.qdc`` bytes; GUIDs follow the codebook's name and code ids, so a re-export of an
    unchanged codebook gives the same file and another tool can match its codes again."""
    guid = GuidMaker(f"codebook:{codebook.name}")
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS})
    root.set(
        "origin", f"workbench {__version__}; {codebook_label(codebook.name, codebook.version)}"
    )
    codes = etree.SubElement(root, f"{{{CODEBOOK_NS}}}Codes")

    def add(parent: etree._Element, code: Code) -> None:
        element = etree.SubElement(parent, f"{{{CODEBOOK_NS}}}Code")
        element.set("guid", guid("code", code.id))
        element.set("name", _xml_safe(code.name))
        element.set("isCodable", "true")
        if code.color:
            element.set("color", code.color)
        description = etree.SubElement(element, f"{{{CODEBOOK_NS}}}Description")
        description.text = _xml_safe(
            fold_description(code.definition, code.include, code.exclude, code.examples, code.id)
        )
        for child in code.children:
            add(element, child)

    for code in codebook.codes:
        add(codes, code)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def write_qdc(codebook: Codebook, out: str | Path) -> None:
    check_output_path(out)
    document = qdc_document(codebook)
    problems = schema_errors(document, codebook=True)
    if problems:  # a bug of ours, never the user's data: refuse rather than hand it out
        raise RefiError(
            f"{out}: the .qdc does not validate against Codebook.xsd ({problems[0]}); "
            "nothing was written, please report this"
        )
    with atomic_output(out, "wb") as handle:
        handle.write(document)


def read_qdc(
    path: str | Path,
) -> tuple[str, list[RefiCode], list[tuple[str, list[str]]], int]:
    """The name, code tree, code groups (sets) and version of a ``.qdc``, or of a project's
    code book; name and version are the codebook's own where the workbench wrote the file."""
    path = Path(path)
    if path.suffix.lower() in (".qdpx", ".qde"):
        project: RefiProject = read_refi(path)
        label = parse_codebook_label(project.description)
        name, version = label or (project.name, 1)
        return name, project.codes, project.code_groups, version
    try:
        if path.stat().st_size > MAX_QDC_BYTES:
            raise RefiError(f"{path}: larger than 200 MB; not a code book")
        data = path.read_bytes()
    except OSError as exc:
        raise RefiError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise RefiError(f"{path}: line {exc.lineno}: not well-formed XML: {exc.msg}") from exc
    namespace = etree.QName(root).namespace
    if namespace is not None and not namespace.startswith(NAMESPACE_PREFIX):
        raise RefiError(
            f"{path}: the root element is in namespace '{namespace}', not a REFI-QDA one "
            f"(expected {CODEBOOK_NS})"
        )
    if _local(root) != "CodeBook":
        raise RefiError(f"{path}: the root element is <{_local(root)}>, expected <CodeBook>")
    _strip_namespaces(root)
    codes = [_code(element) for element in root.iterfind("Codes/Code")]
    if not codes:
        raise RefiError(f"{path}: line {root.sourceline}: the code book has no <Codes>/<Code>")
    groups = []
    for element in root.iterfind("Sets/Set"):
        members = [_guid(m.get("guid") or m.get("targetGUID")) for m in element.iter("MemberCode")]
        groups.append((element.get("name") or "(unnamed set)", members))
    label = parse_codebook_label(root.get("origin") or "")
    name, version = label or (path.stem, 1)
    return name, codes, groups, version


def qdc_to_yaml(path: str | Path) -> str:
    """YAML text of the code book in ``path``, already checked like any codebook."""
    name, codes, groups, version = read_qdc(path)
    holder = RefiProject(str(path), name, {}, codes, groups, [], [])
    taken: set[str] = set()
    ids: dict[str, str] = {}
    repeated = repeated_names(codes)  # as a project import names them: emotions.other

    def convert(code: RefiCode, parent_id: str | None) -> dict[str, object]:
        item = _new_code(code, holder, taken, parent_id, repeated)
        ids[code.guid] = str(item["id"])
        if code.children:
            item["children"] = [convert(child, str(item["id"])) for child in code.children]
        return item

    tree = [convert(code, None) for code in codes]
    description = f"Imported from {Path(path).name} (REFI-QDA)."
    lines = [
        f"- {set_name}: {', '.join(ids[g] for g in members if g in ids)}"
        for set_name, members in groups
    ]
    if lines:
        description += "\nCode groups (REFI-QDA sets):\n" + "\n".join(lines)
    data = {"name": name or "REFI-QDA codebook", "version": version, "description": description}
    data["codes"] = tree
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    codebook, problems = check_codebook_text(text, f"{path} (code book)")
    if codebook is None:
        raise CodebookError(problems)
    return text
