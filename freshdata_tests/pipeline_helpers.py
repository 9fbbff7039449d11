"""Shared helpers for the end-to-end pipeline tests (demo site, isolated data homes, table dumps).

Only test code: nothing here changes product behaviour. Every helper works on a data home given
explicitly, and `isolated_env` points FRESHDATA_HOME / FRESHDATA_SOURCES / DAGSTER_HOME at it
*before* `build_definitions()` is called (resources are read from the environment at build time).
"""

from __future__ import annotations

import contextlib
import importlib
import shutil
import socket
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from freshdata import store
from freshdata.demo.site import demo_sources_yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
REPO_DAGSTER_YAML = REPO_ROOT / "dagster.yaml"

CRAWL_ASSETS = ["discovered_urls", "fetched_pages", "extracted_documents"]
DOWNSTREAM_ASSETS = ["dedup_decisions", "quality_results", "semantic_documents", "daily_snapshot",
                     "published_snapshot"]
ALL_ASSETS = CRAWL_ASSETS + DOWNSTREAM_ASSETS

# table -> its partition column
PARTITION_TABLES = {
    "discovered_urls": "partition_date",
    "fetch_log": "partition_date",
    "extractions": "partition_date",
    "documents": "partition_date",
    "dedup_decisions": "partition_date",
    "quality_results": "partition_date",
    "semantic_documents": "partition_date",
    "boilerplate_lines": "partition_date",
    "boilerplate_sources": "partition_date",
    "snapshot_documents": "snapshot_date",
    "source_checks": "partition_date",
}


def write_demo_sources(home: Path, site) -> Path:
    """The demo sources file for `site`, with the bundled demo recipe (as freshdata/demo/runner.py does)."""
    home.mkdir(parents=True, exist_ok=True)
    sources = home / "sources.yaml"
    sources.write_text(demo_sources_yaml(site.base, site.port))
    return sources


def loopback_crawl_yaml(port: int) -> str:
    """The `crawl:` section of a test's sources file for its own loopback site: no politeness delay, only that
    host:port allowed past the private-address guard."""
    return f"""crawl:
  per_host_delay_s: 0
  per_host_concurrency: 8
  timeout_s: 5
  private_hosts_allowed: ["127.0.0.1:{port}"]
"""


def set_env(mp: pytest.MonkeyPatch, home: Path, sources: Path) -> Path:
    """Point the process at `home` (data), `sources` and a private Dagster home with the repo's dagster.yaml."""
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_DAGSTER_YAML, dagster_home / "dagster.yaml")
    mp.setenv("FRESHDATA_HOME", str(home))
    mp.setenv("FRESHDATA_SOURCES", str(sources))
    mp.setenv("DAGSTER_HOME", str(dagster_home))
    return dagster_home


def build_defs() -> dg.Definitions:
    """build_definitions() with the *current* environment; also refresh the module-level `defs` so code
    that loads `freshdata.definitions:defs` by module (daemon, run launchers) sees this test's home."""
    sys.modules.pop("freshdata.definitions", None)
    module = importlib.import_module("freshdata.definitions")
    return module.defs


def run_day(defs: dg.Definitions, instance: dg.DagsterInstance, day: date,
            assets: list[str] | None = None, raise_on_error: bool = False) -> dg.ExecuteInProcessResult:
    """Materialize one partition of the daily job (optionally a subset of its assets) in-process."""
    job = defs.resolve_job_def("daily_pipeline")
    selection = [dg.AssetKey(a) for a in assets] if assets else None
    return job.execute_in_process(partition_key=day.isoformat(), instance=instance,
                                  asset_selection=selection, raise_on_error=raise_on_error)


def run_demo_days(site, defs: dg.Definitions, instance: dg.DagsterInstance, days: list[date],
                  assets: list[str] | None = None) -> Iterator[tuple[date, dg.ExecuteInProcessResult]]:
    """Each day run (optionally a subset of its assets) with the demo site showing it (the i-th day of `days` is
    the site's day i), failing on the first unsuccessful run; yields after each day, so callers can look at the
    site's requests of that day."""
    for number, day in enumerate(days, start=1):
        site.day = number
        result = run_day(defs, instance, day, assets)
        assert result.success, step_failures(result)
        yield day, result


def check_evaluations(result: dg.ExecuteInProcessResult) -> dict[str, tuple[bool, str]]:
    """check name -> (passed, severity) for every asset check evaluated in the run."""
    out = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            out[data.check_name] = (data.passed, data.severity.value)
    return out


def step_failures(result: dg.ExecuteInProcessResult) -> list[str]:
    return [f"{e.step_key}: {e.step_failure_data.error.message.strip() if e.step_failure_data.error else ''}"
            for e in result.all_events if e.is_step_failure]


@contextlib.contextmanager
def read_db(home: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(store.db_path(home)), read_only=True)
    try:
        yield con
    finally:
        con.close()


def table_rows(con: duckdb.DuckDBPyConnection, table: str, day: date, exclude: tuple[str, ...] = ()) -> list:
    """Every row of one partition of a table, in a total order, as plain Python values."""
    column = PARTITION_TABLES[table]
    names = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] not in exclude]
    cols = ", ".join(f'"{n}"' for n in names)
    return con.execute(f"SELECT {cols} FROM {table} WHERE {column} = ? ORDER BY ALL", [day]).fetchall()


def all_partition_rows(home: Path, day: date) -> dict[str, list]:
    with read_db(home) as con:
        return {table: table_rows(con, table, day) for table in PARTITION_TABLES}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
