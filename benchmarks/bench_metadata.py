"""What the metadata the issue asks for costs on top of bare `trafilatura.extract()`, in one process.

Issue 2 compares the pipeline with a bare `trafilatura.extract()` pool, but asks the pipeline to keep
metadata (title, author, date, sitename, hostname, categories, tags, description). This script times, side
by side and interleaved (best of `--repeat`), on the 300 real pages of the shared corpus:

- `extract(html, url=…)`: the issue's baseline call;
- `bare_extraction(with_metadata=False)`: the same extraction as a Document;
- freshdata's call, `freshdata.extract.extract_one`: `bare_extraction(with_metadata=True)` with the
  non-extensive date search it uses when the feed or sitemap already gave a date;
- trafilatura's default `bare_extraction(with_metadata=True)` (extensive date search);
- freshdata's call with `fast=True` (no fallback extractors), with its snippet accuracy;

then profiles trafilatura's `extract_metadata` on pre-parsed trees and splits its time by sub-step. The
last line is the ceiling it implies: the best ratio to the bare pool that any pipeline keeping this metadata
could reach if fetching, dedup, quality and Dagster cost nothing.

    FRESHDATA_CORPUS=../shared/corpus .venv/bin/python benchmarks/bench_metadata.py
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections.abc import Callable

import trafilatura
from bench_extract import CORPUS, _bare, _bare_with_metadata, _same_work, load_corpus, score
from trafilatura.metadata import extract_metadata
from trafilatura.utils import load_html

from freshdata.extract import KNOWN_DATE_PARAMS

METADATA_STEPS = ("examine_meta", "extract_meta_json", "extract_title", "extract_author", "extract_url",
                  "find_date", "extract_sitename", "extract_catstags", "extract_license", "extract_domain")


def _text(doc) -> str | None:
    return f"{doc.text or ''}\n{doc.comments or ''}".strip() if doc is not None else None


# Each takes (html bytes, url) and returns the text; the bench_extract ones are the calls its pools time.
CALLS: dict[str, Callable[[tuple[bytes, str]], str | None]] = {
    "extract() (the issue's baseline)": _bare,
    "bare_extraction, no metadata": lambda args: _text(trafilatura.bare_extraction(args[0], url=args[1])),
    "freshdata's call (extract_one: metadata, known date)": _same_work,
    "bare_extraction + metadata, trafilatura defaults": _bare_with_metadata,
    "freshdata's call with fast=True (diagnostic)": lambda args: _text(trafilatura.bare_extraction(
        args[0], url=args[1], with_metadata=True, date_extraction_params=dict(KNOWN_DATE_PARAMS), fast=True)),
}


def time_calls(pages: list[dict], repeat: int) -> tuple[dict[str, float], dict[str, dict]]:
    best = {name: float("inf") for name in CALLS}
    scores: dict[str, dict] = {}
    for call in CALLS.values():  # warm-up: imports and lazy caches must not count against the first call
        for page in pages[:10]:
            call((page["raw"], page["url"]))
    for _ in range(repeat):  # interleaved rounds: machine noise hits every call alike
        for name, call in CALLS.items():
            texts = {}
            start = time.perf_counter()
            for page in pages:
                texts[page["index"]] = call((page["raw"], page["url"]))
            best[name] = min(best[name], time.perf_counter() - start)
            scores[name] = score(pages, texts)
    return best, scores


def metadata_breakdown(pages: list[dict]) -> tuple[float, dict[str, float]]:
    trees = [(load_html(page["raw"]), page["url"]) for page in pages]
    profile = cProfile.Profile()
    profile.enable()
    for tree, url in trees:
        extract_metadata(tree, url, dict(KNOWN_DATE_PARAMS))
    profile.disable()
    stats = pstats.Stats(profile).stats  # {(file, line, func): (cc, nc, tt, ct, callers)}
    per_step = {step: 0.0 for step in METADATA_STEPS}
    total = 0.0
    for (_file, _line, func), (_cc, _nc, _tt, cumulative, callers) in stats.items():
        if func == "extract_metadata":
            total += cumulative
        elif func in per_step and any(caller[2] == "extract_metadata" for caller in callers):
            per_step[func] += cumulative
    return total, per_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=None, help="number of pages (default all 300)")
    parser.add_argument("--repeat", type=int, default=2, help="interleaved rounds; the best of each is kept")
    args = parser.parse_args()
    if not (CORPUS / "webpages.json").exists():
        raise SystemExit(f"corpus not found: {CORPUS} (set FRESHDATA_CORPUS)")
    if args.pages is not None and args.pages < 1:
        raise SystemExit("--pages must be at least 1")
    pages = load_corpus(args.pages)
    n = len(pages)
    best, scores = time_calls(pages, args.repeat)
    baseline = best["extract() (the issue's baseline)"]
    print(f"{n} pages, one process, best of {args.repeat} interleaved rounds\n")
    print("| call | ms/page | time vs extract() | with | without |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds in best.items():
        s = scores[name]
        print(f"| {name} | {seconds * 1000 / n:.1f} | {seconds / baseline:.2f}x | {s['with_counts']} "
              f"| {s['without_counts']} |")
    total, per_step = metadata_breakdown(pages)
    print(f"\nextract_metadata on pre-parsed trees (cProfile, inflates small calls): {total * 1000 / n:.1f} ms/page")
    for step, seconds in sorted(per_step.items(), key=lambda kv: -kv[1]):
        print(f"- {step}: {seconds * 1000 / n:.1f} ms/page ({seconds / total:.0%})")
    ours = best["freshdata's call (extract_one: metadata, known date)"]
    print(f"\nceiling: a pipeline keeping this metadata, with zero cost for everything else, reaches at most "
          f"{baseline / ours:.2f}x a bare extract() pool of the same size")


if __name__ == "__main__":
    main()
