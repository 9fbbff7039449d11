"""Daily UTC partitions: one crawl day each."""

import dagster as dg

from freshdata.config import PARTITIONS_START

daily_partitions = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, timezone="UTC")
