"""Crashes, waits, full disks and dead sources, for real: `freshdata run` subprocesses killed with SIGKILL at
named crash points (freshdata.faults), real file locks and Dagster pool slots, real tmpfs file systems
filled to the last byte, a source nobody listens on. After each, the next plain `freshdata run` must finish
by itself and publish exactly what an uninterrupted run publishes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import duckdb
import pytest
from warcio.archiveiterator import ArchiveIterator

from freshdata import store
from freshdata.demo.site import DemoSite, demo_sources_yaml
from freshdata.reader import open_reader
from freshdata.snapshot import published_state
from freshdata_tests.pipeline_helpers import REPO_DAGSTER_YAML, REPO_ROOT, free_port, write_demo_sources

pytestmark = pytest.mark.slow

D1, D2 = date(2026, 5, 1), date(2026, 5, 2)
FRESHDATA = str(Path(sys.executable).with_name("freshdata"))
FETCH_TIMES = ("fetched_at", "fetch_lag_hours")


def _env(home: Path, sources: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRESHDATA_")}
    env.update(FRESHDATA_HOME=str(home), FRESHDATA_SOURCES=str(sources), DAGSTER_HOME=str(home / "dagster"), **extra)
    return env


def run_cli(home: Path, sources: Path, day: date = D1, timeout: float = 300, **extra: str):
    """`freshdata run` in its own process group, as an operator or a scheduler starts it."""
    return subprocess.run([FRESHDATA, "run", "--date", day.isoformat()], env=_env(home, sources, **extra),
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, start_new_session=True)


def start_cli(home: Path, sources: Path, day: date = D1, **extra: str) -> subprocess.Popen:
    return subprocess.Popen([FRESHDATA, "run", "--date", day.isoformat()], env=_env(home, sources, **extra),
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def read_line(proc: subprocess.Popen, within_s: float) -> str:
    """The next stderr line, or '' if none came within the time."""
    ready, _, _ = select.select([proc.stderr], [], [], within_s)
    return proc.stderr.readline() if ready else ""


def published_rows(home: Path, day: date = D1) -> list[tuple]:
    """What a reader sees of the day, every column but the fetch times, in a total order."""
    con = open_reader(home)
    try:
        names = [r[0] for r in con.execute("DESCRIBE snapshots").fetchall() if r[0] not in FETCH_TIMES]
        cols = ", ".join(f'"{n}"' for n in names)
        return con.execute(f"SELECT {cols} FROM snapshots WHERE snapshot_date = ? ORDER BY doc_id", [day]).fetchall()
    finally:
        con.close()


def stray_files(home: Path) -> list[str]:
    """Temporary or unpublished files a crash could leave: .open WARCs, .tmp- files, unlisted Parquet."""
    listed = {home / e["path"] for e in (published_state(home) or {}).get("snapshots", [])}
    stray = [p for p in home.rglob("*") if p.is_file() and "dagster" not in p.relative_to(home).parts
             and (p.name.endswith(".open") or ".tmp-" in p.name)]
    stray += [p for p in (home / "snapshots").glob("*/*.parquet") if p not in listed]
    return sorted(str(p.relative_to(home)) for p in stray)


def unfinished_runs(home: Path) -> tuple[list, list]:
    """(runs not finished, claimed or pending slots of the duckdb pool) in the home's Dagster instance."""
    from dagster._core.storage.dagster_run import NOT_FINISHED_STATUSES

    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        runs = instance.get_runs(filters=dg.RunsFilter(statuses=NOT_FINISHED_STATUSES))
        info = instance.event_log_storage.get_concurrency_info("duckdb")
        return [r.run_id for r in runs], [*info.claimed_slots, *info.pending_steps]


@pytest.fixture(scope="module")
def site():
    with DemoSite(days=[D1, D2]) as demo:
        demo.day = 1
        yield demo


def write_sources(home: Path, site: DemoSite) -> Path:
    """The demo sources without the page that always times out (it only costs these tests seconds)."""
    sources = write_demo_sources(home, site)
    sources.write_text(sources.read_text().replace('exclude: ["/tag/"]', 'exclude: ["/tag/", "/slow/"]'))
    return sources


@dataclass(frozen=True)
class Reference:
    home: Path
    sources: Path
    rows: list[tuple]


@pytest.fixture(scope="module")
def reference(site, tmp_path_factory) -> Reference:
    """An uninterrupted run of D1: what every recovered run must publish. Tests that only read it, or whose
    runs fail before writing anything, share its home."""
    home = tmp_path_factory.mktemp("reference") / "home"
    sources = write_sources(home, site)
    result = run_cli(home, sources)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = published_rows(home)
    assert len(rows) > 5
    return Reference(home, sources, rows)


# One per stage; discovery:before_commit and fetch:before_commit are killed in test_raw_recovery.py.
CRASH_POINTS = ["fetch:archived:4", "extract:before_commit", "dedup:before_commit", "quality:before_commit",
                "snapshot:staged", "publish:file_in_place", "publish:committed"]


def archived_paths(home: Path) -> set[str]:
    """Paths of the complete records in the day's fetch WARC files (those a killed fetch left as .open too)."""
    paths = set()
    for path in (home / "raw" / f"date={D1.isoformat()}").glob("fetch-*"):
        with path.open("rb") as fh, contextlib.suppress(Exception):  # a killed file ends mid-record
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    paths.add(urlsplit(record.rec_headers.get_header("WARC-Target-URI")).path)
    return paths


def test_kill_at_every_stage_then_the_next_run_finishes_with_the_same_snapshot(site, reference, tmp_path):
    """kill -9 of the whole run at each stage in turn, on one home: every next run resumes by itself,
    pages archived before a kill are not fetched again, and no reader ever sees a half-published day."""
    home = tmp_path / "home"
    sources = write_sources(home, site)
    archived_before_kill: set[str] = set()
    for point in CRASH_POINTS:
        killed = run_cli(home, sources, FRESHDATA_CRASH_AT=point)
        assert killed.returncode == -signal.SIGKILL, (point, killed.returncode, killed.stderr[-2000:])
        assert published_state(home) is None, f"{point}: a reader sees a day that was never fully published"
        if point.startswith("fetch:archived"):
            archived_before_kill = archived_paths(home)
            after_kill = len(site.requests)
    assert len(archived_before_kill) >= 4
    finished = run_cli(home, sources)
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert "recovered 1 run(s) left unfinished by a crash" in finished.stderr
    asked_again = {path for _method, path, _headers in site.requests[after_kill:]} & archived_before_kill
    assert asked_again == set(), "pages archived before the kill were fetched again"
    assert published_rows(home) == reference.rows
    assert stray_files(home) == []
    assert unfinished_runs(home) == ([], [])

    # A re-run killed after its new files are in place, and after readers were switched to them.
    before = published_state(home)
    killed = run_cli(home, sources, FRESHDATA_CRASH_AT="publish:exports_written")
    assert killed.returncode == -signal.SIGKILL
    assert published_state(home) == before, "readers must still see the previous publication"
    assert published_rows(home) == reference.rows
    killed = run_cli(home, sources, FRESHDATA_CRASH_AT="publish:switched")
    assert killed.returncode == -signal.SIGKILL
    assert published_rows(home) == reference.rows
    finished = run_cli(home, sources)
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert published_rows(home) == reference.rows
    assert stray_files(home) == []


def test_a_failed_blocking_check_leaves_the_previous_publication_visible(site, tmp_path):
    """Day 2 published first, then day 1 (which knows nothing earlier) keeps the same documents: the
    no_document_in_two_snapshots check fails and day 1 is not published, so no document is there twice."""
    home = tmp_path / "home"
    sources = write_sources(home, site)
    site.day = 2
    try:
        assert run_cli(home, sources, day=D2).returncode == 0
    finally:
        site.day = 1
    day2 = published_rows(home, D2)
    result = run_cli(home, sources, day=D1)
    assert result.returncode == 1
    assert "check no_document_in_two_snapshots failed" in result.stderr
    assert f"{D1}: not published; readers see no snapshot of this day" in result.stderr
    assert "Traceback" not in result.stderr
    con = open_reader(home)
    urls = con.execute("SELECT count(*), count(DISTINCT url), count(DISTINCT snapshot_date) FROM snapshots").fetchone()
    con.close()
    assert urls == (len(day2), len(day2), 1)


def test_a_day_where_no_source_answered_fails_and_publishes_nothing(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()  # nobody listens there
    sources = home / "sources.yaml"
    sources.write_text(demo_sources_yaml(f"http://127.0.0.1:{port}", port))
    result = run_cli(home, sources)
    assert result.returncode == 1
    assert "check sources_answered failed: no source answered today" in result.stderr
    assert published_state(home) is None


@contextlib.contextmanager
def hold_home_lock(home: Path):
    home.mkdir(parents=True, exist_ok=True)
    with (home / ".run.lock").open("a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write("pid 4242 (a test)\n")
        fh.flush()
        yield


def test_waiting_for_the_run_lock_says_so_gives_up_and_stops_on_signals(reference):
    home, sources = reference.home, reference.sources
    with hold_home_lock(home):
        started = time.monotonic()
        result = run_cli(home, sources, FRESHDATA_WAIT_TIMEOUT="3", timeout=60)
        assert result.returncode == 1
        assert "waiting for another run on" in result.stderr and "pid 4242 (a test)" in result.stderr
        assert "gave up after 3 s waiting for the run lock" in result.stderr
        assert time.monotonic() - started < 30
        for sig in (signal.SIGINT, signal.SIGTERM):
            proc = start_cli(home, sources)
            try:
                line = read_line(proc, within_s=5)
                assert "waiting for another run" in line, line
                proc.send_signal(sig)
                assert proc.wait(timeout=5) == 128 + sig
                assert f"stopped by {sig.name}" in proc.stderr.read()
            finally:
                proc.kill()
                proc.wait()


def test_waiting_for_a_pool_slot_held_by_another_run_says_whose_and_gives_up(site, tmp_path):
    """A run launched from the UI holds the one `duckdb` slot: the CLI run names it, gives up, stops on
    SIGTERM, and leaves neither a started run nor a pending claim of its own behind."""
    from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus

    home = tmp_path / "home"
    sources = write_sources(home, site)
    (home / "dagster").mkdir()
    shutil.copyfile(REPO_DAGSTER_YAML, home / "dagster" / "dagster.yaml")
    holder = str(uuid.uuid4())
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        instance.add_run(DagsterRun(job_name="daily_pipeline", run_id=holder, status=DagsterRunStatus.STARTED))
        instance.event_log_storage.initialize_concurrency_limit_to_default("duckdb")
        assert instance.event_log_storage.claim_concurrency_slot("duckdb", holder, "discovered_urls").is_claimed
    result = run_cli(home, sources, FRESHDATA_WAIT_TIMEOUT="2", timeout=120)
    assert result.returncode == 1, result.stderr
    assert f"waiting for Dagster pool 'duckdb' held by run {holder[:8]} (STARTED, ui/daemon)" in result.stderr
    assert "gave up after 2 s waiting for Dagster pool 'duckdb'" in result.stderr
    assert "Traceback" not in result.stderr

    proc = start_cli(home, sources)
    try:
        deadline = time.monotonic() + 30
        line = ""
        while "waiting for Dagster pool" not in line and time.monotonic() < deadline:
            line = read_line(proc, within_s=1)
        assert "waiting for Dagster pool" in line
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 128 + signal.SIGTERM
    finally:
        proc.kill()
        proc.wait()
    runs, slots = unfinished_runs(home)
    assert runs == [holder]
    assert {s.run_id for s in slots} == {holder}


def test_a_snapshot_query_holds_no_lock_the_pipeline_needs(reference):
    home = reference.home
    reader = open_reader(home)
    try:
        assert reader.execute("SELECT count(*) FROM snapshots").fetchone()[0] > 0
        probe = "import duckdb, sys; duckdb.connect(sys.argv[1], read_only=False).execute('SELECT 1')"
        writer = subprocess.run([sys.executable, "-c", probe, str(store.db_path(home))],
                                capture_output=True, text=True, timeout=60)
        assert writer.returncode == 0, writer.stderr
    finally:
        reader.close()


def _mount_tmpfs(path: Path, size: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True,
                          text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs to fill a disk for real here: {done.stderr.strip()}")


def _fill(path: Path, leave: int = 0) -> Path:
    """A ballast file that leaves `leave` bytes free on path's file system."""
    ballast = path / "ballast"
    free = shutil.disk_usage(path).free - leave
    with ballast.open("wb") as fh, contextlib.suppress(OSError):
        while free > 0:
            free -= fh.write(b"\0" * min(free, 1 << 20))
    return ballast


@pytest.mark.parametrize("full", ["raw", "snapshots", "dagster", "duckdb"])
def test_disk_full_is_one_clear_line_and_the_next_run_recovers(site, reference, tmp_path, full):
    """A real full file system under one part of the data home (WARC archive, Parquet snapshots, Dagster's
    storage, the DuckDB file): one line naming the place and 'no space left', then a clean recovery."""
    home = tmp_path / "home"
    sources = write_sources(tmp_path, site)
    mounts = []
    try:
        if full == "duckdb":  # the home itself (DuckDB file, raw, …) is full; Dagster has room elsewhere
            _mount_tmpfs(home, "16m")
            mounts.append(home)
            _mount_tmpfs(home / "dagster", "64m")
            mounts.append(home / "dagster")
            ballast = _fill(home, leave=256 << 10)
            place = str(home)
        else:
            _mount_tmpfs(home / full, "1m")
            mounts.append(home / full)
            ballast = _fill(home / full)
            place = str(home / full)
        failed = run_cli(home, sources)
        assert failed.returncode == 1
        lines = [line for line in failed.stderr.splitlines() if line.strip()]
        assert "Traceback" not in failed.stderr, failed.stderr[-3000:]
        assert any("no space left on device" in line and place in line for line in lines), lines
        assert all(line.startswith("freshdata: ") for line in lines), lines
        ballast.unlink()
        recovered = run_cli(home, sources)
        assert recovered.returncode == 0, recovered.stderr[-3000:]
        assert published_rows(home) == reference.rows
        assert stray_files(home) == []
    finally:
        for mount in reversed(mounts):
            subprocess.run(["umount", "-l", str(mount)], check=False)


def test_published_state_file_is_what_readers_use(reference):
    """exports/published.json lists every published file with its hash; nothing else is read."""
    home = reference.home
    state = json.loads((home / "exports" / "published.json").read_text())
    (entry,) = state["snapshots"]
    assert entry["snapshot_date"] == D1.isoformat() and (home / entry["path"]).is_file()
    decoy = home / "snapshots" / f"snapshot_date={D2.isoformat()}" / "part-0.parquet"
    decoy.parent.mkdir(parents=True)
    duckdb.sql(f"COPY (SELECT 1 AS x) TO '{decoy}' (FORMAT parquet)")
    try:
        con = open_reader(home)
        assert con.execute("SELECT DISTINCT snapshot_date FROM snapshots").fetchall() == [(D1,)]
        con.close()
    finally:
        shutil.rmtree(decoy.parent)


def test_a_long_query_on_pipeline_tables_makes_the_run_wait_and_say_so(reference):
    """A reader holding the DuckDB file (a `freshdata query` on pipeline tables) makes the next run wait
    with a message, and give up after FRESHDATA_WAIT_TIMEOUT with one line, instead of failing silently."""
    home, sources = reference.home, reference.sources
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1], "
                               "read_only=True); print('open', flush=True); time.sleep(120)", str(store.db_path(home))],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        result = run_cli(home, sources, FRESHDATA_WAIT_TIMEOUT="3", timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    assert f"waiting for the DuckDB write lock on {store.db_path(home)}, held by" in result.stderr
    assert "gave up after 3 s waiting for the DuckDB write lock" in result.stderr
    assert "Traceback" not in result.stderr
