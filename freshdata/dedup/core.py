"""dedup_day: decide fresh / exact_duplicate / near_duplicate for one day against all earlier days.

Runs inside the caller's transaction: it deletes and rewrites the day's rows in `dedup_decisions` and
`dedup_days`, and writes the day's signatures file (text_files kind 'signatures', freshdata.texts).
Decisions of day N depend only on days < N and day N itself, so re-running any day (even after later days
exist) reproduces the same rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from freshdata import store, texts
from freshdata.compute import LOCAL, Engine
from freshdata.dedup.cache import IndexCache, Segment, _entries, doc_keys
from freshdata.dedup.config import DedupConfig
from freshdata.dedup.minhash import shingle_hashes, shingles, signatures_from_hashes
from freshdata.dedup.normalize import normalize, text_hash
from freshdata.dedup.verify import HistoryTexts, Verifier
from freshdata.workers import map_chunks

_EMPTY = np.iinfo(np.uint32).max


class DedupParamsMismatch(ValueError):
    """The stored index was built with other MinHash/LSH parameters; its signatures are not comparable."""


@dataclass(frozen=True)
class DedupDoc:
    """One document of the day. order_key decides 'earliest' within the day (e.g. (fetched_at, url))."""

    doc_id: str
    text: str
    order_key: tuple


@dataclass
class DedupSummary:
    """Counts for one decided day (too_short overlaps the three statuses)."""

    day: dt.date
    total: int = 0
    fresh: int = 0
    exact_duplicate: int = 0
    near_duplicate: int = 0
    too_short: int = 0
    run_id: str = ""
    history_days: int = 0
    candidates_checked: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["day"] = self.day.isoformat()
        return d

    def counts(self) -> dict[str, int]:
        """The stage's summary of the day (the asset's metadata)."""
        return {"documents": self.total, "new": self.fresh, "exact_duplicate": self.exact_duplicate,
                "near_duplicate": self.near_duplicate, "too_short": self.too_short}

    def dup_rate(self) -> float:
        """Share of the day's documents that duplicate another, rounded as the UI plots it."""
        return round((self.exact_duplicate + self.near_duplicate) / self.total, 4) if self.total else 0.0


def _fetch(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> list[tuple]:
    # DuckDB 2.0 refuses new work on a connection with an unfinished result: always drain.
    return store.run(con, name, params).fetchall()


def check_params(con: duckdb.DuckDBPyConnection, cfg: DedupConfig) -> None:
    """Store the index parameters on first use; refuse a config whose parameters differ."""
    stored = dict(_fetch(con, "select_dedup_params"))
    wanted = cfg.index_params()
    if not stored:
        for k, v in sorted(wanted.items()):
            _fetch(con, "insert_dedup_param", {"key": k, "value": v})
        return
    if stored != wanted:
        diff = {
            k: (stored.get(k), wanted.get(k))
            for k in sorted(set(stored) | set(wanted))
            if stored.get(k) != wanted.get(k)
        }
        raise DedupParamsMismatch(
            f"dedup index was built with different parameters (stored, configured): {diff}; "
            "use the stored parameters or rebuild the index (drop the dedup_* tables and index_dir)"
        )


def missing_earlier_days(
    con: duckdb.DuckDBPyConnection, day: dt.date, days_with_documents: Sequence[dt.date]
) -> list[dt.date]:
    """Days before `day` that have documents but no dedup decision: deciding `day` now would miss them."""
    decided = {r[0] for r in _fetch(con, "select_dedup_all_days")}
    return sorted({d for d in days_with_documents if d < day and d not in decided})


def decided_days_after(con: duckdb.DuckDBPyConnection, day: dt.date) -> list[dt.date]:
    """Decided days later than `day`. After re-running `day` with different content, their decisions may be
    stale (they were made against the old day): the caller decides whether to re-run them, in order."""
    return [r[0] for r in _fetch(con, "select_dedup_all_days") if r[0] > day]


def _loader(con: duckdb.DuckDBPyConnection, day: dt.date, num_perm: int):
    """Rebuild input for a day's segment, read from the source of truth (the day's signatures file)."""

    def load() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = read_signatures(con, day)
        n = len(rows)
        sigs = np.full((n, num_perm), _EMPTY, dtype=np.uint32)
        th = np.array([r[1] for r in rows], dtype=np.uint64)
        too_short = np.array([r[2] is None for r in rows], dtype=bool)
        for i, (ordinal, _, sig) in enumerate(rows):
            if ordinal != i:
                raise RuntimeError(f"dedup signatures for {day} have a gap at ord {i}")
            if sig is not None:
                sigs[i] = np.frombuffer(sig, dtype="<u4")
        return sigs, th, too_short

    return load


SIGNATURES = texts.SIGNATURES


def read_signatures(con: duckdb.DuckDBPyConnection, day: dt.date) -> list[tuple]:
    """(ord, text_hash, sig) of a decided day, in ord order; no rows when the day has no signatures file."""
    if not store.run(con, "select_text_file", {"day": day, "kind": SIGNATURES}).fetchall():
        return []
    return texts.run(con, "select_dedup_day_signatures", day, SIGNATURES).fetchall()


def _run_id(day: dt.date, cfg: DedupConfig, doc_ids: list[str], th: np.ndarray, sigs: np.ndarray) -> str:
    """Content hash of the cache segment's inputs: same inputs -> same run_id -> cache stays valid."""
    h = hashlib.blake2b(digest_size=12)
    h.update(repr((day.isoformat(), sorted(cfg.index_params().items()))).encode())
    h.update("\x00".join(doc_ids).encode("utf-8", "surrogatepass"))
    h.update(th.astype("<u8").tobytes())
    h.update(sigs.astype("<u4").tobytes())
    return h.hexdigest()


def _history_matches(
    segs: list[tuple[dt.date, Segment]],
    keys: np.ndarray,
    too_short: np.ndarray,
    sigs: np.ndarray,
    th: np.ndarray,
    cache: IndexCache,
    cfg: DedupConfig,
    summary: DedupSummary,
    verifier: Verifier,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Earliest confirmed history match per new doc: (day index or -1, ord, similarity, exact flag).

    Days are visited in ascending order and a doc is settled by the first day that confirms a match.
    Within a day, the entries of one key are stored in ascending ord, so each (doc, key) query walks its
    entries one per round and stops at its first confirmed entry, or as soon as its entries are not
    earlier than the doc's best match so far: a key shared by thousands of template pages costs about
    one check per query instead of thousands.

    Borderline candidates (estimate within verify_margin of the threshold) are decided by their exact
    Jaccard when the history texts are available, batched per (history day, walk round): a candidate
    verified false is simply not confirmed, so its query walks on to its next entry.
    """
    n = len(th)
    best_day = np.full(n, -1, dtype=np.int64)
    best_ord = np.full(n, -1, dtype=np.int64)
    best_sim = np.zeros(n, dtype=np.float64)
    best_exact = np.zeros(n, dtype=bool)
    if not segs or n == 0:
        return best_day, best_ord, best_sim, best_exact
    flat, doc_of = _entries(keys, too_short)
    pos = cache.bloom_contains(flat)
    q32 = (flat[pos] & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    qdoc = doc_of[pos].astype(np.intp)
    by_key = np.argsort(q32, kind="stable")  # sorted probes: better locality in every segment's search
    q32, qdoc = q32[by_key], qdoc[by_key]
    summary.extra["bloom_positives"] = int(pos.sum())
    summary.extra["keys_probed"] = len(flat)
    big = np.iinfo(np.int64).max
    for di, (seg_day, seg) in enumerate(segs):
        undecided = best_day[qdoc] < 0
        if not undecided.any():
            break
        qk, qd = q32[undecided], qdoc[undecided]
        if not len(seg.keys):
            continue
        lo = np.searchsorted(seg.keys, qk, side="left")
        has = np.asarray(seg.keys)[np.minimum(lo, len(seg.keys) - 1)] == qk
        if not has.any():
            continue
        qk, qd, lo = qk[has], qd[has], lo[has]
        hi = np.searchsorted(seg.keys, qk, side="right")
        day_ord = np.full(n, big, dtype=np.int64)
        day_sim = np.zeros(n, dtype=np.float64)
        day_exact = np.zeros(n, dtype=bool)
        active = np.arange(len(qd))
        off = 0
        while active.size:
            p = lo[active] + off
            inside = p < hi[active]
            active, p = active[inside], p[inside]
            docs = qd[active]
            ords = np.asarray(seg.refs[p]).astype(np.int64)
            earlier = ords < day_ord[docs]
            active, docs, ords = active[earlier], docs[earlier], ords[earlier]
            if not active.size:
                break
            summary.candidates_checked += len(active)
            hist_sigs, hist_th = seg.rows(ords)
            exact = hist_th == th[docs]
            sim = np.where(exact, 1.0, 0.0)
            long_ = ~exact & ~too_short[docs] & ~np.all(hist_sigs == _EMPTY, axis=1)
            if long_.any():
                sim[long_] = np.mean(hist_sigs[long_] == sigs[docs[long_]], axis=1)
                if verifier.history_texts is not None:
                    bl = np.flatnonzero(long_ & verifier.borderline(sim))
                    if bl.size:
                        j = verifier.history_jaccard(
                            di, seg_day, docs[bl], ords[bl], hist_th[bl], sim[bl], cfg.threshold
                        )
                        known = ~np.isnan(j)  # no text: the estimate decides, as without verification
                        sim[bl[known]] = j[known]
            ok = exact | (sim >= cfg.threshold)
            if ok.any():
                d, o, s_, e = docs[ok], ords[ok], sim[ok], exact[ok]
                order = np.lexsort((o, d))
                d, o, s_, e = d[order], o[order], s_[order], e[order]
                first = np.unique(d, return_index=True)[1]
                d, o, s_, e = d[first], o[first], s_[first], e[first]
                better = o < day_ord[d]
                d, o, s_, e = d[better], o[better], s_[better], e[better]
                day_ord[d], day_sim[d], day_exact[d] = o, s_, e
            active = active[~ok]  # a query's later entries have larger ords: done once confirmed
            off += 1
        found = day_ord < big
        best_day[found], best_ord[found] = di, day_ord[found]
        best_sim[found], best_exact[found] = day_sim[found], day_exact[found]
    return best_day, best_ord, best_sim, best_exact


def _within_day_matches(
    keys: np.ndarray,
    too_short: np.ndarray,
    sigs: np.ndarray,
    th: np.ndarray,
    cfg: DedupConfig,
    summary: DedupSummary,
    verifier: Verifier,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Earliest earlier same-day match per doc: (ord or -1, similarity, exact flag).

    Exact copies collapse onto the first doc with their text hash. Among those representatives, for
    every band bucket each doc scans the earlier members in growing chunks and stops at the first
    confirmed one (or at its best match from another band): near-linear for big template groups.
    Borderline estimates are decided by the exact Jaccard (texts of the day are in hand).
    """
    n = len(th)
    best = np.full(n, -1, dtype=np.int64)
    sim_out = np.zeros(n, dtype=np.float64)
    exact_out = np.zeros(n, dtype=bool)
    if n == 0:
        return best, sim_out, exact_out
    _, first_idx, inv = np.unique(th, return_index=True, return_inverse=True)
    rep = first_idx[inv]
    is_rep = rep == np.arange(n)
    cand = np.flatnonzero(is_rep & ~too_short)
    near_best = np.full(n, -1, dtype=np.int64)
    near_sim = np.zeros(n, dtype=np.float64)
    thr = cfg.threshold
    for b in range(cfg.bands):
        k = keys[cand, b]
        order = np.lexsort((cand, k))
        ks, docs = k[order], cand[order]
        starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
        sizes = np.diff(np.r_[starts, len(ks)])
        for s, g in zip(starts[sizes > 1], sizes[sizes > 1], strict=True):
            grp = docs[s : s + g]  # ascending ord
            gsig = sigs[grp]
            for p in range(1, g):
                i = grp[p]
                lim = p if near_best[i] < 0 else int(np.searchsorted(grp, near_best[i]))
                start, step = 0, 8
                while start < lim:
                    end = min(lim, start + step)
                    sims = np.mean(gsig[start:end] == gsig[p], axis=1)
                    summary.candidates_checked += end - start
                    if verifier.enabled:
                        m = verifier.first_match(i, grp[start:end], sims, thr)
                        if m is not None:
                            near_best[i], near_sim[i] = grp[start + m[0]], m[1]
                            break
                    else:
                        hit = np.flatnonzero(sims >= thr)
                        if hit.size:
                            near_best[i], near_sim[i] = grp[start + hit[0]], sims[hit[0]]
                            break
                    start, step = end, step * 4
    for i in range(n):  # ascending: a copy's representative is always decided first
        r = rep[i]
        if r == i:
            if near_best[i] >= 0:
                best[i], sim_out[i] = near_best[i], near_sim[i]
        elif best[r] >= 0:  # the representative has an earlier match -> it is earlier than r
            best[i], sim_out[i], exact_out[i] = best[r], sim_out[r], exact_out[r]
        else:
            best[i], sim_out[i], exact_out[i] = r, 1.0, True
    return best, sim_out, exact_out


@dataclass
class DayFeatures:
    """What a day's decisions are computed from, docs already in the day's deterministic order."""

    doc_ids: list[str]
    text_hash: np.ndarray  # (n,) uint64
    sigs: np.ndarray  # (n, num_perm) uint32; all 0xFFFFFFFF for too-short docs
    too_short: np.ndarray  # (n,) bool
    n_words: np.ndarray  # (n,) int
    norm_texts: list[str] | None = None  # normalized texts (exact verification); None: estimates only


def features(docs: Sequence[DedupDoc], cfg: DedupConfig) -> DayFeatures:
    """Normalize, hash and sign the docs, sorted by (order_key, doc_id)."""
    ids = [d.doc_id for d in docs]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate doc_id in the docs of one day")
    ordered = sorted(docs, key=lambda d: (d.order_key, d.doc_id))
    per_doc = map_chunks(partial(_text_features, ngram=cfg.ngram, min_words=cfg.min_words),
                         [d.text for d in ordered], preload=[__name__])
    norm = [f.normalized for f in per_doc]
    n_words = np.array([f.n_words for f in per_doc], dtype=np.int64)
    too_short = n_words < cfg.min_words
    th = np.array([f.text_hash for f in per_doc], dtype=np.uint64)
    sigs = signatures_from_hashes(
        np.concatenate([f.shingle_hashes for f in per_doc]) if per_doc else np.zeros(0, dtype=np.uint32),
        np.array([len(f.shingle_hashes) for f in per_doc], dtype=np.int64),
        cfg.num_perm, cfg.seed, cfg.scheme,
    )
    sigs[too_short] = _EMPTY
    return DayFeatures([d.doc_id for d in ordered], th, sigs, too_short, n_words, norm)


@dataclass(frozen=True)
class TextFeatures:
    normalized: str
    n_words: int
    text_hash: int
    shingle_hashes: np.ndarray  # (shingles,) uint32; empty for too-short texts


def _text_features(texts: Sequence[str], ngram: int, min_words: int) -> list[TextFeatures]:
    """The per-document part of `features` (normalizing, shingling, sha1 per shingle): the costly part,
    run over all cores for big days; the MinHash permutation after it is one vectorized numpy pass."""
    out = []
    for text in texts:
        normalized = normalize(text)
        words = normalized.split()
        hashes = shingle_hashes(shingles(words, ngram) if len(words) >= min_words else [])
        out.append(TextFeatures(normalized, len(words), text_hash(normalized), hashes))
    return out


class LazyNormTexts:
    """norm_texts for the Verifier without the day's texts in memory: text i is read (texts_of(ids) ->
    {doc_id: text}) and normalized when a borderline pair first needs it, i.e. for a few docs of a day."""

    def __init__(self, doc_ids: Sequence[str], texts_of: Callable[[list[str]], dict[str, str]]) -> None:
        self.doc_ids, self.texts_of = doc_ids, texts_of

    def __len__(self) -> int:
        return len(self.doc_ids)

    def __getitem__(self, i: int) -> str:
        doc_id = self.doc_ids[i]
        text = self.texts_of([doc_id]).get(doc_id)
        if text is None:
            raise KeyError(f"no text for document {doc_id}")
        return normalize(text)


def _batch_features(batch: tuple[list[str], list[str]], ngram: int, min_words: int, num_perm: int, seed: int,
                    scheme: str) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """(doc_ids, text_hash, n_words, signatures) of one batch; in a worker, so only these small arrays come
    back (never the normalized texts or shingle hashes). A doc's values do not depend on its batch."""
    ids, texts = batch
    per_doc = _text_features(texts, ngram, min_words)
    sigs = signatures_from_hashes(
        np.concatenate([f.shingle_hashes for f in per_doc]) if per_doc else np.zeros(0, dtype=np.uint32),
        np.array([len(f.shingle_hashes) for f in per_doc], dtype=np.int64), num_perm, seed, scheme)
    return (ids, np.array([f.text_hash for f in per_doc], dtype=np.uint64),
            np.array([f.n_words for f in per_doc], dtype=np.int64), sigs)


def streamed_features(order: Sequence[tuple[str, tuple]], batches: Iterable[tuple[list[str], list[str]]],
                      cfg: DedupConfig, texts_of: Callable[[list[str]], dict[str, str]],
                      engine: Engine = LOCAL) -> DayFeatures:
    """`features` of a day whose texts come in batches of (doc_ids, texts), in any order (the texts file's);
    `order` is every doc as (doc_id, order_key). Same arrays as `features` on the same docs, on any `engine`;
    the day's texts are never all in memory (norm_texts reads the few that verification needs via texts_of)."""
    ordered = [doc_id for doc_id, _ in sorted(order, key=lambda r: (r[1], r[0]))]
    position = {doc_id: i for i, doc_id in enumerate(ordered)}
    if len(position) != len(ordered):
        raise ValueError("duplicate doc_id in the docs of one day")
    n = len(ordered)
    th = np.zeros(n, dtype=np.uint64)
    n_words = np.zeros(n, dtype=np.int64)
    sigs = np.full((n, cfg.num_perm), _EMPTY, dtype=np.uint32)
    seen = np.zeros(n, dtype=bool)

    def wanted() -> Iterable[tuple[list[str], list[str]]]:  # the docs of `order` only
        for b_ids, b_texts in batches:
            keep = [(i, t) for i, t in zip(b_ids, b_texts, strict=True) if i in position]
            if keep:
                yield [i for i, _ in keep], [t for _, t in keep]

    func = partial(_batch_features, ngram=cfg.ngram, min_words=cfg.min_words, num_perm=cfg.num_perm, seed=cfg.seed,
                   scheme=cfg.scheme)
    parallel = engine.parallel(n)  # read now, not at import: tests lower workers.PARALLEL_MIN_ITEMS
    for ids, b_th, b_words, b_sigs in engine.map_stream(func, wanted(), preload=[__name__], parallel=parallel):
        at = np.array([position[i] for i in ids], dtype=np.int64)
        th[at], n_words[at], sigs[at], seen[at] = b_th, b_words, b_sigs, True
    if not seen.all():
        missing = [ordered[i] for i in np.flatnonzero(~seen)[:3]]
        raise ValueError(f"{int((~seen).sum())} document(s) of the day have no text, e.g. {missing}")
    too_short = n_words < cfg.min_words
    sigs[too_short] = _EMPTY
    return DayFeatures(ordered, th, sigs, too_short, n_words, LazyNormTexts(ordered, texts_of))  # type: ignore[arg-type]


def dedup_day_streamed(
    con: duckdb.DuckDBPyConnection,
    day: dt.date,
    order: Sequence[tuple[str, tuple]],
    batches: Iterable[tuple[list[str], list[str]]],
    cfg: DedupConfig,
    index_dir: Path,
    *,
    day_texts: Callable[[list[str]], dict[str, str]],
    history_texts: HistoryTexts | None = None,
    engine: Engine = LOCAL,
) -> DedupSummary:
    """`dedup_day` with the day's texts read in batches (see streamed_features) and their features computed on
    `engine`; same decisions and rows. The decisions against history stay one ordered step in this process."""
    check_params(con, cfg)
    t0 = time.perf_counter()
    feats = streamed_features(order, batches, cfg, day_texts, engine)
    summary = decide(con, day, feats, cfg, index_dir, history_texts=history_texts)
    summary.extra["t_features_s"] = round(time.perf_counter() - t0 - summary.extra["t_decide_s"], 4)
    return summary


def dedup_day(
    con: duckdb.DuckDBPyConnection,
    day: dt.date,
    docs: Sequence[DedupDoc],
    cfg: DedupConfig,
    index_dir: Path,
    *,
    history_texts: HistoryTexts | None = None,
) -> DedupSummary:
    """Decide every doc of `day` against days < day and earlier docs of the day; replace the day's rows.

    Must run inside the caller's transaction (store.transaction). The file cache under index_dir is
    validated against DuckDB on every call and healed if stale, so no post-commit hook is needed.

    history_texts(doc_ids) -> {doc_id: text} lets borderline candidates from earlier days be verified by
    their exact Jaccard (cfg.verify_margin); ids it leaves out are decided by the estimate. It is called
    on the same connection between dedup's own statements: it must fetch its result completely.
    Without it only same-day candidates are verified.
    """
    check_params(con, cfg)
    t0 = time.perf_counter()
    feats = features(docs, cfg)
    summary = decide(con, day, feats, cfg, index_dir, history_texts=history_texts)
    summary.extra["t_features_s"] = round(time.perf_counter() - t0 - summary.extra["t_decide_s"], 4)
    return summary


def decide(
    con: duckdb.DuckDBPyConnection,
    day: dt.date,
    feats: DayFeatures,
    cfg: DedupConfig,
    index_dir: Path,
    *,
    history_texts: HistoryTexts | None = None,
) -> DedupSummary:
    """Decisions for precomputed features (dedup_day without the text work; used by the benchmark).

    Verification needs feats.norm_texts; without them every candidate is decided by its estimate."""
    check_params(con, cfg)
    cache = IndexCache(Path(index_dir), cfg.index_params(), cfg.bloom_bits_per_key, cfg.bands, cfg.rows)
    try:
        return _decide(con, day, feats, cfg, cache, history_texts)
    finally:
        cache.close()


def _decide(
    con: duckdb.DuckDBPyConnection,
    day: dt.date,
    feats: DayFeatures,
    cfg: DedupConfig,
    cache: IndexCache,
    history_texts: HistoryTexts | None,
) -> DedupSummary:
    t0 = time.perf_counter()
    ordered_ids, text_hash, sigs, too_short, n_words = (
        feats.doc_ids,
        feats.text_hash,
        feats.sigs,
        feats.too_short,
        feats.n_words,
    )
    n = len(ordered_ids)
    summary = DedupSummary(day=day, total=n)
    keys = doc_keys(sigs, text_hash, too_short, cfg.bands, cfg.rows)
    verifier = Verifier(con, cfg, feats.norm_texts, history_texts, summary.extra)

    # ---- history: committed days < day, through the validated cache ----
    all_days = _fetch(con, "select_dedup_all_days")
    cache.collect_garbage({(d, r) for d, r, _ in all_days})
    history = [(d, r, m) for d, r, m in all_days if d < day and m > 0]
    segments = [(d, r, cache.segment(d, r, m, cfg.num_perm, _loader(con, d, cfg.num_perm)))
                for d, r, m in history]
    cache.sync_bloom(segments, extra_keys=int(n * cfg.bands))
    summary.history_days = len(segments)
    t1 = time.perf_counter()
    # per doc: the history segment (index into segments, -1: none) and ord of its match, similarity, exactness
    hist_seg, hist_ord, hist_sim, hist_exact = _history_matches(
        [(d, s) for d, _, s in segments], keys, too_short, sigs, text_hash, cache, cfg, summary, verifier
    )
    t2 = time.perf_counter()
    # per doc: the ord of an earlier doc of the same day it duplicates (-1: none), similarity, exactness
    day_ord, day_sim, day_exact = _within_day_matches(keys, too_short, sigs, text_hash, cfg, summary, verifier)

    # doc_ids of matched history docs: one small query per day that supplied a match
    hist_ids: dict[tuple[int, int], str] = {}
    for seg in np.unique(hist_seg[hist_seg >= 0]):
        ords = sorted({int(o) for o in hist_ord[hist_seg == seg]})
        rows = _fetch(con, "select_dedup_doc_ids", {"day": segments[seg][0], "ords": ords})
        hist_ids.update({(int(seg), o): i for o, i in rows})

    status, duplicate_of, duplicate_of_date, similarity = [], [], [], []
    for i in range(n):
        if hist_seg[i] >= 0:  # an earlier partition always wins
            exact = bool(hist_exact[i])
            status.append("exact_duplicate" if exact else "near_duplicate")
            duplicate_of.append(hist_ids[(int(hist_seg[i]), int(hist_ord[i]))])
            duplicate_of_date.append(segments[hist_seg[i]][0])
            similarity.append(1.0 if exact else float(hist_sim[i]))
        elif day_ord[i] >= 0:
            exact = bool(day_exact[i]) or text_hash[day_ord[i]] == text_hash[i]
            status.append("exact_duplicate" if exact else "near_duplicate")
            duplicate_of.append(ordered_ids[day_ord[i]])
            duplicate_of_date.append(day)
            similarity.append(1.0 if exact else float(day_sim[i]))
        else:
            status.append("fresh")
            duplicate_of.append(None)
            duplicate_of_date.append(None)
            similarity.append(None)
    summary.fresh = status.count("fresh")
    summary.exact_duplicate = status.count("exact_duplicate")
    summary.near_duplicate = status.count("near_duplicate")
    summary.too_short = int(too_short.sum())
    summary.run_id = _run_id(day, cfg, ordered_ids, text_hash, sigs)

    t3 = time.perf_counter()
    # ---- write the day (delete then insert, in the caller's transaction) ----
    _fetch(con, "delete_dedup_partition", {"day": day})
    ords = pa.array(np.arange(n, dtype=np.int32))
    decisions = pa.table(
        {
            "partition_date": pa.array([day] * n, pa.date32()),
            "doc_id": pa.array(ordered_ids, pa.string()),
            "ord": ords,
            "status": pa.array(status, pa.string()),
            "duplicate_of": pa.array(duplicate_of, pa.string()),
            "duplicate_of_date": pa.array(duplicate_of_date, pa.date32()),
            "similarity": pa.array(similarity, pa.float64()),
            "too_short": pa.array(too_short),
            "text_hash": pa.array(text_hash, pa.uint64()),
            "n_words": pa.array(n_words.astype(np.int32)),
        }
    )
    sigs_le = sigs.astype("<u4")
    signatures = pa.table(
        {
            "ord": ords,
            "text_hash": pa.array(text_hash, pa.uint64()),
            "sig": pa.array([None if too_short[i] else sigs_le[i].tobytes() for i in range(n)], pa.binary()),
        }
    )
    con.register("dedup_new_decisions", decisions)
    try:
        _fetch(con, "insert_dedup_decisions")
    finally:
        con.unregister("dedup_new_decisions")
    # the file is named in text_files inside this transaction (a superseded one goes at texts.remove_unreferenced)
    texts.write_day(con, day, SIGNATURES, signatures, sql="export_day_signatures")
    _fetch(
        con,
        "insert_dedup_day",
        {
            "day": day,
            "run_id": summary.run_id,
            "n_docs": n,
            "n_fresh": summary.fresh,
            "n_exact_duplicate": summary.exact_duplicate,
            "n_near_duplicate": summary.near_duplicate,
            "n_too_short": summary.too_short,
        },
    )
    # Segment for later days, written before the commit: if the commit fails, its run_id is never committed
    # and the files are garbage-collected by the next call. The Bloom filter picks the day up on next use.
    if n:
        cache.write_segment(day, summary.run_id, sigs, text_hash, too_short)
    t4 = time.perf_counter()
    summary.extra.update(
        t_cache_sync_s=round(t1 - t0, 4),
        t_history_s=round(t2 - t1, 4),
        t_within_day_s=round(t3 - t2, 4),
        t_write_s=round(t4 - t3, 4),
        t_decide_s=round(t4 - t0, 4),
        # index files found corrupt (checksum mismatch, unreadable, failed probe) and rebuilt this call
        index_rebuilt=list(cache.rebuilt),
        index_files_rehashed=cache.rehashed,
    )
    return summary
