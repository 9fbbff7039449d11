"""DuckDB helpers: one database file under the data home, SQL loaded by name from `sql/`."""

from __future__ import annotations

import contextlib
import re
import sys
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import duckdb

_REPO_SQL = Path(__file__).resolve().parent.parent / "sql"
_PACKAGED_SQL = Path(__file__).resolve().parent / "_sql"


def sql_dir() -> Path:
    return _REPO_SQL if _REPO_SQL.is_dir() else _PACKAGED_SQL


@cache
def load_sql(name: str) -> str:
    """The text of `sql/<name>.sql` (name may contain a sub-folder, e.g. 'views/latest_snapshot')."""
    path = sql_dir() / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file {path}")
    return path.read_text(encoding="utf-8")


def db_path(home: Path) -> Path:
    return home / "freshdata.duckdb"


LOCK_HELD = "Could not set lock on file"
# A new database file gets 64 KB blocks instead of DuckDB's 256 KB (the size is fixed in the file; existing homes
# keep theirs): the catalog's tables are small and appended to every day, and with 256 KB blocks each table's
# column segments and every checkpoint's rewritten row group take whole blocks (issue 14: the file grew by
# ~2.3 KB a document over 5 days of 200-500 documents, of which ~0.85 KB is data). The same tables copied into
# fresh files: 2,500 documents 6.0 MB (256 KB) / 2.5 MB (64 KB) / 2.0 MB (16 KB); the 1M-document benchmark home
# 321 / 312 / 404 MB (16 KB segments compress worse).
NEW_FILE_CONFIG = {"default_block_size": "65536"}


def file_config(database: str, config: dict | None = None) -> dict:
    """`config`, plus NEW_FILE_CONFIG when the file does not exist yet."""
    return {**(config or {}), **({} if Path(database).exists() else NEW_FILE_CONFIG)}


def connect_waiting(database: str, config: dict, timeout_s: float, poll_s: float = 0.5) -> duckdb.DuckDBPyConnection:
    """A write connection, waiting while another process holds the file's lock (a reader's long query on
    pipeline tables): says so on stderr at once and every minute, and gives up after timeout_s."""
    started = time.monotonic()
    told = 0.0
    while True:
        try:
            return duckdb.connect(database, read_only=False, config=file_config(database, config))
        except duckdb.IOException as exc:
            if LOCK_HELD not in str(exc):
                raise
            waited = time.monotonic() - started
            match = re.search(r"lock is held in (.*?\(PID \d+\))", str(exc))
            holder = match.group(1) if match else "another process"
            if waited >= timeout_s:
                raise TimeoutError(f"gave up after {timeout_s:.0f} s waiting for the DuckDB write lock on {database}, "
                                   f"held by {holder}; set FRESHDATA_WAIT_TIMEOUT to wait longer") from None
            if not told or time.monotonic() - told >= 60:
                print(f"freshdata: waiting for the DuckDB write lock on {database}, held by {holder} "
                      f"(a query on pipeline tables?); giving up after {timeout_s:.0f} s", file=sys.stderr, flush=True)
                told = time.monotonic()
            time.sleep(poll_s)


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, rolled back on any error: a partition is replaced whole or not at all."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextlib.contextmanager
def streamed_join(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run the enclosed statements with their joins as written (the first table probes, the others are built
    into hash tables; the optimizer would pick the sides by estimated row counts) on one thread (where a probe
    keeps its scan's order), then restore both settings. For a streamed COPY: export_snapshot_parquet.sql."""
    [(threads, disabled)] = con.execute(
        "SELECT current_setting('threads'), current_setting('disabled_optimizers')").fetchall()
    con.execute("SET threads = 1")
    con.execute("SET disabled_optimizers = 'join_order,build_side_probe_side'")
    try:
        yield con
    finally:
        con.execute(f"SET threads = {int(threads)}")
        con.execute("SET disabled_optimizers = $disabled", {"disabled": disabled})


@cache
def statements(name: str) -> tuple[duckdb.Statement, ...]:
    """The statements of a named SQL file, split by DuckDB's own parser (a ';' inside a string or a comment
    stays where it is). DuckDB binds parameters to one statement at a time."""
    return tuple(duckdb.extract_statements(load_sql(name)))


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> duckdb.DuckDBPyConnection:
    """Execute every statement of a named SQL file; returns the cursor of the last one."""
    for statement in statements(name):
        # DuckDB refuses parameters a statement does not use: give each one only its own (parser-reported).
        wanted = statement.named_parameters
        used = {k: v for k, v in (params or {}).items() if k in wanted}
        cursor = con.execute(statement, used) if used else con.execute(statement)
    return cursor


def insert_rows(con: duckdb.DuckDBPyConnection, name: str, rows: object) -> None:
    """Run `sql/<name>.sql`, which inserts from a relation called `staged` (a polars/arrow frame)."""
    con.register("staged", rows)
    try:
        run(con, name)
    finally:
        con.unregister("staged")


def fetch_dicts(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> list[dict]:
    """Rows of a named query as dicts (DuckDB 2.0 connections have no Arrow/polars fetch)."""
    cursor = run(con, name, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
