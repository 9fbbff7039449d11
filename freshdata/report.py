"""What users read in the terminal: per-day summaries and read-only queries."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import duckdb

from freshdata import store


def open_reader(home: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that sees the Parquet snapshots (never locked) and, when no run holds the
    write lock, the pipeline database attached read-only as `pipeline`."""
    con = duckdb.connect()
    snapshots = home / "snapshots"
    for name in ("snapshots", "latest_snapshot", "manifest", "funnel", "freshness", "tag_counts"):
        template = store.load_sql(f"views/{name}")
        if not snapshots.exists():
            break
        con.execute(template.replace("{home}", str(home).replace("'", "''")))
    database = store.db_path(home)
    if database.exists():
        try:
            con.execute(f"ATTACH '{str(database).replace(chr(39), chr(39) * 2)}' AS pipeline (READ_ONLY)")
            con.execute("SET search_path = 'memory.main,pipeline.main'")
        except duckdb.Error as exc:  # a run holds the write lock: the Parquet views still answer
            print(f"freshdata: pipeline tables unavailable ({str(exc).splitlines()[0]}); "
                  "querying snapshots only", file=sys.stderr)
    return con


def run_query(home: Path, sql: str, fmt: str = "table") -> int:
    try:
        con = open_reader(home)
        relation = con.sql(sql)
    except duckdb.Error as exc:
        print(f"freshdata query: {exc}", file=sys.stderr)
        return 1
    if relation is None:
        return 0
    if fmt == "table":
        relation.show(max_width=200, max_rows=100)
    elif fmt == "csv":
        relation.pl().write_csv(sys.stdout)
    else:
        for row in relation.pl().iter_rows(named=True):
            print(json.dumps(row, default=str, ensure_ascii=False))
    return 0


FUNNEL_ORDER = ["discovered", "known", "excluded_by_rule", "over_budget", "new", "fetched", "not_modified",
                "robots_disallowed", "ai_opt_out", "blocked_address", "deferred", "failed", "not_fetched",
                "extraction_failed", "extracted", "exact_duplicate", "near_duplicate", "fresh", "rejected",
                "kept"]


def day_summary(con: duckdb.DuckDBPyConnection, day: date) -> dict:
    cursor = store.run(con, "select_day_funnel", {"day": day})
    names = [d[0] for d in cursor.description]
    row = cursor.fetchone()
    funnel = dict(zip(names, row, strict=True)) if row else {}
    funnel.pop("partition_date", None)
    reasons = store.run(con, "select_day_reasons", {"day": day}).fetchall()
    sources = store.run(con, "select_source_fetches", {"day": day}).fetchall()
    return {"funnel": funnel, "reasons": reasons, "source_fetches": sources}


def print_day_summary(home: Path, day: date, out=sys.stdout) -> dict:
    with duckdb.connect(str(store.db_path(home)), read_only=True) as con:
        summary = day_summary(con, day)
    funnel = summary["funnel"]
    print(f"\n=== {day} ===", file=out)
    fetched_feeds = ", ".join(f"{kind} {state}{'/' + reason if reason else ''}: {n}"
                              for kind, state, reason, n in summary["source_fetches"])
    print(f"  sources fetched: {fetched_feeds or 'none'}", file=out)
    line = "  " + " | ".join(f"{k} {funnel.get(k, 0)}" for k in FUNNEL_ORDER if funnel.get(k))
    print(line, file=out)
    for state, reason, n in summary["reasons"]:
        print(f"    {state:<18} {reason or '-':<44} {n}", file=out)
    return summary


def print_demo_epilogue(home: Path, days: list[date]) -> None:
    """Hook for the snapshot figures and a sample query (filled in by the snapshot stage)."""
