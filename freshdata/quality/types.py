"""Plain data carried in and out of the quality stage (no I/O, picklable for worker processes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

TagValue = str | int | float | None


@dataclass(frozen=True, slots=True)
class QualityDoc:
    """One extracted, deduplicated page as the quality stage sees it."""

    doc_id: str
    url: str
    source: str
    text: str
    published_at: datetime | None
    fetched_at: datetime
    source_tags: dict[str, str] = field(default_factory=dict)
    # hashes (boilerplate.line_hash) of the lines its source repeats on many pages, learned from the
    # days before this one; the `boilerplate` operator removes them (empty: nothing learned)
    boilerplate_lines: frozenset[int] = frozenset()


@dataclass(slots=True)
class QualityOutcome:
    """Decision + cleaned text + every statistic and tag; rejected docs keep their reason."""

    doc_id: str
    kept: bool
    reason: str | None
    text: str
    stats: dict[str, float]
    tags: dict[str, TagValue]
    source_tags: dict[str, str] = field(default_factory=dict)
