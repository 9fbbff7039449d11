"""Benchmark of freshdata.dedup (not a test): signature speed, lookup scaling, quality vs brute force.

    .venv/bin/python benchmarks/bench_dedup.py            # full run (~10 min on 2 cores)
    .venv/bin/python benchmarks/bench_dedup.py --quick    # smaller sizes (~1-2 min)
    .venv/bin/python benchmarks/bench_dedup.py --sections integrity   # index checksum costs (~10 s)

Prints one JSON object per section and a summary; numbers go to benchmarks/README_dedup.md.
Lookup sizes run in subprocesses so that peak RSS is measured per history size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from freshdata import schema, store  # noqa: E402
from freshdata.dedup import DedupConfig, DedupDoc, dedup_day  # noqa: E402
from freshdata.dedup.core import DayFeatures, decide, read_signatures  # noqa: E402
from freshdata.dedup.minhash import shingle_hashes, shingles, signatures  # noqa: E402
from freshdata.dedup.normalize import normalize, words  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "webpages"
DAY0 = dt.date(2025, 1, 1)
DAY_DOCS = 10_000


def log(obj: dict) -> None:
    print(json.dumps(obj, default=str), flush=True)


# ---------------------------------------------------------------- texts
def corpus_texts() -> tuple[list[str], str]:
    """Real main text of the shared corpus pages (trafilatura), else generated text."""
    if CORPUS.is_dir():
        import trafilatura

        texts = []
        for p in sorted(CORPUS.glob("*.html.gz")):
            html = gzip.decompress(p.read_bytes()).decode("utf-8", "replace")
            t = trafilatura.extract(html) or ""
            if len(words(t)) >= 50:
                texts.append(t)
        return texts, f"real: {len(texts)} pages of ../shared/corpus/webpages via trafilatura.extract"
    return generated_texts(300, 0), "generated (corpus absent)"


def generated_texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(20000)]
    return [" ".join(rng.choices(vocab, k=rng.randint(100, 1500))) for _ in range(n)]


# ---------------------------------------------------------------- 1. signature throughput
def bench_signatures(texts: list[str], cfg: DedupConfig, repeats: int = 3) -> dict:
    """Best of `repeats` for each method, interleaved, so load from other jobs hits all methods alike."""
    from datasketch import MinHash

    word_lists = [normalize(t).split() for t in texts]
    n_sh = sum(max(0, len(w) - cfg.ngram + 1) for w in word_lists)

    def ours() -> np.ndarray:
        return signatures(word_lists, cfg.ngram, cfg.num_perm, cfg.seed, cfg.scheme)

    def ds_loop() -> np.ndarray:
        out = []
        for w in word_lists:
            m = MinHash(num_perm=cfg.num_perm, seed=cfg.seed, scheme=cfg.scheme)
            for s in shingles(w, cfg.ngram):
                m.update(s)
            out.append(m.hashvalues)
        return np.array(out)

    def ds_batch() -> np.ndarray:
        out = []
        for w in word_lists:
            m = MinHash(num_perm=cfg.num_perm, seed=cfg.seed, scheme=cfg.scheme)
            m.update_batch(shingles(w, cfg.ngram))
            out.append(m.hashvalues)
        return np.array(out)

    def hash_only() -> None:
        for w in word_lists:
            shingle_hashes(shingles(w, cfg.ngram))

    fns = {"ours": ours, "loop": ds_loop, "batch": ds_batch, "hash": hash_only}
    best = dict.fromkeys(fns, float("inf"))
    results = {}
    for _ in range(repeats):
        for name, fn in fns.items():
            t = time.perf_counter()
            results[name] = fn()
            best[name] = min(best[name], time.perf_counter() - t)
    same = np.array_equal(results["ours"], results["loop"]) and np.array_equal(results["ours"], results["batch"])
    n = len(texts)
    return {
        "section": "signatures",
        "docs": n,
        "shingles": n_sh,
        "repeats_best_of": repeats,
        "identical_to_datasketch": bool(same),
        "project_docs_per_s": round(n / best["ours"], 1),
        "datasketch_update_loop_docs_per_s": round(n / best["loop"], 1),
        "datasketch_update_batch_docs_per_s": round(n / best["batch"], 1),
        "ratio_vs_update_loop": round(best["loop"] / best["ours"], 2),
        "ratio_vs_update_batch": round(best["batch"] / best["ours"], 2),
        "share_of_project_time_in_shingling_and_sha1": round(best["hash"] / best["ours"], 2),
    }


# ---------------------------------------------------------------- 2. lookup scaling (subprocess workers)
def _rand_day(rng: np.random.Generator, day: dt.date, n: int, num_perm: int) -> DayFeatures:
    return DayFeatures(
        doc_ids=[f"{day.isoformat()}/{i:06d}" for i in range(n)],
        text_hash=rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64),
        sigs=rng.integers(0, 2**32 - 1, (n, num_perm), dtype=np.uint32),
        too_short=np.zeros(n, dtype=bool),
        n_words=np.full(n, 500),
    )


def worker_build(db: Path, index_dir: Path, target_docs: int) -> dict:
    """Extend the synthetic history (random signatures, days of 10k docs) to target_docs."""
    cfg = DedupConfig()
    con = duckdb.connect(str(db))
    schema.ensure_schema(con)
    have = con.execute("SELECT count(*) FROM dedup_decisions").fetchall()[0][0]
    t = time.perf_counter()
    while have < target_docs:
        day = DAY0 + dt.timedelta(days=have // DAY_DOCS)
        feats = _rand_day(np.random.default_rng(have), day, DAY_DOCS, cfg.num_perm)
        with store.transaction(con):
            decide(con, day, feats, cfg, index_dir)
        have += DAY_DOCS
    con.execute("CHECKPOINT").fetchall()
    con.close()
    return {"docs": have, "build_s": round(time.perf_counter() - t, 1)}


def _peak_rss_mb() -> float:
    """VmHWM of this process. ru_maxrss is not used: Linux carries it over exec from the forking parent."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def worker_measure(db: Path, index_dir: Path, history_docs: int) -> dict:
    """Decide 10k new docs (5% exact + 5% near copies of history, 2% near copies within the day) against
    the history, in a transaction that is rolled back so the history stays the same size."""
    cfg = DedupConfig()
    rss0 = _peak_rss_mb()
    con = duckdb.connect(str(db))
    day = DAY0 + dt.timedelta(days=history_docs // DAY_DOCS)
    rng = np.random.default_rng(12345)
    feats = _rand_day(rng, day, DAY_DOCS, cfg.num_perm)
    # planted copies of random history docs, read back from the source of truth
    pick = rng.choice(history_docs, 1000, replace=False)
    rows = [(th, sig) for _, th, sig in read_signatures(  # the day's signatures file
        con, DAY0 + dt.timedelta(days=int(rng.integers(0, history_docs // DAY_DOCS))))[:1000]]
    for j, (i, (th, sig)) in enumerate(zip(pick, rows, strict=False)):
        s = np.frombuffer(sig, dtype="<u4").copy()
        if j % 2 == 0:
            feats.text_hash[i % DAY_DOCS] = th
        else:  # near copy: ~6% of the permutations differ -> estimated J ~0.94
            s[rng.choice(cfg.num_perm, 7, replace=False)] = rng.integers(0, 2**32 - 1, 7, dtype=np.uint32)
        feats.sigs[i % DAY_DOCS] = s
    for i in range(200):  # within-day near copies
        s = feats.sigs[i].copy()
        s[:5] = 7
        feats.sigs[DAY_DOCS - 1 - i] = s
    times, hist_times = [], []
    for _ in range(5):  # all runs are rolled back; min of 5 damps load from other jobs on the machine
        t = time.perf_counter()
        con.execute("BEGIN TRANSACTION").fetchall()
        summary = decide(con, day, feats, cfg, index_dir)
        con.execute("ROLLBACK").fetchall()
        times.append(time.perf_counter() - t)
        hist_times.append(summary.extra["t_cache_sync_s"] + summary.extra["t_history_s"])
    con.close()
    files = {p.name: p.stat().st_size for p in index_dir.iterdir()}
    seg_idx = sum(v for k, v in files.items() if k.endswith(".idx.npy"))
    seg_sig = sum(v for k, v in files.items() if k.endswith(".sig.npy"))
    bloom = sum(v for k, v in files.items() if k.startswith("bloom-"))
    # the rolled-back day's segment is still on disk (garbage until the next call): exclude it
    cur = [k for k in files if k.startswith(f"seg-{day.isoformat()}")]
    cur_idx = sum(files[k] for k in cur if k.endswith(".idx.npy"))
    cur_sig = sum(files[k] for k in cur if k.endswith(".sig.npy"))
    ex = summary.extra
    return {
        "history_docs": history_docs,
        "decide_s": round(min(times), 3),
        "history_lookup_s": round(min(hist_times), 4),
        "t_within_day_s": ex["t_within_day_s"],
        "t_write_s": ex["t_write_s"],
        "bloom_positive_keys": ex["bloom_positives"],
        "keys_probed": ex["keys_probed"],
        "candidates_checked": summary.candidates_checked,
        "found": {"exact": summary.exact_duplicate, "near": summary.near_duplicate, "fresh": summary.fresh},
        "bytes_per_doc": {
            "bloom": round(bloom / history_docs, 1),
            "band_keys_and_refs": round((seg_idx - cur_idx) / history_docs, 1),
            "signature_cache_files": round((seg_sig - cur_sig) / history_docs, 1),
            "duckdb_file_all_tables": round(db.stat().st_size / history_docs, 1),
        },
        "peak_rss_mb": _peak_rss_mb(),
        "rss_at_start_mb": rss0,
    }


def _child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", *args], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_lookup(sizes: list[int], workdir: Path) -> dict:
    db, idx = workdir / "bench.duckdb", workdir / "index"
    results = []
    for size in sizes:
        b = _child("build", str(db), str(idx), str(size))
        m = _child("measure", str(db), str(idx), str(size))
        m["build_s"] = b["build_s"]
        log({"section": "lookup", **m})
        results.append(m)
    first, last = results[0], results[-1]
    return {
        "section": "lookup_summary",
        "sizes": sizes,
        "ratio_decide_largest_vs_smallest": round(last["decide_s"] / first["decide_s"], 2),
        "ratio_history_lookup_largest_vs_smallest": round(
            last["history_lookup_s"] / max(first["history_lookup_s"], 1e-4), 2
        ),
        "peak_rss_growth_mb": round(last["peak_rss_mb"] - first["peak_rss_mb"], 1),
    }


# ---------------------------------------------------------------- 2b. index integrity (checksums)
def bench_integrity(workdir: Path, mb: int = 100, repeats: int = 5) -> dict:
    """What the index checksums cost on a Bloom filter of `mb` MB (~3.5M docs of history at 12 bits/key).

    Through IndexCache itself: saving (flush + CRC-32 of the file, once per decided day), loading with an
    unchanged stat stamp (the daily case: no hashing), loading after the stamp changed (re-hash), and the
    raw hash rates with a warm and a cold page cache."""
    from freshdata.dedup.cache import IndexCache, file_crc32

    cfg = DedupConfig()
    root = workdir / "integrity"
    shutil.rmtree(root, ignore_errors=True)

    def cache() -> IndexCache:
        return IndexCache(root, cfg.index_params(), cfg.bloom_bits_per_key, cfg.bands, cfg.rows)

    c = cache()
    c._new_bloom(mb << 23)
    assert c._bloom is not None
    c._bloom[:] = np.random.default_rng(0).integers(0, 256, mb << 20, dtype=np.uint8)
    path = root / c._meta["file"]

    def best(fn) -> float:
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return round(min(times), 4)

    save_s = best(c._save_meta)
    c.close()
    load_same_stamp_s = best(lambda: cache().close())

    def load_changed_stamp() -> None:
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # same times, new ctime: must re-hash
        cache().close()

    load_rehash_s = best(load_changed_stamp)
    crc_warm_s = best(lambda: file_crc32(path))

    def crc_cold() -> None:
        fd = os.open(path, os.O_RDONLY)
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
        t = time.perf_counter()
        file_crc32(path)
        cold.append(time.perf_counter() - t)

    cold: list[float] = []
    for _ in range(repeats):
        crc_cold()

    def blake() -> None:
        with open(path, "rb") as f:
            hashlib.file_digest(f, "blake2b")

    out = {
        "section": "integrity",
        "bloom_mb": mb,
        "save_flush_and_crc32_s": save_s,
        "load_unchanged_stamp_s": load_same_stamp_s,
        "load_changed_stamp_rehash_s": load_rehash_s,
        "crc32_warm_s": crc_warm_s,
        "crc32_cold_page_cache_s": round(min(cold), 4),
        "blake2b_warm_s": best(blake),
    }
    shutil.rmtree(root, ignore_errors=True)
    return out


# ---------------------------------------------------------------- 3. quality vs brute force
TARGET_J = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0)


def _variant(text: str, target: float, ngram: int, rng: random.Random) -> str:
    """A copy whose n-gram Jaccard with `text` is about `target`: random word substitutions at rate p,
    where a fraction q = 2J/(1+J) of shingles survives and q ~ (1-p)^ngram. The true J is measured."""
    w = text.split()
    q = 2 * target / (1 + target)
    p = 1 - q ** (1 / ngram)
    for i in range(len(w)):
        if rng.random() < p:
            w[i] = rng.choice(["lorem", "ipsum", "dolor", "amet", "edited", "new"]) + str(rng.randint(0, 99))
    return " ".join(w)


def exact_jaccard_pairs(word_lists: list[list[str]], ngram: int) -> dict[tuple[int, int], float]:
    """Brute force over the same shingles (sha1_hash32 ids): Jaccard of every pair sharing a shingle."""
    sets = [np.unique(shingle_hashes(shingles(w, ngram))) for w in word_lists]
    h = np.concatenate(sets)
    d = np.concatenate([np.full(len(s), i) for i, s in enumerate(sets)])
    order = np.argsort(h, kind="stable")
    h, d = h[order], d[order]
    bounds = np.flatnonzero(np.r_[True, h[1:] != h[:-1], True])
    inter: dict[tuple[int, int], int] = {}
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        if b - a > 1:
            docs = d[a:b]
            for x in range(len(docs)):
                for y in range(x + 1, len(docs)):
                    key = (int(docs[x]), int(docs[y]))
                    inter[key] = inter.get(key, 0) + 1
    return {k: c / (len(sets[k[0]]) + len(sets[k[1]]) - c) for k, c in inter.items()}


def s_curve(bands: int, rows: int, s: float) -> float:
    return 1 - (1 - s**rows) ** bands


def bench_quality(texts: list[str], source: str, workdir: Path, n_variants: int) -> dict:
    cfg = DedupConfig()
    rng = random.Random(7)
    docs: list[str] = []
    for t in texts:
        docs.append(t)
        docs.extend(_variant(t, rng.choice(TARGET_J), cfg.ngram, rng) for _ in range(n_variants))
    perm = list(range(len(docs)))
    rng.shuffle(perm)  # variants may come before their base: "earliest" is by order key, not by family
    docs = [docs[i] for i in perm]
    wl = [normalize(t).split() for t in docs]
    exact = exact_jaccard_pairs(wl, cfg.ngram)
    norm = [" ".join(w) for w in wl]
    for i in range(len(docs)):
        for j in range(i + 1, len(docs)):
            if norm[i] == norm[j]:
                exact[(i, j)] = 1.0
    thr = cfg.threshold
    sigs = signatures(wl, cfg.ngram, cfg.num_perm, cfg.seed)

    # pair level, for several band layouts (and a larger signature) confirmed by estimated Jaccard
    truth = {k for k, v in exact.items() if v >= thr}
    clear = {k for k, v in exact.items() if abs(v - thr) >= 0.05}  # pairs outside the +-0.05 zone
    layouts = {}
    sig256 = signatures(wl, cfg.ngram, 256, cfg.seed)
    for num_perm, bands, rows in ((112, 14, 8), (112, 16, 7), (112, 28, 4), (112, 8, 14), (256, 32, 8)):
        sg = sigs if num_perm == 112 else sig256
        cand: set[tuple[int, int]] = set()
        for b in range(bands):
            buckets: dict[bytes, list[int]] = {}
            for i, s in enumerate(sg):
                buckets.setdefault(s[b * rows : (b + 1) * rows].tobytes(), []).append(i)
            for g in buckets.values():
                cand.update((g[x], g[y]) for x in range(len(g)) for y in range(x + 1, len(g)))
        pred = {p for p in cand if np.mean(sg[p[0]] == sg[p[1]]) >= thr or norm[p[0]] == norm[p[1]]}
        tp = len(pred & truth)
        pc, tc = pred & clear, truth & clear
        layouts[f"{num_perm}:{bands}x{rows}"] = {
            "candidates": len(cand),
            "precision": round(tp / max(len(pred), 1), 4),
            "recall": round(tp / max(len(truth), 1), 4),
            "banding_recall_before_confirmation": round(len(cand & truth) / max(len(truth), 1), 4),
            "precision_outside_thr_pm_0.05": round(len(pc & tc) / max(len(pc), 1), 4),
            "recall_outside_thr_pm_0.05": round(len(pc & tc) / max(len(tc), 1), 4),
            "p_candidate_at_s": {s: round(s_curve(bands, rows, s), 3) for s in (0.7, 0.75, 0.8, 0.85, 0.9)},
        }
    # default layout with exact verification of borderline estimates (what dedup_day does)
    m = cfg.verify_margin
    lo_b, hi_b = thr - m, thr + m
    d14 = layouts["112:14x8"]
    cand14: set[tuple[int, int]] = set()
    for b in range(cfg.bands):
        buckets14: dict[bytes, list[int]] = {}
        for i, s in enumerate(sigs):
            buckets14.setdefault(s[b * cfg.rows : (b + 1) * cfg.rows].tobytes(), []).append(i)
        for g in buckets14.values():
            cand14.update((g[x], g[y]) for x in range(len(g)) for y in range(x + 1, len(g)))
    n_border = 0
    pred_v = set()
    for p in cand14:
        est = float(np.mean(sigs[p[0]] == sigs[p[1]]))
        if norm[p[0]] == norm[p[1]] or est >= hi_b:
            pred_v.add(p)
        elif est >= lo_b:
            n_border += 1
            if exact.get(p, 0.0) >= thr:
                pred_v.add(p)
    tp_v = len(pred_v & truth)
    pair_verified = {
        "verify_margin": m,
        "borderline_candidates_verified": n_border,
        "without_verification": {"precision": d14["precision"], "recall": d14["recall"]},
        "with_verification": {
            "precision": round(tp_v / max(len(pred_v), 1), 4),
            "recall": round(tp_v / max(len(truth), 1), 4),
        },
    }

    # recall by true-similarity bucket for the default (14x8)
    buckets_r = {}
    for lo, hi in ((0.8, 0.85), (0.85, 0.9), (0.9, 0.95), (0.95, 1.01)):
        pairs = [p for p in truth if lo <= exact[p] < hi]
        hit = sum(1 for p in pairs if np.mean(sigs[p[0]] == sigs[p[1]]) >= thr or norm[p[0]] == norm[p[1]])
        buckets_r[f"{lo}-{min(hi, 1.0)}"] = {
            "pairs": len(pairs),
            "confirmation_recall": round(hit / max(len(pairs), 1), 3),
        }

    # doc level, through dedup_day: is a doc a duplicate of some EARLIER doc (order key = position)?
    # "1 day": all docs in one day (same-day verification). "2 days": the first half is an earlier day,
    # so pairs across the halves go through the history path, verified via the in-memory texts callback.
    true_dup = {j for (i, j), v in exact.items() if v >= thr}
    ids = [f"d{i:05d}" for i in range(len(docs))]
    text_of = dict(zip(ids, docs, strict=True))

    def history_texts(want: list[str]) -> dict[str, str]:
        return {i: text_of[i] for i in want}

    def doc_level(margin: float, n_days: int) -> dict:
        run = f"m{margin}-d{n_days}"
        con = duckdb.connect(str(workdir / f"quality-{run}.duckdb"))
        schema.ensure_schema(con)
        c = DedupConfig(verify_margin=margin)
        cut = [0, len(docs)] if n_days == 1 else [0, len(docs) // 2, len(docs)]
        extra: dict[str, int] = {}
        t = time.perf_counter()
        for k in range(n_days):
            day_docs = [DedupDoc(ids[i], docs[i], (i,)) for i in range(cut[k], cut[k + 1])]
            with store.transaction(con):
                summ = dedup_day(
                    con,
                    DAY0 + dt.timedelta(days=k),
                    day_docs,
                    c,
                    workdir / f"quality-index-{run}",
                    history_texts=history_texts,
                )
            for key in ("verified_pairs", "verified_changed", "verify_fetches"):
                extra[key] = extra.get(key, 0) + summ.extra.get(key, 0)
        elapsed = time.perf_counter() - t
        rows = con.execute("SELECT doc_id, status, duplicate_of FROM dedup_decisions").fetchall()
        con.close()
        pred_dup = {int(r[0][1:]) for r in rows if r[1] != "fresh"}
        strict_ok = {
            int(r[0][1:]) for r in rows if r[1] != "fresh" and exact.get((int(r[2][1:]), int(r[0][1:])), 0.0) >= thr
        }
        return {
            "verify_margin": margin,
            "days": n_days,
            "flagged": len(pred_dup),
            "precision": round(len(pred_dup & true_dup) / max(len(pred_dup), 1), 4),
            "precision_strict_duplicate_of_has_true_J_ge_thr": round(len(strict_ok) / max(len(pred_dup), 1), 4),
            "recall": round(len(pred_dup & true_dup) / max(len(true_dup), 1), 4),
            "dedup_day_s": round(elapsed, 2),
            **extra,
        }

    return {
        "section": "quality",
        "source": source,
        "docs": len(docs),
        "true_pairs_at_threshold": len(truth),
        "threshold": thr,
        "pair_level": layouts,
        "pair_level_14x8_verification": pair_verified,
        "recall_by_true_similarity_14x8": buckets_r,
        "doc_level_true_duplicates": len(true_dup),
        "doc_level_14x8": [doc_level(margin, n_days) for n_days in (1, 2) for margin in (0.0, cfg.verify_margin)],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="histories 10k/50k and a smaller quality corpus")
    ap.add_argument("--sizes", default="", help="comma-separated history sizes (multiples of 10000)")
    ap.add_argument("--workdir", type=Path, default=None, help="scratch dir (default: a temp dir, removed)")
    ap.add_argument("--sections", default="signatures,lookup,integrity,quality", help="comma-separated subset to run")
    ap.add_argument("--worker", nargs=4, metavar=("KIND", "DB", "INDEX", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        kind, db, idx, n = args.worker
        fn = worker_build if kind == "build" else worker_measure
        print(json.dumps(fn(Path(db), Path(idx), int(n))))
        return
    sizes = (
        [int(s) for s in args.sizes.split(",")]
        if args.sizes
        else ([10_000, 50_000] if args.quick else [10_000, 100_000, 1_000_000])
    )
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_dedup_"))
    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        log(
            {
                "section": "machine",
                "cpus": os.cpu_count(),
                "python": sys.version.split()[0],
                "duckdb": duckdb.__version__,
                "numpy": np.__version__,
            }
        )
        sections = set(args.sections.split(","))
        texts, source = corpus_texts() if sections & {"signatures", "quality"} else ([], "")
        if "signatures" in sections:
            sig = bench_signatures(texts[:100] if args.quick else texts, DedupConfig(), 2 if args.quick else 3)
            sig["source"] = source
            log(sig)
        if "lookup" in sections:
            log(bench_lookup(sizes, workdir))
        if "integrity" in sections:
            log(bench_integrity(workdir))
        if "quality" in sections:
            log(bench_quality(texts[:150] if args.quick else texts, source, workdir, 3))
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    log({"section": "done", "total_s": round(time.perf_counter() - t0, 1)})


if __name__ == "__main__":
    main()
