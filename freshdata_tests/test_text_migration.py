"""A data home from before texts moved to per-day files keeps every text: the first write connection moves
documents / quality_results / snapshot_documents texts into files, drops the columns, and readers still see them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from freshdata import schema
from freshdata.reader import open_reader

DAYS = (date(2026, 1, 1), date(2026, 1, 2))
LEGACY_TEXT = {"documents": "partition_date", "quality_results": "partition_date",
               "snapshot_documents": "snapshot_date"}


def _legacy_home(home: Path) -> dict[tuple[str, str, str], str]:
    """A home with today's tables plus the old `text` columns, filled, and the DDL hash forgotten (as when a
    new freshdata version opens an old home). Returns the texts by (table, day, doc_id)."""
    con = schema.connect(home)
    now = datetime(2026, 1, 3, tzinfo=UTC)
    texts = {}
    for table in LEGACY_TEXT:
        con.execute(f"ALTER TABLE {table} ADD COLUMN text VARCHAR")
    for day in DAYS:
        for i in range(3):
            doc_id, url = f"doc-{day.day}-{i}", f"https://example.org/{day}/{i}.html"
            extracted = f"Story {i} of {day}; line with ; semicolons\nand a second line. ünïcödé 日本語 {i}"
            cleaned = extracted.replace("semicolons", "<EMAIL>")
            con.execute("INSERT INTO documents (partition_date, doc_id, url, source, fetched_at, text) "
                        "VALUES (?, ?, ?, 's', ?, ?)", [day, doc_id, url, now, extracted])
            con.execute("INSERT INTO quality_results (partition_date, doc_id, kept, text) VALUES (?, ?, true, ?)",
                        [day, doc_id, cleaned])
            con.execute("INSERT INTO snapshot_documents (snapshot_date, doc_id, url, source, fetched_at, text) "
                        "VALUES (?, ?, ?, 's', ?, ?)", [day, doc_id, url, now, cleaned])
            texts |= {("documents", str(day), doc_id): extracted, ("quality_results", str(day), doc_id): cleaned,
                      ("snapshot_documents", str(day), doc_id): cleaned}
    con.execute("DELETE FROM freshdata_schema")
    con.close()
    return texts


def test_legacy_home_texts_move_to_files_and_read_back(tmp_path: Path):
    home = tmp_path / "home"
    expected = _legacy_home(home)
    schema.connect(home).close()  # the migration
    with schema.connect(home) as con:  # a second connection finds nothing left to move
        left = con.execute("SELECT table_name FROM duckdb_columns() WHERE column_name = 'text' "
                           "AND table_name IN ('documents', 'quality_results', 'snapshot_documents')").fetchall()
        files = con.execute("SELECT partition_date, kind, path FROM text_files ORDER BY ALL").fetchall()
    assert left == []
    assert {(d, k) for d, k, _ in files} == {(d, k) for d in DAYS for k in ("extracted", "quality", "snapshot")}
    assert all((home / p).is_file() for _, _, p in files)
    assert sorted(p.name for p in (home / "texts").rglob("*") if p.is_file()) == sorted(Path(p).name for *_, p in files)
    reader = open_reader(home, attach_pipeline=True)
    try:
        got = {}
        for table, column in LEGACY_TEXT.items():
            for day, doc_id, text in reader.sql(f"SELECT {column}::VARCHAR, doc_id, text FROM {table}").fetchall():
                got[(table, day, doc_id)] = text
    finally:
        reader.close()
    assert got == expected
