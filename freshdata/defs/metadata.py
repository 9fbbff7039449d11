"""Materialization metadata the UI shows: counts as plottable numbers plus one markdown table."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg


def counts_metadata(title: str, counts: Mapping[str, int | float], **extra: object) -> dict[str, object]:
    """One numeric entry per count (the UI plots these per partition) and a markdown table of them all."""
    rows = "\n".join(f"| {key} | {value} |" for key, value in counts.items())
    metadata: dict[str, object] = {
        key.replace(":", "__"): (dg.MetadataValue.float(float(value)) if isinstance(value, float)
                                 else dg.MetadataValue.int(int(value)))
        for key, value in counts.items()
    }
    metadata[f"{title}_table"] = dg.MetadataValue.md(f"| outcome | count |\n|---|---|\n{rows}")
    metadata.update(extra)
    return metadata


def day_of(context: dg.AssetExecutionContext):
    """The partition's date (partitions are daily UTC)."""
    return context.partition_time_window.start.date()


def hour_of(context: dg.AssetExecutionContext):
    """The date and hour (0-23) of an hourly UTC partition."""
    start = context.partition_time_window.start
    return start.date(), start.hour


def recheck_metadata(rows: list[dict]) -> dict[str, object]:
    """The discovery run's re-check decisions (freshdata.crawl.recheck): counts and the median interval as plottable
    numbers, and a table of every source's decision, outcome and interval."""
    intervals = sorted(r["interval_s"] / 3600 for r in rows)
    median = (intervals[(len(intervals) - 1) // 2] + intervals[len(intervals) // 2]) / 2 if intervals else 0.0
    lines = "\n".join(
        f"| {r['source']} | {r['decision']} | {r['outcome'] or '-'} | {r['n_new']} | {r['interval_s'] / 3600:.2f} | "
        f"{r['next_due_at']:%Y-%m-%d %H:%M} |" for r in rows)
    return {
        "sources_checked": dg.MetadataValue.int(sum(r["decision"] == "checked" for r in rows)),
        "sources_not_due": dg.MetadataValue.int(sum(r["decision"] == "not_due" for r in rows)),
        "recheck_interval_median_h": dg.MetadataValue.float(round(median, 3)),
        "recheck_table": dg.MetadataValue.md(
            "| source | decision | outcome | new items | interval (h) | next due (UTC) |\n|---|---|---|---|---|---|\n"
            + lines),
    }
