"""Adaptive re-checks (freshdata.crawl.recheck): the pure policy, and discovery driven by a simulated clock on
loopback (freshdata_tests/recheck_sim.py). The full simulated week is benchmarks/bench_recheck.py."""

from __future__ import annotations

import random
import re
import statistics
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import get_args

import pytest

from freshdata import schema, store
from freshdata.config import ConfigError, RecheckConfig, parse_sources
from freshdata.crawl.daily import discover_day, fetch_day
from freshdata.crawl.recheck import DAY, Outcome, RecheckState, after_check, daily_as_of, is_due
from freshdata.defs.metadata import recheck_metadata
from freshdata.summary import print_stats
from freshdata.vocab import SOURCE_DECISIONS, SOURCE_OUTCOMES
from freshdata_tests.recheck_sim import (
    FIRST_PARTITION,
    HOUR,
    START,
    ClockSite,
    publish_times,
    simulate,
    sources_for,
)

BOUNDS = RecheckConfig(min=HOUR, max=7 * DAY)
T0 = datetime(2026, 3, 2, tzinfo=UTC)


def test_a_new_source_is_checked_after_min_and_backs_off_while_nothing_comes() -> None:
    state = after_check(None, T0, "new_items", 20, BOUNDS)  # the first listing is a backlog: no rate from it
    assert state.interval_s == 3600 and state.next_due_at == T0 + HOUR
    intervals = []
    for _ in range(6):
        state = after_check(state, state.next_due_at, "not_modified", 0, BOUNDS)
        intervals.append(state.interval_s / 3600)
    assert intervals[0] == 2  # then each about doubles (exponential back-off; the half-life decay trims it)
    assert all(1.8 < b / a <= 2 for a, b in zip(intervals, intervals[1:], strict=False)), intervals
    for _ in range(5):
        state = after_check(state, state.next_due_at, "unchanged", 0, BOUNDS)
    assert state.interval_s == BOUNDS.max.total_seconds()  # clamped


def test_a_busy_source_settles_at_its_rate_and_a_failure_changes_nothing() -> None:
    state = after_check(None, T0, "new_items", 5, BOUNDS)
    for hour in range(1, 49):
        state = after_check(state, T0 + hour * HOUR, "new_items", 1, BOUNDS)
    assert state.interval_s == pytest.approx(3600)
    daily = after_check(None, T0, "new_items", 5, BOUNDS)
    for day in range(1, 15):
        daily = after_check(daily, T0 + day * DAY, "new_items" if day % 2 else "not_modified", day % 2, BOUNDS)
    assert 1.2 * 86400 < daily.interval_s < 2.5 * 86400  # one item every two days
    failed = after_check(daily, T0 + 20 * DAY, "failed", 0, BOUNDS)
    assert (failed.interval_s, failed.checked_at, failed.events) == (daily.interval_s, daily.checked_at, daily.events)
    assert failed.next_due_at == T0 + 20 * DAY  # due again at the next run
    assert is_due(failed, T0 + 20 * DAY + HOUR, HOUR)


def test_nothing_new_never_shortens_and_new_items_never_lengthen() -> None:
    rng = random.Random(7)
    for _ in range(200):
        state, now = None, T0
        for _ in range(30):
            now += timedelta(seconds=rng.uniform(60, 5 * 86400))
            n_new = rng.choice([0, 0, 0, 1, 3, 40])
            before = state
            state = after_check(state, now, "new_items" if n_new else "not_modified", n_new, BOUNDS)
            assert 3600 <= state.interval_s <= 7 * 86400
            if before is not None and before.checked_at is not None:
                assert (state.interval_s <= before.interval_s) if n_new else (state.interval_s >= before.interval_s)


def test_a_daily_run_never_skips_a_source_whose_interval_is_under_a_day() -> None:
    as_of = daily_as_of(date(2026, 3, 2))
    assert as_of == datetime(2026, 3, 3, tzinfo=UTC)
    checked = as_of - 14 * HOUR  # by an hourly run at 10:00
    state = RecheckState(20 * 3600, checked + 20 * HOUR, checked)  # due at 06:00 the day after
    assert not is_due(state, as_of, HOUR) and is_due(state, as_of, DAY)
    assert is_due(RecheckState(30 * 3600, as_of + 30 * HOUR, as_of), as_of + DAY, DAY)  # due nearer this run
    quiet = RecheckState(43 * 3600, as_of + 43 * HOUR, as_of)  # than the next one (rounds to the nearest run)
    assert not is_due(quiet, as_of + DAY, DAY) and is_due(quiet, as_of + 2 * DAY, DAY)
    assert is_due(None, as_of, DAY)  # never checked


def test_the_recheck_setting_reads_durations_and_names_a_bad_one() -> None:
    raw = {"recheck": {"min": "30m", "max": "7d"},
           "sources": [{"name": "a", "kind": "feed", "url": "http://x/", "recheck": {"max": "2h"}},
                       {"name": "b", "kind": "feed", "url": "http://y/"}]}
    sources = parse_sources(raw, "t")
    assert sources.recheck_for(sources.sources[0]) == RecheckConfig(min=HOUR, max=2 * HOUR)
    assert sources.recheck_for(sources.sources[1]) == RecheckConfig(min=HOUR / 2, max=7 * DAY)
    assert parse_sources({"sources": raw["sources"]}, "t").recheck == RecheckConfig(min=HOUR, max=DAY)
    with pytest.raises(ConfigError, match=r'source "a", field "recheck.min": .*not a duration'):
        parse_sources({"sources": [{**raw["sources"][0], "recheck": {"min": "soon"}}]}, "t")
    with pytest.raises(ConfigError, match="must not be shorter than min"):
        parse_sources({**raw, "recheck": {"min": "2d", "max": "1d"}}, "t")


def test_the_table_spells_out_the_vocabulary() -> None:
    ddl = store.load_sql("create_recheck")
    comment = {name: set(re.findall(r"\w+", line.partition("--")[2].partition("(")[0])) for line in ddl.splitlines()
               for name in ("decision", "outcome") if line.strip().startswith(name)}
    assert set(SOURCE_DECISIONS) == comment["decision"]
    assert set(SOURCE_OUTCOMES) == comment["outcome"] == set(get_args(Outcome))


def _policy_week(bounds: RecheckConfig, feeds: dict[str, list[datetime]]) -> tuple[int, float]:
    """The policy alone over the simulated week (hourly runs): total checks and p50 latency in hours."""
    requests, latencies = 0, []
    for times in feeds.values():
        state, seen = None, set()
        for hour in range(168):
            now = START + hour * HOUR
            if not is_due(state, now, HOUR):
                continue
            requests += 1
            new = [t for t in times if t <= now and t not in seen]
            seen.update(new)
            latencies += [(now - t) / HOUR for t in new if t >= START]
            state = after_check(state, now, "new_items" if new else "not_modified", len(new), bounds)
    return requests, statistics.median(latencies)


def test_the_policy_alone_meets_the_target_over_a_week() -> None:
    """The decisions the benchmark measures through HTTP, on the pure policy: ≤ 40 % of fixed hourly polling's
    requests, p50 latency within 1.5× of it."""
    feeds = publish_times(168)
    fixed_requests, fixed_p50 = _policy_week(RecheckConfig(min=HOUR, max=HOUR), feeds)
    requests, p50 = _policy_week(BOUNDS, feeds)
    assert fixed_requests == 3 * 168
    assert requests <= 0.40 * fixed_requests and p50 <= 1.5 * fixed_p50, (requests, p50, fixed_p50)


def _checks(con, day: date) -> list[tuple]:
    return con.execute("SELECT * FROM source_checks WHERE partition_date = ? ORDER BY source", [day]).fetchall()


@pytest.mark.slow
def test_hourly_runs_on_loopback_poll_busy_feeds_often_and_quiet_ones_rarely(tmp_path: Path, capsys) -> None:
    hours = 24
    with ClockSite(publish_times(hours)) as site:
        results = simulate(tmp_path, {"min": "1h", "max": "7d"}, hours, site)
        assert results["hourly"].requests == hours  # a new item every hour: checked every hour
        assert results["daily"].requests + results["weekly"].requests <= 14
        assert results["weekly"].not_modified >= 3  # conditional GETs answered 304
        assert max(results["hourly"].latencies_h) < 1
        con = schema.connect(tmp_path)
        try:
            checked = sum(r.requests for r in results.values())
            decisions = dict(con.execute("SELECT decision, count(*) FROM source_checks GROUP BY ALL").fetchall())
            assert decisions == {"checked": checked, "not_due": 3 * hours - checked}
            # every run decided from earlier runs only: a re-run of a partition decides the same, also with later
            # partitions present
            day = FIRST_PARTITION + timedelta(days=12)
            before = _checks(con, day)
            assert any(row[4] == "not_due" for row in before)
            site.now, site.requests = START + 12 * HOUR, []
            sources = parse_sources(sources_for(site, {"min": "1h", "max": "7d"}), "t")
            discover_day(con, day, sources, tmp_path / "raw", as_of=site.now, run_every=HOUR)
            assert site.requests == []  # replayed from the day's archive
            assert _checks(con, day) == before
            # the day's summary line names the sources it did not ask; they count as answered by policy
            fetches = store.run(con, "select_source_fetches", {"day": day}).fetchall()
            assert ("feed", "not_due", "recheck_interval") in {row[:3] for row in fetches}
            answered = store.fetch_dicts(con, "check_sources_answered", {"day": day})
            assert {r["source"] for r in answered} == {"hourly", "daily", "weekly"}
            assert all(r["answered"] or r["by_policy"] for r in answered)
            cursor = con.execute("SELECT * FROM source_checks WHERE partition_date = ? ORDER BY source", [day])
            names = [d[0] for d in cursor.description]
            metadata = recheck_metadata([dict(zip(names, row, strict=True)) for row in cursor.fetchall()])
        finally:
            con.close()
    # the UI: plottable numbers and a table; `freshdata stats`: each source's interval and its history
    assert metadata["sources_checked"].value + metadata["sources_not_due"].value == 3
    assert "| hourly | checked | new_items | 1 | 1.00 |" in metadata["recheck_table"].value
    assert print_stats(tmp_path, None) == 0
    out = capsys.readouterr().out
    stats = out[out.index("Re-check interval per source"):]
    assert all(name in stats for name in ("hourly", "daily", "weekly")) and "1.0 1.0 1.0" in stats


@pytest.mark.slow
def test_daily_runs_check_every_source_every_day_by_default(tmp_path: Path) -> None:
    """The default bounds (max 1 day) leave a daily schedule as it was: every source asked every day, quiet ones
    conditionally; with `max: 7d` a quiet source is skipped on some days, recorded as not_due."""
    feeds = publish_times(168)
    with ClockSite({name: feeds[name] for name in ("daily", "weekly")}) as site:
        for recheck, name in (({}, "default"), ({"min": "1h", "max": "7d"}, "weekly_max")):
            sources = parse_sources(sources_for(site, recheck), "t")
            with schema.connect(tmp_path / name) as con:
                for i in range(5):
                    day = date(2026, 3, 2) + timedelta(days=i)
                    site.now = daily_as_of(day)
                    discover_day(con, day, sources, tmp_path / name / "raw")
                    fetch_day(con, day, sources, tmp_path / name / "raw")
                rows = dict(con.execute("SELECT source, list(decision ORDER BY partition_date) FROM source_checks "
                                        "GROUP BY source").fetchall())
            if name == "default":
                assert all(decisions == ["checked"] * 5 for decisions in rows.values()), rows
            else:
                assert rows["daily"] == ["checked"] * 5
                assert "not_due" in rows["weekly"], rows
