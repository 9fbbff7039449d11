"""`semantic.duplicates: drop`: the setting, its funnel state (semantic_duplicate, with the earlier document and the
cosine as reason), the snapshot that leaves the dropped documents out, and homes from before the state (funnel_days
and semantic_documents get their column appended: the same columns, in the same order, as a new home)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest

from freshdata import schema, store
from freshdata.cli import main
from freshdata.config import ConfigError, load_sources, parse_sources
from freshdata.demo.site import DemoSite
from freshdata.semantic.config import SemanticConfig
from freshdata.snapshot import config_hash, funnel_adds_up, published_state, snapshot_path
from freshdata.summary import print_day_summary, print_stats
from freshdata.vocab import FUNNEL_COLUMNS
from freshdata_tests.pipeline_helpers import (
    build_defs,
    check_evaluations,
    read_db,
    run_demo_days,
    set_env,
    write_demo_sources,
)

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
    con.execute("INSERT INTO snapshot_manifest (snapshot_date, n_documents, n_discovered, n_extracted, "
                "n_exact_duplicate, n_near_duplicate, n_rejected, export_path, content_hash, config_hash, recipe_hash, "
                "freshdata_version, trafilatura_version, datasketch_version, duckdb_version, created_at) "
                "VALUES (?, 1, 4, 3, 0, 0, 1, 'p', 'h', 'c', 'r', 'v', 'v', 'v', 'v', ?)", [DAY, now])


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


TABLES = ("funnel_days", "semantic_documents", "snapshot_manifest", "day_funnel", "url_funnel")


def test_a_home_from_before_the_state_gets_the_columns_appended_and_exports_as_a_new_home(tmp_path: Path) -> None:
    """The previous release's funnel_days (no semantic_duplicate), semantic_documents (no dropped) and
    snapshot_manifest (no n_semantic_duplicate), with a day in them: the first write connection appends the columns,
    the old rows get 0 and false (what they were), and the funnel export is byte for byte a new home's with the same
    day."""
    with schema.connect(new_home := tmp_path / "new") as con:
        _fill_day(con, dropped=False)
        new_export = _export_funnel(con, tmp_path / "new.parquet")
        new_columns = {t: _columns(con, t) for t in TABLES}
    with schema.connect(old_home := tmp_path / "old") as con:
        _fill_day(con, dropped=False)
        con.execute("ALTER TABLE funnel_days DROP COLUMN semantic_duplicate")  # the previous release's tables
        con.execute("ALTER TABLE semantic_documents DROP COLUMN dropped")
        con.execute("ALTER TABLE snapshot_manifest DROP COLUMN n_semantic_duplicate")
        old_row = con.execute("SELECT * FROM funnel_days").fetchall()
        con.execute("DELETE FROM freshdata_schema")  # as if a new version opened the home
    for _ in range(2):  # the first connection migrates, the second finds nothing left to do
        schema.connect(old_home).close()
    with schema.connect(old_home) as con:
        assert {t: _columns(con, t) for t in new_columns} == new_columns
        assert [c for c, _ in new_columns["funnel_days"]] == ["partition_date", *FUNNEL_COLUMNS]
        assert con.execute("SELECT * EXCLUDE (semantic_duplicate) FROM funnel_days").fetchall() == old_row
        assert con.execute("SELECT semantic_duplicate FROM funnel_days").fetchall() == [(0,)]
        assert con.execute("SELECT n_semantic_duplicate FROM snapshot_manifest").fetchall() == [(0,)]
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


DAYS = [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
THRESHOLD = 0.3


@dataclass
class Homes:
    tag: Path
    drop: Path
    checks: dict[date, dict[str, tuple[bool, str]]]
    metadata: dict[date, dict[str, object]]


def _run(site: DemoSite, home: Path, extra_yaml: str) -> tuple[dict, dict]:
    """The demo site's days through Dagster in `home`; returns each day's check results and semantic metadata."""
    checks, metadata = {}, {}
    with pytest.MonkeyPatch.context() as mp:
        sources = write_demo_sources(home, site)
        sources.write_text(sources.read_text() + extra_yaml)
        set_env(mp, home, sources)
        defs = build_defs()
        with dg.instance_for_test() as instance:
            for day, result in run_demo_days(site, defs, instance, DAYS):
                checks[day] = check_evaluations(result)
                [event] = [e for e in result.get_asset_materialization_events()
                           if e.asset_key == dg.AssetKey("semantic_documents")]
                metadata[day] = {k: v.value for k, v in event.materialization.metadata.items()}
    return checks, metadata


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> Homes:
    """The same site (same URLs, so the same doc ids) crawled into two homes: tag and drop."""
    root = tmp_path_factory.mktemp("drop")
    # the demo's articles are further apart than the tuned threshold: a lower one makes some of them duplicates
    semantic = f"semantic:\n  duplicate_threshold: {THRESHOLD}\n"
    with DemoSite(days=DAYS) as site:
        _run(site, root / "tag", semantic)
        checks, metadata = _run(site, root / "drop", semantic + "  duplicates: drop\n")
    return Homes(root / "tag", root / "drop", checks, metadata)


def _snapshot(home: Path, day: date) -> list[dict]:
    """The day's published rows, but the fetch time (the wall clock of each home's run)."""
    table = pq.read_table(snapshot_path(home, day)).drop_columns(["fetched_at", "fetch_lag_hours"])
    return table.to_pylist()


@pytest.mark.slow
def test_drop_leaves_the_duplicates_out_and_every_count_adds_up(homes: Homes) -> None:
    with read_db(homes.tag) as con:
        tagged = con.execute("SELECT partition_date, doc_id, semantic_duplicate_of FROM semantic_documents "
                             "WHERE semantic_duplicate_of IS NOT NULL ORDER BY ALL").fetchall()
    assert tagged, "the demo days should have semantic duplicates"
    with read_db(homes.drop) as con:
        dropped = con.execute("SELECT partition_date, doc_id, semantic_duplicate_of FROM semantic_documents "
                              "WHERE dropped ORDER BY ALL").fetchall()
        funnel_rows = {d: dict(zip(FUNNEL_COLUMNS, r, strict=True)) for d, *r in con.execute(
            "SELECT * FROM funnel_days ORDER BY partition_date").fetchall()}
        for day in DAYS:
            kept_rows = con.execute("SELECT count(*) FROM snapshot_documents WHERE snapshot_date = ?",
                                    [day]).fetchone()[0]
            assert funnel_adds_up(funnel_rows[day], kept_rows) == [], (day, funnel_rows[day])
            assert funnel_rows[day] == _funnel_of(con, day)
        funnel_states = con.execute(
            "SELECT partition_date, doc_id, reason FROM url_funnel WHERE final_state = 'semantic_duplicate' "
            "ORDER BY ALL").fetchall()
        similarity = dict(con.execute("SELECT doc_id, semantic_similarity FROM semantic_documents WHERE dropped"
                                      ).fetchall())
    assert dropped == tagged  # the same decisions; drop only flags them
    assert [(d, doc, f"semantic_duplicate_of:{of} ({similarity[doc]:.2f})") for d, doc, of in dropped] == \
        funnel_states
    assert sum(f["semantic_duplicate"] for f in funnel_rows.values()) == len(dropped)
    with read_db(homes.drop) as con:
        manifest = dict(con.execute("SELECT snapshot_date, n_semantic_duplicate FROM snapshot_manifest").fetchall())
    assert manifest == {d: f["semantic_duplicate"] for d, f in funnel_rows.items()}
    for day in DAYS:
        assert {n for n, (passed, _) in homes.checks[day].items() if not passed} == set(), day
        assert homes.metadata[day]["dropped"] == sum(d == day for d, *_ in dropped)
    # the published snapshot is the tag home's without the dropped documents, every other value the same
    for day in DAYS:
        gone = {doc for d, doc, _ in dropped if d == day}
        tag_rows, drop_rows = _snapshot(homes.tag, day), _snapshot(homes.drop, day)
        assert [r for r in tag_rows if r["doc_id"] not in gone] == drop_rows
        assert len(drop_rows) == len(tag_rows) - len(gone)
        assert all(r["semantic_duplicate_of"] is None for r in drop_rows)


def _funnel_of(con: duckdb.DuckDBPyConnection, day: date) -> dict[str, int]:
    [row] = store.fetch_dicts(con, "select_day_funnel", {"day": day})
    return {k: int(v) for k, v in row.items() if k != "partition_date"}


@pytest.mark.slow
def test_stats_and_the_day_summary_show_the_dropped_documents(homes: Homes, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    with read_db(homes.drop) as con:
        per_day = dict(con.execute("SELECT partition_date, count(*) FROM semantic_documents WHERE dropped "
                                   "GROUP BY ALL").fetchall())
    last = DAYS[-1]
    summary = print_day_summary(homes.drop, last, out=(out := tmp_path / "summary.txt").open("w"))
    text = out.read_text()
    assert f"semantic_duplicate {per_day[last]}" in text  # the funnel line
    assert ("semantic_duplicate", "semantic_duplicate_of:…", per_day[last]) in summary["reasons"]
    assert f"{per_day[last]} dropped" in text and summary["semantic"]["dropped"] == per_day[last]
    for values in summary["kept_tags"].values():  # "kept by …" counts what the funnel calls kept
        assert sum(n for _, n in values) == summary["funnel"]["kept"]
    monkeypatch.setenv("FRESHDATA_HOME", str(homes.drop))
    assert print_stats(homes.drop, None) == 0
    header, _types, *rows = [line for line in capsys.readouterr().out.splitlines() if "│" in line][:2 + len(DAYS)]
    names = [c.strip() for c in header.split("│")[1:-1]]
    counts = {r.split("│")[1].strip(): int(r.split("│")[names.index("semantic_duplicate") + 1]) for r in rows}
    assert counts == {d.isoformat(): per_day.get(d, 0) for d in DAYS}
    # --one-per-story reads the snapshots only: one document of each story left in them (a story may be named after
    # a dropped document: its first one, seen but not published)
    rows = [r for d in DAYS for r in _snapshot(homes.drop, d)]
    assert main(["export", "--one-per-story", "--out", str(one := tmp_path / "one.jsonl")]) == 0
    exported = [json.loads(line) for line in one.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["story_id"] for r in exported) == sorted({r["story_id"] for r in rows})
    assert {r["doc_id"] for r in exported} <= {r["doc_id"] for r in rows}
    # a funnel export published before the state (no such column) still reads, as 0 (the last test of the module:
    # nothing else reads the export)
    state = published_state(homes.drop)
    export = homes.drop / state["funnel"]
    pq.write_table(pq.read_table(export).drop_columns(["semantic_duplicate"]), export)
    assert print_stats(homes.drop, None) == 0
    assert "semantic_duplicate" in capsys.readouterr().out
