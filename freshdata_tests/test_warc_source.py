"""WARC files as a source (kind: warc): a CC-NEWS-style listing served on loopback, whose files the test writes with
warcio from the demo site's real pages, yields the same documents and texts as crawling those pages; a file is
ingested once; a damaged record or gzip member is recorded with a reason and the rest of its file is read."""

from __future__ import annotations

import gzip
import io
import json
import urllib.request
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import duckdb
import pytest
import yaml
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from freshdata import schema, store, texts
from freshdata.config import ConfigError, parse_sources
from freshdata.crawl.daily import discover_day, fetch_day
from freshdata.crawl.warcsource import download, listing_files, read_warc
from freshdata.demo.site import DemoSite, LoopbackSite, demo_sources_yaml
from freshdata.extract import extract_day

DAY = date(2026, 1, 1)
LISTING = "crawl-data/CC-NEWS/2026/01/warc.paths.gz"


class FileSite(LoopbackSite):
    """Serves `files` (path -> bytes) like a dataset bucket; every request is remembered."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        super().__init__()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        self.requests.append(path)
        body = self.files.get(path.lstrip("/"))
        handler.send_response(200 if body is not None else 404)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Content-Length", str(len(body or b"")))
        handler.end_headers()
        handler.wfile.write(body or b"")


def _home(tmp_path: Path, name: str) -> duckdb.DuckDBPyConnection:
    folder = tmp_path / name
    folder.mkdir()
    con = duckdb.connect(str(folder / "freshdata.duckdb"))
    schema.ensure_schema(con)
    return con


def _run_day(con: duckdb.DuckDBPyConnection, day: date, sources, raw: Path, extract: bool = True) -> None:
    discover_day(con, day, sources, raw)
    fetch_day(con, day, sources, raw)
    if extract:
        extract_day(con, day, raw, sources, workers=1)


def _outcomes(con: duckdb.DuckDBPyConnection, day: date = DAY) -> dict[str, tuple[str, str | None]]:
    return {url: (state, reason) for url, state, reason in con.execute(
        "SELECT url, state, reason FROM fetch_log WHERE partition_date = ? AND stage = 'fetch' AND kind = 'document'",
        [day]).fetchall()}


def _texts(con: duckdb.DuckDBPyConnection, day: date = DAY) -> dict[str, tuple[str | None, str]]:
    """url -> (title, text) of the day's extracted documents."""
    text = dict(con.execute("SELECT doc_id, text FROM read_parquet(?)", [texts.path(con, day, "extracted")]).fetchall())
    return {url: (title, text[doc]) for url, doc, title in con.execute(
        "SELECT url, doc_id, title FROM documents WHERE partition_date = ?", [day]).fetchall()}


def _get(url: str) -> tuple[int, list[tuple[str, str]], bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, never a proxy
    with opener.open(url, timeout=5) as response:
        return response.status, list(response.headers.items()), response.read()


def _cc_warc(pages: list[tuple[str, int, list[tuple[str, str]], bytes]], extra=None) -> bytes:
    """A Common Crawl-style .warc.gz (one gzip member a record): warcinfo, then request, response and metadata
    records for each page; `extra(writer)` may add records at the end."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    writer.write_record(writer.create_warcinfo_record("test.warc.gz", {"software": "test", "isPartOf": "CC-NEWS"}))
    for url, status, headers, body in pages:
        request = StatusAndHeaders(f"GET {url.split('/', 3)[-1]} HTTP/1.1", [("Host", "x")], is_http_request=True)
        writer.write_record(writer.create_warc_record(url, "request", http_headers=request))
        http = StatusAndHeaders(f"{status} OK", [(k, v) for k, v in headers if k.lower() != "transfer-encoding"],
                                protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), http_headers=http,
            warc_headers_dict={"WARC-Identified-Payload-Type": "text/html"}))
        writer.write_record(writer.create_warc_record(
            url, "metadata", payload=io.BytesIO(b"fetchTimeMs: 12\r\n"), warc_content_type="application/warc-fields"))
    if extra is not None:
        extra(writer)
    return out.getvalue()


def _odd_records(writer: WARCWriter) -> None:
    """A PDF, a 404, a revisit: records that are no page."""
    pdf = StatusAndHeaders("200 OK", [("Content-Type", "application/pdf")], protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record("https://example.org/a.pdf", "response",
                                                  payload=io.BytesIO(b"%PDF-1.4 ..."), http_headers=pdf))
    missing = StatusAndHeaders("404 Not Found", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record("https://example.org/gone", "response",
                                                  payload=io.BytesIO(b"<html>gone</html>"), http_headers=missing))
    writer.write_record(writer.create_warc_record("https://example.org/again", "revisit", payload=io.BytesIO(b"")))


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory):
    """The demo site crawled for one day (home "crawl"), and every page it fetched or that opted out by itself,
    as the site serves it: (url, status, headers, body)."""
    tmp = tmp_path_factory.mktemp("warc")
    with DemoSite(days=[DAY - timedelta(days=1), DAY]) as site:
        site.day = 2  # the demo's second day: its pages so far include one that says noai in X-Robots-Tag
        raw = yaml.safe_load(demo_sources_yaml(site.base, site.port))
        raw["crawl"]["max_retries"] = 0
        sources = parse_sources(raw, "demo")
        con = _home(tmp, "crawl")
        _run_day(con, DAY, sources, tmp / "crawl" / "raw")
        outcomes = _outcomes(con)
        pages = []
        for url, (state, reason) in sorted(outcomes.items()):
            if state == "fetched" or (state == "ai_opt_out" and reason != "ai_robots_txt"):
                pages.append((url, *_get(url)))
        expected = {"outcomes": {u: outcomes[u] for u, *_ in pages}, "texts": _texts(con)}
        con.close()
    return tmp, pages, expected


def _serve_listing(site: FileSite, files: dict[str, bytes]) -> None:
    folder = LISTING.rsplit("/", 1)[0]
    for name, data in files.items():
        site.files[f"{folder}/{name}"] = data
    site.files[LISTING] = gzip.compress("".join(f"{folder}/{n}\n" for n in files).encode())


def _warc_sources(site: FileSite, **extra):
    return parse_sources({
        "crawl": {"private_hosts_allowed": [f"127.0.0.1:{site.port}"], "timeout_s": 5, "max_retries": 0},
        "sources": [{"name": "ccnews", "kind": "warc", "url": f"{site.base}/{LISTING}",
                     "warc_base": f"{site.base}/", **extra}],
    }, "test")


def test_a_warc_listing_yields_the_documents_and_texts_of_a_crawl_and_ingests_each_file_once(crawled, tmp_path):
    _tmp, pages, expected = crawled
    assert len(pages) >= 8 and any(state == "ai_opt_out" for state, _ in expected["outcomes"].values())
    half = len(pages) // 2
    with FileSite() as site:
        _serve_listing(site, {"CC-NEWS-1.warc.gz": _cc_warc(pages[:half]),
                              "CC-NEWS-2.warc.gz": _cc_warc(pages[half:] + pages[:1], extra=_odd_records)})
        sources = _warc_sources(site)
        con = _home(tmp_path, "warc")
        raw = tmp_path / "warc" / "raw"
        _run_day(con, DAY, sources, raw)

        # the same pages end in the same states (fetched, or an opt-out the page itself states) ...
        assert _outcomes(con) == expected["outcomes"]
        # ... and the same documents with the same titles and texts as the crawl's
        assert _texts(con) == expected["texts"]
        # every record is counted: pages, and what is no page by reason
        files = con.execute("SELECT file_url, state, records, documents, skipped, damaged FROM warc_files "
                            "ORDER BY file_url").fetchall()
        assert [(f.rsplit("/", 1)[1], s) for f, s, *_ in files] == [("CC-NEWS-1.warc.gz", "ingested"),
                                                                   ("CC-NEWS-2.warc.gz", "ingested")]
        assert sum(f[3] for f in files) == len(pages)
        skipped = json.loads(files[1][4])
        in_second = len(pages) - half + 1
        assert skipped == {"http_status:404": 1, "not_html:application/pdf": 1, "record:metadata": in_second,
                           "record:request": in_second, "record:revisit": 1, "record:warcinfo": 1,
                           "repeated_url": 1}, skipped
        for _file, _state, records, documents, skipped_json, damaged in files:
            assert records == documents + sum(json.loads(skipped_json).values()) + damaged
        # no page was requested from the site: only the listing and the two files were downloaded
        assert sorted(site.requests) == sorted([f"/{LISTING}", *(f"/{LISTING.rsplit('/', 1)[0]}/CC-NEWS-{i}.warc.gz"
                                                                  for i in (1, 2))])
        assert con.execute("SELECT count(*) FROM discovered_urls WHERE state = 'new'").fetchone() == (len(pages),)

        # a re-run of the day ingests that day's files again, replacing them: nothing doubles
        before = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in
                  ("warc_files", "discovered_urls", "fetch_log", "documents")}
        _run_day(con, DAY, sources, raw)
        assert {t: con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in before} == before
        assert _texts(con) == expected["texts"]
        day_files = sorted(p.name.split("-")[0] for p in (raw / f"date={DAY}").iterdir())
        assert day_files.count("warc") <= 2  # the first run's file stays only while fetch rows still name it

        # the next day: the files are ingested already, so not downloaded again; a new file in the listing is
        site.requests.clear()
        _run_day(con, DAY + timedelta(days=1), sources, raw, extract=False)
        assert site.requests == [f"/{LISTING}"]
        assert con.execute("SELECT count(*) FROM warc_files WHERE partition_date = ?",
                           [DAY + timedelta(days=1)]).fetchone() == (0,)
        _serve_listing(site, {"CC-NEWS-1.warc.gz": site.files[f"{LISTING.rsplit('/', 1)[0]}/CC-NEWS-1.warc.gz"],
                              "CC-NEWS-2.warc.gz": b"", "CC-NEWS-3.warc.gz": _cc_warc(pages[:2])})
        site.requests.clear()
        third = DAY + timedelta(days=2)
        _run_day(con, third, sources, raw, extract=False)
        assert site.requests == [f"/{LISTING}", f"/{LISTING.rsplit('/', 1)[0]}/CC-NEWS-3.warc.gz"]
        # its pages were taken on the first day: known by URL, as for a crawl
        assert con.execute("SELECT state, reason, count(*) FROM discovered_urls WHERE partition_date = ? GROUP BY ALL",
                           [third]).fetchall() == [("known", "fetched_before", 2)]
        con.close()


def _damaged_file(pages) -> tuple[bytes, list[int]]:
    """Four pages' records in gzip members; the second page's response member corrupted in the middle, the third's
    WARC block cut short inside an intact member, and the file cut inside its last member."""
    data = _cc_warc(pages[:4])
    members, offset = [], 0
    while offset < len(data):  # split into members (each is a complete gzip stream)
        import zlib

        d = zlib.decompressobj(zlib.MAX_WBITS + 16)
        d.decompress(data[offset:])
        end = len(data) - len(d.unused_data)
        members.append(data[offset:end])
        offset = end
    # members: warcinfo, then (request, response, metadata) per page
    corrupt = bytearray(members[1 + 3 * 1 + 1])
    corrupt[len(corrupt) // 2: len(corrupt) // 2 + 16] = b"\xff" * 16
    members[1 + 3 * 1 + 1] = bytes(corrupt)
    record = gzip.decompress(members[1 + 3 * 2 + 1])
    members[1 + 3 * 2 + 1] = gzip.compress(record[:-200])
    members[-1] = members[-1][: len(members[-1]) // 2]
    return b"".join(members), [len(b"".join(members[:i])) for i in range(len(members))]


def test_a_damaged_record_is_recorded_with_its_reason_and_the_file_goes_on(crawled, tmp_path):
    _tmp, pages, expected = crawled
    pages = [p for p in pages if expected["outcomes"][p[0]][0] == "fetched"]
    data, offsets = _damaged_file(pages)
    with FileSite() as site:
        _serve_listing(site, {"damaged.warc.gz": data})
        con = _home(tmp_path, "damaged")
        _run_day(con, DAY, _warc_sources(site), tmp_path / "damaged" / "raw", extract=False)
    damage = con.execute("SELECT file_offset, url, reason FROM warc_damage ORDER BY file_offset").fetchall()
    assert [d[0] for d in damage] == [offsets[5], offsets[8], offsets[-1]]
    assert "corrupt gzip data" in damage[0][2]
    assert damage[1][1] == pages[2][0] and "shorter than its Content-Length" in damage[1][2]
    assert damage[2][2].startswith("truncated")
    # the pages before and after the damage are taken; the file is ingested (not tried again), damage counted
    assert sorted(_outcomes(con)) == sorted([pages[0][0], pages[3][0]])
    assert set(_outcomes(con).values()) == {("fetched", None)}
    (state, records, documents, damaged) = con.execute(
        "SELECT state, records, documents, damaged FROM warc_files").fetchone()
    assert (state, documents, damaged) == ("ingested", 2, 3)
    con.close()


def test_a_local_warc_file_and_a_local_listing(crawled, tmp_path):
    _tmp, pages, _expected = crawled
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "one.warc.gz").write_bytes(_cc_warc(pages[:3]))
    (folder / "paths.txt").write_text("# a listing\nsub/one.warc.gz\n\n")
    for url, name in ((str(folder / "sub" / "one.warc.gz"), "file"), (str(folder / "paths.txt"), "listing")):
        con = _home(tmp_path, name)
        sources = parse_sources({"sources": [{"name": "local", "kind": "warc", "url": url}]}, "test")
        _run_day(con, DAY, sources, tmp_path / name / "raw", extract=False)
        assert sorted(_outcomes(con)) == sorted(p[0] for p in pages[:3]), name
        # what a run killed before its commit leaves (an .open file nothing names) goes at the next run
        orphan = tmp_path / name / "raw" / f"date={DAY}" / "warc-0123456789ab.warc.gz.open"
        orphan.write_bytes(b"partial")
        discover_day(con, DAY, sources, tmp_path / name / "raw")
        assert not orphan.exists() and len(list(orphan.parent.glob("warc-*"))) == 2  # this run's, the fetch's
        # a later day with no new file: a local listing read whole is an answer (check sources_answered)
        discover_day(con, DAY + timedelta(days=1), sources, tmp_path / name / "raw")
        answered = store.run(con, "check_sources_answered", {"day": DAY + timedelta(days=1)}).fetchall()
        assert answered == ([] if name == "file" else [("local", 1, 1, None, False)]), answered
        outcomes = con.execute("SELECT outcome FROM source_checks ORDER BY as_of").fetchall()
        assert outcomes[-1] == ("unchanged",), outcomes  # nothing new the next day: no failure for the re-checks
        assert con.execute("SELECT file_url, listing_url FROM warc_files").fetchall() == [
            (str(folder / "sub" / "one.warc.gz"), None if name == "file" else url)]
        con.close()


def test_listing_paths_resolve_against_the_base():
    body = gzip.compress(b"crawl-data/CC-NEWS/2026/01/a.warc.gz\n\n# note\nhttps://h.org/b.warc.gz\na.warc.gz\n")
    base = "https://data.commoncrawl.org/"
    assert listing_files(body, base + "crawl-data/CC-NEWS/2026/01/warc.paths.gz", base) == [
        base + "crawl-data/CC-NEWS/2026/01/a.warc.gz", "https://h.org/b.warc.gz", base + "a.warc.gz"]
    assert listing_files(b"x/a.warc.gz\n", "https://h.org/l/paths.txt", None) == ["https://h.org/l/x/a.warc.gz"]
    assert listing_files(b"x/a.warc.gz\n", "/data/l/paths.txt", None) == ["/data/l/x/a.warc.gz"]
    with pytest.raises(ValueError, match="local path"):  # a listing from the network never names a local file
        listing_files(b"/etc/passwd\n", "https://h.org/paths.txt", "/")
    with pytest.raises(ValueError, match="no http"):
        listing_files(b"file:///etc/passwd\n", "https://h.org/paths.txt", None)


def test_sources_file_kind_warc():
    ok = parse_sources({"sources": [{"name": "cc", "kind": "warc", "url": "https://h.org/warc.paths.gz",
                                     "warc_base": "https://h.org/"}]}, "t").sources[0]
    assert ok.max_documents_per_run > 100_000  # a file is read once: no default budget cuts it
    assert parse_sources({"sources": [{"name": "cc", "kind": "warc", "url": "/data/x.warc.gz"}]}, "t")
    with pytest.raises(ConfigError, match="absolute path"):
        parse_sources({"sources": [{"name": "cc", "kind": "warc", "url": "data/x.warc.gz"}]}, "t")
    with pytest.raises(ConfigError, match="warc_base is for kind: warc only"):
        parse_sources({"sources": [{"name": "f", "kind": "feed", "url": "https://h.org/f", "warc_base": "x"}]}, "t")
    with pytest.raises(ConfigError, match="absolute http"):
        parse_sources({"sources": [{"name": "f", "kind": "feed", "url": "/data/feed.xml"}]}, "t")


def test_downloads_go_through_the_guarded_client(tmp_path):
    cfg = parse_sources({"sources": [{"name": "x", "kind": "feed", "url": "https://h.org/f"}]}, "t").crawl
    with FileSite() as site:
        site.files["big.warc.gz"] = b"x" * 5000
        # not on the allowed list: the guard refuses loopback before connecting
        refused = download(f"{site.base}/big.warc.gz", tmp_path / "a", cfg, 10_000)
        assert refused.state == "blocked_address" and site.requests == []
        allowed = cfg.model_copy(update={"private_hosts_allowed": [f"127.0.0.1:{site.port}"]})
        too_big = download(f"{site.base}/big.warc.gz", tmp_path / "b", allowed, 1000)
        assert (too_big.state, too_big.reason) == ("failed", "too_large") and not (tmp_path / "b").exists()
        whole = download(f"{site.base}/big.warc.gz", tmp_path / "c", allowed, 10_000)
        assert whole.state == "fetched" and (tmp_path / "c").read_bytes() == b"x" * 5000 and whole.size == 5000
        assert download(f"{site.base}/none", tmp_path / "d", allowed, 10).reason == "http_404"


def test_read_warc_streams_an_uncompressed_file_and_refuses_other_files(crawled, tmp_path):
    _tmp, pages, _expected = crawled
    plain = tmp_path / "plain.warc"
    plain.write_bytes(gzip.decompress(_cc_warc(pages[:2])))  # every member, concatenated: one plain WARC
    items = list(read_warc(plain, 10_000_000))
    assert [i.entry.record_type for i in items] == ["warcinfo", *["request", "response", "metadata"] * 2]
    other = tmp_path / "x.warc.gz"
    other.write_bytes(b"<html>not a warc</html>")
    with pytest.raises(ValueError, match="neither gzip nor a WARC"):
        list(read_warc(other, 1000))


# ---------------------------------------------------------------- WARC that other tools read as well as we do


def _strict_magic(monkeypatch: pytest.MonkeyPatch) -> None:
    """datatrove guesses a record's type with libmagic only when WARC-Identified-Payload-Type is absent: make any
    such guess on a non-empty payload fail the test (python-magic itself is stubbed where libmagic is missing)."""
    import types

    def from_buffer(content: bytes, mime: bool = False) -> str:
        assert not content, "datatrove had to guess a payload type: WARC-Identified-Payload-Type is missing"
        return "application/x-empty"

    try:
        import magic
    except ImportError:  # no libmagic on this machine: datatrove only needs the module to exist
        magic = types.ModuleType("magic")
        monkeypatch.setitem(__import__("sys").modules, "magic", magic)
    monkeypatch.setattr(magic, "from_buffer", from_buffer, raising=False)


def test_datatrove_reads_every_page_freshdata_archived(crawled, monkeypatch):
    """datatrove's own WarcReader (a dev dependency) over the crawl's raw archive gets every fetched page, with the
    bytes freshdata extracts from; before WARC-Identified-Payload-Type it dropped 31 of 300 real pages."""
    from datatrove.pipeline.readers.warc import WarcReader

    from freshdata.crawl.archive import read_body
    from freshdata.crawl.fetch import detect_encoding

    _strict_magic(monkeypatch)
    tmp, _pages, _expected = crawled
    raw = tmp / "crawl" / "raw"
    con = duckdb.connect(str(tmp / "crawl" / "freshdata.duckdb"), read_only=True)
    fetched = con.execute("SELECT coalesce(final_url, url), warc_file, warc_offset, encoding FROM fetch_log "
                          "WHERE stage = 'fetch' AND kind = 'document' AND state = 'fetched'").fetchall()
    con.close()
    assert len(fetched) >= 20
    reader = WarcReader(str(raw), glob_pattern="**/fetch-*.warc.gz", doc_progress=False, file_progress=False)
    read = {doc.metadata["url"]: doc.text for doc in reader.run()}
    missing = [url for url, *_ in fetched if url not in read]
    assert missing == [], f"datatrove dropped {len(missing)} of {len(fetched)} pages: {missing[:5]}"
    for url, warc_file, offset, encoding in fetched:
        body = read_body(raw, warc_file, offset)
        assert read[url] == body.decode(encoding or detect_encoding(body, None, "document")), url
    # what else standard readers (and Common Crawl's files) carry: a warcinfo record first, digests, the msgtype
    from warcio.archiveiterator import ArchiveIterator

    with (raw / fetched[0][1]).open("rb") as fh:
        records = list(ArchiveIterator(fh))
    assert records[0].rec_type == "warcinfo"
    for record in records[1:]:
        headers = record.rec_headers
        assert headers.get_header("Content-Type") == "application/http; msgtype=response"
        assert headers.get_header("WARC-Payload-Digest", "").startswith("sha1:")
        assert headers.get_header("WARC-Block-Digest", "").startswith("sha1:")
        assert record.http_headers.statusline == "200 OK"
        fetched_page = headers.get_header("WARC-Freshdata-State") == "fetched"  # else headers only (an opt-out)
        assert headers.get_header("WARC-Identified-Payload-Type") == ("text/html" if fetched_page else None)


def test_archives_written_before_the_new_headers_read_as_before(tmp_path):
    """Raw archives are immutable: a file from before the warcinfo record and WARC-Identified-Payload-Type (one
    response record a gzip member, nothing else) still reads back through freshdata's reader and scan."""
    from freshdata.crawl.archive import ArchiveScan, read_body

    folder = tmp_path / f"date={DAY}"
    folder.mkdir()
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    offsets = []
    for i, body in enumerate([b"<html>old one</html>", b"<html>old two</html>"]):
        offsets.append(out.tell())
        http = StatusAndHeaders("200 -", [("Content-Type", "text/html"), ("Content-Length", str(len(body)))],
                                protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            f"https://ex.com/{i}", "response", payload=io.BytesIO(body), http_headers=http,
            warc_headers_dict={"WARC-Freshdata-Source": "s"}))
    (folder / "fetch-0123456789ab.warc.gz").write_bytes(out.getvalue())
    name = f"date={DAY}/fetch-0123456789ab.warc.gz"
    assert read_body(tmp_path, name, offsets[1]) == b"<html>old two</html>"
    entries = list(ArchiveScan(tmp_path / name))
    assert [(e.target_uri, e.body, e.format) for e in entries] == [
        ("https://ex.com/0", b"<html>old one</html>", None), ("https://ex.com/1", b"<html>old two</html>", None)]


def test_a_record_over_the_cap_is_damage_and_the_next_one_is_read(tmp_path):
    """A member that inflates past the cap (a gzip bomb: 50 MB of zeros in ~50 kB) stops decompressing there."""
    bomb = ("https://ex.org/bomb", 200, [("Content-Type", "text/html")], b"<html>" + bytes(50_000_000))
    fine = ("https://ex.org/fine", 200, [("Content-Type", "text/html")], b"<html><p>fine</p></html>")
    path = tmp_path / "bomb.warc.gz"
    path.write_bytes(_cc_warc([bomb, fine]))
    assert path.stat().st_size < 1_000_000
    items = list(read_warc(path, 1_000_000))
    damaged = [i for i in items if i.entry is None]
    assert [(i.url, i.problem) for i in damaged] == [("https://ex.org/bomb", "record over 1000000 bytes uncompressed")]
    responses = [i.entry.target_uri for i in items if i.entry is not None and i.entry.record_type == "response"]
    assert responses == ["https://ex.org/fine"]


def test_a_file_that_fails_is_recorded_and_tried_again_on_a_later_day(crawled, tmp_path):
    _tmp, pages, _expected = crawled
    folder = LISTING.rsplit("/", 1)[0]
    with FileSite() as site:
        _serve_listing(site, {"late.warc.gz": b"", "junk.warc.gz": b"<html>an error page</html>"})
        del site.files[f"{folder}/late.warc.gz"]  # listed, not published yet: 404
        con = _home(tmp_path, "retry")
        raw = tmp_path / "retry" / "raw"
        _run_day(con, DAY, _warc_sources(site), raw, extract=False)
        assert sorted(con.execute("SELECT regexp_extract(file_url, '[^/]+$'), state, reason FROM warc_files")
                      .fetchall()) == [("junk.warc.gz", "failed", "not_a_warc"), ("late.warc.gz", "failed", "http_404")]
        assert con.execute("SELECT kind, state, reason FROM fetch_log WHERE kind LIKE 'warc%' ORDER BY ALL"
                           ).fetchall() == [("warc", "fetched", None), ("warc_file", "failed", "http_404"),
                                            ("warc_file", "fetched", None)]
        site.files[f"{folder}/late.warc.gz"] = _cc_warc(pages[:2])
        _run_day(con, DAY + timedelta(days=1), _warc_sources(site), raw, extract=False)
        assert con.execute("SELECT regexp_extract(file_url, '[^/]+$'), state, documents FROM warc_files "
                           "WHERE partition_date = ? ORDER BY 1", [DAY + timedelta(days=1)]).fetchall() == [
            ("junk.warc.gz", "failed", None), ("late.warc.gz", "ingested", 2)]
        # the listing itself failing is a failed source fetch, like a feed's
        del site.files[LISTING]
        _run_day(con, DAY + timedelta(days=2), _warc_sources(site), raw, extract=False)
        assert con.execute("SELECT kind, state, reason FROM fetch_log WHERE partition_date = ?",
                           [DAY + timedelta(days=2)]).fetchall() == [("warc", "failed", "http_404")]
        con.close()
