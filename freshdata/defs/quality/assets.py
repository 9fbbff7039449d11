"""Quality asset: filters, PII redaction and tags for the day's fresh documents. Logic in freshdata.quality."""

import dagster as dg
from dagster_duckdb import DuckDBResource
from dagster_ray import RayResource

from freshdata import store, texts
from freshdata.defs.dedup.assets import dedup_decisions
from freshdata.defs.metadata import counts_metadata, day_of
from freshdata.defs.partitions import daily_partitions
from freshdata.defs.resources import DUCKDB_POOL, FreshdataResource, compute_engine, connection
from freshdata.faults import crash_point
from freshdata.quality import day_counts, load_recipe, reject_rate, write_quality_day
from freshdata.quality.day import apply_day


@dg.asset(
    partitions_def=daily_partitions, pool=DUCKDB_POOL, group_name="quality", deps=[dedup_decisions],
    description="Every fresh document measured, PII-redacted, tagged (language, domain, topic, format, "
    "quality score, …) and kept or rejected with the first failing rule as reason.",
)
def quality_results(context: dg.AssetExecutionContext, freshdata: FreshdataResource,
                    duckdb: DuckDBResource, ray: RayResource) -> dg.MaterializeResult:
    day = day_of(context)
    sources = freshdata.sources()
    recipe = load_recipe(sources.recipe)
    engine = compute_engine(context, sources.compute, ray)
    with connection(duckdb) as con:
        with texts.Spool(con, day, "quality") as spool:  # the day's texts in batches, never all in memory
            outcomes, line_stats = apply_day(con, day, recipe, spool, engine=engine)
            with store.transaction(con):
                write_quality_day(con, day, outcomes, line_stats, spool=spool)
                crash_point("quality:before_commit")
        texts.remove_unreferenced(con, day)
    return dg.MaterializeResult(metadata=counts_metadata(
        "quality", day_counts(outcomes, line_stats), reject_rate=dg.MetadataValue.float(reject_rate(outcomes)),
        recipe_hash=recipe.hash(), **engine.describe(), **{"dagster/partition_row_count": len(outcomes)}))
