"""Cheap text views shared by operators: computed once per text version, invalidated on edits.

Splitting is regex/str based (no tokenizer downloads) because the stage must run >= 300 docs/s/core.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from .types import QualityDoc, TagValue

WORD_RE = re.compile(r"\w+")  # apostrophes split words; ~20% faster than handling them
PARAGRAPH_SPLIT_RE = re.compile(r"\n\s*\n")
_LOWER_SPLITS = "\u0130"  # 'İ'.lower() == 'i' + U+0307 (2 chars, the 2nd not \w)
NO_SPACE_LANGS = frozenset({"zh", "ja", "th", "lo", "my", "km", "bo", "wuu", "yue"})


class DocContext:
    """Mutable per-document state threaded through the operators of a recipe."""

    __slots__ = ("doc", "_text", "language", "language_score", "stats", "tags", "_cache")

    def __init__(self, doc: QualityDoc) -> None:
        self.doc = doc
        self._text = doc.text
        self.language: str | None = None
        self.language_score: float | None = None
        self.stats: dict[str, float] = {}
        self.tags: dict[str, TagValue] = {}
        self._cache: dict[str, Any] = {}

    @property
    def text(self) -> str:
        return self._text

    @text.setter
    def text(self, value: str) -> None:
        if value != self._text:
            self._text = value
            self._cache.clear()

    def strip_text(self) -> None:
        """text = text.strip(), keeping the whitespace tokens (stripping cannot change them)."""
        tokens = self._cache.get("tokens")
        self.text = self._text.strip()
        if tokens is not None:
            self._cache["tokens"] = tokens

    def _get(self, key: str, fn) -> Any:
        try:
            return self._cache[key]
        except KeyError:
            v = self._cache[key] = fn()
            return v

    @property
    def words(self) -> list[str]:
        """Alphanumeric words (symbols/punctuation dropped) — datatrove's 'non-symbol words'."""
        return self._get("words", lambda: WORD_RE.findall(self._text))

    @property
    def words_lower(self) -> list[str]:
        """= [w.lower() for w in self.words]."""
        return self._get("words_lower", self._words_lower)

    def _words_lower(self) -> list[str]:
        if _LOWER_SPLITS not in self._text:
            # str.lower maps every \w char to \w char(s) of the same length and no other char to a
            # \w char, except U+0130 (checked above): splitting the shared lower-cased text gives
            # the same words without needing the original-case list at all.
            return WORD_RE.findall(self.lower)
        words = self.words
        return " ".join(words).lower().split(" ") if words else []

    @property
    def n_words(self) -> int:
        """len(self.words), without building the original-case list when it is not needed."""
        return len(self.words_lower)

    @property
    def word_chars(self) -> int:
        """sum(len(w) for w in self.words)."""
        return self._get(
            "word_chars",
            lambda: sum(map(len, self.words if _LOWER_SPLITS in self._text else self.words_lower)),
        )

    @property
    def word_counts(self) -> Counter[str]:
        """Lower-cased word frequencies (Counter is C-accelerated; set lookups then run on uniques)."""
        return self._get("word_counts", lambda: Counter(self.words_lower))

    @property
    def lower(self) -> str:
        """The lower-cased text (shared by case-insensitive substring checks)."""
        return self._get("lower", self._text.lower)

    @property
    def tokens(self) -> list[str]:
        """Whitespace tokens, punctuation attached (used for ratios over 'all words')."""
        return self._get("tokens", self._text.split)

    @property
    def lines(self) -> list[str]:
        """Non-empty stripped lines."""
        return self._get("lines", lambda: [s for s in (x.strip() for x in self._text.split("\n")) if s])

    @property
    def paragraphs(self) -> list[str]:
        return self._get(
            "paragraphs",
            lambda: [s for s in (p.strip() for p in PARAGRAPH_SPLIT_RE.split(self._text)) if s],
        )

    @property
    def no_space_language(self) -> bool:
        """Word-based rules are meaningless where words are not space-separated."""
        return self.language in NO_SPACE_LANGS
