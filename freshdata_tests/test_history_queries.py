"""The per-day queries bounded by the day (issue 14, item 3) return what the history-wide queries returned.

Each rewrite is run next to the query as it was (benchmarks/bench_history.py LEGACY) on a generated history of
several days (benchmarks/history_gen.sql: retries over consecutive days, over-budget URLs fetched later, known
URLs, duplicates, rejects, snapshot rows), for every day, and must give the same rows.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from freshdata import schema, snapshot, store, texts
from freshdata.reader import open_reader

_SPEC = importlib.util.spec_from_file_location(
    "bench_history", Path(__file__).resolve().parent.parent / "benchmarks" / "bench_history.py")
bench = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bench)

FIRST = bench.FIRST
DAYS = 9
PER_DAY = 300


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    home = tmp_path_factory.mktemp("history")
    con = schema.connect(home)
    with store.transaction(con):
        bench.generate(con, DAYS, PER_DAY, 300, DAYS - 1, full_from=0)
        # a repeated document: published on day 2 and day 5 (same doc id), and a URL on day 3 and day 6
        for src, dst in ((1, 4), (2, 5)):
            con.execute("""INSERT INTO snapshot_documents SELECT * REPLACE (? AS snapshot_date)
                           FROM snapshot_documents WHERE snapshot_date = ? ORDER BY doc_id LIMIT 2""",
                        [FIRST + dt.timedelta(days=dst), FIRST + dt.timedelta(days=src)])
        con.execute("""INSERT INTO snapshot_documents SELECT * REPLACE (? AS snapshot_date, doc_id || 'x' AS doc_id)
                       FROM snapshot_documents WHERE snapshot_date = ? ORDER BY doc_id LIMIT 3""",
                    [FIRST + dt.timedelta(days=6), FIRST + dt.timedelta(days=3)])
        con.execute("DELETE FROM snapshot_keys")  # rows added by hand: their keys too (as staging would)
        store.run(con, "fill_snapshot_keys")
    yield con
    con.close()


def days():
    return [FIRST + dt.timedelta(days=k) for k in range(DAYS + 1)]  # and one day past the history


def _unlimited(sql: str) -> str:
    return sql.replace("LIMIT 20", "")


def test_generated_history_has_the_cases(con):
    retries = bench.legacy(con, "select_retry_urls", {"day": FIRST + dt.timedelta(days=DAYS - 1),
                                                      "max_attempts": 3})
    assert len(retries) > 20
    assert any(r[1] is not None for r in retries)
    states = dict(con.execute("SELECT state, count(*) FROM discovered_urls GROUP BY 1").fetchall())
    assert {"new", "known", "over_budget", "excluded_by_rule"} <= set(states)


@pytest.mark.parametrize("day", days())
def test_check_snapshot_repeats_same_pairs(con, day):
    old = sorted(bench.run_sql(con, _unlimited(bench.LEGACY["check_snapshot_repeats"]), {"day": day}).fetchall())
    new = sorted(bench.run_sql(con, _unlimited(store.load_sql("check_snapshot_repeats")), {"day": day}).fetchall())
    assert new == old
    limited = store.run(con, "check_snapshot_repeats", {"day": day}).fetchall()
    assert len(limited) == min(20, len(old)) and set(limited) <= set(old)


def test_check_snapshot_repeats_finds_the_repeats(con):
    assert len(store.run(con, "check_snapshot_repeats", {"day": FIRST + dt.timedelta(days=4)}).fetchall()) == 2
    assert len(store.run(con, "check_snapshot_repeats", {"day": FIRST + dt.timedelta(days=6)}).fetchall()) == 3
    assert store.run(con, "check_snapshot_repeats", {"day": FIRST + dt.timedelta(days=7)}).fetchall() == []


def test_check_snapshot_repeats_no_nested_loop(con):
    plan = con.execute("EXPLAIN " + _unlimited(store.load_sql("check_snapshot_repeats")),
                       {"day": FIRST}).fetchall()[0][1]
    assert "NESTED_LOOP" not in plan.upper().replace(" ", "_") and "HASH_JOIN" in plan.upper().replace(" ", "_")


@pytest.mark.parametrize("window", [1, 3, 7])
@pytest.mark.parametrize("day", days())
def test_trailing_rates_same(con, day, window):
    params = {"day": day, "window": window}
    assert store.run(con, "select_trailing_rates", params).fetchall() == bench.legacy(
        con, "select_trailing_rates", params)


def test_trailing_rates_window_reaches_every_table(con):
    """The window's lower bound is a filter of each of the five scans under day_funnel (not one filter above it)."""
    sql = store.statements("select_trailing_rates")[0]
    plan = con.execute(f"EXPLAIN {sql.query}", {"day": FIRST + dt.timedelta(days=5), "window": 3}).fetchall()[0][1]
    assert plan.count("partition_date >= '2024-01-03'::DATE") >= 5, plan


@pytest.mark.parametrize("day", days())
@pytest.mark.parametrize("max_attempts", [2, 3])
def test_retry_urls_same(con, day, max_attempts):
    params = {"day": day, "max_attempts": max_attempts}
    new = store.run(con, "select_retry_urls", params).fetchall()
    assert new == bench.legacy(con, "select_retry_urls", params)
    assert [d[0] for d in store.run(con, "select_retry_urls", params).description] == [
        "url", "source", "last_day", "published_at"]


def test_retry_urls_horizon(con, tmp_path):
    """Outside the retry horizon (10 days) a URL is not retried any more: the documented bound."""
    day = FIRST + dt.timedelta(days=DAYS - 1)
    old = bench.legacy(con, "select_retry_urls", {"day": day + dt.timedelta(days=11), "max_attempts": 3})
    new = store.run(con, "select_retry_urls", {"day": day + dt.timedelta(days=11), "max_attempts": 3}).fetchall()
    assert old and not new


@pytest.mark.parametrize("doc_day", days()[:-1])
def test_document_texts_same(con, doc_day):
    ids = [i for (i,) in con.execute("SELECT doc_id FROM dedup_decisions WHERE partition_date = ? ORDER BY ord "
                                     "LIMIT 25", [doc_day]).fetchall()]
    ids += ["no-such-doc"]
    expected = sorted(con.execute("SELECT doc_id, text FROM gen_texts WHERE partition_date = ? "
                                  "AND doc_id IN (SELECT unnest(?::VARCHAR[]))", [doc_day, ids]).fetchall())
    for day in days():
        new = sorted(texts.run(con, "select_document_texts", doc_day, "extracted",
                               {"ids": ids, "doc_day": doc_day, "day": day}).fetchall())
        assert new == (expected if doc_day < day else []), (doc_day, day)
        assert (len(new) == 25) == (doc_day < day)


def test_document_texts_reads_one_day(con):
    """Verification reads the texts file of the one history day asked for, never the documents table."""
    sql = store.statements("select_document_texts")[0]
    file = texts.path(con, FIRST, "extracted")
    plan = con.execute(f"EXPLAIN {sql.query}", {"day": FIRST + dt.timedelta(days=5), "doc_day": FIRST,
                                                "ids": ["a"], "texts": file}).fetchall()[0][1]
    # EXPLAIN boxes cut long file names: the scan is a Parquet read, and no table scan of `documents`
    assert "READ_PARQUET" in plan.upper() and "documents" not in plan


def test_funnel_rows_equal_the_view(con, tmp_path):
    """funnel_days filled by publication's refresh = view day_funnel; the export gives readers the same rows."""
    with store.transaction(con):
        stale = snapshot.store_funnel_rows(con, FIRST)
    assert sorted(stale) == days()[1:-1]  # every other day was missing
    assert con.execute("SELECT * FROM funnel_days ORDER BY partition_date").fetchall() == con.execute(
        "SELECT * FROM day_funnel ORDER BY partition_date").fetchall()
    with store.transaction(con):
        assert snapshot.store_funnel_rows(con, FIRST) == []
    old, new = tmp_path / "old.parquet", tmp_path / "new.parquet"
    con.execute(bench.LEGACY["export_funnel_parquet"].replace("{path}", str(old)))
    con.execute(store.load_sql("export_funnel_parquet").replace("{path}", str(new)))
    with duckdb.connect() as reader:
        assert reader.execute(f"DESCRIBE SELECT * FROM '{new}'").fetchall() == reader.execute(
            f"DESCRIBE SELECT * FROM '{old}'").fetchall()
        assert reader.execute(f"SELECT * FROM '{new}'").fetchall() == reader.execute(
            f"SELECT * FROM '{old}'").fetchall()


def test_funnel_rows_follow_a_day_that_changed_and_one_that_vanished(tmp_path):
    con = schema.connect(tmp_path)
    with store.transaction(con):
        bench.generate(con, 5, 100, 200, 4, full_from=0)
    day = FIRST + dt.timedelta(days=3)
    with store.transaction(con):
        snapshot.store_funnel_rows(con, FIRST)
    con.execute("DELETE FROM quality_results WHERE partition_date = ? AND kept", [day])
    snapshot.stage_snapshot(con, day)  # staging stores the day's row again
    assert con.execute("SELECT kept FROM funnel_days WHERE partition_date = ?", [day]).fetchall() == [(0,)]
    con.execute("INSERT INTO funnel_days SELECT * REPLACE (DATE '2023-12-01' AS partition_date) "
                "FROM funnel_days WHERE partition_date = ?", [day])  # a day whose discovered URLs are gone
    con.execute("DELETE FROM funnel_days WHERE partition_date = ?", [FIRST + dt.timedelta(days=4)])  # never staged
    with store.transaction(con):
        assert snapshot.store_funnel_rows(con, day) == [dt.date(2023, 12, 1), FIRST + dt.timedelta(days=4)]
    assert con.execute("SELECT * FROM funnel_days ORDER BY partition_date").fetchall() == con.execute(
        "SELECT * FROM day_funnel ORDER BY partition_date").fetchall()
    con.close()


def test_publication_funnel_view_and_stats(tmp_path):
    """A home published day by day: the reader's funnel view is the history-wide day_funnel, exactly."""
    home = tmp_path / "home"
    con = schema.connect(home)
    with store.transaction(con):
        bench.generate(con, 4, 120, 200, 0, full_from=0)
    sources = bench.SourcesFile.model_validate(
        {"sources": [{"name": f"src{i}", "kind": "feed", "url": url} for i, url in enumerate(bench.FEEDS)]})
    for k in range(4):
        day = FIRST + dt.timedelta(days=k)
        snapshot.stage_snapshot(con, day)
        snapshot.publish_snapshot(con, day, home, sources, "r")
    expected = con.execute("SELECT * FROM day_funnel ORDER BY partition_date").fetchall()
    con.close()
    state = json.loads((home / "exports" / "published.json").read_text())
    assert len(state["snapshots"]) == 4
    reader = open_reader(home)
    assert reader.execute("SELECT * FROM funnel ORDER BY partition_date").fetchall() == expected
    reader.close()


def test_dedup_verification_asks_the_indexed_day_and_the_asset_reads_it(tmp_path):
    """Borderline history candidates are verified with the text of the day their index entry came from: the
    callback gets that day (day=), and the dedup asset's callback (select_document_texts) reads only it."""
    from freshdata.dedup import dedup_day
    from freshdata.defs.dedup.assets import _history_texts
    from freshdata_tests.test_dedup import _ABOVE, _BASE, CFG, D1, D2, article, decisions, doc

    con = duckdb.connect(str(tmp_path / "t.duckdb"))
    schema.ensure_schema(con)
    base = [doc("base", _BASE, 0), doc("other", article(1001), 1)]
    with store.transaction(con):
        dedup_day(con, D1, base, CFG, tmp_path / "index")
        for d in base:  # the documents rows, and their texts file, that the asset's callback reads
            con.execute("INSERT INTO documents (partition_date, doc_id, url, source, fetched_at) "
                        "VALUES (?, ?, ?, 's', now())", [D1, d.doc_id, "u" + d.doc_id])
        texts.write_day(con, D1, "extracted", pl.DataFrame([(d.doc_id, d.text) for d in base],
                                                            schema=texts.TEXT_SCHEMA, orient="row"))
    calls = []

    def recording(ids, day):
        calls.append((list(ids), day))
        return _history_texts(con, D2, ids, day)

    with store.transaction(con):
        s = dedup_day(con, D2, [doc("above", _ABOVE, 0)], CFG, tmp_path / "index", history_texts=recording)
    assert calls == [(["base"], D1)] and s.extra["verify_text_unavailable"] == 0
    assert decisions(con, D2)["above"][:3] == ("near_duplicate", "base", D1)
    assert _history_texts(con, D1, ["base"], D1) == {}  # never the day itself or a later one
    con.close()
