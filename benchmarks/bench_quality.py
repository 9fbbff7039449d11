"""Benchmark the quality stage (not a test): docs/s per core, per-operator time, topic/format accuracy.

Run: .venv/bin/python benchmarks/bench_quality.py [--corpus DIR] [--repeat N] [--baseline-rev REV]
--baseline-rev: also time `freshdata/quality` as of git REV (exported to a temp dir) interleaved with
the working tree, pass by pass, and compare decisions/texts/stats (the ratio is what to trust on a
shared, noisy machine).
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
from freshdata.quality.recipe import PARALLEL_MIN_DOCS  # noqa: E402
from freshdata.quality.registry import DATA_DIR  # noqa: E402
from freshdata.quality.taggers import load_taxonomy  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "webpages"
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline-rev", help="git revision to time side by side (e.g. a commit before a change)")
    args = ap.parse_args()

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

    # apply_many only spawns workers for >= PARALLEL_MIN_DOCS docs; includes worker start-up cost
    par_docs = docs * max(1, -(-PARALLEL_MIN_DOCS // len(docs)))
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
