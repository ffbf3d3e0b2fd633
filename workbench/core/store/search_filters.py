"""The filters of a search as SQL: each one a clause on the passage id, checked against the
project first (a coder or code it has never heard of is refused, since an empty result would
mislead), and the ``FIELD=VALUE`` option read.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from workbench.core.store import schema
from workbench.core.store.search_types import Review, Role, SearchError, SearchFilters

_HUMAN = "(SELECT id FROM coders WHERE kind = 'human')"
_CODER = "(SELECT id FROM coders WHERE name = :coder)"
# The engine runs that are their coder's latest on the passage: an engine's coding of a passage
# is the suggestion set of its latest run there (as ``raters.read_ratings`` reads it).
_LATEST_RUN = (
    "r.coder_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM suggestion_runs r2 "
    "WHERE r2.passage_id = r.passage_id AND r2.coder_id = r.coder_id "
    "AND r2.created_at > r.created_at)"
)


def _filter_sql(
    filters: SearchFilters, dialect: str = "sqlite"
) -> tuple[list[str], dict[str, object], bool]:
    """The WHERE clauses and their values, and whether they need the passage row ``p``.

    Clauses name the passage id as ``{pid}``: the index's rowid when words are searched, so
    that counting matches needs no row lookups unless a filter reads the passage itself. Most
    filters are an ``IN`` list the database builds once per query from an index of the coding
    tables, not a subquery run for every match.
    """
    where: list[str] = []
    params: dict[str, object] = {}
    needs_passage = False
    if filters.code is not None:
        params["code"] = filters.code
    if filters.coder is not None:
        params["coder"] = filters.coder
    code_clause = " AND k.code_id = :code" if filters.code is not None else ""
    if filters.engine:
        coder = " AND r.coder_id = " + _CODER if filters.coder is not None else ""
        code = " AND s.code_id = :code" if filters.code is not None else ""
        where.append(
            "EXISTS (SELECT 1 FROM suggestions s JOIN suggestion_runs r "
            "ON r.passage_id = s.passage_id AND r.codebook_version = s.codebook_version "
            "AND r.engine = s.engine AND r.model = s.model "
            "AND r.prompt_version = s.prompt_version "
            f"WHERE s.passage_id = {{pid}}{code}{coder} AND {_LATEST_RUN})"
        )
    elif filters.coder is not None:
        where.append(
            f"{{pid}} IN (SELECT k.passage_id FROM codings k WHERE k.coder_id = {_CODER}"
            f"{code_clause})"
        )
    elif filters.code is not None and not filters.disagreement:
        where.append(
            f"{{pid}} IN (SELECT k.passage_id FROM codings k WHERE k.coder_id IN {_HUMAN}"
            f"{code_clause})"
        )
    if filters.disagreement:
        # the passages ``disagreeing_passages`` found, read once before the query
        where.append(
            "{pid} IN (SELECT value FROM json_each(:disagreeing))"
            if dialect == "sqlite"
            else "{pid} = ANY(:disagreeing)"
        )
    if filters.role is not Role.ANY:
        needs_passage = True
        where.append(f"p.coded = {'TRUE' if filters.role is Role.PARTICIPANT else 'FALSE'}")
    for number, (name, value) in enumerate(filters.fields):
        needs_passage = True
        params[f"field{number}"], params[f"value{number}"] = name, value
        where.append(
            "p.transcript_id IN (SELECT t2.id FROM transcripts t2 JOIN transcript_metadata m "
            f"ON m.external_id = t2.external_id WHERE m.field = :field{number} "
            f"AND m.value = :value{number})"
        )
    if filters.passage_ids:
        names = [f"passage{n}" for n in range(len(filters.passage_ids))]
        params.update(zip(names, filters.passage_ids, strict=True))
        where.append(f"{{pid}} IN ({', '.join(':' + name for name in names)})")
    human_review = f"SELECT v.passage_id FROM reviews v WHERE v.coder_id IN {_HUMAN}"
    if filters.reviewed is Review.YES:
        where.append(f"{{pid}} IN ({human_review})")
    elif filters.reviewed is Review.NO:
        where.append(f"{{pid}} NOT IN ({human_review})")
    for who, negate in ((filters.reviewed_by, ""), (filters.unreviewed_by, "NOT ")):
        if who is not None:
            key = "reviewed_by" if not negate else "unreviewed_by"
            params[key] = who
            where.append(
                f"{{pid}} {negate}IN (SELECT v.passage_id FROM reviews v "
                f"WHERE v.coder_id = (SELECT id FROM coders WHERE name = :{key}))"
            )
    return where, params, needs_passage


def _check_names(conn: Connection, filters: SearchFilters) -> None:
    """Refuse a coder or code the project has never heard of: an empty result would mislead."""
    c = schema.coders
    coders = dict(conn.execute(select(c.c.name, c.c.kind)).all())
    for option, name in (
        ("--coder", filters.coder),
        ("--reviewed-by", filters.reviewed_by),
        ("--unreviewed-by", filters.unreviewed_by),
    ):
        if name is not None and name not in coders:
            known = ", ".join(sorted(coders)) or "none yet"
            raise SearchError(f"{option}: no coder '{name}' in this project (coders: {known})")
    if filters.engine and filters.coder is not None and coders[filters.coder] != "engine":
        raise SearchError(f"--coder: '{filters.coder}' is not an engine coder (with --engine)")
    if filters.code is not None and not _code_known(conn, filters.code):
        raise SearchError(f"--code: no code '{filters.code}' in the codebook or in any coding")


def _code_known(conn: Connection, code: str) -> bool:
    for table in (schema.codes, schema.codings, schema.suggestions):
        if conn.execute(select(table.c.code_id).where(table.c.code_id == code).limit(1)).first():
            return True
    return False


def parse_field(value: str, option: str = "--field") -> tuple[str, str]:
    """``("group", "A")`` from ``"group=A"``; the error names the option and the value."""
    name, sep, wanted = value.partition("=")
    if not sep or not name.strip():
        raise SearchError(f"{option}: '{value}' is not FIELD=VALUE")
    return name.strip(), wanted.strip()
