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


@dg.sensor(
    job=day_refresh, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
    description="After hourly crawl rounds (the hourly schedule, a backfill, the UI), runs day_refresh once for "
    "each day they added to, so the new pages reach the day's snapshot within the hour. Launches nothing until an "
    "hourly round ran; rounds run by `freshdata run --hour` are refreshed by that command itself.",
)
def intraday_snapshot(context: dg.SensorEvaluationContext):
    result = context.instance.fetch_materializations(dg.AssetKey("hourly_fetched_pages"), limit=1000,
                                                     cursor=context.cursor, ascending=True)
    days: dict[str, int] = {}  # day -> the storage id of its latest new round
    for record in result.records:
        run = context.instance.get_run_by_id(record.run_id) if record.run_id else None
        hour = record.partition_key
        if hour and not (run is not None and run.tags.get(LAUNCHER_TAG) == "cli"):
            days[hour[:10]] = record.storage_id
    context.update_cursor(result.cursor)
    if not days:
        return dg.SkipReason("no new hourly round (rounds of `freshdata run --hour` refresh their day themselves)")
    return [dg.RunRequest(run_key=f"{day}:{storage_id}", partition_key=day) for day, storage_id in sorted(days.items())]
