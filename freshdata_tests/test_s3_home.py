"""A data home on S3 gives what a local home gives: the same two days, with their data home on a real
S3-compatible server on loopback (moto's, started here) and on a local folder, publish byte-identical snapshot
Parquet, identical funnels and identical dedup decisions.

The crawl (discovery and fetch: WARC files written to the bucket) runs once, on the S3 home; the local home
starts from a copy of that crawl state (the DuckDB catalog and the raw archive downloaded from the bucket), since
fetch times differ between two crawls. Then extraction, dedup, quality, the snapshot and its publication run on
each home through Dagster, day by day: on the S3 home with `compute: {engine: ray, address: …}` on a rehearsal of
a deployment (`ray start --head` with 2 worker processes on 127.0.0.1, whose workers read the raw archive from
the bucket), on the local home with the local engine, so the byte-identical snapshots also show that Ray on an
S3 home changes nothing. The S3 home's days run in new processes (freshdata_tests/s3_phase.py, where the reason
is), as `freshdata run` would.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from freshdata import storage, store
from freshdata.config import data_home
from freshdata.demo.site import DemoSite
from freshdata.reader import open_reader
from freshdata.snapshot import published_state, snapshot_path
from freshdata_tests.compute_helpers import RAY_TEST_ENV, ray_head
from freshdata_tests.pipeline_helpers import (
    CRAWL_ASSETS,
    DOWNSTREAM_ASSETS,
    REPO_ROOT,
    build_defs,
    read_db,
    run_day,
    set_env,
    step_failures,
    table_rows,
    write_demo_sources,
)
from freshdata_tests.s3_server import loopback_s3, new_bucket, point_at

pytestmark = pytest.mark.slow  # runs pipeline days: make test, not make test-fast

DAYS = [date(2026, 5, 1), date(2026, 5, 2)]
AFTER_CRAWL = ["extracted_documents", *DOWNSTREAM_ASSETS]


def _run(home: Path, sources: Path, mp: pytest.MonkeyPatch, days: list[date], assets: list[str]) -> None:
    set_env(mp, home, sources)
    defs = build_defs()
    with dg.instance_for_test() as instance:
        for day in days:
            result = run_day(defs, instance, day, assets=assets)
            assert result.success, step_failures(result)


def _run_apart(home: Path, sources: Path, mp: pytest.MonkeyPatch, days: list[date], assets: list[str]) -> str:
    """_run in a new process (see freshdata_tests/s3_phase.py), with this process's environment; returns the
    compute engines its per-document steps reported."""
    set_env(mp, home, sources)
    proc = subprocess.run([sys.executable, "-m", "freshdata_tests.s3_phase", ",".join(assets),
                           *(d.isoformat() for d in days)], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("s3home")
    catalog, local = root / "catalog", root / "local"
    with loopback_s3() as endpoint, pytest.MonkeyPatch.context() as mp:
        point_at(mp, endpoint, root)
        remote = new_bucket() + "/freshdata"
        mp.setenv("FRESHDATA_HOME", remote)
        mp.setenv("FRESHDATA_CATALOG", str(catalog))
        assert data_home() == catalog  # binds the catalog to the bucket
        with DemoSite(days=DAYS) as site:
            sources = write_demo_sources(catalog, site)
            for number, day in enumerate(DAYS, start=1):
                site.day = number
                _run_apart(catalog, sources, mp, [day], CRAWL_ASSETS[:2])
        shutil.copytree(catalog, local, ignore=shutil.ignore_patterns("dagster", "staging", storage.BINDING))
        storage.filesystem(remote).get(storage.join(remote, "raw"), str(local / "raw"), recursive=True)
        # the S3 home runs on engine ray (a loopback Ray cluster its process starts; its workers read the raw
        # archive from the bucket), the local home on engine local: issue 15's two Done-when lines in one run
        for name, value in RAY_TEST_ENV.items():
            mp.setenv(name, value)
        with ray_head(root / "ray") as address:  # a deployment's rehearsal: `ray start --head`, 2 workers
            ray_sources = catalog / "sources-ray.yaml"
            ray_sources.write_text(f"compute: {{engine: ray, address: '{address}'}}\n" + sources.read_text())
            engines = _run_apart(catalog, ray_sources, mp, DAYS, AFTER_CRAWL)  # the site is down: archive only
        _run(local, local / "sources.yaml", mp, DAYS, AFTER_CRAWL)
        with open_reader(catalog, verify=True) as con:  # what `freshdata query` reads, on the S3 home
            queried = con.execute("SELECT snapshot_date, count(*) FROM snapshots GROUP BY 1 ORDER BY 1").fetchall()
        elsewhere = root / "another-machine"  # an empty catalog folder bound to the bucket: a reader only
        storage.bind(elsewhere, remote)
        with open_reader(elsewhere, verify=True) as con:
            queried_elsewhere = con.execute(
                "SELECT snapshot_date, count(*) FROM snapshots GROUP BY 1 ORDER BY 1").fetchall()
        remote_files = sorted(storage.relative("s3://" + p, remote)
                              for p in storage.filesystem(remote).find(remote.removeprefix("s3://")))
        yield {"engines": engines, "remote": remote, "catalog": catalog, "local": local, "queried": queried,
               "queried_elsewhere": queried_elsewhere,
               "remote_files": remote_files, "published": published_state(catalog)}


def test_snapshots_are_byte_identical(homes: dict) -> None:
    assert homes["engines"] == "ray"  # the S3 home's per-document steps ran on Ray; the local home's locally
    for day in DAYS:
        on_s3, on_disk = snapshot_path(homes["catalog"], day), snapshot_path(homes["local"], day)
        assert storage.is_remote(on_s3) and not storage.is_remote(on_disk)
        assert storage.relative(on_s3, homes["remote"]) == storage.relative(on_disk, homes["local"])
        assert storage.file_hash(on_s3) == storage.file_hash(on_disk), day


def test_funnels_and_dedup_decisions_are_identical(homes: dict) -> None:
    with read_db(homes["catalog"]) as s3_con, read_db(homes["local"]) as local_con:
        for day in DAYS:
            funnels = [store.fetch_dicts(con, "select_day_funnel", {"day": day}) for con in (s3_con, local_con)]
            assert funnels[0] == funnels[1] and funnels[0][0]["kept"] > 0, day
            for table in ("dedup_decisions", "quality_results", "snapshot_documents"):
                assert table_rows(s3_con, table, day) == table_rows(local_con, table, day), (table, day)
        decisions = s3_con.execute("SELECT DISTINCT status FROM dedup_decisions").fetchall()
        assert {"exact_duplicate", "near_duplicate"} <= {s for (s,) in decisions}  # dedup really decided
        texts = "SELECT partition_date, kind, path FROM text_files ORDER BY ALL"
        assert s3_con.execute(texts).fetchall() == local_con.execute(texts).fetchall()


def test_the_s3_home_holds_the_data_and_the_catalog_folder_only_the_catalog(homes: dict) -> None:
    files = homes["remote_files"]
    assert "exports/published.json" in files
    for folder in ("raw/date=", "texts/date=", "snapshots/snapshot_date=", "exports/manifest-"):
        assert any(f.startswith(folder) for f in files), folder
    catalog = homes["catalog"]
    assert not any((catalog / name).exists() for name in ("raw", "texts", "snapshots", "exports"))
    assert [p for p in (catalog / "staging").rglob("*") if p.is_file()] == []  # every staged file went up
    assert {e["path"] for e in homes["published"]["snapshots"]} <= set(files)


def test_readers_query_the_s3_home(homes: dict) -> None:
    with open_reader(homes["local"], verify=True) as con:
        local = con.execute("SELECT snapshot_date, count(*) FROM snapshots GROUP BY 1 ORDER BY 1").fetchall()
    assert homes["queried"] == homes["queried_elsewhere"] == local and [d for d, _ in local] == DAYS


def test_a_snapshot_changed_on_s3_is_refused(homes: dict, tmp_path: Path) -> None:
    """Last: replaces a published object (then puts it back)."""
    from freshdata.snapshot import SnapshotMismatch

    target = snapshot_path(homes["catalog"], DAYS[0])
    original = tmp_path / "original.parquet"
    storage.filesystem(target).get_file(target, str(original))
    changed = tmp_path / "changed"
    changed.write_bytes(original.read_bytes()[:-1] + b"X")
    storage.publish(changed, target)
    try:
        with pytest.raises(SnapshotMismatch, match=f"snapshot {DAYS[0]} no longer matches its manifest"):
            open_reader(homes["catalog"], verify=True)
    finally:
        storage.publish(original, target)
