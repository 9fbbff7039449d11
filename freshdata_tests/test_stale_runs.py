"""Stale-run recovery on a real Dagster instance: a run whose worker process is dead is marked failed and its
pool slot freed (by the daemon's sensor, or by the next `freshdata run`); a live one is left alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import dagster as dg
import pytest
from dagster._core.events import EngineEventData
from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus

from freshdata.defs.recovery import LAUNCHER_TAG, recover_stale_runs
from freshdata.defs.sensors import stale_run_recovery
from freshdata_tests.pipeline_helpers import REPO_DAGSTER_YAML

pytestmark = pytest.mark.slow  # real Dagster instances and runs: make test, not make test-fast


@pytest.fixture
def instance(tmp_path):
    shutil.copyfile(REPO_DAGSTER_YAML, tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as inst:
        inst.event_log_storage.initialize_concurrency_limit_to_default("duckdb")
        yield inst


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def started_run(instance, worker_pid: int | None, tags: dict[str, str] | None = None, claim: bool = True) -> str:
    """A run as Dagster's default run launcher leaves it: STARTED, its worker's pid in an engine event."""
    run = DagsterRun(job_name="daily_pipeline", run_id=str(uuid.uuid4()), status=DagsterRunStatus.STARTED,
                     tags=tags or {})
    instance.add_run(run)
    if worker_pid is not None:
        instance.report_engine_event(f"Started process for run (pid: {worker_pid}).", run,
                                     EngineEventData.in_process(worker_pid))
    if claim:
        instance.event_log_storage.claim_concurrency_slot("duckdb", run.run_id, "discovered_urls")
    return run.run_id


def status(instance, run_id: str) -> DagsterRunStatus:
    return instance.get_run_by_id(run_id).status


def holders(instance) -> set[str]:
    return instance.event_log_storage.get_concurrency_info("duckdb").active_run_ids


def test_sensor_fails_a_run_whose_worker_died_and_frees_its_slot(instance):
    dead = started_run(instance, dead_pid())
    result = stale_run_recovery(dg.build_sensor_context(instance=instance))
    assert "recovered 1 run(s)" in result.skip_message
    assert status(instance, dead) == DagsterRunStatus.FAILURE
    assert holders(instance) == set()


def test_a_live_run_and_a_run_with_no_known_worker_are_left_alone(instance):
    live = started_run(instance, os.getpid())
    unknown = started_run(instance, None, claim=False)
    result = stale_run_recovery(dg.build_sensor_context(instance=instance))
    assert result.skip_message == "no stale run"
    assert status(instance, live) == status(instance, unknown) == DagsterRunStatus.STARTED
    assert holders(instance) == {live}


def test_cli_runs_are_judged_by_the_home_lock_or_their_pid(instance):
    alive_cli = started_run(instance, None, tags={LAUNCHER_TAG: "cli", "freshdata/pid": str(os.getpid())})
    assert recover_stale_runs(instance, tell=lambda _: None, cli_lock_held=False) == []
    assert recover_stale_runs(instance, tell=lambda _: None, cli_lock_held=True) == [alive_cli]
    assert status(instance, alive_cli) == DagsterRunStatus.FAILURE
    dead_cli = started_run(instance, None, tags={LAUNCHER_TAG: "cli", "freshdata/pid": str(dead_pid())})
    assert recover_stale_runs(instance, tell=lambda _: None, cli_lock_held=False) == [dead_cli]


def test_a_slot_left_by_a_finished_run_is_freed(instance):
    finished = started_run(instance, os.getpid())
    run = instance.get_run_by_id(finished)
    instance.report_run_failed(run, message="finished without freeing its slot")
    assert holders(instance) == {finished}
    recover_stale_runs(instance, tell=lambda _: None, cli_lock_held=False)
    assert holders(instance) == set()
