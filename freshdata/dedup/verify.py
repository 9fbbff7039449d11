"""Exact verification of borderline candidates: the Jaccard of the two docs' shingle sets.

The signatures estimate Jaccard with sd ~0.04 at J=0.8 (112 permutations), so candidates near the threshold
would land on either side at random. Candidates whose estimate lies in [threshold - margin,
threshold + margin) are decided by the exact Jaccard over the same shingles the signatures are built from
(normalized words, word n-grams, sha1_hash32 ids). Cost is proportional to the number of such candidates.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections import OrderedDict
from collections.abc import Callable

import duckdb
import numpy as np

from freshdata import store
from freshdata.dedup.config import DedupConfig
from freshdata.dedup.minhash import shingle_hashes, shingles
from freshdata.dedup.normalize import normalize, text_hash

#: doc_ids of history docs -> their text (ids it cannot resolve may be left out). A callback that has a
#: parameter named `day` is also given the history day those doc_ids were indexed on (every call asks for
#: the docs of one day), so it can read that day's rows only.
HistoryTexts = Callable[..., dict[str, str]]

#: shingle sets of history docs kept between walk rounds (a template page is often borderline for many docs)
_HISTORY_LRU = 4096


def _takes_day(fn: Callable) -> bool:
    try:
        return "day" in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # a builtin without a signature
        return False


def shingle_set(normalized: str, ngram: int) -> np.ndarray:
    """Sorted unique sha1_hash32 ids of the word n-grams: the set the MinHash signature summarizes."""
    return np.unique(shingle_hashes(shingles(normalized.split(), ngram)))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    inter = np.intersect1d(a, b, assume_unique=True).size
    union = a.size + b.size - inter
    return inter / union if union else 1.0


class Verifier:
    """Decides borderline candidates exactly. Disabled (no-op) when margin is 0 or texts are not in hand."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        cfg: DedupConfig,
        norm_texts: list[str] | None,
        history_texts: HistoryTexts | None,
        stats: dict,
    ) -> None:
        self.con = con
        self.ngram = cfg.ngram
        self.lo = cfg.threshold - cfg.verify_margin
        self.hi = cfg.threshold + cfg.verify_margin
        self.norm_texts = norm_texts
        self.enabled = cfg.verify_margin > 0 and norm_texts is not None
        self.history_texts = history_texts if self.enabled else None
        self._texts_take_day = history_texts is not None and _takes_day(history_texts)
        self.stats = stats
        for k in ("verified_pairs", "verified_changed", "verify_fetches", "verify_text_unavailable"):
            stats.setdefault(k, 0)
        self._day_sets: dict[int, np.ndarray] = {}
        self._day_pairs: dict[tuple[int, int], float] = {}  # a pair can meet again in another band
        self._hist_sets: OrderedDict[tuple[int, int], np.ndarray | None] = OrderedDict()
        self._hist_ids: dict[tuple[int, int], str] = {}

    def borderline(self, sim: np.ndarray) -> np.ndarray:
        return (sim >= self.lo) & (sim < self.hi)

    def _count(self, est: float, exact: float, thr: float) -> None:
        self.stats["verified_pairs"] += 1
        self.stats["verified_changed"] += int((est >= thr) != (exact >= thr))

    def day_set(self, i: int) -> np.ndarray:
        s = self._day_sets.get(i)
        if s is None:
            assert self.norm_texts is not None
            s = self._day_sets[i] = shingle_set(self.norm_texts[i], self.ngram)
        return s

    # ---------- within the day ----------
    def first_match(self, i: int, others: np.ndarray, est: np.ndarray, thr: float) -> tuple[int, float] | None:
        """First (position, similarity) among `others` (ascending ord) that matches doc i, or None.

        Estimates >= threshold + margin are accepted and below threshold - margin rejected as they are;
        in between, the exact Jaccard decides. Stops at the first match (earliest wins)."""
        for k in np.flatnonzero(est >= self.lo):
            e = float(est[k])
            if e >= self.hi:
                return int(k), e
            pair = (int(others[k]), i)
            j = self._day_pairs.get(pair)
            if j is None:
                j = self._day_pairs[pair] = jaccard(self.day_set(i), self.day_set(pair[0]))
                self._count(e, j, thr)
            if j >= thr:
                return int(k), j
        return None

    # ---------- against history ----------
    def history_jaccard(
        self,
        di: int,
        day: dt.date,
        docs: np.ndarray,
        ords: np.ndarray,
        hist_th: np.ndarray,
        est: np.ndarray,
        thr: float,
    ) -> np.ndarray:
        """Exact Jaccard of (new doc, history doc of `day`) pairs; NaN where the history text is not
        available (no callback, id unknown to it, or its text no longer hashes to the stored text_hash).

        One doc_id query and one callback per batch for the history docs not cached yet."""
        out = np.full(len(docs), np.nan)
        if self.history_texts is None or not len(docs):
            return out
        needed = sorted({int(o) for o in ords})
        for o in needed:  # touch the cached ones first so that filling the rest cannot evict them
            if (di, o) in self._hist_sets:
                self._hist_sets.move_to_end((di, o))
        want = [o for o in needed if (di, o) not in self._hist_sets]
        if want:
            missing_ids = [o for o in want if (di, o) not in self._hist_ids]
            if missing_ids:
                rows = store.run(self.con, "select_dedup_doc_ids", {"day": day, "ords": missing_ids}).fetchall()
                self._hist_ids.update({(di, int(o)): i for o, i in rows})
            ids = [self._hist_ids[(di, o)] for o in want if (di, o) in self._hist_ids]
            texts = {}
            if ids:
                texts = self.history_texts(ids, day=day) if self._texts_take_day else self.history_texts(ids)
            self.stats["verify_fetches"] += 1
            th_of = {int(o): int(t) for o, t in zip(ords, hist_th, strict=True)}
            for o in want:
                doc_id = self._hist_ids.get((di, o))
                t = texts.get(doc_id) if doc_id is not None else None
                s = None
                if t is not None:
                    norm = normalize(t)
                    if text_hash(norm) == th_of[o]:  # the text the signature was computed from
                        s = shingle_set(norm, self.ngram)
                self._hist_sets[(di, o)] = s
            while len(self._hist_sets) > max(_HISTORY_LRU, len(needed)):
                self._hist_sets.popitem(last=False)
        for k, (d, o) in enumerate(zip(docs, ords, strict=True)):
            key = (di, int(o))
            s = self._hist_sets[key]
            if s is None:
                self.stats["verify_text_unavailable"] += 1
                continue
            out[k] = jaccard(self.day_set(int(d)), s)
            self._count(float(est[k]), float(out[k]), thr)
        return out
