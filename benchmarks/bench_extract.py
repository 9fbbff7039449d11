"""Extraction benchmark: the real pipeline vs bare trafilatura on the 300 real pages of the shared corpus.

Serves /work/shared/corpus/webpages on loopback behind a generated RSS feed, runs `freshdata run` on it
(once on a small set and once on all pages, separate homes, so start-up cost cancels out), reads the
`documents` table back and scores snippet accuracy against webpages.json; in the same run it calls
trafilatura.extract(html, url=original_url) on the same files, in one process and in a process pool over
every core. Prints a table and writes the numbers into benchmarks/README_extract.md.

    .venv/bin/python benchmarks/bench_extract.py            # all 300 pages (~6 min on 2 cores)
    .venv/bin/python benchmarks/bench_extract.py --quick    # 60 pages
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("FRESHDATA_CORPUS", REPO.parent / "shared" / "corpus"))
README = Path(__file__).resolve().parent / "README_extract.md"
DAY = "2026-01-01"
SOURCE = "bench"


# ---------------------------------------------------------------- corpus


def load_corpus(limit: int | None) -> list[dict]:
    entries = json.loads((CORPUS / "webpages.json").read_text(encoding="utf-8"))
    pages = []
    for i, entry in enumerate(entries[:limit] if limit else entries):
        raw = gzip.decompress((CORPUS / entry["file"]).read_bytes())
        path = urlsplit(entry["url"]).path or "/"
        served = f"/p/{i}/" + quote(path.lstrip("/"), safe="/%-._~!$&'()*+,;=:@")
        pages.append({**entry, "index": i, "raw": raw, "path": served})
    return pages


# ---------------------------------------------------------------- loopback server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    pages: dict[int, dict] = {}
    feed: bytes = b""

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _send(self, status: int, ctype: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        if path == "/feed.xml":
            return self._send(200, "application/rss+xml; charset=utf-8", self.feed)
        m = re.match(r"^/p/(\d+)/", path)
        page = self.pages.get(int(m.group(1))) if m else None
        if page is None:
            return self._send(404, "text/plain", b"not found")
        # no charset: the original response headers are not in the corpus, so the fetcher detects it
        return self._send(200, "text/html", page["raw"])

    do_HEAD = do_GET


def build_feed(pages: list[dict], base: str) -> bytes:
    start = datetime(2025, 12, 31, 12, tzinfo=UTC)
    items = []
    for page in pages:
        date = format_datetime(start - timedelta(minutes=page["index"]))
        items.append(f"<item><title>page {page['index']}</title><link>{escape(base + page['path'])}</link>"
                     f"<pubDate>{date}</pubDate></item>")
    return ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>bench</title>"
            f"<link>{base}/</link><description>benchmark feed</description>{''.join(items)}</channel></rss>"
            ).encode()


class Server:
    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def serve(self, pages: list[dict]) -> None:
        _Handler.pages = {p["index"]: p for p in pages}
        _Handler.feed = build_feed(pages, self.base)

    def close(self) -> None:
        self.httpd.shutdown()


# ---------------------------------------------------------------- the pipeline


SOURCES_YAML = """\
crawl:
  per_host_delay_s: 0
  per_host_concurrency: 4       # 16 connections to one host made httpcore's pool scans dominate fetch CPU
  max_concurrency: 16
  timeout_s: 30
  autothrottle: false
  respect_robots: false        # measure extraction, not opt-outs: every page must reach the extractor
  respect_ai_opt_out: false
  private_hosts_allowed: ["127.0.0.1:{port}"]
sources:
  - name: {source}
    kind: feed
    url: {base}/feed.xml
    max_documents_per_run: 1000
"""


def run_pipeline(server: Server, pages: list[dict], keep: bool) -> dict:
    server.serve(pages)
    home = Path(tempfile.mkdtemp(prefix="bench_extract_"))
    try:
        sources = home / "sources.yaml"
        sources.write_text(SOURCES_YAML.format(port=server.port, base=server.base, source=SOURCE))
        env = {**os.environ, "FRESHDATA_HOME": str(home), "FRESHDATA_LOG_LEVEL": "WARNING"}
        env.pop("FRESHDATA_SOURCES", None)
        cli = [sys.executable, "-m", "freshdata.cli"] if not shutil.which("freshdata") else [shutil.which("freshdata")]
        venv_cli = Path(sys.executable).parent / "freshdata"
        if venv_cli.exists():
            cli = [str(venv_cli)]
        t0 = time.perf_counter()
        proc = subprocess.run([*cli, "run", "--date", DAY, "--sources", str(sources)], env=env, cwd=home,
                              capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"freshdata run failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        import duckdb

        con = duckdb.connect(str(home / "freshdata.duckdb"), read_only=True)
        try:
            texts: dict[int, str] = {}
            extracted = sorted(str(f) for f in home.glob("texts/date=*/extracted-*.parquet"))
            rows = con.execute("SELECT d.url, t.text FROM documents d JOIN read_parquet(?) t USING (doc_id)",
                               [extracted]).fetchall() if extracted else []
            for url, text in rows:  # texts live in the day's texts file (issue 14, item 1)
                m = re.match(r"^https?://[^/]+/p/(\d+)/", url)
                if m:
                    texts[int(m.group(1))] = text
            states = dict(con.execute(
                "SELECT coalesce(reason, state), count(*) FROM extractions GROUP BY ALL").fetchall())
        finally:
            con.close()
        run_id = next(iter(re.findall(r"run (\S+) succeeded", proc.stdout)), None)
        return {"elapsed": elapsed, "texts": texts, "states": states,
                "steps": step_times(home, run_id, env) if run_id else {}}
    finally:
        if not keep:
            shutil.rmtree(home, ignore_errors=True)


def step_times(home: Path, run_id: str, env: dict) -> dict[str, float]:
    """Per-step wall times from the Dagster event log of the run (optional; empty on any problem)."""
    return {k: end - start for k, (start, end) in step_spans(home, run_id, env).items()}


def step_spans(home: Path, run_id: str, env: dict) -> dict[str, tuple[float, float]]:
    """Per-step (start, end) epoch times from the Dagster event log of the run (optional; empty on any problem)."""
    code = (
        "import json, sys, dagster as dg\n"
        "with dg.DagsterInstance.get() as inst:\n"
        "    stats = inst.get_run_step_stats(sys.argv[1])\n"
        "    print(json.dumps({s.step_key: (s.start_time, s.end_time) for s in stats"
        " if s.end_time and s.start_time}))\n"
    )
    try:
        out = subprocess.run([sys.executable, "-c", code, run_id], env={**env, "DAGSTER_HOME": str(home / "dagster")},
                             capture_output=True, text=True, timeout=120)
        return {k: tuple(v) for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}
    except Exception:  # noqa: BLE001 - optional numbers
        return {}


# ---------------------------------------------------------------- bare trafilatura


def _bare(args: tuple[bytes, str]) -> str | None:
    import trafilatura

    html, url = args
    try:
        return trafilatura.extract(html, url=url)
    except Exception:  # noqa: BLE001
        return None


def _bare_with_metadata(args: tuple[bytes, str]) -> str | None:
    """The call the issue specifies (bare_extraction with metadata), with trafilatura's default options."""
    import trafilatura

    html, url = args
    try:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    except Exception:  # noqa: BLE001
        return None
    return f"{doc.text or ''}\n{doc.comments or ''}".strip() if doc is not None else None


def _bare_no_comments(args: tuple[bytes, str]) -> str | None:
    """Diagnostic (untimed): trafilatura without the comments section, which freshdata does not keep."""
    import trafilatura

    html, url = args
    try:
        return trafilatura.extract(html, url=url, include_comments=False)
    except Exception:  # noqa: BLE001
        return None


def _same_work(args: tuple[bytes, str]) -> str | None:
    """freshdata's own per-page call (metadata on; the feed gave a date, so no extensive date search)."""
    from freshdata.extract import ExtractJob, extract_one, page_input

    html, url = args
    result = extract_one(ExtractJob(url, page_input(html, None, None), url, date_known=True))
    return result.text if result.ok else None


def _warm() -> None:
    import trafilatura  # noqa: F401


def bare_single(pages: list[dict]) -> tuple[float, dict[int, str | None]]:
    _bare((b"<html><body><p>warm up</p></body></html>", "https://example.com/"))
    t0 = time.perf_counter()
    out = {p["index"]: _bare((p["raw"], p["url"])) for p in pages}
    return time.perf_counter() - t0, out


def bare_pool(pages: list[dict], workers: int, func=_bare) -> tuple[float, dict[int, str | None]]:
    with ProcessPoolExecutor(max_workers=workers, initializer=_warm) as pool:
        list(pool.map(func, [(b"<html><body><p>warm</p></body></html>", "https://example.com/")] * workers))
        t0 = time.perf_counter()
        texts = list(pool.map(func, [(p["raw"], p["url"]) for p in pages], chunksize=1))
        elapsed = time.perf_counter() - t0
    return elapsed, {p["index"]: t for p, t in zip(pages, texts, strict=True)}


# ---------------------------------------------------------------- scoring


def score(pages: list[dict], texts: dict[int, str | None]) -> dict[str, float]:
    w_hit = w_all = wo_hit = wo_all = 0
    w_page = wo_page = 0.0
    n_w = n_wo = missing = 0
    for page in pages:
        text = texts.get(page["index"]) or ""
        if not text:
            missing += 1
        withs, withouts = page.get("with") or [], page.get("without") or []
        found = sum(1 for s in withs if s in text)
        absent = sum(1 for s in withouts if s not in text) if text else 0  # no text is no credit
        w_hit, w_all, wo_hit, wo_all = w_hit + found, w_all + len(withs), wo_hit + absent, wo_all + len(withouts)
        if withs:
            w_page, n_w = w_page + found / len(withs), n_w + 1
        if withouts:
            wo_page, n_wo = wo_page + absent / len(withouts), n_wo + 1
    return {
        "with_page": w_page / max(n_w, 1), "without_page": wo_page / max(n_wo, 1),
        "with_total": w_hit / max(w_all, 1), "without_total": wo_hit / max(wo_all, 1),
        "with_counts": f"{w_hit}/{w_all}", "without_counts": f"{wo_hit}/{wo_all}", "missing": missing,
    }


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="60 pages instead of 300")
    parser.add_argument("--pages", type=int, default=None, help="number of pages (default 300, --quick 60)")
    parser.add_argument("--small", type=int, default=None, help="pages in the small run (default 10%%, min 10)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary FRESHDATA_HOMEs")
    parser.add_argument("--repeat", type=int, default=2, help="interleaved rounds; the best of each is kept")
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite README_extract.md")
    args = parser.parse_args()
    if not (CORPUS / "webpages.json").exists():
        raise SystemExit(f"corpus not found: {CORPUS}")
    n = args.pages or (60 if args.quick else None)
    pages = load_corpus(n)
    n = len(pages)
    n_small = args.small or max(10, n // 10)
    workers = os.cpu_count() or 1
    print(f"{n} pages ({sum(len(p['raw']) for p in pages) / 1e6:.1f} MB of HTML), small run {n_small}, "
          f"{workers} cores", flush=True)

    server = Server()
    runs: dict[str, list] = {"small": [], "large": [], "pool": [], "meta": [], "same": []}
    try:
        for rep in range(1, args.repeat + 1):  # interleaved, best of each: the machine is shared and noisy
            print(f"round {rep}/{args.repeat}: pipeline small set ...", flush=True)
            runs["small"].append(run_pipeline(server, pages[:n_small], args.keep))
            print(f"  {runs['small'][-1]['elapsed']:.1f} s; pipeline all pages ...", flush=True)
            runs["large"].append(run_pipeline(server, pages, args.keep))
            print(f"  {runs['large'][-1]['elapsed']:.1f} s  outcomes {runs['large'][-1]['states']}; "
                  "bare trafilatura pool ...", flush=True)
            runs["pool"].append(bare_pool(pages, workers))
            print(f"  {runs['pool'][-1][0]:.1f} s; pool of freshdata's extraction call ...", flush=True)
            runs["same"].append(bare_pool(pages, workers, _same_work))
            print(f"  {runs['same'][-1][0]:.1f} s; bare trafilatura bare_extraction(with_metadata=True) pool ...",
                  flush=True)
            runs["meta"].append(bare_pool(pages, workers, _bare_with_metadata))
            print(f"  {runs['meta'][-1][0]:.1f} s", flush=True)
    finally:
        server.close()
    small = min(runs["small"], key=lambda r: r["elapsed"])
    large = min(runs["large"], key=lambda r: r["elapsed"])
    t_pool, pool_texts = min(runs["pool"], key=lambda r: r[0])
    t_same, same_texts = min(runs["same"], key=lambda r: r[0])
    t_meta, meta_texts = min(runs["meta"], key=lambda r: r[0])
    print("bare trafilatura, single process ...", flush=True)
    t_single, single_texts = bare_single(pages)
    print(f"  {t_single:.1f} s", flush=True)
    print("bare trafilatura without comments (accuracy only, untimed) ...", flush=True)
    _, nocomment_texts = bare_pool(pages, workers, _bare_no_comments)

    marginal = (n - n_small) / max(large["elapsed"] - small["elapsed"], 1e-9)
    pool_rate, single_rate = n / t_pool, n / t_single
    extract_key = next((k for k in large["steps"] if "extract" in k), None)
    extract_s = large["steps"].get(extract_key) if extract_key else None
    s_pipe, s_bare = score(pages, large["texts"]), score(pages, pool_texts)
    s_single = score(pages, single_texts)

    rows = [
        ("pipeline (freshdata run)", s_pipe, f"{marginal:.1f} marginal", marginal),
        (f"bare trafilatura, pool x{workers}", s_bare, f"{pool_rate:.1f}", pool_rate),
        ("bare trafilatura, 1 process", s_single, f"{single_rate:.1f}", single_rate),
        (f"bare trafilatura bare_extraction(with_metadata=True), pool x{workers}", score(pages, meta_texts),
         f"{n / t_meta:.1f}", n / t_meta),
        (f"pool x{workers} of freshdata's extract_one (metadata on)", score(pages, same_texts),
         f"{n / t_same:.1f}", n / t_same),
    ]
    s_nocomm = score(pages, nocomment_texts)
    lines = [
        "| run | docs/s | vs pool | with (per page) | with (total) | without (per page) | without (total) "
        "| no text |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s, rate_text, rate in rows:
        lines.append(
            f"| {name} | {rate_text} | {rate / pool_rate:.2f}x | {s['with_page']:.3f} | {s['with_total']:.3f} "
            f"({s['with_counts']}) | {s['without_page']:.3f} | {s['without_total']:.3f} ({s['without_counts']}) "
            f"| {s['missing']} |")
    lines.append(
        f"| bare trafilatura, include_comments=False (diagnostic) | – | – | {s_nocomm['with_page']:.3f} "
        f"| {s_nocomm['with_total']:.3f} ({s_nocomm['with_counts']}) | {s_nocomm['without_page']:.3f} "
        f"| {s_nocomm['without_total']:.3f} ({s_nocomm['without_counts']}) | {s_nocomm['missing']} |")
    table = "\n".join(lines)
    details = [
        f"- pages: {n} (small run {n_small}); cores: {workers}; Python {platform.python_version()}; "
        f"trafilatura {_version('trafilatura')}",
        f"- best of {args.repeat} interleaved rounds for every timed row; "
        f"`freshdata run` wall time: small {small['elapsed']:.1f} s, all {large['elapsed']:.1f} s "
        f"→ marginal {marginal:.1f} docs/s (whole pipeline: discovery, fetch, extract, dedup, quality)",
        f"- whole-run rate incl. start-up: {n / large['elapsed']:.1f} docs/s",
        f"- bare trafilatura: pool {t_pool:.1f} s ({pool_rate:.1f} docs/s), single process {t_single:.1f} s "
        f"({single_rate:.1f} docs/s)",
        f"- pipeline marginal / pool of the same extraction call: {marginal * t_same / n:.2f}x "
        "(pipeline overhead on top of extraction with metadata)",
        f"- pipeline marginal / pool of bare_extraction with metadata (the extraction the issue asks for): "
        f"{marginal * t_meta / n:.2f}x",
        f"- pipeline marginal / pool: {marginal / pool_rate:.2f}x (target ≥ 0.9x); "
        f"/ single process: {marginal / single_rate:.2f}x",
        f"- extraction outcomes (all-pages run): {dict(sorted(large['states'].items()))}",
    ]
    if extract_s:
        details.append(f"- Dagster step `{extract_key}`: {extract_s:.1f} s → {n / extract_s:.1f} docs/s "
                       f"({n / extract_s / pool_rate:.2f}x pool); all steps: "
                       + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(large["steps"].items())))
    step_rows = marginal_steps(runs, n - n_small)
    if step_rows:
        details.append("- marginal cost per document by Dagster step (best of each step over the rounds, "
                       "all pages minus small set): " + ", ".join(f"{k} {v:.1f} ms" for k, v in step_rows)
                       + f"; extraction in the bare pool of the same call: {t_same / n * 1000:.1f} ms")
    verdict = ("no worse" if s_pipe["with_total"] >= s_bare["with_total"] - 1e-9
               and s_pipe["without_total"] >= s_bare["without_total"] - 1e-9 else "WORSE")
    details.append(f"- snippet accuracy, pipeline vs bare trafilatura: {verdict}")
    report = table + "\n\n" + "\n".join(details)
    print()
    print(report)
    if not args.no_readme:
        write_readme(report, quick=n < 300)


def marginal_steps(runs: dict[str, list], extra_docs: int) -> list[tuple[str, float]]:
    """ms per extra document of each Dagster step: best large-run time minus best small-run time."""
    def best(kind: str, key: str) -> float | None:
        times = [r["steps"][key] for r in runs[kind] if key in r["steps"]]
        return min(times) if times else None

    keys = sorted({k for r in runs["large"] for k in r["steps"]})
    rows = []
    for key in keys:
        big, little = best("large", key), best("small", key)
        if big is not None and little is not None:
            rows.append((key, (big - little) / extra_docs * 1000))
    checks = sum(v for k, v in rows if k.startswith("daily_snapshot_"))
    rows = [(k, v) for k, v in rows if not k.startswith("daily_snapshot_")] + [("snapshot checks", checks)]
    return sorted(rows, key=lambda kv: -kv[1])


def _version(name: str) -> str:
    from importlib.metadata import version

    try:
        return version(name)
    except Exception:  # noqa: BLE001
        return "?"


BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def write_readme(report: str, quick: bool) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = f"{BEGIN}\nLast run: {stamp}{' (quick subset)' if quick else ''}\n\n{report}\n{END}"
    text = README.read_text(encoding="utf-8") if README.exists() else ""
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n## Results\n\n" + block + "\n"
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
