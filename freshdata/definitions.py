"""The Dagster code location `freshdata`: assets, checks, the daily and intraday jobs and schedules, resources."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from freshdata.defs.crawl import assets as crawl_assets
from freshdata.defs.dedup import assets as dedup_assets
from freshdata.defs.intraday import assets as intraday_assets
from freshdata.defs.jobs import daily_pipeline, daily_schedule, day_refresh, hourly_crawl, hourly_schedule
from freshdata.defs.quality import assets as quality_assets
from freshdata.defs.resources import default_resources
from freshdata.defs.semantic import assets as semantic_assets
from freshdata.defs.sensors import intraday_snapshot, stale_run_recovery
from freshdata.defs.snapshot import assets as snapshot_assets

ASSET_MODULES = [crawl_assets, intraday_assets, dedup_assets, quality_assets, semantic_assets, snapshot_assets]


def build_definitions(resources: Mapping[str, object] | None = None) -> dg.Definitions:
    """The code location; `resources` replace default ones by key (a test's own Ray cluster, say)."""
    assets = dg.load_assets_from_modules(ASSET_MODULES)
    checks = dg.load_asset_checks_from_modules(ASSET_MODULES)
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[daily_pipeline, hourly_crawl, day_refresh],
        schedules=[daily_schedule, hourly_schedule],
        sensors=[stale_run_recovery, intraday_snapshot],
        resources={**default_resources(), **(resources or {})},
        executor=dg.in_process_executor,  # asset backfills too (see defs/jobs.py)
    )


defs = build_definitions()
