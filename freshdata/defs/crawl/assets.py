"""Crawl assets: discovery, fetch and extraction of one day. Logic lives in freshdata.crawl / freshdata.extract."""

import dagster as dg
from dagster_duckdb import DuckDBResource
from dagster_ray import RayResource

from freshdata.crawl.daily import IncompleteRound, StageSummary, discover_day, fetch_day
from freshdata.defs.metadata import counts_metadata, day_of, recheck_metadata
from freshdata.defs.partitions import daily_partitions
from freshdata.defs.resources import DUCKDB_POOL, FreshdataResource, compute_engine, connection
from freshdata.extract import extract_day, extraction_counts


@dg.asset(
    partitions_def=daily_partitions, pool=DUCKDB_POOL, group_name="crawl",
    description="Every URL the sources list today, each with one state: new, known, excluded_by_rule, "
    "over_budget. Feeds/sitemaps/seeds are fetched conditionally and archived; a re-run replays them. A source "
    "whose learned re-check interval has not passed is not asked (recheck_table).",
)
def discovered_urls(context: dg.AssetExecutionContext, freshdata: FreshdataResource,
                    duckdb: DuckDBResource) -> dg.MaterializeResult:
    day = day_of(context)
    sources = freshdata.sources()
    with connection(duckdb) as con:
        try:
            summary = discover_day(con, day, sources, freshdata.raw_root)
        except IncompleteRound as exc:
            raise dg.Failure(str(exc)) from None
    context.log.info(f"{day}: {summary.discovery_counts()}; source fetches: {dict(summary.by_reason)}")
    return discovery_result(summary)


def discovery_result(summary: StageSummary) -> dg.MaterializeResult:
    """What a discovery round (the day's or an hour's) shows in the UI."""
    counts = summary.discovery_counts()
    return dg.MaterializeResult(metadata=counts_metadata(
        "discovery", counts, source_fetches=dg.MetadataValue.json(dict(summary.by_reason)),
        network_requests=summary.network_requests, replayed_from_archive=summary.reused,
        **recheck_metadata(summary.rechecks), **{"dagster/partition_row_count": counts["discovered"]}))


@dg.asset(
    partitions_def=daily_partitions, pool=DUCKDB_POOL, group_name="crawl", deps=[discovered_urls],
    description="The day's new URLs fetched once through the polite, SSRF-guarded fetcher; responses "
    "archived as WARC. A re-run reuses every final outcome the day already has.",
)
def fetched_pages(context: dg.AssetExecutionContext, freshdata: FreshdataResource,
                  duckdb: DuckDBResource) -> dg.MaterializeResult:
    day = day_of(context)
    sources = freshdata.sources()
    with connection(duckdb) as con:
        summary = fetch_day(con, day, sources, freshdata.raw_root)
    return fetch_result(summary)


def fetch_result(summary: StageSummary) -> dg.MaterializeResult:
    """What a fetch round (the day's or an hour's) shows in the UI."""
    counts = summary.fetch_counts()
    return dg.MaterializeResult(metadata=counts_metadata(
        "fetch", counts, network_requests=summary.network_requests, reused_from_partition=summary.reused,
        damaged_archive_files=dg.MetadataValue.json(sorted({d.warc_file for d in summary.damaged})),
        raw_days_pruned=dg.MetadataValue.json({d.isoformat(): files for d, files in summary.pruned.items()}),
        **{"dagster/partition_row_count": counts["attempted"]}))


# A day reads its 24 hourly rounds; those of the day in progress do not all exist yet.
HOURS_OF_THE_DAY = dg.TimeWindowPartitionMapping(allow_nonexistent_upstream_partitions=True)


@dg.asset(
    partitions_def=daily_partitions, pool=DUCKDB_POOL, group_name="crawl",
    deps=[fetched_pages, dg.AssetDep("hourly_fetched_pages", partition_mapping=HOURS_OF_THE_DAY)],
    description="Main text and metadata of every fetched page of the day, of its daily and hourly rounds "
    "(trafilatura, per-page deadline; all cores or the "
    "Ray cluster: `compute` in the sources file), read back from the WARC archive so a re-run is a pure "
    "function of raw data.",
)
def extracted_documents(context: dg.AssetExecutionContext, freshdata: FreshdataResource,
                        duckdb: DuckDBResource, ray: RayResource) -> dg.MaterializeResult:
    day = day_of(context)
    sources = freshdata.sources()
    engine = compute_engine(context, sources.compute, ray)
    with connection(duckdb) as con:
        outcomes = extract_day(con, day, freshdata.raw_root, sources, engine=engine)
    counts = extraction_counts(outcomes)
    return dg.MaterializeResult(metadata=counts_metadata(
        "extraction", counts, **engine.describe(), **{"dagster/partition_row_count": counts["extracted"]}))
