"""The raw archive: every response we keep goes into gzipped WARC files, one folder per day.

Files are written once and never modified (a re-run writes a new file), so later stages can always be
recomputed from them without the network. DuckDB holds (file, offset) for each record.

Crash safety: a file is written as `<name>.open`, each record flushed to the OS as soon as it is written, and
published (fsync, rename, fsync of the folder) only when its stage ends normally. A stage that fails or is
killed leaves its `.open` file, whose complete records the next run of the day can still use (see
`ArchiveScan` and freshdata.crawl.daily). Every read verifies what it reads: an intact gzip member, a full
WARC block and, when the caller knows them, the body's length and sha256; anything else raises
`ArchiveDamaged` naming the file, the offset and what is wrong.

The raw root is a storage location (`freshdata.storage`): a local folder, or a URL on a remote data home. There
the `.open` file is written in the home's local staging folder and publishing it is one upload.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http import HTTPStatus
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, unquote

from warcio.recordloader import ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from freshdata import storage
from freshdata.crawl.content import media_type
from freshdata.durable import fsync_path

# Headers that describe the transfer, not the content: the archived body is already decoded.
_TRANSFER_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}

# warcio compresses at level 9, which made archiving the costliest part of a fetch (2.2 s of CPU per 300
# real pages vs 0.8 s at level 3, for 11 % more bytes; benchmarks/README_extract.md). Every record is still
# its own gzip member, so any WARC reader opens the files.
GZIP_LEVEL = 3

OPEN_SUFFIX = ".open"
FIELD_PREFIX = "WARC-Freshdata-"
# Records written with this header carry percent-encoded WARC-Freshdata-* values (any text survives a header
# line exactly: newlines, '%', non-ASCII, leading spaces); records without it are older and carry raw values.
FORMAT_HEADER = FIELD_PREFIX + "Format"
FORMAT = "2"
# Printable ASCII other than '%' stays readable in the header; everything else is %XX (UTF-8).
_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in "%")
_READ_CHUNK = 64 * 1024
# What standard WARC readers go by besides the HTTP response: the payload's media type as identified (datatrove's
# WarcReader keeps a record only when it says text/html, and guesses with libmagic when it is absent, which took
# 31 of 300 real HTML pages for JavaScript or XML), and a warcinfo record opening each file, as in Common Crawl's.
IDENTIFIED_TYPE_HEADER = "WARC-Identified-Payload-Type"
_HTML_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)


class ArchiveDamaged(Exception):
    """A record that cannot be read back as it was written (file named relative to the raw root)."""

    def __init__(self, warc_file: str, offset: int, problem: str) -> None:
        super().__init__(f"damaged raw archive record: {warc_file} at offset {offset}: {problem}")
        self.warc_file, self.offset, self.problem = warc_file, offset, problem

    def __reduce__(self):  # picklable across process pools despite the custom __init__
        return (type(self), (self.warc_file, self.offset, self.problem))


@dataclass(frozen=True)
class ArchivedRecord:
    warc_file: str  # relative to the raw root
    offset: int
    record_id: str


def encode_field(value: str) -> str:
    """A WARC-Freshdata-* header value that reads back exactly (see FORMAT_HEADER)."""
    text = quote(value, safe=_SAFE, errors="surrogatepass")
    if text.startswith(" "):
        text = "%20" + text[1:]
    if text.endswith(" "):
        text = text[:-1] + "%20"
    return text


def decode_field(value: str) -> str:
    return unquote(value, errors="surrogatepass")


def identify_payload_type(headers: list[tuple[str, str]], body: bytes) -> str | None:
    """The media type of an archived body (None when there is none): the declared Content-Type, which the fetcher
    checked for pages (HTML only, not binary), else text/html when the body starts as an HTML document."""
    if not body:
        return None
    declared, _ = media_type(next((v for k, v in headers if k.lower() == "content-type"), None))
    if declared:
        return declared
    return "text/html" if _HTML_START.match(body[:4096]) else None


def _reason_phrase(status: int) -> str:
    """The standard reason phrase of a status ("OK"), "-" for a code without one (the status line needs one)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "-"


def _warcinfo_fields(name: str) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        software = f"freshdata/{version('freshdata')}"
    except PackageNotFoundError:
        software = "freshdata"
    return {"software": software, "format": "WARC File Format 1.0",  # what warcio writes (WARC/1.0 records)
            "description": f"raw responses of one freshdata stage ({name}); WARC-Freshdata-* fields: see "
                           "freshdata/crawl/archive.py"}


def publish(path: Path, final: storage.Location, size: int | None = None) -> str:
    """Make a (local) `.open` file final: optionally cut to `size`, then fsync, rename and fsync the folder, or
    upload it on a remote home (storage.publish)."""
    assert path.name.endswith(OPEN_SUFFIX), path
    if size is not None:
        with path.open("r+b") as fh:
            fh.truncate(size)
    return storage.publish(path, final)


class DayArchive:
    """Append-only writer of one new WARC file for one stage of one day.

    Leaving the `with` block normally publishes the file under its final name; leaving it with an exception
    (or a failed write) keeps it as `<name>.open`, so the next run of the day can salvage its complete records.
    """

    def __init__(self, raw_root: storage.Location, day: date, stage: str) -> None:
        folder = _day_folder(raw_root, day)
        self._name = f"{stage}-{uuid.uuid4().hex[:12]}.warc.gz"
        self._relative = f"date={day.isoformat()}/{self._name}"
        self._tmp = storage.local_folder(folder) / (self._name + OPEN_SUFFIX)
        self._final = storage.join(folder, self._name)
        self._fh = self._tmp.open("wb")
        self._record_buffer = io.BytesIO()
        self._writer = WARCWriter(self._record_buffer, gzip=False)
        self._broken: BaseException | None = None
        self.count = 0  # response records (the warcinfo record that opens the file is not counted)

    def add(
        self,
        url: str,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        extra: dict[str, str | None] | None = None,
    ) -> ArchivedRecord:
        """Archive one HTTP response (decoded body, transfer headers replaced).

        `extra` becomes WARC-Freshdata-<key> headers (values encoded to read back exactly; None = no header).
        The record is flushed to the OS before this returns, so it survives a kill of the process.
        """
        if self._broken is not None:
            raise RuntimeError(f"archive {self._relative} is unusable after a failed write") from self._broken
        kept = [(k, v) for k, v in headers if k.lower() not in _TRANSFER_HEADERS]
        kept.append(("Content-Length", str(len(body))))
        http_headers = StatusAndHeaders(f"{status} {_reason_phrase(status)}", kept, protocol="HTTP/1.1")
        warc_headers = {FORMAT_HEADER: FORMAT}
        identified = identify_payload_type(headers, body)
        if identified:
            warc_headers[IDENTIFIED_TYPE_HEADER] = identified
        warc_headers.update({f"{FIELD_PREFIX}{k}": encode_field(v) for k, v in (extra or {}).items()
                             if v is not None})
        record = self._writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )
        if self._fh.tell() == 0:  # the file's first record: a warcinfo record, its own member, goes before it
            self._write_member(self._writer.create_warcinfo_record(self._name, _warcinfo_fields(self._name)))
        offset = self._write_member(record)
        self.count += 1
        return ArchivedRecord(self._relative, offset, record.rec_headers.get_header("WARC-Record-ID"))

    @property
    def relative(self) -> str:
        """The file's final name, relative to the raw root (what fetch_log rows call warc_file)."""
        return self._relative

    def _write_member(self, record: object) -> int:
        """Write one record as its own gzip member, flushed to the OS; returns its offset."""
        try:
            self._writer.write_record(record)
            compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)  # one gzip member
            member = compressor.compress(self._record_buffer.getbuffer()) + compressor.flush()
        finally:  # a failed record must not leak into the next one
            self._record_buffer.seek(0)
            self._record_buffer.truncate()
        offset = self._fh.tell()
        try:
            self._fh.write(member)
            self._fh.flush()
        except OSError as exc:  # e.g. a full disk: part of a record may be in the file now
            self._broken = exc
            raise OSError(exc.errno, exc.strerror, str(self._tmp)) from exc  # naming the file
        except BaseException as exc:
            self._broken = exc
            raise
        return offset

    def close(self) -> None:
        """fsync and publish the file under its final name (readers never see a half file)."""
        if self._broken is not None:
            self.abandon()
            return
        if self._fh.closed:
            return
        if not self.count:
            self._fh.close()
            self._tmp.unlink()
            return
        self._fh.close()
        publish(self._tmp, self._final)

    def abandon(self) -> None:
        """Stop writing without publishing: the `.open` file stays for salvage (removed when it holds no
        complete record)."""
        if self._fh.closed:
            return
        with contextlib.suppress(OSError):
            self._fh.close()
        if not self.count:
            self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> DayArchive:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abandon()


@dataclass
class ArchiveEntry:
    """One complete, verified record of a file, as `ArchiveScan` reads it."""

    offset: int
    end: int  # offset just after the record's gzip member
    target_uri: str
    http_status: int | None
    http_headers: list[tuple[str, str]]
    body: bytes
    fields: dict[str, str] = field(default_factory=dict)  # WARC-Freshdata-<key> headers, decoded
    warc_date: str | None = None
    format: str | None = None  # WARC-Freshdata-Format; None for records written before it existed
    record_type: str = "response"  # WARC-Type: files since the warcinfo record open with one

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.http_headers if k.lower() == name), None)


def _read_member(fh: BinaryIO, offset: int) -> tuple[bytes, int]:
    """The decompressed gzip member at `offset` and the offset just after it; ValueError says what is wrong."""
    fh.seek(offset)
    first = fh.read(_READ_CHUNK)
    if not first:
        raise ValueError("no record there: the file ends before this offset")
    if not first.startswith(b"\x1f\x8b"):
        raise ValueError("no gzip member starts there")
    decompressor = zlib.decompressobj(zlib.MAX_WBITS + 16)
    out = []
    consumed = 0
    chunk = first
    while True:
        try:
            out.append(decompressor.decompress(chunk))
        except zlib.error as exc:
            raise ValueError(f"corrupt gzip data ({exc})") from None
        consumed += len(chunk)
        if decompressor.eof:
            break
        chunk = fh.read(_READ_CHUNK)
        if not chunk:
            raise ValueError(f"truncated: the gzip member is incomplete (file ends at {offset + consumed})")
    return b"".join(out), offset + consumed - len(decompressor.unused_data)


def _parse_record(data: bytes, offset: int, end: int) -> ArchiveEntry:
    """Parse one decompressed WARC record and check its block is whole; ValueError says what is wrong."""
    try:
        record = ArcWarcRecordLoader().parse_record_stream(io.BytesIO(data), known_format="warc")
        body = record.content_stream().read()
    except Exception as exc:  # noqa: BLE001 - whatever the parser trips on, the record is unreadable
        raise ValueError(f"not a readable WARC record ({type(exc).__name__}: {exc})") from None
    remaining = getattr(record.raw_stream, "limit", 0)
    if remaining:
        raise ValueError(f"WARC block is {remaining} bytes shorter than its Content-Length")
    headers = record.rec_headers
    encoded = headers.get_header(FORMAT_HEADER) is not None
    fields = {k[len(FIELD_PREFIX):]: decode_field(v) if encoded else v for k, v in headers.headers
              if k.startswith(FIELD_PREFIX) and k != FORMAT_HEADER}
    status = None
    if record.http_headers is not None:
        code = record.http_headers.get_statuscode()
        status = int(code) if code and code.isdigit() else None
    return ArchiveEntry(
        offset=offset, end=end, target_uri=headers.get_header("WARC-Target-URI") or "",
        http_status=status, http_headers=list(record.http_headers.headers) if record.http_headers else [],
        body=body, fields=fields, warc_date=headers.get_header("WARC-Date"),
        format=headers.get_header(FORMAT_HEADER), record_type=record.rec_type,
    )


def _check(body: bytes, expected_sha256: str | None, expected_length: int | None) -> None:
    if expected_length is not None and len(body) != expected_length:
        raise ValueError(f"body is {len(body)} bytes, fetch_log says {expected_length}")
    if expected_sha256 is not None and hashlib.sha256(body).hexdigest() != expected_sha256:
        raise ValueError(f"body sha256 differs from fetch_log's content_hash {expected_sha256[:16]}…")


class ArchiveReader:
    """Reads and verifies records, keeping the last file open (a day's records are read file by file)."""

    def __init__(self, raw_root: storage.Location) -> None:
        self.raw_root = raw_root
        self._path: str | None = None
        self._fh: BinaryIO | None = None

    def entry(self, warc_file: str, offset: int, expected_sha256: str | None = None,
              expected_length: int | None = None) -> ArchiveEntry:
        """The verified record at (file, offset); ArchiveDamaged when it is missing, cut or altered."""
        try:
            fh = self._open(warc_file)
            data, end = _read_member(fh, offset)
            entry = _parse_record(data, offset, end)
            _check(entry.body, expected_sha256, expected_length)
        except FileNotFoundError:
            raise ArchiveDamaged(warc_file, offset, "the file is missing") from None
        except (ValueError, OSError) as exc:
            raise ArchiveDamaged(warc_file, offset, str(exc)) from None
        return entry

    def body(self, warc_file: str, offset: int, expected_sha256: str | None = None,
             expected_length: int | None = None) -> bytes:
        return self.entry(warc_file, offset, expected_sha256, expected_length).body

    def _open(self, warc_file: str) -> BinaryIO:
        if self._path != warc_file or self._fh is None:
            self.close()
            self._fh = storage.open_read(storage.join(self.raw_root, warc_file))
            self._path = warc_file
        return self._fh

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
        self._fh, self._path = None, None

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_body(raw_root: storage.Location, warc_file: str, offset: int, expected_sha256: str | None = None,
              expected_length: int | None = None) -> bytes:
    """The archived body of the record at (file, offset), verified (see ArchiveReader.entry)."""
    with ArchiveReader(raw_root) as reader:
        return reader.body(warc_file, offset, expected_sha256, expected_length)


class ArchiveScan:
    """Every complete response record of one file, in order, stopping at the first incomplete or damaged one.

    After iterating: `good_end` is the offset just after the last complete record and `damage` says what
    stopped the scan early (None when the whole file was read).
    """

    def __init__(self, path: storage.Location) -> None:
        self.path = path
        self.good_end = 0
        self.damage: str | None = None

    def __iter__(self) -> Iterator[ArchiveEntry]:
        size = storage.stat(self.path)["size"]
        with storage.open_read(self.path) as fh:
            offset = 0
            while offset < size:
                try:
                    data, end = _read_member(fh, offset)
                    entry = _parse_record(data, offset, end)
                except ValueError as exc:
                    self.damage = f"offset {offset}: {exc}"
                    return
                self.good_end = offset = end
                if entry.record_type == "response":  # the warcinfo record opening a file is no response
                    yield entry


# ---------------------------------------------------------------- retention

PRUNED_MARKER = "PRUNED.json"  # left in raw/date=D/ when retention deleted the day's WARC files
_SHOWN_FILES = 5


class RawArchivePruned(RuntimeError):
    """A day whose raw archive the retention setting deleted cannot be re-run: its discovery, fetch and
    extraction would not replay what the day had (one line: the day, the missing files, the setting)."""

    def __init__(self, day: date, files: list[str], retention_days: object, pruned_on: object) -> None:
        shown = ", ".join(f"raw/{f}" for f in files[:_SHOWN_FILES])
        more = f" and {len(files) - _SHOWN_FILES} more" if len(files) > _SHOWN_FILES else ""
        super().__init__(
            f"{day}: the raw archive of this day was deleted by the retention setting "
            f"(storage.raw_retention_days: {retention_days}, on the run of {pruned_on}); missing: "
            f"{shown or 'every WARC file'}{more}. This day cannot be re-run from raw data: nothing was changed, "
            f"its published snapshot and stored rows stay as they are")
        self.day, self.files, self.retention_days, self.pruned_on = day, files, retention_days, pruned_on

    def __reduce__(self):  # picklable across process pools despite the custom __init__
        return (type(self), (self.day, self.files, self.retention_days, self.pruned_on))


def _day_folder(raw_root: storage.Location, day: date) -> str:
    return storage.join(raw_root, f"date={day.isoformat()}")


def day_files(raw_root: storage.Location, day: date) -> list[str]:
    """The day's WARC files, final and `.open` (on a remote home those are in its local staging folder), by
    name."""
    return sorted((storage.join(place, name) for place in storage.places(_day_folder(raw_root, day))
                   for name, is_dir in storage.entries(place)
                   if not is_dir and name.endswith((".warc.gz", ".warc.gz" + OPEN_SUFFIX))), key=storage.name)


def require_raw(raw_root: storage.Location, day: date) -> None:
    """Raise RawArchivePruned when retention deleted the day's raw archive (see `prune_day`)."""
    marker = storage.join(_day_folder(raw_root, day), PRUNED_MARKER)
    try:
        info = json.loads(storage.read_text(marker))
    except FileNotFoundError:
        return
    except (OSError, ValueError):
        info = {}
    raise RawArchivePruned(day, list(info.get("deleted_files", [])), info.get("raw_retention_days", "?"),
                           info.get("pruned_on_run_of", "?"))


def raw_days(raw_root: storage.Location) -> list[date]:
    """Every day with a folder under the raw root, oldest first."""
    days = []
    for name, is_dir in storage.entries(raw_root):
        if is_dir and name.startswith("date="):
            with contextlib.suppress(ValueError):
                days.append(date.fromisoformat(name.removeprefix("date=")))
    return sorted(days)


def prune_day(raw_root: storage.Location, day: date, *, retention_days: int, run_of: date) -> list[str]:
    """Delete the day's WARC files for retention; returns the files deleted (relative to the raw root).

    The marker naming them is written (atomically, fsynced) before any file goes, so a crash half-way leaves
    a day that is refused (and finished by the next prune), never one that looks whole but is not.
    """
    folder = _day_folder(raw_root, day)
    warcs = day_files(raw_root, day)
    files = [f"{storage.name(folder)}/{storage.name(p).removesuffix(OPEN_SUFFIX)}" for p in warcs]
    if not files:
        return []
    marker = storage.join(folder, PRUNED_MARKER)
    earlier: list[str] = []
    with contextlib.suppress(FileNotFoundError, ValueError):
        earlier = list(json.loads(storage.read_text(marker)).get("deleted_files", []))
    info = {"day": day.isoformat(), "deleted_files": sorted(set(earlier) | set(files)),
            "raw_retention_days": retention_days, "pruned_on_run_of": run_of.isoformat()}
    storage.write_bytes(marker, json.dumps(info, indent=1).encode("utf-8"), PRUNED_MARKER + ".tmp")
    for path in warcs:
        storage.delete(path)
    if not storage.is_remote(folder):
        fsync_path(folder)
    return files
