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

from freshdata import schema, storage, store
from freshdata.compute import Engine, connect_ray, prepare_local_ray, ray_init_options, ray_running
from freshdata.config import ComputeConfig, SourcesFile, data_home, default_sources_path, load_sources, wait_timeout_s

DUCKDB_POOL = "duckdb"  # every asset that writes DuckDB runs in this pool (limit 1 in dagster.yaml)


class FreshdataResource(dg.ConfigurableResource):
    """The data home (DuckDB file, raw WARC archive, dedup index, snapshots) and the sources file. `home` is
    the local folder of the DuckDB catalog; raw WARC, texts and snapshots are under `storage.data_root` of it
    (the same folder, or the s3://… home it is bound to). The dedup index is a local cache beside the catalog."""

    home: str
    sources_path: str

    @property
    def home_dir(self) -> Path:
        return Path(self.home)

    @property
    def raw_root(self) -> str:
        return storage.join(storage.data_root(self.home_dir), "raw")

    @property
    def dedup_index_dir(self) -> Path:
        return self.home_dir / "dedup_index"

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


class ProcessLocalRay(LocalRay):
    """dagster-ray's local backend, whose cluster lives as long as this process rather than one run: the days
    of one `freshdata run` share it (starting one and warming its workers takes seconds). Ray shuts it down at
    exit; `dagster dev` runs each run in a process of its own."""

    def cleanup(self, context: dg.InitResourceContext, exception: BaseException | None) -> None:
        self.on_cleanup(context, deleted=False)


def local_ray(num_cpus: int | None = None) -> LocalRay:
    """A Ray cluster on this machine (loopback, no dashboard, `num_cpus` workers, default every core), started
    only when a step's engine is ray and has no `address` (`compute_engine` connects it)."""
    return ProcessLocalRay(lifecycle=Lifecycle(connect=False), ray_init_options=ray_init_options(num_cpus))


def compute_engine(context: dg.AssetExecutionContext, compute: ComputeConfig, ray: RayResource) -> Engine:
    """The engine of a per-document step; for ray, this process connected once: to the sources file's
    `address`, else through the `ray` resource (LocalRay here, a KubeRay cluster in a deployment)."""
    if compute.engine == "ray" and not ray_running():
        if compute.address:
            connect_ray(compute.address)
        else:
            prepare_local_ray()
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
