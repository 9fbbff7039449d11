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

from freshdata import store
from freshdata.dedup import (
    DedupConfig,
    DedupDoc,
    DedupParamsMismatch,
    decided_days_after,
    dedup_day,
    missing_earlier_days,
)
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
    store.ensure_schema(c)
    yield c
    c.close()


def run_day(con, day, docs, tmp_path: Path, cfg: DedupConfig = CFG):
    with store.transaction(con):
        return dedup_day(con, day, docs, cfg, tmp_path / "index")


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
    names = ("dedup_decisions", "dedup_signatures", "dedup_days")
    before = {t: table(con, t) for t in names}
    run_day(con, D3, days[D3], tmp_path)
    assert {t: table(con, t) for t in names} == before
    # re-running an earlier day after later days exist: same decisions (later days are ignored)
    run_day(con, D2, list(reversed(days[D2])), tmp_path)
    run_day(con, D1, days[D1], tmp_path)
    assert {t: table(con, t) for t in names} == before


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
    run_day(con, D2, days[D2], tmp_path)
    assert decisions(con, D2) == expected
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


def _reference(days: dict, cfg: DedupConfig) -> dict[str, tuple]:
    """Brute force over all pairs with the same signatures: earliest doc (earlier day first, then same-day
    order) that is an exact copy or shares a band and has estimated Jaccard >= threshold."""
    from freshdata.dedup.core import features
    from freshdata.dedup.minhash import band_keys

    seen: list[tuple] = []  # (day, doc_id, th, sig, too_short, bands)
    out = {}
    for day in sorted(days):
        f = features(days[day], cfg)
        bk = band_keys(f.sigs, cfg.bands, cfg.rows)
        today = []
        for i, doc_id in enumerate(f.doc_ids):
            res = ("fresh", None, None, None)
            for d2, id2, th2, sig2, short2, bk2 in seen + today:
                if th2 == f.text_hash[i]:
                    res = ("exact_duplicate", id2, d2, 1.0)
                    break
                if not short2 and not f.too_short[i] and np.any(bk2 == bk[i]):
                    j = float(np.mean(sig2 == f.sigs[i]))
                    if j >= cfg.threshold:
                        res = ("near_duplicate", id2, d2, j)
                        break
            out[doc_id] = res
            today.append((day, doc_id, f.text_hash[i], f.sigs[i], f.too_short[i], bk[i]))
        seen += today
    return out


def test_matches_brute_force_on_template_heavy_days(con, tmp_path):
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
    for day, docs in days.items():
        run_day(con, day, docs, tmp_path)
    got = {k: v[:4] for k, v in decisions(con).items()}
    ref = _reference(days, CFG)
    assert got.keys() == ref.keys()
    for doc_id in ref:
        assert got[doc_id][:3] == ref[doc_id][:3], doc_id
        assert got[doc_id][3] == pytest.approx(ref[doc_id][3])
