"""Incremental exact + MinHash-LSH near-duplicate detection against all history (pure Python, no Dagster).

The names below load on first use (PEP 562): `freshdata.config` needs only `dedup.config`, and importing it
must not pay for numpy, datasketch and pyarrow (`freshdata --help`, the CLI's one-line errors).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "DedupConfig": "freshdata.dedup.config",
    "DedupDoc": "freshdata.dedup.core",
    "DedupParamsMismatch": "freshdata.dedup.core",
    "DedupSummary": "freshdata.dedup.core",
    "check_params": "freshdata.dedup.core",
    "decided_days_after": "freshdata.dedup.core",
    "dedup_day": "freshdata.dedup.core",
    "dedup_day_streamed": "freshdata.dedup.core",
    "missing_earlier_days": "freshdata.dedup.core",
    "normalize": "freshdata.dedup.normalize",
    "text_hash": "freshdata.dedup.normalize",
    "words": "freshdata.dedup.normalize",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'freshdata.dedup' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
