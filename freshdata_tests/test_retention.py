"""Raw retention (`storage.raw_retention_days`): old published days lose their WARC files after a later day's
fetch; re-running a pruned day fails with one clear line and changes nothing; the default keeps everything.
Loopback only (the bundled demo site)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from freshdata.config import parse_sources
from freshdata.crawl.archive import PRUNED_MARKER, RawArchivePruned, prune_day, require_raw
from freshdata.crawl.daily import prune_raw
from freshdata.demo.site import DemoSite
from freshdata.runs import explain_failure
from freshdata_tests.pipeline_helpers import (
    all_partition_rows,
    build_defs,
    run_day,
    set_env,
    step_failures,
    write_demo_sources,
)

DAYS = [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)]
D1, D2, D3 = DAYS


def _tree(home: Path) -> dict[str, str]:
    """Every file of the data home that a refused re-run must leave alone, with its sha256."""
    out = {}
    for folder in ("raw", "snapshots", "exports"):
        for path in sorted((home / folder).rglob("*")):
            if path.is_file():
                out[str(path.relative_to(home))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _raw_files(home: Path, day: date) -> list[str]:
    folder = home / "raw" / f"date={day.isoformat()}"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@dataclass
class Retained:
    home: Path
    raw_after_day: dict[date, dict[date, list[str]]] = field(default_factory=dict)
    before: dict[str, list] = field(default_factory=dict)
    tree_before: dict[str, str] = field(default_factory=dict)
    refused: dict[str, dg.ExecuteInProcessResult] = field(default_factory=dict)
    after: dict[str, list] = field(default_factory=dict)
    tree_after: dict[str, str] = field(default_factory=dict)
    rerun_d3: dg.ExecuteInProcessResult | None = None


@pytest.fixture(scope="module")
def retained(tmp_path_factory) -> Retained:
    """Three demo days with raw_retention_days: 2, then re-runs of the pruned day 1 (whole day, fetch alone,
    extraction alone) and of day 3 (still whole)."""
    home = tmp_path_factory.mktemp("retention") / "home"
    out = Retained(home=home)
    with pytest.MonkeyPatch.context() as mp, DemoSite(days=DAYS) as site:
        sources = write_demo_sources(home, site)
        sources.write_text(sources.read_text() + "storage:\n  raw_retention_days: 2\n")
        set_env(mp, home, sources)
        defs = build_defs()
        with dg.instance_for_test() as instance:
            for number, day in enumerate(DAYS, start=1):
                site.day = number
                result = run_day(defs, instance, day)
                assert result.success, step_failures(result)
                out.raw_after_day[day] = {d: _raw_files(home, d) for d in DAYS}
            out.before = all_partition_rows(home, D1)
            out.tree_before = _tree(home)
            site.day = 1
            out.refused["day"] = run_day(defs, instance, D1)
            out.refused["fetch"] = run_day(defs, instance, D1, assets=["fetched_pages"])
            out.refused["extraction"] = run_day(defs, instance, D1, assets=["extracted_documents"])
            out.after = all_partition_rows(home, D1)
            out.tree_after = _tree(home)
            site.day = 3
            out.rerun_d3 = run_day(defs, instance, D3)
    return out


@pytest.mark.slow  # the `retained` home runs pipeline days
def test_retention_deletes_only_days_older_than_the_setting(retained: Retained) -> None:
    after_d2, after_d3 = retained.raw_after_day[D2], retained.raw_after_day[D3]
    # day 2's run (cutoff D2 - 2 days) prunes nothing; day 3's run prunes day 1 only
    assert all(any(n.endswith(".warc.gz") for n in after_d2[d]) for d in (D1, D2))
    assert after_d3[D1] == [PRUNED_MARKER]
    for day in (D2, D3):
        assert any(n.startswith("discovery-") for n in after_d3[day]) and any(
            n.startswith("fetch-") for n in after_d3[day]), after_d3[day]


@pytest.mark.slow  # the `retained` home runs pipeline days
def test_rerun_of_a_pruned_day_fails_with_one_clear_line(retained: Retained) -> None:
    for what, result in retained.refused.items():
        assert not result.success, what
        lines = explain_failure(D1, result, retained.home)
        step_line = lines[0]
        assert "raw archive of this day was deleted by the retention setting" in step_line, (what, lines)
        assert "storage.raw_retention_days: 2" in step_line and "on the run of 2026-01-03" in step_line
        assert "raw/date=2026-01-01/fetch-" in step_line and "raw/date=2026-01-01/discovery-" in step_line
        assert step_line.startswith("2026-01-01: step ") and "\n" not in step_line
    failed = [e.step_key for e in retained.refused["day"].all_events if e.is_step_failure]
    assert failed == ["discovered_urls"]  # the first stage refuses; nothing downstream runs


@pytest.mark.slow  # the `retained` home runs pipeline days
def test_rerun_of_a_pruned_day_changes_nothing(retained: Retained) -> None:
    assert retained.after == retained.before
    assert retained.tree_after == retained.tree_before


@pytest.mark.slow  # the `retained` home runs pipeline days
def test_a_day_within_the_setting_still_reruns(retained: Retained) -> None:
    assert retained.rerun_d3 is not None and retained.rerun_d3.success, step_failures(retained.rerun_d3)


# ---------------------------------------------------------------- unit level


def _home_with_days(tmp_path: Path, days: list[date], published: list[date]):
    raw = tmp_path / "raw"
    for day in days:
        folder = raw / f"date={day.isoformat()}"
        folder.mkdir(parents=True)
        (folder / "discovery-a.warc.gz").write_bytes(b"x")
        (folder / "fetch-b.warc.gz").write_bytes(b"y")
    con = duckdb.connect(str(tmp_path / "t.duckdb"))
    con.execute("CREATE TABLE snapshot_manifest (snapshot_date DATE PRIMARY KEY)")
    for day in published:
        con.execute("INSERT INTO snapshot_manifest VALUES (?)", [day])
    return con, raw


def test_default_keeps_everything(tmp_path: Path) -> None:
    sources = parse_sources({"sources": [{"name": "s", "kind": "feed", "url": "https://example.org/rss"}]}, "t")
    assert sources.storage.raw_retention_days is None
    days = [date(2025, 1, d) for d in range(1, 11)]
    con, raw = _home_with_days(tmp_path, days, published=days)
    assert prune_raw(con, date(2026, 1, 1), raw, sources.storage.raw_retention_days) == {}
    assert all(len(list((raw / f"date={d.isoformat()}").iterdir())) == 2 for d in days)


def test_setting_is_validated() -> None:
    base = {"sources": [{"name": "s", "kind": "feed", "url": "https://example.org/rss"}]}
    assert parse_sources({**base, "storage": {"raw_retention_days": 30}}, "t").storage.raw_retention_days == 30
    for bad in (0, -1, "soon"):
        with pytest.raises(ValueError, match="raw_retention_days"):
            parse_sources({**base, "storage": {"raw_retention_days": bad}}, "t")


def test_an_unpublished_old_day_keeps_its_raw_data(tmp_path: Path) -> None:
    days = [date(2026, 1, d) for d in (1, 2, 3, 4)]
    con, raw = _home_with_days(tmp_path, days, published=[date(2026, 1, 1), date(2026, 1, 3)])
    pruned = prune_raw(con, date(2026, 1, 4), raw, 1)  # cutoff 2026-01-03; day 2 never published
    assert sorted(pruned) == [date(2026, 1, 1), date(2026, 1, 3)]
    assert sorted(p.name for p in (raw / "date=2026-01-02").iterdir()) == ["discovery-a.warc.gz", "fetch-b.warc.gz"]
    require_raw(raw, date(2026, 1, 2))
    require_raw(raw, date(2026, 1, 4))
    with pytest.raises(RawArchivePruned, match="2026-01-03: the raw archive"):
        require_raw(raw, date(2026, 1, 3))


def test_a_prune_cut_short_is_refused_then_finished(tmp_path: Path) -> None:
    day = date(2026, 1, 1)
    con, raw = _home_with_days(tmp_path, [day], published=[day])
    folder = raw / "date=2026-01-01"
    assert prune_day(raw, day, retention_days=3, run_of=date(2026, 1, 9))
    (folder / "fetch-late.warc.gz.open").write_bytes(b"z")  # as if the unlinks had not all happened
    with pytest.raises(RawArchivePruned) as refused:
        require_raw(raw, day)
    assert "storage.raw_retention_days: 3" in str(refused.value) and "on the run of 2026-01-09" in str(refused.value)
    assert prune_raw(con, date(2026, 1, 10), raw, 3) == {day: ["date=2026-01-01/fetch-late.warc.gz"]}
    assert [p.name for p in folder.iterdir()] == [PRUNED_MARKER]
    with pytest.raises(RawArchivePruned, match="fetch-late.warc.gz"):
        require_raw(raw, day)
