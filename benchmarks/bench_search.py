"""Search latency at scale: full-text queries, with and without filters, over a large project.

Run on demand (building the project takes minutes; it is kept for later runs):

    .venv/bin/python benchmarks/bench_search.py --project /tmp/search-20k.wb --transcripts 20000

The project is the workspace benchmark's (``bench_workspace.build``: synthetic transcripts of
about 6,000 characters and one very long one), plus two human coders' codes on a sample of
passages (where they differ on some) so that the code and disagreement filters have work to do.
Each query runs ``--repeat`` times in a fresh read transaction, as the CLI and the GUI run it;
the report gives median and 95th percentile milliseconds, the matches and the size of the index.
The disagreement filter is worked out once per state of the decision log and reused, so its
queries are measured three times: as repeated (``"cold": false``, the reuse a coder typing words
in that view gets), with nothing reused (``"cold": true``, the first search in a session) and
with the answer kept from one decision before the head (``"after_one_decision": true``, the
first search after a coder decides: the kept answer is caught up by re-reading the passage that
decision touched). The last is simulated read-only by moving the kept answer's head back one
decision, so the kept project is never written.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

QUERIES: list[tuple[str, dict[str, object]]] = [
    ("invoices", {}),  # common: in about one passage in a dozen
    ('"grant proposals"', {}),
    ("cheat*", {}),
    ("tutor patient", {}),
    ("zebra", {}),  # in no passage
    ("invoices", {"role": "participant"}),
    ("invoices", {"fields": (("group", "creatives"),)}),
    ("invoices", {"code": "prod.speed"}),
    ("", {"code": "prod.speed"}),  # retrieval: every passage coded X
    ("", {"code": "prod.speed", "coder": "ana"}),
    ("", {"disagreement": True}),
    ("colleagues", {"disagreement": True, "code": "prod.speed"}),
]


def add_codings(project_path: Path, passages: int, seed: int = 1) -> None:
    """ana and ben code the same sample of participant passages, agreeing three times in four."""
    from workbench.core.spreadsheet import import_decisions_csv
    from workbench.core.store import Project
    from workbench.core.store.queries import passage_key

    codes = ["prod.speed", "prod.quality", "fear.dependence", "hope.time"]
    rng = random.Random(seed)
    with Project.open(project_path) as project:
        with project.reading() as conn:
            from sqlalchemy import text

            rows = conn.execute(
                text(
                    "SELECT t.external_id, p.position FROM passages p JOIN transcripts t "
                    "ON t.id = p.transcript_id WHERE p.coded = 1 ORDER BY random() LIMIT :n"
                ),
                {"n": passages},
            ).all()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "decisions.csv"
            lines = ["passage_id,coder,code"]
            for external_id, position in rows:
                key = passage_key(external_id, position)
                code = rng.choice(codes)
                other = code if rng.random() < 0.75 else rng.choice(codes)
                lines += [f"{key},ana,{code}", f"{key},ben,{other}"]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            import_decisions_csv(project, path)


def index_bytes(project_path: Path) -> int:
    import sqlite3

    with sqlite3.connect(project_path) as conn:
        return conn.execute(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'passage_fts%'"
        ).fetchone()[0]


def _one_decision_back(conn, disagreement) -> None:  # type: ignore[no-untyped-def]
    """Make every kept disagreement answer one decision older than the log's head, as if a
    coder had just decided: the next search catches it up (``search_disagreement._moved_on``)."""
    from sqlalchemy import select

    from workbench.core.store import schema

    d = schema.decisions
    for key, (head_id, _hash, found) in list(disagreement._DISAGREEING.items()):
        before = conn.execute(
            select(d.c.id, d.c.row_hash).where(d.c.id < head_id).order_by(d.c.id.desc()).limit(1)
        ).first()
        if before is not None:
            disagreement._DISAGREEING[key] = (int(before[0]), before[1], found)


def measure(project_path: Path, repeat: int) -> dict[str, object]:
    from workbench.core.store import Project, search_disagreement
    from workbench.core.store.search import Role, SearchFilters, search_passages

    results = []
    runs: list[tuple[str, dict[str, object], bool | str]] = [
        (query, raw, False) for query, raw in QUERIES
    ]
    runs += [(query, raw, True) for query, raw in QUERIES if raw.get("disagreement")]
    runs += [(query, raw, "one") for query, raw in QUERIES if raw.get("disagreement")]
    with Project.open(project_path, read_only=True) as project:
        status = project.status()
        for query, raw, cold in runs:
            options = dict(raw)
            if "role" in options:
                options["role"] = Role(options["role"])
            filters = SearchFilters(**options)  # type: ignore[arg-type]
            times = []
            total = 0
            for _ in range(repeat):
                if cold == "one":
                    with project.reading() as conn:
                        search_passages(conn, query, filters, limit=200)  # kept at the head
                        _one_decision_back(conn, search_disagreement)
                elif cold:
                    search_disagreement._DISAGREEING.clear()
                started = time.perf_counter()
                with project.reading() as conn:
                    result = search_passages(conn, query, filters, limit=200)
                times.append((time.perf_counter() - started) * 1000)
                total = result.total
            times.sort()
            results.append(
                {
                    "query": query,
                    "filters": {k: str(v) for k, v in raw.items()},
                    **(
                        {"after_one_decision": True}
                        if cold == "one"
                        else {"cold": cold}
                        if raw.get("disagreement")
                        else {}
                    ),
                    "matches": total,
                    "ms_median": round(statistics.median(times), 1),
                    "ms_p95": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
                }
            )
    size = project_path.stat().st_size
    fts = index_bytes(project_path)
    return {
        "transcripts": status["transcripts"],
        "passages": status["passages"],
        "project_mb": round(size / 1e6, 1),
        "index_mb": round(fts / 1e6, 1),
        "index_share_of_project": round(fts / size, 3),
        "queries": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--project", type=Path, default=Path(tempfile.gettempdir()) / "workbench-search.wb"
    )
    parser.add_argument("--transcripts", type=int, default=81_000)
    parser.add_argument("--coded", type=int, default=20_000, help="passages the two coders code")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if not args.project.exists():
        from bench_workspace import build

        build(args.project, args.transcripts)
        add_codings(args.project, args.coded)
    print(json.dumps(measure(args.project, args.repeat), indent=2))


if __name__ == "__main__":
    main()
