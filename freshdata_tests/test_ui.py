"""`freshdata ui` (= `make ui`: `dagster dev`, webserver + daemon, as a user starts it) on loopback, on a data
home that has never run anything, from outside the repo: it prepares the instance with the repo's dagster.yaml
and loads the repo's workspace.yaml; the code location loads, its assets/checks/job/schedule are there, and a run of one
partition launched through GraphQL goes through the queue (QueuedRunCoordinator → daemon), succeeds and
passes its asset checks. Only 127.0.0.1 is contacted (the webserver and the demo site)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest

from freshdata.demo.site import DemoSite
from freshdata.snapshot import snapshot_path
from freshdata_tests.pipeline_helpers import REPO_DAGSTER_YAML, free_port, read_db, write_demo_sources

pytestmark = pytest.mark.slow

DAY = date(2026, 6, 1)
# The day the concurrency test backfills (one day: a backfill of several days runs them one after another, each
# after a backfill-daemon tick, which adds time and no concurrency; test_backfill covers the ordering).
BACKFILL_DAYS = [DAY + timedelta(days=1)]
ASSETS = {"discovered_urls", "fetched_pages", "extracted_documents", "dedup_decisions", "quality_results",
          "semantic_documents", "daily_snapshot", "published_snapshot"}
CHECKS = {"funnel_adds_up", "no_document_in_two_snapshots", "no_kept_duplicate", "required_tags_present",
          "no_email_or_card_left", "rates_near_trailing_average", "no_silent_source", "sources_answered",
          "published_file_matches_manifest"}
BLOCKING_CHECKS = CHECKS - {"rates_near_trailing_average", "no_silent_source"}
STARTUP_TIMEOUT_S = 120
RUN_TIMEOUT_S = 240
CONCURRENT_TIMEOUT_S = 360
TERMINAL_RUN = ("SUCCESS", "FAILURE", "CANCELED")


def _graphql(url: str, query: str, variables: dict | None = None, timeout: float = 30) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        payload = json.loads(response.read())
    assert "errors" not in payload, payload["errors"]
    return payload["data"]


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    root = tmp_path_factory.mktemp("ui")
    home = root / "home"
    dagster_home = home / "dagster"  # where `freshdata ui` puts the instance, as `freshdata run` does
    port = free_port()
    with DemoSite(days=[DAY + timedelta(days=i) for i in range(3)]) as site:  # the concurrency test serves day 3
        sources = write_demo_sources(home, site)
        env = dict(os.environ, FRESHDATA_HOME=str(home), FRESHDATA_SOURCES=str(sources), FRESHDATA_LOG_LEVEL="WARNING")
        env.pop("DAGSTER_HOME", None)
        log = (root / "dagster-dev.log").open("w")
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("freshdata")), "ui", "--port", str(port)],
            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}/graphql"
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while True:
                assert proc.poll() is None, (root / "dagster-dev.log").read_text()[-3000:]
                try:
                    _graphql(url, "{ version }", timeout=5)
                    break
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                    if time.monotonic() > deadline:
                        raise AssertionError("dagster dev did not answer GraphQL in time:\n"
                                             + (root / "dagster-dev.log").read_text()[-3000:]) from None
                    time.sleep(1)
            yield {"url": url, "site": site, "dagster_home": dagster_home, "home": home,
                   "log": root / "dagster-dev.log"}
        finally:
            for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
                if proc.poll() is not None:
                    break
                try:
                    os.killpg(proc.pid, sig)
                    proc.wait(timeout=wait)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
            with contextlib.suppress(ProcessLookupError):  # stragglers (daemon, code server, run workers)
                os.killpg(proc.pid, signal.SIGKILL)
            log.close()


WORKSPACE_QUERY = """
{
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        locationOrLoadError {
          __typename
          ... on PythonError { message }
          ... on RepositoryLocation {
            name
            repositories {
              name
              jobs { name }
              schedules { name }
              assetNodes {
                assetKey { path }
                assetChecksOrError { __typename ... on AssetChecks { checks { name } } }
              }
            }
          }
        }
      }
    }
  }
}
"""


def _location(ui) -> dict:
    data = _graphql(ui["url"], WORKSPACE_QUERY)["workspaceOrError"]
    assert data["__typename"] == "Workspace", data
    entries = {e["name"]: e for e in data["locationEntries"]}
    assert "freshdata" in entries, entries
    location = entries["freshdata"]["locationOrLoadError"]
    assert location["__typename"] == "RepositoryLocation", location
    return location


def test_code_location_loads_with_assets_checks_job_and_schedule(ui):
    assert (ui["dagster_home"] / "dagster.yaml").read_bytes() == REPO_DAGSTER_YAML.read_bytes()
    location = _location(ui)
    (repo,) = location["repositories"]
    assets = {"/".join(n["assetKey"]["path"]) for n in repo["assetNodes"]}
    assert assets >= ASSETS, assets
    checks = set()
    for node in repo["assetNodes"]:
        if node["assetChecksOrError"]["__typename"] == "AssetChecks":
            checks |= {c["name"] for c in node["assetChecksOrError"]["checks"]}
    assert checks == CHECKS
    assert "daily_pipeline" in {j["name"] for j in repo["jobs"]}
    assert {s["name"] for s in repo["schedules"]} == {"daily_pipeline_schedule", "hourly_crawl_schedule"}


LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on PythonError { message stack }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
  }
}
"""
RUN_STATUS = """
query Run($runId: ID!) { runOrError(runId: $runId) { __typename ... on Run { status } } }
"""


def test_partition_run_launched_through_graphql_succeeds_with_passing_checks(ui):
    location = _location(ui)
    repo_name = location["repositories"][0]["name"]
    ui["site"].day = 1
    params = {
        "selector": {"repositoryLocationName": "freshdata", "repositoryName": repo_name,
                     "jobName": "daily_pipeline"},
        "runConfigData": {},
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": DAY.isoformat()}]},
    }
    launched = _graphql(ui["url"], LAUNCH, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + RUN_TIMEOUT_S
    status = None
    while time.monotonic() < deadline:
        status = _graphql(ui["url"], RUN_STATUS, {"runId": run_id})["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(2)
    assert status == "SUCCESS", (status, ui["log"].read_text()[-3000:])

    instance = dg.DagsterInstance.from_config(str(ui["dagster_home"]))
    try:
        records = instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=100).records
        evaluations = {r.event_log_entry.dagster_event.event_specific_data.check_name:
                       r.event_log_entry.dagster_event.event_specific_data.passed for r in records}
        materialized = {r.event_log_entry.dagster_event.asset_key.path[-1] for r in instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=100).records}
    finally:
        instance.dispose()
    assert set(evaluations) == CHECKS, evaluations
    assert all(evaluations[c] for c in BLOCKING_CHECKS), evaluations
    assert materialized == ASSETS
    assert Path(snapshot_path(ui["home"], DAY)).is_file()


LAUNCH_BACKFILL = """
mutation Backfill($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on InvalidSubsetError { message }
    ... on PartitionSetNotFoundError { message }
  }
}
"""
BACKFILL_STATUS = """
query Backfill($backfillId: String!) {
  partitionBackfillOrError(backfillId: $backfillId) {
    __typename
    ... on PartitionBackfill { status runs { runId status tags { key value } } }
    ... on PythonError { message }
  }
}
"""


def _wait_run(ui, run_id: str, timeout_s: float = RUN_TIMEOUT_S) -> str:
    deadline = time.monotonic() + timeout_s
    status = None
    while time.monotonic() < deadline:
        status = _graphql(ui["url"], RUN_STATUS, {"runId": run_id})["runOrError"]["status"]
        if status in TERMINAL_RUN:
            break
        time.sleep(2)
    return status


def _ensure_day_materialized(ui, repo_name: str) -> None:
    """The concurrency test re-runs DAY, which the partition-run test above materialized; when run alone
    (-k), materialize DAY first the same way."""
    instance = dg.DagsterInstance.from_config(str(ui["dagster_home"]))
    try:
        done = DAY.isoformat() in instance.get_materialized_partitions(dg.AssetKey("published_snapshot"))
    finally:
        instance.dispose()
    if done:
        return
    ui["site"].day = 1
    params = {"selector": {"repositoryLocationName": "freshdata", "repositoryName": repo_name,
                           "jobName": "daily_pipeline"},
              "runConfigData": {},
              "executionMetadata": {"tags": [{"key": "dagster/partition", "value": DAY.isoformat()}]}}
    launched = _graphql(ui["url"], LAUNCH, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    assert _wait_run(ui, launched["run"]["runId"]) == "SUCCESS", ui["log"].read_text()[-3000:]


def test_scheduled_run_and_backfill_started_together_both_succeed(ui):
    """The concurrency promise: a scheduled run and a backfill started together both succeed, the "duckdb"
    pool (limit 1) never lets two steps of any run write at once, and every blocking check passes.

    Choice of days, so that every order the queue and the pool may pick is valid:
    - the scheduled run is for DAY, which is already fully materialized (a re-run, as when a schedule
      tick re-runs a day). A re-run replays the day's archived feeds/sitemaps and reuses its fetch
      outcomes (freshdata/crawl/daily.py), and dedup of DAY depends only on earlier days (none), so it
      rewrites the same rows whatever the site serves and whenever it runs relative to the backfill;
      every stage replaces its partition in one DuckDB transaction, so the backfill never sees DAY
      half-written (in particular DAY always has dedup decisions: the history rule holds).
    - the backfill covers the NEXT day (BACKFILL_DAYS), the whole asset selection: its only earlier day,
      DAY, is always decided.
    The other way round (scheduled run for a new last day) would be order-dependent: dedup correctly
    refuses a day while an earlier day has documents but no decisions yet.
    The site serves one simulated day for all runs (site.day = 3, so the backfill sees new articles and
    syndicated copies of DAY's, which dedup must catch).
    """
    location = _location(ui)
    repo_name = location["repositories"][0]["name"]
    _ensure_day_materialized(ui, repo_name)
    with read_db(ui["home"]) as con:
        day_docs_before = con.execute("SELECT doc_id FROM snapshot_documents WHERE snapshot_date = ? ORDER BY 1",
                                      [DAY]).fetchall()
    assert day_docs_before
    ui["site"].day = 3

    scheduled = {
        "selector": {"repositoryLocationName": "freshdata", "repositoryName": repo_name,
                     "jobName": "daily_pipeline"},
        "runConfigData": {},
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": DAY.isoformat()},
                                       {"key": "dagster/schedule_name", "value": "daily_pipeline_schedule"}]},
    }
    backfill = {
        "partitionNames": [d.isoformat() for d in BACKFILL_DAYS],
        "assetSelection": [{"path": [a]} for a in sorted(ASSETS)],
        "title": "concurrency test backfill",
        # The job and asset backfills run in-process (freshdata/defs/jobs.py), claiming the same "duckdb"
        # pool slots; the scheduled run keeps the schedule's (empty) run config, as a schedule tick would.
        "runConfigData": {},
    }
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:  # both requests in flight at the same moment
        run_future = pool.submit(_graphql, ui["url"], LAUNCH, {"params": scheduled})
        backfill_future = pool.submit(_graphql, ui["url"], LAUNCH_BACKFILL, {"params": backfill})
        launched = run_future.result()["launchRun"]
        launched_backfill = backfill_future.result()["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    assert launched_backfill["__typename"] == "LaunchBackfillSuccess", launched_backfill
    run_id, backfill_id = launched["run"]["runId"], launched_backfill["backfillId"]

    deadline = started + CONCURRENT_TIMEOUT_S
    while True:
        run_status = _graphql(ui["url"], RUN_STATUS, {"runId": run_id})["runOrError"]["status"]
        result = _graphql(ui["url"], BACKFILL_STATUS, {"backfillId": backfill_id})["partitionBackfillOrError"]
        assert result["__typename"] == "PartitionBackfill", result
        backfill_runs = result["runs"]
        done = (run_status in TERMINAL_RUN and result["status"] != "REQUESTED"
                and all(r["status"] in TERMINAL_RUN for r in backfill_runs))
        if done or time.monotonic() > deadline:
            break
        time.sleep(2)
    context = (run_status, result, ui["log"].read_text()[-3000:])
    assert run_status == "SUCCESS", context
    assert result["status"] == "COMPLETED_SUCCESS", context
    assert backfill_runs and all(r["status"] == "SUCCESS" for r in backfill_runs), context
    backfilled = {t["value"] for r in backfill_runs for t in r["tags"] if t["key"] == "dagster/partition"}
    assert backfilled == {d.isoformat() for d in BACKFILL_DAYS}, backfill_runs

    run_ids = [run_id] + [r["runId"] for r in backfill_runs]
    instance = dg.DagsterInstance.from_config(str(ui["dagster_home"]))
    try:
        scheduled_tags = instance.get_run_by_id(run_id).tags
        steps: dict[tuple[str, str], list[float]] = {}
        for rid in run_ids:
            for event_type in (dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS,
                               dg.DagsterEventType.STEP_FAILURE):
                for record in instance.get_records_for_run(rid, of_type=event_type, limit=1000).records:
                    entry = record.event_log_entry
                    steps.setdefault((rid, entry.step_key), []).append(entry.timestamp)
        checks: dict[str, dict[str, bool]] = {}  # partition -> check -> passed
        for rid in run_ids:
            partition = instance.get_run_by_id(rid).tags["dagster/partition"]
            for record in instance.get_records_for_run(
                    rid, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=1000).records:
                data = record.event_log_entry.dagster_event.event_specific_data
                checks.setdefault(partition, {})[data.check_name] = data.passed
        materialized = {(r.event_log_entry.dagster_event.asset_key.path[-1],
                         r.event_log_entry.dagster_event.partition)
                        for rid in run_ids for r in instance.get_records_for_run(
                            rid, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=1000).records}
    finally:
        instance.dispose()
    assert scheduled_tags.get("dagster/schedule_name") == "daily_pipeline_schedule", scheduled_tags
    assert scheduled_tags.get("dagster/partition") == DAY.isoformat(), scheduled_tags
    all_days = [DAY, *BACKFILL_DAYS]
    assert materialized == {(a, d.isoformat()) for a in ASSETS for d in all_days}, materialized

    # The "duckdb" pool (limit 1, op granularity): no two steps of any runs ever ran at the same time.
    intervals = sorted((min(ts), max(ts), rid[:8], key) for (rid, key), ts in steps.items())
    assert all(len(ts) == 2 for ts in steps.values()), steps
    assert len({rid for _, _, rid, _ in intervals}) == len(run_ids)
    for before, after in zip(intervals, intervals[1:], strict=False):
        assert after[0] >= before[1], ("overlapping steps in the duckdb pool", before, after)

    # Every blocking check of every day passed (the non-blocking trend checks may warn on so few days).
    assert set(checks) == {d.isoformat() for d in all_days}, checks
    for day, by_name in checks.items():
        assert set(by_name) == CHECKS, (day, by_name)
        assert all(by_name[c] for c in BLOCKING_CHECKS), (day, by_name)

    with read_db(ui["home"]) as con:
        day_docs_after = con.execute("SELECT doc_id FROM snapshot_documents WHERE snapshot_date = ? ORDER BY 1",
                                     [DAY]).fetchall()
        statuses = {s for (s,) in con.execute("SELECT DISTINCT status FROM dedup_decisions "
                                              "WHERE partition_date = ?", BACKFILL_DAYS).fetchall()}
        kept = con.execute("SELECT count(*) FROM snapshot_documents WHERE snapshot_date = ?",
                           BACKFILL_DAYS).fetchone()[0]
    assert day_docs_after == day_docs_before  # the scheduled re-run reproduced DAY whatever the order
    assert {"exact_duplicate", "near_duplicate"} <= statuses, statuses  # dedup caught copies of DAY's articles
    assert kept > 0
