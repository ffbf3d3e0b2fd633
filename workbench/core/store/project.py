"""A project: one database holding transcripts, passages, the codebook's versions and decisions.

``Project`` is the single entry point the CLI, the GUI and analysts use. It owns the engine and
the project settings; the work on each part lives in its own module (importing, coding,
queries), which take a connection so that callers can group operations into one transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from sqlalchemy import Connection, Engine, func, inspect, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from workbench import __version__
from workbench.core.clock import utc_now
from workbench.core.codebook import Codebook, parse_codebook
from workbench.core.errors import ProjectError
from workbench.core.segmenter import Segmentation
from workbench.core.speaker_labels import (
    INTERVIEWER_LABELS,
    Role,
    close_interviewer_word,
    normalize_label,
)
from workbench.core.store import schema
from workbench.core.store.audit import append_audit
from workbench.core.store.codebook_changes import coded_codes_missing_from, list_review_flags
from workbench.core.store.database import (
    begin_writing,
    is_url,
    make_engine,
    pending_wal_hint,
    shown_location,
    unwritable_reason,
)
from workbench.core.store.integrity import damaged_message, is_damage, open_warnings
from workbench.core.store.migrations import migrate
from workbench.core.store.notify import announce
from workbench.core.store.server_rules import install_server_rules, restore_server_rules
from workbench.core.store.server_search import create_server_index
from workbench.core.store.speaker_roles import reflag_coded_passages

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProjectSettings:
    """Choices a lead makes for the whole project."""

    segmentation: Segmentation = Segmentation.TURN
    context_speakers: tuple[str, ...] = tuple(sorted(INTERVIEWER_LABELS))
    blind_coding: bool = True
    suggestions_after_first_pass: bool = False
    extra: dict[str, object] = field(default_factory=dict)
    # The lead's word on single labels, exact label -> "interviewer" or "participant"; it wins
    # over ``context_speakers``, which matches the role words every transcript may spell.
    speaker_roles: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "segmentation": self.segmentation.value,
                "context_speakers": list(self.context_speakers),
                "blind_coding": self.blind_coding,
                "suggestions_after_first_pass": self.suggestions_after_first_pass,
                "extra": self.extra,
                "speaker_roles": self.speaker_roles,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, raw: str) -> ProjectSettings:
        data = json.loads(raw)
        return cls(
            segmentation=Segmentation(data.get("segmentation", "turn")),
            context_speakers=_context_speakers(data.get("context_speakers")),
            blind_coding=bool(data.get("blind_coding", True)),
            suggestions_after_first_pass=bool(data.get("suggestions_after_first_pass", False)),
            extra=dict(data.get("extra", {})),
            speaker_roles=dict(data.get("speaker_roles", {})),
        )

    def speaker_role(self, speaker: str) -> Role:
        """The lead's decision on this label if there is one, else what its role word says."""
        chosen = self.speaker_roles.get(speaker)
        return Role(chosen) if chosen is not None else self.default_speaker_role(speaker)

    def default_speaker_role(self, speaker: str) -> Role:
        """The role the label's word gives it, before any decision of the lead: a slip of an
        interviewer word (``Interviwer``) makes an interviewer too, and the import says so."""
        if normalize_label(speaker) in self._context_normalized:
            return Role.INTERVIEWER
        if self.guessed_interviewer_word(speaker) is not None:
            return Role.INTERVIEWER
        return Role.PARTICIPANT

    def guessed_interviewer_word(self, speaker: str) -> str | None:
        """The interviewer word a label was taken for by approximation (None: not a slip of
        one, or the lead has decided): the import names it so that a lead can correct it."""
        if speaker in self.speaker_roles:
            return None
        return close_interviewer_word(speaker, self._context_normalized)

    def is_coded_speaker(self, speaker: str | None, has_speakers: bool) -> bool:
        """Whether passages of ``speaker`` are coded (interviewer turns are context)."""
        if speaker is None:
            return not has_speakers
        return self.speaker_role(speaker) is Role.PARTICIPANT

    @cached_property
    def _context_normalized(self) -> frozenset[str]:
        return frozenset(normalize_label(label) for label in self.context_speakers)


# The default context speakers that projects stored before the per-language tables existed.
# Such a project never chose its list, so it gets today's default (and its new languages).
_DEFAULT_BEFORE_LANGUAGE_TABLES = frozenset(
    (
        *("ai", "assistant", "interviewer", "interviewer 1", "interviewer 2", "int", "i", "q"),
        *("question", "moderator", "facilitator", "researcher", "entrevistador"),
        *("entrevistadora", "interviewerin", "intervieweur", "enquêteur", "enquêtrice"),
        *("intervistatore", "インタビュアー", "採訪者", "访谈者", "المحاور"),
    )
)


def _context_speakers(stored: list[str] | None) -> tuple[str, ...]:
    if stored is None or frozenset(stored) == _DEFAULT_BEFORE_LANGUAGE_TABLES:
        return tuple(sorted(INTERVIEWER_LABELS))
    return tuple(stored)


def _check_at_open(engine: Engine, location: str, read_only: bool) -> str | None:
    """The cheap integrity check: logs and returns a warning naming ``workbench verify``.

    A damaged file is refused unless opened read-only: writing to it can spread the damage,
    and the way out is a backup, not this file.
    """
    try:
        with engine.connect() as conn:
            problems = open_warnings(conn)
    except DBAPIError as exc:
        if not is_damage(exc):
            raise
        if not read_only:
            engine.dispose()
            raise ProjectError(damaged_message(location, exc)) from exc
        problems = [f"the file is damaged ({exc.orig})"]
    if not problems:
        return None
    warning = (
        f"{location}: the record may have been altered: {'; '.join(problems)}; run "
        f"'workbench verify {location}' for the full check"
    )
    log.warning("%s", warning)
    return warning


class Project:
    """An open project. Use ``Project.create`` or ``Project.open``; close it when done."""

    def __init__(self, engine: Engine, location: str, read_only: bool = False):
        self.engine = engine
        self.location = location
        # what messages, reports and JSON name the project by: the password of a URL masked
        self.shown_location = shown_location(location)
        self.read_only = read_only
        self._settings: ProjectSettings | None = None
        self._codebook_cache: Codebook | None = None
        self.upgraded_from: int | None = None  # the schema version it was opened at, if older
        # the copy taken before that upgrade: a file, or a server project's snapshot schema
        self.upgrade_backup: Path | str | None = None
        # what the cheap check at open found wrong (a broken chain, a dropped trigger), or None
        self.integrity_warning: str | None = None
        # why the file cannot be written ("the file is read-only"), when that made it read-only
        self.unwritable: str | None = None

    # -- opening and closing -------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        location: str | Path,
        codebook: Codebook | None = None,
        settings: ProjectSettings | None = None,
        actor: str = "workbench",
        audit_detail: dict[str, object] | None = None,
    ) -> Project:
        """Create a new, empty project; refuses to overwrite an existing one.

        ``audit_detail`` is added to the first audit entry, and may name the project by another
        ``location``: a project built under a temporary name (``new --from``) records the name
        it is renamed to, since the hash-chained log cannot be corrected afterwards.
        """
        if not is_url(location):
            path = Path(location).expanduser()
            if path.exists() and path.stat().st_size > 0:
                raise ProjectError(f"{path}: already exists; open it instead, or choose a new name")
            if path.parent.exists() and not path.parent.is_dir():
                raise ProjectError(f"{path.parent}: is a file, not a folder")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)  # like `git init a/b`
            except OSError as exc:
                raise ProjectError(
                    f"{path.parent}: cannot create the folder: {exc.strerror}"
                ) from exc
        engine = make_engine(location)
        try:
            if inspect(engine).has_table("meta"):
                raise ProjectError(f"{location}: already holds a project")
            with engine.begin() as conn:
                schema.metadata.create_all(conn)
                if engine.dialect.name == "sqlite":
                    for statement in schema.sqlite_append_only_triggers():
                        conn.execute(text(statement))
                    for statement in schema.sqlite_search_index():
                        conn.execute(text(statement))
                elif engine.dialect.name == "postgresql":
                    install_server_rules(conn)
                    create_server_index(conn)
                settings = settings or ProjectSettings()
                conn.execute(
                    schema.meta.insert(),
                    [
                        {"key": "schema_version", "value": str(schema.SCHEMA_VERSION)},
                        {"key": "created_with", "value": __version__},
                        {"key": "created_at", "value": utc_now().isoformat()},
                        {"key": "settings", "value": settings.to_json()},
                    ],
                )
                append_audit(
                    conn,
                    actor,
                    "project.create",
                    {"location": str(location)} | (audit_detail or {}),
                )
        except OperationalError as exc:
            engine.dispose()
            raise ProjectError(f"{location}: cannot create the project: {exc.orig}") from exc
        project = cls(engine, str(location))
        if codebook is not None:
            try:
                project.add_codebook_version(codebook, actor=actor)
            except BaseException:
                # A project without the codebook it was created with is half made: the next
                # `workbench new` would refuse the name, and an import would code blind.
                project.close()
                if not is_url(location):
                    Path(location).expanduser().unlink(missing_ok=True)
                raise
        return project

    @classmethod
    def open(cls, location: str | Path, read_only: bool = False) -> Project:
        """Open an existing project; refuses a file that is not one or a newer schema.

        ``read_only`` is for looking without leaving a trace (a screenshot): every transaction
        is refused, and a SQLite file is opened so that SQLite refuses writes as well. A file
        SQLite cannot write (a read-only file or folder: an archive) is opened that way too, so
        that reading it works and a write is refused up front, before any backup is taken.
        """
        unwritable = None
        if not is_url(location):
            path = Path(location).expanduser()
            if not path.exists():
                raise ProjectError(f"{path}: no such project (create one with 'workbench new')")
            if path.is_dir():
                raise ProjectError(f"{path}: is a folder, not a project file")
            try:
                with path.open("rb") as handle:
                    header = handle.read(16)
            except OSError as exc:
                raise ProjectError(f"{path}: cannot read the project: {exc.strerror}") from exc
            if header != b"SQLite format 3\x00":
                raise ProjectError(f"{path}: not a workbench project (not a SQLite database)")
            if not read_only:
                unwritable = unwritable_reason(path)
                read_only = unwritable is not None
        engine = make_engine(location, read_only=read_only)
        try:
            with engine.connect() as conn:
                if not inspect(conn).has_table("meta"):
                    raise ProjectError(f"{location}: not a workbench project (no project tables)")
                version_text = conn.execute(
                    select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
                ).scalar_one_or_none()
        except DBAPIError as exc:
            engine.dispose()
            if is_damage(exc):
                raise ProjectError(damaged_message(str(location), exc)) from exc
            raise ProjectError(
                f"{location}: cannot open the project: {exc.orig}{pending_wal_hint(location)}"
            ) from exc
        except ProjectError:
            engine.dispose()
            raise
        version = int(version_text or 0)
        if version > schema.SCHEMA_VERSION:
            engine.dispose()
            raise ProjectError(
                f"{location}: written by a newer workbench (project schema {version}, this "
                f"version reads up to {schema.SCHEMA_VERSION}); upgrade the workbench to open it"
            )
        if version < 1:
            engine.dispose()
            raise ProjectError(f"{location}: not a workbench project (no schema version)")
        backup = None
        if version < schema.SCHEMA_VERSION:
            if read_only:
                engine.dispose()
                raise ProjectError(
                    f"{location}: written by an older workbench (project schema {version}); "
                    + (
                        f"it cannot be upgraded here: {unwritable}"
                        if unwritable
                        else "open it once normally to upgrade it"
                    )
                )
            try:
                backup = migrate(engine, str(location), version, None if is_url(location) else path)
            except (ProjectError, DBAPIError) as exc:
                engine.dispose()
                if isinstance(exc, ProjectError):
                    raise
                raise ProjectError(
                    f"{location}: cannot upgrade the project from schema {version}: {exc.orig}"
                ) from exc
            log.warning(
                "%s: upgraded from project schema %d to %d%s",
                location,
                version,
                schema.SCHEMA_VERSION,
                f"; the previous state is kept as {backup}" if backup else "",
            )
        project = cls(engine, str(location), read_only=read_only)
        project.unwritable = unwritable
        project.upgraded_from = version if version < schema.SCHEMA_VERSION else None
        project.upgrade_backup = backup
        rules_warning = None
        if engine.dialect.name == "postgresql" and not read_only:
            with project.transaction() as conn:
                rules_warning = restore_server_rules(conn, str(location))
            if rules_warning:
                log.warning("%s", rules_warning)
        check_warning = _check_at_open(engine, str(location), read_only)
        warnings = [w for w in (rules_warning, check_warning) if w]
        project.integrity_warning = "; ".join(warnings) if warnings else None
        return project

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: everything inside is committed together or not at all."""
        if self.unwritable:
            raise ProjectError(
                f"{self.shown_location}: cannot write, {self.unwritable}; nothing was written"
            )
        if self.read_only:
            raise ProjectError(f"{self.shown_location}: opened read-only; nothing was written")
        with self.engine.connect() as conn:
            begin_writing(conn, self.location)
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection that only reads: it never takes the write lock, so it never waits."""
        with self.engine.connect() as conn:
            yield conn

    # -- settings ------------------------------------------------------------------------------

    @property
    def settings(self) -> ProjectSettings:
        if self._settings is None:
            with self.reading() as conn:
                raw = conn.execute(
                    select(schema.meta.c.value).where(schema.meta.c.key == "settings")
                ).scalar_one()
            self._settings = ProjectSettings.from_json(raw)
        return self._settings

    def update_settings(self, actor: str = "workbench", **changes: object) -> ProjectSettings:
        """Change settings; changing the context speakers re-flags which passages are coded."""
        new = replace(self.settings, **changes)  # type: ignore[arg-type]
        with self.transaction() as conn:
            self.store_settings(conn, new)
            append_audit(conn, actor, "settings.update", {k: str(v) for k, v in changes.items()})
        self._settings = new
        return new

    def forget_cached(self) -> None:
        """Drop the cached settings and codebook: another process changed them (the app's poll)."""
        self._settings = None
        self._codebook_cache = None

    def store_settings(self, conn: Connection, new: ProjectSettings) -> list[int]:
        """Write ``new`` inside the caller's transaction; returns the passages re-flagged.

        Passages are re-flagged when the speaker rules change. The cached settings are dropped,
        so they are read again after the caller's transaction commits or rolls back.
        """
        old = self.settings
        conn.execute(
            schema.meta.update().where(schema.meta.c.key == "settings").values(value=new.to_json())
        )
        announce(conn, "settings")
        self._settings = None
        if (new.context_speakers, new.speaker_roles) == (old.context_speakers, old.speaker_roles):
            return []
        return reflag_coded_passages(conn, new)

    # -- codebook ------------------------------------------------------------------------------

    def add_codebook_version(self, codebook: Codebook, actor: str = "workbench") -> int:
        """Store a codebook as the project's newest version; returns its version number.

        The version stored is the file's own ``version`` if it is newer than the current one,
        otherwise the next number, so versions only ever go up. Re-adding the same text is a
        no-op. A version without codes that have codings is refused: those codings would be
        left behind unseen, so ``codebook migrate`` has to say what becomes of them.
        """
        current = self.codebook_version_row()
        if current is not None and current["content_hash"] == codebook.content_hash:
            return int(current["version"])
        with self.transaction() as conn:
            # codes the current version has and the new one lacks; codings already orphaned
            # by an older version are not this version's doing (``migrate --map`` takes them)
            known = set(self.codebook.ids) if self.codebook is not None else set()
            stranded = {
                code: n
                for code, n in coded_codes_missing_from(conn, set(codebook.ids)).items()
                if code in known
            }
            if stranded:
                shown = ", ".join(f"{code} ({n} codings)" for code, n in stranded.items())
                raise ProjectError(
                    f"{self.shown_location}: the new codebook removes or renames codes that have "
                    f"codings: {shown}; run 'workbench codebook migrate {self.shown_location} FILE' "
                    "to carry, merge, split or archive them"
                )
            version = self.store_codebook_version(conn, codebook, actor)
            append_audit(conn, actor, "codebook.add", {"version": version, "name": codebook.name})
        return version

    def next_codebook_version(self, codebook: Codebook) -> int:
        """The number ``codebook`` would be stored as: its own if newer, else the next one."""
        current = self.codebook_version_row()
        if current is not None and codebook.version <= current["version"]:
            return int(current["version"]) + 1
        return codebook.version

    def store_codebook_version(self, conn: Connection, codebook: Codebook, actor: str) -> int:
        """Write the version and its codes inside the caller's transaction (no audit entry:
        the caller's says why it was added); returns the version number."""
        version = self.next_codebook_version(codebook)
        announce(conn, "codebook")
        version_id = conn.execute(
            schema.codebook_versions.insert().values(
                version=version,
                name=codebook.name,
                source_text=codebook.source_text,
                content_hash=codebook.content_hash,
                added_at=utc_now(),
                added_by=actor,
            )
        ).inserted_primary_key[0]  # type: ignore[index]  # stub: Optional; never for an INSERT
        conn.execute(
            schema.codes.insert(),
            [
                {
                    "codebook_version_id": version_id,
                    "code_id": code.id,
                    "parent_code_id": code.parent_id,
                    "name": code.name,
                    "definition": code.definition,
                    "display_order": order,
                }
                for order, code in enumerate(codebook.walk())
            ],
        )
        self._codebook_cache = None
        return version

    def codebook_at(self, version: int) -> Codebook:
        """Stored version ``version`` of the codebook (``PROJECT@N`` on the command line)."""
        with self.reading() as conn:
            text_ = conn.execute(
                select(schema.codebook_versions.c.source_text)
                .where(schema.codebook_versions.c.version == version)
                .order_by(schema.codebook_versions.c.id.desc())
                .limit(1)
            ).scalar_one_or_none()
        if text_ is None:
            with self.reading() as conn:
                held = sorted(
                    set(conn.execute(select(schema.codebook_versions.c.version)).scalars())
                )
            stored = ", ".join(str(v) for v in held) if held else "none"
            raise ProjectError(
                f"{self.shown_location}: no codebook version {version} (stored versions: {stored})"
            )
        codebook = parse_codebook(text_, f"{self.shown_location} (codebook v{version})")
        return replace(codebook, version=version)

    def codebook_version_row(self) -> dict | None:
        with self.reading() as conn:
            row = (
                conn.execute(
                    select(schema.codebook_versions)
                    .order_by(schema.codebook_versions.c.id.desc())
                    .limit(1)
                )
                .mappings()
                .first()
            )
        return dict(row) if row else None

    @property
    def codebook(self) -> Codebook | None:
        """The newest codebook version, parsed from the YAML stored in the project."""
        cached = getattr(self, "_codebook_cache", None)
        if cached is not None:
            return cached
        row = self.codebook_version_row()
        if row is None:
            return None
        codebook = parse_codebook(
            row["source_text"], f"{self.shown_location} (codebook v{row['version']})"
        )
        codebook = replace(codebook, version=int(row["version"]))
        self._codebook_cache = codebook
        return codebook

    # -- status --------------------------------------------------------------------------------

    def status(self) -> dict[str, object]:
        """Counts a lead checks at a glance; also the CLI's ``status --json`` object."""
        with self.reading() as conn:

            def count(table, *where):
                return conn.execute(
                    select(func.count()).select_from(table).where(*where)
                ).scalar_one()

            codebook = self.codebook_version_row()
            return {
                "project": self.shown_location,
                "schema_version": schema.SCHEMA_VERSION,
                "transcripts": count(schema.transcripts),
                "passages": count(schema.passages),
                "coded_passages": count(schema.passages, schema.passages.c.coded.is_(True)),
                "coders": count(schema.coders),
                "decisions": count(schema.decisions),
                "reviewed_passages": conn.execute(
                    select(func.count(func.distinct(schema.reviews.c.passage_id)))
                ).scalar_one(),
                "suggestions": count(schema.suggestions),
                "memos": count(schema.memos),
                "needs_rereview": len(list_review_flags(conn)),
                "archived_codings": count(
                    schema.archived_codings, schema.archived_codings.c.restored_by.is_(None)
                ),
                "codebook_version": int(codebook["version"]) if codebook else None,
                "codebook_name": codebook["name"] if codebook else None,
                "segmentation": self.settings.segmentation.value,
            }
