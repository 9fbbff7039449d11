"""Tags that are not filters: URL/domain facts, a cheap quality score, topic and format (see embed.py).

Everything here is a pure function of text + url + config (tldextract uses its bundled suffix
snapshot; no network), so re-running gives identical tags.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import numpy as np
import tldextract
import yaml
from pydantic import Field

from .embed import UNKNOWN, TopicFormatModel, keyword_features, load_model
from .registry import Operator, Params, register
from .text import WORD_RE, DocContext


@cache
def _extractor() -> tldextract.TLDExtract:
    # suffix_list_urls=() + cache_dir=None: only the snapshot shipped inside tldextract, no HTTP, no disk
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


def registered_domain(url: str) -> str | None:
    """eTLD+1 of the URL host (IP hosts returned as-is), offline."""
    host = urlsplit(url).hostname
    if not host:
        return None
    ext = _extractor()(host)
    if ext.ipv4 or ext.ipv6:
        return host
    return ext.top_domain_under_public_suffix or host


def url_path_depth(url: str) -> int:
    """Number of non-empty path segments: '/' -> 0, '/a/b.html' -> 2."""
    return sum(1 for seg in urlsplit(url).path.split("/") if seg)


def fetch_lag_hours(published_at: datetime | None, fetched_at: datetime) -> float | None:
    """Hours between publication and our fetch (naive datetimes are taken as UTC)."""
    if published_at is None:
        return None
    a, b = published_at, fetched_at
    if (a.tzinfo is None) != (b.tzinfo is None):
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    return round((b - a).total_seconds() / 3600.0, 4)


# ---------------------------------------------------------------- quality score
class QualityScoreParams(Params):
    pass


def quality_score(stats: dict[str, float], language: str | None) -> float:
    """Cheap 0..1 proxy: product of soft penalties on the gopher/fineweb stats that exist.

    Not a learned classifier; it ranks obviously clean prose above boilerplate and spam.
    """
    score = 1.0
    n_words = stats.get("gopher_quality.n_words")
    if n_words is not None:
        score *= min(1.0, math.log10(max(n_words, 1)) / math.log10(500))  # saturates at 500 words
    awl = stats.get("gopher_quality.avg_word_length")
    if awl is not None and not 3.5 <= awl <= 7.5:
        score *= 0.7
    alpha = stats.get("gopher_quality.alpha_words_ratio")
    if alpha is not None:
        score *= min(1.0, alpha / 0.9)
    if language in (None, "en") and n_words:
        stop = stats.get("gopher_quality.stop_words", 0.0) / n_words
        score *= min(1.0, stop / 0.08)  # typical English prose: ~10% of words are these 8 stop words
    punct = stats.get("fineweb_quality.line_punct_ratio")
    if punct is not None:
        score *= 0.5 + 0.5 * min(1.0, punct / 0.6)
    for key in ("gopher_repetition.dup_line_char_frac", "gopher_repetition.dup_5_gram_char_frac"):
        v = stats.get(key)
        if v is not None:
            score *= max(0.0, 1.0 - 2 * v)
    removed = stats.get("c4_lines.chars_removed_frac")
    if removed is not None:
        score *= 1.0 - 0.5 * removed
    return round(max(0.0, min(1.0, score)), 4)


@register("quality_score")
class QualityScore(Operator):
    """Tags `quality_score` from stats computed by earlier operators (put it late in the recipe)."""

    Params = QualityScoreParams

    def compute(self, ctx: DocContext) -> dict[str, float]:
        s = quality_score(ctx.stats, ctx.language)
        ctx.tags["quality_score"] = s
        return {}


# ---------------------------------------------------------------- topic / format
TOKEN_RE = WORD_RE  # same tokens as DocContext.words_lower, so keyword tables and docs agree


class Taxonomy:
    """The 24 topics x 24 formats (names, descriptions) and the English keyword/URL rule tagger over them."""

    def __init__(self, path: Path) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.topics = self._build(data["topics"])
        self.formats = self._build(data["formats"])
        self.descriptions = {
            "topics": {c["name"]: c["description"] for c in data["topics"]},
            "formats": {c["name"]: c["description"] for c in data["formats"]},
        }
        self.keyword_vocab = frozenset().union(
            *(t["words"].keys() | t["phrases_by_token"].keys() for t in (self.topics, self.formats))
        )
        self.default_topic = data.get("default_topic", data["topics"][0]["name"])
        self.default_format = data.get("default_format", data["formats"][0]["name"])

    @staticmethod
    def _build(cats: list[dict]) -> dict:
        words: dict[str, list[tuple[str, float]]] = {}
        phrases: list[tuple[str, str, float, frozenset[str]]] = []
        urls: list[tuple[re.Pattern[str], str, float]] = []
        url_literals: list[tuple[str, re.Pattern[str], str, float]] = []  # (literal, pattern, name, weight)
        for c in cats:
            name = c["name"]
            for entry in c.get("keywords", []):
                kw, w = (entry, 1.0) if isinstance(entry, str) else (entry[0], float(entry[1]))
                toks = TOKEN_RE.findall(kw.lower())
                if len(toks) == 1:
                    words.setdefault(toks[0], []).append((name, w))
                elif toks:
                    # matched on whole tokens: " is a " never hits "this attack"
                    phrases.append((" " + " ".join(toks) + " ", name, w, frozenset(toks)))
            for entry in c.get("url", []):
                pat = entry.lower()
                # '/art' must not match '/articles': a pattern ending in a letter needs a non-letter after it
                tail = "(?![a-z])" if pat[-1:].isalpha() else ""
                urls.append((re.compile(re.escape(pat) + tail), name, 3.0))
                url_literals.append((pat, urls[-1][0], name, 3.0))
        names = [c["name"] for c in cats]
        by_token: dict[str, list] = {}  # each phrase filed under its first token (model features only)
        for ph in phrases:
            by_token.setdefault(ph[0].split()[0], []).append(ph)
        return {"words": words, "phrases": phrases, "urls": urls, "names": names,
                "index": {n: i for i, n in enumerate(names)}, "phrases_by_token": by_token,
                "url_literals": url_literals}

    @staticmethod
    def _score(table: dict, counts: Counter, norm: str, url_low: str) -> tuple[str | None, float]:
        scores: dict[str, float] = {}
        for word, n in counts.items():
            for name, w in table["words"].get(word, ()):
                # sublinear in repetitions so one repeated word cannot dominate
                scores[name] = scores.get(name, 0.0) + w * (1.0 + math.log(n))
        for phrase, name, w, toks in table["phrases"]:
            if not counts.keys() >= toks:  # cheap: skip the string scan when a token is absent
                continue
            n = norm.count(phrase)
            if n:
                scores[name] = scores.get(name, 0.0) + w * (1.0 + math.log(n))
        for pat, name, w in table["urls"]:
            if pat.search(url_low):
                scores[name] = scores.get(name, 0.0) + w
        if not scores:
            return None, 0.0
        best = max(table["names"], key=lambda n: (scores.get(n, 0.0), -table["names"].index(n)))
        total = sum(scores.values())
        return best, round(scores[best] / total, 4)

    @staticmethod
    def _vector(table: dict, counts: Counter, hits: list[str], norm: list[str], url_low: str) -> np.ndarray:
        """Keyword/URL-rule score of every category of `table` (the mass `_score` takes the best of).

        hits: the document's words that occur in any keyword table (sorted, so float sums never depend on
        hashing); norm: [" token token ... "] built lazily, only when a phrase could match.
        """
        pos = table["index"]
        v = np.zeros(len(pos), dtype=np.float32)
        words, by_first = table["words"], table["phrases_by_token"]
        for word in hits:
            entries = words.get(word)
            if entries:
                f = 1.0 + math.log(counts[word])
                for name, w in entries:
                    v[pos[name]] += w * f
            for phrase, name, w, toks in by_first.get(word, ()):
                if counts.keys() >= toks:
                    if not norm[0]:
                        norm[0] = " " + " ".join(norm[1]) + " "
                    n = norm[0].count(phrase)
                    if n:
                        v[pos[name]] += w * (1.0 + math.log(n))
        for lit, pat, name, w in table["url_literals"]:
            if lit in url_low and pat.search(url_low):  # substring test first: most patterns are absent
                v[pos[name]] += w
        return v

    def score_vectors(self, url: str, tokens: list[str], counts: Counter) -> tuple[np.ndarray, np.ndarray]:
        """(topic scores, format scores) of the keyword/URL rules, features of the model tagger."""
        hits = sorted(self.keyword_vocab.intersection(counts))
        norm: list = ["", tokens]
        parts = urlsplit(url.lower())
        url_low = parts.path + ("?" + parts.query if parts.query else "")
        host = parts.hostname or ""
        topic = self._vector(self.topics, counts, hits, norm, host + url_low)
        return topic, self._vector(self.formats, counts, hits, norm, url_low)

    def tag(
        self, text: str, url: str, tokens: list[str] | None = None, counts: Counter | None = None
    ) -> tuple[str, float, str, float]:
        """(topic, topic confidence, format, format confidence); confidence = share of keyword mass.

        tokens/counts: lower-cased words already computed by the caller (saves a pass over the text).
        """
        if tokens is None:
            tokens = TOKEN_RE.findall(text.lower())
        if counts is None:
            counts = Counter(tokens)
        norm = " " + " ".join(tokens) + " "
        parts = urlsplit(url.lower())
        url_low = parts.path + ("?" + parts.query if parts.query else "")
        host = parts.hostname or ""
        topic, ts = self._score(self.topics, counts, norm, host + url_low)
        fmt, fs = self._score(self.formats, counts, norm, url_low)
        return topic or self.default_topic, ts, fmt or self.default_format, fs


@cache
def load_taxonomy(path: Path) -> Taxonomy:
    return Taxonomy(path)


class TopicFormatParams(Params):
    taxonomy_file: str | None = None
    # "model": static multilingual embeddings + classifiers fitted on labelled examples (embed.py), every
    # language whose script the model covers; "keywords": the English keyword/URL rules of taxonomy.yaml.
    method: Literal["model", "keywords"] = "model"
    # directory with sp.model, vectors.npz, classifier.npz (None = the packaged data/topic_model/)
    model_dir: str | None = None
    # characters of the text that are embedded (cost is linear in it; the lead carries the topic);
    # None = the value the classifier was fitted with (1500)
    max_chars: int | None = Field(default=None, ge=100)
    # languages to tag; other documents get topic/format `unknown`. Empty list = every language.
    languages: list[str] = []


@register("topic_format")
class TopicFormat(Operator):
    """Tags `topic` and `format` (+ confidences); `unknown` where the model cannot place a document.

    Never NULL: a document in a script the model does not cover (or outside `languages`) is `unknown`
    with score 0.0.
    """

    Params = TopicFormatParams

    def __init__(self, params: TopicFormatParams, base_dir: Path) -> None:
        super().__init__(params, base_dir)
        self.path = self.resolve(params.taxonomy_file, "taxonomy.yaml")
        self.taxonomy = load_taxonomy(self.path)
        self.model: TopicFormatModel | None = None
        self.model_dir = self.resolve(params.model_dir, "topic_model")
        if params.method == "model":
            self.model = load_model(self.model_dir)
            for kind, have in (("topics", self.model.topics), ("formats", self.model.formats)):
                want = list(self.taxonomy.descriptions[kind])
                if have != want:
                    raise ValueError(f"{self.model_dir}: classifier {kind} differ from {self.path.name}; rebuild it")

    def data_files(self) -> list[Path]:
        if self.model is None:
            return [self.path]
        return [self.path, *(self.model_dir / n for n in ("sp.model", "vectors.npz", "classifier.npz"))]

    def compute(self, ctx: DocContext) -> dict[str, float]:
        langs = self.params.languages
        if langs and ctx.language not in langs:
            ctx.tags.update(topic=UNKNOWN, topic_score=0.0, format=UNKNOWN, format_score=0.0)
            return {}
        if self.model is not None:
            kw = keyword_features(*self.taxonomy.score_vectors(ctx.doc.url, ctx.words_lower, ctx.word_counts))
            p = self.model.predict(ctx.text, ctx.script, self.params.max_chars, kw, ctx.doc.url)
            ctx.tags.update(topic=p.topic, topic_score=p.topic_score, format=p.format, format_score=p.format_score)
            return {}
        topic, ts, fmt, fs = self.taxonomy.tag(ctx.text, ctx.doc.url, ctx.words_lower, ctx.word_counts)
        ctx.tags.update(topic=topic, topic_score=ts, format=fmt, format_score=fs)
        return {}
