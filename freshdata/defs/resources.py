"""Resources: where the data home is and what to crawl. DuckDB itself is dagster-duckdb's DuckDBResource, Ray
(when the sources file says `compute: {engine: ray}`) dagster-ray's RayResource."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from dagster_ray import Lifecycle, LocalRay, RayResource

from freshdata import schema, store
from freshdata.compute import Engine, connect_ray, ray_init_options
from freshdata.config import ComputeConfig, SourcesFile, data_home, default_sources_path, load_sources, wait_timeout_s

DUCKDB_POOL = "duckdb"  # every asset that writes DuckDB runs in this pool (limit 1 in dagster.yaml)


class FreshdataResource(dg.ConfigurableResource):
    """The data home (DuckDB file, raw WARC archive, dedup index, snapshots) and the sources file."""

    home: str
    sources_path: str

    @property
    def home_dir(self) -> Path:
        return Path(self.home)

    @property
    def raw_root(self) -> Path:
        return self.home_dir / "raw"

    @property
    def dedup_index_dir(self) -> Path:
        return self.home_dir / "dedup_index"

    @property
    def snapshots_dir(self) -> Path:
        return self.home_dir / "snapshots"

    def sources(self) -> SourcesFile:
        return load_sources(self.sources_path)


class WaitingDuckDBResource(DuckDBResource):
    """dagster-duckdb's resource, but a write lock held by another process (a long query on pipeline tables)
    is waited for with a message and FRESHDATA_WAIT_TIMEOUT, not ~100 s of silent retries then a failure."""

    @contextlib.contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = store.connect_waiting(self.database, {"custom_user_agent": "dagster", **self.connection_config},
                                    wait_timeout_s())
        try:
            yield con
        finally:
            con.close()


@contextlib.contextmanager
def connection(duckdb_resource: DuckDBResource) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write connection with the schema in place."""
    with duckdb_resource.get_connection() as con:
        schema.ensure_schema(con)
        yield con


def local_ray(num_cpus: int | None = None) -> LocalRay:
    """dagster-ray's local backend: a Ray cluster on this machine (loopback, no dashboard), started only when a
    step's engine is ray (`compute_engine` connects it) and shut down with the run."""
    return LocalRay(lifecycle=Lifecycle(connect=False), ray_init_options=ray_init_options(num_cpus))


def compute_engine(context: dg.AssetExecutionContext, compute: ComputeConfig, ray: RayResource) -> Engine:
    """The engine of a per-document step; for ray, this process connected once: to the sources file's
    `address`, else through the `ray` resource (LocalRay here, a KubeRay cluster in a deployment)."""
    if compute.engine == "ray":
        import ray as ray_module

        if not ray_module.is_initialized():
            if compute.address:
                connect_ray(compute.address)
            else:
                ray.connect(context)
    return Engine(compute.engine, compute.workers)


def default_resources() -> dict[str, object]:
    home = data_home()
    home.mkdir(parents=True, exist_ok=True)
    return {
        "freshdata": FreshdataResource(home=str(home), sources_path=str(default_sources_path())),
        "duckdb": WaitingDuckDBResource(database=str(store.db_path(home))),
        "ray": local_ray(),
    }
