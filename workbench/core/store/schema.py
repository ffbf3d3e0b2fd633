"""The project database schema (SQLAlchemy Core), one definition for SQLite and PostgreSQL.

Two kinds of tables: the record of what happened (``decisions`` and ``audit_log`` are
append-only, enforced by triggers on SQLite) and the current state derived from it
(``codings``, ``reviews``), kept in step inside the same transaction so that readers never
replay the log.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# 2: engines are coders (kind "engine", one per engine and model) and each suggestion run names
#    the engine coder it codes as; the old kind "llm" is gone (see ``migrations``).
# 3: decisions and the audit log carry a hash chain (``prev_hash``, ``row_hash``; see ``chain``)
#    and SQLite refuses INSERT OR REPLACE over an existing row.
# 4: codebook migrations: ``archived_codings`` (codings of deleted or split codes, restorable)
#    and ``review_flags`` (passages a coder must look at again after a split).
# 5: ``suggestions.model_snapshot``: the model snapshot the API reported for each suggestion.
# 6: full-text search over passages (SQLite FTS5, ``passage_fts``; see ``sqlite_search_index``).
# 7: ``decisions.arm``: the anchoring experiment's arm of each decision (NULL when it is off).
# 8: spans: ``decisions.span_start/span_end`` and ``coded_spans`` (coding a selection inside a
#    passage); ``decisions.translation_shown`` and ``passage_translations`` (machine translation).
SCHEMA_VERSION = 8

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

transcripts = Table(
    "transcripts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("external_id", String(255), nullable=False, unique=True),
    Column("source_name", String(512), nullable=False),
    Column("source_format", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("content_hash", String(64), nullable=False, index=True),
    Column("has_speakers", Boolean, nullable=False),
    Column("local_only", Boolean, nullable=False, default=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
)

# A passage's text is not stored twice: it is ``transcripts.text[start:end]``, which keeps the
# offsets honest (they are the only way to the text) and halves the size of a project.
passages = Table(
    "passages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("transcript_id", Integer, ForeignKey("transcripts.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("speaker", String(255)),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("coded", Boolean, nullable=False),
    UniqueConstraint("transcript_id", "position", name="uq_passage_position"),
)

# Metadata is keyed by the transcript's external id, not its row: a metadata file may arrive
# before or after the transcripts it describes.
transcript_metadata = Table(
    "transcript_metadata",
    metadata,
    Column("external_id", String(255), primary_key=True),
    Column("field", String(255), primary_key=True),
    Column("value", Text, nullable=False),
    Index("ix_metadata_field_value", "field", "value"),
)

codebook_versions = Table(
    "codebook_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version", Integer, nullable=False),
    Column("name", String(255), nullable=False),
    Column("source_text", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("added_by", String(255)),
)

codes = Table(
    "codes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("codebook_version_id", Integer, ForeignKey("codebook_versions.id"), nullable=False),
    Column("code_id", String(255), nullable=False),
    Column("parent_code_id", String(255)),
    Column("name", String(255), nullable=False),
    Column("definition", Text, nullable=False),
    Column("display_order", Integer, nullable=False),
    UniqueConstraint("codebook_version_id", "code_id", name="uq_code_per_version"),
)

coders = Table(
    "coders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # CoderKind: human, engine or consensus
    Column("created_at", DateTime(timezone=True), nullable=False),
)

suggestions = Table(
    "suggestions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("passage_id", Integer, ForeignKey("passages.id"), nullable=False, index=True),
    Column("code_id", String(255), nullable=False),
    Column("codebook_version", Integer, nullable=False),
    Column("engine", String(64), nullable=False),
    Column("model", String(128), nullable=False),
    Column("prompt_version", String(64), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("evidence", Text),
    Column("evidence_start", Integer),
    Column("evidence_end", Integer),
    Column("evidence_found", Boolean, nullable=False, default=True),
    Column("rationale", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # The model the API reports it ran (``message.model``), beside the alias asked for (schema 4).
    Column("model_snapshot", String(128)),
)

# Which passages an engine has already looked at (with or without suggesting anything): the
# cache key that keeps the same passage, codebook version, model and prompt from being sent twice.
# ``coder_id`` is the engine coder the run codes as: one per engine and model, however often the
# engine retrains or its prompt changes, so that agreement counts one rater per engine. Its
# coding of a passage is the suggestion set of its latest run there.
suggestion_runs = Table(
    "suggestion_runs",
    metadata,
    Column("passage_id", Integer, ForeignKey("passages.id"), primary_key=True),
    Column("codebook_version", Integer, primary_key=True),
    Column("engine", String(64), primary_key=True),
    Column("model", String(128), primary_key=True),
    Column("prompt_version", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("coder_id", Integer, ForeignKey("coders.id")),
    Index("ix_suggestion_runs_coder", "coder_id", "passage_id"),
)

# Every request sent to a language model, with the tokens the API reported: spend is a sum here.
llm_requests = Table(
    "llm_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("engine", String(64), nullable=False),
    Column("model", String(128), nullable=False),
    Column("passages", Integer, nullable=False),
    Column("input_tokens", Integer, nullable=False),
    Column("cache_creation_input_tokens", Integer, nullable=False),
    Column("cache_read_input_tokens", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    Column("cost_usd", Float, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("error", Text),
    Column("batch_id", String(128)),
)

# Message Batches submitted and not yet (or already) collected: a restart resumes from here.
llm_batches = Table(
    "llm_batches",
    metadata,
    Column("batch_id", String(128), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("model", String(128), nullable=False),
    Column("codebook_version", Integer, nullable=False),
    Column("prompt_version", String(64), nullable=False),
    Column("options", Text, nullable=False),  # JSON: redaction and the like, to parse results alike
    Column("requests", Text, nullable=False),  # JSON: custom_id -> passage ids
    Column("status", String(32), nullable=False),
    Column("collected_at", DateTime(timezone=True)),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("passage_id", Integer, ForeignKey("passages.id"), nullable=False),
    Column("coder_id", Integer, ForeignKey("coders.id"), nullable=False),
    Column("action", String(16), nullable=False),  # DecisionAction
    Column("code_id", String(255)),
    Column("suggestion_id", Integer, ForeignKey("suggestions.id")),
    Column("codebook_version", Integer),
    Column("reverts_id", Integer, ForeignKey("decisions.id")),
    Column("reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Filled by ``chain.append_chained``; nullable only because ALTER TABLE adds them (schema 3).
    Column("prev_hash", String(64)),
    Column("row_hash", String(64)),
    # The anchoring experiment's arm ("before" / "after"), NULL when it is off (schema 7).
    Column("arm", String(8)),
    # A code applied to (or removed from) a selection inside the passage: character offsets
    # into the transcript's text, start inclusive, end exclusive, inside the passage's own
    # bounds. NULL for a decision about the whole passage (schema 8).
    Column("span_start", Integer),
    Column("span_end", Integer),
    # Whether the coder had the passage's machine translation on screen when deciding; NULL
    # when no translation existed or the decision predates schema 8.
    Column("translation_shown", Boolean),
    Index("ix_decisions_passage_coder", "passage_id", "coder_id"),
)

codings = Table(
    "codings",
    metadata,
    Column("passage_id", Integer, ForeignKey("passages.id"), primary_key=True),
    Column("coder_id", Integer, ForeignKey("coders.id"), primary_key=True),
    Column("code_id", String(255), primary_key=True),
    Column("decision_id", Integer, ForeignKey("decisions.id"), nullable=False),
    Index("ix_codings_coder_code", "coder_id", "code_id"),
)

# The selections a coder coded inside passages (schema 8): current state, rebuilt from the
# decision log like ``codings``. A span also codes its passage (a ``codings`` row), so
# passage-level agreement is unchanged; unitizing agreement and REFI-QDA export read these.
coded_spans = Table(
    "coded_spans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("passage_id", Integer, ForeignKey("passages.id"), nullable=False),
    Column("coder_id", Integer, ForeignKey("coders.id"), nullable=False),
    Column("code_id", String(255), nullable=False),
    Column("start", Integer, nullable=False),  # offset into the transcript text, inclusive
    Column("end", Integer, nullable=False),  # exclusive
    Column("decision_id", Integer, ForeignKey("decisions.id"), nullable=False),
    UniqueConstraint("passage_id", "coder_id", "code_id", "start", "end", name="uq_coded_spans"),
    Index("ix_coded_spans_coder_code", "coder_id", "code_id"),
)

# Machine translations of passages (schema 8), so a coder can read a transcript in a language
# they do not read. Marked by engine and model; the coder still codes the original.
passage_translations = Table(
    "passage_translations",
    metadata,
    Column("passage_id", Integer, ForeignKey("passages.id"), primary_key=True),
    Column("target_language", String(16), primary_key=True),  # BCP 47, e.g. "en"
    Column("source_language", String(16)),  # as detected or declared; NULL when unknown
    Column("text", Text, nullable=False),
    Column("engine", String(64), nullable=False),
    Column("model", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

reviews = Table(
    "reviews",
    metadata,
    Column("passage_id", Integer, ForeignKey("passages.id"), primary_key=True),
    Column("coder_id", Integer, ForeignKey("coders.id"), primary_key=True),
    Column("decision_id", Integer, ForeignKey("decisions.id"), nullable=False),
    Index("ix_reviews_coder", "coder_id"),
)

memos = Table(
    "memos",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("passage_id", Integer, ForeignKey("passages.id"), index=True),
    Column("transcript_id", Integer, ForeignKey("transcripts.id")),
    Column("coder_id", Integer, ForeignKey("coders.id"), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # A memo about a selection inside the passage: transcript offsets as in ``coded_spans``
    # (schema 8); NULL for a memo on the whole passage or transcript.
    Column("span_start", Integer),
    Column("span_end", Integer),
)

# Codings a codebook migration took away (a deleted code, a split one): the removing decision is
# in the log; this is the list a lead reads and restores from. ``restored_by`` names the decision
# that put one back.
archived_codings = Table(
    "archived_codings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("passage_id", Integer, ForeignKey("passages.id"), nullable=False),
    Column("coder_id", Integer, ForeignKey("coders.id"), nullable=False),
    Column("code_id", String(255), nullable=False),
    Column("from_version", Integer, nullable=False),
    Column("to_version", Integer, nullable=False),
    Column("why", String(16), nullable=False),  # "deleted" or "split"
    Column("decision_id", Integer, ForeignKey("decisions.id"), nullable=False),
    Column("restored_by", Integer, ForeignKey("decisions.id")),
    Index("ix_archived_codings_code", "code_id"),
)

# A passage a coder must code again: its code was split, and which part applies is theirs to say.
review_flags = Table(
    "review_flags",
    metadata,
    Column("passage_id", Integer, ForeignKey("passages.id"), primary_key=True),
    Column("coder_id", Integer, ForeignKey("coders.id"), primary_key=True),
    Column("code_id", String(255), primary_key=True),  # the old code that was split
    Column("candidates", Text, nullable=False),  # the codes it was split into, comma-separated
    Column("to_version", Integer, nullable=False),
    Column("flagged_at", DateTime(timezone=True), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(255), nullable=False),
    Column("action", String(64), nullable=False),
    Column("detail", Text, nullable=False),  # JSON
    Column("prev_hash", String(64)),
    Column("row_hash", String(64)),
)

APPEND_ONLY_TABLES = ("decisions", "audit_log")


def sqlite_append_only_triggers() -> list[str]:
    """SQL that makes the log tables refuse UPDATE, DELETE and a REPLACE over a row (SQLite).

    ``INSERT OR REPLACE`` deletes the old row without firing the delete trigger (SQLite fires
    it only with recursive triggers on), so an insert naming an id that exists is refused.
    """
    statements = []
    for table in APPEND_ONLY_TABLES:
        for verb in ("UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
        statements.append(
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: row exists'); END"
        )
    return statements


def sqlite_append_only_trigger_names() -> list[str]:
    """The triggers ``sqlite_append_only_triggers`` creates: ``verify`` checks each is there."""
    return [
        f"{table}_no_{verb}"
        for table in APPEND_ONLY_TABLES
        for verb in ("update", "delete", "replace")
    ]


# PostgreSQL: the same rules, enforced by the server. One function refuses any change; the
# no-replace trigger names the row, where the primary key alone would say only "duplicate key".
# TRUNCATE skips row triggers, so it has a statement trigger of its own.
_PG_FUNCTIONS = (
    """
CREATE OR REPLACE FUNCTION workbench_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$""",
    """
CREATE OR REPLACE FUNCTION workbench_no_replace() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  found boolean;
BEGIN
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE id = $1)', TG_TABLE_NAME)
    INTO found USING NEW.id;
  IF found THEN
    RAISE EXCEPTION '% is append-only: row % exists', TG_TABLE_NAME, NEW.id
      USING ERRCODE = 'unique_violation';
  END IF;
  RETURN NEW;
END
$$""",
)


def _pg_triggers() -> dict[str, str]:
    """Trigger name -> the statement that creates it (PostgreSQL)."""
    triggers = {}
    for table in APPEND_ONLY_TABLES:
        for verb in ("UPDATE", "DELETE"):
            triggers[f"{table}_no_{verb.lower()}"] = (
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION workbench_append_only()"
            )
        triggers[f"{table}_no_truncate"] = (
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION workbench_append_only()"
        )
        triggers[f"{table}_no_replace"] = (
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION workbench_no_replace()"
        )
    return triggers


def append_only_trigger_names(dialect: str) -> list[str]:
    """The append-only triggers a project on ``dialect`` must have: ``verify`` checks each."""
    if dialect == "postgresql":
        return list(_pg_triggers())
    return sqlite_append_only_trigger_names()


def postgres_append_only_statements(missing: list[str] | None = None) -> list[str]:
    """SQL that gives a PostgreSQL project its append-only rules (``missing``: only those
    triggers), and takes UPDATE, DELETE and TRUNCATE on the log tables from PUBLIC.

    The functions are replaced, never dropped, so running this again is harmless.
    """
    triggers = _pg_triggers()
    names = list(triggers) if missing is None else missing
    revoke = [
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC" for table in APPEND_ONLY_TABLES
    ]
    return [*(f.strip() for f in _PG_FUNCTIONS), *(triggers[n] for n in names), *revoke]


# The full-text index of passages (SQLite). The passage text lives only in ``transcripts.text``,
# so the index is an external-content FTS5 table over a view that cuts each passage out of its
# transcript: the project stores the index, never a second copy of the text, and ``snippet()``
# still reads the text through the view. Passages are never deleted or moved, so the index is
# kept in step by inserting each imported passage once (``importing``).
SEARCH_INDEX = "passage_fts"
SEARCH_VIEW = "passage_text"


def sqlite_search_index() -> list[str]:
    """SQL that creates the passage text view and its FTS5 index (empty: fill with rebuild)."""
    return [
        f"CREATE VIEW IF NOT EXISTS {SEARCH_VIEW} AS "
        'SELECT p.id AS id, substr(t.text, p.start + 1, p."end" - p.start) AS text '
        "FROM passages p JOIN transcripts t ON t.id = p.transcript_id",
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {SEARCH_INDEX} USING fts5("
        f"text, content='{SEARCH_VIEW}', content_rowid='id', columnsize=0, "
        "tokenize='unicode61 remove_diacritics 2')",
    ]


# The full-text index of passages (PostgreSQL). As on SQLite the text stays in
# ``transcripts.text``: the table holds only each passage's ``tsvector``, with a GIN index.
# The vector is built from the passage's words as ``search_query.index_words`` folds them (case and
# accents, like SQLite's unicode61 tokenizer) under the 'simple' configuration (no stemming, no
# stop words: the corpus has 70 languages), so both backends find the same passages.
SERVER_SEARCH_INDEX = "passage_search"


def server_search_index() -> list[str]:
    """SQL that creates the PostgreSQL passage index (empty: ``importing`` fills it)."""
    return [
        f"CREATE TABLE IF NOT EXISTS {SERVER_SEARCH_INDEX} ("
        "passage_id INTEGER PRIMARY KEY REFERENCES passages(id), document TSVECTOR NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS ix_{SERVER_SEARCH_INDEX}_document "
        f"ON {SERVER_SEARCH_INDEX} USING gin (document)",
    ]
