"""Reading what is published: the locked, read-only reader connection and `freshdata query`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

from freshdata import storage, store
from freshdata.snapshot import SnapshotMismatch, published_state, verify_published


def _sql_text(value: storage.Location) -> str:
    return "'" + str(value).replace("'", "''") + "'"


class Refused(Exception):
    """A reader request that is not allowed, or cannot be answered; the message is one line for the user."""


READER_VIEWS = ("snapshots", "latest_snapshot", "freshness", "latency", "tag_counts", "manifest", "funnel")


def single_select(sql: str) -> str:
    """The text of exactly one SELECT statement (DuckDB's own parser decides), else Refused: no ATTACH,
    DETACH, COPY, INSTALL/LOAD, SET/RESET, PRAGMA, EXPORT, CREATE, CALL, nor a `;`-chained second statement."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise Refused(first_line(exc)) from None
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
        return f"refused: {first_line(exc)}"
    return first_line(exc)


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def open_reader(home: Path, attach_pipeline: bool = False, verify: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB over what is published (exports/published.json): views snapshots,
    latest_snapshot, freshness, latency, tag_counts, manifest, funnel. It holds no lock on the pipeline database;
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
    root = storage.data_root(home)
    storage.register(con, root)  # a remote home's files, read through fsspec (allowed_paths still applies)
    database = store.db_path(home)
    text_files: dict[str, list[str]] = {}
    if attach_pipeline and database.exists():  # before access is restricted: the file is not in allowed_paths
        try:
            con.execute(f"ATTACH {_sql_text(database)} AS pipeline (READ_ONLY)")
            con.execute("SET search_path = 'memory.main,pipeline.main'")
            text_files = _text_files(con, root)
        except duckdb.Error as exc:  # a run holds the write lock: the Parquet views still answer
            print(f"freshdata: pipeline tables unavailable ({first_line(exc)}); "
                  "querying snapshots only", file=sys.stderr)
    files: list[str] = []
    allowed: list[str] = [path for paths in text_files.values() for path in paths]
    if state is not None:
        files = [storage.join(root, e["path"]) for e in state["snapshots"]]
        allowed += [*files, storage.join(root, state["manifest"]), storage.join(root, state["funnel"])]
    con.execute(f"SET allowed_paths = [{', '.join(map(_sql_text, allowed))}]")
    con.execute("SET enable_external_access = false")
    if text_files:
        con.execute(_fill(store.load_sql("views/pipeline_texts"), {
            f"{{{kind}}}": (f"read_parquet([{', '.join(map(_sql_text, paths))}])" if paths else EMPTY_TEXTS)
            for kind, paths in text_files.items()}))
    if state is not None:
        fill = {"{home}": root.replace("'", "''"), "{files}": "[" + ", ".join(map(_sql_text, files)) + "]",
                "{manifest}": storage.join(root, state["manifest"]).replace("'", "''"),
                "{funnel}": storage.join(root, state["funnel"]).replace("'", "''")}
        views = [*READER_VIEWS[:5]] if files else []
        views += ["manifest", "funnel"]
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


def _text_files(con: duckdb.DuckDBPyConnection, root: str) -> dict[str, list[str]]:
    """The texts files the attached pipeline database names, by kind (empty for a home whose texts were not
    moved to files yet: its tables still have their text column)."""
    if not con.execute(store.load_sql("select_reader_has_text_files")).fetchall():
        return {}
    return {kind: [storage.join(root, p) for (p,) in store.run(con, "select_text_files", {"kind": kind}).fetchall()]
            for kind in TEXT_KINDS}


def _nothing_published(home: Path, exc: duckdb.Error) -> bool:
    state = published_state(home)
    if state is not None and state.get("snapshots"):
        return False
    message = str(exc)
    return any(f"name {view} does not exist" in message for view in READER_VIEWS)


def nothing_published_line(home: Path) -> str:
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
        line = nothing_published_line(home) if _nothing_published(home, exc) else first_line(exc)
        print(f"freshdata query: {line}", file=sys.stderr)
        return 1
    except (Refused, SnapshotMismatch, duckdb.Error) as exc:
        print(f"freshdata query: {reader_error(exc)}", file=sys.stderr)
        return 1
    finally:
        if con is not None:
            con.close()
    return 0


def views_of(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {name for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
