"""WARC files as a source (`kind: warc`): pages another crawler archived (Common Crawl News), taken in as fetched
pages, without fetching them again.

A source names one WARC file, or a listing of WARC paths (one a line, optionally gzipped, like CC-NEWS' monthly
`warc.paths.gz`), by http(s) URL or absolute path; a listing's relative paths are resolved against `warc_base`
(Common Crawl: https://data.commoncrawl.org/), by default the listing's own location.

Discovery downloads the listing and every file it names that no other day ingested (table warc_files), at most
`max_files_per_run` a run, through the crawler's guarded HTTP client (SSRF guard, no proxy, per-hop address check,
read timeout, size cap and a total deadline), streamed to a local file next to the day's raw folder and deleted once
read. robots.txt is not asked for these downloads: it governs crawling a site's pages, and a dataset file published
for download is no crawl (the pages in it are not fetched again). What a page itself says is honoured exactly as
for a crawled page (`fetch.page_verdict`: X-Robots-Tag, robots meta, noai, binary content); a site's robots.txt is
not in the records, so it is not (Common Crawl obeyed robots.txt for CCBot when it fetched them).

A file is read gzip member by member (each record is one member, as in Common Crawl's files; an uncompressed
.warc is read record by record), one record in memory at a time. Every record ends counted: an HTML response
(2xx, HTML or undeclared type) becomes a discovered URL, archived in the day's `warc-*.warc.gz` raw file with the
state its checks gave (fetched, ai_opt_out, failed), which the fetch stage takes as the URL's outcome; every other
record is skipped with a count by reason (warcinfo, request, metadata, revisit, a non-2xx status, a non-HTML type, a
URL already taken from the day's files); a damaged record or gzip member is recorded in warc_damage with its offset
and reason, and the reading goes on at the next intact gzip member (a truncated end stops the file, recorded too).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urljoin, urlsplit

import duckdb
import httpx
import polars as pl
from warcio.archiveiterator import ArchiveIterator

from freshdata import storage, store
from freshdata.config import CrawlConfig, SourceConfig
from freshdata.crawl.archive import OPEN_SUFFIX, ArchiveEntry, ArchiveScan, DayArchive, _parse_record, day_files
from freshdata.crawl.content import TooLarge, gunzip_capped, media_type
from freshdata.crawl.discover import Link
from freshdata.crawl.fetch import HTML_TYPES, _error_reason, guarded_client, page_verdict, run_on_new_loop
from freshdata.crawl.netguard import check_url
from freshdata.crawl.urls import normalize_url

log = logging.getLogger(__name__)

MAX_LISTING_BYTES = 50_000_000  # a listing, uncompressed (CC-NEWS' monthly one is ~50 kB)
MAX_WARC_FILE_BYTES = 20_000_000_000  # one downloaded WARC file (CC-NEWS' are ~1 GB)
DOWNLOAD_DEADLINE_S = 4 * 3600.0  # one download, whole; each read also has the crawl's timeout_s
RECORD_HEADERS_SLACK = 1_000_000  # a record may exceed the crawl's max_bytes by its WARC and HTTP headers
CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_SUFFIXES = (".warc.gz", ".warc")
STAGE = "warc"  # the day's raw files holding pages read from WARC files: raw/date=D/warc-*.warc.gz

WARC_FILES_SCHEMA: dict[str, Any] = {
    "partition_date": pl.Date, "source": pl.Utf8, "file_url": pl.Utf8, "listing_url": pl.Utf8, "state": pl.Utf8,
    "reason": pl.Utf8, "detail": pl.Utf8, "file_bytes": pl.Int64, "file_sha256": pl.Utf8, "archive_file": pl.Utf8,
    "records": pl.Int32, "documents": pl.Int32, "skipped": pl.Utf8, "damaged": pl.Int32,
    "ingested_at": pl.Datetime("us", "UTC"),
}
WARC_DAMAGE_SCHEMA: dict[str, Any] = {
    "partition_date": pl.Date, "source": pl.Utf8, "file_url": pl.Utf8, "file_offset": pl.Int64, "url": pl.Utf8,
    "reason": pl.Utf8,
}


class NotAWarc(ValueError):
    """The file is neither gzip nor an uncompressed WARC."""


@dataclass
class Download:
    """One listing or WARC file brought to a local file (or read in place, for a path)."""

    location: str
    state: str  # fetched | failed | blocked_address
    reason: str | None = None
    detail: str | None = None
    http_status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    final_url: str | None = None
    path: Path | None = None
    size: int = 0
    sha256: str | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    elapsed_s: float = 0.0


@dataclass
class WarcItem:
    """One record of a WARC file as read: `entry` when it parsed whole, else `problem` says what is wrong."""

    offset: int
    entry: ArchiveEntry | None = None
    problem: str | None = None
    url: str | None = None  # WARC-Target-URI of a damaged record, when readable
    record_id: str | None = None
    identified_type: str | None = None


@dataclass
class WarcIngest:
    """What the WARC sources gave a day's discovery (each list goes into its table in discovery's transaction)."""

    found: dict[str, list[tuple[Link, str]]] = field(default_factory=dict)  # source -> (link, WARC file)
    log_rows: list[dict[str, Any]] = field(default_factory=list)  # fetch_log rows of listings and files
    file_rows: list[dict[str, Any]] = field(default_factory=list)  # warc_files
    damage_rows: list[dict[str, Any]] = field(default_factory=list)  # warc_damage
    by_reason: Counter[str] = field(default_factory=Counter)


def is_warc_file(location: str) -> bool:
    """A source URL or path naming a WARC file itself (else it names a listing of them)."""
    path = urlsplit(location).path if is_url(location) else location
    return path.lower().endswith(WARC_SUFFIXES)


def is_url(location: str) -> bool:
    return location.lower().startswith(("http://", "https://"))


# ---------------------------------------------------------------- downloading


def download(location: str, dest: Path, cfg: CrawlConfig, max_bytes: int) -> Download:
    """A URL streamed to `dest` through the guarded client; an absolute path is read in place. Never raises for
    what the server or the file does: the result carries a state and a reason."""
    if not is_url(location):
        result = Download(location, "fetched", path=Path(location))
        try:
            result.size = os.path.getsize(location)
        except OSError as exc:
            return Download(location, "failed", "file_error", f"{type(exc).__name__}: {exc}"[:300])
        if result.size > max_bytes:
            return Download(location, "failed", "too_large", f"{result.size} bytes > {max_bytes}")
        return result
    return run_on_new_loop(_download(location, dest, cfg, max_bytes))


async def _download(url: str, dest: Path, cfg: CrawlConfig, max_bytes: int) -> Download:
    result = Download(url, "failed")
    started = time.monotonic()
    client = guarded_client(cfg, timeout=httpx.Timeout(cfg.timeout_s, connect=cfg.connect_timeout_s),
                            headers={"Accept-Encoding": "identity"})  # the file's own bytes, compressed or not
    current = url
    try:
        async with asyncio.timeout(DOWNLOAD_DEADLINE_S):
            for _hop in range(cfg.max_redirects + 1):
                result.final_url = current
                bad = check_url(current)
                if bad:
                    result.state, result.reason, result.detail = "blocked_address", f"blocked_address:{bad}", current
                    return result
                async with client.stream("GET", current) as response:
                    result.http_status = response.status_code
                    result.headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw]
                    location = response.headers.get("location")
                    if response.status_code in (301, 302, 303, 307, 308) and location:
                        current = urljoin(current, location.strip()).split("#", 1)[0]
                        continue
                    if not 200 <= response.status_code < 300:
                        result.reason = f"http_{response.status_code}"
                        return result
                    length = response.headers.get("content-length", "").strip()
                    if length.isdigit() and int(length) > max_bytes:
                        result.reason, result.detail = "too_large", f"Content-Length {length} > {max_bytes}"
                        return result
                    digest = hashlib.sha256()
                    with dest.open("wb") as fh:
                        async for chunk in response.aiter_raw(CHUNK):
                            result.size += len(chunk)
                            if result.size > max_bytes:
                                result.reason, result.detail = "too_large", f"body over {max_bytes} bytes"
                                return result
                            digest.update(chunk)
                            fh.write(chunk)
                    result.state, result.path, result.sha256 = "fetched", dest, digest.hexdigest()
                    return result
            result.reason, result.detail = "too_many_redirects", f"more than {cfg.max_redirects}"
            return result
    except Exception as exc:  # noqa: BLE001 - every failure becomes a reason, as in the fetcher
        result.state, result.reason = _error_reason(exc)
        result.detail = f"{type(exc).__name__}: {exc}"[:300]
        return result
    finally:
        result.elapsed_s = time.monotonic() - started
        await client.aclose()
        if result.state != "fetched":
            dest.unlink(missing_ok=True)


# ---------------------------------------------------------------- listings


def listing_files(body: bytes, listing: str, base: str | None) -> list[str]:
    """The WARC file locations a listing names, resolved against `base` (default: the listing's location), in
    listing order without repeats. A listing from the network may only name http(s) URLs."""
    if body[:2] == GZIP_MAGIC[:2]:
        try:
            body = gunzip_capped(body, MAX_LISTING_BYTES)
        except (zlib.error, TooLarge) as exc:
            raise ValueError(f"listing is not readable gzip: {exc}") from None
    if b"\x00" in body[:4096]:
        raise ValueError("listing is binary, not one path a line")
    root = base or listing
    out: dict[str, None] = {}
    for raw in body.decode("utf-8", errors="replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if is_url(line):
            target = line
        elif is_url(root):
            target = urljoin(root if base is None or root.endswith("/") else root + "/", line)
        elif is_url(listing):
            raise ValueError(f"a listing from the network names a local path: {line!r}")
        else:
            folder = root if base is not None else os.path.dirname(root)
            target = os.path.normpath(os.path.join(folder, line))
        if is_url(listing) and not is_url(target):  # e.g. file:///etc/passwd, which urljoin keeps as it is
            raise ValueError(f"a listing from the network names no http(s) URL: {line!r}")
        out.setdefault(target)
    return list(out)


# ---------------------------------------------------------------- reading a WARC file


def read_warc(path: Path, max_record_bytes: int) -> Iterator[WarcItem]:
    """Every record of a WARC file in order, one in memory at a time; damage is an item, not an exception.

    gzip files are read member by member: a corrupt member, or one over `max_record_bytes` uncompressed (a gzip bomb
    is stopped there), is one damaged item and the reading goes on at the next gzip member that starts a WARC record;
    a member cut by the end of the file ends it. NotAWarc when the file is neither gzip nor WARC."""
    with path.open("rb") as fh:
        head = fh.read(8)
        fh.seek(0)
        if head.startswith(GZIP_MAGIC):
            yield from _read_gzip(fh, path.stat().st_size, max_record_bytes)
        elif head.startswith(b"WARC/"):
            yield from _read_plain(fh, max_record_bytes)
        else:
            raise NotAWarc(f"{path.name}: neither gzip nor a WARC file (starts {head[:8]!r})")


class _MemberProblem(ValueError):
    """A gzip member that cannot be taken whole; `url` is its record's WARC-Target-URI when its start was readable."""

    def __init__(self, problem: str, url: str | None = None, resync: bool = True) -> None:
        super().__init__(problem)
        self.url, self.resync = url, resync


def _read_gzip(fh: BinaryIO, size: int, cap: int) -> Iterator[WarcItem]:
    offset = 0
    while offset < size:
        try:
            data, end = _member(fh, offset, cap)
        except _MemberProblem as exc:
            yield WarcItem(offset, problem=str(exc), url=exc.url)
            found = _next_record_member(fh, offset + 1, size) if exc.resync else None
            if found is None:
                return
            offset = found
            continue
        yield _item(data, offset)
        offset = end


def _member(fh: BinaryIO, offset: int, cap: int) -> tuple[bytes, int]:
    """The decompressed gzip member at `offset` and the offset after it. _MemberProblem when it is corrupt, cut, or
    over `cap` uncompressed: decompression stops there, so a gzip bomb costs no more than `cap` of output."""
    fh.seek(offset)
    decompressor = zlib.decompressobj(zlib.MAX_WBITS + 16)
    out: list[bytes] = []
    produced = consumed = 0
    while not decompressor.eof:
        chunk = fh.read(CHUNK)
        if not chunk:
            raise _MemberProblem(f"truncated: the gzip member is incomplete (the file ends at {offset + consumed})",
                                 _target_of(b"".join(out)), resync=False)
        consumed += len(chunk)
        data = chunk
        while True:
            try:
                piece = decompressor.decompress(data, CHUNK)
            except zlib.error as exc:
                raise _MemberProblem(f"corrupt gzip data ({exc})", _target_of(b"".join(out))) from None
            produced += len(piece)
            out.append(piece)
            if produced > cap:
                raise _MemberProblem(f"record over {cap} bytes uncompressed", _target_of(b"".join(out)))
            data = decompressor.unconsumed_tail
            if decompressor.eof or (not data and len(piece) < CHUNK):
                break
    return b"".join(out), offset + consumed - len(decompressor.unused_data)


def _next_record_member(fh: BinaryIO, start: int, size: int) -> int | None:
    """The offset of the next gzip member after `start` whose data starts a WARC record (None: there is none). Only
    the first bytes of each candidate are decompressed: finding it costs one read of the rest of the file."""
    position = start
    while position < size:
        fh.seek(position)
        window = fh.read(CHUNK + len(GZIP_MAGIC))
        at = window.find(GZIP_MAGIC)
        if at == -1:
            position += CHUNK
            continue
        candidate = position + at
        fh.seek(candidate)
        with contextlib.suppress(zlib.error):
            if zlib.decompressobj(zlib.MAX_WBITS + 16).decompress(fh.read(4096), 5) == b"WARC/":
                return candidate
        position = candidate + 1
    return None


def _item(data: bytes, offset: int) -> WarcItem:
    """One decompressed member as an item: its record, or what is wrong with it."""
    try:
        entry = _parse_record(data, offset, offset)
    except ValueError as exc:
        return WarcItem(offset, problem=str(exc), url=_target_of(data))
    head = data[:data.find(b"\r\n\r\n")].decode("utf-8", errors="replace")
    return WarcItem(offset, entry, record_id=_warc_header(head, "warc-record-id"),
                    identified_type=_warc_header(head, "warc-identified-payload-type"))


def _warc_header(head: str, name: str) -> str | None:
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def _target_of(data: bytes) -> str | None:
    if not data.startswith(b"WARC/"):
        return None
    end = data.find(b"\r\n\r\n")
    return _warc_header(data[:end if end != -1 else 8192].decode("utf-8", errors="replace"), "warc-target-uri")


def _read_plain(fh: BinaryIO, cap: int) -> Iterator[WarcItem]:
    """An uncompressed WARC, record by record (a damaged record ends the file: there is no member to resync on)."""
    iterator = ArchiveIterator(fh, ensure_http_headers=False)
    try:
        for record in iterator:
            offset = iterator.get_record_offset()
            headers = record.rec_headers
            url = headers.get_header("WARC-Target-URI")
            body = record.content_stream().read(cap + 1)
            if len(body) > cap:
                yield WarcItem(offset, problem=f"record over {cap} bytes", url=url)
                continue
            remaining = getattr(record.raw_stream, "limit", 0)
            if remaining:
                yield WarcItem(offset, problem=f"WARC block is {remaining} bytes shorter than its Content-Length",
                               url=url)
                return
            status = None
            if record.http_headers is not None:
                code = record.http_headers.get_statuscode()
                status = int(code) if code and code.isdigit() else None
            entry = ArchiveEntry(offset=offset, end=offset, target_uri=url or "", http_status=status,
                                 http_headers=list(record.http_headers.headers) if record.http_headers else [],
                                 body=body, warc_date=headers.get_header("WARC-Date"), record_type=record.rec_type)
            yield WarcItem(offset, entry, record_id=headers.get_header("WARC-Record-ID"),
                           identified_type=headers.get_header("WARC-Identified-Payload-Type"))
    except Exception as exc:  # noqa: BLE001 - whatever warcio trips on, the rest of the file is unreadable
        yield WarcItem(fh.tell(), problem=f"not a readable WARC record ({type(exc).__name__}: {exc})")


# ---------------------------------------------------------------- ingesting a day


def _fetched_at(warc_date: str | None) -> datetime:
    """When the page was fetched (WARC-Date), as the fetch_log's fetched_at; now when absent or unreadable."""
    with contextlib.suppress(ValueError, AttributeError):
        stamp = datetime.fromisoformat(warc_date.replace("Z", "+00:00"))  # type: ignore[union-attr]
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return datetime.now(UTC)


class _FileIngest:
    """Reads one WARC file into the day's archive, counting every record."""

    def __init__(self, day: date, source: SourceConfig, file_url: str, cfg: CrawlConfig, archive: DayArchive,
                 seen: set[str], out: WarcIngest) -> None:
        self.day, self.source, self.file_url, self.cfg = day, source, file_url, cfg
        self.archive, self.seen, self.out = archive, seen, out
        self.records = self.documents = self.damaged = 0
        self.skipped: Counter[str] = Counter()

    def run(self, path: Path) -> None:
        for item in read_warc(path, self.cfg.max_bytes + RECORD_HEADERS_SLACK):
            self.records += 1
            if item.entry is None:
                self.damaged += 1
                self.out.damage_rows.append({
                    "partition_date": self.day, "source": self.source.name, "file_url": self.file_url,
                    "file_offset": item.offset, "url": item.url, "reason": item.problem or "damaged"})
                continue
            skip = self._take(item)
            if skip is not None:
                self.skipped[skip] += 1

    def _take(self, item: WarcItem) -> str | None:
        """Archive one record as a page and list its URL; or why it is no page (a skip reason)."""
        entry = item.entry
        assert entry is not None
        if entry.record_type != "response":
            return f"record:{entry.record_type}"
        url = normalize_url(entry.target_uri) if entry.target_uri else None
        if url is None:
            return "not_an_http_url"
        if entry.http_status is None:
            return "no_http_status"
        if not 200 <= entry.http_status < 300:
            return f"http_status:{entry.http_status}"
        declared, _ = media_type(entry.header("content-type"))
        mtype = declared or (media_type(item.identified_type)[0] if item.identified_type else None)
        if mtype is not None and mtype not in HTML_TYPES:
            return f"not_html:{mtype}"
        if url in self.seen:
            return "repeated_url"
        self.seen.add(url)
        body = entry.body
        if len(body) > self.cfg.max_bytes:
            state, reason, detail, encoding, kept = "failed", "too_large", f"body over {self.cfg.max_bytes} bytes", \
                None, b""
        else:
            verdict = page_verdict("document", entry.http_headers, body, self.cfg)
            state, reason, detail, encoding = verdict.state, verdict.reason, verdict.detail, verdict.encoding
            kept = verdict.body if verdict.state == "fetched" and verdict.body is not None else b""
        fetched_at = _fetched_at(entry.warc_date)
        try:
            self.archive.add(entry.target_uri, entry.http_status, entry.http_headers, kept, extra={
                "Requested-URL": url, "Final-URL": entry.target_uri, "Source": self.source.name, "Kind": "document",
                "State": state, "Reason": reason, "Detail": detail, "Encoding": encoding,
                "ETag": entry.header("etag"), "Last-Modified": entry.header("last-modified"),
                "Fetched-At": fetched_at.astimezone(UTC).isoformat(timespec="microseconds"),
                "Warc-Origin": self.file_url, "Warc-Origin-Offset": str(item.offset),
                "Warc-Origin-Record-ID": item.record_id,
            })
        except OSError as exc:  # e.g. a full disk: our archive, not the WARC file, is at fault; fail the stage now
            raise RuntimeError(f"archiving to the raw archive failed: {exc}") from exc
        self.documents += 1
        self.out.found.setdefault(self.source.name, []).append((Link(url), self.file_url))
        return None

    def row(self, listing: str | None, download: Download, archive_file: str | None) -> dict[str, Any]:
        return {"partition_date": self.day, "source": self.source.name, "file_url": self.file_url,
                "listing_url": listing, "state": "ingested", "reason": None, "detail": None,
                "file_bytes": download.size, "file_sha256": download.sha256, "archive_file": archive_file,
                "records": self.records, "documents": self.documents,
                "skipped": json.dumps(dict(sorted(self.skipped.items()))), "damaged": self.damaged,
                "ingested_at": datetime.now(UTC)}


def _log_row(day: date, source: SourceConfig, kind: str, result: Download) -> dict[str, Any]:
    """The fetch_log row of one listing or WARC file download (stage discovery; no archived record)."""
    content_type = next((v for k, v in result.headers if k.lower() == "content-type"), None)
    return {"partition_date": day, "stage": "discovery", "source": source.name, "kind": kind,
            "url": result.location, "final_url": result.final_url, "state": result.state, "reason": result.reason,
            "detail": result.detail, "http_status": result.http_status, "content_type": content_type,
            "encoding": None, "etag": None, "last_modified": None, "fetched_at": result.fetched_at,
            "elapsed_s": result.elapsed_s, "body_bytes": result.size if result.state == "fetched" else None,
            "content_hash": result.sha256, "warc_file": None, "warc_offset": None, "n_links": None}


def _failed_file_row(day: date, source: SourceConfig, file_url: str, listing: str | None, reason: str | None,
                     detail: str | None) -> dict[str, Any]:
    return {"partition_date": day, "source": source.name, "file_url": file_url, "listing_url": listing,
            "state": "failed", "reason": reason, "detail": detail, "file_bytes": None, "file_sha256": None,
            "archive_file": None, "records": None, "documents": None, "skipped": None, "damaged": None,
            "ingested_at": datetime.now(UTC)}


def remove_unreferenced(con: duckdb.DuckDBPyConnection, raw_root: storage.Location, day: date) -> None:
    """Delete the day's warc-* raw files that no committed row names (left by a run killed before its commit)."""
    prefix = f"date={day.isoformat()}/"
    ours = [path for path in day_files(raw_root, day) if storage.name(path).startswith(f"{STAGE}-")]
    if not ours:  # the usual case: no query over fetch_log
        return
    named = {f for (f,) in store.run(con, "select_day_warc_files", {"prefix": prefix}).fetchall()}
    named |= {f for f, _ in store.run(con, "select_day_warc_archives", {"day": day}).fetchall()}
    for path in ours:
        if prefix + storage.name(path).removesuffix(OPEN_SUFFIX) not in named:
            storage.delete(path)


def ingest_day(con: duckdb.DuckDBPyConnection, day: date, sources: list[SourceConfig], cfg: CrawlConfig,
               raw_root: storage.Location) -> WarcIngest:
    """Read the WARC files of the day's `kind: warc` sources that no other day ingested (see the module doc)."""
    out = WarcIngest()
    remove_unreferenced(con, raw_root, day)  # also when the day's WARC sources left the sources file
    if not sources:
        return out
    ingested = {f for (f,) in store.run(con, "select_warc_ingested", {"day": day}).fetchall()}
    seen: set[str] = set()
    with DayArchive(raw_root, day, STAGE) as archive:
        work = storage.local_folder(storage.join(raw_root, f"date={day.isoformat()}"))
        for source in sources:
            out.found.setdefault(source.name, [])
            files, listing = _source_files(day, source, cfg, work, out)
            new = [f for f in files if f not in ingested][:source.max_files_per_run]
            out.by_reason["warc:files_listed"] += len(files)
            out.by_reason["warc:files_already_ingested"] += sum(f in ingested for f in files)
            for file_url in new:
                _ingest_file(day, source, file_url, listing, cfg, archive, seen, work, out)
                if out.file_rows[-1]["state"] == "ingested":
                    ingested.add(file_url)  # another source listing the same file today does not read it again
        archive_file = archive.relative if archive.count else None
    for row in out.file_rows:
        if row["state"] == "ingested":
            row["archive_file"] = archive_file
    return out


def _source_files(day: date, source: SourceConfig, cfg: CrawlConfig, work: Path,
                  out: WarcIngest) -> tuple[list[str], str | None]:
    """The WARC files a source names (and its listing's location, None for a single-file source)."""
    if is_warc_file(source.url):
        return [source.url], None
    dest = work / f".{STAGE}-listing-{hashlib.sha256(source.url.encode()).hexdigest()[:12]}.download"
    result = download(source.url, dest, cfg, MAX_LISTING_BYTES)
    files: list[str] = []
    try:
        if result.state == "fetched" and result.path is not None:
            try:
                body = result.path.read_bytes()
                if result.sha256 is None:
                    result.sha256 = hashlib.sha256(body).hexdigest()
                files = listing_files(body, source.url, source.warc_base)
            except (OSError, ValueError) as exc:
                result.state, result.reason, result.detail = "failed", "unparseable", str(exc)[:500]
    finally:
        if is_url(source.url):
            dest.unlink(missing_ok=True)
    row = _log_row(day, source, "warc", result)
    row["n_links"] = len(files)
    out.log_rows.append(row)
    out.by_reason[f"warc:{result.state}" + (f":{result.reason}" if result.reason else "")] += 1
    return files, source.url


def _ingest_file(day: date, source: SourceConfig, file_url: str, listing: str | None, cfg: CrawlConfig,
                 archive: DayArchive, seen: set[str], work: Path, out: WarcIngest) -> None:
    dest = work / f".{STAGE}-{hashlib.sha256(file_url.encode()).hexdigest()[:12]}.download"
    result = download(file_url, dest, cfg, MAX_WARC_FILE_BYTES)
    out.log_rows.append(_log_row(day, source, "warc_file", result))
    try:
        if result.state != "fetched" or result.path is None:
            out.file_rows.append(_failed_file_row(day, source, file_url, listing, result.reason, result.detail))
            out.by_reason[f"warc_file:{result.state}:{result.reason}"] += 1
            return
        if result.sha256 is None:  # a local file: hashed as it is read
            result.sha256 = _sha256(result.path)
        reader = _FileIngest(day, source, file_url, cfg, archive, seen, out)
        try:
            reader.run(result.path)
        except (NotAWarc, OSError) as exc:
            reason = "not_a_warc" if isinstance(exc, NotAWarc) else "file_error"
            out.file_rows.append(_failed_file_row(day, source, file_url, listing, reason, str(exc)[:500]))
            out.by_reason[f"warc_file:failed:{reason}"] += 1
            return
        out.file_rows.append(reader.row(listing, result, None))
        out.by_reason["warc_file:ingested"] += 1
        out.by_reason["warc_record:document"] += reader.documents
        out.by_reason["warc_record:damaged"] += reader.damaged
        for reason, n in reader.skipped.items():
            out.by_reason[f"warc_record:skipped:{reason}"] += n
        if reader.damaged:
            log.warning("%s %s: %d damaged record(s) in %s, recorded in warc_damage; the rest of the file was read",
                        day, source.name, reader.damaged, file_url)
    finally:
        if is_url(file_url):
            dest.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def replace_day(con: duckdb.DuckDBPyConnection, day: date, ingest: WarcIngest) -> None:
    """Replace the day's rows of warc_files and warc_damage (inside discovery's transaction)."""
    store.run(con, "delete_warc_partition", {"day": day})
    store.insert_rows(con, "insert_warc_files", pl.DataFrame(ingest.file_rows, schema=WARC_FILES_SCHEMA))
    store.insert_rows(con, "insert_warc_damage", pl.DataFrame(ingest.damage_rows, schema=WARC_DAMAGE_SCHEMA))


def warc_pages(con: duckdb.DuckDBPyConnection, day: date, raw_root: storage.Location,
               wanted: set[str]) -> Iterator[tuple[str, ArchiveEntry]]:
    """(raw file, record) of the first archived page of each `wanted` URL in the day's warc-* files: the fetch
    stage's outcome for a URL a WARC source listed (the record carries the state discovery's checks gave it)."""
    remaining = set(wanted)
    for relative, _first in store.run(con, "select_day_warc_archives", {"day": day}).fetchall():
        if not remaining:
            return
        scan = ArchiveScan(storage.join(raw_root, relative))
        try:
            for entry in scan:
                url = entry.fields.get("Requested-URL")
                if url in remaining:
                    remaining.discard(url)
                    yield relative, entry
        except FileNotFoundError:
            log.warning("%s fetch: raw file %s of WARC pages is missing", day, relative)
            continue
        if scan.damage:
            log.warning("%s fetch: raw file %s of WARC pages is damaged at %s", day, relative, scan.damage)

