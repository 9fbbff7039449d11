"""The DuckDB file is a small catalog: homes from before it was slimmed are migrated on the first write connection.

Since then (issue 14) the big per-day tables have no PRIMARY KEY (a day's rows are replaced whole, by a delete and
an insert in one transaction, and no query looks a row up by key, so the ART index only cost ~50-150 bytes a
row), snapshot_documents no longer keeps a copy of quality_results.stats (the published Parquet and the
readers' view join it from quality_results), and dedup's MinHash signatures (~0.5 KB a document) are per-day
Parquet files named by text_files (kind 'signatures'), not table dedup_signatures; snapshot_keys (the md5 keys
of every staged snapshot row, for check_snapshot_repeats) and fetch_keys (the md5 of every document fetch's URL,
for select_known_urls) and discovery_days (the days with discovered URLs, for select_funnel_stale_days) are
filled for the days that have none. `migrate` rebuilds each
such table from its `sql/create_*.sql` DDL and copies its rows, and writes every day's signatures file and
drops the table, in one transaction; rows, their order and every value stay as they were.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from freshdata import store, texts

DDL = {"discovered_urls": "create_crawl", "extractions": "create_crawl", "documents": "create_crawl",
       "quality_results": "create_quality", "snapshot_documents": "create_snapshot"}


def _sql(name: str, **fill: str) -> str:
    text = store.load_sql(name)
    for key, value in fill.items():
        text = text.replace("{" + key + "}", value)
    return text


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Rebuild the tables that still have a primary key (or snapshot_documents' stats); returns their names."""
    store.run(con, "fill_snapshot_keys")  # these run only when the DDL changed (schema.ensure_schema)
    store.run(con, "fill_fetch_keys")
    store.run(con, "fill_discovery_days")
    tables = [t for (t,) in store.run(con, "select_catalog_migrations").fetchall()]
    if not tables:
        return []
    with store.transaction(con):
        if "dedup_signatures" in tables:
            tables.remove("dedup_signatures")
            _signatures_to_files(con)
        for table in tables:
            for statement in duckdb.extract_statements(_sql("rename_catalog_table", table=table)):
                con.execute(statement)
            con.execute(store.load_sql(DDL[table]))
            columns = ", ".join(f'"{c}"' for (c,) in store.run(con, "select_table_columns", {"table": table})
                                .fetchall())
            for statement in duckdb.extract_statements(_sql("copy_catalog_table", table=table, columns=columns)):
                con.execute(statement)
    return tables


def _signatures_to_files(con: duckdb.DuckDBPyConnection) -> None:
    """Each decided day's rows of table dedup_signatures to its signatures file, then drop the table."""

    for (day,) in store.run(con, "select_legacy_signature_days").fetchall():
        rows = store.run(con, "select_legacy_signatures", {"day": day}).fetchall()
        frame = pa.table({"ord": pa.array([r[0] for r in rows], pa.int32()),
                          "text_hash": pa.array([r[1] for r in rows], pa.uint64()),
                          "sig": pa.array([r[2] for r in rows], pa.binary())})
        texts.write_day(con, day, texts.SIGNATURES, frame, sql="export_day_signatures")
    store.run(con, "drop_legacy_signatures")
