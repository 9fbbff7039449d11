"""freshdata.storage on a local folder and on a real S3-compatible server on loopback (moto's, started here):
the same calls give the same files, and the raw archive, texts and readers work on both."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from freshdata import storage
from freshdata.config import ConfigError, data_home
from freshdata.crawl.archive import (
    OPEN_SUFFIX,
    ArchiveScan,
    DayArchive,
    RawArchivePruned,
    day_files,
    prune_day,
    publish,
    raw_days,
    read_body,
    require_raw,
)
from freshdata_tests.s3_server import loopback_s3, new_bucket, point_at

DAY = date(2026, 1, 1)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with loopback_s3() as url:
        yield url


@pytest.fixture
def s3(endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new bucket's prefix on the loopback server, with the environment pointed at it."""
    point_at(monkeypatch, endpoint, tmp_path)
    return new_bucket() + "/home"


@pytest.fixture(params=["local", "s3"])
def root(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The root of a data home: a local folder, or a prefix in a bucket."""
    return str(tmp_path / "home") if request.param == "local" else request.getfixturevalue("s3")


def test_paths_and_urls_join_without_folding_the_scheme() -> None:
    assert storage.join("s3://b/p/", "raw", "date=x/") == "s3://b/p/raw/date=x"
    assert storage.join("/tmp/h", "raw", "f") == "/tmp/h/raw/f"
    assert storage.relative("s3://b/p/exports/a.parquet", "s3://b/p") == "exports/a.parquet"
    assert storage.relative("/tmp/h/exports/a.parquet", "/tmp/h") == "exports/a.parquet"
    assert (storage.parent("s3://b/p/x"), storage.name("s3://b/p/x")) == ("s3://b/p", "x")
    assert storage.is_remote("s3://b") and not storage.is_remote("/tmp/h") and not storage.is_remote("file:///x")
    with pytest.raises(ValueError):
        storage.relative("s3://b/other/x", "s3://b/p")


def test_files_round_trip(root: str) -> None:
    target = storage.join(root, "exports", "published.json")
    assert not storage.exists(target) and storage.entries(storage.join(root, "exports")) == []
    with pytest.raises(FileNotFoundError):
        storage.read_text(target)
    storage.write_bytes(target, b'{"a": 1}', ".tmp-1-published.json")
    storage.write_bytes(target, b'{"a": 2}', ".tmp-1-published.json")  # replaced whole
    assert json.loads(storage.read_text(target)) == {"a": 2}
    assert storage.stat(target)["size"] == 8 and storage.stat(target)["mtime_ns"] > 0
    assert storage.file_hash(target) == hashlib.sha256(b'{"a": 2}').hexdigest()
    assert storage.entries(root) == [("exports", True)]
    assert storage.entries(storage.join(root, "exports")) == [("published.json", False)]
    assert list(storage.walk_files(root, 1)) == [target]
    storage.delete(target)
    storage.delete(target)  # a missing file is no error
    assert not storage.exists(target)


def test_publish_moves_the_staging_file_to_its_final_name(root: str) -> None:
    folder = storage.join(root, "snapshots", "snapshot_date=2026-01-01")
    tmp = storage.local_folder(folder) / ".tmp-1-part"
    tmp.write_bytes(b"parquet bytes")
    assert (tmp.parent == Path(folder)) == (not storage.is_remote(root))  # a local home stages in place
    final = storage.publish(tmp, storage.join(folder, "part-0.parquet"))
    assert not tmp.exists()
    with storage.open_read(final) as fh:
        assert fh.read() == b"parquet bytes"
    assert [n for n, _ in storage.entries(folder)] == ["part-0.parquet"]


def test_duckdb_reads_remote_parquet_only_where_allowed(s3: str, tmp_path: Path) -> None:
    local = tmp_path / "t.parquet"
    pq.write_table(pa.table({"a": [1, 2, 3]}), local)
    allowed, other = storage.join(s3, "a.parquet"), storage.join(s3, "b.parquet")
    storage.publish(local, allowed)
    pq.write_table(pa.table({"a": [4]}), local)
    storage.publish(local, other)
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    storage.register(con, s3)
    storage.register(con, s3)  # once is enough; again is no error
    assert con.sql(f"SELECT sum(a) FROM read_parquet('{allowed}')").fetchall() == [(6,)]
    con.execute(f"SET allowed_paths = ['{allowed}']")
    con.execute("SET enable_external_access = false")
    assert con.sql(f"SELECT sum(a) FROM read_parquet('{allowed}')").fetchall() == [(6,)]
    with pytest.raises(duckdb.PermissionException):
        con.execute(f"SELECT * FROM read_parquet('{other}')").fetchall()


def test_a_catalog_is_bound_to_one_remote_home(s3: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = tmp_path / "catalog"
    monkeypatch.setenv("FRESHDATA_HOME", s3)
    monkeypatch.setenv("FRESHDATA_CATALOG", str(catalog))
    assert data_home() == catalog and storage.data_root(catalog) == s3
    assert data_home() == catalog  # bound again to the same home: fine
    monkeypatch.setenv("FRESHDATA_HOME", s3 + "-other")
    with pytest.raises(ConfigError, match="is the catalog of"):
        data_home()
    local = tmp_path / "local"
    local.mkdir()
    (local / "freshdata.duckdb").write_bytes(b"")
    monkeypatch.setenv("FRESHDATA_CATALOG", str(local))
    with pytest.raises(ConfigError, match="local data home"):
        data_home()
    monkeypatch.setenv("FRESHDATA_HOME", str(local))
    assert data_home() == local and storage.data_root(local) == str(local)


def test_raw_archive_on_a_remote_home(s3: str) -> None:
    raw = storage.join(s3, "raw")
    bodies = [b"<html>one</html>", b"<html>two</html>", b"<html>three</html>"]
    with DayArchive(raw, DAY, "fetch") as archive:
        records = [archive.add(f"https://ex.com/{i}", 200, [], body) for i, body in enumerate(bodies)]
    for record, body in zip(records, bodies, strict=True):
        assert read_body(raw, record.warc_file, record.offset, hashlib.sha256(body).hexdigest(), len(body)) == body
    assert raw_days(raw) == [DAY]
    # a stage that is interrupted leaves its .open file in the local staging folder, for salvage
    with pytest.raises(KeyboardInterrupt), DayArchive(raw, DAY, "fetch") as archive:
        cut = [archive.add(f"https://ex.com/c{i}", 200, [], body) for i, body in enumerate(bodies)]
        raise KeyboardInterrupt
    listed = day_files(raw, DAY)
    [open_file] = [p for p in listed if p.endswith(OPEN_SUFFIX)]
    assert not storage.is_remote(open_file) and len(listed) == 2
    scan = ArchiveScan(open_file)
    assert [e.body for e in scan] == bodies and scan.damage is None
    final = publish(Path(open_file), storage.join(raw, cut[0].warc_file), scan.good_end)
    assert storage.is_remote(final) and not Path(open_file).exists()
    assert [e.body for e in ArchiveScan(final)] == bodies
    # retention: the marker first, then the files; a re-run of the day is refused
    deleted = prune_day(raw, DAY, retention_days=3, run_of=date(2026, 1, 9))
    assert sorted(deleted) == sorted([records[0].warc_file, cut[0].warc_file])
    assert day_files(raw, DAY) == []
    with pytest.raises(RawArchivePruned):
        require_raw(raw, DAY)


def test_stray_staging_files_of_a_remote_home_are_removed(s3: str, tmp_path: Path) -> None:
    from freshdata.snapshot import PLACING, STAGING, TMP_MARK, remove_stray_files

    catalog = tmp_path / "catalog"
    storage.bind(catalog, s3)
    staging = storage.local_folder(storage.join(s3, str(STAGING)))
    assert staging.is_relative_to(tmp_path / "staging")  # the local mirror, not the bucket
    left = [staging / f"{TMP_MARK}9-export_snapshot_parquet",
            storage.local_folder(storage.join(s3, "exports")) / f"{TMP_MARK}9-published.json"]
    for path in left:
        path.write_bytes(b"half written")
    mark = staging / f"{PLACING}{DAY.isoformat()}"
    mark.touch()
    kept = storage.write_bytes(storage.join(s3, "exports", "published.json"), b"{}", f"{TMP_MARK}1-p")
    assert remove_stray_files(catalog) == {DAY}
    assert not any(p.exists() for p in left) and mark.exists() and storage.exists(kept)


def test_a_missing_file_reads_as_a_local_one_would(root: str) -> None:
    missing = storage.join(root, "snapshots", "gone.parquet")
    for call in (storage.stat, storage.file_hash, storage.read_text):
        with pytest.raises(FileNotFoundError) as caught:
            call(missing)
        assert caught.value.strerror == "No such file or directory", call
