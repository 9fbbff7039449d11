"""`semantic.duplicates: drop`: the setting, its funnel state (semantic_duplicate, with the earlier document and the
cosine as reason), the snapshot that leaves the dropped documents out, and homes from before the state (funnel_days
and semantic_documents get their column appended: the same columns, in the same order, as a new home)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from freshdata import schema, store
from freshdata.config import ConfigError, load_sources, parse_sources
from freshdata.semantic.config import SemanticConfig
from freshdata.snapshot import config_hash, funnel_adds_up
from freshdata.summary import print_day_summary
from freshdata.vocab import FUNNEL_COLUMNS

DAY = date(2026, 4, 1)
SOURCES = {"sources": [{"name": "s", "kind": "feed", "url": "https://example.org/rss.xml"}]}
SOURCES_YAML = "sources:\n  - {name: s, kind: feed, url: 'https://example.org/rss.xml'}\n"


def test_the_setting_defaults_to_tag_and_a_bad_value_names_the_file_and_field(tmp_path: Path) -> None:
    assert SemanticConfig().duplicates == "tag"
    (path := tmp_path / "sources.yaml").write_text(SOURCES_YAML + "semantic: {duplicates: drop}\n")
    assert load_sources(path).semantic.duplicates == "drop"
    path.write_text(SOURCES_YAML + "semantic:\n  duplicates: delete\n")
    with pytest.raises(ConfigError) as err:
        load_sources(path)
    message = str(err.value)
    assert message.startswith(f"{path}: invalid sources file")
    assert 'field "semantic.duplicates"' in message and "'tag' or 'drop'" in message, message


def test_tag_keeps_the_config_hash_of_homes_that_never_set_it() -> None:
    """tag is the default and what every earlier release did: its manifests' config_hash stays as it was."""
    plain = parse_sources(SOURCES, "s.yaml")
    tagged = parse_sources({**SOURCES, "semantic": {"duplicates": "tag"}}, "s.yaml")
    dropping = parse_sources({**SOURCES, "semantic": {"duplicates": "drop"}}, "s.yaml")
    assert config_hash(plain) == config_hash(tagged) != config_hash(dropping)


def _fill_day(con: duckdb.DuckDBPyConnection, dropped: bool) -> None:
    """One day of four URLs as the stages leave them: one known, a rejected document, a kept one, and a semantic
    duplicate of it (dropped or not); and the day's funnel_days row."""
    now = datetime(2026, 4, 1, 12, tzinfo=UTC)
    docs = [("a", True, None), ("b", False, "gopher_quality:min_words"), ("c", True, None)]
    for doc_id, kept, reason in docs:
        url = f"https://example.org/{doc_id}.html"
        con.execute("INSERT INTO discovered_urls (partition_date, url, source, found_in, state) "
                    "VALUES (?, ?, 's', 'feed', 'new')", [DAY, url])
        con.execute("INSERT INTO fetch_log (partition_date, stage, source, kind, url, state, fetched_at) "
                    "VALUES (?, 'fetch', 's', 'document', ?, 'fetched', ?)", [DAY, url, now])
        con.execute("INSERT INTO extractions (partition_date, url, doc_id, state) VALUES (?, ?, ?, 'extracted')",
                    [DAY, url, doc_id])
        con.execute("INSERT INTO dedup_decisions (partition_date, doc_id, ord, status, too_short, text_hash, n_words) "
                    "VALUES (?, ?, 0, 'fresh', false, 0, 300)", [DAY, doc_id])
        con.execute("INSERT INTO quality_results (partition_date, doc_id, kept, reason) VALUES (?, ?, ?, ?)",
                    [DAY, doc_id, kept, reason])
    con.execute("INSERT INTO discovered_urls (partition_date, url, source, found_in, state) "
                "VALUES (?, 'https://example.org/old.html', 's', 'feed', 'known')", [DAY])
    con.execute("INSERT INTO discovery_days VALUES (?)", [DAY])
    for i, (doc_id, duplicate_of, similarity, is_dropped) in enumerate(
            [("a", None, None, False), ("c", "a", 0.8349, dropped)]):
        con.execute("INSERT INTO semantic_documents (partition_date, doc_id, vector_key, vector, "
                    "semantic_duplicate_of, semantic_similarity, story_id, personas, dropped) "
                    "VALUES (?, ?, ?, ?, ?, ?, 'a', [], ?)",
                    [DAY, doc_id, i, bytes(128), duplicate_of, similarity, is_dropped])
    store.run(con, "replace_funnel_day", {"day": DAY})


def _funnel(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    [row] = store.fetch_dicts(con, "select_day_funnel", {"day": DAY})
    return {k: int(v) for k, v in row.items() if k != "partition_date"}


def test_a_dropped_duplicate_has_its_own_state_and_reason_and_the_funnel_adds_up(tmp_path: Path) -> None:
    with schema.connect(tmp_path / "home") as con:
        _fill_day(con, dropped=True)
        states = dict(con.execute("SELECT doc_id, final_state || ' ' || coalesce(reason, '') FROM url_funnel "
                                  "WHERE doc_id IS NOT NULL").fetchall())
        funnel = _funnel(con)
        reasons = store.run(con, "select_day_reasons", {"day": DAY}).fetchall()
    assert states == {"a": "kept ", "b": "rejected gopher_quality:min_words",
                      "c": "semantic_duplicate semantic_duplicate_of:a (0.83)"}
    assert funnel["fresh"] == 3 and funnel["rejected"] == funnel["semantic_duplicate"] == funnel["kept"] == 1
    assert funnel_adds_up(funnel, 1) == []
    assert ("semantic_duplicate", "semantic_duplicate_of:…", 1) in reasons


def _export_funnel(con: duckdb.DuckDBPyConnection, out: Path) -> bytes:
    con.execute(store.load_sql("export_funnel_parquet").replace("{path}", str(out)))
    return out.read_bytes()


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE {table}").fetchall()]


def test_a_home_from_before_the_state_gets_the_columns_appended_and_exports_as_a_new_home(tmp_path: Path) -> None:
    """The previous release's funnel_days (no semantic_duplicate) and semantic_documents (no dropped), with a day
    in them: the first write connection appends the columns, the old rows get 0 and false (what they were), and the
    funnel export is byte for byte a new home's with the same day."""
    with schema.connect(new_home := tmp_path / "new") as con:
        _fill_day(con, dropped=False)
        new_export = _export_funnel(con, tmp_path / "new.parquet")
        new_columns = {t: _columns(con, t) for t in ("funnel_days", "semantic_documents", "day_funnel")}
    with schema.connect(old_home := tmp_path / "old") as con:
        _fill_day(con, dropped=False)
        con.execute("ALTER TABLE funnel_days DROP COLUMN semantic_duplicate")  # the previous release's tables
        con.execute("ALTER TABLE semantic_documents DROP COLUMN dropped")
        old_row = con.execute("SELECT * FROM funnel_days").fetchall()
        con.execute("DELETE FROM freshdata_schema")  # as if a new version opened the home
    for _ in range(2):  # the first connection migrates, the second finds nothing left to do
        schema.connect(old_home).close()
    with schema.connect(old_home) as con:
        assert {t: _columns(con, t) for t in new_columns} == new_columns
        assert [c for c, _ in new_columns["funnel_days"]] == ["partition_date", *FUNNEL_COLUMNS]
        assert con.execute("SELECT * EXCLUDE (semantic_duplicate) FROM funnel_days").fetchall() == old_row
        assert con.execute("SELECT semantic_duplicate FROM funnel_days").fetchall() == [(0,)]
        assert con.execute("SELECT doc_id, dropped FROM semantic_documents ORDER BY doc_id").fetchall() == [
            ("a", False), ("c", False)]
        old_export = _export_funnel(con, tmp_path / "old.parquet")
        store.run(con, "replace_funnel_day", {"day": DAY})  # recomputed: the same row
        assert _export_funnel(con, tmp_path / "again.parquet") == old_export
    assert old_export == new_export
    assert pq.read_schema(tmp_path / "old.parquet").names == ["partition_date", *FUNNEL_COLUMNS]
    for home in (old_home, new_home):  # the day summary reads the semantic line in both
        print_day_summary(home, DAY, out=(tmp_path / "summary.txt").open("w"))
        assert "semantic" in (tmp_path / "summary.txt").read_text()
