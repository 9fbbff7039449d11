"""Persist quality outcomes: one partition (day) replaced whole, inside the caller's transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

import duckdb
import pyarrow as pa

from freshdata import texts
from freshdata.store import run
from freshdata.vocab import PII_KINDS

from .boilerplate import LineStats, removed_counts, write_line_stats
from .types import QualityOutcome

_INT_TAGS = (
    "url_path_depth",
    "word_count",
    "char_count",
    *(f"pii_{kind}" for kind in PII_KINDS),
)
_FLOAT_TAGS = ("language_score", "fetch_lag_hours", "quality_score", "topic_score", "format_score")
_STR_TAGS = ("language", "script", "source", "registered_domain", "topic", "format")


def _num(v, cast):
    return None if v is None else cast(v)


def outcomes_table(outcomes: list[QualityOutcome]) -> pa.Table:
    """Arrow batch in the column layout of `quality_results` (minus partition_date)."""
    cols: dict[str, list] = {
        "doc_id": [o.doc_id for o in outcomes],
        "kept": [o.kept for o in outcomes],
        "reason": [o.reason for o in outcomes],
        "text": [o.text for o in outcomes],
    }
    for k in _STR_TAGS:
        cols[k] = [_num(o.tags.get(k), str) for o in outcomes]
    for k in _INT_TAGS:
        cols[k] = [_num(o.tags.get(k), int) for o in outcomes]
    for k in _FLOAT_TAGS:
        cols[k] = [_num(o.tags.get(k), float) for o in outcomes]
    types = {k: pa.string() for k in ("doc_id", "reason", "text", *_STR_TAGS)}
    types |= {k: pa.int32() for k in _INT_TAGS} | {k: pa.float64() for k in _FLOAT_TAGS}
    types["kept"] = pa.bool_()
    arrays = {k: pa.array(v, type=types[k]) for k, v in cols.items()}
    arrays["stats"] = pa.array(
        [sorted(o.stats.items()) for o in outcomes], type=pa.map_(pa.string(), pa.float64())
    )
    arrays["source_tags"] = pa.array(
        [sorted((str(k), str(v)) for k, v in o.source_tags.items()) for o in outcomes],
        type=pa.map_(pa.string(), pa.string()),
    )
    return pa.table(arrays)


def write_quality_day(
    con: duckdb.DuckDBPyConnection,
    day: date,
    outcomes: list[QualityOutcome],
    line_stats: LineStats | None = None,
    spool: texts.Spool | None = None,
) -> int:
    """Delete the day's rows and insert these outcomes. Call inside the caller's open transaction, and
    texts.remove_unreferenced after its COMMIT.

    The day's boilerplate line statistics are replaced too (deleted when `line_stats` is None), so the
    lines later days learn from always match the stored quality results of this day. The cleaned texts go
    to the day's `quality` texts file (even an empty one: the day's snapshot reads it).
    """
    run(con, "delete_quality_partition", {"day": day})
    write_line_stats(con, day, line_stats)
    table = outcomes_table(outcomes)
    if spool is not None:  # the cleaned texts were spooled as they were computed (freshdata.quality.day)
        spool.write_day(con)
    else:
        texts.write_day(con, day, "quality", table.select(["doc_id", "text"]))
    if not outcomes:
        return 0
    con.register("quality_batch", table.drop_columns(["text"]))
    try:
        run(con, "insert_quality_results", {"day": day})
    finally:
        con.unregister("quality_batch")
    return len(outcomes)


def day_counts(outcomes: Sequence[QualityOutcome], line_stats: LineStats | None) -> dict[str, int]:
    """The stage's summary of a day (the asset's metadata): kept and rejected, PII redacted per kind,
    boilerplate lines removed, then the counts per reject reason, language and kept topic, each sorted."""
    kept = sum(o.kept for o in outcomes)
    reasons = Counter(f"rejected:{o.reason}" for o in outcomes if not o.kept)
    languages = Counter(f"language:{o.tags.get('language')}" for o in outcomes)
    topics = Counter(f"topic:{o.tags.get('topic')}" for o in outcomes if o.kept)
    pii = {f"redacted:{kind}": sum(int(o.tags.get(f"pii_{kind}") or 0) for o in outcomes) for kind in PII_KINDS}
    return {"fresh": len(outcomes), "kept": kept, "rejected": len(outcomes) - kept, **pii,
            **removed_counts(outcomes, line_stats), **dict(sorted(reasons.items())),
            **dict(sorted(languages.items())), **dict(sorted(topics.items()))}


def reject_rate(outcomes: Sequence[QualityOutcome]) -> float:
    """Share of the day's fresh documents rejected, rounded as the UI plots it (0.0 for an empty day)."""
    return round(1 - sum(o.kept for o in outcomes) / len(outcomes), 4) if outcomes else 0.0
