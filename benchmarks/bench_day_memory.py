"""Whole-day peak memory of `freshdata run` against the day's size: a 500-page and a 5,000-page day.

The same loopback server and pages as bench_fetch_memory.py (its own process on 127.0.0.1 … 127.0.0.<hosts>,
lognormal HTML pages, median ~60 KB), one sitemap source per host. Each day size is one `freshdata run` in a fresh
data home, as a user runs it (discovery, fetch + WARC, extraction pool, dedup, quality, snapshot, checks). A sampler
walks the run's process tree (the CLI process, the fork server, every pool worker) every `--interval` seconds and
sums PSS (and RSS) over it from /proc/<pid>/smaps_rollup; the reported peak is the highest sum seen, and the
running Dagster step at that moment. PSS counts a page shared by a forked worker and its parent once, split
between them, so the sum is the memory the day really holds.

    .venv/bin/python benchmarks/bench_day_memory.py                   # 500 and 5000 pages
    .venv/bin/python benchmarks/bench_day_memory.py --code /tmp/old   # another checkout (its own .venv is not used)

Numbers: benchmarks/README_memory.md. Nothing leaves the machine: every request goes to 127.0.0.0/8.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_extract import step_spans  # noqa: E402
from bench_fetch_memory import _serve  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DAY = "2026-01-01"


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _tree(root: int) -> list[int]:
    tree, out, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(tree.get(pid, []))
    return out


def _rollup(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in bytes; (0, 0) when it is gone."""
    pss = rss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) * 1024
            elif line.startswith("Rss:"):
                rss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return pss, rss


class Sampler(threading.Thread):
    def __init__(self, root: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.root, self.interval, self.stop = root, interval, threading.Event()
        self.samples: list[tuple[float, int, int, int, int]] = []  # (t, pss sum, rss sum, main rss, processes)

    def run(self) -> None:
        t0 = time.monotonic()
        while not self.stop.is_set():
            pids = _tree(self.root)
            rolls = [_rollup(p) for p in pids]
            main = rolls[0][1] if rolls else 0
            self.samples.append((time.monotonic() - t0, sum(r[0] for r in rolls), sum(r[1] for r in rolls), main,
                                 len(pids)))
            self.stop.wait(self.interval)


def sources_yaml(hosts: int, port: int, pages: int) -> str:
    per_host = [pages // hosts + (h <= pages % hosts) for h in range(1, hosts + 1)]
    allowed = ", ".join(f'"127.0.0.{h}:{port}"' for h in range(1, hosts + 1))
    lines = ["crawl:", "  per_host_delay_s: 0", "  autothrottle: false", "  timeout_s: 60", "  max_retries: 0",
             "  respect_robots: false", "  respect_ai_opt_out: false", f"  private_hosts_allowed: [{allowed}]",
             "sources:"]
    for h in range(1, hosts + 1):
        lines += [f"  - name: host{h}", "    kind: sitemap", f"    url: http://127.0.0.{h}:{port}/sitemap.xml",
                  f"    max_documents_per_run: {per_host[h - 1]}"]
    return "\n".join(lines) + "\n"


def one_day(pages: int, hosts: int, port: int, code: str, interval: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_day_mem_") as tmp:
        home = Path(tmp)
        sources = home / "sources.yaml"
        sources.write_text(sources_yaml(hosts, port, pages))
        env = {**os.environ, "FRESHDATA_HOME": str(home), "FRESHDATA_LOG_LEVEL": "WARNING", "PYTHONPATH": code}
        env.pop("FRESHDATA_SOURCES", None)
        cli = [sys.executable, "-m", "freshdata.cli", "run", "--date", DAY, "--sources", str(sources)]
        t0, launched = time.perf_counter(), time.time()
        proc = subprocess.Popen(cli, env=env, cwd=code, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        sampler = Sampler(proc.pid, interval)
        sampler.start()
        out, err = proc.communicate()
        elapsed = time.perf_counter() - t0
        sampler.stop.set()
        sampler.join()
        if proc.returncode != 0:
            raise SystemExit(f"freshdata run failed ({proc.returncode}):\n{out}\n{err}")
        import re

        import duckdb

        run_id = next(iter(re.findall(r"run (\S+) succeeded", out)), None)
        steps = step_spans(home, run_id, env) if run_id else {}
        con = duckdb.connect(str(home / "freshdata.duckdb"), read_only=True)
        try:
            states = dict(con.execute("SELECT state, count(*) FROM url_funnel GROUP BY ALL").fetchall())
        except duckdb.Error:
            states = {}
        con.close()
    peak = max(sampler.samples, key=lambda s: s[1])
    peak_rss = max(s[2] for s in sampler.samples)
    peak_main = max(s[3] for s in sampler.samples)
    # the step running at the peak: Dagster step start/end (epoch) against the sampler's clock
    t_peak = launched + peak[0]
    at_peak = next((k for k, (s, e) in steps.items() if s <= t_peak <= e), None)
    step_peaks = {k: round(max((x[1] for x in sampler.samples if s <= launched + x[0] <= e), default=0) / 2**20)
                  for k, (s, e) in steps.items() if not k.startswith("daily_snapshot_")}
    return {"pages": pages, "seconds": elapsed, "peak_pss_mb": peak[1] / 2**20, "rss_at_peak_mb": peak[2] / 2**20,
            "peak_rss_sum_mb": peak_rss / 2**20, "peak_main_rss_mb": peak_main / 2**20, "processes_at_peak": peak[4],
            "peak_at_s": peak[0], "step_at_peak": at_peak, "samples": len(sampler.samples), "states": states,
            "steps_s": {k: round(e - s, 1) for k, (s, e) in steps.items()},
            "step_peak_pss_mb": step_peaks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--code", default=str(REPO), help="checkout whose freshdata package is measured")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between samples of the process tree")
    args = parser.parse_args()
    ports: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(args.hosts, max(args.pages) // args.hosts + 1, ports),
                                     daemon=True)
    server.start()
    port = ports.get(timeout=30)
    rows = []
    try:
        for pages in args.pages:
            row = one_day(pages, args.hosts, port, args.code, args.interval)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    finally:
        server.terminate()
    print(f"code: {args.code}; hosts: {args.hosts}; sampled every {args.interval} s")
    print("| pages | run s | peak PSS, all processes MB | RSS sum at that moment MB | peak main-process RSS MB "
          "| processes | step at peak |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['pages']} | {r['seconds']:.0f} | {r['peak_pss_mb']:.0f} | {r['rss_at_peak_mb']:.0f} | "
              f"{r['peak_main_rss_mb']:.0f} | {r['processes_at_peak']} | {r['step_at_peak']} |")
    for r in rows:
        print(f"{r['pages']} pages, peak PSS MB by step: "
              + ", ".join(f"{k} {v}" for k, v in r["step_peak_pss_mb"].items()))
    if len(rows) >= 2:
        print(f"peak PSS difference {rows[-1]['pages']} vs {rows[0]['pages']} pages: "
              f"{rows[-1]['peak_pss_mb'] - rows[0]['peak_pss_mb']:+.0f} MB")


if __name__ == "__main__":
    main()
