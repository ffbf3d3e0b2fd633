"""One code tree, one set of code ids: a REFI-QDA code book (``.qdc``) and a REFI-QDA project
(``.qdpx``) of the same tree name its new codes alike, so a lead who reads the codebook from one
and the codings from the other gets codings that line up; and neither import renames a code the
project's codebook already has."""

from __future__ import annotations

import pytest
import yaml

from tests.test_refi_vendors import (
    ANA,
    OTHER_E,
    OTHER_T,
    TEXT,
    TREE,
    _at,
    _coded,
    _coding,
    _project,
    _qdpx,
    _selection,
    _set,
    _text,
)
from workbench.core.codebook import parse_codebook
from workbench.core.store import Project
from workbench.interop.refi_codebook import qdc_document, qdc_to_yaml
from workbench.interop.refi_import import import_refi
from workbench.interop.refi_schema import CODEBOOK_NS

pytestmark = pytest.mark.backends


def _vendor_files(tmp_path):  # type: ignore[no-untyped-def]
    """The same tree as a tool's ``.qdc`` and as its ``.qdpx``, where Ana coded each Other."""
    qdc = tmp_path / "book.qdc"
    qdc.write_text(
        f'<?xml version="1.0" encoding="utf-8"?>\n<CodeBook xmlns="{CODEBOOK_NS}" '
        f'origin="MAXQDA 24"><Codes>{TREE}</Codes><Sets>{_set("guid")}</Sets></CodeBook>',
        encoding="utf-8",
    )
    inner = _selection(1, *_at(TEXT, "Slowly"), _coding(1, OTHER_E, creatingUser=ANA))
    inner += _selection(2, *_at(TEXT, "fear for"), _coding(2, OTHER_T, creatingUser=ANA))
    qdpx = _qdpx(tmp_path / "vendor", _project(_text("T.txt", inner), codes=TREE))
    return qdc, qdpx


CODED = {
    ("Slowly, with drafts.", "Ana"): {"emotions.other"},
    ("I fear for the craft.", "Ana"): {"topics.other"},
}


def test_qdc_and_qdpx_of_one_tree_give_the_same_ids(tmp_path, project_location):
    qdc, qdpx = _vendor_files(tmp_path)
    from_qdc = parse_codebook(qdc_to_yaml(qdc))
    with Project.create(project_location) as project:
        import_refi(project, qdpx)
        assert project.codebook.ids == from_qdc.ids
        assert project.codebook.ids == [
            "emotions",
            "fear",
            "emotions.other",
            "topics",
            "topics.other",
        ]
        assert _coded(project) == CODED


def test_codings_from_the_qdpx_land_on_the_codebook_read_from_the_qdc(tmp_path, project_location):
    """The lead's order of work: the codebook from the ``.qdc`` first, the codings later."""
    qdc, qdpx = _vendor_files(tmp_path)
    with Project.create(project_location, codebook=parse_codebook(qdc_to_yaml(qdc))) as project:
        before = project.codebook.ids
        import_refi(project, qdpx)
        assert project.codebook.ids == before  # nothing added, nothing renamed
        assert _coded(project) == CODED


def test_a_reimport_does_not_rename_codes_the_project_has(tmp_path, project_location):
    """A project whose codebook came from a ``.qdc`` before ids named the parent holds
    ``other`` and ``other-2``: an import of the same tree matches them by path and keeps them."""
    _qdc, qdpx = _vendor_files(tmp_path)
    old = {
        "name": "Old import",
        "version": 1,
        "codes": [
            {
                "id": "emotions",
                "name": "Emotions",
                "definition": "Feelings.",
                "children": [
                    {"id": "fear", "name": "Fear", "definition": "Fear."},
                    {"id": "other", "name": "Other", "definition": "Other feelings."},
                ],
            },
            {
                "id": "topics",
                "name": "Topics",
                "definition": "Topics.",
                "children": [
                    {"id": "other-2", "name": "Other", "definition": "Other topics."},
                ],
            },
        ],
    }
    codebook = parse_codebook(yaml.safe_dump(old, sort_keys=False))
    with Project.create(project_location, codebook=codebook) as project:
        import_refi(project, qdpx)
        assert project.codebook.ids == ["emotions", "fear", "other", "topics", "other-2"]
        assert project.codebook.get("other").definition == "Other feelings."
        assert _coded(project) == {
            ("Slowly, with drafts.", "Ana"): {"other"},
            ("I fear for the craft.", "Ana"): {"other-2"},
        }


@pytest.mark.parametrize("second", ["other-2", "topics.other", "misc"])
def test_the_workbench_qdc_keeps_its_own_ids(tmp_path, second):
    """The workbench's own ``.qdc`` comes back with the ids it wrote, even where the rule for
    a tool's codes would give others (``other-2`` would be ``topics.other``)."""
    book = {
        "name": "Own",
        "version": 4,
        "codes": [
            {
                "id": "emotions",
                "name": "Emotions",
                "definition": "Feelings.",
                "children": [
                    {"id": "other", "name": "Other", "definition": "Other feelings."},
                ],
            },
            {
                "id": "topics",
                "name": "Topics",
                "definition": "Topics.",
                "children": [
                    {"id": second, "name": "Other", "definition": "Other topics."},
                ],
            },
        ],
    }
    codebook = parse_codebook(yaml.safe_dump(book, sort_keys=False))
    path = tmp_path / "own.qdc"
    path.write_bytes(qdc_document(codebook))
    back = parse_codebook(qdc_to_yaml(path))
    assert (back.name, back.version, back.ids) == ("Own", 4, codebook.ids)
