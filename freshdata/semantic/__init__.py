"""Semantic duplicates against all history, story clusters and reader personas (pure core: no Dagster).

See core.py (decisions), vectors.py (the document vector), index.py (the persisted IVF index),
personas.py (reader personas), prompts.py (synthesis prompts) and day.py (one day on the catalog).
The names below load on first use (PEP 562): `freshdata.config` needs only `semantic.config`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "SemanticConfig": "freshdata.semantic.config",
    "SemanticSummary": "freshdata.semantic.day",
    "day_diversity": "freshdata.semantic.day",
    "day_stories": "freshdata.semantic.day",
    "missing_days": "freshdata.semantic.day",
    "semantic_day": "freshdata.semantic.day",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'freshdata.semantic' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
