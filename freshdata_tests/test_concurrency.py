"""Readers and concurrent runs against one data home.

(a) `freshdata query` answers from the Parquet snapshots while another process holds the DuckDB write lock.
(b) Two `freshdata run` processes started together on the same home (a re-run of day 1 and day 2) both
    succeed. What serializes them: dagster_duckdb's DuckDBResource.get_connection retries duckdb.connect on
    IOException (lock held) with exponential backoff (10 retries, ~100 s in all); the "duckdb" pool in
    dagster.yaml only applies to runs launched through the run coordinator (UI/daemon), while the CLI's
    execute_in_process runs are separate processes that meet at the DuckDB file lock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import duckdb
import pytest

from freshdata import store
from freshdata.demo.site import DemoSite
from freshdata.snapshot import funnel_adds_up
from freshdata_tests.pipeline_helpers import REPO_ROOT, read_db, write_demo_sources

pytestmark = pytest.mark.slow

D1, D2 = date(2026, 5, 1), date(2026, 5, 2)
FRESHDATA = str(Path(sys.executable).with_name("freshdata"))


def _env(home: Path, sources: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(FRESHDATA_HOME=str(home), FRESHDATA_SOURCES=str(sources), DAGSTER_HOME=str(home / "dagster"),
               FRESHDATA_LOG_LEVEL="ERROR")
    return env


def _freshdata(env, *args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([FRESHDATA, *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    home = tmp_path_factory.mktemp("concurrency") / "home"
    with DemoSite(days=[D1, D2]) as site:
        sources = write_demo_sources(home, site)
        env = _env(home, sources)
        site.day = 1
        first = _freshdata(env, "run", "--date", D1.isoformat())
        assert first.returncode == 0, first.stderr[-3000:]
        yield home, env, site


def test_query_reads_parquet_while_another_process_holds_the_write_lock(demo):
    home, env, _site = demo
    with read_db(home) as con:
        kept = con.execute("SELECT n_documents FROM snapshot_manifest WHERE snapshot_date = ?", [D1]).fetchone()[0]
    assert kept > 0
    locker = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time, duckdb
            con = duckdb.connect({str(store.db_path(home))!r})
            con.execute("BEGIN TRANSACTION")
            con.execute("DELETE FROM snapshot_documents")
            print("locked", flush=True)
            time.sleep(120)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout.readline().strip() == "locked"
        with pytest.raises(duckdb.IOException):  # the lock is really held
            duckdb.connect(str(store.db_path(home)), read_only=True)
        result = _freshdata(env, "query", "select count(*) AS n from snapshots", "--format", "json", timeout=120)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout.strip().splitlines()[-1]) == {"n": kept}
        assert result.stderr == ""  # a query on snapshots alone never even tries the locked database
    finally:
        locker.kill()
        locker.wait(timeout=30)


def test_two_runs_started_together_both_succeed(demo):
    home, env, site = demo
    site.day = 2
    procs = [subprocess.Popen([FRESHDATA, "run", "--date", day.isoformat()], env=env, cwd=REPO_ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for day in (D2, D1)]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        outputs.append((proc.returncode, out, err[-3000:]))
    assert [rc for rc, _, _ in outputs] == [0, 0], outputs
    with read_db(home) as con:
        for day in (D1, D2):
            cursor = con.execute("SELECT * FROM day_funnel WHERE partition_date = ?", [day])
            names = [d[0] for d in cursor.description]
            funnel = {k: int(v) for k, v in zip(names, cursor.fetchone(), strict=True) if k != "partition_date"}
            kept = con.execute("SELECT count(*) FROM snapshot_documents WHERE snapshot_date = ?",
                               [day]).fetchone()[0]
            assert funnel_adds_up(funnel, kept) == [], (day, funnel)
            assert kept > 0
        dups = con.execute("SELECT DISTINCT status FROM dedup_decisions WHERE partition_date = ? "
                           "AND status <> 'fresh'", [D2]).fetchall()
    assert {s for (s,) in dups} == {"exact_duplicate", "near_duplicate"}

