"""The crawl day functions directly (no Dagster): a source removed between discovery and fetch."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from freshdata import schema, store
from freshdata.config import parse_sources
from freshdata.crawl.daily import discover_day, fetch_day
from freshdata.demo.site import DemoSite

DAY = date(2026, 1, 1)


def _sources(site: DemoSite, names: list[str]):
    return parse_sources({
        "crawl": {"per_host_delay_s": 0, "per_host_concurrency": 4, "timeout_s": 2, "max_retries": 0,
                  "private_hosts_allowed": [f"127.0.0.1:{site.port}"]},
        "sources": [{"name": n, "kind": "feed", "url": f"{site.base}/{path}"}
                    for n, path in (("news", "rss.xml"), ("tech", "atom.xml")) if n in names],
    }, "test")


def test_source_removed_before_fetch_is_deferred_with_a_reason(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "f.duckdb"))
    schema.ensure_schema(con)
    with DemoSite(days=[DAY]) as site:
        discover_day(con, DAY, _sources(site, ["news", "tech"]), tmp_path / "raw")
        fetch_day(con, DAY, _sources(site, ["news"]), tmp_path / "raw")  # "tech" left the file in between
    funnel = dict(con.execute(
        "SELECT source || ':' || final_state || ':' || coalesce(reason, ''), count(*) FROM url_funnel "
        "WHERE source = 'tech' GROUP BY ALL").fetchall())
    assert funnel and set(funnel) == {"tech:deferred:source_removed"}, funnel
    assert con.execute("SELECT count(*) FROM url_funnel WHERE final_state = 'not_fetched'").fetchone() == (0,)
    # deferred is transient: the URLs come back on a later day once the source is back
    retry = store.run(con, "select_retry_urls", {"day": date(2026, 1, 2), "max_attempts": 3}).fetchall()
    assert {row[1] for row in retry} >= {"tech"}
    # and it does not use up one of the URL's fetch attempts: two real timeouts later, it is still retried
    url = con.execute("SELECT url FROM fetch_log WHERE reason = 'source_removed' ORDER BY url LIMIT 1").fetchone()[0]
    for offset in (1, 2):
        con.execute("INSERT INTO fetch_log (partition_date, stage, source, kind, url, state, reason, fetched_at) "
                    "VALUES (?, 'fetch', 'tech', 'document', ?, 'failed', 'timeout', now())",
                    [date(2026, 1, 1 + offset), url])
    retry = store.run(con, "select_retry_urls", {"day": date(2026, 1, 4), "max_attempts": 3}).fetchall()
    assert url in {row[0] for row in retry}


def test_stage_summaries_add_up():
    """The asset metadata comes from the cores: totals are the sum of the states, reasons listed after."""
    from collections import Counter

    from freshdata.crawl.daily import StageSummary
    from freshdata.extract import extraction_counts

    summary = StageSummary(counts=Counter(new=3, known=2), by_reason=Counter(http_404=1))
    assert summary.discovery_counts() == {"discovered": 5, "known": 2, "new": 3}
    assert summary.fetch_counts() == {"attempted": 5, "known": 2, "new": 3, "http_404": 1}
    outcomes = Counter({"extracted": 4, "extraction_failed:timeout": 1, "extraction_failed:empty": 2})
    assert extraction_counts(outcomes) == {"extracted": 4, "extraction_failed": 3, "extraction_failed:empty": 2,
                                           "extraction_failed:timeout": 1}
