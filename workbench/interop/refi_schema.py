"""The REFI-QDA namespace and schema check, shared by the exporter and the tests.

Only the standard's namespace is ever written; the importer also reads the ones real tools
put out (see ``refi_read.ACCEPTED_NAMESPACES``).
"""

from __future__ import annotations

import uuid
from functools import lru_cache
from pathlib import Path

from lxml import etree

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
SCHEMA_DIR = Path(__file__).parent / "schemas"


@lru_cache(maxsize=1)
def _project_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "Project.xsd")))


@lru_cache(maxsize=1)
def _codebook_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "Codebook.xsd")))


def schema_errors(document: bytes, codebook: bool = False) -> list[str]:
    """Every way ``document`` breaks ``Project.xsd`` (or ``Codebook.xsd`` for a ``.qdc``), as
    ``line N: message``; empty when valid."""
    schema = _codebook_schema() if codebook else _project_schema()
    tree = etree.fromstring(document, etree.XMLParser(resolve_entities=False, no_network=True))
    if schema.validate(tree):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]


class GuidMaker:
    """GUIDs derived from the project's identity and each element's own id (uuid5), so that
    exporting the same project twice gives the same file, and another tool that re-imports it
    can recognise its elements."""

    def __init__(self, identity: str):
        self._namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"workbench-project:{identity}")

    def __call__(self, kind: str, key: object) -> str:
        return str(uuid.uuid5(self._namespace, f"{kind}:{key}"))
