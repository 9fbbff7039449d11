"""Daily UTC partitions: one crawl day each; hourly ones for the intraday crawl rounds that feed the days."""

import dagster as dg

from freshdata.config import PARTITIONS_START

# end_offset=1: today's partition exists too, as the day in progress that hourly runs publish into. The daily
# schedule still targets yesterday (defs/jobs.py), and `freshdata run --date` accepts only days that have ended.
daily_partitions = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, timezone="UTC", end_offset=1)

# Intraday runs: one crawl round per UTC hour; its pages go into the daily partition of the hour's day.
hourly_partitions = dg.HourlyPartitionsDefinition(start_date=f"{PARTITIONS_START}-00:00", timezone="UTC")
