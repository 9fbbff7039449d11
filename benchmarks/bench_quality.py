"""Benchmark the quality stage (not a test): docs/s per core, per-operator time, topic/format accuracy.

Run: .venv/bin/python benchmarks/bench_quality.py [--corpus DIR] [--repeat N] [--baseline-rev REV]
--baseline-rev: also time `freshdata/quality` as of git REV (exported to a temp dir) interleaved with
the working tree, pass by pass, and compare decisions/texts/stats (the ratio is what to trust on a
shared, noisy machine).
--rejections: instead, list every rejection of the real news corpora (../shared/corpus/multilingual and
webpages, extracted with freshdata.extract.extract_one, cached in /tmp) per language, separately for the
tuning part and the held-out part (30 %, by a hash of the file name) that thresholds were not tuned on;
pages whose extracted text is not the story (BROKEN_EXTRACTIONS, judged by reading them) are counted apart.
Texts come from ../shared/corpus/webpages/*.html.gz (trafilatura, extraction time NOT counted),
else from the demo samples.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from freshdata.quality import QualityDoc, load_recipe  # noqa: E402
from freshdata.quality.demo_samples import DEMO_SAMPLES  # noqa: E402
from freshdata.quality.registry import DATA_DIR  # noqa: E402
from freshdata.quality.taggers import load_taxonomy  # noqa: E402
from freshdata.workers import PARALLEL_MIN_ITEMS  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "webpages"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"
EXTRACT_CACHE = Path(tempfile.gettempdir()) / "freshdata_bench_quality_texts.json"
# Read one by one: the extracted text is navigation, a listing, an error page, a wiki diff or the story twice.
BROKEN_EXTRACTIONS = {
    "pages/mediacloud_1571322029.html.gz": "wiki revision diff",
    "pages/mediacloud_1522651525.html.gz": "wiki revision diff",
    "pages/mediacloud_1493663910.html.gz": "region menu",
    "pages/mediacloud_1687351353.html.gz": "company-register listing",
    "pages/mediacloud_1630687900.html.gz": "radio 'recently played' widget",
    "pages/mediacloud_1685765130.html.gz": "'Request unsuccessful' error page",
    "pages/mediacloud_1564637733.html.gz": "image page caption",
    "pages/mediacloud_1588233953.html.gz": "masthead links",
    "pages/mediacloud_1766087391.html.gz": "teaser listing",
    "pages/mediacloud_1545286960.html.gz": "video teaser listing",
    "pages/mediacloud_1580240354.html.gz": "forum navigation",
    "pages/mediacloud_1521292139.html.gz": "site navigation",
    "pages/mediacloud_1725202846.html.gz": "site navigation",
    "pages/mediacloud_1579139187.html.gz": "the story extracted twice",
    "pages/mediacloud_1552005464.html.gz": "forum post header only",
    "pages/mediacloud_1676646261.html.gz": "tweet-embed widget text",
    "webpages/OnlineMarketing.de-Instagram.html.gz": "one slogan line twice",
}
LABELED = ROOT / "freshdata_tests" / "data" / "quality_topic_format_sample.yaml"
FETCHED = datetime(2025, 3, 1, 12, tzinfo=UTC)


def load_docs(corpus: Path) -> tuple[list[QualityDoc], str]:
    files = sorted(corpus.glob("*.html.gz")) if corpus.is_dir() else []
    if not files:
        docs = [
            QualityDoc(n, f"https://demo.example/{n}", "demo", t, None, FETCHED)
            for n, t in DEMO_SAMPLES.items()
        ]
        return docs, "demo samples"
    import trafilatura

    docs = []
    for f in files:
        html = gzip.decompress(f.read_bytes()).decode("utf-8", "replace")
        text = trafilatura.extract(html, include_comments=False) or ""
        if text.strip():
            name = f.name.removesuffix(".html.gz")
            docs.append(QualityDoc(name, f"https://{name}/", "bench", text, None, FETCHED))
    return docs, f"{len(files)} pages in {corpus} (trafilatura-extracted, {len(docs)} non-empty)"


def accuracy() -> tuple[int, float, float]:
    tax = load_taxonomy(DATA_DIR / "taxonomy.yaml")
    rows = yaml.safe_load(LABELED.read_text())
    t = f = 0
    for r in rows:
        topic, _, fmt, _ = tax.tag(r["text"], r["url"])
        t += topic == r["topic"]
        f += fmt == r["format"]
    return len(rows), t / len(rows), f / len(rows)


def baseline_compare(docs: list[QualityDoc], rev: str, repeat: int) -> dict:
    """Time the recipe at git `rev` and the working tree interleaved; count differing outcomes."""
    tmp = Path(tempfile.mkdtemp(prefix="bench_quality_"))
    pkg = tmp / "baseline_quality"
    pkg.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "freshdata/quality"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(pkg), "--strip-components=2"], input=archive, check=True)
    sys.path.insert(0, str(tmp))
    import baseline_quality as bq

    old_docs = [bq.QualityDoc(d.doc_id, d.url, d.source, d.text, None, FETCHED) for d in docs]
    old_r, new_r = bq.load_recipe(None), load_recipe(None)
    old_r.apply(old_docs[0])
    new_r.apply(docs[0])
    t_old = t_new = c_old = c_new = 0.0
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        old_outs = [old_r.apply(d) for d in old_docs]
        t_old += time.perf_counter() - t0
        c_old += time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        new_outs = [new_r.apply(d) for d in docs]
        t_new += time.perf_counter() - t0
        c_new += time.process_time() - c0
    n = len(docs) * repeat
    pairs = list(zip(old_outs, new_outs, strict=True))
    return {
        "rev": rev,
        "docs_per_s_baseline": round(n / t_old, 1),
        "docs_per_s_new": round(n / t_new, 1),
        "speedup_wall": round(t_old / t_new, 3),
        "cpu_docs_per_s_baseline": round(n / c_old, 1),
        "cpu_docs_per_s_new": round(n / c_new, 1),
        "speedup_cpu": round(c_old / c_new, 3),
        "decision_diffs": sum((a.kept, a.reason) != (b.kept, b.reason) for a, b in pairs),
        "text_diffs": sum(a.text != b.text for a, b in pairs),
        "stats_diffs": sum(a.stats != b.stats for a, b in pairs),
        "tag_diffs": sum(a.tags != b.tags for a, b in pairs),
    }


def _extract_corpora() -> list[dict]:
    """Main text of every page of both real corpora, as the pipeline extracts it (cached)."""
    if EXTRACT_CACHE.exists():
        return json.loads(EXTRACT_CACHE.read_text())
    from concurrent.futures import ProcessPoolExecutor

    index = json.loads((SHARED_CORPUS / "multilingual" / "index.json").read_text())
    items = [("multilingual", d["file"], d["url"]) for d in index]
    items += [("webpages", d["file"], d.get("url")) for d in json.loads((SHARED_CORPUS / "webpages.json").read_text())]
    with ProcessPoolExecutor() as pool:
        rows = list(pool.map(_extract_page, items, chunksize=4))
    EXTRACT_CACHE.write_text(json.dumps(rows))
    return rows


def _extract_page(item: tuple[str, str, str | None]) -> dict:
    from freshdata.extract import ExtractJob, extract_one

    corpus, file, url = item
    base = SHARED_CORPUS / "multilingual" if corpus == "multilingual" else SHARED_CORPUS
    e = extract_one(ExtractJob(file, gzip.decompress((base / file).read_bytes()), url or f"https://{Path(file).name}/"))
    return {"corpus": corpus, "file": file, "url": url, "ok": e.ok, "text": e.text}


def held_out(file: str) -> bool:
    """The 30 % of pages set aside before tuning (stable: a hash of the file name)."""
    import hashlib

    return int(hashlib.sha256(file.encode()).hexdigest(), 16) % 10 < 3


def rejections() -> None:
    """False rejections per language on the real news corpora, tuning vs held-out part."""
    recipe = load_recipe(None)
    parts: dict[str, dict[str, Counter]] = {"tuning": {}, "held_out": {}}
    listing = []
    for row in _extract_corpora():
        if not row["ok"]:
            continue
        doc = QualityDoc(row["file"], row["url"] or "https://unknown.example/", "bench", row["text"], None, FETCHED)
        out = recipe.apply(doc)
        part = "held_out" if held_out(row["file"]) else "tuning"
        c = parts[part].setdefault(out.tags["language"] or "none", Counter())
        c["pages"] += 1
        if not out.kept:
            broken = BROKEN_EXTRACTIONS.get(row["file"])
            c["broken_rejected" if broken else "false_rejections"] += 1
            listing.append(f"{part:8s} {out.tags['language']}/{out.tags['script']} {out.reason} {row['file']}"
                           + (f" [broken: {broken}]" if broken else ""))
    print("\n".join(sorted(listing)))
    result = {}
    for part, langs in parts.items():
        pages = sum(c["pages"] for c in langs.values())
        broken = sum(c["broken_rejected"] for c in langs.values())
        false = sum(c["false_rejections"] for c in langs.values())
        result[part] = {
            "pages": pages,
            "false_rejections": false,
            "broken_extractions_rejected": broken,
            "false_rejection_rate_pct": round(100 * false / max(pages - broken, 1), 1),
            "by_language_false/pages": {
                lang: f"{c['false_rejections']}/{c['pages'] - c['broken_rejected']}"
                for lang, c in sorted(langs.items(), key=lambda kv: -kv[1]["pages"])
            },
        }
    print(json.dumps(result, indent=2, ensure_ascii=False))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline-rev", help="git revision to time side by side (e.g. a commit before a change)")
    ap.add_argument("--rejections", action="store_true", help="list rejections of the real news corpora")
    args = ap.parse_args()
    if args.rejections:
        rejections()
        return

    t0 = time.perf_counter()
    docs, origin = load_docs(args.corpus)
    extract_s = time.perf_counter() - t0
    recipe = load_recipe(None)
    recipe.apply(docs[0])  # warm: load lid model, tldextract snapshot, taxonomy
    recipe.profile = True
    recipe.timings.clear()
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        outs = [recipe.apply(d) for d in docs]
    elapsed = time.perf_counter() - t0
    n = len(docs) * args.repeat
    rate = n / elapsed
    chars = sum(len(d.text) for d in docs) / max(len(docs), 1)
    total_t = sum(recipe.timings.values())
    per_op = {k: (v / n * 1e3, v / total_t * 100) for k, v in recipe.timings.items()}
    reasons = Counter((o.reason or "kept").split(":")[0] if o.reason else "kept" for o in outs)
    langs = Counter(o.tags["language"] for o in outs)
    topics = Counter(o.tags["topic"] for o in outs if o.kept)
    n_lab, acc_t, acc_f = accuracy()

    # apply_many only spawns workers for >= PARALLEL_MIN_ITEMS docs; includes worker start-up cost
    par_docs = docs * max(1, -(-PARALLEL_MIN_ITEMS // len(docs)))
    recipe.profile = False
    t0 = time.perf_counter()
    par = recipe.apply_many(par_docs, workers=None)
    par_rate = len(par) / (time.perf_counter() - t0)

    result = {
        "origin": origin,
        "docs": len(docs),
        "mean_chars": round(chars),
        "extract_s": round(extract_s, 1),
        "docs_per_s_one_core": round(rate, 1),
        "docs_per_s_apply_many_all_cores": round(par_rate, 1),
        "apply_many_docs": len(par_docs),
        "cores": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "per_op_ms": {k: round(v[0], 3) for k, v in per_op.items()},
        "per_op_pct": {k: round(v[1], 1) for k, v in per_op.items()},
        "outcomes": dict(reasons.most_common()),
        "languages_top": dict(langs.most_common(8)),
        "topics_kept_top": dict(topics.most_common(8)),
        "labeled": n_lab,
        "topic_accuracy": round(acc_t, 3),
        "format_accuracy": round(acc_f, 3),
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
    }
    if args.baseline_rev:
        result["baseline"] = baseline_compare(docs, args.baseline_rev, args.repeat)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
