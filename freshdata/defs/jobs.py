"""The daily job (every asset and check of a partition) and its schedule."""

from __future__ import annotations

import os

import dagster as dg

SCHEDULE_HOUR_UTC = int(os.environ.get("FRESHDATA_SCHEDULE_HOUR", "2"))

daily_pipeline = dg.define_asset_job(
    "daily_pipeline",
    selection=dg.AssetSelection.all(),
    description="Discover, fetch, extract, dedup, filter/tag and snapshot one UTC day.",
    # Every step is in the one-slot `duckdb` pool, so steps run one at a time anyway; a process per step
    # only added ~5 s of imports to each of the 16 steps. The heavy work inside steps has its own pools.
    executor_def=dg.in_process_executor,
)

# Off until a user turns it on in the UI (or sets FRESHDATA_SCHEDULE_ON=1): a fresh clone must not
# start crawling the web by itself.
daily_schedule = dg.build_schedule_from_partitioned_job(
    daily_pipeline,
    hour_of_day=SCHEDULE_HOUR_UTC,
    default_status=(dg.DefaultScheduleStatus.RUNNING if os.environ.get("FRESHDATA_SCHEDULE_ON") == "1"
                    else dg.DefaultScheduleStatus.STOPPED),
)
