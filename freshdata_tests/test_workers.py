"""Worker pools: chunked maps keep input order, and the pooled dedup features equal the in-process ones."""

from __future__ import annotations

import random

import numpy as np
import pytest

from freshdata import workers
from freshdata.dedup import DedupConfig
from freshdata.dedup.core import DedupDoc, features


def _square_all(items):
    return [x * x for x in items]


@pytest.mark.parametrize("n", [0, 5, 1000])
def test_map_chunks_keeps_order(n):
    assert workers.map_chunks(_square_all, list(range(n)), [], workers=2) == [x * x for x in range(n)]


def test_dedup_features_pooled_equal_in_process(monkeypatch):
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(300)]
    docs = [DedupDoc(f"d{i}", " ".join(rng.choice(vocab) for _ in range(rng.randint(0, 120))), (i,))
            for i in range(240)]
    cfg = DedupConfig()
    monkeypatch.setattr(workers, "PARALLEL_MIN_ITEMS", 10**9)
    alone = features(docs, cfg)
    monkeypatch.setattr(workers, "PARALLEL_MIN_ITEMS", 1)
    pooled = features(docs, cfg)
    assert pooled.doc_ids == alone.doc_ids and pooled.norm_texts == alone.norm_texts
    for name in ("text_hash", "sigs", "too_short", "n_words"):
        assert np.array_equal(getattr(pooled, name), getattr(alone, name)), name
    assert alone.too_short.any() and not alone.too_short.all()
