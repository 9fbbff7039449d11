"""Text normalization for exact hashes and shingles: NFKC, lowercase, digits->0, punctuation->space."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")


def normalize(text: str) -> str:
    """Canonical form: formatting, case, digits, punctuation and whitespace differences vanish."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _DIGIT.sub("0", text)
    return _NON_WORD.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """Normalized words, the units of shingling."""
    return normalize(text).split()


def text_hash(normalized: str) -> int:
    """64-bit hash of normalized text (blake2b: stable across processes, unlike hash())."""
    return int.from_bytes(hashlib.blake2b(normalized.encode("utf-8"), digest_size=8).digest(), "little")
