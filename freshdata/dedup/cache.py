"""File caches under index_dir that make history lookups nearly flat. DuckDB stays the source of truth.

Layout (all numpy .npy files, opened memory-mapped so only touched pages are read):

* one *segment* per decided day, named by (date, run_id): `idx` = index keys truncated to uint32, sorted,
  with the within-day doc ordinal of each (2 x n_entries uint32); `sig` = the day's signatures plus text
  hash (n_docs x (num_perm+2) uint32), opened only when a candidate of that day must be confirmed.
  run_id is a content hash recorded in `dedup_days`, so a segment is valid iff its run_id matches; a
  missing/stale/corrupt segment is rebuilt from `dedup_signatures` (one day's rows).
* one global *Bloom filter* over the full 64-bit keys of every claimed segment. Its sidecar JSON lists the
  (date, run_id) pairs whose keys are in it; bits are written and flushed before a pair is claimed, so a
  crash can only leave extra bits (false positives, filtered later), never missing ones (false negatives).

Lookup: all new keys go through the Bloom filter (cost independent of history size); only the positives are
binary-searched in the day segments of days < N. Never the whole history in memory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from freshdata.dedup.minhash import band_keys, exact_keys

_U32 = np.uint32
_U64 = np.uint64
_MIN_BLOOM_BITS = 1 << 16
Loader = Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray]]


@dataclass
class Segment:
    """One day's lookup structure: keys/refs memory-mapped up front, signature rows only when needed."""

    day: dt.date
    keys: np.ndarray  # sorted uint32 (low 32 bits of the 64-bit keys)
    refs: np.ndarray  # uint32 ordinal of the doc within the day, aligned with keys
    open_rows: Callable[[], np.ndarray]  # -> (n_docs, num_perm + 2) uint32: signature, text hash lo/hi
    _rows: np.ndarray | None = None

    @property
    def all_rows(self) -> np.ndarray:
        if self._rows is None:
            self._rows = self.open_rows()
        return self._rows

    def rows(self, ords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(signatures, text hashes) of the given docs of this day."""
        r = np.asarray(self.all_rows[ords])
        th = r[:, -2].astype(_U64) | (r[:, -1].astype(_U64) << _U64(32))
        return r[:, :-2], th


def doc_keys(sigs: np.ndarray, th: np.ndarray, too_short: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n_docs x (bands+1)) uint64 keys: band keys then the exact key; band keys of too-short docs are 0."""
    keys = np.zeros((len(th), bands + 1), dtype=_U64)
    ok = ~too_short
    if ok.any():
        keys[ok, :bands] = band_keys(sigs[ok], bands, rows)
    keys[:, bands] = exact_keys(th)
    return keys


def _entries(keys: np.ndarray, too_short: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flatten (n_docs x bands+1) keys to (key64, ordinal) index entries.

    Docs with shingles get their band keys only (an exact copy shares every band and is recognised by its
    text hash at confirmation); too-short docs get only their exact key. Saves one entry per doc.
    """
    n, width = keys.shape
    valid = np.zeros((n, width), dtype=bool)
    valid[~too_short, : width - 1] = True
    valid[too_short, width - 1] = True
    ords = np.broadcast_to(np.arange(n, dtype=_U32)[:, None], (n, width))
    return keys[valid], ords[valid]


def _bloom_positions(keys: np.ndarray, k: int, bits: int) -> np.ndarray:
    """k bit positions per key by double hashing the two 32-bit halves of the 64-bit key."""
    h1 = keys & _U64(0xFFFFFFFF)
    h2 = (keys >> _U64(32)) | _U64(1)
    i = np.arange(k, dtype=_U64)
    return (h1[:, None] + i[None, :] * h2[:, None]) % _U64(bits)


class IndexCache:
    """Segments and Bloom filter under one directory, for one set of index parameters."""

    def __init__(self, root: Path, params: dict[str, str], bits_per_key: int, bands: int, rows: int) -> None:
        self.root = root
        self.params = params
        self.bits_per_key = bits_per_key
        self.bands = bands
        self.rows = rows
        self.k = max(1, round(bits_per_key * 0.69))
        root.mkdir(parents=True, exist_ok=True)
        self._segments: dict[tuple[dt.date, str], Segment] = {}
        self._bloom: np.ndarray | None = None
        self._meta: dict = {}
        self._load_meta()

    def close(self) -> None:
        """Drop the memory maps now (segments and their loaders form a reference cycle with the cache)."""
        self._segments.clear()
        self._bloom = None

    # ---------- segments ----------
    def _seg_path(self, day: dt.date, run_id: str, part: str) -> Path:
        return self.root / f"seg-{day.isoformat()}-{run_id}.{part}.npy"

    def write_segment(self, day: dt.date, run_id: str, sigs: np.ndarray, th: np.ndarray, too_short: np.ndarray) -> None:
        """Write a day's segment atomically (tmp + rename; `idx` last, its presence marks completeness).

        Entries are sorted by (key, ord), so all entries of one key come in ascending doc order.
        """
        keys64, ords = _entries(doc_keys(sigs, th, too_short, self.bands, self.rows), too_short)
        k32 = (keys64 & _U64(0xFFFFFFFF)).astype(_U32)
        order = np.argsort(k32, kind="stable")  # entries were generated in ord order
        th64 = th.astype(_U64)
        rows = np.concatenate(
            [
                sigs.astype(_U32),
                (th64 & _U64(0xFFFFFFFF)).astype(_U32)[:, None],
                (th64 >> _U64(32)).astype(_U32)[:, None],
            ],
            axis=1,
        )
        for part, arr in (("sig", rows), ("idx", np.stack([k32[order], ords[order]]))):
            tmp = self.root / f".tmp-{uuid.uuid4().hex}.npy"
            np.save(tmp, arr)
            os.replace(tmp, self._seg_path(day, run_id, part))

    def segment(self, day: dt.date, run_id: str, n_docs: int, num_perm: int, loader: Loader) -> Segment:
        """The valid segment for (day, run_id); missing/corrupt files are rebuilt via loader()."""
        seg = self._segments.get((day, run_id))
        if seg is not None:
            return seg

        def rebuild() -> None:
            sigs, th, too_short = loader()
            self.write_segment(day, run_id, sigs, th, too_short)

        def open_rows() -> np.ndarray:
            path = self._seg_path(day, run_id, "sig")
            try:
                rows = np.load(path, mmap_mode="r")
                if rows.shape != (n_docs, num_perm + 2) or rows.dtype != _U32:
                    raise ValueError("segment shape mismatch")
                return rows
            except (OSError, ValueError, EOFError):
                rebuild()
                return np.load(path, mmap_mode="r")

        path = self._seg_path(day, run_id, "idx")
        try:
            idx = np.load(path, mmap_mode="r")
            if idx.ndim != 2 or idx.shape[0] != 2 or idx.dtype != _U32:
                raise ValueError("segment shape mismatch")
        except (OSError, ValueError, EOFError):
            rebuild()
            idx = np.load(path, mmap_mode="r")
        seg = Segment(day, idx[0], idx[1], open_rows)
        self._segments[(day, run_id)] = seg
        return seg

    def segment_keys64(self, seg: Segment) -> np.ndarray:
        """Full 64-bit keys of a segment, recomputed from its signatures (for (re)filling the Bloom)."""
        rows = np.asarray(seg.all_rows)
        if not len(rows):
            return np.zeros(0, dtype=_U64)
        sigs, th = seg.rows(np.arange(len(rows)))
        too_short = np.all(sigs == np.iinfo(_U32).max, axis=1)
        keys, _ = _entries(doc_keys(sigs, th, too_short, self.bands, self.rows), too_short)
        return keys

    def collect_garbage(self, valid: set[tuple[dt.date, str]]) -> None:
        """Delete segments of run_ids that are no longer committed (re-run days, rolled-back runs)."""
        keep = {f"{d.isoformat()}-{r}" for d, r in valid}
        for p in self.root.glob("seg-*.npy"):
            if p.name[4:].split(".", 1)[0] not in keep:
                with contextlib.suppress(OSError):
                    p.unlink()
        for p in self.root.glob(".tmp-*"):
            with contextlib.suppress(OSError):
                p.unlink()

    # ---------- bloom ----------
    def _meta_path(self) -> Path:
        return self.root / "bloom.json"

    def _load_meta(self) -> None:
        try:
            meta = json.loads(self._meta_path().read_text())
            if meta.get("params") != self.params or meta.get("k") != self.k:
                raise ValueError("bloom built for other parameters")
            bloom = np.load(self.root / meta["file"], mmap_mode="r+")
            if bloom.shape != (meta["bits"] // 8,):
                raise ValueError("bloom size mismatch")
            self._meta, self._bloom = meta, bloom
        except (OSError, ValueError, KeyError, json.JSONDecodeError):
            self._new_bloom(_MIN_BLOOM_BITS)

    def _new_bloom(self, bits: int) -> None:
        name = f"bloom-{uuid.uuid4().hex}.npy"
        arr = np.lib.format.open_memmap(self.root / name, mode="w+", dtype=np.uint8, shape=(bits // 8,))
        self._bloom = arr
        self._meta = {
            "params": self.params,
            "k": self.k,
            "bits": bits,
            "file": name,
            "n_keys": 0,
            "claimed": {},
        }

    def _save_meta(self) -> None:
        """Flush bits first, then atomically publish which (date, run_id) pairs they cover."""
        assert self._bloom is not None
        self._bloom.flush()
        tmp = self.root / f".tmp-{uuid.uuid4().hex}.json"
        tmp.write_text(json.dumps(self._meta, sort_keys=True))
        os.replace(tmp, self._meta_path())
        for p in self.root.glob("bloom-*.npy"):
            if p.name != self._meta["file"]:
                with contextlib.suppress(OSError):
                    p.unlink()

    def _set_bits(self, keys: np.ndarray) -> None:
        assert self._bloom is not None
        for s in range(0, len(keys), 1 << 18):
            pos = _bloom_positions(keys[s : s + (1 << 18)], self.k, self._meta["bits"]).ravel()
            np.bitwise_or.at(self._bloom, (pos >> _U64(3)).astype(np.intp), (1 << (pos & _U64(7))).astype(np.uint8))

    def bloom_contains(self, keys: np.ndarray) -> np.ndarray:
        """Membership test (no false negatives for claimed segments)."""
        assert self._bloom is not None
        pos = _bloom_positions(keys, self.k, self._meta["bits"])
        bits = self._bloom[(pos >> _U64(3)).astype(np.intp)] >> (pos & _U64(7)).astype(np.uint8)
        return np.all(bits & 1, axis=1)

    def is_claimed(self, day: dt.date, run_id: str) -> bool:
        return self._meta["claimed"].get(day.isoformat()) == run_id

    def sync_bloom(self, segments: list[tuple[dt.date, str, Segment]], extra_keys: int = 0) -> None:
        """Make the Bloom filter cover all given segments; rebuild it 1.5x larger when it gets full.

        Geometric growth keeps rebuilds (which stream every segment once) amortized O(1) per document.
        The day being decided is not added here or at decide time but by the next call, so re-running
        the newest day does not make all of its own keys positive.
        """
        missing = [(d, r, s) for d, r, s in segments if not self.is_claimed(d, r)]
        total = sum(len(s.keys) for _, _, s in segments) + extra_keys
        if total * self.bits_per_key > self._meta["bits"] or self._meta["n_keys"] > 2 * max(total, 1):
            bits = max(_MIN_BLOOM_BITS, -(-int(total * self.bits_per_key * 1.5) // 64) * 64)
            self._new_bloom(bits)
            missing = segments
        if not missing:
            return
        for d, r, s in missing:
            keys = self.segment_keys64(s)
            self._set_bits(keys)
            self._meta["n_keys"] += len(keys)
            self._meta["claimed"][d.isoformat()] = r
        self._save_meta()
