"""Crash safety of the raw archive, for real: truncated and bit-flipped WARC files, processes killed with
SIGKILL at named crash points (freshdata.faults), re-runs that must neither lose data nor fetch twice.

The fast tests drive the stage functions against a loopback DemoSite (a killed stage runs in a child
process); the slow ones run the demo day through Dagster and the `freshdata` CLI.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import duckdb
import pytest

from freshdata import schema
from freshdata.config import parse_sources
from freshdata.crawl.archive import ArchiveScan, DayArchive
from freshdata.crawl.daily import _archived_row, _row_from_entry, discover_day, fetch_day
from freshdata.crawl.fetch import FetchRequest, FetchResult
from freshdata.demo.site import DemoSite
from freshdata.extract import RawArchiveDamaged, extract_day
from freshdata_tests.pipeline_helpers import (
    REPO_ROOT,
    build_defs,
    read_db,
    run_day,
    set_env,
    step_failures,
    table_rows,
    write_demo_sources,
)

DAY = date(2026, 6, 1)
FEEDS = {"/rss.xml", "/atom.xml", "/feed.json"}
REUSABLE = ("fetched", "not_modified", "robots_disallowed", "ai_opt_out", "blocked_address")


def _spec(site: DemoSite) -> dict:
    return {
        "crawl": {"per_host_delay_s": 0, "per_host_concurrency": 4, "timeout_s": 5, "max_retries": 0,
                  "private_hosts_allowed": [f"127.0.0.1:{site.port}"]},
        "sources": [{"name": name, "kind": "feed", "url": f"{site.base}{path}"}
                    for name, path in (("news", "/rss.xml"), ("tech", "/atom.xml"), ("sports", "/feed.json"))],
    }


def _site() -> DemoSite:
    site = DemoSite(days=[date(2026, 5, 30), date(2026, 5, 31), DAY])
    site.day = 3  # 18 articles in the three feeds, all new to an empty home
    return site


def _connect(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "f.duckdb"))
    schema.ensure_schema(con)
    return con


def _paths(site: DemoSite, since: int) -> Counter[str]:
    return Counter(path for _method, path, _headers in site.requests[since:])


def _fetch_rows(con: duckdb.DuckDBPyConnection, day: date = DAY) -> dict[str, dict]:
    cursor = con.execute("SELECT * FROM fetch_log WHERE partition_date = ? AND stage = 'fetch' "
                         "AND kind = 'document' ORDER BY url", [day])
    names = [d[0] for d in cursor.description]
    return {row[names.index("url")]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def _record_ends(rows: list[dict], size: int) -> dict[int, int]:
    """offset -> end of each record of one file (the next record's offset, or the file's size)."""
    offsets = sorted(r["warc_offset"] for r in rows)
    return dict(zip(offsets, offsets[1:] + [size], strict=True))


def _raw_files(raw: Path) -> list[Path]:
    return sorted(p for p in raw.rglob("*") if p.is_file())


def _referenced(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT DISTINCT warc_file FROM fetch_log WHERE warc_file IS NOT NULL").fetchall()
    return {f for (f,) in rows}


def _assert_raw_clean(raw: Path, referenced: set[str]) -> None:
    """Only final WARC names under raw/, every one referenced by a committed fetch_log row."""
    names = [p.relative_to(raw).as_posix() for p in _raw_files(raw)]
    assert all(n.endswith(".warc.gz") for n in names), names
    assert set(names) == referenced, (names, referenced)


# ---------------------------------------------------------------- rows rebuilt from records


def _result(url: str, state: str, status: int, body: bytes | None, **kw) -> FetchResult:
    base = dict(request=FetchRequest(url, "news", "document"), state=state, reason=None, http_status=status,
                url=url, final_url=url, redirects=[], headers=[("Content-Type", "text/html; charset=utf-8"),
                                                             ("ETag", '"e1"'), ("Content-Encoding", "gzip")],
                body=body, encoding="utf-8" if body is not None else None,
                fetched_at=datetime(2026, 6, 1, 7, 8, 9, 123456, tzinfo=UTC), elapsed_s=0.1 + 0.2)
    base.update(kw)
    return FetchResult(**base)


def test_a_fetch_log_row_is_rebuilt_exactly_from_its_record(tmp_path: Path) -> None:
    results = [
        _result("https://ex.com/a", "fetched", 200, "caf\u00e9 <p>".encode()),
        _result("https://ex.com/empty", "fetched", 200, b""),
        _result("https://ex.com/b", "fetched", 200, b"<p>x</p>", final_url="https://ex.com/moved here",
                encoding="windows-1252"),
        _result("https://ex.com/c", "not_modified", 304, None, etag='"asked"', last_modified=None),
        _result("https://ex.com/d", "ai_opt_out", 200, None, reason="x_robots_tag:noai",
                detail=" why:\n 100% \u2603 ", headers=[("X-Robots-Tag", "noai"), ("Last-Modified", "Mon")],
                last_modified="Mon"),
        _result("https://ex.com/robots.txt", "fetched", 200, b"User-agent: *\n", etag=None,
                request=FetchRequest("https://ex.com/robots.txt", "robots", "robots")),  # robots keep no etag
    ]
    expected = []
    with DayArchive(tmp_path, DAY, "fetch") as archive:
        for result in results:
            expected.append(_archived_row(DAY, archive, result))
    (name,) = {row["warc_file"] for row in expected}
    rebuilt = [_row_from_entry(DAY, "fetch", name, entry) for entry in ArchiveScan(tmp_path / name)]
    assert rebuilt == expected


def test_records_written_before_the_row_fields_existed_still_rebuild_a_row(tmp_path: Path) -> None:
    # the fields an older freshdata wrote (raw values, "" for no encoding): the rest comes from defaults
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    name = "date=2026-06-01/fetch-old.warc.gz.open"
    (tmp_path / name).parent.mkdir(parents=True)
    with (tmp_path / name).open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        http = StatusAndHeaders("200 -", [("Content-Type", "text/html"), ("ETag", '"v"'), ("Content-Length", "3")],
                                protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            "https://ex.com/final", "response", payload=io.BytesIO(b"abc"), http_headers=http,
            warc_headers_dict={"WARC-Date": "2026-06-01T05:06:07Z", "WARC-Freshdata-Requested-URL": "https://ex.com/a",
                               "WARC-Freshdata-Source": "news", "WARC-Freshdata-State": "fetched",
                               "WARC-Freshdata-Encoding": ""}))
    (entry,) = ArchiveScan(tmp_path / name)
    row = _row_from_entry(DAY, "fetch", "f", entry)
    assert {k: row[k] for k in ("url", "final_url", "source", "kind", "state", "encoding", "etag", "fetched_at",
                                "elapsed_s", "body_bytes")} == {
        "url": "https://ex.com/a", "final_url": "https://ex.com/final", "source": "news", "kind": "document",
        "state": "fetched", "encoding": None, "etag": '"v"', "fetched_at": datetime(2026, 6, 1, 5, 6, 7, tzinfo=UTC),
        "elapsed_s": None, "body_bytes": 3}


# ---------------------------------------------------------------- damaged archives, stage by stage


def test_fetch_rerun_refetches_exactly_the_damaged_records(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    con, raw = _connect(tmp_path), tmp_path / "raw"
    with _site() as site:
        sources = parse_sources(_spec(site), "test")
        discover_day(con, DAY, sources, raw)
        fetch_day(con, DAY, sources, raw)
        before = _fetch_rows(con)
        assert len(before) == 18 and {r["state"] for r in before.values()} == {"fetched"}
        (warc,) = {r["warc_file"] for r in before.values()}
        path = raw / warc
        size = path.stat().st_size
        cut = size * 2 // 3
        os.truncate(path, cut)
        ends = _record_ends(list(before.values()), size)
        damaged = {url for url, r in before.items() if ends[r["warc_offset"]] > cut}
        assert 0 < len(damaged) < 18

        start = len(site.requests)
        with caplog.at_level(logging.WARNING, logger="freshdata.crawl.daily"):
            summary = fetch_day(con, DAY, sources, raw)
        requested = _paths(site, start)
    assert requested == Counter({urlsplit(u).path: 1 for u in damaged})  # each damaged page once, nothing else
    assert summary.by_reason["damaged_record_refetched"] == len(damaged) == len(summary.damaged)
    assert summary.network_requests == len(damaged) and summary.reused == 18 - len(damaged)
    assert warc in caplog.text and "damaged raw archive record" in caplog.text
    after = _fetch_rows(con)
    assert after.keys() == before.keys()
    for url, row in after.items():
        if url in damaged:  # fetched again into a new, intact file
            assert row["warc_file"] != warc
            assert (row["state"], row["content_hash"], row["body_bytes"]) == (
                before[url]["state"], before[url]["content_hash"], before[url]["body_bytes"])
        else:
            assert row == before[url]
    assert extract_day(con, DAY, raw, sources, workers=2) == Counter(extracted=18)
    summary = fetch_day(con, DAY, sources, raw)  # the damaged records are no longer referenced by any reused row
    assert summary.damaged == [] and summary.network_requests == 0


def test_extraction_refuses_a_damaged_archive_and_keeps_the_day(tmp_path: Path) -> None:
    con, raw = _connect(tmp_path), tmp_path / "raw"
    with _site() as site:
        sources = parse_sources(_spec(site), "test")
        discover_day(con, DAY, sources, raw)
        fetch_day(con, DAY, sources, raw)
        assert extract_day(con, DAY, raw, sources, workers=2) == Counter(extracted=18)
        documents = table_rows(con, "documents", DAY)
        rows = sorted(_fetch_rows(con).values(), key=lambda r: r["warc_offset"])
        warc = rows[0]["warc_file"]
        path = raw / warc
        data = bytearray(path.read_bytes())
        victim = rows[5]
        data[(victim["warc_offset"] + rows[6]["warc_offset"]) // 2] ^= 0x20  # one flipped bit inside record 5
        path.write_bytes(bytes(data))

        with pytest.raises(RawArchiveDamaged) as refused:
            extract_day(con, DAY, raw, sources, workers=2)
        message = str(refused.value)
        assert DAY.isoformat() in message and warc in message and f"offset {victim['warc_offset']}" in message
        assert "1 archived page record(s)" in message and "Re-run the whole day" in message
        assert table_rows(con, "documents", DAY) == documents  # nothing of the refused run was written
        assert con.execute("SELECT count(*) FROM extractions WHERE partition_date = ? AND reason LIKE 'error:%'",
                           [DAY]).fetchone() == (0,)

        start = len(site.requests)
        fetch_day(con, DAY, sources, raw)
        assert _paths(site, start) == Counter({urlsplit(victim["url"]).path: 1})
    assert extract_day(con, DAY, raw, sources, workers=2) == Counter(extracted=18)
    exclude = ("fetched_at",)
    assert table_rows(con, "documents", DAY, exclude) == [
        tuple(v for k, v in zip([d[0] for d in con.execute("DESCRIBE documents").fetchall()], row, strict=True)
              if k not in exclude) for row in documents]


def test_discovery_rerun_asks_again_only_for_damaged_source_records(tmp_path: Path) -> None:
    con, raw = _connect(tmp_path), tmp_path / "raw"
    with _site() as site:
        sources = parse_sources(_spec(site), "test")
        discover_day(con, DAY, sources, raw)
        discovered = table_rows(con, "discovered_urls", DAY)
        cursor = con.execute("SELECT url, warc_file, warc_offset FROM fetch_log WHERE partition_date = ? "
                             "AND stage = 'discovery' ORDER BY warc_offset", [DAY])
        records = cursor.fetchall()
        (warc,) = {f for _u, f, _o in records}
        path = raw / warc
        ends = dict(zip([o for *_x, o in records], [o for *_x, o in records][1:] + [path.stat().st_size],
                        strict=True))
        data = bytearray(path.read_bytes())
        for url, _file, offset in records:
            if urlsplit(url).path in ("/rss.xml", "/robots.txt"):
                data[(offset + ends[offset]) // 2] ^= 0x01
        path.write_bytes(bytes(data))
        # what a killed or failed discovery leaves: an .open file and a published file nothing references
        with pytest.raises(KeyboardInterrupt), DayArchive(raw, DAY, "discovery") as leftover:
            leftover.add(f"{site.base}/rss.xml", 200, [], b"<rss/>")
            raise KeyboardInterrupt
        with DayArchive(raw, DAY, "discovery") as unreferenced:
            unreferenced.add(f"{site.base}/atom.xml", 200, [], b"<feed/>")

        start = len(site.requests)
        summary = discover_day(con, DAY, sources, raw)
        requested = _paths(site, start)
    assert requested == Counter({"/rss.xml": 1, "/robots.txt": 1})  # the intact atom and JSON feeds replay
    assert summary.by_reason["damaged_record_refetched"] == 2 and summary.reused == 2
    assert table_rows(con, "discovered_urls", DAY) == discovered
    _assert_raw_clean(raw, _referenced(con))


# ---------------------------------------------------------------- killed runs (SIGKILL at a crash point)

CHILD = """
import json, sys
from datetime import date
from pathlib import Path
import duckdb
from freshdata import schema
from freshdata.config import parse_sources
from freshdata.crawl.daily import discover_day, fetch_day
db, raw, day, spec, stages = sys.argv[1:6]
con = duckdb.connect(db)
schema.ensure_schema(con)
sources = parse_sources(json.loads(spec), "test")
for stage in stages.split(","):
    {"discover": discover_day, "fetch": fetch_day}[stage](con, date.fromisoformat(day), sources, Path(raw))
print("finished")
"""


def _killed_child(tmp_path: Path, site: DemoSite, stages: str, crash_at: str) -> None:
    """Run stages of DAY in a child process that SIGKILLs itself (and its process group) at `crash_at`."""
    env = dict(os.environ, FRESHDATA_CRASH_AT=crash_at)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "f.duckdb"), str(tmp_path / "raw"), DAY.isoformat(),
         json.dumps(_spec(site)), stages],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, start_new_session=True)
    assert child.returncode == -signal.SIGKILL, (child.returncode, child.stdout, child.stderr[-2000:])
    assert "finished" not in child.stdout


@pytest.mark.slow  # kills a crawl subprocess
def test_fetch_killed_mid_way_salvages_what_it_archived(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    with _site() as site:
        sources = parse_sources(_spec(site), "test")
        _killed_child(tmp_path, site, "discover,fetch", "fetch:archived:5")
        (open_file,) = (raw / f"date={DAY.isoformat()}").glob("fetch-*.warc.gz.open")
        archived = {e.fields["Requested-URL"]: e for e in ArchiveScan(open_file)}
        assert len(archived) == 5  # killed right after the 5th page reached the file
        killed_at = len(site.requests)
        con = duckdb.connect(str(tmp_path / "f.duckdb"))
        assert _fetch_rows(con) == {}  # the killed fetch committed nothing
        summary = fetch_day(con, DAY, sources, raw)
        requested = _paths(site, killed_at)
    assert not {urlsplit(u).path for u in archived} & set(requested)  # archived pages are not fetched again
    assert summary.salvaged == 5 and summary.by_reason["salvaged_from_interrupted_run"] == 5
    assert summary.reused == 5 and summary.network_requests == 13 == sum(requested.values())
    rows = _fetch_rows(con)
    assert len(rows) == 18 and {r["state"] for r in rows.values()} == {"fetched"}
    salvaged_name = open_file.relative_to(raw).as_posix().removesuffix(".open")
    for url, entry in archived.items():
        row = rows[url]
        assert (row["warc_file"], row["warc_offset"]) == (salvaged_name, entry.offset)
        assert row["content_hash"] == hashlib.sha256(entry.body).hexdigest()
        assert row["fetched_at"] == datetime.fromisoformat(entry.fields["Fetched-At"])
    _assert_raw_clean(raw, _referenced(con))
    assert extract_day(con, DAY, raw, sources, workers=2) == Counter(extracted=18)


@pytest.mark.slow  # kills a crawl subprocess
@pytest.mark.parametrize("crash_at", ["discovery:before_commit", "fetch:before_commit"])
def test_killed_before_commit_leaves_no_stray_file_and_loses_no_page(tmp_path: Path, crash_at: str) -> None:
    raw = tmp_path / "raw"
    with _site() as site:
        sources = parse_sources(_spec(site), "test")
        _killed_child(tmp_path, site, "discover,fetch", crash_at)
        assert not list(raw.rglob("*.open"))  # the stage had closed (published) its file before the kill
        killed_at = len(site.requests)
        con = duckdb.connect(str(tmp_path / "f.duckdb"))
        discover_day(con, DAY, sources, raw)
        summary = fetch_day(con, DAY, sources, raw)
        requested = _paths(site, killed_at)
    pages = {p for p in requested if p not in FEEDS and p != "/robots.txt"}
    if crash_at == "fetch:before_commit":  # every page was archived: all 18 come from the unreferenced file
        assert summary.salvaged == 18 and pages == set()
    else:
        assert summary.salvaged == 0 and len(pages) == 18 and set(requested) >= FEEDS
    assert len(_fetch_rows(con)) == 18
    _assert_raw_clean(raw, _referenced(con))


# ---------------------------------------------------------------- end to end, through Dagster

E2E_DAY = date(2026, 7, 1)
FRESHDATA = str(Path(sys.executable).with_name("freshdata"))


def _document_paths(requests: list[tuple[str, str, dict]]) -> Counter[str]:
    skip = {"/robots.txt", "/rss.xml", "/atom.xml", "/feed.json", "/sitemap_index.xml", "/sitemaps/pages.xml.gz",
            "/sitemaps/static.xml", "/index.html"}
    return Counter(path for _m, path, _h in requests if path not in skip)


@pytest.mark.slow
def test_truncated_fetch_archive_then_rerun_gives_the_same_snapshot(tmp_path: Path) -> None:
    home = tmp_path / "home"
    snapshot_exclude = ("fetched_at", "fetch_lag_hours")
    with pytest.MonkeyPatch.context() as mp, DemoSite(days=[E2E_DAY]) as site:
        set_env(mp, home, write_demo_sources(home, site))
        defs = build_defs()
        with dg.instance_for_test() as instance:
            first = run_day(defs, instance, E2E_DAY)
            assert first.success, step_failures(first)
            with read_db(home) as con:
                snapshot = table_rows(con, "snapshot_documents", E2E_DAY, snapshot_exclude)
                documents = table_rows(con, "documents", E2E_DAY)
                rows = _fetch_rows(con, E2E_DAY)
            assert len(snapshot) > 0
            (warc,) = {r["warc_file"] for r in rows.values() if r["warc_file"]}
            path = home / "raw" / warc
            size = path.stat().st_size
            cut = size * 2 // 3
            os.truncate(path, cut)
            archived = [r for r in rows.values() if r["warc_file"] == warc]
            ends = _record_ends(archived, size)
            damaged = {urlsplit(r["url"]).path for r in archived if ends[r["warc_offset"]] > cut}
            retried = {urlsplit(u).path for u, r in rows.items() if r["state"] not in REUSABLE}
            assert damaged and not damaged & retried

            # extraction alone refuses the day, naming the file; the day's documents stay as they were
            alone = run_day(defs, instance, E2E_DAY, assets=["extracted_documents"])
            assert not alone.success
            errors = [e.step_failure_data.error for e in alone.all_events if e.is_step_failure]
            text = " ".join(e.to_string() for e in errors if e is not None)
            assert "RawArchiveDamaged" in text and warc in text and "Re-run the whole day" in text, text
            gc.collect()  # as in test_backfill: the failed in-process step's DuckDB connection lives until GC
            with read_db(home) as con:
                assert table_rows(con, "documents", E2E_DAY) == documents

            # the whole day again: only the damaged pages (and the day's failures, as always) go out again
            start = len(site.requests)
            again = run_day(defs, instance, E2E_DAY)
            assert again.success, step_failures(again)
            requested = _document_paths(site.requests[start:])
    assert set(requested) == damaged | retried, (requested, damaged, retried)
    assert all(requested[p] == 1 for p in damaged)
    with read_db(home) as con:
        assert table_rows(con, "snapshot_documents", E2E_DAY, snapshot_exclude) == snapshot
        fetch_meta = con.execute("SELECT count(*) FROM fetch_log WHERE partition_date = ? AND stage = 'fetch' "
                                 "AND kind = 'document' AND warc_file = ?", [E2E_DAY, warc]).fetchone()[0]
    assert fetch_meta == len(archived) - len(damaged)  # the damaged records are no longer referenced
