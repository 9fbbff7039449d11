"""Sensors: keep the instance healthy between runs, and republish a day after each of its hourly rounds."""

from __future__ import annotations

import dagster as dg

from freshdata.defs.jobs import day_refresh
from freshdata.defs.recovery import LAUNCHER_TAG, recover_stale_runs


@dg.sensor(
    minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks runs whose process died (kill -9, out of memory, disk full) as failed and frees their "
    "`duckdb` pool slot, so that a crash never blocks the schedule or the next backfill. Launches nothing.",
)
def stale_run_recovery(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    recovered = recover_stale_runs(context.instance, tell=context.log.warning, cli_lock_held=False)
    return dg.SkipReason(f"recovered {len(recovered)} run(s) left by a crash" if recovered else "no stale run")


@dg.asset_sensor(
    asset_key=dg.AssetKey("hourly_fetched_pages"), job=day_refresh, minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After each hourly crawl round (the hourly schedule, a backfill, the UI), runs day_refresh for "
    "the hour's day, so its new pages reach the day's snapshot within the hour. Launches nothing until an hourly "
    "round ran; rounds run by `freshdata run --hour` are refreshed by that command itself.",
)
def intraday_snapshot(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    hour = asset_event.dagster_event.partition if asset_event.dagster_event else None
    run = context.instance.get_run_by_id(asset_event.run_id)
    if hour is None or (run is not None and run.tags.get(LAUNCHER_TAG) == "cli"):
        return dg.SkipReason("a round `freshdata run --hour` refreshes itself")
    return dg.RunRequest(run_key=f"{asset_event.run_id}:{hour}", partition_key=hour[:10])
