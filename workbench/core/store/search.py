"""Full-text search and retrieval of passages: the words a coder types, the filters they pick.

One query serves both uses. With words, the passage index finds the passages (SQLite FTS5,
``schema.SEARCH_INDEX``; on PostgreSQL a ``tsvector`` per passage with a GIN index,
``schema.SERVER_SEARCH_INDEX``, queried with the same words turned into a ``tsquery``) and
``make_snippet`` marks the match, in Python for both so that both read the same; without words
it is retrieval, "every passage coded X", in document order. Each filter is an EXISTS over the coding tables, so a
filter narrows the index's matches without reading them into Python.

Results come in document order (transcript, then position), not by relevance: the index hands
rows out in that order, so ``LIMIT`` stops early instead of ranking every match of a common word,
and a coder reading retrieved passages reads them as the interviews ran.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from enum import Enum

from sqlalchemy import Connection, select, text
from sqlalchemy.exc import OperationalError

from workbench.core.errors import WorkbenchError
from workbench.core.store import schema
from workbench.core.store.queries import passage_key
from workbench.core.store.spans import quote

MARK_START, MARK_END = "\x02", "\x03"  # around each match in a snippet; callers style them
DEFAULT_LIMIT = 200
COUNT_LIMIT = 10_000  # matches counted beyond those shown; more reads as "10,000 or more"
_OPERATORS = {"AND", "OR", "NOT"}
_WORD = re.compile(r"\w+")
_INDEX_WORD = re.compile(r"[^\W_]+")  # unicode61: letters and digits, not "_"


class SearchError(WorkbenchError):
    """A search the project cannot run: a filter naming nothing there, or a malformed query."""


class Review(Enum):
    """Whether a passage has been reviewed (by any human coder)."""

    ANY = "any"
    YES = "yes"
    NO = "no"


class Role(Enum):
    """Which speakers' passages: the ones coded (participants) or the context (interviewers)."""

    ANY = "any"
    PARTICIPANT = "participant"
    INTERVIEWER = "interviewer"


@dataclass(frozen=True)
class SearchFilters:
    """What narrows a search. ``code`` is applied by a human, unless ``engine`` (suggested by an
    engine's latest run) or ``disagreement`` (some human reviewers applied it, others not) say
    otherwise; ``coder`` names whose coding counts (a human, or an engine coder with ``engine``).
    """

    code: str | None = None
    coder: str | None = None
    engine: bool = False
    disagreement: bool = False
    role: Role = Role.ANY
    fields: tuple[tuple[str, str], ...] = ()
    reviewed: Review = Review.ANY
    reviewed_by: str | None = None
    unreviewed_by: str | None = None
    passage_ids: tuple[int, ...] = ()  # only these passages (a view re-reading its rows)


@dataclass
class SearchHit:
    """One passage found, with what a coder needs to judge it without opening it."""

    passage_id: int
    key: str
    transcript: str
    position: int
    speaker: str | None
    snippet: str  # the match in its context, marked with MARK_START/MARK_END
    text: str  # the whole passage
    codes: dict[str, list[str]] = field(default_factory=dict)  # coder -> codes applied
    # coder -> the selections coded inside the passage: (code, start, end), transcript offsets
    selections: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    start: int = 0  # the passage's offset in its transcript, where selections are counted from

    def selection_quotes(self) -> dict[str, list[str]]:
        """coder -> ``code “words”`` for each coded selection: what a retrieval file shows."""
        return {
            coder: [
                f"{code} {quote(self.text[low - self.start : high - self.start], 200)}"
                for code, low, high in spans
            ]
            for coder, spans in self.selections.items()
        }

    def to_dict(self) -> dict[str, object]:
        return {
            "passage": self.key,
            "transcript": self.transcript,
            "position": self.position,
            "speaker": self.speaker,
            "snippet": self.snippet.replace(MARK_START, "[").replace(MARK_END, "]"),
            "text": self.text,
            "codes": self.codes,
            "selections": {
                coder: [{"code": c, "start": s, "end": e} for c, s, e in spans]
                for coder, spans in self.selections.items()
            },
        }


@dataclass
class SearchResult:
    hits: list[SearchHit]
    total: int  # passages that match (at most COUNT_LIMIT); ``hits`` holds the first ``limit``
    query: str
    filters: SearchFilters

    @property
    def total_is_lower_bound(self) -> bool:
        """Whether more passages match than were counted."""
        return self.total >= COUNT_LIMIT

    def total_text(self) -> str:
        """ "3 passages", "1 passage", "10,000 or more passages"."""
        if self.total_is_lower_bound:
            return f"{self.total:,} or more passages"
        return f"{self.total:,} passage{'' if self.total == 1 else 's'}"

    def to_dict(self) -> dict[str, object]:
        return {
            "query": self.query,
            "total": self.total,
            "total_is_lower_bound": self.total_is_lower_bound,
            "shown": len(self.hits),
            "hits": [hit.to_dict() for hit in self.hits],
        }


def _query_parts(query: str) -> list[tuple[str, bool, bool]]:
    """The query as (text, is an operator, is a ``word*`` prefix), operators only between terms.

    Every word and "quoted phrase" is a term (so ``don't``, ``C++`` or ``-`` are text, not
    syntax); AND, OR and NOT in capitals stay operators between two terms.
    """
    parts: list[tuple[str, bool, bool]] = []
    for phrase, word in re.findall(r'"([^"]*)"?|(\S+)', query):
        if phrase.strip():
            parts.append((phrase.strip(), False, False))
        elif word in _OPERATORS:
            parts.append((word, True, False))
        elif word:
            prefix = word.endswith("*") and len(word) > 1
            body = word.rstrip("*") if prefix else word
            if body.replace('"', ""):
                parts.append((body, False, prefix))
    terms = _between_terms(parts)
    if not terms and parts:
        # Only operators (``NOT``, ``OR AND``): dropping them left no query, which found every
        # passage. Typed alone they are the words themselves, as anything else is searched.
        return [(body, False, False) for body, _operator, _prefix in parts]
    return terms


def _between_terms(parts: list[tuple[str, bool, bool]]) -> list[tuple[str, bool, bool]]:
    """``parts`` without operators at either end or two in a row (of those, the first stays)."""
    while parts and parts[0][1]:
        parts = parts[1:]
    while parts and parts[-1][1]:
        parts = parts[:-1]
    cleaned: list[tuple[str, bool, bool]] = []
    for part in parts:
        if part[1] and cleaned and cleaned[-1][1]:
            continue
        cleaned.append(part)
    return cleaned


def fts_expression(query: str) -> str:
    """The coder's words as an FTS5 expression that cannot be a syntax error.

    Each term is quoted; ``word*`` keeps its prefix star. Words are ANDed, as in a web search box.
    """
    rendered = []
    for body, operator, prefix in _query_parts(query):
        quoted = '"' + body.replace('"', '""') + '"'
        rendered.append(body if operator else quoted + ("*" if prefix else ""))
    return " ".join(rendered)


def index_words(passage: str) -> list[str]:
    """The passage's words as SQLite's unicode61 tokenizer (diacritics removed) indexes them:
    runs of letters and digits, folded. The PostgreSQL index is built from these, so that
    both backends split and fold text alike."""
    return _INDEX_WORD.findall(_fold(passage))


def ts_expression(query: str) -> str:
    """The coder's words as a PostgreSQL ``tsquery`` with FTS5's meaning ('' when no term has
    a word, which then matches nothing).

    A term is its words in a row (``<->``), the last one a prefix (``:*``) for ``word*``;
    terms are ANDed; ``a NOT b`` is ``a & !b``. NOT binds tighter than AND, and AND than OR, in
    both languages. A term without words (``-``) is left out, as FTS5 ignores it.
    """
    parts: list[tuple[str, bool, bool]] = []
    for body, operator, prefix in _query_parts(query):
        if operator:
            parts.append((body, True, False))
            continue
        words = index_words(body)
        if words:
            lexemes = [f"'{word}'" for word in words]
            lexemes[-1] += ":*" if prefix else ""
            parts.append((" <-> ".join(lexemes), False, False))
    rendered: list[str] = []
    for body, operator, _ in _between_terms(parts):
        if operator:
            rendered.append({"AND": "&", "OR": "|", "NOT": "& !"}[body])
        else:
            if rendered and rendered[-1] not in ("&", "|", "& !"):
                rendered.append("&")
            rendered.append(f"({body})")
    return " ".join(rendered)


def search_passages(
    conn: Connection, query: str, filters: SearchFilters | None = None, limit: int = DEFAULT_LIMIT
) -> SearchResult:
    """Passages whose text matches ``query`` (all of them if it is empty) and every filter."""
    filters = filters or SearchFilters()
    if limit < 1:
        raise SearchError(f"--limit: {limit} is not a positive number of passages")
    _check_names(conn, filters)
    where, params, needs_passage = _filter_sql(filters, conn.dialect.name)
    if filters.disagreement:
        disagreeing = disagreeing_passages(conn, filters.code, filters.passage_ids)
        if not disagreeing:
            return SearchResult(hits=[], total=0, query=query, filters=filters)
        params["disagreeing"] = (
            json.dumps(disagreeing) if conn.dialect.name == "sqlite" else disagreeing
        )
    server = conn.dialect.name == "postgresql"
    expression = fts_expression(query)
    if server and expression:
        params["expression"] = ts_expression(query)
        index, pid = schema.SERVER_SEARCH_INDEX, "f.passage_id"
        match = "f.document @@ to_tsquery('simple', :expression)"
        if not params["expression"]:  # only terms without words: FTS5 matches nothing either
            match = "1 = 0"
        matches = f"FROM {index} f WHERE {match}"
        joined = f"FROM {index} f JOIN passages p ON p.id = f.passage_id"
        counted = f"{joined} WHERE {match}" if needs_passage else matches
        source = f"{joined} JOIN transcripts t ON t.id = p.transcript_id WHERE {match}"
        order = pid
    elif expression:
        index = schema.SEARCH_INDEX
        params["expression"] = expression
        # "+": the filters check each match; without it SQLite hands an IN list to the index
        # as rowids to look up, one full-text query per listed passage.
        pid, order = "+f.rowid", "f.rowid"
        matches = f"FROM {index} f WHERE {index} MATCH :expression"
        counted = (
            f"FROM {index} f JOIN passages p ON p.id = f.rowid WHERE {index} MATCH :expression"
            if needs_passage
            else matches
        )
        source = (
            f"FROM {index} f JOIN passages p ON p.id = f.rowid "
            "JOIN transcripts t ON t.id = p.transcript_id "
            f"WHERE {index} MATCH :expression"
        )
    else:
        pid = order = "p.id"
        counted = "FROM passages p WHERE 1 = 1"
        source = "FROM passages p JOIN transcripts t ON t.id = p.transcript_id WHERE 1 = 1"
    conditions = "".join(f" AND {clause.replace('{pid}', pid)}" for clause in where)
    # No text here: cutting each passage out of its transcript in SQL reads the whole
    # transcript once per passage (a 600 kB one, 200 times); ``_passage_texts`` reads it once.
    body = (
        'SELECT p.id, t.id, t.external_id, p.position, p.speaker, p.start, p."end" '
        f"{source}{conditions} ORDER BY {order} LIMIT :limit"
    )
    try:
        rows = conn.execute(text(body), params | {"limit": limit}).all()
        if len(rows) < limit:
            total = len(rows)
        else:  # counted up to COUNT_LIMIT: a common word's every match would cost seconds
            total = conn.execute(
                text(f"SELECT count(*) FROM (SELECT 1 {counted}{conditions} LIMIT :cap) AS c"),
                params | {"cap": COUNT_LIMIT},
            ).scalar_one()
    except OperationalError as exc:
        if isinstance(exc.orig, sqlite3.OperationalError) and "fts5" in str(exc.orig):
            raise SearchError(f"query '{query}': {exc.orig}") from exc
        raise
    texts = _passage_texts(conn, [(row[1], row[5], row[6]) for row in rows])
    terms = query_terms(query)
    hits = []
    for pid, transcript_id, external_id, position, speaker, start, end in rows:
        body_text = texts[(transcript_id, start, end)]
        hits.append(
            SearchHit(
                passage_id=pid,
                key=passage_key(external_id, position),
                transcript=external_id,
                position=position,
                speaker=speaker,
                snippet=make_snippet(body_text, terms),
                text=body_text,
                start=start,
            )
        )
    _attach_codes(conn, hits)
    return SearchResult(hits=hits, total=total, query=query, filters=filters)


def _passage_texts(
    conn: Connection, spans: list[tuple[int, int, int]]
) -> dict[tuple[int, int, int], str]:
    """The text of each (transcript, start, end), reading each transcript's stretch once."""
    by_transcript: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for transcript_id, start, end in spans:
        by_transcript[transcript_id].append((start, end))
    stretches: dict[int, tuple[int, str]] = {}
    wanted = [
        (transcript_id, min(a for a, _ in pairs), max(b for _, b in pairs))
        for transcript_id, pairs in by_transcript.items()
    ]
    for start in range(0, len(wanted), 300):  # 3 values each, under SQLite's 999
        chunk = wanted[start : start + 300]
        values = ", ".join(f"(:i{n}, :l{n}, :h{n})" for n in range(len(chunk)))
        bound = {
            f"{name}{n}": value for n, row in enumerate(chunk) for name, value in zip("ilh", row)
        }
        rows = conn.execute(
            text(
                f"WITH want(id, low, high) AS (VALUES {values}) "
                "SELECT want.id, want.low, substr(t.text, want.low + 1, want.high - want.low) "
                "FROM want JOIN transcripts t ON t.id = want.id"
            ),
            bound,
        )
        stretches.update({tid: (low, stretch) for tid, low, stretch in rows})
    texts: dict[tuple[int, int, int], str] = {}
    for transcript_id, pairs in by_transcript.items():
        low, stretch = stretches[transcript_id]
        for start, end in pairs:
            texts[(transcript_id, start, end)] = stretch[start - low : end - low]
    return texts


def _fold(word: str) -> str:
    """A word as the index's tokenizer (unicode61, diacritics removed) compares it."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def query_terms(query: str) -> list[tuple[str, bool]]:
    """The query's words, folded, each with whether it is a prefix (``word*``); operators out."""
    terms = []
    for phrase, word in re.findall(r'"([^"]*)"?|(\S+)', query):
        if word in _OPERATORS:
            continue
        prefix = bool(word) and word.endswith("*")
        for token in _WORD.findall(phrase or word):
            terms.append((_fold(token), prefix))
    return terms


def make_snippet(passage: str, terms: list[tuple[str, bool]], width: int = 200) -> str:
    """About ``width`` characters of the passage around its first match, the query's words
    marked.

    The index has already decided that the passage matches; this only shows where, so it
    marks every word that equals a query word (or starts with a ``word*``), as the index folds
    them. Without terms (retrieval) it is the passage's beginning.
    """
    spans = _match_spans(passage, terms) if terms else []
    begin, stop = 0, len(passage)
    if len(passage) > width:
        begin = max(0, (spans[0][0] if spans else 0) - width // 3)
        stop = min(len(passage), begin + width)
        if begin > 0:  # start and end on a word boundary
            space = passage.find(" ", begin, begin + 20)
            begin = space + 1 if space >= 0 else begin
        if stop < len(passage):
            space = passage.rfind(" ", stop - 20, stop)
            stop = space if space > begin else stop
    pieces, at = [], begin
    for start, end in spans:
        if begin <= start and end <= stop:
            pieces += [passage[at:start], MARK_START, passage[start:end], MARK_END]
            at = end
    pieces.append(passage[at:stop])
    return ("…" if begin > 0 else "") + "".join(pieces) + ("…" if stop < len(passage) else "")


def _match_spans(passage: str, terms: list[tuple[str, bool]]) -> list[tuple[int, int]]:
    """Where the query's words are in the passage: a regular expression for plain ASCII text,
    word by word with the index's folding of accents otherwise."""
    if passage.isascii() and all(term.isascii() for term, _ in terms):
        pattern = "|".join(re.escape(term) + (r"\w*" if prefix else "") for term, prefix in terms)
        found = re.finditer(rf"\b(?:{pattern})\b", passage, re.IGNORECASE)
        return [match.span() for match in found]
    spans = []
    for token in _WORD.finditer(passage):
        folded = _fold(token.group())
        if any(folded.startswith(t) if prefix else folded == t for t, prefix in terms):
            spans.append(token.span())
    return spans


_HUMAN = "(SELECT id FROM coders WHERE kind = 'human')"
_CODER = "(SELECT id FROM coders WHERE name = :coder)"
# The engine runs that are their coder's latest on the passage: an engine's coding of a passage
# is the suggestion set of its latest run there (as ``raters.read_ratings`` reads it).
_LATEST_RUN = (
    "r.coder_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM suggestion_runs r2 "
    "WHERE r2.passage_id = r.passage_id AND r2.coder_id = r.coder_id "
    "AND r2.created_at > r.created_at)"
)


# (database, code) -> (head of the decision log: id and chained hash, the passages in
# disagreement then). Codings and reviews change only with a decision (``coding.record_decision``),
# and the last decision's chained hash names the whole log before it, so an entry for the head
# now is never stale; an entry for an older head is brought up to date by re-reading only the
# passages decided on since (``_moved_on``), which is what makes the first search after a
# decision cheap: one passage re-read instead of every coding in the project.
_DISAGREEING: dict[tuple[str, str | None], tuple[int, str | None, list[int]]] = {}
_DISAGREEING_KEPT = 16
# Passages decided on since the kept answer beyond which it is worked out again from scratch
# (an import of decisions): re-reading them one batch at a time would cost more.
_CATCH_UP_LIMIT = 500


def disagreeing_passages(
    conn: Connection, code: str | None = None, passage_ids: tuple[int, ...] = ()
) -> list[int]:
    """The passages in disagreement, worked out once per state of the decision log (a search,
    its count, the next words typed in the same view all reuse it) and caught up after new
    decisions; ``passage_ids`` looks at those passages only (a view re-reading the rows a coder
    just recoded), uncached."""
    if passage_ids:
        return _disagreeing(conn, code, passage_ids)
    head = conn.execute(
        select(schema.decisions.c.id, schema.decisions.c.row_hash)
        .order_by(schema.decisions.c.id.desc())
        .limit(1)
    ).first()
    head_id, head_hash = (int(head[0]), head[1]) if head else (0, None)
    key = (conn.engine.url.render_as_string(hide_password=True), code)
    kept = _DISAGREEING.pop(key, None)
    caught_up: list[int] | None = None
    if kept is not None and kept[:2] == (head_id, head_hash):
        caught_up = kept[2]
    elif kept is not None:
        caught_up = _moved_on(conn, code, kept, head_id)
    found = caught_up if caught_up is not None else _disagreeing(conn, code)
    while len(_DISAGREEING) >= _DISAGREEING_KEPT:
        _DISAGREEING.pop(next(iter(_DISAGREEING)))
    _DISAGREEING[key] = (head_id, head_hash, found)  # last: the least recently used goes first
    return found


def _moved_on(
    conn: Connection,
    code: str | None,
    kept: tuple[int, str | None, list[int]],
    head_id: int,
) -> list[int] | None:
    """The kept answer brought up to the log's head by re-reading the passages decided on since.

    None (work it out again) unless the log is the kept one with decisions appended: its row at
    the kept head still has the kept hash (a restored backup or another file at the same path
    does not), and no more than ``_CATCH_UP_LIMIT`` passages were decided on since.
    """
    kept_id, kept_hash, found = kept
    d = schema.decisions
    if head_id < kept_id:
        return None
    if kept_id:
        then = conn.execute(select(d.c.row_hash).where(d.c.id == kept_id)).first()
        if then is None or then[0] != kept_hash:
            return None
    touched = [
        int(pid)
        for (pid,) in conn.execute(
            select(d.c.passage_id).where(d.c.id > kept_id).distinct().limit(_CATCH_UP_LIMIT + 1)
        )
    ]
    if len(touched) > _CATCH_UP_LIMIT:
        return None
    if not touched:
        return found
    now = _disagreeing(conn, code, tuple(touched))
    return sorted(set(found).difference(touched).union(now))


def _disagreeing(
    conn: Connection, code: str | None = None, passage_ids: tuple[int, ...] = ()
) -> list[int]:
    """Passages where some human reviewers applied a code (``code``, or any) and others did
    not: the same test as ``adjudication.find_disagreements`` over the human coders.

    Per passage: a code held by fewer of its human reviewers than there are reviewers. Each
    code's count is at most the reviewers', so that is: fewer codings than codes times
    reviewers. Read once per search (the list and its count both use it), in one pass over
    the codings in passage order: ``+`` keeps SQLite off the (coder, code) index, which would
    need a temporary B-tree to group 40,000 codings by passage; with a code that index is
    the selective one and is used.
    """
    reviewers = (
        "(SELECT count(*) FROM reviews r WHERE r.passage_id = k.passage_id "
        f"AND r.coder_id IN {_HUMAN})"
    )
    coder = "k.coder_id" if code is not None or conn.dialect.name != "sqlite" else "+k.coder_id"
    params: dict[str, object] = {}
    code_clause = ""
    if code is not None:
        params["code"] = code
        code_clause = " AND k.code_id = :code"
    if passage_ids:
        names = [f"passage{n}" for n in range(len(passage_ids))]
        params.update(zip(names, passage_ids, strict=True))
        code_clause += f" AND k.passage_id IN ({', '.join(':' + name for name in names)})"
    rows = conn.execute(
        text(
            "SELECT k.passage_id FROM codings k JOIN reviews v "
            "ON v.passage_id = k.passage_id AND v.coder_id = k.coder_id "
            f"WHERE {coder} IN {_HUMAN}{code_clause} GROUP BY k.passage_id "
            f"HAVING count(*) < count(DISTINCT k.code_id) * {reviewers} AND {reviewers} >= 2"
        ),
        params,
    )
    return sorted(pid for (pid,) in rows)


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


def _attach_codes(conn: Connection, hits: list[SearchHit]) -> None:
    """Every coder's codes on each hit (humans and the consensus), sorted for a stable read."""
    if not hits:
        return
    k, c = schema.codings, schema.coders
    found: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    ids = [hit.passage_id for hit in hits]
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            select(k.c.passage_id, c.c.name, k.c.code_id)
            .join(c, c.c.id == k.c.coder_id)
            .where(k.c.passage_id.in_(ids[start : start + 500]))
            .order_by(c.c.name, k.c.code_id)
        )
        for passage_id, coder, code in rows:
            found[passage_id][coder].append(code)
    for hit in hits:
        hit.codes = {coder: codes for coder, codes in found.get(hit.passage_id, {}).items()}
    spans: dict[int, dict[str, list[tuple[str, int, int]]]] = defaultdict(lambda: defaultdict(list))
    s = schema.coded_spans
    for start in range(0, len(ids), 500):
        span_rows = conn.execute(
            select(s.c.passage_id, c.c.name, s.c.code_id, s.c.start, s.c.end)
            .join(c, c.c.id == s.c.coder_id)
            .where(s.c.passage_id.in_(ids[start : start + 500]))
            .order_by(c.c.name, s.c.start, s.c.end, s.c.code_id)
        )
        for passage_id, coder, code, low, high in span_rows:
            spans[passage_id][coder].append((code, int(low), int(high)))
    for hit in hits:
        hit.selections = {coder: found for coder, found in spans.get(hit.passage_id, {}).items()}


def parse_field(value: str, option: str = "--field") -> tuple[str, str]:
    """``("group", "A")`` from ``"group=A"``; the error names the option and the value."""
    name, sep, wanted = value.partition("=")
    if not sep or not name.strip():
        raise SearchError(f"{option}: '{value}' is not FIELD=VALUE")
    return name.strip(), wanted.strip()
