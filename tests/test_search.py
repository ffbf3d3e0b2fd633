"""Full-text search and retrieval: the index follows imports and the schema upgrade, every filter
narrows to the passages it names, and the CLI prints the same results."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import pytest

from tests.conftest import write
from workbench.cli import main
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store import Project, schema
from workbench.core.store.importing import import_files, import_metadata_file
from workbench.core.store.search import (
    Review,
    Role,
    SearchError,
    SearchFilters,
    search_passages,
)
from workbench.core.store.search_query import fts_expression
from workbench.core.store.search_snippet import MARK_END, MARK_START
from workbench.core.store.suggestions import record_run, save_suggestions
from workbench.suggest.engine import Suggestion

ONE = (
    "Interviewer: Tell me about deadlines.\n\n"
    "Participant: The deadline pressure made me lean on the assistant for every draft.\n\n"
    "Interviewer: And your colleagues?\n\n"
    "Participant: They worry the tool will replace them; I worry about my own skills fading.\n"
)
TWO = (
    "Interviewer: How was the café project?\n\n"
    "Participant: We missed a deadline anyway, but the report was better.\n\n"
    "Interviewer: Anything else?\n\n"
    "Participant: I don't trust it with numbers.\n"
)


def _key(project: Project, key: str) -> int:
    from workbench.core.store.queries import passage_ids_for_keys

    with project.reading() as conn:
        return passage_ids_for_keys(conn, [key])[key]


@pytest.fixture
def study(project, tmp_path):
    """Two transcripts; ana and ben coded both participant passages of t1 (differing on one),
    ana coded t2#2; the local engine suggests fear.displacement on t1#4 (twice: the older run's
    suggestion of hope.time is no longer its coding)."""
    write(tmp_path / "t1.txt", ONE)
    write(tmp_path / "t2.txt", TWO)
    import_files(project, [tmp_path / "t1.txt", tmp_path / "t2.txt"])
    write(tmp_path / "meta.csv", "transcript_id,group\nt1,A\nt2,B\n")
    import_metadata_file(project, tmp_path / "meta.csv")
    write(
        tmp_path / "decisions.csv",
        "passage_id,coder,code\n"
        "t1#2,ana,fear.dependence\n"
        "t1#2,ben,fear.dependence\n"
        "t1#4,ana,fear.displacement\n"
        "t1#4,ana,fear.atrophy\n"
        "t1#4,ben,fear.displacement\n"
        "t2#2,ana,prod.quality\n",
    )
    import_decisions_csv(project, tmp_path / "decisions.csv")
    passage = _key(project, "t1#4")
    with project.transaction() as conn:
        for code, model in (("hope.time", "v1"), ("fear.displacement", "v2")):
            suggestion = Suggestion(passage, code, 0.9, "", None, None, "", "local", model, "p1")
            save_suggestions(conn, [suggestion], 1)
            record_run(conn, [passage], 1, "local", model, "p1", "local")
            if code == "hope.time":  # the second run is later
                conn.execute(
                    schema.suggestion_runs.update().values(
                        created_at=datetime(2000, 1, 1, tzinfo=UTC)
                    )
                )
    return project


def keys(project: Project, query: str = "", **filters) -> list[str]:
    with project.reading() as conn:
        result = search_passages(conn, query, SearchFilters(**filters))
    return [hit.key for hit in result.hits]


@pytest.mark.backends
def test_words_find_the_passages_that_say_them_with_the_match_marked(study):
    assert keys(study, "deadline") == ["t1#2", "t2#2"]
    assert keys(study, "deadline*") == ["t1#1", "t1#2", "t2#2"]
    assert keys(study, "deadline report") == ["t2#2"]
    assert keys(study, '"lean on the assistant"') == ["t1#2"]
    assert keys(study, "deadline OR numbers") == ["t1#2", "t2#2", "t2#4"]
    assert keys(study, "cafe") == ["t2#1"]  # diacritics folded
    assert keys(study, "nowhere") == []
    with study.reading() as conn:
        hit = search_passages(conn, "pressure").hits[0]
    assert f"{MARK_START}pressure{MARK_END}" in hit.snippet
    assert hit.text == ONE.split("\n\n")[1].removeprefix("Participant: ")
    assert hit.codes == {"ana": ["fear.dependence"], "ben": ["fear.dependence"]}
    assert hit.speaker == "Participant" and hit.transcript == "t1"


@pytest.mark.backends
def test_a_query_that_would_be_fts_syntax_is_searched_as_text(study):
    assert fts_expression('don\'t "skills fading" OR') == '"don\'t" "skills fading"'
    assert fts_expression("AND - C++ NOT") == '"-" "C++"'
    assert keys(study, "don't") == ["t2#4"]
    assert keys(study, 'NOT "and your') == ["t1#3"]  # an unclosed quote: a phrase to the end
    assert keys(study, "- C++") == []  # no crash: neither is a word in any passage


@pytest.mark.backends
def test_an_operator_typed_alone_is_the_word_not_every_passage(study):
    assert fts_expression("NOT") == '"NOT"' and fts_expression("OR AND") == '"OR" "AND"'
    assert keys(study, "AND") == keys(study, "and") == ["t1#3"]
    assert keys(study, "NOT") == keys(study, "not") != keys(study, "")


@pytest.mark.backends
def test_retrieval_every_passage_coded_x_by_anyone_by_a_coder_and_by_an_engine(study):
    assert keys(study, code="fear.displacement") == ["t1#4"]
    assert keys(study, code="prod.quality") == ["t2#2"]
    assert keys(study, code="fear.atrophy", coder="ben") == []
    assert keys(study, code="fear.atrophy", coder="ana") == ["t1#4"]
    assert keys(study, coder="ben") == ["t1#2", "t1#4"]
    assert keys(study, code="fear.displacement", engine=True) == ["t1#4"]
    # the older run's suggestion is not the engine's coding any more
    assert keys(study, code="hope.time", engine=True) == []
    assert keys(study, engine=True, coder="engine:local") == ["t1#4"]
    assert keys(study, "worry", code="fear.dependence") == []
    assert keys(study, "worry", code="fear.displacement") == ["t1#4"]


@pytest.mark.backends
def test_disagreement_matches_the_passages_where_human_coders_differ(study):
    assert keys(study, disagreement=True) == ["t1#4"]
    assert keys(study, code="fear.atrophy", disagreement=True) == ["t1#4"]
    assert keys(study, code="fear.displacement", disagreement=True) == []
    assert keys(study, code="fear.dependence", disagreement=True) == []


@pytest.mark.backends
def test_role_metadata_and_review_filters(study):
    assert keys(study, "deadline*", role=Role.INTERVIEWER) == ["t1#1"]
    assert keys(study, "deadline*", role=Role.PARTICIPANT) == ["t1#2", "t2#2"]
    assert keys(study, "deadline*", fields=(("group", "B"),)) == ["t2#2"]
    assert keys(study, "deadline*", fields=(("group", "C"),)) == []
    assert keys(study, role=Role.PARTICIPANT, reviewed=Review.NO) == ["t2#4"]
    assert keys(study, role=Role.PARTICIPANT, reviewed=Review.YES) == ["t1#2", "t1#4", "t2#2"]
    assert keys(study, role=Role.PARTICIPANT, unreviewed_by="ben") == ["t2#2", "t2#4"]
    assert keys(study, reviewed_by="ben") == ["t1#2", "t1#4"]


@pytest.mark.backends
def test_limit_keeps_the_total(study):
    with study.reading() as conn:
        result = search_passages(conn, "deadline*", limit=2)
    assert [hit.key for hit in result.hits] == ["t1#1", "t1#2"] and result.total == 3


@pytest.mark.backends
def test_unknown_names_are_refused_with_the_option(study):
    with study.reading() as conn:
        with pytest.raises(SearchError, match="--coder: no coder 'zoe'"):
            search_passages(conn, "x", SearchFilters(coder="zoe"))
        with pytest.raises(SearchError, match="--code: no code 'nope'"):
            search_passages(conn, "x", SearchFilters(code="nope"))
        with pytest.raises(SearchError, match="'ana' is not an engine coder"):
            search_passages(conn, "x", SearchFilters(engine=True, coder="ana"))


def test_a_schema_5_project_gets_its_index_built_by_the_upgrade(study, tmp_path):
    path = study.location
    study.close()
    with sqlite3.connect(path) as conn:  # as the previous release left it: no index
        conn.execute(f"DROP TABLE {schema.SEARCH_INDEX}")
        conn.execute(f"DROP VIEW {schema.SEARCH_VIEW}")
        conn.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    with Project.open(path) as project:
        assert project.upgraded_from == 5
        assert keys(project, "deadline") == ["t1#2", "t2#2"]


def test_the_index_holds_no_second_copy_of_the_text(study):
    with sqlite3.connect(study.location) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    assert f"{schema.SEARCH_INDEX}_content" not in tables  # external content: the view


def run(capsys, argv: list[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.backends
def test_cli_prints_the_same_results(study, capsys):
    path = study.location
    code, out, _ = run(capsys, ["search", path, "deadline", "--json"])
    assert code == 0
    data = json.loads(out)
    assert [hit["passage"] for hit in data["hits"]] == keys(study, "deadline")
    assert "[deadline]" in data["hits"][0]["snippet"]
    code, out, _ = run(
        capsys, ["search", path, "", "--code", "fear.atrophy", "--coder", "ana", "--json"]
    )
    assert [hit["passage"] for hit in json.loads(out)["hits"]] == ["t1#4"]
    code, out, _ = run(capsys, ["search", path, "deadline", "--field", "group=B"])
    assert code == 0 and "t2#2" in out and "t1#2" not in out and "1 passage" in out
    code, out, _ = run(capsys, ["search", path, "worry", "--disagreement", "--json"])
    assert [hit["passage"] for hit in json.loads(out)["hits"]] == ["t1#4"]


def test_cli_errors_are_one_line(study, capsys):
    code, _, err = run(capsys, ["search", study.location, "x", "--coder", "zoe"])
    assert code == 1 and err.startswith("error: --coder: no coder 'zoe'")
    assert len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, ["search", study.location, "x", "--field", "group"])
    assert code == 1 and "--field: 'group' is not FIELD=VALUE" in err


def test_the_snippet_marks_the_query_words_around_the_first_match():
    from workbench.core.store.search_query import query_terms
    from workbench.core.store.search_snippet import make_snippet

    passage = " ".join(f"w{i}" for i in range(60)) + " Café deadlines, then w99."
    snippet = make_snippet(passage, query_terms('cafe deadline* OR "then"'))
    assert f"{MARK_START}Café{MARK_END} {MARK_START}deadlines{MARK_END}" in snippet
    assert f"{MARK_START}then{MARK_END}" in snippet
    assert snippet.startswith("…") and "w0 " not in snippet and "OR" not in snippet
    assert make_snippet("short one", []) == "short one"


@pytest.mark.backends
def test_counting_stops_at_the_count_limit_and_says_so(study, monkeypatch):
    from workbench.core.store import search_types

    monkeypatch.setattr(search_types, "COUNT_LIMIT", 2)
    with study.reading() as conn:
        capped = search_passages(conn, "deadline*", limit=1)
        filtered = search_passages(conn, "deadline*", SearchFilters(role=Role.PARTICIPANT), limit=1)
    assert capped.total == 2 and capped.total_is_lower_bound
    assert capped.total_text() == "2 or more passages"
    assert filtered.total == 2 and filtered.to_dict()["total_is_lower_bound"] is True


def test_ascii_snippets_mark_whole_words_and_prefixes():
    from workbench.core.store.search_query import query_terms
    from workbench.core.store.search_snippet import make_snippet

    text = "Deadlines, a deadline and deadlined."
    exact = make_snippet(text, query_terms("deadline"))
    assert exact == f"Deadlines, a {MARK_START}deadline{MARK_END} and deadlined."
    assert make_snippet(text, query_terms("DEADLINE*")).count(MARK_START) == 3


def test_the_index_built_at_import_agrees_with_the_passage_text(study, tmp_path):
    # FTS5's integrity check re-reads every passage through the view and compares the index.
    write(tmp_path / "t3.txt", "Interviewer: Und?\n\nParticipant: Ärger über Fristen, wieder.\n")
    import_files(study, [tmp_path / "t3.txt"])
    with sqlite3.connect(study.location) as conn:
        conn.execute(
            f"INSERT INTO {schema.SEARCH_INDEX}({schema.SEARCH_INDEX}) VALUES ('integrity-check')"
        )
    assert keys(study, "arger fristen") == ["t3#2"]


def test_retrieval_carries_coded_selections_into_json_and_the_exported_view(study, tmp_path):
    """A code on a selection: the hit names the selection, the CSV and DOCX quote its words."""
    import csv

    from docx import Document

    from workbench.core.session import CodingSession
    from workbench.reports.retrieval import export_view

    passage = _key(study, "t1#4")
    with study.reading() as conn:
        [hit] = search_passages(conn, "", SearchFilters(code="fear.atrophy")).hits
    at = hit.text.index("my own skills fading")
    CodingSession(study, "ana").code_span(
        passage, "fear.atrophy", hit.start + at, hit.start + at + 20
    )
    with study.reading() as conn:
        result = search_passages(conn, "", SearchFilters(code="fear.atrophy"))
    [hit] = result.hits
    assert hit.selections == {"ana": [("fear.atrophy", hit.start + at, hit.start + at + 20)]}
    assert hit.to_dict()["selections"] == {
        "ana": [{"code": "fear.atrophy", "start": hit.start + at, "end": hit.start + at + 20}]
    }
    export_view(result, tmp_path / "view.csv")
    with open(tmp_path / "view.csv", encoding="utf-8", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["selections"] == "ana: fear.atrophy “my own skills fading”"
    export_view(result, tmp_path / "view.docx")
    paragraphs = [p.text for p in Document(str(tmp_path / "view.docx")).paragraphs]
    assert "Coded selections: ana: fear.atrophy “my own skills fading”" in paragraphs


@pytest.mark.backends
def test_words_are_folded_alike_on_both_backends(study, tmp_path):
    write(
        tmp_path / "t3.txt",
        "Interviewer: Und?\n\nParticipant: Ärger über Fristen_Plan, wieder; l'été à Zürich.\n",
    )
    import_files(study, [tmp_path / "t3.txt"])
    assert keys(study, "arger fristen") == ["t3#2"]
    assert keys(study, "ZURICH") == ["t3#2"]
    assert keys(study, "plan") == ["t3#2"]  # "_" splits words, as in SQLite's tokenizer
    assert keys(study, '"l ete"') == ["t3#2"]
    assert keys(study, '"ete l"') == []  # a phrase keeps its order
    assert keys(study, "fri* NOT zebra") == ["t3#2"]
    assert keys(study, "zebra OR wied*") == ["t3#2"]
    assert keys(study, "arger NOT zurich") == []


def test_the_server_query_has_the_meaning_of_the_fts5_one():
    from workbench.core.store.search_query import ts_expression

    assert ts_expression('deadline* "lean on"') == "('deadline':*) & ('lean' <-> 'on')"
    assert ts_expression("a OR b NOT c") == "('a') | ('b') & ! ('c')"
    assert ts_expression("AND - C++ NOT") == "('c')"  # C++ is the word c, "-" no word
    assert ts_expression("- !") == ""  # no word at all: nothing matches, as in FTS5
    assert ts_expression("Café's*") == "('cafe' <-> 's':*)"
    assert ts_expression("NOT") == "('not')"  # alone, the word


@pytest.mark.backends
def test_a_query_without_words_matches_nothing(study):
    assert keys(study, "- !") == []


def test_a_server_project_from_before_its_index_gets_it_from_the_upgrade(tmp_path):
    from sqlalchemy import create_engine

    from tests.conftest import POSTGRES_URL, fresh_postgres_database
    from workbench.core.store.importing import import_files

    if not POSTGRES_URL:
        pytest.skip("no PostgreSQL server: set WORKBENCH_TEST_POSTGRES_URL (.ci/run does)")
    write(tmp_path / "t2.txt", TWO)
    with fresh_postgres_database() as url:
        with Project.create(url) as project:
            import_files(project, [tmp_path / "t2.txt"])
        engine = create_engine(url)
        with engine.begin() as conn:  # as schema 7 left it: no index
            conn.exec_driver_sql(f"DROP TABLE {schema.SERVER_SEARCH_INDEX}")
            conn.exec_driver_sql("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
        engine.dispose()
        with Project.open(url) as project:
            assert project.upgraded_from == 7
            assert keys(project, "cafe") == ["t2#1"]
            assert keys(project, "deadline report") == ["t2#2"]


def test_folding_drops_exactly_the_marks_unicodedata_calls_combining():
    """The translate table learns marks per character; every code point folds as the plain
    per-character rule (NFKD, casefold, no combining character) folds it."""
    import unicodedata

    from workbench.core.store.search_query import _fold

    def by_rule(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        return "".join(ch for ch in decomposed if not unicodedata.combining(ch))

    every = "".join(chr(code) for code in range(0x110000) if not 0xD800 <= code < 0xE000)
    assert _fold(every) == by_rule(every)
    assert _fold("Ärger ÉTÉ ﬁn Straße") == "arger ete fin strasse"


@pytest.mark.backends
def test_passages_indexed_over_several_batches_are_each_found_once(study, tmp_path, monkeypatch):
    from workbench.core.store import server_search

    monkeypatch.setattr(server_search, "_BATCH", 2)
    turns = [
        f"Interviewer: Frage {n}?\n\nParticipant: Ärger {n} über Zürich_{n}.\n\n" for n in "abc"
    ]
    write(tmp_path / "t3.txt", "".join(turns))
    import_files(study, [tmp_path / "t3.txt"])
    assert keys(study, "zurich") == ["t3#2", "t3#4", "t3#6"]
    assert keys(study, "frage c") == ["t3#5"]
    with study.reading() as conn:
        passages = conn.execute(schema.passages.select()).all()
        if study.engine.dialect.name == "postgresql":
            indexed = conn.exec_driver_sql(
                f"SELECT count(*) FROM {schema.SERVER_SEARCH_INDEX}"
            ).scalar_one()
            assert indexed == len(passages)
