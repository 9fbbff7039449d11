"""Stage a day's snapshot, then publish it in one atomic step, so readers never see a day that is not
committed and checked.

* Staging (`stage_snapshot`) replaces the day's rows of `snapshot_documents` in one DuckDB transaction.
  The blocking asset checks then run on those rows; readers do not see them.
* Publishing (`publish_snapshot`, only once every blocking check passed) writes the day's Parquet under a
  new, content-addressed name (`snapshots/snapshot_date=D/part-<hash>.parquet`), commits its manifest row,
  writes the manifest and funnel exports under new names (copies of the per-day rows of snapshot_manifest and
  funnel_days, stored with each day, so their cost does not grow with all history's documents), and finally
  replaces `exports/published.json` with one rename. That file lists exactly the published files, and
  readers build their views from it: files, views and manifest change together or not at all. A crash
  anywhere before the rename leaves the previous publication visible; files it left behind are removed by
  the next publication. On a remote data home (`freshdata.storage`) each file is written locally and uploaded
  with one PUT, and published.json is replaced by one PUT: the same all-or-nothing switch.
Pure module: no Dagster here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow.compute as pc
import pyarrow.parquet as pq

from freshdata import clock, storage, store, texts
from freshdata.config import SourcesFile
from freshdata.durable import file_hash, fsync_path
from freshdata.faults import crash_point
from freshdata.vocab import FUNNEL_SPLITS

PUBLISHED = Path("exports") / "published.json"
TMP_MARK = ".tmp-"  # every temporary file of a publication has it in its name; stale ones are removed
# A publication's temporary files, and a mark naming the day whose folder it is placing a file in: what a crash
# can leave is found there, so no publication lists every day's folder (on a remote home: its local mirror in the
# catalog's staging folder, storage.staging_root).
STAGING = Path("snapshots") / ".staging"
PLACING = "placing-"


@dataclass(frozen=True)
class StagedSnapshot:
    day: date
    n_documents: int
    funnel: dict[str, int]
    metrics: dict[str, float | None]
    columns: list[tuple[str, str]]


@dataclass(frozen=True)
class PublishedSnapshot:
    day: date
    n_documents: int
    content_hash: str
    export_path: str  # a local path or a URL (storage location)
    generation: str


def published_state(home: Path) -> dict | None:
    """What readers see: the content of exports/published.json (None before the first publication)."""
    try:
        return json.loads(storage.read_text(storage.join(storage.data_root(home), str(PUBLISHED))))
    except FileNotFoundError:
        return None


def published_entry(home: Path, day: date) -> dict | None:
    """The day's entry in exports/published.json (path, content_hash, n_documents, …), or None."""
    state = published_state(home) or {}
    return next((e for e in state.get("snapshots", []) if e["snapshot_date"] == day.isoformat()), None)


def snapshot_path(home: Path, day: date) -> str | None:
    """The published Parquet file of a day (a path, or a URL on a remote home), or None when not published."""
    entry = published_entry(home, day)
    return storage.join(storage.data_root(home), entry["path"]) if entry else None


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _copy_to_tmp(con: duckdb.DuckDBPyConnection, name: str, folder: storage.Location,
                 params: dict | None = None) -> Path:
    """COPY … TO a local temporary file bound for `folder` (in it, for a local home); the caller publishes it
    (storage.publish: fsync and rename, or one upload)."""
    tmp = storage.local_folder(folder) / f"{TMP_MARK}{os.getpid()}-{name}"  # no .parquet suffix: no glob reads it
    sql = store.load_sql(name).replace("{path}", _quoted(tmp))
    con.execute(sql, params) if params else con.execute(sql)  # one COPY statement per file
    return tmp


def config_hash(sources: SourcesFile) -> str:
    """What, besides raw data and the recipe, decides a snapshot's content: the dedup and semantic settings and
    sources."""
    listed = [s.model_dump(exclude={"schedule"} if s.schedule is None else None) for s in sources.sources]
    # duplicates: tag (the default) is left out, so a home that does not set it keeps its earlier hash
    semantic = sources.semantic.model_dump(exclude={"duplicates"} if sources.semantic.duplicates == "tag" else None)
    relevant = {"dedup": sources.dedup.model_dump(), "sources": listed, "semantic": semantic}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()


def _versions() -> dict[str, str]:
    return {f"{name}_version": version(name) for name in ("freshdata", "trafilatura", "datasketch", "duckdb")}


def _day_funnel(con: duckdb.DuckDBPyConnection, day: date) -> dict[str, int]:
    funnel = store.fetch_dicts(con, "select_day_funnel", {"day": day})
    return {k: int(v) for k, v in (funnel[0] if funnel else {}).items() if k != "partition_date"}


def latency_by_source(con: duckdb.DuckDBPyConnection, day: date) -> list[dict]:
    """Publish -> ingest latency (p50/p90 hours) of the day's staged documents, per source."""
    return store.fetch_dicts(con, "select_snapshot_latency_by_source", {"day": day})


def stage_snapshot(con: duckdb.DuckDBPyConnection, day: date) -> StagedSnapshot:
    """Replace the day's rows of snapshot_documents (one transaction); readers see nothing of it yet."""
    with store.transaction(con):
        store.run(con, "delete_snapshot_partition", {"day": day})
        store.run(con, "insert_snapshot_documents", {"day": day})
        store.run(con, "stage_snapshot_texts", {"day": day})
        funnel = _day_funnel(con, day)
        store.run(con, "replace_funnel_day", {"day": day})
        metrics = store.fetch_dicts(con, "select_snapshot_metrics", {"day": day})[0]
    texts.remove_unreferenced(con, day)
    columns = snapshot_columns(con, day)
    crash_point("snapshot:staged")
    return StagedSnapshot(day, int(metrics["kept"]), funnel, {k: v for k, v in metrics.items() if k != "kept"},
                          columns)


def export_query() -> str:
    """The SELECT of export_snapshot_parquet.sql (what its COPY writes), for DESCRIBE and EXPLAIN."""
    sql = store.load_sql("export_snapshot_parquet")
    return sql[sql.index("COPY (") + len("COPY ("):sql.rindex(") TO '{path}'")]


def snapshot_columns(con: duckdb.DuckDBPyConnection, day: date) -> list[tuple[str, str]]:
    """Name and type of every column of the day's Parquet export (the query of export_snapshot_parquet)."""
    cursor = con.execute(f"DESCRIBE {export_query()}", {"day": day, "texts": texts.path(con, day, "snapshot")})
    return [(name, str(kind)) for name, kind, *_ in cursor.fetchall()]


def publish_snapshot(con: duckdb.DuckDBPyConnection, day: date, home: Path, sources: SourcesFile,
                     recipe_hash: str) -> PublishedSnapshot:
    """Make the staged (and checked) day visible to readers: all of it at once, or nothing."""
    unfinished = remove_stray_files(home)
    root = storage.data_root(home)
    folder = storage.join(root, "snapshots", f"snapshot_date={day.isoformat()}")
    staging = storage.local_folder(storage.join(root, str(STAGING)))
    metrics = store.fetch_dicts(con, "select_snapshot_metrics", {"day": day})[0]
    n_documents = int(metrics["kept"])
    tmp = _export_day(con, day, staging, n_documents)
    content_hash = file_hash(tmp)
    target = storage.join(folder, f"part-{content_hash[:16]}.parquet")  # a new name: never overwritten
    mark = staging / f"{PLACING}{day.isoformat()}"
    mark.touch()
    fsync_path(mark.parent)
    storage.publish(tmp, target)
    crash_point("publish:file_in_place")
    funnel = _day_funnel(con, day)
    manifest = {
        "snapshot_date": day, "n_documents": n_documents,
        "n_discovered": funnel.get("discovered", 0), "n_extracted": funnel.get("extracted", 0),
        "n_exact_duplicate": funnel.get("exact_duplicate", 0),
        "n_near_duplicate": funnel.get("near_duplicate", 0), "n_rejected": funnel.get("rejected", 0),
        "n_semantic_duplicate": funnel.get("semantic_duplicate", 0),
        "export_path": storage.relative(target, root), "content_hash": content_hash,
        "config_hash": config_hash(sources), "recipe_hash": recipe_hash, **_versions(),
        "created_at": clock.now(),  # the publication time (of the simulated clock in the demo and tests)
        "p50_publish_to_ingest_hours": metrics["p50_publish_to_ingest_hours"],
        "p90_publish_to_ingest_hours": metrics["p90_publish_to_ingest_hours"],
    }
    with store.transaction(con):
        store.run(con, "delete_snapshot_manifest_partition", {"day": day})
        store.insert_rows(con, "insert_snapshot_manifest", pl.DataFrame([manifest]))
        store_funnel_rows(con, day)
    crash_point("publish:committed")
    generation = export_tables(con, home, unfinished | {day})
    for placed in unfinished | {day}:  # their folders hold no unpublished file any more
        (staging / f"{PLACING}{placed.isoformat()}").unlink(missing_ok=True)
    return PublishedSnapshot(day, n_documents, content_hash, target, generation)


class SnapshotExportError(RuntimeError):
    """The day's Parquet export did not come out as staged (rows missing, or not in doc_id order)."""


def _export_day(con: duckdb.DuckDBPyConnection, day: date, folder: storage.Location, n_documents: int) -> Path:
    """Write the day's Parquet to a temporary file, streamed (the writer holds one ~16 MB row group, not the
    day's text: see export_snapshot_parquet.sql), and check it before anything publishes it: every staged
    document once, in doc_id order. Reads back the doc_id column only."""
    texts_file = texts.path(con, day, "snapshot")
    with store.streamed_join(con):
        tmp = _copy_to_tmp(con, "export_snapshot_parquet", folder, {"day": day, "texts": texts_file})
    doc_ids = pq.read_table(tmp, columns=["doc_id"]).column("doc_id")
    in_order = len(doc_ids) < 2 or pc.all(pc.greater(doc_ids[1:], doc_ids[:-1])).as_py()
    if len(doc_ids) != n_documents or not in_order:
        tmp.unlink()
        raise SnapshotExportError(
            f"snapshot {day}: the export wrote {len(doc_ids)} of {n_documents} staged documents"
            f"{'' if in_order else ', not in doc_id order'}; nothing was published (texts file "
            f"{texts_file}); re-run the day from its quality stage")
    return tmp


def store_funnel_rows(con: duckdb.DuckDBPyConnection, day: date) -> list[date]:
    """Refresh funnel_days (the funnel export's rows) for the day and for every day whose row is missing or
    left over; returns those other days. Cost: the day's rows, two tables of one row per day (discovery_days,
    funnel_days), and the rows of the (usually no) stale days. Call inside the publication's transaction."""
    store.run(con, "replace_funnel_day", {"day": day})
    stale = [d for (d,) in store.run(con, "select_funnel_stale_days").fetchall()]
    for other in stale:
        store.run(con, "replace_funnel_day", {"day": other})
    return stale


def export_tables(con: duckdb.DuckDBPyConnection, home: Path, placed: Iterable[date] = ()) -> str:
    """Write the whole-history exports (manifest, funnel) under new names, then switch readers to them and to
    the manifest's snapshot files with one rename of exports/published.json. Returns the generation.
    Both exports copy small stored tables (one row per day: snapshot_manifest, funnel_days), never a
    recomputation over all history. `placed`: days whose folder got a file (see _remove_unpublished)."""
    root = storage.data_root(home)
    exports = storage.join(root, "exports")
    previous = published_state(home) or {}
    generation = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    files = {}
    for name in ("manifest", "funnel"):
        tmp = _copy_to_tmp(con, f"export_{name}_parquet", exports)
        files[name] = storage.publish(tmp, storage.join(exports, f"{name}-{generation}.parquet"))
    recorded = {e["path"]: e for e in previous.get("snapshots", [])}
    snapshots = [{"snapshot_date": d.isoformat(), "path": path, "content_hash": h, "n_documents": n,
                  **_recorded_stat(root, path, h, recorded.get(path))}
                 for d, path, h, n in store.run(con, "select_published_snapshots").fetchall()]
    state = {"generation": generation, "manifest": storage.relative(files["manifest"], root),
             "funnel": storage.relative(files["funnel"], root), "snapshots": snapshots}
    crash_point("publish:exports_written")
    text = json.dumps(state, separators=(",", ":"))  # C encoder: ~1 ms at 500 days
    storage.write_bytes(storage.join(root, str(PUBLISHED)), text.encode("utf-8"),
                        f"{TMP_MARK}{os.getpid()}-published.json")
    crash_point("publish:switched")
    _remove_unpublished(root, state, previous, placed)
    return generation


def _recorded_stat(root: str, path: str, content_hash: str, previous: dict | None) -> dict[str, int]:
    """The size and mtime_ns published.json records for a day's file. A file already published with a stat
    keeps its record without being looked at (no publication touches every day's file; a reader compares the
    stat, and re-hashes a file whose stat changed). A new file (or one an older published.json listed without a
    stat) is hashed, and gets its stat only if its content matches its manifest hash (else readers refuse it)."""
    if previous and previous.get("content_hash") == content_hash and "size" in previous:
        return {"size": previous["size"], "mtime_ns": previous["mtime_ns"]}
    target = storage.join(root, path)
    if storage.file_hash(target) != content_hash:
        return {"size": -1, "mtime_ns": -1}
    return storage.stat(target)


class SnapshotMismatch(Exception):
    """A published file no longer matches its manifest; the message is one line naming the day."""


def verify_published(home: Path, state: dict) -> None:
    """Check every published day's file against published.json: its stat, and its sha256 only when the stat
    changed (or was never recorded). Raises SnapshotMismatch naming the first day that does not match."""
    root = storage.data_root(home)
    for entry in state.get("snapshots", []):
        day, target = entry["snapshot_date"], storage.join(root, entry["path"])
        try:
            current = storage.stat(target)
        except OSError as exc:
            raise SnapshotMismatch(f"snapshot {day} no longer matches its manifest (file {entry['path']} "
                                   f"unreadable: {exc.strerror}); re-run the day to republish it") from None
        if "size" in entry and current == {"size": entry["size"], "mtime_ns": entry["mtime_ns"]}:
            continue
        try:
            actual = storage.file_hash(target)
        except OSError as exc:
            raise SnapshotMismatch(f"snapshot {day} no longer matches its manifest (file {entry['path']} "
                                   f"unreadable: {exc.strerror}); re-run the day to republish it") from None
        if actual != entry["content_hash"]:
            raise SnapshotMismatch(f"snapshot {day} no longer matches its manifest (sha256 {actual[:16]}… "
                                   f"!= {entry['content_hash'][:16]}…); re-run the day to republish it")


def _remove_unpublished(root: str, state: dict, previous: dict, placed: Iterable[date]) -> None:
    """Delete what no reader can reach any more: superseded day files and exports older than the previous
    publication (a reader that opened its views just before the switch may still be reading those). Only the
    folders that can hold such files are listed: the days given a file (this publication's, and those of
    publications that crashed after placing theirs) and the days whose published file changed or went away."""
    keep = {e["path"] for e in state["snapshots"]}  # relative to the home, as published.json has them
    keep |= {state[k] for k in ("manifest", "funnel")} | {previous[k] for k in ("manifest", "funnel") if k in previous}
    folders = {f"snapshots/snapshot_date={d.isoformat()}" for d in placed}
    folders |= {e["path"].rsplit("/", 1)[0] for e in previous.get("snapshots", []) if e["path"] not in keep}
    listed = [f"{f}/{name}" for f in folders for name, _ in storage.entries(storage.join(root, f))]
    listed += [f"exports/{name}" for name, _ in storage.entries(storage.join(root, "exports"))
               if name.endswith(".parquet")]
    for relative in listed:
        if (relative not in keep and relative.endswith(".parquet")) or TMP_MARK in storage.name(relative):
            with contextlib.suppress(OSError):
                storage.delete(storage.join(root, relative))


def remove_stray_files(home: Path) -> set[date]:
    """Delete the temporary files of publications that crashed (one publication runs at a time: the duckdb
    pool); returns the days they may have left an unpublished file for (their marks stay until it is gone)."""
    root = storage.data_root(home)
    placed = set()
    staging, exports = (storage.staging_root(storage.join(root, f)) for f in (str(STAGING), "exports"))
    for path in [*staging.glob("*"), *exports.glob(f"*{TMP_MARK}*")]:
        if path.name.startswith(PLACING):
            placed.add(date.fromisoformat(path.name.removeprefix(PLACING)))
        else:
            with contextlib.suppress(OSError):
                path.unlink()
    return placed


def funnel_adds_up(funnel: dict[str, int], kept_rows: int) -> list[str]:
    """Every identity of the funnel (vocab.FUNNEL_SPLITS); returns the ones that do not hold (empty = all good)."""
    f = {k: int(v or 0) for k, v in funnel.items()}
    rules: list[tuple[str, int, int]] = [
        (f"{total} = {' + '.join(parts)}", f.get(total, 0), sum(f.get(k, 0) for k in parts))
        for total, parts in FUNNEL_SPLITS.items()]
    rules.append(("kept = snapshot rows", f.get("kept", 0), kept_rows))
    return [f"{rule}: {left} != {right}" for rule, left, right in rules if left != right]


def funnel_rates(funnel: dict[str, int]) -> dict[str, float]:
    """The day's duplicate rate (of extracted) and reject rate (of fresh), rounded as the UI plots them."""
    extracted, fresh = funnel.get("extracted", 0), funnel.get("fresh", 0)
    dup_rate = (funnel.get("exact_duplicate", 0) + funnel.get("near_duplicate", 0)) / extracted if extracted else 0.0
    reject_rate = funnel.get("rejected", 0) / fresh if fresh else 0.0
    return {"dup_rate": round(dup_rate, 4), "reject_rate": round(reject_rate, 4)}


TRAILING_DAYS = 7
RATE_ALERT_FACTOR = 2.0  # WARN when a rate is more than twice (or under half) its trailing average
RATE_ALERT_FLOOR = 0.05  # …and differs by at least five points, so tiny days do not cry wolf
MIN_TRAILING_DAYS = 3  # an average of fewer days is no baseline


def rates_off_trailing(rates: dict[str, float | None]) -> list[dict]:
    """The rates of a `select_trailing_rates` row that are far from their trailing average (the WARN rule)."""
    problems = []
    for name in ("near_dup_rate", "reject_rate"):
        today, trailing = rates[name], rates[f"trailing_{name}"]
        if today is None or trailing is None:
            continue
        if abs(today - trailing) >= RATE_ALERT_FLOOR and (
                today > trailing * RATE_ALERT_FACTOR or today < trailing / RATE_ALERT_FACTOR):
            problems.append({"rate": name, "today": round(today, 4), "trailing": round(trailing, 4)})
    return problems


def read_rows(con: duckdb.DuckDBPyConnection, name: str, day: date, **params: Any) -> list[dict]:
    return store.fetch_dicts(con, name, {"day": day, **params})
