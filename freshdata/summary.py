"""What users read in the terminal about their runs: the day summary, `freshdata stats`, the demo's epilogue."""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from freshdata import store
from freshdata.reader import first_line, open_reader, views_of
from freshdata.vocab import FUNNEL_STATES


def day_summary(con: duckdb.DuckDBPyConnection, day: date) -> dict:
    cursor = store.run(con, "select_day_funnel", {"day": day})
    names = [d[0] for d in cursor.description]
    row = cursor.fetchone()
    funnel = dict(zip(names, row, strict=True)) if row else {}
    funnel.pop("partition_date", None)
    reasons = store.run(con, "select_day_reasons", {"day": day}).fetchall()
    sources = store.run(con, "select_source_fetches", {"day": day}).fetchall()
    pii = store.fetch_dicts(con, "select_day_pii", {"day": day})[0]
    kept_tags: dict[str, list[tuple[str, int]]] = {}
    for tag, value, n in store.run(con, "select_day_kept_tags", {"day": day}).fetchall():
        kept_tags.setdefault(tag, []).append((value, n))
    boilerplate = store.fetch_dicts(con, "select_day_boilerplate", {"day": day})[0]
    semantic = store.fetch_dicts(con, "select_day_semantic", {"day": day})[0]
    return {"funnel": funnel, "reasons": reasons, "source_fetches": sources, "pii": pii, "kept_tags": kept_tags,
            "boilerplate": boilerplate, "semantic": semantic}


def print_day_summary(home: Path, day: date, out=sys.stdout) -> dict:
    with duckdb.connect(str(store.db_path(home)), read_only=True) as con:
        summary = day_summary(con, day)
    funnel = summary["funnel"]
    print(f"\n=== {day} ===", file=out)
    fetched_feeds = ", ".join(f"{kind} {state}{'/' + reason if reason else ''}: {n}"
                              for kind, state, reason, n in summary["source_fetches"])
    print(f"  sources fetched: {fetched_feeds or 'none'}", file=out)
    line = "  " + " | ".join(f"{k} {funnel.get(k, 0)}" for k in FUNNEL_STATES if funnel.get(k))
    print(line, file=out)
    for state, reason, n in summary["reasons"]:
        print(f"    {state:<18} {reason or '-':<44} {n}", file=out)
    pii = summary["pii"]
    if pii.get("documents"):
        kinds = ", ".join(f"{k} {v}" for k, v in pii.items() if k != "documents" and v)
        print(f"    {'pii_redacted':<18} {kinds:<44} {pii['documents']} doc(s)", file=out)
    removed = summary["boilerplate"]
    if removed.get("documents"):
        lines = f"repeated {removed['repeated']}, learned from the source {removed['learned']}"
        print(f"    {'boilerplate_lines':<18} {lines:<44} {removed['documents']} doc(s)", file=out)
    semantic = summary["semantic"]
    if semantic.get("documents"):
        dropped = f", {semantic['dropped']} dropped" if semantic["dropped"] else ""
        decided = (f"{semantic['duplicates']} duplicates{dropped}; stories {semantic['new_stories']} new, "
                   f"{semantic['joined_stories']} joined")
        print(f"    {'semantic':<18} {decided:<44} {semantic['documents']} doc(s)", file=out)
    for tag, values in summary["kept_tags"].items():
        shown = ", ".join(f"{value} {n}" for value, n in values[:6]) + (", …" if len(values) > 6 else "")
        print(f"    kept by {tag:<10} {shown}", file=out)
    return summary


def print_hour_summary(home: Path, hour: datetime, out=sys.stdout) -> dict:
    """One line per hourly run: what the round found and kept, how long its pages took to reach the snapshot
    (from their publication to the day's publication by the run), and the day's snapshot version after it."""
    from freshdata.snapshot import published_entry

    with duckdb.connect(str(store.db_path(home)), read_only=True) as con:
        row = store.fetch_dicts(con, "select_round_summary", {"day": hour.date(), "hour": hour.hour})[0]
    entry = published_entry(home, hour.date()) or {}
    latency = (f"publish → snapshot p50 {row['p50_minutes']:.0f} min, max {row['max_minutes']:.0f} min"
               if row["p50_minutes"] is not None else "nothing new to publish")
    print(f"  {hour:%H:%M}-{hour + timedelta(hours=1):%H:%M}  discovered {row['discovered']} | new {row['new']} | "
          f"kept {row['kept']} | {latency} | snapshot {hour.date()}: {entry.get('n_documents', 0)} documents "
          f"(version {entry.get('content_hash', '-')[:12]})", file=out)
    return row


SAMPLE_QUERY = ("SELECT snapshot_date, source, language, topic, word_count, left(title, 40) AS title "
                "FROM latest_snapshot ORDER BY word_count DESC LIMIT 5")


def print_demo_epilogue(home: Path, days: list[date]) -> None:
    """The snapshot figures and a sample query, read from the Parquet exports like any user would."""
    con = open_reader(home)
    print("\n=== snapshots (the Parquet files exports/published.json lists) ===")
    con.sql("SELECT snapshot_date, n_documents, n_extracted, n_exact_duplicate, n_near_duplicate, n_rejected, "
            "left(content_hash, 12) AS content_hash FROM manifest ORDER BY snapshot_date").show()
    con.sql("SELECT * FROM freshness").show()
    print("publish → ingest latency per day and source (hours): the days crawled once a day at 02:00 the next "
          "day, the last one every hour")
    con.sql("SELECT * FROM latency ORDER BY snapshot_date, source").show(max_rows=100)
    print(f'$ freshdata query "{SAMPLE_QUERY}"')
    con.sql(SAMPLE_QUERY).show(max_width=160)


def print_stories_and_diversity(con: duckdb.DuckDBPyConnection, day: date | None) -> None:
    """The day's biggest stories and its diversity (topics, formats, languages, lengths, story sizes) from
    the published snapshots; `day` None: the latest published day. Snapshots from before the semantic stage
    have no story columns: then nothing is printed."""
    columns = {r[0] for r in con.execute("DESCRIBE snapshots").fetchall()}
    if not {"story_id", "semantic_duplicate_of"} <= columns:
        return
    day = day or con.execute("SELECT max(snapshot_date) FROM snapshots").fetchall()[0][0]
    if day is None:
        return
    print(f"Biggest stories of {day} (size over every published day):")
    con.sql(store.load_sql("select_stats_stories").rstrip().rstrip(";"), params={"day": day}).show(max_width=250)
    print(f"Diversity of {day} (published documents):")
    rows: dict[str, list[str]] = {}
    for dimension, value, n in store.run(con, "select_stats_diversity", {"day": day}).fetchall():
        rows.setdefault(dimension, []).append(f"{value} {n}")
    for dimension, values in rows.items():
        print(f"  {dimension:<13} {', '.join(values[:8])}{', …' if len(values) > 8 else ''}")


STATS_COLUMNS = ["discovered", "new", "fetched", "failed", "extracted", "exact_duplicate", "near_duplicate",
                 "fresh", "rejected", "semantic_duplicate", "kept"]


def print_stats(home: Path, day: date | None) -> int:
    """The funnel of every day that ran (from the funnel export, plus days the pipeline database knows from
    fetch_log that the last publication did not cover, e.g. a day no source answered), then freshness."""
    con = open_reader(home, attach_pipeline=True)
    try:
        views = views_of(con)
        pipeline = bool(con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = 'pipeline'")
                        .fetchall()[0][0])
        day_sources = (["SELECT partition_date FROM memory.main.funnel"] if "funnel" in views else []) + (
            ["SELECT DISTINCT partition_date FROM pipeline.main.fetch_log"] if pipeline else [])
        if not day_sources:
            print("freshdata stats: no day has run yet", file=sys.stderr)
            return 1
        known = (["SELECT * FROM memory.main.funnel"] if "funnel" in views else []) + (
            ["SELECT * FROM pipeline.main.day_funnel WHERE partition_date IN (SELECT partition_date FROM days "
             + ("EXCEPT SELECT partition_date FROM memory.main.funnel" if "funnel" in views else "") + ")"]
            if pipeline else [])
        # no rows: every column exists even in a funnel export from before it (semantic_duplicate)
        known.append("SELECT " + ", ".join(f"NULL::BIGINT AS {c}" for c in STATS_COLUMNS) + " WHERE false")
        where = f"WHERE d.partition_date = DATE '{day.isoformat()}'" if day else ""
        columns = ", ".join(f"coalesce(k.{c}, 0) AS {c}" for c in STATS_COLUMNS)
        sql = (f"WITH days AS ({' UNION '.join(day_sources)}), known AS ({' UNION ALL BY NAME '.join(known)}) "
               f"SELECT d.partition_date, {columns} FROM days d LEFT JOIN known k USING (partition_date) "
               f"{where} ORDER BY d.partition_date")
        print("Funnel per day (discovered → new → fetched → extracted → duplicates → fresh → rejected, semantic "
              "duplicates dropped → kept):")
        con.sql(sql).show(max_width=250, max_rows=10_000)
        if "freshness" in views:
            print("Freshness per source:")
            con.sql("SELECT * FROM freshness").show()
            print("Publish → ingest latency per day and source (hours; `dated`: documents with a publication time):")
            only = f"WHERE snapshot_date = DATE '{day.isoformat()}' " if day else ""
            con.sql(f"SELECT * FROM latency {only}ORDER BY snapshot_date, source").show(max_rows=10_000)
        else:
            print("Freshness per source: nothing published yet")
        if pipeline and con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'pipeline' "
                                    "AND table_name = 'source_checks'").fetchall()[0][0]:
            print("Re-check interval per source (hours; history: the interval after each of its last 12 checks):")
            con.sql(store.load_sql("select_recheck_summary"), params={"day": day or date.max}).show(max_width=250)
        if "snapshots" in views:
            print_stories_and_diversity(con, day)
    except duckdb.Error as exc:
        print(f"freshdata stats: {first_line(exc)}", file=sys.stderr)
        return 1
    finally:
        con.close()
    return 0
