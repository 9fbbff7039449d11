"""`compute: {engine: ray}` changes nothing in the output: the same two crawled days, run with engine local and with
engine ray on a 2-CPU Ray cluster this test starts (dagster-ray's LocalRay resource: loopback, no dashboard, no
usage stats), give byte-identical snapshot Parquet, identical funnels and identical dedup decisions.

The two days are crawled once (discovery and fetch: their rows carry the time of the fetch) into one data home,
which is then copied twice; each copy runs every per-document step and what follows it on one engine. So the
only difference between the two homes is where extraction, quality and dedup features ran.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from freshdata import storage
from freshdata import workers as worker_pool
from freshdata.definitions import build_definitions
from freshdata.defs.resources import local_ray
from freshdata.demo.site import DemoSite
from freshdata.snapshot import snapshot_path
from freshdata_tests.compute_helpers import RAY_TEST_ENV
from freshdata_tests.pipeline_helpers import (
    DOWNSTREAM_ASSETS,
    all_partition_rows,
    build_defs,
    read_db,
    run_demo_days,
    set_env,
    step_failures,
    write_demo_sources,
)

pytestmark = pytest.mark.slow  # three homes of two pipeline days, one of them on a Ray cluster

DAYS = [date(2026, 3, 1), date(2026, 3, 2)]
PER_DOC_STEPS = ["extracted_documents", "dedup_decisions", "quality_results"]
RAY_WORKERS = 2


@dataclass
class Homes:
    local: Path
    ray: Path
    metadata: dict[str, dict[str, dict[str, object]]] = field(default_factory=dict)  # engine -> step -> metadata
    ray_nodes: list[dict] = field(default_factory=list)


def _run(home: Path, engine: str, mp: pytest.MonkeyPatch, resources: dict[str, object]) -> dict[str, dict]:
    """Extraction and everything after it, day by day, on `engine`; the per-document steps' metadata."""
    sources = home / "sources.yaml"
    sources.write_text(f"compute: {{engine: {engine}}}\n" + sources.read_text())
    set_env(mp, home, sources)
    job = build_definitions(resources).resolve_job_def("daily_pipeline")
    metadata: dict[str, dict] = {}
    with dg.instance_for_test() as instance:
        for day in DAYS:
            result = job.execute_in_process(partition_key=day.isoformat(), instance=instance,
                                            asset_selection=[dg.AssetKey(a) for a in ["extracted_documents",
                                                                                       *DOWNSTREAM_ASSETS]])
            assert result.success, step_failures(result)
            for event in result.get_asset_materialization_events():
                materialization = event.step_materialization_data.materialization
                metadata[f"{materialization.asset_key.to_user_string()}@{day}"] = {
                    k: v.value for k, v in materialization.metadata.items()}
    return metadata


@pytest.fixture(scope="module")
def homes(tmp_path_factory) -> Homes:
    root = tmp_path_factory.mktemp("ray_engine")
    crawled = root / "crawled"
    out = Homes(local=root / "local", ray=root / "ray")
    with pytest.MonkeyPatch.context() as mp, DemoSite(days=DAYS) as site:
        set_env(mp, crawled, write_demo_sources(crawled, site))
        with dg.instance_for_test() as instance:
            list(run_demo_days(site, build_defs(), instance, DAYS, assets=["discovered_urls", "fetched_pages"]))
    for home in (out.local, out.ray):
        shutil.copytree(crawled, home, ignore=shutil.ignore_patterns("dagster"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(worker_pool, "PARALLEL_MIN_ITEMS", 1)  # the demo days are small: still send every stage to workers
        for name, value in RAY_TEST_ENV.items():
            mp.setenv(name, value)  # os.environ as the pipeline sets it (and a token), restored afterwards
        import ray

        out.metadata["local"] = _run(out.local, "local", mp, {})
        assert not ray.is_initialized()  # engine local never starts Ray
        try:
            out.metadata["ray"] = _run(out.ray, "ray", mp, {"ray": local_ray(num_cpus=RAY_WORKERS)})
            out.ray_nodes = ray.nodes()
        finally:
            ray.shutdown()
    return out


def test_each_per_document_step_ran_on_its_engine(homes: Homes) -> None:
    for engine, workers in (("local", None), ("ray", RAY_WORKERS)):
        for day in DAYS:
            for step in PER_DOC_STEPS:
                meta = homes.metadata[engine][f"{step}@{day}"]
                assert meta["compute_engine"] == engine, (engine, step)
                if workers:
                    assert meta["compute_workers"] == workers, (step, meta)


def test_the_ray_cluster_was_local_with_two_workers(homes: Homes) -> None:
    (node,) = homes.ray_nodes
    assert node["NodeManagerAddress"] == "127.0.0.1"
    assert node["Resources"]["CPU"] == RAY_WORKERS


def test_same_metadata_apart_from_the_engine(homes: Homes) -> None:
    def plain(meta: dict[str, object], home: Path) -> dict[str, object]:  # the engine, the home, the time aside
        return {k: v.replace(str(home), "HOME") if isinstance(v, str) else v for k, v in meta.items()
                if not k.startswith("compute_") and k != "generation"}

    local, ray = homes.metadata["local"], homes.metadata["ray"]
    assert local.keys() == ray.keys()
    for key in local:
        assert plain(local[key], homes.local) == plain(ray[key], homes.ray), key


def test_snapshot_parquet_is_byte_identical(homes: Homes) -> None:
    for day in DAYS:
        local, ray = snapshot_path(homes.local, day), snapshot_path(homes.ray, day)
        assert local is not None and ray is not None, day
        assert storage.name(local) == storage.name(ray)  # locations (strings) since the data home may be remote
        assert hashlib.sha256(Path(local).read_bytes()).digest() == hashlib.sha256(Path(ray).read_bytes()).digest(), day


def test_funnels_and_dedup_decisions_are_identical(homes: Homes) -> None:
    for day in DAYS:
        local, ray = all_partition_rows(homes.local, day), all_partition_rows(homes.ray, day)
        assert local["dedup_decisions"], day
        for table in local:
            assert local[table] == ray[table], (table, day)
    query = "SELECT * FROM funnel_days ORDER BY partition_date"
    with read_db(homes.local) as local, read_db(homes.ray) as ray:
        funnel = local.execute(query).fetchall()
        assert [row[0] for row in funnel] == DAYS
        assert funnel == ray.execute(query).fetchall()
        dedup = "SELECT * FROM dedup_days ORDER BY partition_date"
        assert local.execute(dedup).fetchall() == ray.execute(dedup).fetchall()
