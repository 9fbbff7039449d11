"""The raw WARC archive: round trip, atomic publication under the final name, offsets."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from freshdata.crawl.archive import DayArchive, read_body

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
    assert records[0].offset == 0
    assert len({r.record_id for r in records}) == len(records)
    # a standard multi-member .warc.gz: any WARC reader iterates every record from the start
    with (tmp_path / records[0].warc_file).open("rb") as fh:
        assert [r.content_stream().read() for r in ArchiveIterator(fh)] == bodies
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


def test_exception_inside_block_still_publishes(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), DayArchive(tmp_path, DAY, "fetch") as archive:
        rec = archive.add("https://ex.com/", 200, [], b"kept")
        raise RuntimeError("boom")
    assert _files(tmp_path) == [Path(rec.warc_file).name]
    assert read_body(tmp_path, rec.warc_file, rec.offset) == b"kept"


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
        assert [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(fh)] == ["https://ex.com/good"]
