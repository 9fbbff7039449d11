"""Unit tests for freshdata.dedup (fast, offline, temp DuckDB file)."""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest
from datasketch import MinHash
from datasketch.hashfunc import sha1_hash32

from freshdata import schema, store
from freshdata.dedup import (
    DedupConfig,
    DedupDoc,
    DedupParamsMismatch,
    decided_days_after,
    dedup_day,
    missing_earlier_days,
)
from freshdata.dedup.core import read_signatures
from freshdata.dedup.minhash import shingles, signatures
from freshdata.dedup.normalize import normalize, text_hash, words

D1, D2, D3 = dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 3)
CFG = DedupConfig()
_VOCAB = [f"{a}{b}" for a in "bcdfghjklmnprstvwz" for b in ("ax", "ei", "ou", "ur", "io", "en", "al", "um")]


def article(seed: int, n: int = 300) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(_VOCAB) + rng.choice(["", "s", "ed", "ing", "ly"]) for _ in range(n))


def edit(text: str, n_changes: int, seed: int = 99) -> str:
    rng = random.Random(seed)
    w = text.split()
    for i in rng.sample(range(len(w)), n_changes):
        w[i] = "zzchanged"
    return " ".join(w)


@pytest.fixture
def con(tmp_path: Path):
    c = duckdb.connect(str(tmp_path / "t.duckdb"))
    schema.ensure_schema(c)
    yield c
    c.close()


def run_day(con, day, docs, tmp_path: Path, cfg: DedupConfig = CFG, history_texts=None):
    with store.transaction(con):
        return dedup_day(con, day, docs, cfg, tmp_path / "index", history_texts=history_texts)


def decisions(con, day=None) -> dict[str, tuple]:
    rows = con.execute(
        "SELECT doc_id, status, duplicate_of, duplicate_of_date, similarity, too_short FROM dedup_decisions"
        + (" WHERE partition_date = ?" if day else ""),
        [day] if day else [],
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def table(con, name: str) -> list[tuple]:
    return con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()


def doc(i: str, text: str, k: int = 0) -> DedupDoc:
    return DedupDoc(i, text, (k, i))


def test_normalize():
    assert normalize("Ｈｅｌｌｏ,  WORLD!\n2024\tfoo-bar") == "hello world 0000 foo bar"
    assert normalize("ﬁne") == "fine"  # NFKC ligature
    assert words("  a  b\u00a0c ") == ["a", "b", "c"]
    assert text_hash(normalize("Hello, World")) == text_hash(normalize("hello world!!"))
    assert text_hash("a") != text_hash("b")


def test_signatures_equal_datasketch():
    rng = random.Random(1)
    docs = [[rng.choice(_VOCAB + ["ünï", "日本語"]) for _ in range(rng.randint(0, 400))] for _ in range(40)]
    for num_perm, seed, ngram in ((112, 1, 5), (64, 7, 3)):
        ours = signatures(docs, ngram, num_perm, seed, "affine32")
        for row, ws in zip(ours, docs, strict=True):
            m = MinHash(num_perm=num_perm, seed=seed, scheme="affine32")
            for s in shingles(ws, ngram):
                m.update(s)
            assert np.array_equal(row, m.hashvalues)


def test_config_validation():
    with pytest.raises(ValueError):
        DedupConfig(bands=10, rows=8)
    with pytest.raises(ValueError):
        DedupConfig(unknown=1)
    with pytest.raises(ValueError):
        DedupConfig(min_words=3)


def test_exact_within_and_across_days(con, tmp_path):
    a = article(1)
    s = run_day(con, D1, [doc("a", a, 0), doc("a2", a.upper() + " !!", 1), doc("b", article(2), 2)], tmp_path)
    assert (s.total, s.fresh, s.exact_duplicate, s.near_duplicate) == (3, 2, 1, 0)
    d = decisions(con, D1)
    assert d["a"][0] == "fresh" and d["b"][0] == "fresh"
    assert d["a2"] == ("exact_duplicate", "a", D1, 1.0, False)
    run_day(con, D2, [doc("c", a, 0), doc("e", article(3), 1)], tmp_path)
    d = decisions(con, D2)
    assert d["c"] == ("exact_duplicate", "a", D1, 1.0, False)
    assert d["e"][0] == "fresh"


def test_near_duplicate_small_edit(con, tmp_path):
    a = article(10)
    run_day(con, D1, [doc("orig", a), doc("other", article(11), 1)], tmp_path)
    run_day(con, D2, [doc("edited", edit(a, 2)), doc("unrelated", article(12), 1)], tmp_path)
    d = decisions(con, D2)
    assert d["edited"][:3] == ("near_duplicate", "orig", D1)
    assert 0.8 <= d["edited"][3] < 1.0
    assert d["unrelated"][0] == "fresh"
    # within a day too
    run_day(con, D3, [doc("x", article(20), 0), doc("y", edit(article(20), 2), 1)], tmp_path)
    assert decisions(con, D3)["y"][:2] == ("near_duplicate", "x")


def test_earliest_wins(con, tmp_path):
    a = article(30)
    run_day(con, D1, [doc("first", a, 5)], tmp_path)
    run_day(con, D2, [doc("p", edit(a, 2), 0)], tmp_path)
    # day 3: two copies; both point at D1's doc (earlier partition wins over same-day order)
    run_day(con, D3, [doc("late", a, 2), doc("early", edit(a, 1, 5), 1)], tmp_path)
    d = decisions(con, D3)
    assert d["late"][:3] == ("exact_duplicate", "first", D1)
    assert d["early"][:3] == ("near_duplicate", "first", D1)
    # within a day, the order key decides, not the input order
    b = article(31)
    dd = dt.date(2026, 2, 1)
    run_day(con, dd, [doc("z", b, 3), doc("m", b, 1), doc("q", edit(b, 2), 2)], tmp_path)
    d = decisions(con, dd)
    assert d["m"][0] == "fresh" and d["z"][1] == "m" and d["q"][1] == "m"


def test_too_short(con, tmp_path):
    s = run_day(con, D1, [doc("s1", "Hello world!", 0), doc("s2", "hello, WORLD", 1), doc("s3", "bye", 2)], tmp_path)
    assert s.too_short == 3 and s.exact_duplicate == 1
    d = decisions(con, D1)
    assert d["s2"] == ("exact_duplicate", "s1", D1, 1.0, True)
    assert d["s3"][0] == "fresh" and d["s3"][4] is True
    run_day(con, D2, [doc("s4", "hello world", 0)], tmp_path)
    assert decisions(con, D2)["s4"][:2] == ("exact_duplicate", "s1")


def _three_days():
    a, b = article(40), article(41)
    return {
        D1: [doc("a", a, 0), doc("b", b, 1), doc("t", "tiny text", 2)],
        D2: [doc("a-edit", edit(a, 3), 0), doc("c", article(42), 1), doc("t2", "Tiny text.", 2)],
        D3: [doc("b-copy", b, 0), doc("a-edit2", edit(a, 4, 7), 1), doc("d", article(43), 2)],
    }


def test_rerun_idempotent(con, tmp_path):
    days = _three_days()
    for d, docs in days.items():
        run_day(con, d, docs, tmp_path)
    names = ("dedup_decisions", "dedup_days")

    def state() -> dict:  # the tables, and each day's signatures file (named by text_files)
        return {**{t: table(con, t) for t in names}, **{d: read_signatures(con, d) for d in days}}

    before = state()
    run_day(con, D3, days[D3], tmp_path)
    assert state() == before
    # re-running an earlier day after later days exist: same decisions (later days are ignored)
    run_day(con, D2, list(reversed(days[D2])), tmp_path)
    run_day(con, D1, days[D1], tmp_path)
    assert state() == before


def test_rerun_earlier_day_ignores_later_days(con, tmp_path):
    a = article(50)
    run_day(con, D2, [doc("later", a)], tmp_path)
    run_day(con, D1, [doc("earlier", a)], tmp_path)  # backfill: D2 exists but must not influence D1
    assert decisions(con, D1)["earlier"][0] == "fresh"


def test_param_mismatch_refused(con, tmp_path):
    run_day(con, D1, [doc("a", article(60))], tmp_path)
    with pytest.raises(DedupParamsMismatch, match="num_perm"):
        run_day(con, D2, [doc("b", article(61))], tmp_path, DedupConfig(num_perm=128, bands=16, rows=8))
    with pytest.raises(DedupParamsMismatch, match="seed"):
        run_day(con, D2, [doc("b", article(61))], tmp_path, DedupConfig(seed=2))
    with pytest.raises(DedupParamsMismatch, match="min_words"):
        run_day(con, D2, [doc("b", article(61))], tmp_path, DedupConfig(min_words=8))
    # threshold is a decision parameter, not an index parameter: allowed
    run_day(con, D2, [doc("b", article(61))], tmp_path, DedupConfig(threshold=0.7))


@pytest.mark.parametrize("damage", ["delete", "stale", "corrupt", "corrupt_sig"])
def test_cache_damage_still_correct(con, tmp_path, damage):
    days = _three_days()
    run_day(con, D1, days[D1], tmp_path)
    run_day(con, D2, days[D2], tmp_path)
    expected = decisions(con, D2)
    idx = tmp_path / "index"
    if damage == "delete":
        shutil.rmtree(idx)
    elif damage == "stale":
        # simulate a crash after the files were written for another content of D1 (or before the update)
        for p in idx.glob("seg-*"):
            p.unlink()
        (idx / "bloom.json").write_text('{"params": {}, "claimed": {}}')
    elif damage == "corrupt_sig":
        for p in idx.glob("seg-*.sig.npy"):
            p.write_bytes(p.read_bytes()[:200])
    else:
        for p in idx.glob("seg-*.idx.npy"):
            p.write_bytes(b"garbage")
        for p in idx.glob("bloom-*.npy"):
            p.write_bytes(p.read_bytes()[:100])  # truncated write
    s = run_day(con, D2, days[D2], tmp_path)
    assert decisions(con, D2) == expected
    # damaged files are reported (a deleted index is a cold cache, not damage)
    assert bool(s.extra["index_rebuilt"]) == (damage != "delete")
    run_day(con, D3, days[D3], tmp_path)
    d = decisions(con, D3)
    assert d["b-copy"][:2] == ("exact_duplicate", "b") and d["a-edit2"][:2] == ("near_duplicate", "a")


def test_rolled_back_run_leaves_no_false_negatives(con, tmp_path):
    days = _three_days()
    run_day(con, D1, days[D1], tmp_path)
    with pytest.raises(RuntimeError), store.transaction(con):
        dedup_day(con, D2, days[D2], CFG, tmp_path / "index")
        raise RuntimeError("crash before commit")
    assert decisions(con, D2) == {}
    run_day(con, D2, days[D2], tmp_path)
    assert decisions(con, D2)["a-edit"][:2] == ("near_duplicate", "a")


def test_missing_earlier_days(con, tmp_path):
    run_day(con, D1, [doc("a", article(70))], tmp_path)
    assert missing_earlier_days(con, D3, [D1, D2, D3]) == [D2]
    run_day(con, D2, [], tmp_path)
    assert missing_earlier_days(con, D3, [D1, D2, D3]) == []
    assert missing_earlier_days(con, D1, [D1, D2]) == []
    assert decided_days_after(con, D1) == [D2]


def test_duplicate_doc_ids_rejected(con, tmp_path):
    with pytest.raises(ValueError, match="duplicate doc_id"):
        run_day(con, D1, [doc("a", "x y"), doc("a", "z w")], tmp_path)


def test_bloom_filters_fresh_docs(con, tmp_path):
    run_day(con, D1, [doc(f"h{i}", article(100 + i), i) for i in range(30)], tmp_path)
    run_day(con, D2, [doc(f"x{i}", article(200 + i), i) for i in range(5)], tmp_path)
    s = run_day(con, D3, [doc(f"n{i}", article(300 + i), i) for i in range(30)], tmp_path)
    assert s.fresh == 30
    assert s.extra["keys_probed"] == 30 * CFG.bands
    assert s.extra["bloom_positives"] <= 5  # almost nothing reaches the segments


def _exact_jaccard(a: str, b: str, ngram: int) -> float:
    """Independent reference: Jaccard of the sets of datasketch sha1_hash32 ids of normalized word n-grams."""

    def ids(t: str) -> set[int]:
        w = normalize(t).split()
        return {sha1_hash32(" ".join(w[i : i + ngram]).encode()) for i in range(len(w) - ngram + 1)}

    x, y = ids(a), ids(b)
    return len(x & y) / len(x | y)


def _reference(days: dict, cfg: DedupConfig, verify_history: bool = True) -> dict[str, tuple]:
    """Brute force over all pairs with the same signatures: earliest doc (earlier day first, then same-day
    order) that is an exact copy or shares a band and has Jaccard >= threshold, where Jaccard is the
    estimate, or the exact value when the estimate is within verify_margin of the threshold (history pairs
    only if verify_history)."""
    from freshdata.dedup.core import features
    from freshdata.dedup.minhash import band_keys

    lo, hi = cfg.threshold - cfg.verify_margin, cfg.threshold + cfg.verify_margin
    seen: list[tuple] = []  # (day, doc_id, th, sig, too_short, bands, text)
    out = {}
    for day in sorted(days):
        f = features(days[day], cfg)
        text_of = {d.doc_id: d.text for d in days[day]}
        bk = band_keys(f.sigs, cfg.bands, cfg.rows)
        today = []
        for i, doc_id in enumerate(f.doc_ids):
            res = ("fresh", None, None, None)
            for d2, id2, th2, sig2, short2, bk2, text2 in seen + today:
                if th2 == f.text_hash[i]:
                    res = ("exact_duplicate", id2, d2, 1.0)
                    break
                if not short2 and not f.too_short[i] and np.any(bk2 == bk[i]):
                    j = float(np.mean(sig2 == f.sigs[i]))
                    if cfg.verify_margin > 0 and lo <= j < hi and (d2 == day or verify_history):
                        j = _exact_jaccard(text_of[doc_id], text2, cfg.ngram)
                    if j >= cfg.threshold:
                        res = ("near_duplicate", id2, d2, j)
                        break
            out[doc_id] = res
            today.append((day, doc_id, f.text_hash[i], f.sigs[i], f.too_short[i], bk[i], text_of[doc_id]))
        seen += today
    return out


@pytest.mark.parametrize(
    ("margin", "verify_history"), [(0.1, True), (0.1, False), (0.0, True), (0.0, False), (0.05, True)]
)
def test_matches_brute_force_on_template_heavy_days(con, tmp_path, margin, verify_history):
    cfg = DedupConfig(verify_margin=margin)
    rng = random.Random(5)
    base = [article(500 + i, 120) for i in range(3)]
    days = {}
    for k, day in enumerate((D1, D2, D3)):
        docs = []
        for i in range(60):
            r = rng.random()
            if r < 0.6:
                text = edit(rng.choice(base), rng.randint(0, 6), seed=rng.randint(0, 10**6))
            elif r < 0.7:
                text = rng.choice(base)
            elif r < 0.8:
                text = rng.choice(["short one", "Short one!", "other short"])
            else:
                text = article(rng.randint(0, 10**6), 80)
            docs.append(DedupDoc(f"d{k}-{i}", text, (rng.randint(0, 20), f"d{k}-{i}")))
        days[day] = docs
    all_texts = {d.doc_id: d.text for docs in days.values() for d in docs}
    calls: list[list[str]] = []

    def history_texts(ids: list[str]) -> dict[str, str]:
        calls.append(ids)
        return {i: all_texts[i] for i in ids}

    changed = 0
    for day, docs in days.items():
        s = run_day(con, day, docs, tmp_path, cfg, history_texts if verify_history else None)
        changed += s.extra["verified_changed"]
    got = {k: v[:4] for k, v in decisions(con).items()}
    ref = _reference(days, cfg, verify_history)
    assert got.keys() == ref.keys()
    for doc_id in ref:
        assert got[doc_id][:3] == ref[doc_id][:3], doc_id
        assert got[doc_id][3] == pytest.approx(ref[doc_id][3])
    # the data really exercises verification: some decisions differ from the estimate-only ones
    assert (changed > 0) == (margin > 0)
    assert bool(calls) == (margin > 0 and verify_history)
    if margin == 0:  # margin 0 is exactly the estimate-only rule
        assert ref == _reference(days, cfg.model_copy(update={"verify_margin": 0.0}), False)


# Pairs found by search (their preconditions are asserted): article(1000) edited with 6 words (seed 10) has
# exact J 0.827 but estimate 0.777; with 7 words (seed 0) exact J 0.789 but estimate 0.857. Both share a band.
_BASE = article(1000)
_ABOVE = edit(_BASE, 6, seed=10)
_BELOW = edit(_BASE, 7, seed=0)


def _estimate(a: str, b: str) -> float:
    from freshdata.dedup.core import features

    f = features([doc("a", a, 0), doc("b", b, 1)], CFG)
    return float(np.mean(f.sigs[0] == f.sigs[1]))


def test_verification_preconditions():
    assert 0.8 <= _exact_jaccard(_BASE, _ABOVE, 5) < 0.83 and 0.7 <= _estimate(_BASE, _ABOVE) < 0.8
    assert 0.77 <= _exact_jaccard(_BASE, _BELOW, 5) < 0.8 and 0.8 <= _estimate(_BASE, _BELOW) < 0.9


def test_verification_within_day(con, tmp_path):
    docs = [doc("base", _BASE, 0), doc("above", _ABOVE, 1), doc("below", _BELOW, 2)]
    s = run_day(con, D1, docs, tmp_path)
    d = decisions(con, D1)
    assert d["above"][:3] == ("near_duplicate", "base", D1)
    assert d["above"][3] == pytest.approx(_exact_jaccard(_BASE, _ABOVE, 5))  # the exact value is stored
    assert d["below"][0] == "fresh"  # estimate 0.857, exact 0.789
    assert s.extra["verified_changed"] >= 2
    # margin 0: the old estimate-only decisions
    run_day(con, D1, docs, tmp_path, DedupConfig(verify_margin=0))
    d = decisions(con, D1)
    assert d["above"][0] == "fresh"
    assert d["below"][:2] == ("near_duplicate", "base")
    assert d["below"][3] == pytest.approx(_estimate(_BASE, _BELOW))


def test_verified_false_candidate_does_not_stop_the_walk(con, tmp_path):
    # 'below' is earlier and a borderline candidate of 'base' (estimate 0.857) but verifies false (0.789);
    # the walk must go on to the later true match 'copy'.
    copy = edit(_BASE, 1, seed=3)
    texts = {"below": _BELOW, "copy": copy}
    run_day(con, D1, [doc("below", _BELOW, 0), doc("copy", copy, 1)], tmp_path)
    run_day(con, D2, [doc("base", _BASE, 0)], tmp_path)
    assert decisions(con, D2)["base"][:2] == ("near_duplicate", "below")  # estimate only
    run_day(con, D2, [doc("base", _BASE, 0)], tmp_path, history_texts=lambda ids: {i: texts[i] for i in ids})
    assert decisions(con, D2)["base"][:3] == ("near_duplicate", "copy", D1)
    # same within a day (a day before D1, so that there is no history)
    d0 = dt.date(2025, 12, 31)
    run_day(con, d0, [doc("below", _BELOW, 0), doc("copy", copy, 1), doc("base", _BASE, 2)], tmp_path)
    assert decisions(con, d0)["base"][:2] == ("near_duplicate", "copy")


def test_verification_against_history(con, tmp_path):
    run_day(con, D1, [doc("base", _BASE, 0), doc("other", article(1001), 1)], tmp_path)
    texts = {"base": _BASE, "other": article(1001)}
    calls: list[list[str]] = []

    def history_texts(ids: list[str]) -> dict[str, str]:
        calls.append(list(ids))
        return {i: texts[i] for i in ids if i in texts}

    new = [doc("above", _ABOVE, 0), doc("below", _BELOW, 1)]
    # without the callback: history pairs are decided by the estimate, as before
    run_day(con, D2, new, tmp_path)
    d = decisions(con, D2)
    assert d["above"][0] == "fresh" and d["below"][:2] == ("near_duplicate", "base")
    # with it: both decided by the exact Jaccard, texts fetched once for the one borderline history doc
    s = run_day(con, D2, new, tmp_path, history_texts=history_texts)
    d = decisions(con, D2)
    assert d["above"][:3] == ("near_duplicate", "base", D1)
    assert d["above"][3] == pytest.approx(_exact_jaccard(_BASE, _ABOVE, 5))
    # 'below' is not a duplicate of 'base'; within the day 'above' is earlier: est/exact decide there
    assert d["below"][1] != "base"
    assert calls == [["base"]] and s.extra["verify_fetches"] == 1
    # a callback that cannot resolve the id, or returns a changed text: the estimate decides
    for cb in (lambda ids: {}, lambda ids: {i: "something else entirely now" for i in ids}):
        s = run_day(con, D2, new, tmp_path, history_texts=cb)
        d = decisions(con, D2)
        assert d["above"][0] == "fresh" and d["below"][:2] == ("near_duplicate", "base")
        assert s.extra["verify_text_unavailable"] >= 2


def test_verify_margin_not_part_of_index_identity(con, tmp_path):
    run_day(con, D1, [doc("a", article(60))], tmp_path)
    run_day(con, D2, [doc("b", article(61))], tmp_path, DedupConfig(verify_margin=0.0))
    run_day(con, D3, [doc("c", article(62))], tmp_path, DedupConfig(verify_margin=0.2))
    with pytest.raises(ValueError):
        DedupConfig(verify_margin=-0.1)


def test_streamed_features_and_decisions_equal_in_memory(tmp_path):
    """dedup_day_streamed (texts in batches, any order; verification reads the few texts it needs) writes the
    same rows as dedup_day on the same docs, verification within the day and against history included."""
    from freshdata.dedup import dedup_day_streamed
    from freshdata.dedup.core import features, read_signatures, streamed_features

    cfg = DedupConfig(verify_margin=0.1)
    rng = random.Random(11)
    base = [article(700 + i, 120) for i in range(3)]
    days = {}
    for k, day in enumerate((D1, D2)):
        days[day] = [DedupDoc(f"d{k}-{i}", edit(rng.choice(base), rng.randint(0, 6), seed=rng.randint(0, 10**6))
                              if rng.random() < 0.7 else article(rng.randint(0, 10**6), 80),
                              (rng.randint(0, 20), f"d{k}-{i}")) for i in range(40)]
    all_texts = {d.doc_id: d.text for docs in days.values() for d in docs}
    fetched: list[list[str]] = []

    def texts_of(ids: list[str]) -> dict[str, str]:
        fetched.append(ids)
        return {i: all_texts[i] for i in ids}

    got = {}
    for mode in ("memory", "streamed"):
        fetched.clear()
        (tmp_path / mode).mkdir()  # a home each: the signatures files live beside the DuckDB file
        c = duckdb.connect(str(tmp_path / mode / "t.duckdb"))
        schema.ensure_schema(c)
        for day, docs in days.items():
            with store.transaction(c):
                if mode == "memory":
                    dedup_day(c, day, docs, cfg, tmp_path / f"index-{mode}", history_texts=texts_of)
                else:
                    shuffled = sorted(docs, key=lambda d: d.doc_id[::-1])
                    batches = [([d.doc_id for d in shuffled[i:i + 7]], [d.text for d in shuffled[i:i + 7]])
                               for i in range(0, len(shuffled), 7)]
                    dedup_day_streamed(c, day, [(d.doc_id, d.order_key) for d in docs], batches, cfg,
                                       tmp_path / f"index-{mode}", day_texts=texts_of, history_texts=texts_of)
        got[mode] = (decisions(c), [read_signatures(c, day) for day in days])
        c.close()
    assert fetched, "no borderline pair reached the streamed run's lazy text lookups"
    assert got["memory"] == got["streamed"]
    f = features(days[D1], cfg)
    s = streamed_features([(d.doc_id, d.order_key) for d in days[D1]],
                          [([d.doc_id for d in days[D1]], [d.text for d in days[D1]])], cfg, texts_of)
    assert f.doc_ids == s.doc_ids and (f.sigs == s.sigs).all() and (f.text_hash == s.text_hash).all()
    assert [f.norm_texts[i] for i in range(len(f.doc_ids))] == [s.norm_texts[i] for i in range(len(s.doc_ids))]
