"""The CPU floor of each stage's own per-page work, and the end-to-end ratio it allows (issue 14: ≥ 0.85× a bare
pool of freshdata's own extraction call, bench_extract.py).

On a machine where every stage is CPU-bound, a pipeline whose stages overlap perfectly spends, per page, the CPU of
extraction plus the CPU of everything else; a bare pool of the extraction call spends only the former. So no
scheduling can lift the end-to-end rate above  E / (E + others)  of the bare pool, whatever the number of cores.
This script measures, in one process and as CPU time (`time.process_time`, steady on a shared machine), the bare
per-page cost of the work each stage must do on the 300 pages of bench_extract.py (../shared/corpus):

- E: freshdata's own extraction call (`extract.extract_one`, what the bare pool of bench_extract.py runs);
- quality: the recipe (`quality.day._apply_batch`: filters, language, topic/format tags, PII, boilerplate line
  hashes) on each extracted text;
- dedup: the features of each text (`dedup.core._batch_features`: normalization, shingles, MinHash signature);
- fetch: the bench's loopback server answering the page (bench_extract.Server: it runs on the same cores as
  the pipeline in bench_extract.py, so it is part of the end-to-end cost there), an HTTP client fetching it
  (httpx, one connection, no politeness), and the WARC record's gzip compression at freshdata's level.

Nothing else (Dagster, DuckDB, WARC parsing, moving texts between processes, checks, publication) is counted: the
ratio printed is an upper bound for any pipeline doing this work.

    .venv/bin/python benchmarks/bench_ceiling.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import sys
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_extract import Server, _same_work, load_corpus  # noqa: E402

from freshdata.crawl.archive import GZIP_LEVEL  # noqa: E402
from freshdata.dedup.config import DedupConfig  # noqa: E402
from freshdata.dedup.core import _batch_features  # noqa: E402
from freshdata.quality import boilerplate  # noqa: E402
from freshdata.quality.day import _apply_batch  # noqa: E402
from freshdata.quality.recipe import load_recipe  # noqa: E402
from freshdata.quality.types import QualityDoc  # noqa: E402

FETCHED = datetime(2026, 1, 1, 12, tzinfo=UTC)
TARGET = 0.85


def cpu_ms_per_page(work, n: int, repeat: int) -> float:
    """Best of `repeat` runs of work(), CPU ms per page (all threads of this process)."""
    best = float("inf")
    for _ in range(repeat):
        c0 = time.process_time()
        work()
        best = min(best, time.process_time() - c0)
    return best * 1000 / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    pages = load_corpus(None)
    n = len(pages)
    _same_work((b"<html><body><p>warm up</p></body></html>", "https://example.com/"))
    texts = [_same_work((p["raw"], p["url"])) for p in pages]
    docs = [QualityDoc(str(i), p["url"], "bench", t, None, FETCHED) for i, (p, t) in enumerate(zip(pages, texts,
                                                                                                   strict=True)) if t]
    recipe = load_recipe(None)
    params = boilerplate.params_of(recipe)
    _apply_batch(docs[:2], recipe=recipe, line_params=params)
    cfg = DedupConfig()
    batch = ([d.doc_id for d in docs], [d.text for d in docs])

    server = Server()
    server.serve(pages)
    urls = [server.base + p["path"] for p in pages]
    bodies: list[bytes] = []

    def fetch_all() -> None:
        bodies.clear()
        with httpx.Client(http2=False) as client:
            for url in urls:
                bodies.append(client.get(url).content)

    fetch_all()  # warm
    rows = {
        "E: extraction (freshdata's call)": cpu_ms_per_page(lambda: [_same_work((p["raw"], p["url"])) for p in pages],
                                                            n, args.repeat),
        "quality recipe + line hashes": cpu_ms_per_page(
            lambda: _apply_batch(docs, recipe=recipe, line_params=params), n, args.repeat),
        "dedup features (normalize, shingles, MinHash)": cpu_ms_per_page(
            lambda: _batch_features(batch, cfg.ngram, cfg.min_words, cfg.num_perm, cfg.seed, cfg.scheme),
            n, args.repeat),
        # the server's threads run in this process, so process_time counts both ends of every exchange
        "fetch: loopback server + httpx client, both ends": cpu_ms_per_page(fetch_all, n, args.repeat),
    }
    rows["fetch: WARC gzip at freshdata's level"] = cpu_ms_per_page(
        lambda: [zlib.compress(b, GZIP_LEVEL) for b in bodies], n, args.repeat)
    server.close()

    e = rows["E: extraction (freshdata's call)"]
    others = sum(v for k, v in rows.items() if not k.startswith("E:"))
    print(f"{n} pages ({len(docs)} with text); CPU ms per page, best of {args.repeat}\n")
    for name, value in rows.items():
        print(f"  {name:<58} {value:7.2f}")
    print(f"\n  everything but E: {others:.2f} ms; for {TARGET}x the rest may take at most "
          f"{e * (1 / TARGET - 1):.2f} ms")
    print(f"  ceiling E / (E + others) = {e / (e + others):.3f}x  (perfect overlap, zero overhead)")


if __name__ == "__main__":
    main()
