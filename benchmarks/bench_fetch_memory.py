"""Peak memory of the fetch stage against the day's size: a 500-page and a 5,000-page fetch in one run.

A loopback server (its own process, on 127.0.0.1 … 127.0.0.<hosts>, so per-host limits apply as on the web)
serves HTML pages of realistic size (lognormal, median ~60 KB, 8-400 KB; words from a fixed vocabulary, so they
compress like text). Each day size runs in a fresh child process: discovery (one sitemap per host), then
`fetch_day` exactly as the pipeline calls it (archive included). The child resets its peak-RSS counter
(/proc/self/clear_refs) after discovery, so the reported peak is the fetch stage's own, plus the RSS the
process had before it.

    .venv/bin/python benchmarks/bench_fetch_memory.py                 # 500 and 5000 pages
    .venv/bin/python benchmarks/bench_fetch_memory.py --code /tmp/old # same measurement on another checkout

Numbers: benchmarks/README_memory.md. Nothing leaves the machine: every request goes to 127.0.0.0/8.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_VOCAB_SEED = 7


def _vocabulary() -> list[str]:
    rng = random.Random(_VOCAB_SEED)
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(2, 11))) for _ in range(5000)]


def _page(host: int, index: int, words: list[str]) -> bytes:
    """One HTML page; its size is lognormal (median ~60 KB), like real article pages with their markup."""
    rng = random.Random(host * 1_000_003 + index)
    size = int(min(400_000, max(8_000, math.exp(rng.gauss(math.log(60_000), 0.6)))))
    head = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Page {index} on host {host}</title>"
            "<meta name=viewport content='width=device-width'><link rel=stylesheet href=/s.css></head><body>"
            f"<nav><a href=/>home</a> <a href=/news>news</a></nav><article><h1>Article {index}</h1>")
    parts = [head]
    total = len(head)
    while total < size:
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(8, 24))).capitalize() + ". "
        para = f"<p class=c{rng.randint(0, 9)}>" + sentence * 1 + " ".join(
            rng.choice(words) for _ in range(rng.randint(20, 80))) + ".</p>\n"
        parts.append(para)
        total += len(para)
    parts.append("</article><footer>footer</footer></body></html>")
    return "".join(parts).encode()


def _serve(hosts: int, pages_per_host: int, port_queue) -> None:
    words = _vocabulary()
    cache: dict[tuple[int, int], bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            host = int(self.server.server_address[0].rsplit(".", 1)[1])
            port = self.server.server_address[1]
            if self.path == "/sitemap.xml":
                urls = "".join(f"<url><loc>http://127.0.0.{host}:{port}/p/{i}.html</loc>"
                               f"<lastmod>2026-01-01</lastmod></url>" for i in range(pages_per_host))
                body = (f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns='
                        f'"http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>').encode()
                ctype = "application/xml"
            elif self.path.startswith("/p/"):
                index = int(self.path[3:].split(".")[0])
                body = cache.get((host, index)) or cache.setdefault((host, index), _page(host, index, words))
                ctype = "text/html; charset=utf-8"
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    servers = []
    port = None
    for h in range(1, hosts + 1):
        server = ThreadingHTTPServer((f"127.0.0.{h}", port or 0), Handler)
        server.daemon_threads = True
        server.request_queue_size = 128
        port = server.server_address[1]
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    port_queue.put(port)
    threading.Event().wait()


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def child(pages: int, hosts: int, port: int, home: str, config: dict, archive_delay_ms: float) -> dict:
    """One day of `pages` pages: discovery, then the fetch stage; the fetch stage's memory."""
    from datetime import date

    import duckdb

    from freshdata import schema
    from freshdata.config import parse_sources
    from freshdata.crawl import archive
    from freshdata.crawl.daily import discover_day, fetch_day

    if archive_delay_ms:  # a slow or contended disk: every record takes this much longer to write
        add = archive.DayArchive.add

        def slow_add(self, *a, **k):
            time.sleep(archive_delay_ms / 1000)
            return add(self, *a, **k)

        archive.DayArchive.add = slow_add

    day = date(2026, 1, 1)
    per_host = [pages // hosts + (h <= pages % hosts) for h in range(1, hosts + 1)]  # exactly `pages` in all
    sources = parse_sources({
        "crawl": {"per_host_delay_s": 0, "autothrottle": False, "allow_private_networks": True,
                  "timeout_s": 60, "max_retries": 0, **config},
        "sources": [{"name": f"host{h}", "kind": "sitemap", "url": f"http://127.0.0.{h}:{port}/sitemap.xml",
                     "max_documents_per_run": per_host[h - 1]} for h in range(1, hosts + 1)],
    }, "bench")
    raw = Path(home) / "raw"
    con = duckdb.connect(str(Path(home) / "f.duckdb"))
    schema.ensure_schema(con)
    discover_day(con, day, sources, raw)
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM: the peak below is the fetch stage's
    before = _status("VmRSS")
    started = time.perf_counter()
    summary = fetch_day(con, day, sources, raw)
    elapsed = time.perf_counter() - started
    peak = _status("VmHWM")
    raw_bytes = sum(p.stat().st_size for p in raw.rglob("fetch-*.warc.gz"))
    body_bytes = con.execute("SELECT sum(body_bytes) FROM fetch_log WHERE stage = 'fetch' AND kind = 'document'"
                             ).fetchone()[0]
    return {"pages": pages, "fetched": summary.counts.get("fetched", 0), "rss_before_mb": before / 2**20,
            "peak_mb": peak / 2**20, "growth_mb": (peak - before) / 2**20, "seconds": elapsed,
            "pages_per_s": pages / elapsed, "body_mb": (body_bytes or 0) / 2**20, "warc_mb": raw_bytes / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--code", default=str(REPO), help="checkout whose freshdata package is measured")
    parser.add_argument("--crawl", default="{}", help="extra crawl settings as JSON, e.g. '{\"max_concurrency\": 32}'")
    parser.add_argument("--archive-delay-ms", type=float, default=0.0,
                        help="extra time per archived record (simulates a disk slower than the network)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        spec = json.loads(args.child)
        print(json.dumps(child(**spec)))
        return
    ports: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(args.hosts, max(args.pages) // args.hosts + 1, ports),
                                     daemon=True)
    server.start()
    port = ports.get(timeout=30)
    env = {**os.environ, "PYTHONPATH": args.code}
    rows = []
    try:
        for pages in args.pages:
            with tempfile.TemporaryDirectory(prefix="bench_fetch_mem_") as home:
                spec = {"pages": pages, "hosts": args.hosts, "port": port, "home": home,
                        "config": json.loads(args.crawl), "archive_delay_ms": args.archive_delay_ms}
                out = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], env=env, cwd=args.code,
                                     check=True, capture_output=True, text=True).stdout
                rows.append(json.loads(out.strip().splitlines()[-1]))
                print(json.dumps(rows[-1]), file=sys.stderr)
    finally:
        server.terminate()
    print(f"code: {args.code}; hosts: {args.hosts}; crawl: {args.crawl}; archive delay: {args.archive_delay_ms} ms")
    print("| pages | fetched | bodies MB | WARC MB | RSS before fetch MB | peak RSS in fetch MB | growth MB "
          "| pages/s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['pages']} | {r['fetched']} | {r['body_mb']:.0f} | {r['warc_mb']:.0f} | {r['rss_before_mb']:.0f} | "
              f"{r['peak_mb']:.0f} | {r['growth_mb']:.0f} | {r['pages_per_s']:.0f} |")
    if len(rows) >= 2:
        print(f"peak difference {rows[-1]['pages']} vs {rows[0]['pages']} pages: "
              f"{rows[-1]['peak_mb'] - rows[0]['peak_mb']:+.0f} MB")


if __name__ == "__main__":
    main()
