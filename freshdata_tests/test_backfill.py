"""Dedup/snapshot ordering: a real Dagster backfill of dedup → quality → snapshot over five days gives
exactly what running the days one by one gives, and a day after an undecided day refuses to run.

Home A: crawl days 1..5 (loopback demo site), then dedup/quality/snapshot day by day (plus one refused
attempt at day 4 while day 3 is undecided). Home B: a copy of A's crawl state (DuckDB + raw WARC archive,
so no network is needed) whose dedup/quality/snapshot come from ONE backfill launched through Dagster's
backfill daemon machinery with a synchronous in-process run launcher.
"""

from __future__ import annotations

import gc
import logging
import shutil
import time
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from freshdata.demo.articles import ARTICLES, syndicated_edit
from freshdata.demo.site import DemoSite, Page
from freshdata.durable import file_hash
from freshdata.snapshot import snapshot_path
from freshdata_tests.pipeline_helpers import (
    CRAWL_ASSETS,
    DOWNSTREAM_ASSETS,
    REPO_ROOT,
    build_defs,
    read_db,
    run_day,
    set_env,
    step_failures,
    table_rows,
    write_demo_sources,
)

pytestmark = pytest.mark.slow

DAYS = [date(2026, 4, d) for d in (1, 2, 3, 4, 5)]
BLOCKING_CHECKS = {"funnel_adds_up", "no_document_in_two_snapshots", "no_kept_duplicate",
                   "required_tags_present", "no_email_or_card_left"}

# Days 4 and 5 republish earlier stories on new paths (exact and lightly edited copies), so the dedup of
# those days depends on every earlier day's decisions.
EXTRA_PAGES = [
    Page("/mirror/a0.html", ARTICLES[0]["title"], ARTICLES[0]["text"], 4, "seed"),
    Page("/mirror/a5.html", ARTICLES[5]["title"], syndicated_edit(ARTICLES[5]["text"]), 4, "seed"),
    Page("/mirror/a6.html", ARTICLES[6]["title"], ARTICLES[6]["text"], 5, "seed"),
    Page("/mirror/a13.html", ARTICLES[13]["title"], syndicated_edit(ARTICLES[13]["text"]), 5, "seed"),
]


class FiveDaySite(DemoSite):
    """DemoSite whose days 4 and 5 add syndicated copies of earlier articles."""

    def visible(self, channel: str | None = None) -> list[Page]:
        extra = [p for p in EXTRA_PAGES if p.day <= self.day and (channel is None or p.channel == channel)]
        return super().visible(channel) + extra


# Runs are launched the way the daemon launches them (DefaultRunLauncher: a run worker process started by
# the code server), executing their steps in one process. A synchronous in-memory launcher
# (dagster._core.launcher.sync_in_memory_run_launcher.SyncInMemoryRunLauncher) does not work here: the run
# executes inside the backfill iteration, whose event-log cursor then skips the run's own materializations,
# so the backfill never sees day 1 done and never requests day 2 (stays REQUESTED forever).
IN_PROCESS_RUN_CONFIG: dict = {}  # the job and the asset backfills run in-process by default (defs/jobs.py)
# Submitted runs launch at once (no queue daemon in this test).
IMMEDIATE_LAUNCH = {"run_coordinator": {"module": "dagster._core.run_coordinator",
                                        "class": "DefaultRunCoordinator"}}


def run_asset_backfill(instance: dg.DagsterInstance, assets: list[str], partition_keys: list[str],
                       timeout_s: float = 300) -> tuple[object, list]:
    """Launch one asset backfill through Dagster's backfill machinery and drive the daemon iteration until
    it finishes (runs are launched asynchronously by the instance's run launcher). All internal-API use is
    here. The code location is `freshdata.definitions:defs`, which
    the caller must have (re)imported with this test's environment (see pipeline_helpers.build_defs)."""
    from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill
    from dagster._core.test_utils import create_test_daemon_workspace_context
    from dagster._core.utils import make_new_backfill_id
    from dagster._core.workspace.load_target import ModuleTarget
    from dagster._daemon.backfill import execute_backfill_iteration

    target = ModuleTarget(module_name="freshdata.definitions", attribute="defs",
                          working_directory=str(REPO_ROOT), location_name="freshdata")
    logger = logging.getLogger("freshdata_tests.backfill")
    with create_test_daemon_workspace_context(workspace_load_target=target, instance=instance) as context:
        request = context.create_request_context()
        entries = request.get_code_location_entries()
        errors = {name: e.load_error for name, e in entries.items() if e.load_error}
        assert not errors, errors
        backfill = PartitionBackfill.from_asset_partitions(
            backfill_id=make_new_backfill_id(), asset_graph=request.asset_graph, partition_names=partition_keys,
            asset_selection=[dg.AssetKey(a) for a in assets], backfill_timestamp=time.time(), tags={},
            dynamic_partitions_store=instance, all_partitions=False, title="freshdata test backfill",
            description=None, run_config=IN_PROCESS_RUN_CONFIG)
        instance.add_backfill(backfill)
        deadline = time.monotonic() + timeout_s
        while True:
            for error in execute_backfill_iteration(context, logger):
                assert error is None, error
            status = instance.get_backfill(backfill.backfill_id).status
            if status != BulkActionStatus.REQUESTED or time.monotonic() > deadline:
                break
            time.sleep(1)
        final = instance.get_backfill(backfill.backfill_id)
        records = instance.get_run_records(filters=dg.RunsFilter(tags={"dagster/backfill": backfill.backfill_id}))
        return final, [r.dagster_run for r in sorted(records, key=lambda r: r.create_timestamp)]


def _downstream_rows(home: Path) -> dict[tuple[str, date], list]:
    with read_db(home) as con:
        return {(table, day): table_rows(con, table, day)
                for table in ("dedup_decisions", "quality_results", "semantic_documents", "snapshot_documents")
                for day in DAYS}


def _manifest(home: Path) -> dict[date, set[str]]:
    with read_db(home) as con:
        rows = con.execute("SELECT snapshot_date, content_hash FROM snapshot_manifest").fetchall()
    out: dict[date, set[str]] = {}
    for day, digest in rows:
        out.setdefault(day, set()).add(digest)
    return out


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    root = tmp_path_factory.mktemp("backfill")
    home_a, home_b = root / "A", root / "B"
    out = {"A": home_a, "B": home_b}
    with pytest.MonkeyPatch.context() as mp:
        with FiveDaySite(days=DAYS) as site:
            sources_a = write_demo_sources(home_a, site)
            set_env(mp, home_a, sources_a)
            defs = build_defs()
            with dg.instance_for_test() as instance:
                for number, day in enumerate(DAYS, start=1):
                    site.day = number
                    result = run_day(defs, instance, day, assets=CRAWL_ASSETS)
                    assert result.success, step_failures(result)
                # Home B = home A's crawl state (DuckDB file + raw archive + sources), before any dedup.
                shutil.copytree(home_a, home_b, ignore=shutil.ignore_patterns("dagster"))
                for day in DAYS[:2]:
                    result = run_day(defs, instance, day, assets=DOWNSTREAM_ASSETS)
                    assert result.success, step_failures(result)
                # Day 4 while day 3 has documents but no dedup decisions: refused, nothing written.
                out["refused"] = run_day(defs, instance, DAYS[3], assets=["dedup_decisions"])
                gc.collect()  # once seen: a failed in-process step left its DuckDB connection open until GC
                with read_db(home_a) as con:
                    out["rows_after_refusal"] = con.execute(
                        "SELECT count(*) FROM dedup_decisions WHERE partition_date >= ?", [DAYS[2]]).fetchone()[0]
                for day in DAYS[2:]:
                    result = run_day(defs, instance, day, assets=DOWNSTREAM_ASSETS)
                    assert result.success, step_failures(result)
        # Home B: one backfill of the downstream assets over the five days (no network: site is down).
        set_env(mp, home_b, home_b / "sources.yaml")
        build_defs()
        with dg.instance_for_test(overrides=IMMEDIATE_LAUNCH) as instance_b:
            out["backfill"], out["runs"] = run_asset_backfill(instance_b, DOWNSTREAM_ASSETS,
                                                              [d.isoformat() for d in DAYS])
            out["dedup_order"] = [r.partition_key for r in instance_b.fetch_materializations(
                dg.AssetKey("dedup_decisions"), limit=100, ascending=True).records]
            out["run_checks"] = {}
            for run in out["runs"]:
                records = instance_b.get_records_for_run(
                    run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
                for record in records:
                    data = record.event_log_entry.dagster_event.event_specific_data
                    out["run_checks"].setdefault(run.tags.get("dagster/partition"), {})[data.check_name] = (
                        data.passed)
    yield out


def test_backfill_completes_in_partition_order(homes):
    from dagster._core.execution.backfill import BulkActionStatus

    assert homes["backfill"].status == BulkActionStatus.COMPLETED_SUCCESS, homes["backfill"]
    runs = homes["runs"]
    assert runs and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs), [(r.run_id, r.status) for r in runs]
    partitions = sorted(r.tags.get("dagster/partition") for r in runs)
    assert set(partitions) == {d.isoformat() for d in DAYS}
    # the self-dependency makes the backfill decide the days in order (one materialization each)
    assert homes["dedup_order"] == [d.isoformat() for d in DAYS]


def test_backfill_runs_pass_their_blocking_checks(homes):
    checks = homes["run_checks"]
    assert set(checks) == {d.isoformat() for d in DAYS}, checks
    for day, by_name in checks.items():
        assert set(by_name) >= BLOCKING_CHECKS, (day, by_name)
        assert all(by_name[name] for name in BLOCKING_CHECKS), (day, by_name)


def test_backfill_equals_day_by_day_row_for_row(homes):
    rows_a, rows_b = _downstream_rows(homes["A"]), _downstream_rows(homes["B"])
    assert rows_a.keys() == rows_b.keys()
    for key in rows_a:
        assert rows_b[key] == rows_a[key], key
    # the extra days really exercised dedup against earlier days
    with read_db(homes["A"]) as con:
        late = con.execute("SELECT partition_date, status, duplicate_of_date FROM dedup_decisions "
                           "WHERE partition_date >= ? AND status <> 'fresh' ORDER BY ALL", [DAYS[3]]).fetchall()
    assert {(d, s) for d, s, _ in late} >= {(DAYS[3], "exact_duplicate"), (DAYS[3], "near_duplicate"),
                                            (DAYS[4], "exact_duplicate"), (DAYS[4], "near_duplicate")}, late


def test_backfill_snapshots_are_byte_identical(homes):
    manifest_a, manifest_b = _manifest(homes["A"]), _manifest(homes["B"])
    assert set(manifest_a) == set(manifest_b) == set(DAYS)
    for day in DAYS:
        assert len(manifest_a[day]) == len(manifest_b[day]) == 1
        assert manifest_a[day] == manifest_b[day], day
        assert file_hash(Path(snapshot_path(homes["A"], day))) == file_hash(Path(snapshot_path(homes["B"], day)))
        assert {file_hash(Path(snapshot_path(homes["B"], day)))} == manifest_b[day]


def test_dedup_after_an_undecided_day_fails_naming_that_day(homes):
    result = homes["refused"]
    assert not result.success
    failures = step_failures(result)
    assert len(failures) == 1 and failures[0].startswith("dedup_decisions:"), failures
    message = failures[0]
    assert DAYS[2].isoformat() in message  # the undecided day 3 is named …
    assert DAYS[0].isoformat() not in message and DAYS[1].isoformat() not in message  # … and only it
    assert "Backfill dedup_decisions from 2026-04-03 to 2026-04-04" in message
    assert homes["rows_after_refusal"] == 0

