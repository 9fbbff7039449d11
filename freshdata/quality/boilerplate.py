"""Boilerplate lines removed, not punished: in-document repeats and lines a source repeats on many pages.

FineWeb's `char_dup_ratio` and Gopher's duplicate-line rules reject a whole genuine article for one or
two repeated widget lines ("Community Guidelines" twice, a comment-login line). The `boilerplate`
operator runs right after `c4_lines`, before any document-level statistic, and strips:

1. **Repeated lines** inside the document (whitespace-normalized, first occurrence kept). Lines shorter
   than `min_line_chars` or without a letter ("•", "1", "12:30", "0-0") are structure (lists, tables,
   scores), never removed. When repeated lines exceed `max_repeat_char_frac` (0.5) of the characters the
   text is left as it is: more repeated than unique text is repetition, for the Gopher/FineWeb rules to
   judge. Measured on 210 real news pages (../shared/corpus/multilingual) with the default recipe, 0.5
   rejects two fewer than 0.1 (a newsletter widget printed twice, 12 % of the text, and an article
   extracted twice, 49.8 %, are now kept with one copy); the 120 planted junk pages of
   test_quality_junk.py stay rejected at every value from 0.1 to 1.0 (spam collapses to a line or two).
2. **Learned lines** of the document's source: lines that appeared on >= `min_pages` pages and on
   >= `min_share` of the source's pages over the `window_days` days *before* the partition day
   (CCNet dropped paragraphs recurring across a shard; a freshness pipeline sees the same sites daily).
   Only earlier days count, not the day itself: the learned set is then fixed before the day runs, a
   document's outcome does not depend on which other pages of its own day were fresh, and the issue's
   contract holds literally (a re-run of day D reads the same stored rows of days < D, so it gives the
   same result). The cost is a cold start: a new source is cleaned from its second day on. Removing a
   learned line loses no unique text: the source already published it on >= `min_pages` earlier pages.

Storage (`sql/create_boilerplate.sql`): per day, per source, one row (BIGINT line hash, page count) for
each eligible line (`min_line_chars`..`max_line_chars`, with a letter) seen on >= `min_day_pages`
distinct fresh pages of the source that day, plus the source's page count. A line on a single page (all
of an article's own text) is never stored, so the table grows with a source's shared lines, not with its
text; a source with a single fresh page per day learns nothing (set `min_day_pages: 1` to change that).
At most one row per two storable lines of the day's pages, ~14 bytes a row: measured ~12 bytes/document on
a simulated month (200 sources, 1-40 pages a day each). The rows of days already stored keep the line
bounds they were written with; a change of `min/max_line_chars` takes full effect after `window_days`.

The raw text stays untouched in `documents`; only the quality text is cleaned. Line hashes are blake2b
(stable across processes, unlike `hash`) with the line's length in the top bits, so workers hash only
lines whose length some learned line has.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from datetime import date
from hashlib import blake2b
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from pydantic import Field, model_validator

from freshdata.store import insert_rows, run

from .registry import Operator, Params, register
from .text import LETTER_RE, DocContext
from .types import QualityDoc, QualityOutcome

OPERATOR = "boilerplate"
_LEN_SHIFT = 48
_DIGEST_MASK = (1 << _LEN_SHIFT) - 1
_MAX_LEN = (1 << (63 - _LEN_SHIFT)) - 1  # keeps every hash a non-negative BIGINT
_EMPTY: frozenset[int] = frozenset()


class BoilerplateParams(Params):
    remove_repeated: bool = True
    # more repeated text than this share of the characters: repetition, left to the repetition rules
    max_repeat_char_frac: float = Field(0.5, ge=0.0, le=1.0)
    remove_learned: bool = True
    window_days: int = Field(7, ge=0)  # earlier days whose stored line stats are learned from (a weekly cycle)
    min_pages: int = Field(4, ge=2)  # pages of the source (summed over the window) a line must be on; >= 2
    min_share: float = Field(0.10, ge=0.0, le=1.0)  # ... and this share of the source's pages in the window
    min_day_pages: int = Field(2, ge=1)  # storage: a line is recorded for a day only when on >= this many pages
    min_line_chars: int = Field(4, ge=1)  # shorter lines ("•", "12", "Yes") are structure: never removed/stored
    max_line_chars: int = Field(500, ge=1, le=_MAX_LEN)  # longer lines are content paragraphs: never learned or stored

    @model_validator(mode="after")
    def _line_bounds(self) -> BoilerplateParams:
        if self.max_line_chars < self.min_line_chars:
            raise ValueError("max_line_chars must be >= min_line_chars")
        return self


def normalize_line(line: str) -> str:
    """Whitespace-normalized line ('  a \\t b ' -> 'a b'); skips the rebuild for already-clean lines."""
    if line.isprintable() and "  " not in line and line[:1] != " " and line[-1:] != " ":
        return line  # isprintable() is False for every whitespace but the ASCII space
    return " ".join(line.split())


def line_hash(norm: str) -> int:
    """Stable 63-bit key of a normalized line: its length (capped) above 48 bits of blake2b."""
    digest = int.from_bytes(blake2b(norm.encode("utf-8"), digest_size=6).digest(), "little")
    return (min(len(norm), _MAX_LEN) << _LEN_SHIFT) | (digest & _DIGEST_MASK)


def eligible(norm: str, p: BoilerplateParams) -> bool:
    """A line that may be removed as a repeat or stored/learned (long enough, has a letter)."""
    return len(norm) >= p.min_line_chars and LETTER_RE.search(norm) is not None


# ---------------------------------------------------------------- the operator
@register(OPERATOR)
class Boilerplate(Operator):
    """Strips in-document repeated lines and the source's learned boilerplate lines (see module doc)."""

    Params = BoilerplateParams

    def __init__(self, params: BoilerplateParams, base_dir: Path) -> None:
        super().__init__(params, base_dir)
        self._lengths: dict[frozenset[int], frozenset[int]] = {}

    def _learned_lengths(self, learned: frozenset[int]) -> frozenset[int]:
        """Line lengths present in a learned set (cached: docs of a source share one set)."""
        got = self._lengths.get(learned)
        if got is None:
            if len(self._lengths) > 256:
                self._lengths.clear()
            got = self._lengths[learned] = frozenset(h >> _LEN_SHIFT for h in learned)
        return got

    def compute(self, ctx: DocContext) -> dict[str, float]:
        p = self.params
        text = ctx.text
        before = len(text)
        norms = [normalize_line(ln) for ln in ctx.lines]
        learned = ctx.doc.boilerplate_lines if p.remove_learned else _EMPTY
        hits: set[str] = set()
        if learned:
            lengths = self._learned_lengths(learned)
            lo, hi = p.min_line_chars, p.max_line_chars
            for n in norms:
                k = len(n)
                if lo <= k <= hi and k in lengths and line_hash(n) in learned:
                    hits.add(n)
        rep_chars = 0
        if len(set(norms)) < len(norms):
            seen: set[str] = set()
            for n in norms:
                if n in seen:
                    if n not in hits and eligible(n, p):
                        rep_chars += len(n)
                else:
                    seen.add(n)
        rep_frac = rep_chars / before if before else 0.0
        repeats = p.remove_repeated and rep_chars > 0 and rep_frac <= p.max_repeat_char_frac
        n_rep = n_learned = 0
        if hits or repeats:
            out: list[str] = []
            seen = set()
            skip_blank = False
            for raw in text.split("\n"):
                n = normalize_line(raw.strip())
                if not n:
                    if not (skip_blank and (not out or not out[-1].strip())):
                        out.append(raw)  # a blank line, unless it doubles one left by a removal
                    continue
                if n in hits:
                    n_learned += 1
                elif n in seen and repeats and eligible(n, p):
                    n_rep += 1
                else:
                    seen.add(n)
                    out.append(raw)
                    skip_blank = False
                    continue
                skip_blank = True
            ctx.text = "\n".join(out).strip()
        return {
            "lines_removed_repeated": float(n_rep),
            "lines_removed_learned": float(n_learned),
            "repeated_char_frac": rep_frac,
            "chars_removed_frac": (before - len(ctx.text)) / before if before else 0.0,
        }

    def decide(self, s: dict[str, float], ctx: DocContext) -> str | None:
        return "empty" if not ctx.text else None  # nothing but the source's boilerplate


# ---------------------------------------------------------------- the day's line statistics
@dataclasses.dataclass(frozen=True, slots=True)
class LineStats:
    """One day's rows for `boilerplate_lines` and `boilerplate_sources` (written by write_quality_day)."""

    lines: pa.Table
    sources: pa.Table

    @property
    def n_lines(self) -> int:
        return self.lines.num_rows


def doc_lines(text: str, max_chars: int) -> set[str]:
    """Distinct normalized non-empty lines of a text up to max_chars long (storage candidates)."""
    out: set[str] = set()
    for raw in text.split("\n"):
        n = normalize_line(raw.strip())
        if n and len(n) <= max_chars:
            out.add(n)
    return out


def line_stats(day: date, docs: Iterable[QualityDoc], p: BoilerplateParams) -> LineStats:
    """Per-source page counts of the day's storable lines seen on >= min_day_pages pages.

    Counted on the quality inputs (fresh documents, raw text): a function of the day's stored data only.
    Lines are counted as strings per source first and only the shared ones are hashed (an article's own
    lines are unique, so this skips almost every blake2b call; memory peaks at one source's lines).
    Rows are sorted by (source, line_hash) so DuckDB's min/max zone maps skip other sources' row groups.
    """
    by_source: dict[str, list[str]] = {}
    for d in docs:
        by_source.setdefault(d.source, []).append(d.text)
    rows: list[tuple[str, int, int]] = []
    for source, texts in by_source.items():
        pages: Counter[str] = Counter()
        for text in texts:
            pages.update(doc_lines(text, p.max_line_chars))
        rows.extend(
            (source, line_hash(n), k) for n, k in pages.items() if k >= p.min_day_pages and eligible(n, p)
        )
    return _line_stats(day, rows, {s: len(t) for s, t in by_source.items()})


def _line_stats(day: date, rows: list[tuple[str, int, int]], n_docs: dict[str, int]) -> LineStats:
    """The tables of LineStats: (source, line_hash, n_pages) rows sorted, and each source's page count."""
    rows.sort()
    lines = pa.table(
        {
            "partition_date": pa.array([day] * len(rows), pa.date32()),
            "source": pa.array([r[0] for r in rows], pa.string()),
            "line_hash": pa.array([r[1] for r in rows], pa.int64()),
            "n_pages": pa.array([r[2] for r in rows], pa.int32()),
        }
    )
    srcs = sorted(n_docs.items())
    sources = pa.table(
        {
            "partition_date": pa.array([day] * len(srcs), pa.date32()),
            "source": pa.array([s for s, _ in srcs], pa.string()),
            "n_docs": pa.array([n for _, n in srcs], pa.int32()),
        }
    )
    return LineStats(lines, sources)


def doc_line_hashes(text: str, p: BoilerplateParams) -> np.ndarray:
    """line_hash of one page's distinct eligible lines: what `line_stats` counts for it (computed where the
    page is, in a worker, so the day's statistics never need the day's texts in one place)."""
    return np.array(sorted({line_hash(n) for n in doc_lines(text, p.max_line_chars) if eligible(n, p)}),
                    dtype=np.int64)


def line_stats_from_hashes(day: date, per_source: dict[str, list[np.ndarray]], p: BoilerplateParams) -> LineStats:
    """`line_stats` from each page's doc_line_hashes, grouped by source (one array per page): the same rows
    (a line is counted by its 63-bit hash instead of its string; two lines of one source with the same
    length and 48-bit digest would be counted together)."""
    rows: list[tuple[str, int, int]] = []
    for source, arrays in per_source.items():
        values, counts = np.unique(np.concatenate(arrays) if arrays else np.zeros(0, np.int64), return_counts=True)
        keep = counts >= p.min_day_pages
        rows.extend((source, int(h), int(k)) for h, k in zip(values[keep], counts[keep], strict=True))
    return _line_stats(day, rows, {s: len(a) for s, a in per_source.items()})


def write_line_stats(con: duckdb.DuckDBPyConnection, day: date, stats: LineStats | None) -> int:
    """Replace the day's line statistics (inside the caller's transaction); returns rows written."""
    run(con, "delete_boilerplate_partition", {"day": day})
    if stats is None:
        return 0
    if stats.sources.num_rows:
        insert_rows(con, "insert_boilerplate_sources", stats.sources)
    if stats.lines.num_rows:
        insert_rows(con, "insert_boilerplate_lines", stats.lines)
    return stats.lines.num_rows


def learned_lines(
    con: duckdb.DuckDBPyConnection, day: date, sources: Iterable[str], p: BoilerplateParams
) -> dict[str, frozenset[int]]:
    """source -> hashes of its boilerplate lines learned from the window of days before `day`.

    Reads only rows of [day - window_days, day) of these sources: bounded by the window, never all history.
    """
    wanted = sorted(set(sources))
    if not wanted or not p.remove_learned or p.window_days <= 0:
        return {}
    rows = run(
        con,
        "select_boilerplate_lines",
        {
            "day": day,
            "window_days": p.window_days,
            "sources": wanted,
            "min_pages": p.min_pages,
            "min_share": p.min_share,
        },
    ).fetchall()
    grouped: dict[str, set[int]] = {}
    for source, h in rows:
        grouped.setdefault(source, set()).add(int(h))
    return {s: frozenset(hs) for s, hs in grouped.items()}


def removed_counts(outcomes: Iterable[QualityOutcome], stats: LineStats | None) -> dict[str, int]:
    """Day totals for the asset's metadata: lines removed (repeated, learned) and line-stat rows stored."""
    outs = list(outcomes)
    counts = {}
    for kind in ("repeated", "learned"):
        key = f"{OPERATOR}.lines_removed_{kind}"
        counts[f"boilerplate_lines_removed:{kind}"] = int(sum(o.stats.get(key, 0.0) for o in outs))
    counts["boilerplate_lines_stored"] = stats.n_lines if stats is not None else 0
    return counts


def params_of(recipe) -> BoilerplateParams | None:
    """The recipe's boilerplate parameters, or None when the recipe does not run the operator."""
    op = recipe.operator(OPERATOR)
    return op.params if op is not None else None  # type: ignore[return-value]
