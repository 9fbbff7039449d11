"""The persisted vector index of every earlier kept document (usearch HNSW, int8, cosine).

A cache, like the dedup index: the source of truth is the catalog's semantic_documents rows (each with its
int8 vector). The index file lists which days it holds, in the order they were added. A day D is decided
against an index holding exactly the days before D, added day by day in order, one thread: usearch then builds
the same graph whatever the history of runs was, so a backfill, a re-run of D after later days, or a run
after a crash give the same neighbours. When the file does not hold exactly that (re-running an earlier day,
a crash between the catalog commit and the index save, a lost file), it is rebuilt from the catalog, day by
day, each day added to a freshly loaded copy of the previous state: usearch does not save its level generator's
state, so only that sequence (load, add one day, save) reproduces the graph of day-by-day runs byte for byte.

Keys: (days since 1970-01-01) << 24 | ordinal in the day: a key tells its day without a lookup.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from usearch.index import Index

from freshdata.semantic.vectors import DIM

CONNECTIVITY = 8  # graph links a node keeps (2x on the base level): 8 keeps the index under 300 B a document
EXPANSION_ADD = 64
EXPANSION_SEARCH = 64
ORD_BITS = 24
EPOCH = date(1970, 1, 1)
INDEX_FILE = "index.usearch"
META_FILE = "index.json"


def day_key(day: date) -> int:
    return (day - EPOCH).days << ORD_BITS


def key_day(key: int) -> date:
    return EPOCH + timedelta(days=int(key) >> ORD_BITS)


def new_index() -> Index:
    return Index(ndim=DIM, metric="cos", dtype="i8", connectivity=CONNECTIVITY, expansion_add=EXPANSION_ADD,
                 expansion_search=EXPANSION_SEARCH)


class HistoryIndex:
    """The index plus the ordered list of days it holds; `folder` in the catalog home."""

    def __init__(self, folder: Path, params: dict[str, str]) -> None:
        self.folder = Path(folder)
        self.params = params
        self.index = new_index()
        self.days: list[date] = []
        self.rebuilt = False

    def load(self) -> None:
        """Read the saved index, or start empty when there is none or its parameters differ."""
        meta_path, index_path = self.folder / META_FILE, self.folder / INDEX_FILE
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return
        if meta.get("params") != self.params or not index_path.exists():
            return
        index = new_index()
        index.load(str(index_path))
        if len(index) != meta.get("count"):  # a crash between the two writes
            return
        self.index, self.days = index, [date.fromisoformat(d) for d in meta["days"]]

    def prepare(self, day: date, earlier_days: list[date],
                vectors_of: Callable[[date], tuple[np.ndarray, np.ndarray]]) -> None:
        """Make the index hold exactly `earlier_days` (all days < `day` with semantic rows, ascending), added
        in order. Appends the missing tail when the index is a prefix of them; rebuilds otherwise."""
        self.load()
        if self.days != earlier_days[: len(self.days)] or any(d >= day for d in self.days):
            self.index, self.days, self.rebuilt = new_index(), [], True
        missing = earlier_days[len(self.days):]
        for d in missing:
            self._reload()
            keys, codes = vectors_of(d)
            self.add(d, keys, codes)
        if missing:
            self._reload()

    def _reload(self) -> None:
        """Replace the index by a copy loaded from its serialized bytes: what a day-by-day run adds to."""
        if len(self.index):
            reloaded = new_index()
            reloaded.load(self.index.save())
            self.index = reloaded

    def add(self, day: date, keys: np.ndarray, codes: np.ndarray) -> None:
        """Add one day's int8 vectors (keys ascending); one thread, so the graph is the same on every run."""
        if len(keys):
            self.index.add(np.asarray(keys, dtype=np.uint64), np.asarray(codes, dtype=np.int8), threads=1)
        if not self.days or self.days[-1] != day:
            self.days.append(day)

    def search(self, codes: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        """(keys, cosines) of the `count` nearest indexed vectors per row; key 2**64-1 / cosine -inf pad."""
        n = len(codes)
        keys = np.full((n, count), np.iinfo(np.uint64).max, dtype=np.uint64)
        sims = np.full((n, count), -np.inf, dtype=np.float32)
        if n == 0 or len(self.index) == 0:
            return keys, sims
        found = self.index.search(np.asarray(codes, dtype=np.int8), count, threads=1)
        k = np.asarray(found.keys).reshape(n, -1)
        d = np.asarray(found.distances, dtype=np.float32).reshape(n, -1)
        # one query gives a Matches (only the real hits), several a BatchMatches (padded, with counts)
        counts = np.asarray(found.counts).reshape(n) if hasattr(found, "counts") else np.array([k.shape[1]])
        for i in range(n):  # rows with fewer hits than `count` are padded by usearch with garbage
            c = int(counts[i])
            keys[i, :c], sims[i, :c] = k[i, :c], 1.0 - d[i, :c]
        return keys, sims

    def save(self) -> None:
        """Write the index, then its list of days (each replaced by rename); a crash in between is detected
        by the count in the list, and the next run rebuilds."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{INDEX_FILE}.tmp-{os.getpid()}"
        self.index.save(str(tmp))
        os.replace(tmp, self.folder / INDEX_FILE)
        meta = {"params": self.params, "count": len(self.index), "days": [d.isoformat() for d in self.days]}
        tmp_meta = self.folder / f".{META_FILE}.tmp-{os.getpid()}"
        tmp_meta.write_text(json.dumps(meta), encoding="utf-8")
        os.replace(tmp_meta, self.folder / META_FILE)

    def bytes_per_document(self) -> float:
        n = len(self.index)
        return self.index.serialized_length / n if n else 0.0


def keys_for(day: date, n: int) -> np.ndarray:
    return np.uint64(day_key(day)) + np.arange(n, dtype=np.uint64)


def days_of(keys: Iterable[int]) -> list[date]:
    return [key_day(k) for k in keys]
