"""The DuckDB file is a small catalog: homes from before it was slimmed are migrated on the first write connection.

Since then (issue 14) the big per-day tables have no PRIMARY KEY (a day's rows are replaced whole, by a delete and
an insert in one transaction, and no query looks a row up by key, so the ART index only cost ~50-150 bytes a
row), and snapshot_documents no longer keeps a copy of quality_results.stats (the published Parquet and the
readers' view join it from quality_results). `migrate` rebuilds each such table from its `sql/create_*.sql`
DDL and copies its rows, in one transaction; rows, their order and every value stay as they were.
"""

from __future__ import annotations

import duckdb

from freshdata import store

DDL = {"discovered_urls": "create_crawl", "extractions": "create_crawl", "documents": "create_crawl",
       "quality_results": "create_quality", "snapshot_documents": "create_snapshot"}


def _sql(name: str, **fill: str) -> str:
    text = store.load_sql(name)
    for key, value in fill.items():
        text = text.replace("{" + key + "}", value)
    return text


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Rebuild the tables that still have a primary key (or snapshot_documents' stats); returns their names."""
    tables = [t for (t,) in store.run(con, "select_catalog_migrations").fetchall()]
    if not tables:
        return []
    with store.transaction(con):
        for table in tables:
            for statement in duckdb.extract_statements(_sql("rename_catalog_table", table=table)):
                con.execute(statement)
            con.execute(store.load_sql(DDL[table]))
            columns = ", ".join(f'"{c}"' for (c,) in store.run(con, "select_table_columns", {"table": table})
                                .fetchall())
            for statement in duckdb.extract_statements(_sql("copy_catalog_table", table=table, columns=columns)):
                con.execute(statement)
    return tables
