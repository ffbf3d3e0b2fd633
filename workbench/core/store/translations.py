"""Machine translations of passages, and each transcript's language, as the project keeps them.

A translation is the engine's record, marked with its engine and model, so a coder (and a
reader of the data) always knows the words on screen were a machine's. The language of a
transcript is ordinary metadata (field ``language``): declared in a metadata file, guessed
offline, or set by a lead, and agreement can be split by it like by any other field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select, tuple_

from workbench.core.clock import utc_now
from workbench.core.store import schema
from workbench.core.store.importing import upsert_metadata

LANGUAGE_FIELD = "language"
_CHUNK = 500


@dataclass(frozen=True)
class StoredTranslation:
    passage_id: int
    target_language: str
    source_language: str | None
    text: str
    engine: str
    model: str


def save_translations(conn: Connection, rows: Sequence[StoredTranslation]) -> int:
    """Store translations, replacing an earlier one of the same passage into the same language."""
    table = schema.passage_translations
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        conn.execute(
            delete(table).where(
                tuple_(table.c.passage_id, table.c.target_language).in_(
                    [(r.passage_id, r.target_language) for r in chunk]
                )
            )
        )
    if rows:
        now = utc_now()
        conn.execute(
            table.insert(),
            [
                {
                    "passage_id": r.passage_id,
                    "target_language": r.target_language,
                    "source_language": r.source_language,
                    "text": r.text,
                    "engine": r.engine,
                    "model": r.model,
                    "created_at": now,
                }
                for r in rows
            ],
        )
    return len(rows)


def translations_for(
    conn: Connection, passage_ids: Iterable[int], target_language: str
) -> dict[int, StoredTranslation]:
    """The stored translations of these passages into ``target_language``, by passage id."""
    table = schema.passage_translations
    ids = list(passage_ids)
    found: dict[int, StoredTranslation] = {}
    for start in range(0, len(ids), _CHUNK):
        query = select(table).where(
            table.c.passage_id.in_(ids[start : start + _CHUNK]),
            table.c.target_language == target_language,
        )
        for row in conn.execute(query):
            found[row.passage_id] = StoredTranslation(
                row.passage_id,
                row.target_language,
                row.source_language,
                row.text,
                row.engine,
                row.model,
            )
    return found


def translated_languages(conn: Connection, passage_ids: Iterable[int]) -> list[str]:
    """The languages some of these passages have a translation into (for the app's choice)."""
    table = schema.passage_translations
    ids = list(passage_ids)
    languages: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        languages.update(
            conn.execute(
                select(table.c.target_language)
                .where(table.c.passage_id.in_(ids[start : start + _CHUNK]))
                .distinct()
            ).scalars()
        )
    return sorted(languages)


def transcript_languages(conn: Connection) -> dict[str, str]:
    """Each transcript's language (external id -> tag), where one is known."""
    m = schema.transcript_metadata
    return dict(
        conn.execute(select(m.c.external_id, m.c.value).where(m.c.field == LANGUAGE_FIELD)).all()
    )


def set_transcript_languages(conn: Connection, languages: dict[str, str]) -> int:
    """Store languages as the transcripts' ``language`` metadata (replacing what was there)."""
    return upsert_metadata(conn, {tid: {LANGUAGE_FIELD: tag} for tid, tag in languages.items()})


def read_in_translation(conn: Connection, passage_ids: Sequence[int]) -> set[tuple[int, str]]:
    """(passage id, coder name) where the coder decided on the passage with its translation shown.

    One decision made with the translation on screen is enough: that coder read the passage
    in translation, whatever they did before or after.
    """
    d, c = schema.decisions, schema.coders
    found: set[tuple[int, str]] = set()
    for start in range(0, len(passage_ids), _CHUNK):
        query = (
            select(d.c.passage_id, c.c.name)
            .join(c, c.c.id == d.c.coder_id)
            .where(
                d.c.passage_id.in_(list(passage_ids[start : start + _CHUNK])),
                d.c.translation_shown.is_(True),
            )
            .distinct()
        )
        found.update((int(pid), str(name)) for pid, name in conn.execute(query))
    return found
