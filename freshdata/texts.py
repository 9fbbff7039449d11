"""Document texts live once, in per-day Parquet files on the data home; DuckDB keeps decisions and metadata.

A day's texts of one kind (`extracted`: what extraction produced, read by dedup and quality;
`quality`: the cleaned, PII-redacted text the quality stage decided on; `snapshot`: the quality file the
staged snapshot was built from, so the checks and the published Parquet read the same text) are one file
`texts/date=D/<kind>-<sha256 prefix>.parquet` with columns (partition_date, doc_id, text), sorted by
doc_id. The file is written and fsynced under a content-addressed name *before* the day's transaction
commits, and table `text_files` names it inside that transaction: a crash leaves the old row pointing at
the old file (an unreferenced new file is removed by the next write of the day), an old file never shadows
a new one, and a re-run with the same inputs writes the same name. Files no row names are deleted after
the commit (`remove_unreferenced`).

The data home is the folder of the DuckDB file (`store.db_path`), so the path is derived from the
connection: texts can never be read from another home than the rows that name them.
"""

from __future__ import annotations

import contextlib
import os
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from freshdata import store
from freshdata.durable import file_hash, fsync_path

FOLDER = "texts"
EMPTY = Path(FOLDER) / "empty.parquet"  # what a day without a file reads: no rows, the right columns
TMP_MARK = ".tmp-"
SIGNATURES = "signatures"  # the kind of a day's MinHash signatures file (dedup), beside the texts
TEXT_SCHEMA = {"doc_id": pl.Utf8, "text": pl.Utf8}
# Tables that held a `text` column before texts moved out, and the kind their texts become.
LEGACY = (("documents", "partition_date", "extracted"), ("quality_results", "partition_date", "quality"),
          ("snapshot_documents", "snapshot_date", "snapshot"))


def home_of(con: duckdb.DuckDBPyConnection) -> Path:
    """The data home of a connection: the folder of its database file."""
    [(path,)] = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return Path(path).resolve().parent


def day_folder(home: Path, day: date) -> Path:
    return home / FOLDER / f"date={day.isoformat()}"


def _write(con: duckdb.DuckDBPyConnection, day: date, rows: object, target_folder: Path, prefix: str,
           sql: str = "export_day_texts") -> Path:
    """COPY rows ((doc_id, text) for `export_day_texts`) to a temporary file with the named SQL, fsync it,
    rename it to <prefix>-<sha256 prefix>.parquet and fsync the folder; returns the final path."""
    target_folder.mkdir(parents=True, exist_ok=True)
    tmp = target_folder / f"{TMP_MARK}{os.getpid()}-{prefix}"  # no .parquet suffix: no glob picks it up
    con.register("staged_texts", rows)
    try:
        con.execute(store.load_sql(sql).replace("{path}", str(tmp).replace("'", "''")), {"day": day})
    finally:
        con.unregister("staged_texts")
    fsync_path(tmp)
    target = target_folder / f"{prefix}-{file_hash(tmp)[:16]}.parquet"
    os.replace(tmp, target)
    fsync_path(target_folder)
    return target


def write_day(con: duckdb.DuckDBPyConnection, day: date, kind: str, rows: object,
              sql: str = "export_day_texts") -> str:
    """Write the day's texts of `kind` (a frame with doc_id and text) and point text_files at the file.
    Other per-day columnar data uses the same files and rows with its own COPY `sql` (dedup's MinHash
    signatures: kind 'signatures', export_day_signatures).

    Call inside the day's transaction, then `remove_unreferenced` after COMMIT. Returns the path (relative
    to the data home)."""
    home = home_of(con)
    target = _write(con, day, rows, day_folder(home, day), kind, sql)
    relative = str(target.relative_to(home))
    store.run(con, "replace_text_file", {"day": day, "kind": kind, "path": relative})
    return relative


def path(con: duckdb.DuckDBPyConnection, day: date, kind: str) -> str:
    """Absolute path of the day's texts file of `kind`; a day without one reads an empty file."""
    home = home_of(con)
    rows = store.run(con, "select_text_file", {"day": day, "kind": kind}).fetchall()
    if rows:
        return str(home / rows[0][0])
    empty = home / EMPTY
    if not empty.exists():
        written = _write(con, day, pl.DataFrame(schema=TEXT_SCHEMA), empty.parent, "empty")
        os.replace(written, empty)
    return str(empty)


def run(con: duckdb.DuckDBPyConnection, name: str, day: date, kind: str, params: dict | None = None):
    """Run a named SQL file that reads `read_parquet($texts)`: the day's texts file of `kind`."""
    return store.run(con, name, {"day": day, **(params or {}), "texts": path(con, day, kind)})


def remove_unreferenced(con: duckdb.DuckDBPyConnection, day: date) -> list[Path]:
    """Delete the day's text files no text_files row names (superseded ones, and those of a write that
    crashed before its commit). Call after COMMIT; returns what was deleted."""
    home = home_of(con)
    keep = {home / p for (p,) in store.run(con, "select_day_text_files", {"day": day}).fetchall()}
    removed = []
    for file in day_folder(home, day).glob("*"):
        if file not in keep and (file.suffix == ".parquet" or file.name.startswith(TMP_MARK)):
            with contextlib.suppress(OSError):
                file.unlink()
                removed.append(file)
    return removed


def migrate_legacy(con: duckdb.DuckDBPyConnection) -> None:
    """Homes from before texts moved out: write every day's texts of documents, quality_results and
    snapshot_documents to files, name them in text_files and drop the `text` columns, in one transaction
    (a crash rolls it back; the next connection starts again and the files rewrite under the same names)."""
    with_text = {table for (table,) in store.run(con, "select_legacy_text_tables").fetchall()}
    legacy = [(table, column, kind) for table, column, kind in LEGACY if table in with_text]
    if not legacy:
        return
    days: set[date] = set()
    with store.transaction(con):
        for table, column, kind in legacy:
            def sql(name: str, table: str = table, column: str = column) -> str:
                return store.load_sql(name).replace("{table}", table).replace("{column}", column)

            for (day,) in con.execute(sql("select_legacy_text_days")).fetchall():
                rows = con.execute(sql("select_legacy_texts"), {"day": day}).fetchall()
                write_day(con, day, kind, pl.DataFrame(rows, schema=TEXT_SCHEMA, orient="row"))
                days.add(day)
            con.execute(sql("drop_legacy_text_column"))
    for day in sorted(days):
        remove_unreferenced(con, day)
