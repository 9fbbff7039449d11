"""Sensors: keep the instance healthy between runs (no job is launched from here)."""

from __future__ import annotations

import dagster as dg

from freshdata.defs.recovery import recover_stale_runs


@dg.sensor(
    minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks runs whose process died (kill -9, out of memory, disk full) as failed and frees their "
    "`duckdb` pool slot, so that a crash never blocks the schedule or the next backfill. Launches nothing.",
)
def stale_run_recovery(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    recovered = recover_stale_runs(context.instance, tell=context.log.warning, cli_lock_held=False)
    return dg.SkipReason(f"recovered {len(recovered)} run(s) left by a crash" if recovered else "no stale run")
