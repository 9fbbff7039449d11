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
rotation), so vectors of a day can be recomputed from its texts at any time.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from functools import cache

import numpy as np
import regex

from freshdata.quality.embed import MAX_UNK_SHARE, StaticEmbedder, load_model

DIM = 128
MEANING_DIMS = 64
WORDING_DIMS = DIM - MEANING_DIMS
MEANING_WEIGHT = 0.3  # share of the cosine from the meaning block (benchmarks/bench_semantic.py chose it)
MAX_CHARS = 20_000  # a long document's start says what it is about; bounds the cost
ROTATION_SEED = 20261202
RARITY = 30.0  # a' = a / RARITY in the wording weights (see the module docstring)
# a word: letters/digits run; Han, kana and Thai characters count one by one (no spaces between words)
_WORD = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}]|\w+")


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
        self._bucket: dict[str, tuple[int, float]] = {}
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

    def wording(self, text: str) -> np.ndarray:
        """Unit feature-hashed vector of word unigrams and bigrams (lower-cased), sqrt counts."""
        words = [w.lower() for w in _WORD.findall(text[:MAX_CHARS])]
        weight = {w: self.weight(w) for w in set(words)}
        counts = Counter(words)
        counts.update(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))
        out = np.zeros(WORDING_DIMS, dtype=np.float32)
        bucket = self._bucket
        for feature, n in counts.items():
            a, _, b = feature.partition(" ")
            fw = min(weight[a], weight[b]) if b else weight[a]
            hit = bucket.get(feature)
            if hit is None:
                h = _hash(feature)
                hit = (h % WORDING_DIMS, 1.0 if (h >> 32) & 1 else -1.0)
                if len(bucket) < 2_000_000:  # a cache of hashes; bounded memory
                    bucket[feature] = hit
            out[hit[0]] += hit[1] * fw * np.sqrt(n)
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
