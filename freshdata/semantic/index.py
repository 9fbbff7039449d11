"""The persisted vector index of every earlier kept document: inverted lists of int8 vectors (IVF), cosine.

Why not a graph (usearch HNSW, what this was until index format 2): a graph search hops from node to node, each
hop a cache miss once the graph outgrows the CPU caches, and the hops grow with log N (lookup CPU per new
document 3.3x from 10k to 1M documents). Here each vector sits in the list of its nearest centroid (lists of
~LIST_SIZE vectors when trained); a query ranks the centroids (one matrix product per chunk of queries) and
scans its PROBES nearest lists: about PROBES x LIST_SIZE contiguous vectors whatever the history size (faiss
does the scan: IndexIVFScalarQuantizer, the int8 codes kept as they are, one thread). The 2 x count best by dot
product are then ranked by cosine, dot / (|a| |b|), as vectors.cosine_i8 computes it: int8 values in float32
give exact integer dot products (|sum| <= 128 x 127^2 < 2^24) in any summation order. What it still costs at
1M, and why (memory, the centroid ranking): benchmarks/README_semantic.md.

Deterministic: every faiss call runs on one thread, and what a query or an added vector gets never depends on
the batch it came in (exact integer scores, ties to the lower number; lists keep vectors in the order added).
Centroids are retrained (faiss k-means with a fixed seed, on an even spread of the vectors) only when a new day
starts and the index has grown GROWTH times since the last training. So the index is a function of the ordered
days it holds: a backfill, a re-run of D after later days, a run after a crash or a rebuild from the catalog
give the same neighbours, and the same file byte for byte.

A cache, like the dedup index: the source of truth is the catalog's semantic_documents rows (each with its
int8 vector). The index file holds the centroids and every (key, vector, list); index.json the days it holds,
in order. When they do not hold exactly the days before D (re-running an earlier day, a crash between the
catalog commit and the index save, a lost file), the index is rebuilt from the catalog day by day.

Keys: (days since 1970-01-01) << 24 | ordinal in the day: a key tells its day without a lookup.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import faiss
import numpy as np

from freshdata.semantic.vectors import DIM

FORMAT = "ivf-2"  # stored in the params: an index file of another format (or settings) is rebuilt
LIST_SIZE = 128  # vectors per list when the centroids are trained (lists then grow until the next training)
PROBES = 32  # lists a query scans: ~PROBES x LIST_SIZE vectors (small lists: the true neighbour's list ranks high)
GROWTH = 1.5  # retrain when the index has grown this much since the last training
TRAIN_ITERATIONS = 10
TRAIN_SAMPLE_PER_LIST = 32  # k-means sees at most this many vectors per centroid (an even spread of them)
TRAIN_SEED = 20261202
ORD_BITS = 24
EPOCH = date(1970, 1, 1)
INDEX_FILE = "index.ivf"
META_FILE = "index.json"
NO_KEY = np.iinfo(np.uint64).max


def day_key(day: date) -> int:
    return (day - EPOCH).days << ORD_BITS


def key_day(key: int) -> date:
    return EPOCH + timedelta(days=int(key) >> ORD_BITS)


def _norms(x: np.ndarray) -> np.ndarray:
    """Row lengths of int8-valued float32 rows (as vectors.cosine_i8 computes them)."""
    return np.sqrt((x * x).sum(1))


def _nearest(x: np.ndarray, centroids: np.ndarray, block: int = 16_384) -> np.ndarray:
    """Each int8 row's nearest int8 centroid by dot product (centroids all have length ~127; the lower number on
    a tie): exact integers, so the same answer whatever the batch."""
    c = centroids.astype(np.float32).T
    out = np.empty(len(x), dtype=np.int64)
    for s in range(0, len(x), block):
        out[s:s + block] = np.argmax(x[s:s + block].astype(np.float32) @ c, axis=1)
    return out


def train_centroids(codes: np.ndarray, n_lists: int) -> np.ndarray:
    """int8 centroids (spherical k-means, fixed seed, one thread) of an even spread of the int8 vectors."""
    faiss.omp_set_num_threads(1)
    m = min(len(codes), n_lists * TRAIN_SAMPLE_PER_LIST)
    x = codes[(np.arange(m) * len(codes)) // m].astype(np.float32)
    x /= np.maximum(_norms(x), 1e-12)[:, None]
    km = faiss.Kmeans(DIM, n_lists, niter=TRAIN_ITERATIONS, spherical=True, seed=TRAIN_SEED,
                      max_points_per_centroid=TRAIN_SAMPLE_PER_LIST, min_points_per_centroid=1)
    km.train(x)
    return np.clip(np.rint(km.centroids * 127.0), -127, 127).astype(np.int8)


class HistoryIndex:
    """The index plus the ordered list of days it holds; `folder` in the catalog home."""

    def __init__(self, folder: Path, params: dict[str, str]) -> None:
        self.folder = Path(folder)
        self.params = {**params, "index_format": FORMAT, "list_size": str(LIST_SIZE), "probes": str(PROBES),
                       "growth": str(GROWTH), "train": f"{TRAIN_ITERATIONS}/{TRAIN_SAMPLE_PER_LIST}/{TRAIN_SEED}"}
        self.rebuilt = False
        self._clear()

    def _clear(self) -> None:
        self.days: list[date] = []
        self.trained_at = 0  # index size at the last training; 0: one list, no centroids yet
        self._keys = np.empty(0, dtype=np.uint64)  # every vector in the order added, with its list
        self._codes = np.empty((0, DIM), dtype=np.int8)
        self._norms = np.empty(0, dtype=np.float32)
        self._list_of = np.empty(0, dtype=np.int64)
        self._n = 0
        self._lists(np.zeros((1, DIM), dtype=np.int8))

    def _lists(self, centroids: np.ndarray) -> None:
        """Empty lists around `centroids` (the vectors are then added again with their lists)."""
        self.centroids = centroids
        self._cf = centroids.astype(np.float32)
        self._ivf = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(DIM), DIM, len(centroids),
                                                  faiss.ScalarQuantizer.QT_8bit_direct_signed,
                                                  faiss.METRIC_INNER_PRODUCT)
        self._ivf.by_residual = False
        self._ivf.is_trained = True
        self._ivf.nprobe = min(PROBES, len(centroids))

    def __len__(self) -> int:
        return self._n

    def load(self) -> None:
        """Read the saved index, or start empty when there is none or its parameters differ."""
        meta_path, index_path = self.folder / META_FILE, self.folder / INDEX_FILE
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return
        if meta.get("params") != self.params or not index_path.exists():
            return
        n, n_lists = int(meta["count"]), int(meta["lists"])
        raw = index_path.read_bytes()
        if len(raw) != n_lists * DIM + n * (8 + DIM + 4):  # a crash between the two writes
            return
        self._clear()
        at = n_lists * DIM
        self._lists(np.frombuffer(raw[:at], dtype=np.int8).reshape(n_lists, DIM).copy())
        keys = np.frombuffer(raw[at:at + 8 * n], dtype="<u8").astype(np.uint64)
        at += 8 * n
        codes = np.frombuffer(raw[at:at + DIM * n], dtype=np.int8).reshape(n, DIM)
        lists = np.frombuffer(raw[at + DIM * n:], dtype="<u4").astype(np.int64)
        self.trained_at = int(meta["trained_at"])
        self._append(keys, codes, lists)
        self.days = [date.fromisoformat(d) for d in meta["days"]]

    def prepare(self, day: date, earlier_days: list[date],
                vectors_of: Callable[[date], tuple[np.ndarray, np.ndarray]]) -> None:
        """Make the index hold exactly `earlier_days` (all days < `day` with semantic rows, ascending), added
        in order. Appends the missing tail when the index is a prefix of them; rebuilds otherwise."""
        self.load()
        if self.days != earlier_days[: len(self.days)] or any(d >= day for d in self.days):
            self._clear()
            self.rebuilt = True
        for d in earlier_days[len(self.days):]:
            keys, codes = vectors_of(d)
            self.add(d, keys, codes)

    def add(self, day: date, keys: np.ndarray, codes: np.ndarray) -> None:
        """Add vectors of `day` (keys ascending; a day may come in several calls, in order). The first call of
        a new day retrains the centroids when the index has grown GROWTH times since the last training."""
        new_day = not self.days or self.days[-1] != day
        if len(keys):
            if new_day and self._n >= max(2 * LIST_SIZE, math.ceil(self.trained_at * GROWTH)):
                self._train()
            codes = np.asarray(codes, dtype=np.int8).reshape(-1, DIM)
            self._append(np.asarray(keys, dtype=np.uint64), codes, self._assign(codes))
        if new_day:
            self.days.append(day)

    def _assign(self, codes: np.ndarray) -> np.ndarray:
        if len(self.centroids) == 1:
            return np.zeros(len(codes), dtype=np.int64)
        return _nearest(codes, self.centroids)

    def _probes(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each query's PROBES lists, nearest centroid (dot product) first, a tie: the lower number."""
        scores = q @ self._cf.T
        p = min(PROBES, len(self._cf))
        top = np.argpartition(scores, -p, axis=1)[:, -p:] if p < len(self._cf) else np.tile(np.arange(p), (len(q), 1))
        top = np.take_along_axis(top, np.lexsort((top, -np.take_along_axis(scores, top, 1)), axis=1), 1)
        return top.astype(np.int64), np.take_along_axis(scores, top, 1)

    def _append(self, keys: np.ndarray, codes: np.ndarray, lists: np.ndarray) -> None:
        n, m = self._n, len(keys)
        if n + m > len(self._keys):  # grow by doubling: a day comes in many small adds
            cap = max(n + m, 2 * len(self._keys))
            self._keys, self._list_of = np.resize(self._keys, cap), np.resize(self._list_of, cap)
            self._norms, self._codes = np.resize(self._norms, cap), np.resize(self._codes, (cap, DIM))
        self._keys[n:n + m], self._codes[n:n + m], self._list_of[n:n + m] = keys, codes, lists
        faiss.omp_set_num_threads(1)
        for s in range(0, m, 65_536):  # in blocks: a rebuild or a load adds the whole history at once
            x = np.ascontiguousarray(codes[s:s + 65_536], dtype=np.float32)
            self._norms[n + s:n + s + len(x)] = _norms(x)
            ids = np.arange(n + s, n + s + len(x), dtype=np.int64)
            at = np.ascontiguousarray(lists[s:s + 65_536], dtype=np.int64)
            self._ivf.add_core(len(x), faiss.swig_ptr(x), faiss.swig_ptr(ids), faiss.swig_ptr(at))
        self._n = n + m

    def _train(self) -> None:
        n = self._n
        keys, codes = self._keys[:n].copy(), self._codes[:n].copy()
        self._lists(train_centroids(codes, n // LIST_SIZE))
        self.trained_at, self._n = n, 0
        self._append(keys, codes, self._assign(codes))

    def search(self, codes: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        """(keys, cosines) of the `count` nearest indexed vectors per row, most similar first (a tie: the lower
        key); key 2**64-1 / cosine -inf pad."""
        n = len(codes)
        keys = np.full((n, count), NO_KEY, dtype=np.uint64)
        sims = np.full((n, count), -np.inf, dtype=np.float32)
        if n == 0 or self._n == 0:
            return keys, sims
        q = np.ascontiguousarray(np.asarray(codes, dtype=np.int8).reshape(n, DIM), dtype=np.float32)
        faiss.omp_set_num_threads(1)
        lists, scores = self._probes(q)
        dots, rows = self._ivf.search_preassigned(q, min(2 * count, self._n), lists, scores)
        found = rows >= 0
        cos = np.where(found, dots / np.maximum(_norms(q)[:, None] * self._norms[rows], 1e-12), -np.inf)
        key = np.where(found, self._keys[rows], NO_KEY)
        order = np.lexsort((key, -cos), axis=1)[:, :count]
        c = order.shape[1]
        keys[:, :c], sims[:, :c] = np.take_along_axis(key, order, 1), np.take_along_axis(cos, order, 1)
        return keys, sims

    def save(self) -> None:
        """Write the index, then its list of days (each replaced by rename); a crash in between is detected
        by the count in the list, and the next run rebuilds."""
        self.folder.mkdir(parents=True, exist_ok=True)
        n = self._n
        tmp = self.folder / f".{INDEX_FILE}.tmp-{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(self.centroids.tobytes())
            f.write(self._keys[:n].astype("<u8").tobytes())
            f.write(self._codes[:n].tobytes())
            f.write(self._list_of[:n].astype("<u4").tobytes())
        os.replace(tmp, self.folder / INDEX_FILE)
        meta = {"params": self.params, "count": n, "lists": len(self.centroids), "trained_at": self.trained_at,
                "days": [d.isoformat() for d in self.days]}
        tmp_meta = self.folder / f".{META_FILE}.tmp-{os.getpid()}"
        tmp_meta.write_text(json.dumps(meta), encoding="utf-8")
        os.replace(tmp_meta, self.folder / META_FILE)

    def bytes_per_document(self) -> float:
        """Size of the saved index file per document: centroids, then key, vector and list of each."""
        n = self._n
        return (len(self.centroids) * DIM + n * (8 + DIM + 4)) / n if n else 0.0


def keys_for(day: date, n: int) -> np.ndarray:
    return np.uint64(day_key(day)) + np.arange(n, dtype=np.uint64)
