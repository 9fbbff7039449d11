"""What users read in the terminal: per-day summaries and read-only queries."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from datetime import date
from pathlib import Path

import duckdb

from freshdata import store
from freshdata.snapshot import SnapshotMismatch, published_state, verify_published


def _sql_text(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


class Refused(Exception):
    """A reader request that is not allowed, or cannot be answered; the message is one line for the user."""


READER_VIEWS = ("snapshots", "latest_snapshot", "freshness", "tag_counts", "manifest", "funnel")


def single_select(sql: str) -> str:
    """The text of exactly one SELECT statement (DuckDB's own parser decides), else Refused: no ATTACH,
    DETACH, COPY, INSTALL/LOAD, SET/RESET, PRAGMA, EXPORT, CREATE, CALL, nor a `;`-chained second statement."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise Refused(_first_line(exc)) from None
    if len(statements) != 1:
        raise Refused(f"exactly one statement is allowed, got {len(statements)}")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise Refused(f"only a SELECT is allowed, not {kind.name}")
    return sql


def reader_error(exc: Exception) -> str:
    """The one line a reader command prints for a refused or failed request."""
    if isinstance(exc, Refused | SnapshotMismatch):
        return f"refused: {exc}"
    if isinstance(exc, duckdb.PermissionException):
        return f"refused: {_first_line(exc)}"
    return _first_line(exc)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def open_reader(home: Path, attach_pipeline: bool = False, verify: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB over what is published (exports/published.json): views snapshots,
    latest_snapshot, freshness, tag_counts, manifest, funnel. It holds no lock on the pipeline database;
    with attach_pipeline (only for queries that name pipeline tables) that database is attached read-only
    as `pipeline`, when no run holds its write lock.

    The connection can read only those files (allowed_paths, enable_external_access = false: no other file,
    no URL, no extension install/load, no COPY target) and its configuration is locked before it is returned,
    so no SET can widen that. The pipeline database is attached (read-only) before access is restricted; DuckDB
    still lets a DETACH + ATTACH of that already opened file through, so callers run user text only after
    single_select. With verify, every published file is checked against published.json first
    (SnapshotMismatch)."""
    state = published_state(home)
    if verify and state is not None:
        verify_published(home, state)
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    database = store.db_path(home)
    text_files: dict[str, list[Path]] = {}
    if attach_pipeline and database.exists():  # before access is restricted: the file is not in allowed_paths
        try:
            con.execute(f"ATTACH {_sql_text(database)} AS pipeline (READ_ONLY)")
            con.execute("SET search_path = 'memory.main,pipeline.main'")
            text_files = _text_files(con, home)
        except duckdb.Error as exc:  # a run holds the write lock: the Parquet views still answer
            print(f"freshdata: pipeline tables unavailable ({_first_line(exc)}); "
                  "querying snapshots only", file=sys.stderr)
    files: list[Path] = []
    allowed: list[Path] = [path for paths in text_files.values() for path in paths]
    if state is not None:
        files = [home / e["path"] for e in state["snapshots"]]
        allowed += [*files, home / state["manifest"], home / state["funnel"]]
    con.execute(f"SET allowed_paths = [{', '.join(map(_sql_text, allowed))}]")
    con.execute("SET enable_external_access = false")
    if text_files:
        con.execute(_fill(store.load_sql("views/pipeline_texts"), {
            f"{{{kind}}}": (f"read_parquet([{', '.join(map(_sql_text, paths))}])" if paths else EMPTY_TEXTS)
            for kind, paths in text_files.items()}))
    if state is not None:
        fill = {"{home}": str(home).replace("'", "''"), "{files}": "[" + ", ".join(map(_sql_text, files)) + "]",
                "{manifest}": str(home / state["manifest"]).replace("'", "''"),
                "{funnel}": str(home / state["funnel"]).replace("'", "''")}
        views = (["snapshots", "latest_snapshot", "freshness", "tag_counts"] if files else []) + ["manifest", "funnel"]
        for name in views:
            con.execute(_fill(store.load_sql(f"views/{name}"), fill))
    con.execute("SET lock_configuration = true")
    return con


EMPTY_TEXTS = "(SELECT NULL::DATE AS partition_date, NULL::VARCHAR AS doc_id, NULL::VARCHAR AS text WHERE false)"
TEXT_KINDS = ("extracted", "quality", "snapshot")


def _fill(sql: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        sql = sql.replace(key, value)
    return sql


def _text_files(con: duckdb.DuckDBPyConnection, home: Path) -> dict[str, list[Path]]:
    """The texts files the attached pipeline database names, by kind (empty for a home whose texts were not
    moved to files yet: its tables still have their text column)."""
    if not con.execute(store.load_sql("select_reader_has_text_files")).fetchall():
        return {}
    return {kind: [home / p for (p,) in store.run(con, "select_text_files", {"kind": kind}).fetchall()]
            for kind in TEXT_KINDS}


def _nothing_published(home: Path, exc: duckdb.Error) -> bool:
    state = published_state(home)
    if state is not None and state.get("snapshots"):
        return False
    message = str(exc)
    return any(f"name {view} does not exist" in message for view in READER_VIEWS)


def _nothing_published_line(home: Path) -> str:
    return f"nothing is published yet in {home} (run `freshdata run` or `freshdata demo` first)"


def run_query(home: Path, sql: str, fmt: str = "table") -> int:
    """Answer from the published snapshots alone when the query allows; attach the pipeline database
    (read-only, which blocks a run's writes while the query lasts) only for queries naming its tables.
    Only one SELECT is run, on a connection that cannot write or read outside the published files."""
    con = None
    try:
        sql = single_select(sql)
        con = open_reader(home, verify=True)
        try:
            relation = con.sql(sql)
        except duckdb.CatalogException:
            con.close()
            con = open_reader(home, attach_pipeline=True)
            relation = con.sql(sql)
        if relation is None:
            return 0
        if fmt == "table":
            relation.show(max_width=200, max_rows=100)
        elif fmt == "csv":
            relation.pl().write_csv(sys.stdout)
        else:
            for row in relation.pl().iter_rows(named=True):
                print(json.dumps(row, default=str, ensure_ascii=False))
    except duckdb.CatalogException as exc:
        line = _nothing_published_line(home) if _nothing_published(home, exc) else _first_line(exc)
        print(f"freshdata query: {line}", file=sys.stderr)
        return 1
    except (Refused, SnapshotMismatch, duckdb.Error) as exc:
        print(f"freshdata query: {reader_error(exc)}", file=sys.stderr)
        return 1
    finally:
        if con is not None:
            con.close()
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
    pii = store.fetch_dicts(con, "select_day_pii", {"day": day})[0]
    kept_tags: dict[str, list[tuple[str, int]]] = {}
    for tag, value, n in store.run(con, "select_day_kept_tags", {"day": day}).fetchall():
        kept_tags.setdefault(tag, []).append((value, n))
    boilerplate = store.fetch_dicts(con, "select_day_boilerplate", {"day": day})[0]
    return {"funnel": funnel, "reasons": reasons, "source_fetches": sources, "pii": pii, "kept_tags": kept_tags,
            "boilerplate": boilerplate}


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
    pii = summary["pii"]
    if pii.get("documents"):
        kinds = ", ".join(f"{k} {v}" for k, v in pii.items() if k != "documents" and v)
        print(f"    {'pii_redacted':<18} {kinds:<44} {pii['documents']} doc(s)", file=out)
    removed = summary["boilerplate"]
    if removed.get("documents"):
        lines = f"repeated {removed['repeated']}, learned from the source {removed['learned']}"
        print(f"    {'boilerplate_lines':<18} {lines:<44} {removed['documents']} doc(s)", file=out)
    for tag, values in summary["kept_tags"].items():
        shown = ", ".join(f"{value} {n}" for value, n in values[:6]) + (", …" if len(values) > 6 else "")
        print(f"    kept by {tag:<10} {shown}", file=out)
    return summary


SAMPLE_QUERY = ("SELECT snapshot_date, source, language, topic, word_count, left(title, 40) AS title "
                "FROM latest_snapshot ORDER BY word_count DESC LIMIT 5")


def print_demo_epilogue(home: Path, days: list[date]) -> None:
    """The snapshot figures and a sample query, read from the Parquet exports like any user would."""
    con = open_reader(home)
    print("\n=== snapshots (the Parquet files exports/published.json lists) ===")
    con.sql("SELECT snapshot_date, n_documents, n_extracted, n_exact_duplicate, n_near_duplicate, n_rejected, "
            "left(content_hash, 12) AS content_hash FROM manifest ORDER BY snapshot_date").show()
    con.sql("SELECT * FROM freshness").show()
    print(f'$ freshdata query "{SAMPLE_QUERY}"')
    con.sql(SAMPLE_QUERY).show(max_width=160)


def export_mix(home: Path, date_from: date, date_to: date, where: str, fmt: str, out: Path,
               per_source: int | None = None, progress: bool = True) -> int:
    """Write the snapshots' rows matching `where` between two days to JSONL or Parquet; returns the count.

    `where` is applied as one filter expression (DuckDB's relational API parses it alone: a `)` closing the
    query, a UNION or a second statement is a parse error), on the locked reader connection. The file is
    written under a temporary name next to `out` and renamed at the end; on any failure nothing is left."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from tqdm import tqdm

    out = Path(out)
    if out.is_dir():
        raise Refused(f"cannot write {out}: it is a directory")
    con = open_reader(home, verify=True)
    try:
        rows = con.table("snapshots") if "snapshots" in _views(con) else None
        if rows is None:
            raise Refused(_nothing_published_line(home))
        rows = rows.filter(f"snapshot_date BETWEEN DATE '{date_from.isoformat()}' AND DATE '{date_to.isoformat()}'")
        try:
            rows = rows.filter(where or "true")
        except duckdb.Error as exc:
            raise Refused(f"--where must be one SQL expression on snapshot columns: {_first_line(exc)}") from None
        cap = int(per_source) if per_source is not None else 2**62
        relation = rows.query("matching", store.load_sql("export_mix").replace("{per_source}", str(cap)))
        total = relation.aggregate("count(*)").fetchall()[0][0]
        tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
        written = 0
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            reader = relation.to_arrow_reader(batch_size=2048)
            with contextlib.ExitStack() as stack:  # the file is opened before the bar shows: errors come alone
                if fmt == "parquet":
                    writer = stack.enter_context(pq.ParquetWriter(tmp, reader.schema, compression="zstd"))
                else:
                    fh = stack.enter_context(tmp.open("w", encoding="utf-8"))
                bar = stack.enter_context(tqdm(total=total, unit="doc", disable=not progress,
                                               desc=f"export {out.name}"))
                for batch in reader:
                    if fmt == "parquet":
                        writer.write_batch(batch)
                    else:
                        for row in batch.to_pylist():
                            fh.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")
                    written += batch.num_rows
                    bar.update(batch.num_rows)
            tmp.replace(out)
        except (OSError, pa.ArrowException) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else _first_line(exc)
            raise Refused(f"cannot write {out}: {reason}") from None
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
    finally:
        con.close()
    return written


def _views(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {name for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}


STATS_COLUMNS = ["discovered", "new", "fetched", "failed", "extracted", "exact_duplicate", "near_duplicate",
                 "fresh", "rejected", "kept"]


def print_stats(home: Path, day: date | None) -> int:
    """The funnel of every day that ran (from the funnel export, plus days the pipeline database knows from
    fetch_log that the last publication did not cover, e.g. a day no source answered), then freshness."""
    con = open_reader(home, attach_pipeline=True)
    try:
        views = _views(con)
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
        where = f"WHERE d.partition_date = DATE '{day.isoformat()}'" if day else ""
        columns = ", ".join(f"coalesce(k.{c}, 0) AS {c}" for c in STATS_COLUMNS)
        sql = (f"WITH days AS ({' UNION '.join(day_sources)}), known AS ({' UNION ALL BY NAME '.join(known)}) "
               f"SELECT d.partition_date, {columns} FROM days d LEFT JOIN known k USING (partition_date) "
               f"{where} ORDER BY d.partition_date")
        print("Funnel per day (discovered → new → fetched → extracted → duplicates → fresh → rejected → kept):")
        con.sql(sql).show(max_width=250, max_rows=10_000)
        if "freshness" in views:
            print("Freshness per source:")
            con.sql("SELECT * FROM freshness").show()
        else:
            print("Freshness per source: nothing published yet")
    except duckdb.Error as exc:
        print(f"freshdata stats: {_first_line(exc)}", file=sys.stderr)
        return 1
    finally:
        con.close()
    return 0


def register_commands(sub) -> None:
    """`freshdata export` and `freshdata stats`."""

    def parse_day(text: str) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a day YYYY-MM-DD: {text!r}") from None

    export = sub.add_parser("export", help="export a training mix from the snapshots by dates and tags")
    export.add_argument("--from", dest="date_from", type=parse_day, default=date(1970, 1, 1),
                        help="first day YYYY-MM-DD, inclusive (default: every published day)")
    export.add_argument("--to", dest="date_to", type=parse_day, default=date(9999, 12, 31),
                        help="last day YYYY-MM-DD, inclusive")
    export.add_argument("--where", default="true", help="SQL predicate on snapshot columns, e.g. "
                        "\"language = 'en' AND topic = 'Health' AND quality_score > 0.8\"")
    export.add_argument("--format", choices=["jsonl", "parquet"], default="jsonl",
                        help="jsonl (one document per line) or parquet")
    export.add_argument("--sample-per-source", type=int, help="at most N documents per source (stable sample)")
    export.add_argument("--out", required=True, type=Path, help="output file (written whole, then renamed)")
    export.set_defaults(func=_cmd_export)

    stats = sub.add_parser("stats", help="the funnel and freshness figures in the terminal")
    stats.add_argument("--date", type=parse_day, help="one day YYYY-MM-DD (default: every day)")
    stats.set_defaults(func=lambda args: print_stats(_home(), args.date))


def _home() -> Path:
    from freshdata.config import data_home

    return data_home()


def _cmd_export(args) -> int:
    try:
        n = export_mix(_home(), args.date_from, args.date_to, args.where, args.format, args.out,
                       args.sample_per_source)
    except (Refused, SnapshotMismatch, duckdb.Error) as exc:
        print(f"freshdata export: {reader_error(exc)}", file=sys.stderr)
        return 1
    print(f"wrote {n} documents to {args.out}")
    return 0
