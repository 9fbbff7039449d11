"""Dedup asset: one day decided against all earlier days. Logic lives in freshdata.dedup."""

from functools import partial

import dagster as dg
from dagster_duckdb import DuckDBResource
from dagster_ray import RayResource

from freshdata import store, texts
from freshdata.dedup import dedup_day_streamed, missing_earlier_days
from freshdata.defs.crawl.assets import extracted_documents
from freshdata.defs.metadata import counts_metadata, day_of
from freshdata.defs.partitions import daily_partitions
from freshdata.defs.resources import DUCKDB_POOL, FreshdataResource, compute_engine, connection
from freshdata.faults import crash_point

PREVIOUS_DAY = dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1,
                                             allow_nonexistent_upstream_partitions=True)


def _history_texts(con, today, ids: list[str], day) -> dict[str, str]:
    """Texts of the history docs `ids` indexed on `day` (< today): dedup asks one history day at a time, so
    only that day's texts file is read."""
    return dict(texts.run(con, "select_document_texts", day, "extracted", {"ids": ids, "doc_day": day, "day": today})
                .fetchall())


def _day_texts(con, day, ids: list[str]) -> dict[str, str]:
    """Texts of the day's own docs `ids` (exact verification of a borderline pair within the day)."""
    return dict(texts.run(con, "select_day_texts", day, "extracted", {"ids": ids}).fetchall())


@dg.asset(
    partitions_def=daily_partitions, pool=DUCKDB_POOL, group_name="dedup",
    deps=[extracted_documents, dg.AssetDep("dedup_decisions", partition_mapping=PREVIOUS_DAY)],
    description="Exact and MinHash near-duplicate decisions for the day against every earlier day. "
    "Depends on its own previous day so backfills run in order; refuses to run after a gap.",
)
def dedup_decisions(context: dg.AssetExecutionContext, freshdata: FreshdataResource,
                    duckdb: DuckDBResource, ray: RayResource) -> dg.MaterializeResult:
    day = day_of(context)
    sources = freshdata.sources()
    cfg = sources.dedup
    engine = compute_engine(context, sources.compute, ray)
    with connection(duckdb) as con:
        days = [row[0] for row in store.run(con, "select_document_days", {"day": day}).fetchall()]
        missing = missing_earlier_days(con, day, days)
        if missing:
            listed = ", ".join(d.isoformat() for d in missing[:10])
            raise dg.Failure(
                f"dedup for {day} would decide against an incomplete history: earlier days with documents "
                f"but no dedup decisions: {listed}{' …' if len(missing) > 10 else ''}. "
                f"Backfill dedup_decisions from {missing[0]} to {day} (one range, it runs in order)."
            )
        order = [(doc_id, (fetched_at.isoformat(), url))
                 for doc_id, fetched_at, url in store.run(con, "select_dedup_order", {"day": day}).fetchall()]
        with store.transaction(con):
            summary = dedup_day_streamed(  # the day's texts in batches from its file, never all in memory
                con, day, order, texts.batches(con, day, "extracted"), cfg, freshdata.dedup_index_dir,
                day_texts=partial(_day_texts, con, day), history_texts=partial(_history_texts, con, day),
                engine=engine,
            )
            crash_point("dedup:before_commit")
        texts.remove_unreferenced(con, day)  # a re-run's superseded signatures file
    return dg.MaterializeResult(metadata=counts_metadata(
        "dedup", summary.counts(), dup_rate=dg.MetadataValue.float(summary.dup_rate()),
        history_days=summary.history_days, candidates_checked=summary.candidates_checked,
        index_rebuilt=dg.MetadataValue.json(summary.extra.get("index_rebuilt", [])), **engine.describe(),
        **{"dagster/partition_row_count": summary.total}))
