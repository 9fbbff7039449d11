"""The daily job (every asset and check of a partition) and its schedule; the intraday jobs and their schedule."""

from __future__ import annotations

import os
from datetime import timedelta

import dagster as dg

SCHEDULE_HOUR_UTC = int(os.environ.get("FRESHDATA_SCHEDULE_HOUR", "2"))
HOURLY_SCHEDULE_MINUTE = int(os.environ.get("FRESHDATA_HOURLY_SCHEDULE_MINUTE", "5"))
INTRADAY_GROUP = "intraday"

daily_pipeline = dg.define_asset_job(
    "daily_pipeline",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups(INTRADAY_GROUP),
    description="Discover, fetch, extract, dedup, filter/tag and snapshot one UTC day.",
    # Every step is in the one-slot `duckdb` pool, so steps run one at a time anyway; a process per step
    # only added ~5 s of imports to each of the 16 steps. The heavy work inside steps has its own pools.
    executor_def=dg.in_process_executor,
)

hourly_crawl = dg.define_asset_job(
    "hourly_crawl",
    selection=dg.AssetSelection.groups(INTRADAY_GROUP),
    description="One UTC hour's crawl round (sources with cadence hourly; every source in hour 23).",
    executor_def=dg.in_process_executor,
)

day_refresh = dg.define_asset_job(
    "day_refresh",
    selection=dg.AssetSelection.assets("extracted_documents").downstream(),
    description="Extract, dedup, filter/tag, check and republish one UTC day from every crawl round it has so "
    "far (no network): what follows each hourly round, so its pages are queryable within the hour.",
    executor_def=dg.in_process_executor,
)


def _status(variable: str) -> dg.DefaultScheduleStatus:
    return dg.DefaultScheduleStatus.RUNNING if os.environ.get(variable) == "1" else dg.DefaultScheduleStatus.STOPPED


# Off until a user turns it on in the UI (or sets FRESHDATA_SCHEDULE_ON=1): a fresh clone must not
# start crawling the web by itself.
@dg.schedule(
    name="daily_pipeline_schedule", job=daily_pipeline, cron_schedule=f"0 {SCHEDULE_HOUR_UTC} * * *",
    execution_timezone="UTC", default_status=_status("FRESHDATA_SCHEDULE_ON"),
    description="Every day at FRESHDATA_SCHEDULE_HOUR (UTC), the day before: the day that has just ended.",
)
def daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    # Written out, not build_schedule_from_partitioned_job: the daily partitions end with today (the day in
    # progress, for hourly runs), and that helper would run the last partition, today.
    day = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
    return dg.RunRequest(run_key=day, partition_key=day)

# Off too (FRESHDATA_HOURLY_SCHEDULE_ON=1 turns it on): a few minutes after each hour, that hour's round; the
# `intraday_snapshot` sensor then republishes the day.
hourly_schedule = dg.build_schedule_from_partitioned_job(
    hourly_crawl, minute_of_hour=HOURLY_SCHEDULE_MINUTE, default_status=_status("FRESHDATA_HOURLY_SCHEDULE_ON"))
