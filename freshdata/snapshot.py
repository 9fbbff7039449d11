"""Publish a day: the kept documents with every tag into DuckDB and an immutable Parquet export.

Exports are hive-partitioned (`snapshots/snapshot_date=YYYY-MM-DD/part-0.parquet`), written under a
temporary name and renamed, so a reader never sees half a file. Readers query the Parquet files,
so they never wait for the pipeline's DuckDB write lock. Pure module: no Dagster here.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from freshdata import store
from freshdata.config import SourcesFile

SNAPSHOT_FILE = "part-0.parquet"


@dataclass(frozen=True)
class SnapshotResult:
    day: date
    n_documents: int
    content_hash: str
    export_path: Path
    funnel: dict[str, int]
    metrics: dict[str, float | None]
    columns: list[tuple[str, str]]


def snapshot_path(home: Path, day: date) -> Path:
    return home / "snapshots" / f"snapshot_date={day.isoformat()}" / SNAPSHOT_FILE


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _copy_to(con: duckdb.DuckDBPyConnection, name: str, target: Path, params: dict | None = None) -> None:
    """COPY … TO a temporary name next to the target, then atomically rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    sql = store.load_sql(name).replace("{path}", _quoted(tmp))
    con.execute(sql, params) if params else con.execute(sql)  # one COPY statement per file
    os.replace(tmp, target)


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def config_hash(sources: SourcesFile) -> str:
    """What, besides raw data and the recipe, decides a snapshot's content: the dedup settings and sources."""
    relevant = {"dedup": sources.dedup.model_dump(), "sources": [s.model_dump() for s in sources.sources]}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()


def _versions() -> dict[str, str]:
    return {f"{name}_version": version(name) for name in ("freshdata", "trafilatura", "datasketch", "duckdb")}


def write_snapshot(con: duckdb.DuckDBPyConnection, day: date, home: Path, sources: SourcesFile,
                   recipe_hash: str) -> SnapshotResult:
    """Replace the day's snapshot rows, Parquet export and manifest row, all or nothing."""
    target = snapshot_path(home, day)
    with store.transaction(con):
        store.run(con, "delete_snapshot_partition", {"day": day})
        store.run(con, "insert_snapshot_documents", {"day": day})
        funnel = store.fetch_dicts(con, "select_day_funnel", {"day": day})
        funnel_row = {k: int(v) for k, v in (funnel[0] if funnel else {}).items() if k != "partition_date"}
        metrics = store.fetch_dicts(con, "select_snapshot_metrics", {"day": day})[0]
        _copy_to(con, "export_snapshot_parquet", target, {"day": day})
        content_hash = file_hash(target)
        manifest = {
            "snapshot_date": day, "n_documents": int(metrics["kept"]),
            "n_discovered": funnel_row.get("discovered", 0), "n_extracted": funnel_row.get("extracted", 0),
            "n_exact_duplicate": funnel_row.get("exact_duplicate", 0),
            "n_near_duplicate": funnel_row.get("near_duplicate", 0), "n_rejected": funnel_row.get("rejected", 0),
            "export_path": str(target.relative_to(home)), "content_hash": content_hash,
            "config_hash": config_hash(sources), "recipe_hash": recipe_hash, **_versions(),
            "created_at": datetime.now(UTC),
        }
        store.insert_rows(con, "insert_snapshot_manifest", pl.DataFrame([manifest]))
        columns = [(name, str(kind)) for name, kind, *_ in
                   con.execute("DESCRIBE snapshot_documents").fetchall() if name != "snapshot_date"]
    export_tables(con, home)
    return SnapshotResult(day, int(metrics["kept"]), content_hash, target, funnel_row,
                          {k: v for k, v in metrics.items() if k != "kept"}, columns)


def export_tables(con: duckdb.DuckDBPyConnection, home: Path) -> None:
    """Refresh the small whole-history exports readers use next to the snapshots (manifest, funnel)."""
    _copy_to(con, "export_manifest_parquet", home / "exports" / "manifest.parquet")
    _copy_to(con, "export_funnel_parquet", home / "exports" / "funnel.parquet")


def funnel_adds_up(funnel: dict[str, int], kept_rows: int) -> list[str]:
    """Every identity of the funnel; returns the ones that do not hold (empty = all good)."""
    f = {k: int(v or 0) for k, v in funnel.items()}
    exits = ["not_modified", "robots_disallowed", "ai_opt_out", "blocked_address", "deferred", "failed",
             "not_fetched", "fetched"]
    rules: list[tuple[str, int, int]] = [
        ("discovered = known + excluded_by_rule + over_budget + new", f.get("discovered", 0),
         f.get("known", 0) + f.get("excluded_by_rule", 0) + f.get("over_budget", 0) + f.get("new", 0)),
        ("new = " + " + ".join(exits), f.get("new", 0), sum(f.get(k, 0) for k in exits)),
        ("fetched = extraction_failed + extracted", f.get("fetched", 0),
         f.get("extraction_failed", 0) + f.get("extracted", 0)),
        ("extracted = exact_duplicate + near_duplicate + fresh", f.get("extracted", 0),
         f.get("exact_duplicate", 0) + f.get("near_duplicate", 0) + f.get("fresh", 0)),
        ("fresh = rejected + kept", f.get("fresh", 0), f.get("rejected", 0) + f.get("kept", 0)),
        ("kept = snapshot rows", f.get("kept", 0), kept_rows),
    ]
    return [f"{rule}: {left} != {right}" for rule, left, right in rules if left != right]


def read_rows(con: duckdb.DuckDBPyConnection, name: str, day: date, **params: Any) -> list[dict]:
    return store.fetch_dicts(con, name, {"day": day, **params})
