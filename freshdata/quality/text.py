"""Cheap text views shared by operators: computed once per text version, invalidated on edits.

Words are split per script (the stage must run >= 300 docs/s/core, so the common path stays one `re` scan):
- Latin, Cyrillic, Greek, Hangul, Armenian, Georgian: `re` `\\w+` (space-separated, no combining marks in
  NFC text; Korean words are space-separated eojeol);
- scripts written without spaces (Chinese, Japanese, Thai, Lao, Khmer, Myanmar, Tibetan): ICU word
  breaking with its dictionaries (icu4py), keeping segments that contain a letter or digit;
- every other script (abugidas such as Devanagari or Bengali, Arabic, Hebrew, ...): runs of letters,
  combining marks, digits and joiners (the `regex` module's Unicode `\\w`; `re`'s `\\w` has no marks and
  cuts Hindi words at every vowel sign).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import numpy as np
import regex
from icu4py.breakers import WordBreaker
from icu4py.locale import Locale

from .types import QualityDoc, TagValue

LETTER_RE = re.compile(r"[^\W\d_]")  # a letter in any script
WORD_RE = re.compile(r"\w+")  # apostrophes split words; ~20% faster than handling them
# Unicode \w of the `regex` module = letters + marks (Mn/Mc/Me) + digits + connectors + ZWJ/ZWNJ
WORD_WITH_MARKS_RE = regex.compile(r"\w+")
HAS_WORD_CHAR_RE = re.compile(r"[^\W_]")
PARAGRAPH_SPLIT_RE = re.compile(r"\n\s*\n")
_LOWER_SPLITS = "\u0130"  # 'İ'.lower() == 'i' + U+0307 (2 chars, the 2nd not \w)

# ISO 15924 codes of the scripts we tell apart, by the Unicode blocks that hold their letters.
# (Blocks, not the Script property: a block lookup is one numpy gather; the few letters of another script
# inside a block do not change which script dominates a text.)
SCRIPT_BLOCKS: dict[str, tuple[tuple[int, int], ...]] = {
    "Latn": ((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x1E00, 0x1EFF), (0x2C60, 0x2C7F),
             (0xA720, 0xA7FF), (0xAB30, 0xAB6F), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)),
    "Grek": ((0x370, 0x3FF), (0x1F00, 0x1FFF)),
    "Cyrl": ((0x400, 0x52F), (0x1C80, 0x1C8F), (0x2DE0, 0x2DFF), (0xA640, 0xA69F)),
    "Armn": ((0x530, 0x58F), (0xFB13, 0xFB17)),
    "Hebr": ((0x590, 0x5FF), (0xFB1D, 0xFB4F)),
    "Arab": ((0x600, 0x6FF), (0x750, 0x77F), (0x8A0, 0x8FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
    "Syrc": ((0x700, 0x74F),),
    "Thaa": ((0x780, 0x7BF),),
    "Nkoo": ((0x7C0, 0x7FF),),
    "Deva": ((0x900, 0x97F), (0xA8E0, 0xA8FF)),
    "Beng": ((0x980, 0x9FF),),
    "Guru": ((0xA00, 0xA7F),),
    "Gujr": ((0xA80, 0xAFF),),
    "Orya": ((0xB00, 0xB7F),),
    "Taml": ((0xB80, 0xBFF),),
    "Telu": ((0xC00, 0xC7F),),
    "Knda": ((0xC80, 0xCFF),),
    "Mlym": ((0xD00, 0xD7F),),
    "Sinh": ((0xD80, 0xDFF),),
    "Thai": ((0xE00, 0xE7F),),
    "Laoo": ((0xE80, 0xEFF),),
    "Tibt": ((0xF00, 0xFFF),),
    "Mymr": ((0x1000, 0x109F), (0xA9E0, 0xA9FF), (0xAA60, 0xAA7F)),
    "Geor": ((0x10A0, 0x10FF), (0x1C90, 0x1CBF), (0x2D00, 0x2D2F)),
    "Hang": ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xFFA0, 0xFFDC)),
    "Ethi": ((0x1200, 0x139F), (0x2D80, 0x2DDF), (0xAB00, 0xAB2F)),
    "Cher": ((0x13A0, 0x13FF), (0xAB70, 0xABBF)),
    "Cans": ((0x1400, 0x167F), (0x18B0, 0x18FF)),
    "Khmr": ((0x1780, 0x17FF), (0x19E0, 0x19FF)),
    "Mong": ((0x1800, 0x18AF),),
    "Tfng": ((0x2D30, 0x2D7F),),
    "Hira": ((0x3041, 0x309F),),
    "Kana": ((0x30A0, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F)),
    "Bopo": ((0x3100, 0x312F), (0x31A0, 0x31BF)),
    "Hani": ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FFFF)),
}
_SCRIPT_CODES = ("Zyyy", *SCRIPT_BLOCKS)  # index 0: no letter of a known script (digits, symbols)
_SCRIPT_OF_CP = np.zeros(0x30000, dtype=np.uint8)
for _i, _blocks in enumerate(SCRIPT_BLOCKS.values(), start=1):
    for _lo, _hi in _blocks:
        _SCRIPT_OF_CP[_lo : _hi + 1] = _i
_IDX = {code: i for i, code in enumerate(_SCRIPT_CODES)}
_KANA = (_IDX["Hira"], _IDX["Kana"])
_CJK = (_IDX["Hani"], _IDX["Hira"], _IDX["Kana"], _IDX["Bopo"])
_ASCII_LETTERS = bytes(range(65, 91)) + bytes(range(97, 123))
SCRIPT_SAMPLE_CHARS = 5_000  # enough to find the dominant script of any page; caps the cost of huge ones

# Space-free scripts -> the ICU locale whose dictionary segments them.
ICU_LOCALE_OF_SCRIPT = {"Hani": "zh", "Jpan": "ja", "Thai": "th", "Laoo": "lo", "Khmr": "km",
                        "Mymr": "my", "Tibt": "bo"}
# Space-separated scripts whose NFC letters carry no combining marks: the fast `re` path.
SPACE_SCRIPTS_WITHOUT_MARKS = frozenset({"Latn", "Cyrl", "Grek", "Hang", "Armn", "Geor", "Cher", "Zyyy"})


def detect_script(text: str) -> str:
    """Dominant ISO 15924 script of the letters in `text` ('Zyyy' when it has none).

    Japanese mixes kana with Han characters: a text whose CJK letters are >= 10 % kana is 'Jpan';
    Korean is 'Hang' (Han characters in it are rare); Chinese is 'Hani'.
    """
    sample = text[:SCRIPT_SAMPLE_CHARS]
    if not sample:
        return "Zyyy"
    # fast path: more than half of all characters are ASCII letters, so Latin dominates the letters
    head = sample[:2000]
    ascii_bytes = head.encode("ascii", "ignore")
    if 2 * (len(ascii_bytes) - len(ascii_bytes.translate(None, _ASCII_LETTERS))) > len(head):
        return "Latn"
    cps = np.frombuffer(sample.encode("utf-32-le"), dtype=np.uint32)
    counts = np.bincount(_SCRIPT_OF_CP[np.minimum(cps, 0x2FFFF)], minlength=len(_SCRIPT_CODES))
    counts[0] = 0
    best = int(counts.argmax())
    if counts[best] == 0:
        return "Zyyy"
    if best in _CJK:
        cjk = int(counts[list(_CJK)].sum())
        kana = int(counts[list(_KANA)].sum())
        if cjk >= counts.max() and kana * 10 >= cjk:
            return "Jpan"
        return "Hani"
    return _SCRIPT_CODES[best]


def icu_words(text: str, locale: str) -> list[str]:
    """ICU dictionary word segments of `text` that contain a letter or digit (no spaces, punctuation)."""
    has_word_char = HAS_WORD_CHAR_RE.search
    segments = (text[a:b] for a, b in WordBreaker(text, Locale(locale)).segments())
    return [s for s in segments if has_word_char(s)]


def split_words(text: str, script: str) -> list[str]:
    """Words of `text` written in `script` (see the module docstring for the three ways)."""
    if script in SPACE_SCRIPTS_WITHOUT_MARKS:
        return WORD_RE.findall(text)
    locale = ICU_LOCALE_OF_SCRIPT.get(script)
    if locale is not None:
        return icu_words(text, locale)
    return WORD_WITH_MARKS_RE.findall(text)


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
        """text = text.strip(), keeping the whitespace tokens and script (stripping cannot change them)."""
        kept = {k: self._cache[k] for k in ("tokens", "script") if k in self._cache}
        self.text = self._text.strip()
        self._cache.update(kept)

    def _get(self, key: str, fn) -> Any:
        try:
            return self._cache[key]
        except KeyError:
            v = self._cache[key] = fn()
            return v

    @property
    def script(self) -> str:
        """Dominant ISO 15924 script of the current text (decides how words are split)."""
        return self._get("script", lambda: detect_script(self._text))

    @property
    def _fast_words(self) -> bool:
        """True when words are `re` \\w+ runs (Latin, Cyrillic, ...): the lower-casing shortcut holds."""
        return self.script in SPACE_SCRIPTS_WITHOUT_MARKS

    @property
    def words(self) -> list[str]:
        """Alphanumeric words (symbols/punctuation dropped) — datatrove's 'non-symbol words'."""
        return self._get("words", lambda: split_words(self._text, self.script))

    @property
    def words_lower(self) -> list[str]:
        """= [w.lower() for w in self.words]."""
        return self._get("words_lower", self._words_lower)

    def _words_lower(self) -> list[str]:
        if self._fast_words and _LOWER_SPLITS not in self._text:
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
        return self._get("word_chars", self._word_chars)

    def _word_chars(self) -> int:
        fast = self._fast_words and _LOWER_SPLITS not in self._text
        return sum(map(len, self.words_lower if fast else self.words))

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
    def space_separated(self) -> bool:
        """False for scripts written without spaces: whitespace tokens are not words there."""
        return self.script not in ICU_LOCALE_OF_SCRIPT
