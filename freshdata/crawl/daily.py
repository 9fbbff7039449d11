"""One day of crawling: discover what is new in every source, then fetch it once, archiving raw responses.

A day is crawled in rounds: the daily run's (hour None), or one per hourly run (hour 0-23, intraday), each
checking the sources due in it (`round_sources`). A URL gets one discovered_urls row per day, in the first round
that lists it, and is fetched by that round; the day's later stages read every round of the day.
Both stages replace their round inside one DuckDB transaction. A re-run of a day replays what that day
already archived (feeds are re-parsed from the WARC, documents already fetched are reused), so it
never re-downloads what the partition has; only what is missing or failed transiently goes back out.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from freshdata import clock, progress, storage, store
from freshdata.config import SourceConfig, SourcesFile
from freshdata.crawl import warcsource
from freshdata.crawl.archive import (
    OPEN_SUFFIX,
    ArchiveDamaged,
    ArchiveEntry,
    ArchiveReader,
    ArchiveScan,
    DayArchive,
    day_files,
    prune_day,
    publish,
    raw_days,
    require_raw,
)
from freshdata.crawl.discover import DiscoveryError, Link, parse_feed, parse_seed_page, parse_sitemap
from freshdata.crawl.fetch import REUSABLE_ROBOTS_MODES, FetchRequest, FetchResult
from freshdata.crawl.recheck import DAY, NOT_DUE_REASON, RecheckState, after_check, daily_as_of, is_due, outcome_of
from freshdata.crawl.robots import RobotsPolicy, origin_of
from freshdata.crawl.shards import fetch_sharded
from freshdata.crawl.urls import normalize_url, same_host
from freshdata.faults import crash_point

log = logging.getLogger(__name__)

HOUR = timedelta(hours=1)  # the cadence of hourly runs (the re-check policy's run_every)
MAX_SITEMAP_DEPTH = 3  # index → index → urlset is the deepest we follow
MAX_CHILD_SITEMAPS = 200  # per source per run
MAX_ATTEMPTS = 3  # transient failures are retried on later days this many times in all
REPLAY_COLUMNS = ("source", "kind", "url", "final_url", "state", "reason", "detail", "http_status", "content_type",
                  "encoding", "etag", "last_modified", "fetched_at", "elapsed_s", "body_bytes", "content_hash",
                  "warc_file", "warc_offset")

FETCH_LOG_SCHEMA: dict[str, Any] = {
    "partition_date": pl.Date, "stage": pl.Utf8, "source": pl.Utf8, "kind": pl.Utf8, "url": pl.Utf8,
    "final_url": pl.Utf8, "state": pl.Utf8, "reason": pl.Utf8, "detail": pl.Utf8, "http_status": pl.Int32,
    "content_type": pl.Utf8, "encoding": pl.Utf8, "etag": pl.Utf8, "last_modified": pl.Utf8,
    "fetched_at": pl.Datetime("us", "UTC"), "elapsed_s": pl.Float64, "body_bytes": pl.Int64,
    "content_hash": pl.Utf8, "warc_file": pl.Utf8, "warc_offset": pl.Int64, "n_links": pl.Int32,
}
SOURCE_CHECKS_SCHEMA: dict[str, Any] = {
    "partition_date": pl.Date, "as_of": pl.Datetime("us", "UTC"), "source": pl.Utf8, "kind": pl.Utf8,
    "decision": pl.Utf8, "outcome": pl.Utf8, "reason": pl.Utf8, "n_new": pl.Int32, "interval_s": pl.Float64,
    "next_due_at": pl.Datetime("us", "UTC"), "checked_at": pl.Datetime("us", "UTC"), "events": pl.Float64,
    "exposure_s": pl.Float64,
}
DISCOVERED_SCHEMA: dict[str, Any] = {
    "partition_date": pl.Date, "url": pl.Utf8, "source": pl.Utf8, "found_in": pl.Utf8,
    "published_at": pl.Datetime("us", "UTC"), "state": pl.Utf8, "reason": pl.Utf8,
}


class IncompleteRound(RuntimeError):
    """An earlier round of the day discovered new URLs that were never fetched: run it again first."""


def round_sources(sources: SourcesFile, hour: int | None,
                  checked: frozenset[str] | set[str] = frozenset()) -> list[SourceConfig]:
    """The sources a round checks. An hourly round (hour 0-23): the hourly ones, and the daily ones too in the
    day's last hour (so the hourly schedule alone covers every source once a day). The daily round (None):
    every source no hourly round of the day has `checked`, so a day without hourly runs is crawled as always."""
    if hour is None:
        return [s for s in sources.sources if s.name not in checked]
    return [s for s in sources.sources if sources.cadence(s) == "hourly" or hour == 23]


def _round_label(day: date, hour: int | None) -> str:
    return day.isoformat() if hour is None else f"{day.isoformat()} {hour:02d}:00"


def _with_hour(rows: list[dict[str, Any]], schema: dict[str, Any], hour: int | None) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema).with_columns(hour=pl.lit(hour, pl.Int16))


@dataclass
class StageSummary:
    counts: Counter[str] = field(default_factory=Counter)
    by_reason: Counter[str] = field(default_factory=Counter)
    network_requests: int = 0
    reused: int = 0
    salvaged: int = 0  # of `reused`: outcomes taken from the archive of an interrupted run of the day
    damaged: list[ArchiveDamaged] = field(default_factory=list)  # damaged records found (and not reused)
    pruned: dict[date, list[str]] = field(default_factory=dict)  # raw files deleted for retention, by day
    rechecks: list[dict[str, Any]] = field(default_factory=list)  # discovery: the run's source_checks rows

    def discovery_counts(self) -> dict[str, int]:
        """Discovery's summary of the day (the asset's metadata): every URL listed, then each state."""
        return {"discovered": sum(self.counts.values()), **dict(sorted(self.counts.items()))}

    def fetch_counts(self) -> dict[str, int]:
        """Fetch's summary of the day: URLs attempted, each state, then each reason."""
        return {"attempted": sum(self.counts.values()), **dict(sorted(self.counts.items())),
                **dict(sorted(self.by_reason.items()))}


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


def _log_row(day: date, stage: str, result: FetchResult, archived: tuple[str, int] | None,
             n_links: int | None = None) -> dict[str, Any]:
    body = result.body
    return {
        "partition_date": day, "stage": stage, "source": result.request.source, "kind": result.request.kind,
        "url": result.url, "final_url": result.final_url, "state": result.state, "reason": result.reason,
        "detail": result.detail, "http_status": result.http_status,
        "content_type": _header(result.headers, "content-type"), "encoding": result.encoding,
        "etag": result.etag, "last_modified": result.last_modified, "fetched_at": result.fetched_at,
        "elapsed_s": result.elapsed_s, "body_bytes": len(body) if body is not None else None,
        "content_hash": hashlib.sha256(body).hexdigest() if body is not None else None,
        "warc_file": archived[0] if archived else None, "warc_offset": archived[1] if archived else None,
        "n_links": n_links,
    }


def _archive(archive: DayArchive, result: FetchResult) -> tuple[str, int] | None:
    """Archive what we received: full responses, and headers-only records for 304s and opt-outs.

    The record's WARC-Freshdata-* headers carry everything its fetch_log row holds beyond the HTTP response
    (see `_row_from_entry`), so the row can be rebuilt exactly from the archive alone.
    """
    if result.http_status is None or result.state not in ("fetched", "not_modified", "ai_opt_out"):
        return None
    target = result.final_url or result.url
    extra: dict[str, str | None] = {  # None values are left out: an absent field reads back as None
        "Requested-URL": result.url, "Final-URL": result.final_url, "Source": result.request.source,
        "Kind": result.request.kind, "State": result.state, "Reason": result.reason, "Detail": result.detail,
        "Encoding": result.encoding, "ETag": result.etag, "Last-Modified": result.last_modified,
        "Fetched-At": result.fetched_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "Elapsed": repr(float(result.elapsed_s)),
    }
    record = archive.add(target, result.http_status, result.headers, result.body or b"", extra=extra)
    return record.warc_file, record.offset


def _row_from_entry(day: date, stage: str, warc_file: str, entry: ArchiveEntry) -> dict[str, Any]:
    """The fetch_log row of an archived record, rebuilt from the record alone (what `_log_row` wrote for it).

    The WARC-Freshdata-* fields hold what the HTTP response does not (an absent field is None); records
    written before those fields existed get defaults: kind from the source ("robots" or "document"), final URL
    and validators from the response, fetched_at from WARC-Date, no elapsed time.
    """
    fields = entry.fields
    state = fields.get("State", "fetched")
    source = fields.get("Source", "")
    has_body = state == "fetched"  # only fetched results keep their body; 304s and opt-outs archive headers
    if entry.format is not None:
        final_url, etag, last_modified = fields.get("Final-URL"), fields.get("ETag"), fields.get("Last-Modified")
        fetched_at = datetime.fromisoformat(fields["Fetched-At"])
        elapsed = float(fields["Elapsed"]) if "Elapsed" in fields else None  # none for a page read from a WARC file
    else:
        final_url, etag, last_modified = entry.target_uri, entry.header("etag"), entry.header("last-modified")
        fetched_at = datetime.fromisoformat((entry.warc_date or "1970-01-01T00:00:00Z").replace("Z", "+00:00"))
        elapsed = None
    return {
        "partition_date": day, "stage": stage, "source": source,
        "kind": fields.get("Kind") or ("robots" if source == "robots" else "document"),
        "url": fields.get("Requested-URL") or entry.target_uri, "final_url": final_url, "state": state,
        "reason": fields.get("Reason"), "detail": fields.get("Detail"), "http_status": entry.http_status,
        "content_type": entry.header("content-type"), "encoding": fields.get("Encoding") or None,
        "etag": etag, "last_modified": last_modified, "fetched_at": fetched_at, "elapsed_s": elapsed,
        "body_bytes": len(entry.body) if has_body else None,
        "content_hash": hashlib.sha256(entry.body).hexdigest() if has_body else None,
        "warc_file": warc_file, "warc_offset": entry.offset, "n_links": None,
    }


def _report_damage(day: date, stage: str, damaged: list[ArchiveDamaged], summary: StageSummary,
                   action: str) -> None:
    """Count damaged records in the summary and log a warning that names their files."""
    if not damaged:
        return
    summary.damaged += damaged
    summary.by_reason["damaged_record_refetched"] += len(damaged)
    files = sorted({d.warc_file for d in damaged})
    log.warning("%s %s: %d damaged raw archive record(s) in %s (first: %s); %s", day, stage, len(damaged),
                ", ".join(files), damaged[0], action)


def _without_damaged(raw_root: storage.Location,
                     rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[ArchiveDamaged]]:
    """The rows whose archived record (if any) reads back intact and matches the row's length and hash."""
    damaged: dict[int, ArchiveDamaged] = {}
    with ArchiveReader(raw_root) as reader:  # file by file, in offset order
        for i, row in sorted(enumerate(rows), key=lambda p: (p[1]["warc_file"] or "", p[1]["warc_offset"] or 0)):
            if row["warc_file"] is None:
                continue
            try:
                reader.entry(row["warc_file"], row["warc_offset"], row["content_hash"], row["body_bytes"])
            except ArchiveDamaged as exc:
                damaged[i] = exc
    return [row for i, row in enumerate(rows) if i not in damaged], list(damaged.values())


def _stage_files(raw_root: storage.Location, day: date, stage: str) -> list[str]:
    """The stage's WARC files of the day, final and `.open`, oldest first."""
    files = [p for p in day_files(raw_root, day) if storage.name(p).startswith(f"{stage}-")]
    return sorted(files, key=lambda p: (storage.stat(p)["mtime_ns"], storage.name(p)))


def _unreferenced(con: duckdb.DuckDBPyConnection, raw_root: storage.Location, day: date,
                  stage: str) -> list[tuple[str, str]]:
    """(path, final relative name) of the stage's files of the day that no committed fetch_log row references:
    left by a run that was killed or failed before its transaction committed."""
    prefix = f"date={day.isoformat()}/"
    referenced = {f for (f,) in store.run(con, "select_day_warc_files", {"prefix": prefix}).fetchall()}
    out = []
    for path in _stage_files(raw_root, day, stage):
        relative = prefix + storage.name(path).removesuffix(OPEN_SUFFIX)
        if relative not in referenced:
            out.append((path, relative))
    return out


def salvage_fetch_archives(con: duckdb.DuckDBPyConnection, day: date, raw_root: storage.Location,
                           wanted: set[str]) -> list[dict[str, Any]]:
    """fetch_log rows for the `wanted` URLs taken from fetch-stage files no committed row references.

    Each such file is read in order up to its first incomplete or damaged record. Complete `document`
    records of wanted URLs become rows (the first record of a URL wins); a used `.open` file is cut after its
    last complete record and published under its final name, a file nothing is used from is deleted. Runs
    at the start of the fetch stage, which is the day's only writer (DuckDB pool of one, CLI home lock).
    """
    rows: list[dict[str, Any]] = []
    wanted = set(wanted)
    for path, relative in _unreferenced(con, raw_root, day, "fetch"):
        scan = ArchiveScan(path)
        used = []
        for entry in scan:
            row = _row_from_entry(day, "fetch", relative, entry)
            if row["kind"] == "document" and row["url"] in wanted:
                wanted.discard(row["url"])
                used.append(row)
        if scan.damage:
            log.warning("%s fetch: interrupted archive %s ends early at %s; its %d complete record(s) are kept",
                        day, path, scan.damage, len(used))
        if not used:
            storage.delete(path)
            continue
        if path.endswith(OPEN_SUFFIX):  # always a local file, also on a remote home (its staging folder)
            publish(Path(path), storage.join(raw_root, relative), scan.good_end)
        log.info("%s fetch: %d outcome(s) salvaged from %s", day, len(used), relative)
        rows += used
    return rows


def _remove_unreferenced(con: duckdb.DuckDBPyConnection, raw_root: storage.Location, day: date,
                         stage: str) -> None:
    """Delete the stage's files of the day that no committed row references (a killed or failed run's)."""
    for path, _relative in _unreferenced(con, raw_root, day, stage):
        storage.delete(path)


def _replay_row(day: date, stage: str, row: tuple) -> dict[str, Any]:
    """A fetch_log row the day already had (REPLAY_COLUMNS order), written again by a re-run."""
    return {"partition_date": day, "stage": stage, "n_links": None, **dict(zip(REPLAY_COLUMNS, row, strict=True))}


def _warc_rows(con: duckdb.DuckDBPyConnection, day: date, raw_root: storage.Location,
               wanted: dict[str, str]) -> list[dict[str, Any]]:
    """fetch_log rows of the URLs (-> source) a WARC source listed today, rebuilt from the pages discovery archived;
    a URL whose page cannot be read back (its raw file damaged) fails with that reason."""
    rows = [_row_from_entry(day, "fetch", warc_file, entry)
            for warc_file, entry in warcsource.warc_pages(con, day, raw_root, set(wanted))]
    for url in sorted(set(wanted) - {row["url"] for row in rows}):
        row: dict[str, Any] = dict.fromkeys(FETCH_LOG_SCHEMA)
        row.update(partition_date=day, stage="fetch", source=wanted[url], kind="document", url=url, state="failed",
                   reason="warc_page_unreadable", fetched_at=datetime.now(UTC),
                   detail="its page is missing or damaged in the day's raw warc-* files: re-run the day's discovery")
        rows.append(row)
    return rows


def _source_removed_row(day: date, request: FetchRequest) -> dict[str, Any]:
    """A URL discovered for a source that left the sources file before the fetch: deferred (a transient state),
    so it is retried on a later day if the source comes back, never counted as fetched."""
    row: dict[str, Any] = dict.fromkeys(FETCH_LOG_SCHEMA)
    row.update(partition_date=day, stage="fetch", source=request.source, kind=request.kind, url=request.url,
               state="deferred", reason="source_removed", fetched_at=clock.now(),  # when it was decided
               detail=f"source {request.source!r} is no longer in the sources file")
    return row


def _archived_row(day: date, archive: DayArchive, result: FetchResult) -> dict[str, Any]:
    """Archive one fetch result and return its fetch_log row; the body is released (the WARC holds it)."""
    archived = _archive(archive, result)
    if archived is not None and result.request.kind == "document":
        crash_point("fetch:archived")  # the record is in the file (flushed): a kill here loses no page
    row = _log_row(day, "fetch", result, archived)
    result.body = None
    return row


def day_robots(con: duckdb.DuckDBPyConnection, day: date, raw_root: storage.Location,
               damaged: list[ArchiveDamaged] | None = None) -> dict[str, RobotsPolicy]:
    """The robots.txt policies the day already received (rebuilt from the archive), by origin.

    A robots.txt whose archived record is damaged is not reused (so it is asked again); it goes to `damaged`.
    """
    policies: dict[str, RobotsPolicy] = {}
    rows = store.run(con, "select_day_robots", {"day": day}).fetchall()
    with ArchiveReader(raw_root) as reader:
        for url, status, warc_file, offset, content_hash, body_bytes in rows:
            body = None
            if warc_file:
                try:
                    body = reader.body(warc_file, offset, content_hash, body_bytes)
                except ArchiveDamaged as exc:
                    if damaged is not None:
                        damaged.append(exc)
                    continue
            policy = RobotsPolicy.from_response(status, body)
            if policy.mode in REUSABLE_ROBOTS_MODES:
                policies[origin_of(url)] = policy
    return policies


def _validators(con: duckdb.DuckDBPyConnection, day: date, urls: list[str],
                hour: int | None = None) -> dict[str, tuple[str | None, str | None]]:
    """ETag / Last-Modified of the latest fetch before the round of each of `urls` (the round's feeds and
    sitemaps), for conditional GET; URLs without any are left out. Only these URLs are loaded, not history."""
    if not urls:
        return {}
    rows = store.run(con, "select_validators", {"day": day, "hour": hour, "urls": sorted(set(urls))}).fetchall()
    return {url: (etag, modified) for url, etag, modified in rows}


def _parse_source_body(kind: str, body: bytes, base: str, encoding: str | None) -> tuple[list[Link], list[Link]]:
    """Links and child sitemaps of one fetched source document."""
    if kind == "feed":
        return parse_feed(body, base), []
    if kind == "sitemap":
        parsed = parse_sitemap(body, base)
        return parsed.links, parsed.child_sitemaps
    return parse_seed_page(body, base, encoding), []


def require_earlier_rounds(con: duckdb.DuckDBPyConnection, day: date, hour: int | None) -> None:
    """Refuse a round while an earlier round of the day has new URLs it never fetched: no later round fetches
    them (a URL belongs to the round that listed it first). Dagster does not check that the previous partition
    of a self-dependent asset exists (as for dedup's days, `missing_earlier_days`), so this does."""
    rows = store.run(con, "select_unfetched_rounds", {"day": day, "hour": hour}).fetchall()
    if rows:
        listed = ", ".join(f"{h:02d}:00 ({n} new URLs)" for h, n in rows)
        raise IncompleteRound(
            f"{_round_label(day, hour)}: earlier hourly runs of {day} discovered URLs they never fetched: {listed}. "
            f"Run those hours again first (a backfill from {day} {rows[0][0]:02d}:00 runs the hours in order).")


def _source_kind(source: SourceConfig) -> str:
    return {"page": "seed"}.get(source.kind, source.kind)


def _recheck_states(con: duckdb.DuckDBPyConnection, as_of: datetime, names: list[str]) -> dict[str, RecheckState]:
    """Each source's re-check state before the run at `as_of` (from earlier runs only)."""
    rows = store.run(con, "select_recheck_state", {"as_of": as_of, "sources": names}).fetchall()
    return {name: RecheckState(interval, due, checked, events, exposure)
            for name, interval, due, checked, events, exposure in rows}


def _recheck_rows(day: date, as_of: datetime, sources: SourcesFile, in_round: list[SourceConfig],
                  states: dict[str, RecheckState],
                  due: set[str], log_rows: list[dict[str, Any]],
                  discovered: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One source_checks row per source: a checked source's outcome and new state, a not-due one's state kept."""
    fetch_states: dict[str, list[str]] = {}
    reasons: dict[str, str | None] = {}
    for row in log_rows:  # the round order: each source's root document comes first
        if row["kind"] != "robots":
            fetch_states.setdefault(row["source"], []).append(row["state"])
            reasons.setdefault(row["source"], row["reason"])
    n_new = Counter(r["source"] for r in discovered
                    if r["state"] in ("new", "over_budget") and not r["found_in"].startswith("retry:"))
    rows = []
    for source in in_round:
        before = states.get(source.name)
        if source.name in due:
            states_now = fetch_states.get(source.name, [])
            if source.kind == "warc" and not states_now:  # a local file, or one ingested before: no request
                outcome = "new_items" if n_new[source.name] else "unchanged"
            else:
                outcome = outcome_of(states_now, n_new[source.name])
            state = after_check(before, as_of, outcome, n_new[source.name], sources.recheck_for(source))
            decision, reason = "checked", reasons.get(source.name) if outcome == "failed" else None
        else:
            assert before is not None
            state, decision, outcome, reason = before, "not_due", None, NOT_DUE_REASON
        rows.append({"partition_date": day, "as_of": as_of, "source": source.name, "kind": _source_kind(source),
                     "decision": decision, "outcome": outcome, "reason": reason,
                     "n_new": n_new[source.name] if decision == "checked" else 0, "interval_s": state.interval_s,
                     "next_due_at": state.next_due_at, "checked_at": state.checked_at, "events": state.events,
                     "exposure_s": state.exposure_s})
    return rows


def discover_day(con: duckdb.DuckDBPyConnection, day: date, sources: SourcesFile, raw_root: storage.Location,
                 hour: int | None = None, as_of: datetime | None = None,
                 run_every: timedelta | None = None) -> StageSummary:
    """Fetch (or replay) every source of the round (the day's, or hour `hour` of it) that is due at `as_of`, and
    record each URL it lists for the first time today, with its state.

    `as_of` is the run's clock for the re-check policy (default: the end of the round: of the day for a daily
    run, of the hour for an hourly one) and `run_every` the cadence of the runs (a day, or an hour); a source of
    the round that is not due is not fetched and gets a `not_due` row in source_checks (freshdata.crawl.recheck)."""
    require_raw(raw_root, day)  # a day whose raw data retention deleted cannot be replayed: change nothing
    require_earlier_rounds(con, day, hour)
    summary = StageSummary()
    checked = ({s for (s,) in store.run(con, "select_round_checked_sources", {"day": day}).fetchall()}
               if hour is None else set())
    in_round = round_sources(sources, hour, checked)
    _remove_unreferenced(con, raw_root, day, "discovery")  # left by a run killed or failed before it committed
    replayed_rows = store.run(con, "select_discovery_replay", {"day": day, "hour": hour}).fetchall()
    replay = {row[2]: row for row in replayed_rows if row[1] != "robots"}
    replayed_robots = [row for row in replayed_rows if row[1] == "robots"]
    live_robots: set[str] = set()
    replay_bodies, damaged_replays = _verified_replay(raw_root, replay)
    unconditional: set[str] = set()
    for url in damaged_replays:  # asked again instead, unconditionally when the replay needed the body
        if replay.pop(url)[REPLAY_COLUMNS.index("state")] == "fetched":
            unconditional.add(url)
    damaged = list(damaged_replays.values())
    # one robots.txt request per origin per day, over every round (a damaged one is asked again)
    policies = day_robots(con, day, raw_root, damaged)
    _report_damage(day, "discovery", damaged, summary, "asking those sources (or robots.txt) again")
    log_rows: list[dict[str, Any]] = []
    as_of = as_of or (daily_as_of(day) if hour is None
                      else datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=hour + 1))
    run_every = run_every or (DAY if hour is None else HOUR)
    states = _recheck_states(con, as_of, [s.name for s in in_round])
    due = {s.name for s in in_round if is_due(states.get(s.name), as_of, run_every)}
    found: dict[str, list[tuple[Link, str]]] = {s.name: [] for s in in_round}
    pending = [(s, s.url, _source_kind(s), 0) for s in in_round if s.name in due and s.kind != "warc"]
    by_name = {s.name: s for s in sources.sources}
    roots = [s.url for s in sources.sources]
    children = store.run(con, "select_known_child_sitemaps", {"day": day, "hour": hour, "roots": roots}).fetchall()
    for name, url in children:
        if name in due and by_name[name].kind == "sitemap":
            pending.append((by_name[name], url, "sitemap", 1))
    seen = {url for _, url, _, _ in pending}
    child_budget: Counter[str] = Counter()

    progress.start("discovered_urls", len(pending), "sources and sitemaps")
    with DayArchive(raw_root, day, "discovery") as archive:
        while pending:
            to_fetch = [p for p in pending if p[1] not in replay]
            validators = _validators(con, day, [url for _, url, _, _ in to_fetch if url not in unconditional],
                                     hour)
            requests = [
                FetchRequest(url, source.name, kind, *validators.get(url, (None, None)))
                for source, url, kind, _ in to_fetch
            ]
            batch = fetch_sharded(requests, sources.crawl, robots=policies) if requests else None
            summary.network_requests += len(requests)
            fetched = {r.url: r for r in (batch.results if batch else [])}
            for robots in batch.robots if batch else []:
                live_robots.add(robots.url)
                log_rows.append(_log_row(day, "discovery", robots, _archive(archive, robots)))
            next_round = []
            for source, url, kind, depth in pending:
                links, children, row = _discover_one(day, archive, source, url, kind, fetched.get(url),
                                                     replay.get(url), replay_bodies.get(url), summary)
                log_rows.append(row)
                found[source.name].extend((link, url) for link in links)
                for child in children:
                    if child.url in seen:
                        continue
                    if depth + 1 < MAX_SITEMAP_DEPTH and child_budget[source.name] < MAX_CHILD_SITEMAPS:
                        child_budget[source.name] += 1
                        seen.add(child.url)
                        next_round.append((source, child.url, "sitemap", depth + 1))
                progress.advance()
            progress.advance(0, more_total=len(next_round))
            pending = next_round
        for row in replayed_robots:  # robots.txt the day already fetched and this run did not fetch again
            if row[2] not in live_robots:
                log_rows.append(_replay_row(day, "discovery", row))
    # WARC sources: their files' pages are read (no fetch) into the day's warc-* raw file, their URLs listed
    warc = warcsource.ingest_day(con, day, [s for s in in_round if s.kind == "warc" and s.name in due],
                                 sources.crawl, raw_root)
    for name, links in warc.found.items():
        found[name].extend(links)
    log_rows += warc.log_rows
    summary.by_reason.update(warc.by_reason)
    staged_log = _with_hour(log_rows, FETCH_LOG_SCHEMA, hour)

    progress.finish()
    discovered = _classify(con, day, hour, in_round, found)
    for row in discovered:
        summary.counts[row["state"]] += 1
    summary.rechecks = _recheck_rows(day, as_of, sources, in_round, states, due, log_rows, discovered)
    crash_point("discovery:before_commit")
    with store.transaction(con):
        store.run(con, "delete_discovery_partition", {"day": day, "hour": hour})
        store.run(con, "delete_source_checks_partition", {"day": day, "as_of": as_of})
        store.insert_rows(con, "insert_fetch_log", staged_log)
        store.insert_rows(con, "insert_discovered_urls", _with_hour(discovered, DISCOVERED_SCHEMA, hour))
        store.insert_rows(con, "insert_source_checks", pl.DataFrame(summary.rechecks, schema=SOURCE_CHECKS_SCHEMA))
        warcsource.replace_day(con, day, warc)
    return summary


def _verified_replay(raw_root: storage.Location, replay: dict[str, tuple],
                     ) -> tuple[dict[str, bytes], dict[str, ArchiveDamaged]]:
    """Bodies of the replayable source fetches (REPLAY_COLUMNS rows) that read back intact, and by URL the
    ones whose record is damaged."""
    bodies: dict[str, bytes] = {}
    damaged: dict[str, ArchiveDamaged] = {}
    rows = {url: dict(zip(REPLAY_COLUMNS, replayed, strict=True)) for url, replayed in replay.items()}
    with ArchiveReader(raw_root) as reader:
        for url, row in sorted(rows.items(), key=lambda p: (p[1]["warc_file"] or "", p[1]["warc_offset"] or 0)):
            if row["warc_file"] is None:
                continue
            try:
                body = reader.body(row["warc_file"], row["warc_offset"], row["content_hash"], row["body_bytes"])
            except ArchiveDamaged as exc:
                damaged[url] = exc
                continue
            if row["state"] == "fetched":
                bodies[url] = body
    return bodies, damaged


def _discover_one(day: date, archive: DayArchive, source: SourceConfig, url: str, kind: str,
                  result: FetchResult | None, replayed: tuple | None, replayed_body: bytes | None,
                  summary: StageSummary) -> tuple[list[Link], list[Link], dict[str, Any]]:
    """Parse one source document, fresh from the network or replayed from the day's archive."""
    if replayed is not None:
        summary.reused += 1
        row = {"partition_date": day, "stage": "discovery", **dict(zip(REPLAY_COLUMNS, replayed, strict=True))}
        body = replayed_body if row["state"] == "fetched" else None
        base, encoding = row["final_url"] or url, row["encoding"]
    else:
        assert result is not None
        row = _log_row(day, "discovery", result, _archive(archive, result))
        body = result.body if result.state == "fetched" else None
        base, encoding = result.final_url or url, result.encoding
    summary.by_reason[f"{kind}:{row['state']}" + (f":{row['reason']}" if row["reason"] else "")] += 1
    if body is None:
        row["n_links"] = 0
        return [], [], row
    try:
        links, children = _parse_source_body(kind, body, base, encoding)
    except DiscoveryError as exc:
        row.update(state="failed", reason="unparseable", detail=str(exc)[:500], n_links=0)
        return [], [], row
    if kind == "seed":
        links = [link for link in links if same_host(link.url, base)]
    row["n_links"] = len(links) + len(children)
    return links, children, row


def _classify(con: duckdb.DuckDBPyConnection, day: date, hour: int | None, in_round: list[SourceConfig],
              found: dict[str, list[tuple[Link, str]]]) -> list[dict[str, Any]]:
    """Give every URL the round lists, and no other round of the day listed, one state: new, known (settled
    earlier), excluded_by_rule or over_budget."""
    rows: dict[str, dict[str, Any]] = {}
    other_rounds = {u for (u,) in store.run(con, "select_round_other_urls", {"day": day, "hour": hour}).fetchall()}
    for source in in_round:  # sources-file order decides which source owns a URL listed twice
        for link, found_in in found[source.name]:
            url = normalize_url(link.url)
            if url is None or url in rows or url in other_rounds:
                continue
            state, reason = ("new", None) if source.admits(url) else ("excluded_by_rule", "include_exclude")
            rows[url] = {"partition_date": day, "url": url, "source": source.name, "found_in": found_in,
                         "published_at": link.published_at, "state": state, "reason": reason}
    retries = store.run(con, "select_retry_urls", {"day": day, "max_attempts": MAX_ATTEMPTS}).fetchall()
    for url, source_name, last_day, published_at in retries:
        if url not in rows and url not in other_rounds and any(s.name == source_name for s in in_round):
            rows[url] = {"partition_date": day, "url": url, "source": source_name,
                         "found_in": f"retry:{last_day.isoformat()}", "published_at": published_at,
                         "state": "new", "reason": None}
    candidates = pl.DataFrame({"url": [u for u, r in rows.items() if r["state"] == "new"]}, schema={"url": pl.Utf8})
    con.register("staged", candidates)
    try:
        known = store.run(con, "select_known_urls", {"day": day, "max_attempts": MAX_ATTEMPTS}).fetchall()
    finally:
        con.unregister("staged")
    for url, reason in known:
        rows[url].update(state="known", reason=reason)
    oldest = datetime.min.replace(tzinfo=UTC)
    for source in in_round:  # newest first, so a budget keeps the freshest pages
        new = sorted((r for r in rows.values() if r["source"] == source.name and r["state"] == "new"),
                     key=lambda r: (-(r["published_at"] or oldest).timestamp(), r["url"]))
        for row in new[source.max_documents_per_run:]:
            row.update(state="over_budget", reason=f"max_documents_per_run={source.max_documents_per_run}")
    return sorted(rows.values(), key=lambda r: r["url"])


def fetch_day(con: duckdb.DuckDBPyConnection, day: date, sources: SourcesFile,
              raw_root: storage.Location, hour: int | None = None) -> StageSummary:
    """Fetch the round's new URLs once (the day's, or hour `hour`'s); a re-run reuses every final outcome
    already recorded for the round.

    Before reusing, every reusable outcome's archived record is read back and verified: a damaged one is not
    reused, so its URL is fetched again into the new file. Outcomes archived by an earlier run of the day that
    was killed or failed before committing are salvaged from its files instead of being fetched again.
    """
    require_raw(raw_root, day)  # a day whose raw data retention deleted cannot be replayed: change nothing
    summary = StageSummary()
    todo = store.run(con, "select_fetch_todo", {"day": day, "hour": hour}).fetchall()
    reusable, damaged = _without_damaged(raw_root, store.fetch_dicts(con, "select_fetch_reusable",
                                                                     {"day": day, "hour": hour}))
    robots_damaged: list[ArchiveDamaged] = []
    known_robots = day_robots(con, day, raw_root, robots_damaged)
    _report_damage(day, "fetch", damaged + robots_damaged, summary,
                   "fetching those pages (or robots.txt) again")
    reused_urls = {row["url"] for row in reusable}
    salvaged = salvage_fetch_archives(con, day, raw_root, {url for url, *_ in todo if url not in reused_urls})
    summary.salvaged = len(salvaged)
    if salvaged:
        summary.by_reason["salvaged_from_interrupted_run"] += len(salvaged)
        reusable += salvaged
        reused_urls |= {row["url"] for row in salvaged}
    earlier_robots = store.run(con, "select_fetch_robots_replay", {"day": day, "hour": hour}).fetchall()
    # URLs a WARC source listed are not fetched: their outcome is the page discovery archived from the WARC file
    warc_names = {s.name for s in sources.sources if s.kind == "warc"}
    from_warc = _warc_rows(con, day, raw_root, {url: source for url, source, _, _ in todo
                                                if source in warc_names and url not in reused_urls})
    reused_urls |= {row["url"] for row in from_warc}
    requests = [FetchRequest(url, source, "document") for url, source, _, _ in todo if url not in reused_urls]
    known_sources = {s.name for s in sources.sources}
    log_rows: list[dict[str, Any]] = []
    with DayArchive(raw_root, day, "fetch") as archive:
        if requests:

            def archive_one(result: FetchResult) -> dict[str, Any]:
                # On fetch_many's consumer thread while the event loop keeps fetching (with fetch workers: on
                # this thread, as their results arrive): hash, compress and write each response as it arrives
                # (zlib and hashlib release the GIL); only the fetch_log row is kept. The fetcher pauses new
                # requests while max_concurrency results wait here, so the bodies in memory stay bounded
                # whatever the day's size (README, "Memory").
                try:
                    row = _archived_row(day, archive, result)
                except OSError as exc:  # e.g. a full disk: fail the stage now, not after fetching the whole day
                    raise RuntimeError(f"archiving to {raw_root} failed: {exc}") from exc
                progress.advance()
                return row

            log_rows += [_source_removed_row(day, r) for r in requests if r.source not in known_sources]
            progress.start("fetched_pages", sum(r.source in known_sources for r in requests), "pages")
            batch = fetch_sharded([r for r in requests if r.source in known_sources], sources.crawl,
                               robots=known_robots, handle=archive_one)
            summary.network_requests = len(batch.handled)
            log_rows += [_archived_row(day, archive, result) for result in batch.robots]  # writer thread is done
            log_rows += batch.handled
            progress.finish()
    asked = {row["url"] for row in log_rows if row["kind"] == "robots"}
    # robots.txt reused from earlier today (so not asked again): keep its record
    log_rows += [_replay_row(day, "fetch", row) for row in earlier_robots if row[2] not in asked]
    summary.reused = len(reusable)
    log_rows += from_warc
    log_rows += [{**row, "partition_date": day, "stage": "fetch"} for row in reusable]
    staged = _with_hour(log_rows, FETCH_LOG_SCHEMA, hour)
    for state, reason in staged.filter(pl.col("kind") == "document").select("state", "reason").iter_rows():
        summary.counts[state] += 1
        if state != "fetched":
            summary.by_reason[f"{state}:{reason}"] += 1
    crash_point("fetch:before_commit")
    with store.transaction(con):
        store.run(con, "delete_fetch_partition", {"day": day, "hour": hour})
        store.insert_rows(con, "insert_fetch_log", staged)
    summary.pruned = prune_raw(con, day, raw_root, sources.storage.raw_retention_days)
    return summary


def prune_raw(con: duckdb.DuckDBPyConnection, day: date, raw_root: storage.Location,
              retention_days: int | None) -> dict[date, list[str]]:
    """Apply `storage.raw_retention_days` after the day's fetch committed: delete the WARC files of every
    day at least `retention_days` before `day` that has published. Returns the files deleted, by day.

    Why here: the day's own raw data is complete and committed, and nothing later in the day reads another
    day's raw data; a day that never published (failed, or still to be re-run) keeps its files whatever its
    age, so retention never takes what an unfinished day still needs. A pruned day keeps a marker that makes
    any re-run of it fail at once (`require_raw`).
    """
    if retention_days is None:
        return {}
    cutoff = day - timedelta(days=retention_days)
    candidates = [d for d in raw_days(raw_root) if d <= cutoff]
    if not candidates:
        return {}
    published = {d for (d,) in store.run(con, "select_prunable_raw_days", {"cutoff": cutoff}).fetchall()}
    pruned = {}
    for old_day in candidates:
        if old_day in published:
            files = prune_day(raw_root, old_day, retention_days=retention_days, run_of=day)
            if files:
                pruned[old_day] = files
                log.info("%s: raw archive of %s deleted (storage.raw_retention_days: %d): %s", day, old_day,
                         retention_days, ", ".join(files))
    return pruned
