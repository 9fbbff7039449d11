"""`dagster dev` (webserver + daemon, as a user starts it) on loopback against the repo's workspace.yaml and
dagster.yaml: the code location loads, its assets/checks/job/schedule are there, and a run of one
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
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from freshdata.demo.site import DemoSite
from freshdata_tests.pipeline_helpers import REPO_DAGSTER_YAML, REPO_ROOT, free_port, write_demo_sources

pytestmark = pytest.mark.slow

DAY = date(2026, 6, 1)
ASSETS = {"discovered_urls", "fetched_pages", "extracted_documents", "dedup_decisions", "quality_results",
          "daily_snapshot"}
CHECKS = {"funnel_adds_up", "no_document_in_two_snapshots", "no_kept_duplicate", "required_tags_present",
          "no_email_or_card_left", "rates_near_trailing_average", "no_silent_source"}
BLOCKING_CHECKS = CHECKS - {"rates_near_trailing_average", "no_silent_source"}
STARTUP_TIMEOUT_S = 120
RUN_TIMEOUT_S = 240


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
    home, dagster_home = root / "home", root / "dagster_home"
    dagster_home.mkdir(parents=True)
    (dagster_home / "dagster.yaml").write_bytes(REPO_DAGSTER_YAML.read_bytes())
    port = free_port()
    with DemoSite(days=[DAY]) as site:
        sources = write_demo_sources(home, site)
        env = dict(os.environ, FRESHDATA_HOME=str(home), FRESHDATA_SOURCES=str(sources),
                   DAGSTER_HOME=str(dagster_home), FRESHDATA_LOG_LEVEL="WARNING")
        log = (root / "dagster-dev.log").open("w")
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("dagster")), "dev", "-w", "workspace.yaml",
             "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
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
            for sig, wait in ((signal.SIGINT, 30), (signal.SIGKILL, 10)):
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
    assert {s["name"] for s in repo["schedules"]} == {"daily_pipeline_schedule"}


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
    assert (ui["home"] / "snapshots" / f"snapshot_date={DAY.isoformat()}" / "part-0.parquet").is_file()
