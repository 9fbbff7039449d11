"""The raw archive: every response we keep goes into gzipped WARC files, one folder per day.

Files are written once and never modified (a re-run writes a new file), so later stages can always be
recomputed from them without the network. DuckDB holds (file, offset) for each record.
"""

from __future__ import annotations

import io
import uuid
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

# Headers that describe the transfer, not the content: the archived body is already decoded.
_TRANSFER_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}

# warcio compresses at level 9, which made archiving the costliest part of a fetch (2.2 s of CPU per 300
# real pages vs 0.8 s at level 3, for 11 % more bytes; benchmarks/README_extract.md). Every record is still
# its own gzip member, so any WARC reader opens the files.
GZIP_LEVEL = 3


@dataclass(frozen=True)
class ArchivedRecord:
    warc_file: str  # relative to the raw root
    offset: int
    record_id: str


class DayArchive:
    """Append-only writer of one new WARC file for one stage of one day."""

    def __init__(self, raw_root: Path, day: date, stage: str) -> None:
        folder = raw_root / f"date={day.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        self._name = f"{stage}-{uuid.uuid4().hex[:12]}.warc.gz"
        self._relative = f"date={day.isoformat()}/{self._name}"
        self._tmp = folder / (self._name + ".open")
        self._final = folder / self._name
        self._fh = self._tmp.open("wb")
        self._record_buffer = io.BytesIO()
        self._writer = WARCWriter(self._record_buffer, gzip=False)
        self.count = 0

    def add(
        self,
        url: str,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        extra: dict[str, str] | None = None,
    ) -> ArchivedRecord:
        """Archive one HTTP response (decoded body, transfer headers replaced)."""
        kept = [(k, v) for k, v in headers if k.lower() not in _TRANSFER_HEADERS]
        kept.append(("Content-Length", str(len(body))))
        http_headers = StatusAndHeaders(f"{status} -", kept, protocol="HTTP/1.1")
        warc_headers = {f"WARC-Freshdata-{k}": v for k, v in (extra or {}).items()}
        record = self._writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )
        offset = self._fh.tell()
        try:
            self._writer.write_record(record)
            compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)  # one gzip member
            member = compressor.compress(self._record_buffer.getbuffer()) + compressor.flush()
        finally:  # a failed record must not leak into the next one
            self._record_buffer.seek(0)
            self._record_buffer.truncate()
        self._fh.write(member)
        self.count += 1
        return ArchivedRecord(self._relative, offset, record.rec_headers.get_header("WARC-Record-ID"))

    def close(self) -> None:
        """Flush and publish the file under its final name (readers never see a half file)."""
        self._fh.close()
        if self.count:
            self._tmp.rename(self._final)
        else:
            self._tmp.unlink()

    def __enter__(self) -> DayArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_body(raw_root: Path, warc_file: str, offset: int) -> bytes:
    """The archived body of the record at (file, offset)."""
    with (raw_root / warc_file).open("rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh)))
        return record.content_stream().read()
