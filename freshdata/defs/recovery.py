"""Runs left unfinished by a crash: found and cleaned by `freshdata run` (with the home lock held) and by the
`stale_run_recovery` sensor in the daemon. Orchestration layer: the CLI imports it, never the other way."""

from __future__ import annotations

import os
import re
from collections.abc import Callable

import dagster as dg

from freshdata.defs.resources import DUCKDB_POOL

LAUNCHER_TAG = "freshdata/launcher"  # "cli" on runs `freshdata run` launched in its own process


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _worker_pid(instance, run) -> int | None:
    """The pid of a run's worker process, from Dagster's 'Started process for run (pid: N)' engine event."""
    records = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, limit=20).records
    for record in records:
        match = re.search(r"Started process for run \(pid: (\d+)\)", record.event_log_entry.message or "")
        if match:
            return int(match.group(1))
    return None


def _is_dead(instance, run, cli_lock_held: bool) -> bool:
    """A started run whose process is gone. CLI runs: the home lock proves it (or their pid tag, when the lock is
    not ours to hold); runs of Dagster's default (local) run launcher: their worker's pid."""
    if run.tags.get(LAUNCHER_TAG) == "cli":
        pid = run.tags.get("freshdata/pid", "")
        return cli_lock_held or (pid.isdigit() and not _alive(int(pid)))
    if not isinstance(instance.run_launcher, dg.DefaultRunLauncher):
        return False  # a run on another machine (k8s, …): Dagster's run monitoring is the judge
    pid = _worker_pid(instance, run)
    return pid is not None and not _alive(pid)


def recover_stale_runs(instance, tell: Callable[[str], None], cli_lock_held: bool = True) -> list[str]:
    """Mark runs whose process is gone as failed and free every pool slot no live run holds.

    Called by `freshdata run` with the home lock held (then no CLI run on this home is alive, so an unfinished
    CLI run is a dead one) and every minute by the `stale_run_recovery` sensor in the daemon, so that a killed
    scheduled or UI-launched run never blocks the next one either.
    """
    recovered = []
    started = [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
               dg.DagsterRunStatus.CANCELING]
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=started)):
        if run.status == dg.DagsterRunStatus.NOT_STARTED and run.tags.get(LAUNCHER_TAG) != "cli":
            continue  # not launched yet: nothing holds a slot
        if _is_dead(instance, run, cli_lock_held):
            instance.report_run_failed(run, message="freshdata: the process of this run ended without finishing "
                                       "it (killed, out of memory or disk full); marked failed by freshdata")
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            recovered.append(run.run_id)
    info = instance.event_log_storage.get_concurrency_info(DUCKDB_POOL)
    for run_id in info.active_run_ids | {step.run_id for step in info.pending_steps}:
        run = instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
            recovered.append(run_id)
    if recovered:
        tell(f"recovered {len(recovered)} run(s) left unfinished by a crash: "
             f"{', '.join(r[:8] for r in recovered)} (marked failed, pool slots freed)")
    return recovered
