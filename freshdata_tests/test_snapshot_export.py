"""The day's snapshot Parquet is written streamed (issue 14: a 5,000-page day within +250 MB of a 500-page
day): no sort of the day's rows with their texts, row groups of ~16 MB, and the same rows in the same order as
the sorting export it replaced; a small day's file is byte for byte what that export wrote."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import random
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from freshdata import schema, snapshot, storage, store, texts
from freshdata.durable import file_hash

_SPEC = importlib.util.spec_from_file_location(
    "bench_history", Path(__file__).resolve().parent.parent / "benchmarks" / "bench_history.py")
bench = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bench)

DAY = bench.FIRST
# The export as it was before it streamed (a sort of the whole day, texts included): the reference.
SORTED_EXPORT = """
COPY (
    SELECT s.doc_id, s.url, s.source, s.title, s.author, s.sitename, s.published_at, s.fetched_at,
           s.fetch_lag_hours, t.text,
           s.* EXCLUDE (snapshot_date, doc_id, url, source, title, author, sitename, published_at, fetched_at,
                        fetch_lag_hours, script),
           q.stats, s.script
    FROM snapshot_documents s
    LEFT JOIN read_parquet($texts) t ON t.doc_id = s.doc_id
    JOIN quality_results q ON q.partition_date = $day AND q.doc_id = s.doc_id
    WHERE s.snapshot_date = $day
    ORDER BY s.doc_id
) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)"""


def _home(tmp_path: Path, text_chars: int):
    """One generated day, staged, its quality texts replaced by texts of about text_chars characters."""
    con = schema.connect(tmp_path / "home")
    con.execute("SET threads = 4")  # more threads than the machine may have: the export must not depend on it
    with store.transaction(con):
        bench.generate(con, 1, 600, 200, 0, full_from=0)
    ids = [r[0] for r in con.execute("SELECT doc_id FROM quality_results WHERE partition_date = ?", [DAY]).fetchall()]
    rng = random.Random(7)
    words = [f"w{k}" for k in range(3000)]
    frame = pl.DataFrame([(i, " ".join(rng.choices(words, k=text_chars // 6))) for i in ids],
                         schema=texts.TEXT_SCHEMA, orient="row")
    with store.transaction(con):
        texts.write_day(con, DAY, "quality", frame)
    snapshot.stage_snapshot(con, DAY)
    return con


def _reference(con, tmp_path: Path) -> Path:
    out = tmp_path / "reference.parquet"
    con.execute(SORTED_EXPORT.replace("{path}", str(out)), {"day": DAY, "texts": texts.path(con, DAY, "snapshot")})
    return out


def _staged(con) -> int:
    return con.execute("SELECT count(*) FROM snapshot_documents WHERE snapshot_date = ?", [DAY]).fetchone()[0]


def test_small_day_is_byte_identical_to_the_sorted_export(tmp_path):
    con = _home(tmp_path, 600)
    out = snapshot._export_day(con, DAY, tmp_path / "out", _staged(con))
    assert file_hash(out) == file_hash(_reference(con, tmp_path))
    assert con.execute("SELECT current_setting('threads')").fetchone()[0] == 4  # restored


def test_big_day_streams_in_row_groups_with_the_same_rows_in_order(tmp_path, monkeypatch):
    # a texts file of many small row groups: DuckDB scans them on several threads if it may, which reorders a join
    monkeypatch.setattr(texts, "ROW_GROUP_BYTES", 2**16)
    con = _home(tmp_path, 60_000)  # ~600 × 60 KB of kept text: several 16 MB row groups in the snapshot
    n = _staged(con)
    out = snapshot._export_day(con, DAY, tmp_path / "out", n)
    written, reference = pq.ParquetFile(out), pq.read_table(_reference(con, tmp_path))
    assert written.metadata.num_row_groups > 1 and written.metadata.num_rows == n > 400
    assert written.read().equals(reference.cast(written.schema_arrow))  # same rows, order and values


def test_a_staged_document_without_its_text_publishes_nothing(tmp_path):
    con = _home(tmp_path, 600)
    [(missing,)] = con.execute("SELECT min(doc_id) FROM snapshot_documents WHERE snapshot_date = ?", [DAY]).fetchall()
    kept = pl.DataFrame(con.execute(f"SELECT doc_id, text FROM read_parquet('{texts.path(con, DAY, 'snapshot')}') "
                                    "WHERE doc_id <> ?", [missing]).fetchall(), schema=texts.TEXT_SCHEMA, orient="row")
    with store.transaction(con):
        texts.write_day(con, DAY, "quality", kept)
        store.run(con, "stage_snapshot_texts", {"day": DAY})
    folder = tmp_path / "out"
    with pytest.raises(snapshot.SnapshotExportError, match=f"snapshot {DAY}: the export wrote .* staged documents"):
        snapshot._export_day(con, DAY, folder, _staged(con))
    assert list(folder.iterdir()) == []  # no temporary file left behind


def test_the_texts_file_is_the_streamed_probe_side(tmp_path):
    """With its joins as written, the texts file is scanned and probes hash tables of metadata; left to the
    optimizer, DuckDB may build a hash table of every text instead (it does here: more texts rows than staged)."""
    con = _home(tmp_path, 600)
    params = {"day": DAY, "texts": texts.path(con, DAY, "snapshot")}

    def probe_leaf() -> str:
        [(_, plan)] = con.execute(f"EXPLAIN (FORMAT json) {snapshot.export_query()}", params).fetchall()
        node = json.loads(plan)[0]
        while node["children"]:
            node = node["children"][0]  # a hash join's first child is its probe side
        return node["name"] + " " + json.dumps(node.get("extra_info", {}))

    with store.streamed_join(con):
        assert "READ_PARQUET" in probe_leaf()


def test_a_file_placed_by_a_crashed_publication_goes_with_the_next_one(tmp_path):
    """Publication lists only the folders it must: a crash after placing day X's file leaves a mark naming X in
    snapshots/.staging, and the next publication (of any day) removes X's unpublished file, its temporary files
    and the mark."""
    con = schema.connect(tmp_path / "home")
    home = tmp_path / "home"
    with store.transaction(con):
        bench.generate(con, 2, 50, 200, 0, full_from=0)
    sources = bench.SourcesFile.model_validate({"sources": [{"name": "s", "kind": "feed", "url": bench.FEEDS[0]}]})
    first, second = DAY, DAY + dt.timedelta(days=1)
    snapshot.stage_snapshot(con, first)
    published = snapshot.publish_snapshot(con, first, home, sources, "r")
    crashed_day = home / "snapshots" / f"snapshot_date={second.isoformat()}"
    crashed_day.mkdir()
    orphan = crashed_day / "part-0123456789abcdef.parquet"
    orphan.write_bytes(b"placed, never published")
    (home / snapshot.STAGING / f"{snapshot.PLACING}{second.isoformat()}").touch()
    (home / snapshot.STAGING / f"{snapshot.TMP_MARK}123-export_snapshot_parquet").write_bytes(b"half")
    snapshot.publish_snapshot(con, first, home, sources, "r")  # the same day again: the file is shared
    assert not orphan.exists() and list((home / snapshot.STAGING).iterdir()) == []
    assert storage.exists(published.export_path)
    assert [e["snapshot_date"] for e in snapshot.published_state(home)["snapshots"]] == [first.isoformat()]
