"""Daily UTC partitions: one crawl day each."""

import dagster as dg

PARTITIONS_START = "2024-01-01"

daily_partitions = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, timezone="UTC")
