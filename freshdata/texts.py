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

The data home is the folder of the DuckDB file (`store.db_path`), or the remote home that folder is bound to
(`storage.data_root`), so the path is derived from the connection: texts can never be read from another home
than the rows that name them. Files go through `freshdata.storage` (local folder or s3://…); spools are local
scratch, in the staging folder of a remote home.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from freshdata import storage, store
from freshdata.durable import file_hash

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


def root_of(con: duckdb.DuckDBPyConnection) -> str:
    """Where the connection's home keeps its files (a local folder or a URL; see storage.data_root)."""
    return storage.data_root(home_of(con))


def day_folder(root: str, day: date) -> str:
    return storage.join(root, FOLDER, f"date={day.isoformat()}")


ROW_GROUP_BYTES = 16 * 2**20  # text bytes per row group: what a reader or writer of the file holds at once
BUCKETS = 16  # a spool splits the day by the first hex digit of doc_id: one bucket is sorted in memory at a time
FILE_SCHEMA = pa.schema([("partition_date", pa.date32()), ("doc_id", pa.string()), ("text", pa.string())])


def _arrow(rows: object) -> pa.Table:
    """(doc_id, text) rows of a polars frame or an Arrow table, as an Arrow table."""
    if isinstance(rows, pl.DataFrame):
        rows = rows.to_arrow()
    return rows.select(["doc_id", "text"])


def _sorted_slices(table: pa.Table) -> Iterator[pa.Table]:
    """The rows sorted by doc_id, in slices of about ROW_GROUP_BYTES of text (one `take` each, so the sorted
    copy of a big day never exists whole)."""
    if not table.num_rows:
        return
    order = pc.sort_indices(table["doc_id"]).to_numpy()
    lengths = pc.fill_null(pc.binary_length(table["text"]), 0).to_numpy()[order]
    start, size = 0, 0
    for i, length in enumerate(lengths):
        size += int(length)
        if size >= ROW_GROUP_BYTES or i == len(lengths) - 1:
            yield table.take(order[start : i + 1])
            start, size = i + 1, 0


class _FileWriter:
    """One texts file: (partition_date, doc_id, text) in doc_id order, zstd, row groups of ~ROW_GROUP_BYTES of
    text with min/max statistics, so a lookup of a few ids (dedup's verification of history candidates) skips
    row groups. Written to a temporary name; `close` fsyncs it and renames it to <prefix>-<sha256>.parquet."""

    def __init__(self, day: date, target_folder: str, prefix: str) -> None:
        self.day, self.folder, self.prefix = day, target_folder, prefix
        self.tmp = _tmp_file(target_folder, prefix)
        self.writer = pq.ParquetWriter(self.tmp, FILE_SCHEMA, compression="zstd")

    def write(self, rows: pa.Table) -> None:
        """Rows already sorted, and after every row written before."""
        days = pa.array([self.day] * rows.num_rows, pa.date32())
        self.writer.write_table(pa.table([days, rows["doc_id"].cast(pa.string()), rows["text"].cast(pa.string())],
                                         schema=FILE_SCHEMA), row_group_size=max(1, rows.num_rows))

    def close(self) -> str:
        self.writer.close()
        return _publish(self.tmp, self.folder, self.prefix)


def _tmp_file(target_folder: str, prefix: str) -> Path:
    """The local file a texts file is written to before `_publish` (no .parquet suffix: no glob picks it up)."""
    return storage.local_folder(target_folder) / f"{TMP_MARK}{os.getpid()}-{prefix}"


def _publish(tmp: Path, target_folder: str, prefix: str) -> str:
    """Move a written file to <prefix>-<sha256 prefix>.parquet in the folder (rename or one upload)."""
    return storage.publish(tmp, storage.join(target_folder, f"{prefix}-{file_hash(tmp)[:16]}.parquet"))


def _write(con: duckdb.DuckDBPyConnection, day: date, rows: object, target_folder: str, prefix: str,
           sql: str | None = None) -> str:
    """Write (doc_id, text) rows sorted by doc_id to a temporary file, fsync it, rename it to
    <prefix>-<sha256 prefix>.parquet and fsync the folder; returns the final path. With `sql`, the rows are
    another kind of per-day data written by that COPY (see write_day)."""
    if sql is not None:
        return _copy_write(con, day, rows, target_folder, prefix, sql)
    out = _FileWriter(day, target_folder, prefix)
    for part in _sorted_slices(_arrow(rows)):
        out.write(part)
    return out.close()


class Spool:
    """A day's texts of one kind written as they are produced, never held whole in memory.

    `add` appends a batch to one of BUCKETS files by the first hex digit of doc_id (doc ids are sha256 hex, so
    the buckets are even); `write_day` sorts one bucket at a time into the day's file: the same rows in the same
    order as `write_day` writes (row groups also break between buckets), and the same rows, added in any order and
    batches, always give the same file. Use as a context manager: the spool folder is removed on exit."""

    def __init__(self, con: duckdb.DuckDBPyConnection, day: date, kind: str) -> None:
        self.day, self.kind = day, kind
        self.folder = day_folder(root_of(con), day)
        self.dir = storage.local_folder(self.folder) / f"{TMP_MARK}{os.getpid()}-{kind}-spool"
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.writers: dict[str, pq.ParquetWriter] = {}

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        for w in self.writers.values():
            w.close()
        self.writers.clear()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _file(self, bucket: str) -> Path:
        return self.dir / f"{bucket.encode().hex() or 'empty'}.parquet"  # any doc_id, even a non-hex one

    def add(self, rows: object) -> None:
        table = _arrow(rows)
        if not table.num_rows:
            return
        schema = pa.schema([("doc_id", pa.string()), ("text", pa.string())])
        table = pa.table([table["doc_id"].cast(pa.string()), table["text"].cast(pa.string())], schema=schema)
        first = pc.utf8_slice_codeunits(table["doc_id"], 0, 1)
        for bucket in pc.unique(first).to_pylist():
            part = table.filter(pc.equal(first, bucket))
            writer = self.writers.get(bucket)
            if writer is None:
                writer = self.writers[bucket] = pq.ParquetWriter(self._file(bucket), schema,
                                                                 compression="zstd", compression_level=1)
            writer.write_table(part)

    def write_day(self, con: duckdb.DuckDBPyConnection) -> str:
        """The day's file from every row added (like `write_day`): name it in text_files. Inside the day's
        transaction, then `remove_unreferenced` after COMMIT."""
        for w in self.writers.values():
            w.close()
        buckets = sorted(self.writers)
        self.writers.clear()
        out = _FileWriter(self.day, self.folder, self.kind)
        for bucket in buckets:
            for part in _sorted_slices(pq.read_table(self._file(bucket))):
                out.write(part)
        return _name(con, self.day, self.kind, out.close())


def _copy_write(con: duckdb.DuckDBPyConnection, day: date, rows: object, target_folder: str, prefix: str,
                sql: str) -> str:
    """COPY rows to a temporary file with the named SQL, fsync it, rename it to <prefix>-<sha256
    prefix>.parquet and fsync the folder; returns the final path."""
    tmp = _tmp_file(target_folder, prefix)
    con.register("staged_texts", rows)
    try:
        con.execute(store.load_sql(sql).replace("{path}", str(tmp).replace("'", "''")), {"day": day})
    finally:
        con.unregister("staged_texts")
    return _publish(tmp, target_folder, prefix)


def write_day(con: duckdb.DuckDBPyConnection, day: date, kind: str, rows: object, sql: str | None = None) -> str:
    """Write the day's texts of `kind` (a frame with doc_id and text) and point text_files at the file.
    Other per-day columnar data uses the same files and rows with its own COPY `sql` (dedup's MinHash
    signatures: kind 'signatures', export_day_signatures).

    Call inside the day's transaction, then `remove_unreferenced` after COMMIT. Returns the path (relative
    to the data home)."""
    return _name(con, day, kind, _write(con, day, rows, day_folder(root_of(con), day), kind, sql))


def _name(con: duckdb.DuckDBPyConnection, day: date, kind: str, target: str) -> str:
    relative = storage.relative(target, root_of(con))
    store.run(con, "replace_text_file", {"day": day, "kind": kind, "path": relative})
    return relative


def path(con: duckdb.DuckDBPyConnection, day: date, kind: str) -> str:
    """Absolute path (or URL) of the day's texts file of `kind`; a day without one reads an empty file.
    The connection can read it: a remote home's filesystem is registered with it."""
    root = root_of(con)
    storage.register(con, root)
    rows = store.run(con, "select_text_file", {"day": day, "kind": kind}).fetchall()
    if rows:
        return storage.join(root, rows[0][0])
    empty = storage.join(root, str(EMPTY))
    if not storage.exists(empty):
        written = _write(con, day, pl.DataFrame(schema=TEXT_SCHEMA), storage.parent(empty), "empty")
        storage.move(written, empty)
    return empty


def run(con: duckdb.DuckDBPyConnection, name: str, day: date, kind: str, params: dict | None = None):
    """Run a named SQL file that reads `read_parquet($texts)`: the day's texts file of `kind`."""
    return store.run(con, name, {"day": day, **(params or {}), "texts": path(con, day, kind)})


def batches(con: duckdb.DuckDBPyConnection, day: date, kind: str,
            rows: int = 256) -> Iterator[tuple[list[str], list[str]]]:
    """The day's texts of `kind` as (doc_ids, texts) batches in file order (doc_id), read one row group at a
    time: a stage goes through a day's texts without holding them all."""
    with storage.open_read(path(con, day, kind)) as fh:
        for batch in pq.ParquetFile(fh).iter_batches(batch_size=rows, columns=["doc_id", "text"]):
            yield batch.column(0).to_pylist(), batch.column(1).to_pylist()


def remove_unreferenced(con: duckdb.DuckDBPyConnection, day: date) -> list[str]:
    """Delete the day's text files no text_files row names (superseded ones, and those of a write that
    crashed before its commit, also in a remote home's local staging folder). Call after COMMIT; returns what
    was deleted."""
    root = root_of(con)
    keep = {storage.join(root, p) for (p,) in store.run(con, "select_day_text_files", {"day": day}).fetchall()}
    removed = []
    for place in storage.places(day_folder(root, day)):
        for name, is_dir in storage.entries(place):
            file = storage.join(place, name)
            if file not in keep and (name.endswith(".parquet") or name.startswith(TMP_MARK)):
                with contextlib.suppress(OSError):
                    if is_dir:  # a spool a crash left behind
                        shutil.rmtree(file)
                    else:
                        storage.delete(file)
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
