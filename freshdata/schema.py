"""The project database's schema: every connection that writes opens through here.

Above both `store` (SQL plumbing) and `texts` (text files), because bringing an old home up to date moves
its texts to files (texts.migrate_legacy) before the DDL hash is stored.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from freshdata import catalog, store, texts


def connect(home: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the project database, creating the schema when writing."""
    home.mkdir(parents=True, exist_ok=True)
    database = str(store.db_path(home))
    con = duckdb.connect(database, read_only=read_only, config={} if read_only else store.file_config(database))
    if not read_only:
        ensure_schema(con)
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Run every `sql/create_*.sql` (idempotent DDL), in name order, unless this exact DDL already ran.

    Every asset and check connects, so the DDL (which rewrites views and macros) runs once per change of
    the SQL files, not once per connection; the hash of the DDL is kept in table freshdata_schema.
    """
    files = sorted(store.sql_dir().glob("create_*.sql"))
    digest = hashlib.sha256("".join(store.load_sql(p.stem) for p in files).encode()).hexdigest()
    con.execute(store.load_sql("init_schema_version"))
    if con.execute(store.load_sql("select_schema_version")).fetchall() == [(digest,)]:
        return
    for path in files:
        con.execute(store.load_sql(path.stem))
    texts.migrate_legacy(con)  # a home from before texts moved to files; the DDL hash is stored only once it is done
    catalog.migrate(con)  # a home whose big tables still have primary keys (or snapshot_documents its own stats)
    store.run(con, "replace_schema_version", {"ddl_hash": digest})
