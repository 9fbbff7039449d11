"""Intraday runs: hourly crawl rounds feeding the daily snapshot, on a loopback live desk that publishes an article
every 15 minutes by a simulated clock (freshdata.clock, frozen at each hour's end: nobody sleeps).

Measured: publish -> snapshot latency of every article (the hour's end, when its run publishes, minus the
article's publication time), the product's own publish -> ingest figures, re-running an hour, the daily run of a
day that had hourly rounds, and the check that refuses a round after an unfetched earlier one."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from freshdata import store
from freshdata.config import parse_sources
from freshdata.crawl.daily import IncompleteRound, require_earlier_rounds, round_sources
from freshdata.demo.site import LiveDeskSite
from freshdata.reader import open_reader
from freshdata.schema import ensure_schema
from freshdata.snapshot import published_entry
from freshdata_tests.pipeline_helpers import loopback_crawl_yaml, set_env

DAY = date(2026, 11, 20)
HOURS = [datetime(2026, 11, 20, h, tzinfo=UTC) for h in range(6, 10)]  # four hourly runs, 06:00 … 09:00
FIRST_ARTICLE = datetime(2026, 11, 20, 6, 7, tzinfo=UTC)  # then one every 15 minutes


def _sources(site: LiveDeskSite) -> str:
    return loopback_crawl_yaml(site.port) + f"""schedule: {{cadence: hourly}}
sources:
  - name: live
    kind: feed
    url: {site.base}/live.xml
  - name: live-archive
    kind: page
    url: {site.base}/live/archive.html
    schedule: {{cadence: daily}}
"""


class Intraday:
    def __init__(self, home: Path, site: LiveDeskSite) -> None:
        self.home, self.site = home, site
        self.latency_h: list[float] = []  # publish -> snapshot, per article, in hours
        self.visible: dict[str, datetime] = {}
        self.hashes: list[str] = []


def _published_rows(home: Path) -> list[tuple[str, datetime]]:
    con = open_reader(home)
    try:
        return con.execute("SELECT url, published_at FROM snapshots WHERE snapshot_date = ?", [DAY]).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def intraday(tmp_path_factory: pytest.TempPathFactory):
    from freshdata.runs import run_hours

    home = tmp_path_factory.mktemp("intraday") / "home"
    home.mkdir()
    with pytest.MonkeyPatch.context() as mp, LiveDeskSite(FIRST_ARTICLE) as site:
        sources = home / "sources.yaml"
        sources.write_text(_sources(site))
        set_env(mp, home, sources)
        state = Intraday(home, site)

        def after_hour(hour: datetime) -> None:
            published_at_run = hour + timedelta(hours=1)  # the clock was frozen at the hour's end
            for url, published in _published_rows(home):
                if url not in state.visible:
                    state.visible[url] = published_at_run
                    state.latency_h.append((published_at_run - published).total_seconds() / 3600)
            state.hashes.append(published_entry(home, DAY)["content_hash"])

        assert run_hours(HOURS, sources, home, quiet=True, after_hour=after_hour, frozen_clock=True)
        state.sources = sources
        yield state


@pytest.mark.slow
def test_hourly_runs_publish_every_article_within_the_hour(intraday: Intraday) -> None:
    expected = {f"{intraday.site.base}/live/{n}.html" for n in range(16)}  # 06:07 … 09:52
    assert set(intraday.visible) == expected
    p50 = statistics.median(intraday.latency_h)
    print(f"publish -> snapshot latency over {len(intraday.latency_h)} articles: p50 {p50 * 60:.1f} min, "
          f"max {max(intraday.latency_h) * 60:.1f} min")
    assert p50 <= 1.0
    assert max(intraday.latency_h) <= 1.0  # every article reached a snapshot in the hour it was published
    assert len(set(intraday.hashes)) == len(HOURS)  # one new immutable version of the day per hour


@pytest.mark.slow
def test_publish_to_ingest_figures_follow_the_clock(intraday: Intraday) -> None:
    con = open_reader(intraday.home)
    try:
        rows = con.execute("SELECT source, documents, p50_publish_to_ingest_hours, p90_publish_to_ingest_hours "
                           "FROM latency WHERE snapshot_date = ?", [DAY]).fetchall()
    finally:
        con.close()
    assert [(source, docs) for source, docs, _, _ in rows] == [("live", 16)]
    assert 0 < rows[0][2] <= 1.0 and rows[0][2] <= rows[0][3] <= 1.0


@pytest.mark.slow
def test_only_the_hourly_source_is_checked_by_hourly_rounds(intraday: Intraday) -> None:
    assert not any("archive" in path for path in intraday.site.requests)
    feed = [p for p in intraday.site.requests if p.startswith("/live.xml")]
    assert len(feed) == len(HOURS)


@pytest.mark.slow
def test_rerunning_an_hour_replays_it_and_republishes_the_same_day(intraday: Intraday) -> None:
    from freshdata.runs import run_hours

    before = len(intraday.site.requests)
    assert run_hours([HOURS[2]], intraday.sources, intraday.home, quiet=True, frozen_clock=True)
    assert intraday.site.requests[before:] == []  # the round's feed and pages come from its archive
    assert published_entry(intraday.home, DAY)["content_hash"] == intraday.hashes[-1]


@pytest.mark.slow
def test_the_daily_run_adds_the_daily_sources_to_a_day_with_hourly_rounds(intraday: Intraday) -> None:
    from freshdata import clock
    from freshdata.runs import run_days

    with clock.frozen_at(datetime(2026, 11, 21, 2, 0, tzinfo=UTC)):  # when the daily schedule runs
        assert run_days([DAY], intraday.sources, intraday.home, quiet=True)
    with duckdb.connect(str(store.db_path(intraday.home)), read_only=True) as con:
        rounds = dict(con.execute("SELECT coalesce(hour, -1), count(DISTINCT source) FROM discovered_urls "
                                  "WHERE partition_date = ? GROUP BY ALL", [DAY]).fetchall())
        dupes = con.execute("SELECT count(*) - count(DISTINCT url) FROM discovered_urls WHERE partition_date = ?",
                            [DAY]).fetchone()[0]
        sources = con.execute("SELECT DISTINCT source FROM fetch_log WHERE partition_date = ? AND hour IS NULL "
                              "AND stage = 'discovery' AND kind <> 'robots'", [DAY]).fetchall()
    assert sources == [("live-archive",)] and dupes == 0 and set(rounds) == {-1, *range(6, 10)}
    entry = published_entry(intraday.home, DAY)
    assert entry["n_documents"] > 16  # the archive's later articles joined the day


def test_a_round_refuses_to_run_after_an_unfetched_earlier_round(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "db.duckdb")) as con:
        ensure_schema(con)
        con.execute("INSERT INTO discovered_urls (partition_date, url, source, found_in, state, hour) "
                    "VALUES (?, 'http://127.0.0.1/a', 'live', 'feed', 'new', 3)", [DAY])
        require_earlier_rounds(con, DAY, 3)
        require_earlier_rounds(con, DAY, 2)
        with pytest.raises(IncompleteRound, match="03:00 \\(1 new URLs\\)"):
            require_earlier_rounds(con, DAY, 5)
        with pytest.raises(IncompleteRound):
            require_earlier_rounds(con, DAY, None)  # the daily round comes after every hour


def test_round_sources_follow_the_schedule() -> None:
    sources = parse_sources({"schedule": {"cadence": "hourly"}, "sources": [
        {"name": "a", "kind": "feed", "url": "http://x/a"},
        {"name": "b", "kind": "feed", "url": "http://x/b", "schedule": {"cadence": "daily"}}]}, "test")
    assert [s.name for s in round_sources(sources, 5)] == ["a"]
    assert [s.name for s in round_sources(sources, 23)] == ["a", "b"]  # the day's last hour checks daily ones
    assert [s.name for s in round_sources(sources, None, {"a"})] == ["b"]
    daily_only = parse_sources({"sources": [{"name": "a", "kind": "feed", "url": "http://x/a"}]}, "test")
    assert round_sources(daily_only, 5) == [] and len(round_sources(daily_only, None)) == 1


@pytest.mark.slow
def test_snapshot_metadata_carries_the_latency(intraday: Intraday) -> None:
    import dagster as dg

    with dg.DagsterInstance.from_config(str(intraday.home / "dagster")) as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey("daily_snapshot"))
        metadata = event.asset_materialization.metadata
    assert event.asset_materialization.partition == DAY.isoformat()
    assert 0 < metadata["p50_publish_to_ingest_hours"].value <= metadata["p90_publish_to_ingest_hours"].value
    assert "| live | 16 |" in metadata["latency_by_source"].value
    assert 0 < metadata["p50_publish_to_ingest_hours__live"].value <= 1.0
    with duckdb.connect(str(store.db_path(intraday.home)), read_only=True) as con:
        p50, p90 = con.execute("SELECT p50_publish_to_ingest_hours, p90_publish_to_ingest_hours "
                               "FROM snapshot_manifest WHERE snapshot_date = ?", [DAY]).fetchone()
    assert 0 < p50 <= p90  # the day's daily run (above) added the archive's pages, crawled at 02:00 the next day


def test_hour_ranges_of_the_cli() -> None:
    from freshdata.cli import hour_range

    now = datetime(2026, 12, 2, 3, 10, tzinfo=UTC)
    assert hour_range("2026-12-01T23", "2026-12-02T02:00", now) == [
        datetime(2026, 12, 1, 23, tzinfo=UTC) + timedelta(hours=i) for i in range(4)]
    for args, message in ((("2026-12-02T03", None), "has not ended yet"), (("2026-12-01", None), "YYYY-MM-DDTHH"),
                          (("2026-12-01T05", "2026-12-01T04"), "is before --hour")):
        with pytest.raises(SystemExit, match=message):
            hour_range(*args, now=now)


def test_the_sensor_republishes_each_day_hourly_rounds_added_to_once(tmp_path: Path, monkeypatch) -> None:
    import dagster as dg

    monkeypatch.setenv("FRESHDATA_HOME", str(tmp_path / "home"))
    from freshdata.defs.sensors import intraday_snapshot

    with dg.instance_for_test() as instance:
        for hour in ("2026-11-20-06:00", "2026-11-20-07:00", "2026-11-21-00:00"):
            instance.report_runless_asset_event(dg.AssetMaterialization("hourly_fetched_pages", partition=hour))
        context = dg.build_sensor_context(instance=instance)
        requests = intraday_snapshot(context)
        assert [r.partition_key for r in requests] == ["2026-11-20", "2026-11-21"]
        assert isinstance(intraday_snapshot(dg.build_sensor_context(instance=instance, cursor=context.cursor)),
                          dg.SkipReason)  # nothing new since
