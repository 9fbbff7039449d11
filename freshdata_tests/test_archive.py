"""The raw WARC archive: round trip, atomic publication under the final name, offsets."""

from __future__ import annotations

import gzip
import hashlib
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from freshdata.crawl.archive import ArchiveDamaged, ArchiveScan, DayArchive, publish, read_body

DAY = date(2026, 1, 1)


def _files(root: Path) -> list[str]:
    return sorted(p.name for p in (root / f"date={DAY.isoformat()}").iterdir())


def test_round_trip_many_records(tmp_path: Path) -> None:
    bodies = [b"<html>first</html>", b"", "caf\u00e9 \u2603".encode(), bytes(range(256)) * 100]
    with DayArchive(tmp_path, DAY, "fetch") as archive:
        records = [
            archive.add(f"https://ex.com/{i}", 200, [("Content-Type", "text/html")], body, extra={"Source": "s"})
            for i, body in enumerate(bodies)
        ]
        assert archive.count == len(bodies)
    assert len({r.warc_file for r in records}) == 1
    assert records[0].warc_file.startswith(f"date={DAY.isoformat()}/fetch-")
    assert records[0].warc_file.endswith(".warc.gz")
    assert len({r.offset for r in records}) == len(records)
    assert [r.offset for r in records] == sorted(r.offset for r in records)
    assert records[0].offset > 0  # a warcinfo record opens the file, its own gzip member
    assert len({r.record_id for r in records}) == len(records)
    # a standard multi-member .warc.gz: any WARC reader iterates every record from the start
    with (tmp_path / records[0].warc_file).open("rb") as fh:
        read = list((r.rec_type, r.content_stream().read()) for r in ArchiveIterator(fh))
    assert read[0][0] == "warcinfo" and b"software: freshdata" in read[0][1]
    assert [body for kind, body in read[1:] if kind == "response"] == bodies
    # read in any order, straight from each offset
    for record, body in reversed(list(zip(records, bodies, strict=True))):
        assert read_body(tmp_path, record.warc_file, record.offset) == body


def test_headers_and_extra_fields(tmp_path: Path) -> None:
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"),
               ("Transfer-Encoding", "chunked"), ("Content-Length", "99999"), ("ETag", '"abc"')]
    with DayArchive(tmp_path, DAY, "fetch") as archive:
        rec = archive.add("https://ex.com/p", 200, headers, b"hello", extra={"Source": "news", "State": "fetched"})
    with (tmp_path / rec.warc_file).open("rb") as fh:
        fh.seek(rec.offset)
        record = next(iter(ArchiveIterator(fh)))
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Target-URI") == "https://ex.com/p"
        assert record.rec_headers.get_header("WARC-Freshdata-Source") == "news"
        assert record.rec_headers.get_header("WARC-Freshdata-State") == "fetched"
        http = record.http_headers
        assert http.get_statuscode() == "200"
        assert http.get_header("Content-Type") == "text/html; charset=utf-8"
        assert http.get_header("ETag") == '"abc"'
        assert http.get_header("Content-Encoding") is None  # the archived body is already decoded
        assert http.get_header("Transfer-Encoding") is None
        assert http.get_header("Content-Length") == "5"
        assert record.content_stream().read() == b"hello"


def test_file_visible_only_after_close(tmp_path: Path) -> None:
    archive = DayArchive(tmp_path, DAY, "discovery")
    rec = archive.add("https://ex.com/", 200, [], b"x" * 1000)
    during = _files(tmp_path)
    assert len(during) == 1 and during[0].endswith(".warc.gz.open")
    assert not (tmp_path / rec.warc_file).exists()
    archive.close()
    after = _files(tmp_path)
    assert after == [Path(rec.warc_file).name]
    assert read_body(tmp_path, rec.warc_file, rec.offset) == b"x" * 1000


def test_empty_archive_leaves_no_file(tmp_path: Path) -> None:
    with DayArchive(tmp_path, DAY, "fetch"):
        pass
    assert _files(tmp_path) == []


def test_exception_inside_block_keeps_the_open_file_for_salvage(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), DayArchive(tmp_path, DAY, "fetch") as archive:
        rec = archive.add("https://ex.com/", 200, [], b"kept")
        raise RuntimeError("boom")
    assert _files(tmp_path) == [Path(rec.warc_file).name + ".open"]  # never a final name for an unfinished file
    open_file = tmp_path / (rec.warc_file + ".open")
    assert [e.body for e in ArchiveScan(open_file)] == [b"kept"]


def test_exception_with_nothing_written_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), DayArchive(tmp_path, DAY, "fetch"):
        raise RuntimeError("boom")
    assert _files(tmp_path) == []


def test_every_archive_is_a_new_file(tmp_path: Path) -> None:
    names = []
    for _ in range(3):
        with DayArchive(tmp_path, DAY, "fetch") as archive:
            names.append(archive.add("https://ex.com/", 200, [], b"same").warc_file)
    assert len(set(names)) == 3
    assert len(_files(tmp_path)) == 3


def test_non_200_and_headers_only_records(tmp_path: Path) -> None:
    with DayArchive(tmp_path, DAY, "fetch") as archive:
        not_modified = archive.add("https://ex.com/a", 304, [("ETag", '"x"')], b"")
        gone = archive.add("https://ex.com/b", 404, [], b"not found")
    assert read_body(tmp_path, not_modified.warc_file, not_modified.offset) == b""
    assert read_body(tmp_path, gone.warc_file, gone.offset) == b"not found"


def test_failed_record_does_not_leak_into_the_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import freshdata.crawl.archive as archive_mod

    real = archive_mod.zlib.compressobj
    calls = []

    def failing_once(*args: object):
        calls.append(1)
        if len(calls) == 1:
            raise MemoryError("compressor unavailable")  # after the record was serialized
        return real(*args)

    monkeypatch.setattr(archive_mod.zlib, "compressobj", failing_once)
    with DayArchive(tmp_path, DAY, "fetch") as archive:
        with pytest.raises(MemoryError):
            archive.add("https://ex.com/bad", 200, [], b"never archived")
        rec = archive.add("https://ex.com/good", 200, [], b"second")
    assert read_body(tmp_path, rec.warc_file, rec.offset) == b"second"
    with (tmp_path / rec.warc_file).open("rb") as fh:
        assert [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(fh)
                if r.rec_type == "response"] == ["https://ex.com/good"]


# ---------------------------------------------------------------- verification on read and salvage


def _archive_of(tmp_path: Path, bodies: list[bytes]) -> list:
    with DayArchive(tmp_path, DAY, "fetch") as archive:
        return [archive.add(f"https://ex.com/{i}", 200, [("Content-Type", "text/html")], body,
                            extra={"Requested-URL": f"https://ex.com/{i}", "State": "fetched"})
                for i, body in enumerate(bodies)]


BODIES = [f"<html><p>page {i} ".encode() + os.urandom(3000).hex().encode() + b"</p></html>" for i in range(4)]


def test_read_body_verifies_length_and_hash(tmp_path: Path) -> None:
    records = _archive_of(tmp_path, BODIES)
    rec, body = records[1], BODIES[1]
    assert read_body(tmp_path, rec.warc_file, rec.offset, hashlib.sha256(body).hexdigest(), len(body)) == body
    with pytest.raises(ArchiveDamaged) as wrong_hash:
        read_body(tmp_path, rec.warc_file, rec.offset, hashlib.sha256(b"other").hexdigest(), len(body))
    assert rec.warc_file in str(wrong_hash.value) and f"offset {rec.offset}" in str(wrong_hash.value)
    assert "sha256" in str(wrong_hash.value)
    with pytest.raises(ArchiveDamaged, match="bytes, fetch_log says"):
        read_body(tmp_path, rec.warc_file, rec.offset, None, len(body) + 1)
    with pytest.raises(ArchiveDamaged, match="no gzip member starts there"):
        read_body(tmp_path, rec.warc_file, rec.offset + 1)
    with pytest.raises(ArchiveDamaged, match="missing"):
        read_body(tmp_path, "date=2026-01-01/fetch-gone.warc.gz", 0)


def test_read_body_detects_a_truncated_file(tmp_path: Path) -> None:
    records = _archive_of(tmp_path, BODIES)
    path = tmp_path / records[0].warc_file
    cut = (records[2].offset + records[3].offset) // 2  # in the middle of record 2
    os.truncate(path, cut)
    assert read_body(tmp_path, records[1].warc_file, records[1].offset) == BODIES[1]  # before the cut: intact
    with pytest.raises(ArchiveDamaged) as cut_record:
        read_body(tmp_path, records[2].warc_file, records[2].offset)
    message = str(cut_record.value)
    assert records[2].warc_file in message and f"offset {records[2].offset}" in message and "truncated" in message
    assert cut_record.value.warc_file == records[2].warc_file and cut_record.value.offset == records[2].offset
    with pytest.raises(ArchiveDamaged, match="file ends before this offset"):
        read_body(tmp_path, records[3].warc_file, records[3].offset)


def test_read_body_detects_a_flipped_byte(tmp_path: Path) -> None:
    records = _archive_of(tmp_path, BODIES)
    path = tmp_path / records[0].warc_file
    data = bytearray(path.read_bytes())
    middle = (records[1].offset + records[2].offset) // 2  # inside record 1's compressed data
    data[middle] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ArchiveDamaged) as flipped:  # caught by gzip's CRC (or inflate) even without a hash
        read_body(tmp_path, records[1].warc_file, records[1].offset)
    assert records[1].warc_file in str(flipped.value) and f"offset {records[1].offset}" in str(flipped.value)
    assert read_body(tmp_path, records[2].warc_file, records[2].offset) == BODIES[2]


def test_read_body_detects_a_short_warc_block(tmp_path: Path) -> None:
    # an intact gzip member whose WARC record lost its tail (e.g. written by a buggy tool): not a full record
    rec = _archive_of(tmp_path, BODIES[:1])[0]
    path = tmp_path / rec.warc_file
    data = path.read_bytes()
    record = gzip.decompress(data[rec.offset:])
    path.write_bytes(data[:rec.offset] + gzip.compress(record[:-100]))
    with pytest.raises(ArchiveDamaged, match="shorter than its Content-Length"):
        read_body(tmp_path, rec.warc_file, rec.offset)


def test_salvage_scan_keeps_exactly_the_complete_records_of_a_cut_open_file(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), DayArchive(tmp_path, DAY, "fetch") as archive:
        records = [archive.add(f"https://ex.com/{i}", 200, [], body) for i, body in enumerate(BODIES)]
        raise KeyboardInterrupt  # the run is stopped: the file stays .open
    open_file = tmp_path / (records[0].warc_file + ".open")
    os.truncate(open_file, records[3].offset + 20)  # a kill in the middle of writing record 3
    scan = ArchiveScan(open_file)
    entries = list(scan)
    assert [e.body for e in entries] == BODIES[:3]
    assert [e.offset for e in entries] == [r.offset for r in records[:3]]
    assert scan.good_end == records[3].offset and "truncated" in scan.damage
    final = Path(publish(open_file, open_file.with_name(open_file.name.removesuffix('.open')), scan.good_end))
    assert final.name == Path(records[0].warc_file).name and not open_file.exists()
    assert final.stat().st_size == records[3].offset
    assert [e.body for e in ArchiveScan(final)] == BODIES[:3]
    for rec, body in zip(records[:3], BODIES, strict=False):
        assert read_body(tmp_path, rec.warc_file, rec.offset, hashlib.sha256(body).hexdigest(), len(body)) == body


def test_extra_fields_read_back_exactly(tmp_path: Path) -> None:
    tricky = {"Detail": " two\nlines 100% caf\u00e9\t ", "Reason": "", "Source": "news", "Empty": None}
    with DayArchive(tmp_path, DAY, "fetch") as archive:
        rec = archive.add("https://ex.com/p?q=%20", 200, [], b"x", extra=tricky)
    (entry,) = ArchiveScan(tmp_path / rec.warc_file)
    assert entry.fields == {k: v for k, v in tricky.items() if v is not None}
    assert entry.target_uri == "https://ex.com/p?q=%20"


def test_a_full_disk_never_leaves_a_final_name(tmp_path: Path) -> None:
    # A real write failure: the child process may not write files past 20 kB (RLIMIT_FSIZE, SIGXFSZ ignored,
    # so write() fails with EFBIG as on a full disk). The archive must stay .open with its complete records.
    script = textwrap.dedent(f"""
        import os, resource, signal
        from datetime import date
        from pathlib import Path
        from freshdata.crawl.archive import DayArchive
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
        try:
            with DayArchive(Path({str(tmp_path)!r}), date(2026, 1, 1), "fetch") as archive:
                for i in range(100):
                    archive.add(f"https://ex.com/{{i}}", 200, [], os.urandom(3000))
        except OSError as exc:
            print("write failed:", exc.errno, exc.filename)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert "write failed: 27 " in out.stdout and ".warc.gz.open" in out.stdout, out.stderr  # EFBIG, naming the file
    (name,) = _files(tmp_path)
    assert name.endswith(".warc.gz.open")
    path = tmp_path / f"date={DAY.isoformat()}" / name
    scan = ArchiveScan(path)
    kept = list(scan)
    assert 0 < len(kept) < 100 and scan.good_end <= path.stat().st_size
