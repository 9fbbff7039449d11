"""A data home from before the catalog was slimmed (primary keys on the big per-day tables, stats stored in
snapshot_documents too, MinHash signatures in table dedup_signatures) is migrated by the first write connection:
same rows, same values, readers still see snapshot_documents.stats (from quality_results, where it is stored
once), and dedup reads every day's signatures back from its file."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

from freshdata import schema
from freshdata.dedup.core import read_signatures
from freshdata.reader import open_reader

DAYS = (date(2026, 1, 1), date(2026, 1, 2))
KEYS = {"discovered_urls": "partition_date, url", "extractions": "partition_date, url",
        "documents": "partition_date, doc_id", "quality_results": "partition_date, doc_id",
        "snapshot_documents": "snapshot_date, doc_id"}


def _old_home(home: Path) -> dict[str, list[tuple]]:
    """Today's schema rebuilt as it was (PRIMARY KEYs, snapshot_documents.stats before script), filled, with
    the DDL hash forgotten (as when a new freshdata version opens an old home). Returns each table's rows."""
    con = schema.connect(home)
    for table, key in KEYS.items():
        [(ddl,)] = con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = ?", [table]).fetchall()
        ddl = re.sub(r"\);\s*$", f", PRIMARY KEY ({key}));", ddl.strip())
        if table == "snapshot_documents":
            ddl = ddl.replace("script VARCHAR", "stats MAP(VARCHAR, DOUBLE), script VARCHAR")
        con.execute(f"DROP TABLE {table}")
        con.execute(ddl)
    con.execute("CREATE TABLE dedup_signatures (partition_date DATE NOT NULL, ord INTEGER NOT NULL, "
                "text_hash UBIGINT NOT NULL, sig BLOB)")
    now = datetime(2026, 1, 3, tzinfo=UTC)
    for day in DAYS:
        con.executemany("INSERT INTO dedup_signatures VALUES (?, ?, ?, ?)",
                        [[day, i, 2**63 + i, None if i == 1 else bytes(range(i, i + 16))] for i in range(3)])
        for i in range(3):
            doc_id, url = f"doc-{day.day}-{i}", f"https://example.org/{day}/{i}.html"
            stats = {"gopher_quality.n_words": 100.0 + i, "boilerplate.lines_removed_learned": float(i)}
            con.execute("INSERT INTO discovered_urls (partition_date, url, source, found_in, state) "
                        "VALUES (?, ?, 's', 'feed', 'new')", [day, url])
            con.execute("INSERT INTO extractions (partition_date, url, doc_id, state) VALUES (?, ?, ?, 'extracted')",
                        [day, url, doc_id])
            con.execute("INSERT INTO fetch_log (partition_date, stage, source, kind, url, state, reason, fetched_at) "
                        "VALUES (?, 'fetch', 's', 'document', ?, ?, ?, ?)",
                        [day, url, *(("failed", "timeout") if i == 2 else ("fetched", None)), now])
            con.execute("INSERT INTO documents (partition_date, doc_id, url, source, fetched_at, title) "
                        "VALUES (?, ?, ?, 's', ?, ?)", [day, doc_id, url, now, f"title {i}"])
            con.execute("INSERT INTO quality_results (partition_date, doc_id, kept, stats, script) "
                        "VALUES (?, ?, true, ?, 'Latn')", [day, doc_id, stats])
            con.execute("INSERT INTO snapshot_documents (snapshot_date, doc_id, url, source, fetched_at, stats, "
                        "script) VALUES (?, ?, ?, 's', ?, ?, 'Latn')", [day, doc_id, url, now, stats])
    con.execute("DROP TABLE fetch_keys")  # key tables that came later: filled from the rows they index
    con.execute("DROP TABLE snapshot_keys")
    try:
        out = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in (*KEYS, "dedup_signatures")}
        out["snapshot_columns"] = [r[0] for r in con.execute("DESCRIBE snapshot_documents").fetchall()]
        return out
    finally:
        con.execute("DELETE FROM freshdata_schema")  # as if a new version opened the home
        con.close()


def test_old_home_loses_primary_keys_and_second_stats_keeps_rows(tmp_path: Path):
    before = _old_home(home := tmp_path / "home")
    for _ in range(2):  # the first connection migrates, the second finds nothing left to do
        schema.connect(home).close()
    with schema.connect(home) as con:
        keys = con.execute("SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
                           "AND table_name IN ('discovered_urls', 'extractions', 'documents', 'quality_results', "
                           "'snapshot_documents')").fetchall()
        stats_cols = con.execute("SELECT 1 FROM duckdb_columns() WHERE table_name = 'snapshot_documents' "
                                 "AND column_name = 'stats'").fetchall()
        leftovers = con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '%before_catalog'"
                                ).fetchall()
        after = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in KEYS}
        after_columns = [r[0] for r in con.execute("DESCRIBE snapshot_documents").fetchall()]
        signatures = [(day, *row) for day in DAYS for row in read_signatures(con, day)]
        sig_table = con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = 'dedup_signatures'").fetchall()
    assert keys == [] and stats_cols == [] and leftovers == [] and sig_table == []
    assert signatures == before.pop("dedup_signatures")
    with schema.connect(home) as con:
        fetch_keys = con.execute("SELECT partition_date, url_key, state, reason FROM fetch_keys "
                                 "ORDER BY ALL").fetchall()
        expected = con.execute("SELECT partition_date, md5_number(url), state, reason FROM fetch_log "
                               "ORDER BY ALL").fetchall()
        snapshot_keys = con.execute("SELECT count(*), count(DISTINCT snapshot_date) FROM snapshot_keys").fetchall()
    assert fetch_keys == expected and len(fetch_keys) == 6 and snapshot_keys == [(6, 2)]
    snapshot_before = before.pop("snapshot_documents")
    columns = before.pop("snapshot_columns")
    assert {t: after[t] for t in before} == before
    # by column name: the stats column is gone from the table (stored once, in quality_results)
    assert [dict(zip(after_columns, r, strict=True)) for r in after["snapshot_documents"]] == [
        {c: v for c, v in zip(columns, r, strict=True) if c != "stats"} for r in snapshot_before]
    reader = open_reader(home, attach_pipeline=True)
    try:
        view = reader.sql("SELECT * EXCLUDE (text) FROM snapshot_documents ORDER BY ALL")
        seen = [dict(zip(view.columns, r, strict=True)) for r in view.fetchall()]
    finally:
        reader.close()
    assert seen == [dict(zip(columns, r, strict=True)) for r in snapshot_before]
