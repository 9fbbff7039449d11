"""WARC in and out on the 300 real pages of ../shared/corpus/webpages (see corpus_tests/conftest.py).

Served on loopback as a site with a sitemap, crawled, and: datatrove's WarcReader (with the real libmagic when it is
installed) reads every page of freshdata's archive (it dropped 31 of these 300 before WARC-Identified-Payload-Type);
the same pages written by warcio into a CC-NEWS-style listing give the crawl's documents and texts.
"""

from __future__ import annotations

import gzip
import json
from datetime import date
from http.server import BaseHTTPRequestHandler

import duckdb
import pytest
from conftest import CORPUS

from freshdata.config import parse_sources
from freshdata.crawl.archive import read_body
from freshdata.crawl.fetch import detect_encoding
from freshdata.demo.site import LoopbackSite
from freshdata_tests.test_warc_source import (
    LISTING,
    FileSite,
    _cc_warc,
    _get,
    _home,
    _outcomes,
    _run_day,
    _serve_listing,
    _texts,
    _warc_sources,
)

DAY = date(2026, 1, 1)


class CorpusSite(LoopbackSite):
    """The corpus pages at /p/<n>.html (text/html, their own bytes) and a sitemap of them."""

    def __init__(self, pages: list[bytes]) -> None:
        self.pages = pages
        super().__init__()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        if path == "/robots.txt":
            body, ctype, status = b"User-agent: *\nAllow: /\n", "text/plain", 200
        elif path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{self.base}/p/{i}.html</loc></url>" for i in range(len(self.pages)))
            body = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            body, ctype, status = body.encode(), "application/xml", 200
        elif path.startswith("/p/") and path.endswith(".html") and path[3:-5].isdigit() \
                and int(path[3:-5]) < len(self.pages):
            body, ctype, status = self.pages[int(path[3:-5])], "text/html", 200
        else:
            body, ctype, status = b"not found", "text/plain", 404
        handler.send_response(status)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


@pytest.fixture(scope="module")
def corpus_crawl(tmp_path_factory: pytest.TempPathFactory):
    entries = json.loads((CORPUS / "webpages.json").read_text())
    pages = [gzip.decompress((CORPUS / e["file"]).read_bytes()) for e in entries]
    tmp = tmp_path_factory.mktemp("corpus_warc")
    with CorpusSite(pages) as site:
        sources = parse_sources({
            "crawl": {"per_host_delay_s": 0, "per_host_concurrency": 8, "max_retries": 0,
                      "private_hosts_allowed": [f"127.0.0.1:{site.port}"]},
            "sources": [{"name": "corpus", "kind": "sitemap", "url": f"{site.base}/sitemap.xml"}],
        }, "corpus")
        con = _home(tmp, "crawl")
        _run_day(con, DAY, sources, tmp / "crawl" / "raw")
        outcomes = _outcomes(con)
        served = [(url, *_get(url)) for url, (state, _r) in sorted(outcomes.items()) if state != "failed"]
        expected = {"outcomes": {u: outcomes[u] for u, *_ in served}, "texts": _texts(con)}
        con.close()
    return tmp, served, expected


def test_datatrove_reads_every_real_page(corpus_crawl, monkeypatch):
    from datatrove.pipeline.readers.warc import WarcReader

    tmp, _served, _expected = corpus_crawl
    raw = tmp / "crawl" / "raw"
    con = duckdb.connect(str(tmp / "crawl" / "freshdata.duckdb"), read_only=True)
    fetched = con.execute("SELECT coalesce(final_url, url), warc_file, warc_offset, encoding FROM fetch_log "
                          "WHERE stage = 'fetch' AND kind = 'document' AND state = 'fetched'").fetchall()
    con.close()
    assert len(fetched) >= 290
    read = {d.metadata["url"]: d.text for d in WarcReader(str(raw), glob_pattern="**/fetch-*.warc.gz").run()}
    missing = [url for url, *_ in fetched if url not in read]
    print(f"\ndatatrove read {len(fetched) - len(missing)} of the {len(fetched)} pages freshdata fetched")
    assert missing == [], f"datatrove dropped {len(missing)} of {len(fetched)} real pages"
    for url, warc_file, offset, encoding in fetched:
        body = read_body(raw, warc_file, offset)
        text = body.decode(encoding or detect_encoding(body, None, "document"), errors="replace")
        if read[url] != text:  # datatrove decodes as UTF-8, else as cchardet guesses: compare where UTF-8 holds
            assert encoding not in ("utf-8", "ascii"), url


def test_a_listing_of_the_real_pages_gives_the_crawls_documents_and_texts(corpus_crawl, tmp_path):
    _tmp, served, expected = corpus_crawl
    with FileSite() as site:
        third = len(served) // 3
        _serve_listing(site, {f"CC-NEWS-{i}.warc.gz": _cc_warc(served[i * third:(i + 1) * third if i < 2 else None])
                              for i in range(3)})
        con = _home(tmp_path, "warc")
        _run_day(con, DAY, _warc_sources(site), tmp_path / "warc" / "raw")
        assert site.requests[0] == f"/{LISTING}"
    assert _outcomes(con) == expected["outcomes"]
    assert _texts(con) == expected["texts"]
    print(f"\n{len(served)} pages in 3 WARC files: the same {len(expected['outcomes'])} outcomes and "
          f"{len(expected['texts'])} documents (titles, texts) as the crawl")
    con.close()
