"""Discovery parsers as units: feeds, sitemaps, seed pages and dates; bytes in, dated links out."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest

from freshdata.crawl.discover import (
    DiscoveryError,
    maybe_gunzip,
    parse_date,
    parse_feed,
    parse_seed_page,
    parse_sitemap,
)

FEED_URL = "https://ex.com/feeds/feed.xml"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _assert_aware_utc(links) -> None:
    for link in links:
        if link.published_at is not None:
            assert link.published_at.tzinfo is not None
            assert link.published_at.utcoffset().total_seconds() == 0


# ------------------------------------------------------------------ feeds

RSS091 = b"""<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>T</title><link>https://ex.com/</link><description>d</description>
<language>en</language>
<item><title>A</title><link>/a?utm_source=feed#x</link><pubDate>Tue, 02 Jan 2024 03:04:05 GMT</pubDate></item>
<item><title>B</title><link>https://ex.com/b</link></item>
</channel></rss>"""

RSS10 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://ex.com/"><title>T</title><link>https://ex.com/</link><description>d</description>
<items><rdf:Seq><rdf:li resource="https://ex.com/one"/><rdf:li resource="https://ex.com/two"/></rdf:Seq></items>
</channel>
<item rdf:about="https://ex.com/one"><title>One</title><link>one</link>
<dc:date>2024-01-02T03:04:05+02:00</dc:date></item>
<item rdf:about="https://ex.com/two"><title>Two</title><link>https://ex.com/two</link></item>
</rdf:RDF>"""

RSS20 = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><link>https://ex.com/</link><description>d</description>
<item><title>A</title><link>posts/a</link><pubDate>Tue, 02 Jan 2024 03:04:05 +0200</pubDate></item>
<item><title>B</title><link>https://ex.com/b/../c</link><pubDate>Wed, 03 Jan 2024 00:00:00 GMT</pubDate></item>
<item><title>No link</title><description>nothing to fetch</description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://ex.com/blog/">
<title>T</title><id>urn:x</id><updated>2024-01-05T00:00:00Z</updated>
<entry><title>A</title><id>urn:a</id><link rel="alternate" href="a.html"/>
  <published>2024-01-02T03:04:05Z</published><updated>2024-01-05T00:00:00Z</updated></entry>
<entry><title>B</title><id>urn:b</id><link rel="alternate" href="/b.html"/>
  <updated>2024-01-04T10:00:00-05:00</updated></entry>
</feed>"""

JSON_FEED = json.dumps({
    "version": "https://jsonfeed.org/version/1.1",
    "title": "t",
    "items": [
        {"id": "1", "url": "/x#y", "date_published": "2024-01-02T03:04:05+01:00"},
        {"id": "2", "url": "https://ex.com/z", "date_modified": "2024-01-03T00:00:00Z"},
        {"id": "3", "external_url": "https://other.org/e"},
        "junk",
        {"id": "4", "url": "https://ex.com/w", "date_published": "2024-01-01T00:00:00Z",
         "date_modified": "2024-02-01T00:00:00Z"},
    ],
}).encode()


def test_rss091() -> None:
    links = parse_feed(RSS091, FEED_URL)
    assert [link.url for link in links] == ["https://ex.com/a", "https://ex.com/b"]
    assert links[0].published_at == utc(2024, 1, 2, 3, 4, 5)
    assert links[1].published_at is None
    _assert_aware_utc(links)


def test_rss10_rdf() -> None:
    links = parse_feed(RSS10, FEED_URL)
    assert [link.url for link in links] == ["https://ex.com/feeds/one", "https://ex.com/two"]
    assert links[0].published_at == utc(2024, 1, 2, 1, 4, 5)  # dc:date, converted to UTC
    assert links[1].published_at is None
    _assert_aware_utc(links)


def test_rss20_relative_links_and_dates() -> None:
    links = parse_feed(RSS20, FEED_URL)
    assert [link.url for link in links] == ["https://ex.com/feeds/posts/a", "https://ex.com/c"]
    assert links[0].published_at == utc(2024, 1, 2, 1, 4, 5)
    assert links[1].published_at == utc(2024, 1, 3)
    _assert_aware_utc(links)


def test_atom_published_else_updated_and_xml_base() -> None:
    links = parse_feed(ATOM, FEED_URL)
    assert [link.url for link in links] == ["https://ex.com/blog/a.html", "https://ex.com/b.html"]
    assert links[0].published_at == utc(2024, 1, 2, 3, 4, 5)  # published wins over updated
    assert links[1].published_at == utc(2024, 1, 4, 15, 0)  # only updated, -05:00 → UTC
    _assert_aware_utc(links)


def test_atom_without_xml_base_resolves_against_feed_url() -> None:
    links = parse_feed(ATOM.replace(b' xml:base="https://ex.com/blog/"', b""), FEED_URL)
    assert [link.url for link in links] == ["https://ex.com/feeds/a.html", "https://ex.com/b.html"]


def test_json_feed() -> None:
    links = parse_feed(JSON_FEED, "https://ex.com/feed.json")
    assert [link.url for link in links] == ["https://ex.com/x", "https://ex.com/z", "https://other.org/e",
                                            "https://ex.com/w"]
    assert links[0].published_at == utc(2024, 1, 2, 2, 4, 5)
    assert links[1].published_at == utc(2024, 1, 3)  # date_modified when no date_published
    assert links[2].published_at is None
    assert links[3].published_at == utc(2024, 1, 1)  # date_published wins
    _assert_aware_utc(links)


def test_json_feed_with_leading_whitespace() -> None:
    assert len(parse_feed(b"\n  " + JSON_FEED, "https://ex.com/feed.json")) == 4


def test_json_feed_opaque_id_is_not_a_link() -> None:
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "123", "title": "t"}]})
    assert parse_feed(body.encode(), "https://ex.com/feed.json") == []


@pytest.mark.parametrize("body", [b'{"items": 3}', b"[1, 2]", b"{not json", b"hello world",
                                  b"<html><body>hi</body></html>"])
def test_not_a_feed(body: bytes) -> None:
    with pytest.raises(DiscoveryError):
        parse_feed(body, FEED_URL)


# ------------------------------------------------------------------ sitemaps

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://ex.com/a</loc><lastmod>2024-01-02</lastmod></url>
  <url><loc> https://ex.com/b?utm_source=x </loc><lastmod>2024-01-02T03:04:05+02:00</lastmod></url>
  <url><loc>/relative</loc></url>
  <url><loc>mailto:x@ex.com</loc></url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://ex.com/s1.xml.gz</loc><lastmod>2024-01-01T00:00:00Z</lastmod></sitemap>
  <sitemap><loc>https://ex.com/s2.xml</loc></sitemap>
</sitemapindex>"""


def test_urlset_with_lastmod() -> None:
    parsed = parse_sitemap(URLSET, "https://ex.com/sitemap.xml")
    assert parsed.child_sitemaps == []
    assert [link.url for link in parsed.links] == ["https://ex.com/a", "https://ex.com/b", "https://ex.com/relative"]
    assert [link.published_at for link in parsed.links] == [utc(2024, 1, 2), utc(2024, 1, 2, 1, 4, 5), None]
    _assert_aware_utc(parsed.links)


def test_sitemapindex_children() -> None:
    parsed = parse_sitemap(INDEX, "https://ex.com/sitemap.xml")
    assert parsed.links == []
    assert [c.url for c in parsed.child_sitemaps] == ["https://ex.com/s1.xml.gz", "https://ex.com/s2.xml"]
    assert parsed.child_sitemaps[0].published_at == utc(2024, 1, 1)
    assert parsed.child_sitemaps[1].published_at is None


def test_gzipped_sitemap() -> None:
    plain = parse_sitemap(URLSET, "https://ex.com/sitemap.xml")
    zipped = parse_sitemap(gzip.compress(URLSET), "https://ex.com/sitemap.xml.gz")
    assert zipped == plain


def test_empty_urlset_is_not_an_error() -> None:
    parsed = parse_sitemap(b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>',
                           "https://ex.com/sitemap.xml")
    assert parsed.links == [] and parsed.child_sitemaps == []


def test_gzip_bomb_refused() -> None:
    bomb = gzip.compress(b"\0" * 2_000_000, 9)
    with pytest.raises(DiscoveryError, match="expands beyond"):
        maybe_gunzip(bomb, limit=1_000_000)
    assert maybe_gunzip(bomb, limit=2_000_000) == b"\0" * 2_000_000  # exactly at the cap is fine


def test_gzip_bomb_refused_by_parse_sitemap() -> None:
    bomb = gzip.compress(b"<" + b" " * 60_000_000, 9)  # ~60 KB on the wire, 60 MB inflated
    assert len(bomb) < 200_000
    with pytest.raises(DiscoveryError, match="expands beyond"):
        parse_sitemap(bomb, "https://ex.com/sitemap.xml.gz")


@pytest.mark.parametrize("body", [b"garbage", b"", b"<html><body><p>not a sitemap</p></body></html>",
                                  b'{"urlset": []}'])
def test_garbage_sitemap(body: bytes) -> None:
    with pytest.raises(DiscoveryError):
        parse_sitemap(body, "https://ex.com/sitemap.xml")


def test_corrupt_gzip_sitemap_is_discovery_error() -> None:
    with pytest.raises(DiscoveryError):
        parse_sitemap(b"\x1f\x8b" + b"not really gzip", "https://ex.com/sitemap.xml.gz")


def test_sitemap_with_unparseable_lastmod_keeps_link() -> None:
    body = URLSET.replace(b"<lastmod>2024-01-02</lastmod>", b"<lastmod>yesterday-ish</lastmod>")
    parsed = parse_sitemap(body, "https://ex.com/sitemap.xml")
    assert parsed.links[0].url == "https://ex.com/a"
    assert parsed.links[0].published_at is None


# ------------------------------------------------------------------ seed pages

SEED = b"""<html><body>
<a href="/a">A</a><a href="/a#frag">A again</a><a href="b?utm_source=x">B</a>
<a href="https://other.org/x">Elsewhere</a><a href="https://ex.com/c">C</a><a href="mailto:x@y.z">mail</a>
<a href="#top">top</a><a href="https://ex.com/dir/index.html">self</a><a href="//ex.com/d">D</a><a>no href</a>
<a href="https://EX.com/f">F</a><a href="https://sub.ex.com/g">sub</a><a href="https://ex.com:8443/h">port</a>
<a href="/c">C again</a>
</body></html>"""


def test_seed_page_same_host_dedup_no_fragments() -> None:
    links = parse_seed_page(SEED, "https://ex.com/dir/index.html")
    assert [link.url for link in links] == [
        "https://ex.com/a", "https://ex.com/dir/b", "https://ex.com/c", "https://ex.com/d", "https://ex.com/f",
    ]
    assert all(link.published_at is None for link in links)
    assert all("#" not in link.url for link in links)


def test_seed_page_with_declared_encoding() -> None:
    body = '<a href="/caf\u00e9">x</a>'.encode("latin-1")
    assert [link.url for link in parse_seed_page(body, "https://ex.com/", "latin-1")] == ["https://ex.com/caf%C3%A9"]


@pytest.mark.parametrize("body", [b"", b"   "])
def test_seed_page_empty(body: bytes) -> None:
    with pytest.raises(DiscoveryError):
        parse_seed_page(body, "https://ex.com/")


def test_seed_page_unknown_encoding_name() -> None:
    links = parse_seed_page(b'<a href="/x">x</a>', "https://ex.com/", "no-such-codec")
    assert [link.url for link in links] == ["https://ex.com/x"]


# ------------------------------------------------------------------ dates

@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-01-02", utc(2024, 1, 2)),
        ("2024-01-02T03:04:05Z", utc(2024, 1, 2, 3, 4, 5)),
        ("2024-01-02T03:04:05+02:00", utc(2024, 1, 2, 1, 4, 5)),
        ("2024-01-02T03:04:05.123456-05:00", utc(2024, 1, 2, 8, 4, 5, 123456)),
        ("2024-01-02T03:04:05", utc(2024, 1, 2, 3, 4, 5)),  # naive is taken as UTC
        ("2024-01-02 03:04:05", utc(2024, 1, 2, 3, 4, 5)),
        ("  2024-01-02T03:04:05Z \n", utc(2024, 1, 2, 3, 4, 5)),
        ("", None),
        ("   ", None),
        (None, None),
        (5, None),
    ],
)
def test_parse_date(value: object, expected: datetime | None) -> None:
    got = parse_date(value)
    assert got == expected
    if got is not None:
        assert got.tzinfo is not None and got.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tue, 02 Jan 2024 03:04:05 GMT", utc(2024, 1, 2, 3, 4, 5)),
        ("Tue, 02 Jan 2024 03:04:05 +0200", utc(2024, 1, 2, 1, 4, 5)),
    ],
)
def test_parse_date_rfc822(value: str, expected: datetime) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["garbage", "2024-13-45", "yesterday"])
def test_parse_date_unparseable_is_none(value: str) -> None:
    assert parse_date(value) is None


def test_json_feed_rfc822_date() -> None:
    body = json.dumps({"items": [{"url": "https://ex.com/a", "date_published": "Tue, 02 Jan 2024 03:04:05 GMT"}]})
    links = parse_feed(body.encode(), "https://ex.com/feed.json")
    assert links[0].published_at == utc(2024, 1, 2, 3, 4, 5)
