"""Document vectors for semantic duplicates and stories: 128 floats, unit length, two blocks.

* meaning (64 dims): the SIF-weighted mean of the shipped static mUSE token vectors (quality/embed.py),
  centred like the topic model's features and turned by a fixed random rotation down to 64 dims. It sees
  paraphrase and translation, but two articles on one topic are close in it too.
* wording (64 dims): hashed word unigrams and bigrams (feature hashing with a sign bit, sublinear counts),
  which tells a rewrite of *this* article (most bigrams shared) from another article on its topic. Each word
  is weighted by how rare it is: a sharper SIF weight a'/(a' + p) of its rarest SentencePiece piece, p from the
  shipped weights (w = a/(a + p), so p/a = (1 - w)/w) and a' = a / RARITY; a bigram takes its rarer word's
  weight. Function words ("the", "der", "de") then weigh ~0.03-0.2, names and content words ~1: two unrelated
  articles in one language no longer look alike through their shared function words.

The cosine of two vectors is MEANING_WEIGHT x meaning cosine + (1 - MEANING_WEIGHT) x wording cosine. A text
in a script the mUSE vocabulary does not cover (embed.COVERED_SCRIPTS; mostly <unk> pieces) gets a zero meaning
block and its wording block alone at unit length. Everything is deterministic (blake2b hashes, seeded
rotation, splitmix64 for bigrams), so a day's vectors can be recomputed from its texts at any time.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache

import numpy as np

from freshdata.quality.embed import MAX_UNK_SHARE, StaticEmbedder, load_model

DIM = 128
MEANING_DIMS = 64
WORDING_DIMS = DIM - MEANING_DIMS
MEANING_WEIGHT = 0.3  # share of the cosine from the meaning block (benchmarks/bench_semantic.py chose it)
MAX_CHARS = 20_000  # a long document's start says what it is about; bounds the cost
ROTATION_SEED = 20261202
RARITY = 30.0  # a' = a / RARITY in the wording weights (see the module docstring)
# a word: letters/digits run; Han, kana and Thai characters count one by one (no spaces between words)
_WORD = re.compile("[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|\\w+")
_K = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer (uint64 arrays): spreads a bigram's combined hash over all bits."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _hash(feature: str) -> int:
    return int.from_bytes(hashlib.blake2b(feature.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


class Vectorizer:
    """Text -> (128-d document vector, 128-d meaning vector for personas)."""

    def __init__(self) -> None:
        model = load_model()
        self.embedder: StaticEmbedder = model.embedder
        self.center = model.center
        rotation = np.linalg.qr(np.random.default_rng(ROTATION_SEED).standard_normal((DIM, DIM)))[0]
        self.rotation = rotation[:, :MEANING_DIMS].astype(np.float32)
        self._words: dict[str, tuple[int, float]] = {}
        self._word_weight: dict[str, float] = {}
        w = np.clip(self.embedder.weights.astype(np.float64), 1e-6, 1.0)
        p_over_a = (1.0 - w) / w
        sharp = 1.0 / (1.0 + RARITY * p_over_a)
        sharp[self.embedder.weights <= 0] = 0.0  # control pieces and <unk>: no evidence
        self.piece_weight = sharp.astype(np.float32)
        self.word_boundary = self.embedder.sp.piece_to_id("\u2581")

    def weight(self, word: str) -> float:
        """Rarity weight of a (lower-cased) word: that of its rarest piece; 1 for a word of <unk> pieces only."""
        hit = self._word_weight.get(word)
        if hit is None:
            ids = [i for i in self.embedder.sp.encode(word) if i != self.word_boundary]
            weights = [float(self.piece_weight[i]) for i in ids if i != self.embedder.unk_id]
            hit = max(weights) if weights else 1.0
            if len(self._word_weight) < 2_000_000:  # a cache; bounded memory
                self._word_weight[word] = hit
        return hit

    def meaning(self, text: str) -> np.ndarray | None:
        """Centred unit SIF mean of the token vectors (128-d), None when the text is mostly <unk> or empty."""
        vec, unk = self.embedder.embed(text[:MAX_CHARS])
        if vec is None or unk > MAX_UNK_SHARE:
            return None
        x = vec - self.center
        n = float(np.sqrt(x @ x))
        return x / n if n > 0 else None

    def _word(self, word: str) -> tuple[int, float]:
        """(64-bit hash, rarity weight) of a lower-cased word, cached."""
        hit = self._words.get(word)
        if hit is None:
            hit = (_hash(word), self.weight(word))
            if len(self._words) < 2_000_000:  # a cache; bounded memory
                self._words[word] = hit
        return hit

    def wording(self, text: str) -> np.ndarray:
        """Unit feature-hashed vector of word unigrams and bigrams (lower-cased), sqrt counts, rarity weights.

        Vectorized: a bigram's hash mixes its words' hashes (splitmix64 of h(a) * K + h(b)); a feature goes to
        bucket hash % 64 with sign bit 32 of its hash."""
        words = _WORD.findall(text[:MAX_CHARS].lower())
        if not words:
            return np.zeros(WORDING_DIMS, dtype=np.float32)
        pairs = [self._word(w) for w in words]
        h = np.fromiter((p[0] for p in pairs), dtype=np.uint64, count=len(pairs))
        w = np.fromiter((p[1] for p in pairs), dtype=np.float64, count=len(pairs))
        with np.errstate(over="ignore"):
            bigrams = _mix(h[:-1] * _K + h[1:])
        feats = np.concatenate([h, bigrams])
        weights = np.concatenate([w, np.minimum(w[:-1], w[1:])])
        uniq, first, counts = np.unique(feats, return_index=True, return_counts=True)
        sign = np.where((uniq >> np.uint64(32)) & np.uint64(1), 1.0, -1.0)
        values = sign * weights[first] * np.sqrt(counts)
        out = np.bincount((uniq % np.uint64(WORDING_DIMS)).astype(np.intp), weights=values,
                          minlength=WORDING_DIMS).astype(np.float32)
        norm = float(np.sqrt(out @ out))
        return out / norm if norm > 0 else out

    def vectors(self, text: str) -> tuple[np.ndarray, np.ndarray | None]:
        """(document vector, unit length or all zeros for an empty text; meaning vector or None)."""
        meaning = self.meaning(text)
        wording = self.wording(text)
        if meaning is None:
            doc = np.concatenate([np.zeros(MEANING_DIMS, dtype=np.float32), wording])
        else:
            m = meaning @ self.rotation
            m /= max(float(np.sqrt(m @ m)), 1e-12)
            doc = np.concatenate([np.sqrt(MEANING_WEIGHT) * m, np.sqrt(1 - MEANING_WEIGHT) * wording])
        norm = float(np.sqrt(doc @ doc))
        return (doc / norm if norm > 0 else doc).astype(np.float32), meaning


def quantize(vectors: np.ndarray) -> np.ndarray:
    """Unit float vectors -> int8 codes (x127), what the index stores and the catalog keeps (128 B a doc)."""
    return np.clip(np.rint(np.asarray(vectors, dtype=np.float32) * 127.0), -127, 127).astype(np.int8)


def cosine_i8(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosines between rows of two int8 code matrices (as the index computes them)."""
    af, bf = a.astype(np.float32), b.astype(np.float32)
    na = np.sqrt((af * af).sum(1))
    nb = np.sqrt((bf * bf).sum(1))
    return (af @ bf.T) / np.maximum(np.outer(na, nb), 1e-12)


@cache
def vectorizer() -> Vectorizer:
    return Vectorizer()
