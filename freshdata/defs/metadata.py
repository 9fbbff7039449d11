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
