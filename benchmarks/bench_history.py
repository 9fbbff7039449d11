"""Benchmark (not a test): does a day's work outside extraction stay flat as history grows?

    .venv/bin/python benchmarks/bench_history.py                  # 10k vs 1M documents of history (~10 min)
    .venv/bin/python benchmarks/bench_history.py --sizes 10000 100000 --day 2000
    .venv/bin/python benchmarks/bench_history.py --legacy          # also time the queries as they were before

Builds synthetic histories directly in a DuckDB file (benchmarks/history_gen.sql: `range()`-generated rows of
discovered_urls, fetch_log, extractions, documents, dedup_*, quality_results, snapshot_documents, manifest, with
the states, retries, duplicates and rejects of real days; documents' texts ~--chars characters, history
snapshot texts short), one Parquet file per published day and exports/published.json. Then, in a fresh process
per history size, times every per-day query / step that does not extract (best of --repeat runs) for one more
day of --day documents, and reports its peak RSS. Numbers go to benchmarks/README_history.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from freshdata import durable, schema, snapshot, store, texts  # noqa: E402
from freshdata.config import SourcesFile  # noqa: E402
from freshdata.crawl.daily import MAX_ATTEMPTS  # noqa: E402

GEN_SQL = Path(__file__).resolve().parent / "history_gen.sql"
FIRST = dt.date(2024, 1, 1)

FEEDS = [f"https://www.site{i}.example/feed.xml" for i in range(37)]  # the sources of history_gen.sql

# The per-day queries as they were before issue 14 (git 8c72024), for the side-by-side and for the tests
# (freshdata_tests/test_history_queries.py), which check that the rewrites return the same rows.
LEGACY = {
    "check_snapshot_repeats": """
SELECT s.doc_id, s.url, o.snapshot_date AS other_date
FROM snapshot_documents s
JOIN snapshot_documents o ON o.snapshot_date <> s.snapshot_date AND (o.doc_id = s.doc_id OR o.url = s.url)
WHERE s.snapshot_date = $day
LIMIT 20;""",
    "export_funnel_parquet": "COPY (SELECT * FROM day_funnel ORDER BY partition_date) TO '{path}' (FORMAT parquet);",
    "select_trailing_rates": """
WITH rates AS (
    SELECT partition_date,
           near_duplicate / nullif(extracted, 0) AS near_dup_rate,
           rejected / nullif(fresh, 0) AS reject_rate
    FROM day_funnel
    WHERE partition_date BETWEEN $day - to_days($window) AND $day
)
SELECT (SELECT near_dup_rate FROM rates WHERE partition_date = $day) AS near_dup_rate,
       (SELECT reject_rate FROM rates WHERE partition_date = $day) AS reject_rate,
       (SELECT avg(near_dup_rate) FROM rates WHERE partition_date < $day) AS trailing_near_dup_rate,
       (SELECT avg(reject_rate) FROM rates WHERE partition_date < $day) AS trailing_reject_rate,
       (SELECT count(*) FROM rates WHERE partition_date < $day) AS trailing_days;""",
    "select_retry_urls": """
WITH attempts AS (
    SELECT url, arg_max(source, fetched_at) AS source, max(partition_date) AS last_day,
           count(*) FILTER (WHERE reason IS DISTINCT FROM 'source_removed') AS n,
           bool_and(transient_failure(state, reason)) AS transient
    FROM fetch_log
    WHERE stage = 'fetch' AND kind = 'document' AND partition_date < $day
    GROUP BY url
), over_budget AS (
    SELECT url, arg_max(source, partition_date) AS source, max(partition_date) AS last_day
    FROM discovered_urls
    WHERE partition_date < $day AND state = 'over_budget'
      AND url NOT IN (SELECT url FROM fetch_log WHERE stage = 'fetch' AND kind = 'document')
    GROUP BY url
)
SELECT a.url, a.source, a.last_day,
       (SELECT max(published_at) FROM discovered_urls d WHERE d.url = a.url) AS published_at
FROM attempts a WHERE a.transient AND a.n < $max_attempts
UNION ALL
SELECT o.url, o.source, o.last_day, (SELECT max(published_at) FROM discovered_urls d WHERE d.url = o.url)
FROM over_budget o
ORDER BY url;""",
}  # select_document_texts scanned documents.text of every earlier day; texts are now files (freshdata.texts)


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> duckdb.DuckDBPyConnection:
    """Every statement of `sql`, each with only its own named parameters (like freshdata.store.run)."""
    cursor = con
    for statement in duckdb.extract_statements(sql):
        used = {k: v for k, v in params.items() if k in statement.named_parameters}
        cursor = con.execute(statement, used) if used else con.execute(statement)
    return cursor


def legacy(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> list[tuple]:
    return run_sql(con, LEGACY[name], params).fetchall()


def generate(con: duckdb.DuckDBPyConnection, days: int, per_day: int, chars: int, published: int,
             first: dt.date = FIRST, full_from: int | None = None) -> None:
    """Rows of days first .. first+days-1 in every pipeline table; days < first+published have snapshot rows
    and manifest rows (no files). Texts files: extracted for every day; quality and snapshot texts full from
    day index full_from on (default: the last), 40 characters before. Call inside a transaction."""
    full_from = days - 1 if full_from is None else full_from
    run_sql(con, GEN_SQL.read_text(encoding="utf-8"),
            {"first": first, "days": days, "n": per_day, "chars": chars, "full_from": full_from,
             "published": published})
    for k in range(days):
        day = first + dt.timedelta(days=k)
        rows = con.execute("SELECT doc_id, text FROM gen_texts WHERE partition_date = ?", [day]).fetchall()
        frame = pl.DataFrame(rows, schema=texts.TEXT_SCHEMA, orient="row")
        texts.write_day(con, day, "extracted", frame)
        short = frame if k >= full_from else frame.with_columns(pl.col("text").str.slice(0, 40))
        texts.write_day(con, day, "quality", short)
        store.run(con, "stage_snapshot_texts", {"day": day})
        sigs = con.execute("SELECT ord, text_hash, sig FROM gen_signatures WHERE partition_date = ? ORDER BY ord",
                           [day]).fetchall()
        texts.write_day(con, day, "signatures", pa.table({
            "ord": pa.array([r[0] for r in sigs], pa.int32()), "text_hash": pa.array([r[1] for r in sigs], pa.uint64()),
            "sig": pa.array([r[2] for r in sigs], pa.binary())}), sql="export_day_signatures")


def build(home: Path, history_docs: int, per_day: int, chars: int) -> dt.date:
    """A data home with history_docs documents' worth of published days, and the next day's pipeline rows up to
    quality (not staged, not published). Returns that day."""
    history_days = max(1, history_docs // per_day)
    shutil.rmtree(home, ignore_errors=True)
    con = schema.connect(home)
    t0 = time.perf_counter()
    with store.transaction(con):
        generate(con, history_days + 1, per_day, chars, history_days)
    today = FIRST + dt.timedelta(days=history_days)
    con.execute("CHECKPOINT")
    t1 = time.perf_counter()
    # one Parquet file per published day, its hash in the manifest, the funnel rows, then exports/published.json
    for (day,) in con.execute("SELECT snapshot_date FROM snapshot_manifest ORDER BY 1").fetchall():
        folder = home / "snapshots" / f"snapshot_date={day.isoformat()}"
        [(staged,)] = con.execute("SELECT count(*) FROM snapshot_documents WHERE snapshot_date = ?", [day]).fetchall()
        tmp = snapshot._export_day(con, day, folder, staged)
        content_hash = durable.file_hash(tmp)
        target = folder / f"part-{content_hash[:16]}.parquet"
        os.replace(tmp, target)
        con.execute("UPDATE snapshot_manifest SET export_path = ?, content_hash = ? WHERE snapshot_date = ?",
                    [str(target.relative_to(home)), content_hash, day])
    with store.transaction(con):
        snapshot.store_funnel_rows(con, today - dt.timedelta(days=1))
    snapshot.export_tables(con, home)
    con.execute("CHECKPOINT")
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (
        "discovered_urls", "fetch_log", "documents", "dedup_decisions", "quality_results", "snapshot_documents")}
    con.close()
    print(json.dumps({"built": str(home), "history_days": history_days, "generate_s": round(t1 - t0, 1),
                      "files_s": round(time.perf_counter() - t1, 1), "rows": counts,
                      "db_mb": round(store.db_path(home).stat().st_size / 1e6)}), file=sys.stderr)
    return today


def _history_sample(con: duckdb.DuckDBPyConnection, today: dt.date) -> list[tuple[dt.date, list[str]]]:
    """Doc ids dedup verification would ask for: 20 docs of each of 5 history days spread over the history."""
    days = [d for (d,) in con.execute("SELECT DISTINCT partition_date FROM dedup_days WHERE partition_date < ? "
                                      "ORDER BY 1", [today]).fetchall()]
    picked = [days[int(i * (len(days) - 1) / 4)] for i in range(5)] if days else []
    return [(d, [i for (i,) in con.execute("SELECT doc_id FROM dedup_decisions WHERE partition_date = ? "
                                           "ORDER BY ord LIMIT 20", [d]).fetchall()]) for d in dict.fromkeys(picked)]


def steps(con: duckdb.DuckDBPyConnection, home: Path, today: dt.date, old: bool):
    """(name, callable) of every per-day step outside extraction, in pipeline order."""
    day = {"day": today}
    sources = SourcesFile.model_validate(
        {"sources": [{"name": f"src{i}", "kind": "feed", "url": url} for i, url in enumerate(FEEDS)]})
    sample = _history_sample(con, today)
    new_urls = pl.DataFrame({"url": [u for (u,) in con.execute(
        "SELECT url FROM discovered_urls WHERE partition_date = ? AND state = 'new'", [today]).fetchall()]},
        schema={"url": pl.Utf8})

    def q(name: str, **params):
        if old and name in LEGACY:
            return lambda: legacy(con, name, {**day, **params})
        return lambda: store.run(con, name, {**day, **params}).fetchall()

    def known_urls():
        con.register("staged", new_urls)
        try:
            return store.run(con, "select_known_urls", {**day, "max_attempts": MAX_ATTEMPTS}).fetchall()
        finally:
            con.unregister("staged")

    def document_texts():
        for doc_day, ids in sample:  # one history day's texts file (no legacy form: documents has no text now)
            texts.run(con, "select_document_texts", doc_day, "extracted",
                      {**day, "ids": ids, "doc_day": doc_day}).fetchall()

    def export_funnel():
        tmp = home / "exports" / ".bench-funnel"
        sql = LEGACY["export_funnel_parquet"] if old else store.load_sql("export_funnel_parquet")
        con.execute(sql.replace("{path}", str(tmp)))
        tmp.unlink()

    def publish():
        snapshot.publish_snapshot(con, today, home, sources, "bench")

    return [
        ("discovery: select_validators (37 feeds)", q("select_validators", urls=FEEDS)),
        ("discovery: select_retry_urls", q("select_retry_urls", max_attempts=MAX_ATTEMPTS)),
        ("discovery: select_known_urls", known_urls),
        ("fetch: select_fetch_todo", q("select_fetch_todo")),
        ("fetch: select_fetch_reusable", q("select_fetch_reusable")),
        ("extraction: select_extraction_inputs", q("select_extraction_inputs")),
        ("dedup: select_document_days", q("select_document_days")),
        ("dedup: select_dedup_all_days", q("select_dedup_all_days")),
        ("dedup: select_dedup_order", q("select_dedup_order")),
        ("dedup: select_document_texts (5 days x 20)", document_texts),
        ("quality: select_quality_meta", q("select_quality_meta")),
        ("snapshot: stage_snapshot", lambda: snapshot.stage_snapshot(con, today)),
        ("check: check_snapshot_repeats", q("check_snapshot_repeats")),
        ("check: check_snapshot_duplicates", q("check_snapshot_duplicates")),
        ("check: check_snapshot_required_tags", q("check_snapshot_required_tags")),
        ("check: select_snapshot_doc_ids", q("select_snapshot_doc_ids")),
        ("check: select_day_funnel", q("select_day_funnel")),
        ("check: select_trailing_rates", q("select_trailing_rates", window=snapshot.TRAILING_DAYS)),
        ("check: select_silent_sources", q("select_silent_sources", window=snapshot.TRAILING_DAYS)),
        ("check: check_sources_answered", q("check_sources_answered")),
        ("publish: export_funnel_parquet", export_funnel),
        ("publish: publish_snapshot (all)", publish),
    ]


def measure(home: Path, today: dt.date, old: bool, repeat: int) -> dict:
    con = duckdb.connect(str(store.db_path(home)))
    schema.ensure_schema(con)  # a reused home gets today's macros and views (not timed)
    out, cpu = {}, {}
    for name, fn in steps(con, home, today, old):
        if old and name.startswith("publish: publish_snapshot"):
            continue  # publication itself is measured with the new code only
        best = best_cpu = float("inf")
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            best = min(best, time.perf_counter() - t0)
            best_cpu = min(best_cpu, time.process_time() - c0)  # all threads of this process: steadier under load
        out[name], cpu[name] = best, best_cpu
    con.close()
    return {"seconds": out, "cpu_seconds": cpu,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _child(args: list[str]) -> dict:
    result = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    sys.stderr.write(result.stderr)
    if result.returncode:
        raise SystemExit(f"child {args} failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--day", type=int, default=2000, help="documents' worth of URLs per day")
    parser.add_argument("--chars", type=int, default=2000, help="characters of text per document")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--legacy", action="store_true", help="also time the queries as they were")
    parser.add_argument("--work", type=Path, default=Path("/tmp/freshdata-bench-history"))
    parser.add_argument("--reuse", action="store_true", help="reuse homes built by an earlier run")
    parser.add_argument("--child", nargs=2, metavar=("ACTION", "HOME"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        action, home = args.child[0], Path(args.child[1])
        if action.startswith("build:"):
            today = build(home, int(action.split(":")[1]), args.day, args.chars)
            print(json.dumps({"today": today.isoformat()}))
        else:
            today = dt.date.fromisoformat(action.split(":")[1])
            print(json.dumps(measure(home, today, action.startswith("old:"), args.repeat)))
        return
    results = {}
    for size in args.sizes:
        home = args.work / f"h{size}"
        stamp = home / "bench-today.txt"
        if args.reuse and stamp.exists():
            today = stamp.read_text().strip()
        else:
            today = _child(["--child", f"build:{size}", str(home), "--day", str(args.day),
                            "--chars", str(args.chars)])["today"]
            stamp.write_text(today)
        backup = home.with_suffix(".pristine")  # every measurement starts from the same files
        shutil.rmtree(backup, ignore_errors=True)
        shutil.copytree(home, backup)
        results[size] = {"new": _child(["--child", f"new:{today}", str(home), "--repeat", str(args.repeat)])}
        if args.legacy:
            shutil.rmtree(home)
            shutil.copytree(backup, home)
            results[size]["old"] = _child(["--child", f"old:{today}", str(home), "--repeat", str(args.repeat)])
        shutil.rmtree(home)
        backup.rename(home)
    report(results, args.sizes)


def report(results: dict, sizes: list[int]) -> None:
    small, big = sizes[0], sizes[-1]
    variants = [v for v in ("new", "old") if v in results[small]]
    print(f"\nbest of runs, seconds; history {small:,} vs {big:,} documents")
    print(f"{'step':<48}" + "".join(f"{v + ' ' + f'{s:,}':>14}" for v in variants for s in (small, big))
          + "".join(f"{v + ' ratio':>11}" for v in variants))
    names = list(results[small]["new"]["seconds"])
    totals = {(v, s): 0.0 for v in variants for s in (small, big)}
    for name in names:
        row = f"{name:<48}"
        for v in variants:
            for s in (small, big):
                t = results[s][v]["seconds"].get(name)
                row += f"{t:>14.4f}" if t is not None else f"{'-':>14}"
                if t is not None and not name.startswith("publish: export_funnel"):  # inside publish (all)
                    totals[(v, s)] += t
        for v in variants:
            a, b = results[small][v]["seconds"].get(name), results[big][v]["seconds"].get(name)
            row += f"{b / a:>10.1f}x" if a and b is not None else f"{'-':>11}"
        print(row)
    row = f"{'total (publish counted once)':<48}" + "".join(f"{totals[(v, s)]:>14.3f}" for v in variants
                                                             for s in (small, big))
    print(row + "".join(f"{totals[(v, big)] / totals[(v, small)]:>10.2f}x" for v in variants))
    for v in variants:
        cpu = [sum(t for name, t in results[s][v]["cpu_seconds"].items()
                   if not name.startswith("publish: export_funnel")) for s in (small, big)]
        print(f"CPU time ({v}, all threads, publish counted once): {cpu[0]:.3f} s at {small:,}, {cpu[1]:.3f} s at "
              f"{big:,} ({cpu[1] / cpu[0]:.2f}x)")
    for v in variants:
        a, b = results[small][v]["peak_rss_mb"], results[big][v]["peak_rss_mb"]
        print(f"peak RSS ({v}): {a:.0f} MB at {small:,}, {b:.0f} MB at {big:,} (+{b - a:.0f} MB)")
    print(json.dumps({str(s): results[s] for s in sizes}))


if __name__ == "__main__":
    main()
