"""Dedup index integrity: real files under a real index_dir are damaged in place (no mocks), then days are
decided again; decisions must equal those made with an intact index, and the damage must be reported.

History: D1 originals, D2 and D3 with exact copies (case/punctuation changed), near copies (a few words
edited) and too-short copies of earlier days; D4 (the "next day") copies every earlier day. After D1-D3 the
Bloom filter claims D1 and D2; deciding D4 claims D3.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pytest

from freshdata import schema, store
from freshdata.dedup import DedupConfig, DedupDoc, dedup_day

D1, D2, D3, D4 = (dt.date(2026, 3, d) for d in (1, 2, 3, 4))
CFG = DedupConfig()
_VOCAB = [f"{a}{b}" for a in "bcdfghjklmnprstvwz" for b in ("ax", "ei", "ou", "ur", "io", "en", "al", "um")]


def article(seed: int, n: int = 120) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(_VOCAB) + rng.choice(["", "s", "ed", "ing"]) for _ in range(n))


def edit(text: str, n_changes: int, seed: int) -> str:
    rng = random.Random(seed)
    w = text.split()
    for i in rng.sample(range(len(w)), n_changes):
        w[i] = "zzchanged"
    return " ".join(w)


def make_days() -> dict[dt.date, list[DedupDoc]]:
    originals: dict[dt.date, list[tuple[str, str]]] = {}  # fresh articles of each day: (doc_id, text)
    days: dict[dt.date, list[DedupDoc]] = {}
    for k, day in enumerate((D1, D2, D3, D4)):
        rng = random.Random(k)
        earlier = sorted(originals)
        docs, originals[day] = [], []
        for i in range(24):
            doc_id = f"d{k + 1}-{i:02d}"
            if not earlier or i % 3 == 0:
                text = article(1000 * k + i)
                originals[day].append((doc_id, text))
            else:
                src = rng.choice(originals[earlier[(i // 3) % len(earlier)]])[1]
                # exact copy after normalization, or a near copy (two words edited)
                text = src.upper() + " !" if i % 3 == 1 else edit(src, 2, seed=i)
            docs.append(DedupDoc(doc_id, text, (i, doc_id)))
        docs += [DedupDoc(f"d{k + 1}-short", "Tiny note here.", (99, "s")),
                 DedupDoc(f"d{k + 1}-short2", f"tiny note {k}", (98, "t"))]
        days[day] = docs
    return days


DAYS = make_days()


class Home:
    """A DuckDB file and its index_dir, as the Dagster asset uses them (one transaction per day)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.index = root / "index"
        self.con = duckdb.connect(str(root / "t.duckdb"))
        schema.ensure_schema(self.con)

    def run(self, day: dt.date):
        with store.transaction(self.con):
            return dedup_day(self.con, day, DAYS[day], CFG, self.index)

    def decisions(self, day: dt.date) -> dict[str, tuple]:
        rows = self.con.execute(
            "SELECT doc_id, status, duplicate_of, duplicate_of_date, similarity, too_short FROM dedup_decisions "
            "WHERE partition_date = ?", [day]).fetchall()
        return {r[0]: r[1:] for r in rows}

    def bloom(self) -> Path:
        return self.index / json.loads((self.index / "bloom.json").read_text())["file"]

    def seg(self, day: dt.date, part: str) -> Path:
        (p,) = self.index.glob(f"seg-{day.isoformat()}-*.{part}")
        return p


@pytest.fixture
def home(tmp_path: Path):
    h = Home(tmp_path)
    yield h
    h.con.close()


@pytest.fixture(scope="module")
def expected(tmp_path_factory) -> dict[dt.date, dict[str, tuple]]:
    """Decisions of D1-D4 made with an intact index."""
    h = Home(tmp_path_factory.mktemp("intact"))
    try:
        for day in DAYS:
            h.run(day)
        out = {day: h.decisions(day) for day in DAYS}
    finally:
        h.con.close()
    # the data exercises history lookups: exact and near copies of every earlier day, short exact copies
    d4 = out[D4]
    for status in ("exact_duplicate", "near_duplicate"):
        assert {v[2] for v in d4.values() if v[0] == status} == {D1, D2, D3}, status
    assert d4["d4-short"][:3] == ("exact_duplicate", "d1-short", D1)
    return out


# ---------- damage, done to real files ----------
def zero_fill(p: Path) -> None:
    """Zero the array data of an .npy file; its header (shape, dtype) and size stay intact."""
    arr = np.load(p, mmap_mode="r+")
    assert arr.any(), "nothing to damage"
    arr[...] = 0
    arr.flush()
    del arr


def flip_bytes(p: Path, every: int = 97) -> None:
    """Invert every `every`-th byte of the array data (shape intact)."""
    arr = np.load(p, mmap_mode="r+")
    b = arr.reshape(-1).view(np.uint8)
    b[::every] ^= 0xFF
    arr.flush()
    del arr, b


def flip_one_byte(p: Path) -> None:
    arr = np.load(p, mmap_mode="r+")
    b = arr.reshape(-1).view(np.uint8)
    b[len(b) // 2] ^= 0x01
    arr.flush()
    del arr, b


def truncate(p: Path) -> None:
    os.truncate(p, p.stat().st_size // 2)


def garble(p: Path) -> None:
    p.write_text(p.read_text()[:-7])


def garble_sums_and_touch(p: Path) -> None:
    """Garble a segment's checksum record and change the stamp of its idx (same bytes), so that the idx
    must be re-hashed against the record."""
    garble(p)
    idx = p.with_name(p.name.replace(".sum.json", ".idx.npy"))
    st = idx.stat()
    os.utime(idx, ns=(st.st_atime_ns, st.st_mtime_ns))


def keeping_mtime(damage: Callable[[Path], None]) -> Callable[[Path], None]:
    """Damage, then set atime/mtime back, so size, mtime and inode look unchanged."""

    def f(p: Path) -> None:
        st = p.stat()
        damage(p)
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
        assert p.stat().st_mtime_ns == st.st_mtime_ns and p.stat().st_size == st.st_size

    return f


def forging_stamp(damage: Callable[[Path], None]) -> Callable[[Path], None]:
    """Damage, then record the file's new stat stamp as verified: corruption no stat can see (bits rotting
    on disk). Only the always-on probe can find it."""

    def f(p: Path) -> None:
        damage(p)
        st = p.stat()
        stamp = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        if p.name.startswith("bloom-"):
            meta_path = p.parent / "bloom.json"
            meta = json.loads(meta_path.read_text())
            meta["stamp"] = stamp
        else:
            meta_path = p.parent / "stamps.json"
            meta = json.loads(meta_path.read_text())
            assert p.name in meta
            meta[p.name] = stamp
        meta_path.write_text(json.dumps(meta))

    return f


# (id, file chooser, damage, name expected in the report or None to use the damaged file's name)
DAMAGE = [
    ("bloom-zero", "bloom", zero_fill),
    ("bloom-zero-mtime-restored", "bloom", keeping_mtime(zero_fill)),
    ("bloom-zero-stamp-forged", "bloom", forging_stamp(zero_fill)),
    ("bloom-flip", "bloom", flip_bytes),
    ("bloom-truncated", "bloom", truncate),
    ("bloom-json-garbled", "bloom.json", garble),
    ("idx-zero", "idx.npy", zero_fill),
    ("idx-flip", "idx.npy", keeping_mtime(flip_bytes)),
    ("idx-zero-stamp-forged", "idx.npy", forging_stamp(zero_fill)),
    ("idx-truncated", "idx.npy", truncate),
    ("sig-zero", "sig.npy", keeping_mtime(zero_fill)),
    ("sig-one-byte", "sig.npy", flip_one_byte),
    ("sig-zero-stamp-forged", "sig.npy", forging_stamp(zero_fill)),
    ("sig-truncated", "sig.npy", truncate),
    ("sums-garbled", "sum.json", garble_sums_and_touch),
]


def target(h: Home, which: str) -> Path:
    if which == "bloom":
        return h.bloom()
    if which == "bloom.json":
        return h.index / "bloom.json"
    return h.seg(D1, which)


def rebuilt_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "freshdata.dedup" and r.levelno >= logging.WARNING]


@pytest.mark.parametrize("first", ["next_day", "rerun"])
@pytest.mark.parametrize(("which", "damage"), [d[1:] for d in DAMAGE], ids=[d[0] for d in DAMAGE])
def test_damaged_index_detected_and_rebuilt(home, expected, caplog, which, damage, first):
    for day in (D1, D2, D3):
        home.run(day)
    assert {d: home.decisions(d) for d in (D1, D2, D3)} == {d: expected[d] for d in (D1, D2, D3)}
    p = target(home, which)
    damage(p)
    caplog.clear()
    caplog.set_level(logging.INFO, logger="freshdata.dedup")
    order = [D4, D3] if first == "next_day" else [D3, D4]
    s = home.run(order[0])
    assert home.decisions(order[0]) == expected[order[0]]
    assert s.extra["index_rebuilt"] == [p.name]
    warnings = rebuilt_warnings(caplog)
    assert warnings and all(p.name in w for w in warnings), warnings
    # healed: the second day finds nothing to rebuild and decides as with an intact index
    caplog.clear()
    s = home.run(order[1])
    assert home.decisions(order[1]) == expected[order[1]]
    assert s.extra["index_rebuilt"] == [] and not rebuilt_warnings(caplog)


def test_intact_index_is_not_rebuilt_and_hashed_once(home, expected, caplog):
    """No false alarms; files are re-hashed only when their stat stamp changes."""
    caplog.set_level(logging.INFO, logger="freshdata.dedup")
    rehashed = []
    for day in DAYS:
        s = home.run(day)
        assert s.extra["index_rebuilt"] == []
        rehashed.append(s.extra["index_files_rehashed"])
    # files are checksummed as they are written and trusted by their stamps afterwards
    assert rehashed == [0, 0, 0, 0]
    s = home.run(D4)  # re-run: nothing new to verify
    assert (s.extra["index_rebuilt"], s.extra["index_files_rehashed"]) == ([], 0)
    s = home.run(D2)
    assert (s.extra["index_rebuilt"], s.extra["index_files_rehashed"]) == ([], 0)
    assert {d: home.decisions(d) for d in DAYS} == expected
    # a copied index (new inodes and times, same bytes): everything is re-hashed once, nothing rebuilt
    moved = home.root / "moved"
    shutil.copytree(home.index, moved)
    shutil.rmtree(home.index)
    moved.rename(home.index)
    s = home.run(D4)
    assert s.extra["index_rebuilt"] == []
    assert s.extra["index_files_rehashed"] == 2 * 3 + 1  # idx + sig of D1-D3, the Bloom filter
    s = home.run(D4)
    assert (s.extra["index_rebuilt"], s.extra["index_files_rehashed"]) == ([], 0)
    assert home.decisions(D4) == expected[D4]
    assert not caplog.records, [r.getMessage() for r in caplog.records]
    # lost verified stamps of the segments: they are re-hashed, not rebuilt
    (home.index / "stamps.json").write_text("{garbled")
    s = home.run(D4)
    assert (s.extra["index_rebuilt"], s.extra["index_files_rehashed"]) == ([], 2 * 3)
    assert not rebuilt_warnings(caplog)


def test_deleted_index_is_rebuilt_quietly(home, expected, caplog):
    """A missing index (cold cache) is rebuilt without warnings: it is not corruption."""
    for day in (D1, D2, D3):
        home.run(day)
    shutil.rmtree(home.index)
    caplog.set_level(logging.INFO, logger="freshdata.dedup")
    s = home.run(D4)
    assert s.extra["index_rebuilt"] == [] and not caplog.records
    assert home.decisions(D4) == expected[D4]


def test_index_without_checksums_is_rebuilt(home, expected, caplog):
    """An index written before checksums existed (no bloom checksum, no sum.json) is rebuilt, logged at info."""
    for day in (D1, D2, D3):
        home.run(day)
    meta_path = home.index / "bloom.json"
    meta = json.loads(meta_path.read_text())
    for k in ("crc32", "size", "stamp"):
        del meta[k]
    meta_path.write_text(json.dumps(meta))
    for p in home.index.glob("seg-*.sum.json"):
        p.unlink()
    caplog.set_level(logging.INFO, logger="freshdata.dedup")
    s = home.run(D4)
    assert s.extra["index_rebuilt"] == [] and not rebuilt_warnings(caplog)
    assert any("no checksum" in r.getMessage() for r in caplog.records)
    assert home.decisions(D4) == expected[D4]
    s = home.run(D4)
    # the rebuilt files carry checksums and verified stamps now
    assert (s.extra["index_rebuilt"], s.extra["index_files_rehashed"]) == ([], 0)
