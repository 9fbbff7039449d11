"""Adaptive re-checks vs fixed hourly polling over a simulated week (issue 18, part 2), side by side in one run.

Three RSS feeds on a loopback site (freshdata_tests/recheck_sim.py) publish one item every hour, every day and
every week, at random moments (seeded); the site's clock is simulated. Each arm runs the real discovery and fetch
code once per simulated hour for 168 hours, with the hour as the as-of time: the fixed arm with `recheck: {min: 1h,
max: 1h}` (every feed checked every hour, conditionally), the adaptive arm with `recheck: {min: 1h, max: 7d}`, and
the adaptive arm with the default bounds (min 1h, max 1d).
Requests are the feed requests the site answered (200 or 304); latency is publish time → the as-of time of the
run that first discovered the item. Results: benchmarks/README_recheck.md.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_recheck.py [--hours 168] [--seed 18]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from freshdata_tests.recheck_sim import ClockSite, FeedResult, publish_times, simulate, total

ARMS = {"fixed hourly": {"min": "1h", "max": "1h"}, "adaptive": {"min": "1h", "max": "7d"},
        "adaptive, default bounds": {}}  # min 1h, max 1d


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=168)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    feeds = publish_times(args.hours, args.seed)
    results: dict[str, dict[str, FeedResult]] = {}
    seconds = {}
    for arm, recheck in ARMS.items():
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as home, ClockSite(feeds) as site:
            per_feed = simulate(Path(home), recheck, args.hours, site)
        results[arm] = {**per_feed, "total": total(per_feed)}
        seconds[arm] = time.perf_counter() - started
    fixed = results["fixed hourly"]
    print(f"{args.hours} simulated hours, seed {args.seed}; wall time: "
          + ", ".join(f"{arm} {s:.0f} s" for arm, s in seconds.items()))
    print("| arm | feed | requests (304) | vs fixed | items found / published | p50 latency h | p50 vs fixed | "
          "p90 latency h |")
    print("|---|---|---|---|---|---|---|---|")
    for arm, per_feed in results.items():
        for name, r in per_feed.items():
            f = fixed[name]
            ratio = r.p50_h / f.p50_h if f.p50_h and r.p50_h is not None else None
            print(f"| {arm} | {name} | {r.requests} ({r.not_modified}) | {r.requests / f.requests:.1%} | "
                  f"{len(r.latencies_h)}/{r.published} | {_fmt(r.p50_h)} | {_fmt(ratio)}x | {_fmt(r.p90_h)} |")
    for arm in list(ARMS)[1:]:
        t_f, t_a = fixed["total"], results[arm]["total"]
        verdict = {"arm": arm, "requests_ratio": round(t_a.requests / t_f.requests, 4),
                   "p50_ratio": round(t_a.p50_h / t_f.p50_h, 4) if t_f.p50_h and t_a.p50_h is not None else None}
        verdict["meets_target"] = verdict["requests_ratio"] <= 0.40 and (verdict["p50_ratio"] or 99) <= 1.5
        print(json.dumps(verdict))


if __name__ == "__main__":
    main()
