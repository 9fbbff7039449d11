"""Incremental exact + MinHash-LSH near-duplicate detection against all history (pure Python, no Dagster)."""

from freshdata.dedup.config import DedupConfig
from freshdata.dedup.core import (
    DedupDoc,
    DedupParamsMismatch,
    DedupSummary,
    check_params,
    decided_days_after,
    dedup_day,
    dedup_day_streamed,
    missing_earlier_days,
)
from freshdata.dedup.normalize import normalize, text_hash, words

__all__ = [
    "DedupConfig",
    "DedupDoc",
    "DedupParamsMismatch",
    "DedupSummary",
    "check_params",
    "decided_days_after",
    "dedup_day",
    "dedup_day_streamed",
    "missing_earlier_days",
    "normalize",
    "text_hash",
    "words",
]
