"""Intraday crawl rounds: discovery and fetch of one UTC hour, for the sources whose cadence is hourly (and, in the
day's last hour, the daily ones). The day's later stages (extraction … publication, daily partitions) are then
recomputed from every round of the day so far and republished: job `day_refresh`, which `freshdata run --hour`
runs after each hour and the `intraday_snapshot` sensor launches after each scheduled hour. Logic in
freshdata.crawl.daily (rounds)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from freshdata.crawl.daily import IncompleteRound, discover_day, fetch_day
from freshdata.defs.crawl.assets import discovery_result, fetch_result
from freshdata.defs.metadata import hour_of
from freshdata.defs.partitions import hourly_partitions
from freshdata.defs.resources import DUCKDB_POOL, FreshdataResource, connection

PREVIOUS_HOUR = dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1,
                                              allow_nonexistent_upstream_partitions=True)


@dg.asset(
    partitions_def=hourly_partitions, pool=DUCKDB_POOL, group_name="intraday",
    deps=[dg.AssetDep("hourly_discovered_urls", partition_mapping=PREVIOUS_HOUR)],
    description="The hour's crawl round: the sources due in it (cadence hourly; every source in hour 23) fetched "
    "conditionally, and every URL they list that no other round of the day listed, with its state. Depends on "
    "its previous hour so backfills run in order; refuses to run while an earlier hour of the day left new URLs "
    "unfetched.",
)
def hourly_discovered_urls(context: dg.AssetExecutionContext, freshdata: FreshdataResource,
                           duckdb: DuckDBResource) -> dg.MaterializeResult:
    day, hour = hour_of(context)
    sources = freshdata.sources()
    with connection(duckdb) as con:
        try:
            summary = discover_day(con, day, sources, freshdata.raw_root, hour=hour)
        except IncompleteRound as exc:
            raise dg.Failure(str(exc)) from None
    return discovery_result(summary)


@dg.asset(
    partitions_def=hourly_partitions, pool=DUCKDB_POOL, group_name="intraday", deps=[hourly_discovered_urls],
    description="The hour's new URLs fetched once, archived as WARC under the day; a re-run of the hour reuses "
    "every final outcome it already has. The day's extracted_documents reads every hour of the day.",
)
def hourly_fetched_pages(context: dg.AssetExecutionContext, freshdata: FreshdataResource,
                         duckdb: DuckDBResource) -> dg.MaterializeResult:
    day, hour = hour_of(context)
    sources = freshdata.sources()
    with connection(duckdb) as con:
        summary = fetch_day(con, day, sources, freshdata.raw_root, hour=hour)
    return fetch_result(summary)
