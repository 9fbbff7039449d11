"""Daily UTC partitions: one crawl day each; hourly ones for the intraday crawl rounds that feed the days."""

import dagster as dg

from freshdata.config import PARTITIONS_START

daily_partitions = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, timezone="UTC")

# Intraday runs: one crawl round per UTC hour; its pages go into the daily partition of the hour's day.
hourly_partitions = dg.HourlyPartitionsDefinition(start_date=f"{PARTITIONS_START}-00:00", timezone="UTC")
