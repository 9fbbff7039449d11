"""Vectorized MinHash that reproduces datasketch 2.0 `MinHash(scheme="affine32")` bit for bit.

datasketch updates one shingle at a time (a Python call plus several numpy ops on a num_perm vector each);
here all shingles of a batch of docs are hashed once, pre-mixed with the same MurmurHash3 finalizer and
permuted as one (shingles x num_perm) uint32 matrix, then min-reduced per doc with `np.minimum.reduceat`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache

import numpy as np
from datasketch import MinHash

#: Max shingles permuted at once: bounds the temporary matrix to ~chunk*num_perm*4 bytes (~30 MB).
_CHUNK_SHINGLES = 65536
_U32 = np.uint32
_U64 = np.uint64


def shingles(words: Sequence[str], ngram: int) -> list[bytes]:
    """Word n-grams joined by one space, UTF-8 encoded: the exact bytes fed to datasketch's sha1_hash32."""
    if len(words) < ngram:
        return []
    enc = [w.encode("utf-8") for w in words]
    joined = b" ".join(enc)
    # slicing one joined buffer is ~1.5x faster than joining every n-gram separately (same bytes)
    ends = np.cumsum(np.fromiter(map(len, enc), dtype=np.int64, count=len(enc)) + 1) - 1
    starts = np.concatenate(([0], ends[:-1] + 1))
    first, last = starts[: len(enc) - ngram + 1].tolist(), ends[ngram - 1 :].tolist()
    return [joined[a:b] for a, b in zip(first, last, strict=True)]


def shingle_hashes(shingle_list: list[bytes]) -> np.ndarray:
    """datasketch.hashfunc.sha1_hash32 for many inputs: first 4 digest bytes, little endian."""
    sha1 = hashlib.sha1
    buf = b"".join([sha1(s).digest()[:4] for s in shingle_list])
    return np.frombuffer(buf, dtype="<u4").astype(_U32, copy=False)


@cache
def permutations(num_perm: int, seed: int, scheme: str) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) taken from datasketch itself, so a seed means the same permutations in both implementations."""
    if scheme != "affine32":
        raise ValueError(f"unsupported scheme {scheme!r}")
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme=scheme).permutations
    return a.astype(_U32), b.astype(_U32)


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3 32-bit finalizer, the pre-mix datasketch applies before the affine permutations."""
    h = h.astype(_U32, copy=True)
    h ^= h >> _U32(16)
    h *= _U32(0x85EBCA6B)
    h ^= h >> _U32(13)
    h *= _U32(0xC2B2AE35)
    h ^= h >> _U32(16)
    return h


def signatures_from_hashes(
    hashes: np.ndarray, counts: np.ndarray, num_perm: int, seed: int, scheme: str = "affine32"
) -> np.ndarray:
    """Signatures (n_docs x num_perm uint32) for docs whose shingle hashes are concatenated in `hashes`.

    Docs with zero shingles get the empty value (all 0xFFFFFFFF), like an un-updated datasketch MinHash.
    """
    a, b = permutations(num_perm, seed, scheme)
    n_docs = len(counts)
    out = np.full((n_docs, num_perm), np.iinfo(_U32).max, dtype=_U32)
    if n_docs == 0:
        return out
    mixed = fmix32(hashes)
    ends = np.cumsum(counts)
    starts = ends - counts
    d = 0
    while d < n_docs:
        # Take docs until the chunk is full (always at least one doc, however long).
        lo = starts[d]
        e = int(np.searchsorted(ends, lo + _CHUNK_SHINGLES, side="right"))
        e = max(e, d + 1)
        hi = ends[e - 1]
        sel = np.arange(d, e)
        nz = sel[counts[d:e] > 0]
        if len(nz):
            block = mixed[lo:hi, None] * a[None, :] + b[None, :]  # wraps mod 2^32, as in datasketch
            out[nz] = np.minimum.reduceat(block, (starts[nz] - lo).astype(np.intp), axis=0)
        d = e
    return out


def signatures(
    word_lists: Sequence[Sequence[str]], ngram: int, num_perm: int, seed: int, scheme: str = "affine32"
) -> np.ndarray:
    """MinHash signatures of word-n-gram shingle sets, equal to datasketch's for the same shingles."""
    per_doc = [shingle_hashes(shingles(w, ngram)) for w in word_lists]
    counts = np.array([len(h) for h in per_doc], dtype=np.int64)
    hashes = np.concatenate(per_doc) if per_doc else np.zeros(0, dtype=_U32)
    return signatures_from_hashes(hashes, counts, num_perm, seed, scheme)


_M1 = _U64(0x9E3779B97F4A7C15)
_M2 = _U64(0xBF58476D1CE4E5B9)
_M3 = _U64(0x94D049BB133111EB)


def _mix64(h: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer: spreads band contents over all 64 bits (Bloom positions use every bit)."""
    h = h ^ (h >> _U64(30))
    h = h * _M2
    h = h ^ (h >> _U64(27))
    h = h * _M3
    return h ^ (h >> _U64(31))


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n_docs x bands) uint64 keys; the band number is mixed in, so one key space serves all bands."""
    n = sigs.shape[0]
    v = sigs[:, : bands * rows].reshape(n, bands, rows).astype(_U64)
    h = np.broadcast_to((np.arange(bands, dtype=_U64) + _U64(1)) * _M1, (n, bands)).copy()
    for r in range(rows):
        h = _mix64(h ^ v[:, :, r])
    return h


#: Namespace of exact-text keys inside the same key space as band keys.
_EXACT_SALT = _U64(0xD6E8FEB86659FD93)


def exact_keys(text_hashes: np.ndarray) -> np.ndarray:
    """Index keys for exact-text matches (salted so they never collide systematically with band keys)."""
    return _mix64(text_hashes.astype(_U64) ^ _EXACT_SALT)
