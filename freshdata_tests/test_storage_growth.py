"""The DuckDB file stays a small catalog: over a 5-day run it grows by a few KB per document, not by its texts.

Texts live in per-day Parquet files under the data home (freshdata/texts.py), so the database holds only
decisions and metadata. A generated site on loopback publishes PAGES_PER_DAY new articles of ~4 KB of
prose a day (sentences of the demo's articles, drawn at random, so dedup keeps them and the quality
recipe keeps most of them); the pipeline runs 5 days through Dagster exactly as `freshdata run` does.
"""

from __future__ import annotations

import html
import os
import random
import re
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import duckdb
import pytest

from freshdata import store
from freshdata.demo.articles import ARTICLES
from freshdata.demo.site import LoopbackSite
from freshdata_tests.pipeline_helpers import loopback_crawl_yaml, set_env

pytestmark = pytest.mark.slow  # runs pipeline days: make test, not make test-fast

PAGES_PER_DAY = int(os.environ.get("FRESHDATA_TEST_PAGES_PER_DAY", "200"))
DAYS = [date(2026, 3, 1) + timedelta(days=i) for i in range(5)]
# Issue 14's goal. Measured 1,556 bytes (2.9-3.0 KB before signatures moved to files, the stats map was stored once,
# the big tables lost their primary keys and new files got 64 KB blocks; 11.8 KB before texts moved out). Of the
# ~0.85 KB of data a document, the quality stats map is ~420 B (quality_results.stats).
MAX_BYTES_PER_DOC = 2048
SENTENCES = [s for a in ARTICLES for s in re.split(r"(?<=[.!?])\s+", a["text"].replace("\n\n", " ")) if len(s) > 40]


class GeneratedSite(LoopbackSite):
    """A sitemap that lists the current day's PAGES_PER_DAY articles; each article is 36 distinct sentences
    in 6 paragraphs, seeded by its path (the same page reads the same on every request)."""

    def __init__(self) -> None:
        self.day = 0
        super().__init__()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        status, ctype, body = self.route(handler.path)
        handler.send_response(status)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def route(self, path: str) -> tuple[int, str, bytes]:
        if path == "/sitemap.xml":
            lastmod = DAYS[self.day].isoformat()
            urls = "".join(f"<url><loc>{self.base}/d{self.day}/a{i}.html</loc><lastmod>{lastmod}</lastmod></url>"
                           for i in range(PAGES_PER_DAY))
            xml = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            return 200, "application/xml", xml.encode()
        match = re.fullmatch(r"/d(\d+)/a(\d+)\.html", path)
        if not match:
            return 404, "text/plain", b"not found"
        rng = random.Random(path)
        sentences = rng.sample(SENTENCES, 36)
        paragraphs = "".join(f"<p>{html.escape(' '.join(sentences[i:i + 6]))}</p>" for i in range(0, 36, 6))
        title = f"Report {match[1]}-{match[2]}: {sentences[0][:60]}"
        page = (f"<html><head><title>{html.escape(title)}</title></head><body><article><h1>{html.escape(title)}"
                f"</h1>{paragraphs}</article></body></html>")
        return 200, "text/html; charset=utf-8", page.encode()


def _sources(site: GeneratedSite) -> str:
    return loopback_crawl_yaml(site.port) + f"""sources:
  - name: generated
    kind: sitemap
    url: {site.base}/sitemap.xml
"""


def db_bytes(home: Path) -> int:
    """The DuckDB file's size after a CHECKPOINT (the write-ahead log folded in)."""
    with duckdb.connect(str(store.db_path(home))) as con:
        con.execute("CHECKPOINT")
    return store.db_path(home).stat().st_size


def test_duckdb_file_holds_no_texts(tmp_path: Path) -> None:
    from freshdata.runs import run_days

    home = tmp_path / "home"
    sizes: list[int] = []
    with pytest.MonkeyPatch.context() as mp, GeneratedSite() as site:
        sources = home / "sources.yaml"
        home.mkdir(parents=True)
        sources.write_text(_sources(site))
        set_env(mp, home, sources)

        def next_day(day: date) -> None:
            sizes.append(db_bytes(home))
            site.day += 1

        assert run_days(DAYS, sources, home, quiet=True, after_day=next_day)
    with duckdb.connect(str(store.db_path(home)), read_only=True) as con:
        per_day = [n for (n,) in con.execute("SELECT count(*) FROM documents GROUP BY partition_date ORDER BY 1")
                   .fetchall()]
    assert len(per_day) == len(DAYS) and min(per_day) >= PAGES_PER_DAY * 0.9, per_day
    grown = sizes[-1] - sizes[0]
    later_docs = sum(per_day) - per_day[0]
    per_doc = grown / later_docs
    print(f"DuckDB file after each day: {sizes}; {per_doc:.0f} bytes per document over days 2-5")
    assert per_doc <= MAX_BYTES_PER_DOC, f"{per_doc:.0f} bytes per document (sizes {sizes}, documents {per_day})"
