"""Ray engine vs local engine, end to end: `freshdata run` on the real pages of the shared corpus, interleaved.

The corpus pages (../shared/corpus/webpages, as bench_extract.py serves them: loopback, one RSS feed) go through
one whole `freshdata run` day (discovery, fetch, extraction, dedup, quality, snapshot) per round and engine, each
in a fresh data home and a fresh process: `compute: {engine: local}` (today's fork-server pools) and
`compute: {engine: ray, address: 127.0.0.1:PORT}` on a standing `ray start --head` cluster started here
(loopback only, its own auth token, no dashboard, no usage stats; one worker per core, as a deployment keeps
its cluster up between days). One warm-up run per engine is not counted; then the engines alternate, first one
then the other, so machine noise hits both. Prints the ratio (local time / Ray time: > 1 means Ray is faster)
and, from the local runs' per-document step times, the CPU seconds a page costs and the workers 10^6 pages a
day would need.

    .venv/bin/python benchmarks/bench_ray.py                 # 300 pages x 3 URLs, 3 rounds (~10 min on 2 cores)
    .venv/bin/python benchmarks/bench_ray.py --pages 100 --copies 1 --rounds 1
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_extract import DAY, SOURCE, SOURCES_YAML, Server, load_corpus, step_times  # noqa: E402

from freshdata.compute import LOCAL_RAY_ENV  # noqa: E402
from freshdata.dedup import DedupConfig  # noqa: E402
from freshdata.dedup.core import _batch_features  # noqa: E402
from freshdata.extract import ExtractJob, extract_one  # noqa: E402
from freshdata.quality import load_recipe  # noqa: E402
from freshdata.quality.types import QualityDoc  # noqa: E402

PER_DOC_STEPS = ("extracted_documents", "dedup_decisions", "quality_results")
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_day(server: Server, compute: str, env: dict[str, str]) -> dict:
    """One `freshdata run` day in a fresh home: wall time, per-step times, documents extracted and kept."""
    home = Path(tempfile.mkdtemp(prefix="bench_ray_"))
    try:
        sources = home / "sources.yaml"
        sources.write_text(f"compute: {compute}\n"
                           + SOURCES_YAML.format(port=server.port, base=server.base, source=SOURCE))
        run_env = {**env, "FRESHDATA_HOME": str(home), "FRESHDATA_LOG_LEVEL": "WARNING"}
        run_env.pop("FRESHDATA_SOURCES", None)
        t0 = time.perf_counter()
        proc = subprocess.run([str(BIN / "freshdata"), "run", "--date", DAY, "--sources", str(sources)],
                              env=run_env, cwd=home, capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"freshdata run ({compute}) failed:\n{proc.stdout}\n{proc.stderr}")
        import duckdb

        with duckdb.connect(str(home / "freshdata.duckdb"), read_only=True) as con:
            extracted = con.execute("SELECT count(*) FROM documents").fetchone()[0]
            kept = con.execute("SELECT n_documents FROM snapshot_manifest").fetchone()[0]
        run_id = re.findall(r"run (\S+) succeeded", proc.stdout)[0]
        return {"elapsed": elapsed, "steps": step_times(home, run_id, run_env), "extracted": extracted,
                "kept": kept}
    finally:
        shutil.rmtree(home, ignore_errors=True)


def per_page_cpu(pages: list[dict]) -> dict[str, float]:
    """CPU seconds per page of each per-document stage, in this process (time.process_time: what a worker core
    spends, whatever else the machine runs): the call a worker makes for extraction, the default recipe for
    quality (after a warm-up page: models load once per worker) and dedup's batch features."""
    recipe, cfg = load_recipe(None), DedupConfig()
    now = datetime.now(UTC)
    cost = {"extraction": 0.0, "quality": 0.0, "dedup features": 0.0}
    texts = []
    for page in pages:
        t0 = time.process_time()
        result = extract_one(ExtractJob(str(page["index"]), page["raw"], page["url"], date_known=True))
        cost["extraction"] += time.process_time() - t0
        if result.ok:
            texts.append((str(page["index"]), page["url"], result.text))
    recipe.apply(QualityDoc("warm", texts[0][1], SOURCE, texts[0][2], now, now))
    for doc_id, url, text in texts:
        t0 = time.process_time()
        recipe.apply(QualityDoc(doc_id, url, SOURCE, text, now, now))
        cost["quality"] += time.process_time() - t0
    t0 = time.process_time()
    _batch_features(([d for d, _, _ in texts], [t for _, _, t in texts]), cfg.ngram, cfg.min_words, cfg.num_perm,
                    cfg.seed, cfg.scheme)
    cost["dedup features"] = time.process_time() - t0
    return {"extraction": cost["extraction"] / len(pages), "quality": cost["quality"] / len(texts),
            "dedup features": cost["dedup features"] / len(texts)}


def start_cluster(workers: int, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    temp = tempfile.mkdtemp(prefix="bench_ray_cluster_")
    head = subprocess.Popen([str(BIN / "ray"), "start", "--head", "--port", str(port), "--num-cpus", str(workers),
                             "--node-ip-address", "127.0.0.1", "--include-dashboard", "false", "--temp-dir", temp,
                             "--disable-usage-stats", "--block"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while subprocess.run([str(BIN / "ray"), "status", "--address", address], env=env, capture_output=True).returncode:
        if time.monotonic() > deadline or head.poll() is not None:
            head.terminate()
            raise SystemExit("the Ray head did not come up")
        time.sleep(0.5)
    return head, address


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--copies", type=int, default=3,
                        help="serve each page under this many URLs: a bigger day (extraction runs on every copy, "
                        "dedup keeps one), so fixed per-run costs weigh less, as on the days Ray is for")
    args = parser.parse_args()
    workers = os.cpu_count() or 1
    corpus = load_corpus(args.pages)
    pages = [{**page, "index": page["index"] + k * len(corpus),
              "path": re.sub(r"^/p/\d+/", f"/p/{page['index'] + k * len(corpus)}/", page["path"])}
             for k in range(args.copies) for page in corpus]
    env = {**os.environ, **LOCAL_RAY_ENV, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    server = Server()
    server.serve(pages)
    t0 = time.perf_counter()
    head, address = start_cluster(workers, env)
    cluster_start = time.perf_counter() - t0
    engines = {"local": "{engine: local}", "ray": f"{{engine: ray, address: '{address}'}}"}
    runs: dict[str, list[dict]] = {name: [] for name in engines}
    try:
        for name, compute in engines.items():  # warm-up: the Ray workers import their stages once
            warm = run_day(server, compute, env)
            print(f"warm-up {name}: {warm['elapsed']:.1f} s", flush=True)
        for r in range(args.rounds):
            order = list(engines) if r % 2 == 0 else list(reversed(engines))
            for name in order:
                runs[name].append(run_day(server, engines[name], env))
                print(f"round {r + 1} {name}: {runs[name][-1]['elapsed']:.1f} s", flush=True)
    finally:
        head.terminate()
        head.wait(timeout=60)
        server.close()
    print(report(runs, len(pages), workers, cluster_start, per_page_cpu(corpus)))


def report(runs: dict[str, list[dict]], n_pages: int, workers: int, cluster_start: float,
           cpu: dict[str, float]) -> str:
    outcomes = {(run["extracted"], run["kept"]) for rs in runs.values() for run in rs}
    docs = runs["local"][0]["extracted"]
    median = {name: statistics.median(run["elapsed"] for run in rs) for name, rs in runs.items()}
    step = {name: {s: statistics.median(run["steps"].get(s, float("nan")) for run in rs) for s in PER_DOC_STEPS}
            for name, rs in runs.items()}
    lines = [
        f"machine: {platform.machine()}, {workers} cores, Python {platform.python_version()}; {n_pages} pages "
        f"served, {docs} extracted; {len(runs['local'])} interleaved rounds (median), after one warm-up run each",
        f"documents extracted and kept, every run of both engines: {sorted(outcomes)} (each run crawls afresh, so "
        "the snapshots differ by their fetch times; byte identity is freshdata_tests/test_ray_engine.py's)",
        f"Ray head start (once, not in the runs): {cluster_start:.1f} s",
        "",
        "| engine | end to end (s) | " + " | ".join(f"{s} (s)" for s in PER_DOC_STEPS) + " |",
        "|---|---|" + "---|" * len(PER_DOC_STEPS),
    ]
    for name in runs:
        lines.append(f"| {name} | {median[name]:.1f} | " + " | ".join(f"{step[name][s]:.2f}" for s in PER_DOC_STEPS)
                     + " |")
    ratio = median["local"] / median["ray"]
    lines += ["", f"Ray engine relative to local, end to end: {ratio:.2f}x (local time / Ray time; target >= 0.8)"]
    per_page = sum(cpu.values())
    per_day = 1e6 * per_page
    lines += [
        "",
        "CPU per page, one process (time.process_time): " + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in cpu.items())
        + f"; total {per_page * 1000:.1f} ms",
        f"10^6 pages a day: {per_day / 3600:.1f} CPU-hours of per-document work -> {per_day / 86400:.1f} workers "
        f"busy all day; {per_day / (6 * 3600):.1f} to finish it in a 6-hour window, {per_day / 3600:.0f} in one hour "
        "(one worker = one CPU core; discovery, fetch and dedup decisions stay in the run's own process)",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
