"""File caches under index_dir that make history lookups nearly flat. DuckDB stays the source of truth.

Layout (all numpy .npy files, opened memory-mapped so only touched pages are read):

* one *segment* per decided day, named by (date, run_id): `idx` = index keys truncated to uint32, sorted,
  with the within-day doc ordinal of each (2 x n_entries uint32); `sig` = the day's signatures plus text
  hash (n_docs x (num_perm+2) uint32), opened only when a candidate of that day must be confirmed;
  `sum.json` = size and CRC-32 of both files, written between them. run_id is a content hash recorded in
  `dedup_days`, so a segment is valid iff its run_id matches and its files match their checksums; a
  missing/stale/corrupt segment is rebuilt from the day's signatures file (dedup.core.read_signatures).
* one global *Bloom filter* over the full 64-bit keys of every claimed segment. Its sidecar JSON lists the
  (date, run_id) pairs whose keys are in it and the file's size and CRC-32; bits are written and flushed
  before the checksum is taken and a pair is claimed, so a crash can only leave extra bits (false
  positives, filtered later), never missing ones (false negatives).

Integrity: a file is re-hashed only when its stat stamp (size, mtime_ns, ctime_ns, inode) differs from the
one at which it was last written or verified (`stamps.json` for segments, read once per call; bloom.json
for the Bloom filter). ctime cannot be set back by os.utime, so any write through the file system is seen,
and an unchanged history costs one stat per file. Damage that leaves the stamp alone (bits rotting on
disk) is what the always-on probe is for: a few random docs of a few segments must be listed in their idx,
and their keys must all be in the Bloom filter if their day is claimed (a Bloom filter has no false
negatives: one absent key proves corruption). Corrupt files are logged as warnings on the
"freshdata.dedup" logger, listed in `IndexCache.rebuilt` and rebuilt.

Lookup: all new keys go through the Bloom filter (cost independent of history size); only the positives are
binary-searched in the day segments of days < N. Never the whole history in memory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from freshdata.dedup.minhash import band_keys, exact_keys

log = logging.getLogger("freshdata.dedup")

_U32 = np.uint32
_U64 = np.uint64
_EMPTY_SIG = np.iinfo(_U32).max
_MIN_BLOOM_BITS = 1 << 16
_HASH_CHUNK = 1 << 20
_PROBE_SEGMENTS = 4  # segments sampled per call by the always-on probe
_PROBE_DOCS = 16  # docs sampled per probed segment (x bands keys x k bits each)
Loader = Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray]]


class _Damaged(Exception):
    """A cache file exists but fails validation; args[0] says why."""


def file_crc32(path: Path) -> int:
    """CRC-32 of the whole file (header included), read in chunks."""
    crc = 0
    buf = bytearray(_HASH_CHUNK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            crc = zlib.crc32(view[:n], crc)
    return crc


def _stamp(path: Path) -> list[int]:
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _write_json(path: Path, obj: dict) -> None:
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex}.json")
    tmp.write_text(json.dumps(obj, sort_keys=True))
    os.replace(tmp, path)


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


def _indexed(seg: Segment, keys64: np.ndarray, ords: np.ndarray) -> bool:
    """Whether the segment's idx lists every (key, doc ordinal) entry (entries of a key are in ord order)."""
    k32 = (keys64 & _U64(0xFFFFFFFF)).astype(_U32)
    lo = np.searchsorted(seg.keys, k32, side="left")
    hi = np.searchsorted(seg.keys, k32, side="right")
    if np.any(hi <= lo):
        return False
    one = hi - lo == 1  # the common case: a key of one doc
    if not np.array_equal(np.asarray(seg.refs[lo[one]]), ords[one]):
        return False
    for a, b, o in zip(lo[~one].tolist(), hi[~one].tolist(), ords[~one].tolist(), strict=True):
        refs = np.asarray(seg.refs[a:b])
        j = int(np.searchsorted(refs, o))
        if j >= len(refs) or refs[j] != o:
            return False
    return True


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
        self.rebuilt: list[str] = []  # names of files found corrupt (and rebuilt) during this cache's life
        self.rehashed = 0  # files re-hashed because their stat stamp changed (or on suspicion)
        self._segments: dict[tuple[dt.date, str], Segment] = {}
        self._seg_info: dict[tuple[dt.date, str], tuple[int, int, Loader]] = {}
        self._bloom: np.ndarray | None = None
        self._meta: dict = {}
        self._bloom_unsaved = False
        self._rng = np.random.default_rng()
        self._stamps: dict[str, list[int]] = self._load_stamps()
        self._stamps_changed = False
        self._load_meta()

    def close(self) -> None:
        """Save the verified stamps; drop the memory maps now (segments and their loaders form a reference
        cycle with the cache)."""
        if self._stamps_changed:
            _write_json(self._stamps_path(), self._stamps)
            self._stamps_changed = False
        self._segments.clear()
        self._seg_info.clear()
        self._bloom = None

    # ---------- integrity ----------
    def _damaged(self, name: str, reason: str) -> None:
        log.warning("dedup index file %s is corrupt (%s); rebuilding it from the day's signatures", name, reason)
        if name not in self.rebuilt:
            self.rebuilt.append(name)

    def _rehash(self, path: Path, size: int, crc: int) -> list[int]:
        """Hash `path` in full; its stat stamp if it matches (size, crc), else raise _Damaged naming it."""
        try:
            stamp = _stamp(path)
        except FileNotFoundError:
            raise _Damaged(path.name, "missing") from None
        if stamp[0] != size:
            raise _Damaged(path.name, f"size {stamp[0]}, recorded {size}")
        self.rehashed += 1
        if file_crc32(path) != crc:
            raise _Damaged(path.name, "checksum mismatch")
        return stamp

    def _stamps_path(self) -> Path:
        return self.root / "stamps.json"

    def _load_stamps(self) -> dict[str, list[int]]:
        """Stat stamps at which segment files were last written or verified (a cache: lost means re-hash)."""
        try:
            stamps = json.loads(self._stamps_path().read_text())
            if not isinstance(stamps, dict):
                raise ValueError("not an object")
            return stamps
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            log.info("dedup index %s unreadable (%s): segment files will be re-hashed", self._stamps_path(), e)
            return {}

    def _remember(self, path: Path) -> None:
        self._stamps[path.name] = _stamp(path)
        self._stamps_changed = True

    # ---------- segments ----------
    def _seg_path(self, day: dt.date, run_id: str, part: str) -> Path:
        return self.root / f"seg-{day.isoformat()}-{run_id}.{part}.npy"

    def _sums_path(self, day: dt.date, run_id: str) -> Path:
        return self.root / f"seg-{day.isoformat()}-{run_id}.sum.json"

    def write_segment(self, day: dt.date, run_id: str, sigs: np.ndarray, th: np.ndarray, too_short: np.ndarray) -> None:
        """Write a day's segment atomically (tmp + rename): `sig`, then the checksums of both files, then
        `idx` last: its presence marks a complete segment whose checksums are recorded.

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
        tmps, sums = {}, {}
        for part, arr in (("sig", rows), ("idx", np.stack([k32[order], ords[order]]))):
            tmp = tmps[part] = self.root / f".tmp-{uuid.uuid4().hex}.npy"
            np.save(tmp, arr)
            sums[part] = {"size": tmp.stat().st_size, "crc32": file_crc32(tmp)}
        sig, idx = self._seg_path(day, run_id, "sig"), self._seg_path(day, run_id, "idx")
        os.replace(tmps["sig"], sig)
        _write_json(self._sums_path(day, run_id), sums)
        os.replace(tmps["idx"], idx)
        for path in (sig, idx):  # the stamps after the renames (which change ctime) are the verified ones
            self._remember(path)

    def segment(self, day: dt.date, run_id: str, n_docs: int, num_perm: int, loader: Loader) -> Segment:
        """The valid segment for (day, run_id); missing/corrupt files are rebuilt via loader()."""
        key = (day, run_id)
        seg = self._segments.get(key)
        if seg is not None:
            return seg
        self._seg_info[key] = (n_docs, num_perm, loader)
        seg = Segment(day, np.zeros(0, _U32), np.zeros(0, _U32), partial(self._open_sig, day, run_id))
        self._open_idx(day, run_id, seg)
        self._segments[key] = seg
        return seg

    def _open_idx(self, day: dt.date, run_id: str, seg: Segment) -> None:
        idx = self._load_part(day, run_id, "idx", lambda a: a.ndim == 2 and a.shape[0] == 2 and a.dtype == _U32)
        seg.keys, seg.refs, seg._rows = idx[0], idx[1], None

    def _open_sig(self, day: dt.date, run_id: str) -> np.ndarray:
        n_docs, num_perm, _ = self._seg_info[(day, run_id)]
        return self._load_part(day, run_id, "sig", lambda a: a.shape == (n_docs, num_perm + 2) and a.dtype == _U32)

    def _rebuild_segment(self, day: dt.date, run_id: str) -> None:
        sigs, th, too_short = self._seg_info[(day, run_id)][2]()
        self.write_segment(day, run_id, sigs, th, too_short)

    def _load_part(self, day: dt.date, run_id: str, part: str, valid: Callable[[np.ndarray], bool]) -> np.ndarray:
        """Memory map of one verified segment file; a missing or damaged segment is rebuilt first."""
        path = self._seg_path(day, run_id, part)
        try:
            try:
                unchanged = self._stamps.get(path.name) == _stamp(path)
            except FileNotFoundError:
                unchanged = False
            if not unchanged:
                self._check_part(day, run_id, part)
            try:
                arr = np.load(path, mmap_mode="r")
            except (OSError, ValueError, EOFError) as e:
                raise _Damaged(path.name, f"unreadable: {e}") from e
            if not valid(arr):
                raise _Damaged(path.name, f"unexpected shape {arr.shape} / dtype {arr.dtype}")
            return arr
        except FileNotFoundError:  # no checksums: a cold cache, or a segment written before they existed
            if path.exists():
                log.info("dedup index file %s has no checksum record; rebuilding it", path.name)
        except _Damaged as e:
            self._damaged(*e.args)
        self._rebuild_segment(day, run_id)
        return np.load(path, mmap_mode="r")

    def _check_part(self, day: dt.date, run_id: str, part: str) -> None:
        """Re-hash one segment file against its sum.json and remember its stamp; _Damaged if it differs,
        FileNotFoundError if there is no sum.json."""
        path, sums_path = self._seg_path(day, run_id, part), self._sums_path(day, run_id)
        text = sums_path.read_text()
        try:
            rec = json.loads(text)[part]
            size, crc = int(rec["size"]), int(rec["crc32"])
        except (ValueError, KeyError, TypeError) as e:
            raise _Damaged(sums_path.name, f"unreadable checksum record: {e}") from e
        self._rehash(path, size, crc)
        self._remember(path)

    def _recheck_segment(self, day: dt.date, run_id: str) -> list[tuple[str, str]]:
        """(file name, reason) of the segment's files that fail a full re-hash (stamps ignored)."""
        bad = []
        for part in ("idx", "sig"):
            try:
                self._check_part(day, run_id, part)
            except _Damaged as e:
                bad.append(e.args)
            except FileNotFoundError:
                bad.append((self._sums_path(day, run_id).name, "missing"))
        return bad

    def _probe_segment(self, day: dt.date, run_id: str, seg: Segment) -> np.ndarray:
        """Full keys of a few random docs of the segment, checked to be listed in its idx.

        A doc whose entries are missing means the idx or sig is damaged even if its stat stamp is
        unchanged: both files are re-hashed (to name the culprit) and the segment is rebuilt."""
        for attempt in range(2):
            n = len(seg.all_rows)
            ords = np.sort(self._rng.choice(n, size=min(_PROBE_DOCS, n), replace=False))
            sigs, th = seg.rows(ords)
            too_short = np.all(sigs == _EMPTY_SIG, axis=1)
            keys64, which = _entries(doc_keys(sigs, th, too_short, self.bands, self.rows), too_short)
            if attempt or _indexed(seg, keys64, ords[which]):
                return keys64
            bad = self._recheck_segment(day, run_id) or [
                (self._seg_path(day, run_id, "idx").name, "sampled docs are missing from it")
            ]
            for name, reason in bad:
                self._damaged(name, reason)
            self._rebuild_segment(day, run_id)
            self._open_idx(day, run_id, seg)
        raise AssertionError("unreachable")

    def _probe(self, segments: list[tuple[dt.date, str, Segment]]) -> bool:
        """Always-on sanity check of a few random segments; False if the Bloom filter is proven corrupt."""
        cand = [(d, r, s) for d, r, s in segments if len(s.keys)]
        claimed_keys = [np.zeros(0, _U64)]
        for i in self._rng.permutation(len(cand))[:_PROBE_SEGMENTS]:
            d, r, s = cand[i]
            keys = self._probe_segment(d, r, s)
            if self.is_claimed(d, r):
                claimed_keys.append(keys)
        return bool(self.bloom_contains(np.concatenate(claimed_keys)).all())

    def segment_keys64(self, seg: Segment) -> np.ndarray:
        """Full 64-bit keys of a segment, recomputed from its signatures (for (re)filling the Bloom)."""
        rows = np.asarray(seg.all_rows)
        if not len(rows):
            return np.zeros(0, dtype=_U64)
        sigs, th = seg.rows(np.arange(len(rows)))
        too_short = np.all(sigs == _EMPTY_SIG, axis=1)
        keys, _ = _entries(doc_keys(sigs, th, too_short, self.bands, self.rows), too_short)
        return keys

    def collect_garbage(self, valid: set[tuple[dt.date, str]]) -> None:
        """Delete segments of run_ids that are no longer committed (re-run days, rolled-back runs)."""
        keep = {f"{d.isoformat()}-{r}" for d, r in valid}
        for p in self.root.glob("seg-*"):
            if p.name[4:].split(".", 1)[0] not in keep:
                with contextlib.suppress(OSError):
                    p.unlink()
        for name in [n for n in self._stamps if n[4:].split(".", 1)[0] not in keep]:
            del self._stamps[name]
            self._stamps_changed = True
        for p in self.root.glob(".tmp-*"):
            with contextlib.suppress(OSError):
                p.unlink()

    # ---------- bloom ----------
    def _meta_path(self) -> Path:
        return self.root / "bloom.json"

    def _load_meta(self) -> None:
        path = self._meta_path()
        name = path.name
        try:
            meta = json.loads(path.read_text())
            if meta.get("params") != self.params or meta.get("k") != self.k:
                raise _Damaged(name, "built for other parameters")
            name = meta["file"]
            if "crc32" not in meta:
                log.info("dedup Bloom filter %s has no checksum record; rebuilding it", name)
                self._new_bloom(_MIN_BLOOM_BITS)
                return
            try:
                unchanged = meta.get("stamp") == _stamp(self.root / name)
            except FileNotFoundError:
                unchanged = False
            if not unchanged:
                meta["stamp"] = self._rehash(self.root / name, int(meta["size"]), int(meta["crc32"]))
                _write_json(path, meta)
            bloom = np.load(self.root / name, mmap_mode="r+")
            if bloom.shape != (meta["bits"] // 8,):
                raise _Damaged(name, "size mismatch")
        except FileNotFoundError:  # no bloom.json: a cold cache
            self._new_bloom(_MIN_BLOOM_BITS)
            return
        except _Damaged as e:
            self._damaged(*e.args)
            self._new_bloom(_MIN_BLOOM_BITS)
            return
        except (OSError, ValueError, KeyError, TypeError, EOFError) as e:
            self._damaged(name, str(e))
            self._new_bloom(_MIN_BLOOM_BITS)
            return
        self._meta, self._bloom = meta, bloom

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
        self._bloom_unsaved = True

    def _save_meta(self) -> None:
        """Flush bits first, then checksum the file, then atomically publish which (date, run_id) pairs they
        cover (with the checksum and the stat stamp it was taken at)."""
        assert self._bloom is not None
        self._bloom.flush()
        path = self.root / self._meta["file"]
        stamp = _stamp(path)
        self._meta.update(size=stamp[0], crc32=file_crc32(path), stamp=stamp)
        _write_json(self._meta_path(), self._meta)
        self._bloom_unsaved = False
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
        """Make the Bloom filter cover all given segments; rebuild it 1.5x larger when it gets full, or
        when the probe proves it corrupt.

        Geometric growth keeps rebuilds (which stream every segment once) amortized O(1) per document.
        The day being decided is not added here or at decide time but by the next call, so re-running
        the newest day does not make all of its own keys positive.
        """
        corrupt = not self._probe(segments)
        if corrupt:
            self._damaged(self._meta["file"], "keys of claimed days are missing from it")
        missing = [(d, r, s) for d, r, s in segments if not self.is_claimed(d, r)]
        total = sum(len(s.keys) for _, _, s in segments) + extra_keys
        if corrupt or total * self.bits_per_key > self._meta["bits"] or self._meta["n_keys"] > 2 * max(total, 1):
            bits = max(_MIN_BLOOM_BITS, -(-int(total * self.bits_per_key * 1.5) // 64) * 64)
            self._new_bloom(bits)
            missing = segments
        if not missing and not self._bloom_unsaved:
            return
        for d, r, s in missing:
            keys = self.segment_keys64(s)
            self._set_bits(keys)
            self._meta["n_keys"] += len(keys)
            self._meta["claimed"][d.isoformat()] = r
        self._save_meta()
