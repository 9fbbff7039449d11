"""Semantic asset: semantic duplicates, stories and personas of the day's kept documents against all history,
and the day's diversity as metadata. Logic lives in freshdata.semantic."""

import math

import dagster as dg
from dagster_duckdb import DuckDBResource

from freshdata import store
from freshdata.defs.metadata import counts_metadata, day_of
from freshdata.defs.partitions import daily_partitions
from freshdata.defs.quality.assets import quality_results
from freshdata.defs.resources import DUCKDB_POOL, FreshdataResource, connection
from freshdata.semantic import day_diversity, day_stories, missing_days, semantic_day

PREVIOUS_DAY = dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1,
                                             allow_nonexistent_upstream_partitions=True)
STORY_COLUMNS = ["story_id", "size", "today", "first_seen", "last_seen", "sources", "languages", "title"]


def _stories_table(rows: list[dict]) -> dg.MetadataValue:
    return dg.MetadataValue.table(
        records=[dg.TableRecord({c: (str(r[c]) if r[c] is not None else "") for c in STORY_COLUMNS}) for r in rows],
        schema=dg.TableSchema(columns=[dg.TableColumn(c, "string") for c in STORY_COLUMNS]))


def _diversity_markdown(diversity: dict[str, list[tuple[str, int]]]) -> dg.MetadataValue:
    """One bar chart per dimension, as a Markdown table of text bars (the UI renders Markdown metadata)."""
    lines = []
    for dimension, values in diversity.items():
        total = sum(n for _, n in values) or 1
        lines += [f"**{dimension}**", "", "| value | documents | share |", "|---|---:|---|"]
        lines += [f"| {v} | {n} | {'█' * max(1, round(20 * n / total))} {n / total:.0%} |" for v, n in values[:12]]
        lines.append("")
    return dg.MetadataValue.md("\n".join(lines) or "no kept document")


def _diversity_numbers(diversity: dict[str, list[tuple[str, int]]]) -> dict[str, object]:
    """Per dimension: distinct values and Shannon entropy in bits (numbers: the UI plots them per day)."""
    out: dict[str, object] = {}
    for dimension in ("topic", "format", "language", "length", "story_size"):
        values = diversity.get(dimension, [])
        total = sum(n for _, n in values)
        entropy = -sum(n / total * math.log2(n / total) for _, n in values if n) if total else 0.0
        out[f"diversity_{dimension}_distinct"] = dg.MetadataValue.int(len(values))
        out[f"diversity_{dimension}_entropy_bits"] = dg.MetadataValue.float(round(entropy, 4))
    return out


@dg.asset(
    partitions_def=daily_partitions, pool=DUCKDB_POOL, group_name="semantic",
    deps=[quality_results, dg.AssetDep("semantic_documents", partition_mapping=PREVIOUS_DAY)],
    description="Each kept document's nearest earlier documents in a persisted vector index of all history: "
    "semantic_duplicate_of + similarity, story_id (the closest story within the window, else a new one) and "
    "reader personas. With `semantic.duplicates: drop` a semantic duplicate is flagged dropped (metadata "
    "`dropped`): the snapshot leaves it out, the funnel counts it as semantic_duplicate. Depends on its own "
    "previous day so backfills run in order; refuses to run after a gap.",
)
def semantic_documents(context: dg.AssetExecutionContext, freshdata: FreshdataResource,
                       duckdb: DuckDBResource) -> dg.MaterializeResult:
    day = day_of(context)
    cfg = freshdata.sources().semantic
    with connection(duckdb) as con:
        missing = missing_days(con, day)
        if missing:
            raise dg.Failure(f"semantic stage for {day} would decide against an incomplete history: earlier days "
                             f"without semantic decisions: {', '.join(d.isoformat() for d in missing[:10])}. "
                             f"Backfill semantic_documents from {missing[0]} to {day} (one range, it runs in order).")
        with store.transaction(con):
            summary = semantic_day(con, day, cfg, freshdata.home_dir / "semantic_index")
        stories = day_stories(con, day)
        diversity = day_diversity(con, day)
    return dg.MaterializeResult(metadata=counts_metadata(
        "semantic", summary.counts(), biggest_stories=_stories_table(stories),
        diversity=_diversity_markdown(diversity),
        diversity_counts=dg.MetadataValue.json(diversity), **_diversity_numbers(diversity),
        index_size=summary.index_size,
        index_bytes_per_document=dg.MetadataValue.float(summary.index_bytes_per_document),
        index_rebuilt=summary.index_rebuilt, **{"dagster/partition_row_count": summary.documents}))
