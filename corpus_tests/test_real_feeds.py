"""Discovery on real feeds and sitemaps of ../shared/corpus/feeds (see corpus_tests/conftest.py)."""

from __future__ import annotations

import pytest
from conftest import CORPUS

from freshdata.crawl.discover import parse_feed, parse_sitemap
from freshdata_tests.test_discover import _assert_aware_utc, utc


def _corpus(name: str) -> bytes:
    return (CORPUS / "feeds" / name).read_bytes()


@pytest.mark.parametrize(("name", "minimum"), [("feed.json", 20), ("feed1.atom", 1), ("feed2.rss", 1)])
def test_real_feeds(name: str, minimum: int) -> None:
    links = parse_feed(_corpus(name), "https://example.org/feed")
    assert len(links) >= minimum
    assert all(link.url.startswith(("http://", "https://")) for link in links)
    assert all(link.published_at is not None for link in links)
    _assert_aware_utc(links)
    assert len({link.url for link in links}) == len(links)


def test_real_json_feed_details() -> None:
    links = parse_feed(_corpus("feed.json"), "https://example.org/feed.json")
    assert links[0].url.startswith("https://www.npr.org/2021/10/29/")
    assert links[0].published_at == utc(2021, 10, 29, 14, 26)


@pytest.mark.parametrize("name", ["sitemap.xml", "sitemap.xml.gz"])
def test_real_sitemaps(name: str) -> None:
    parsed = parse_sitemap(_corpus(name), "https://www.sitemaps.org/sitemap.xml")
    assert len(parsed.links) >= 50
    assert parsed.child_sitemaps == []
    assert all(link.published_at is not None for link in parsed.links)
    assert "https://www.sitemaps.org/protocol.html" in {link.url for link in parsed.links}
    _assert_aware_utc(parsed.links)


def test_real_plain_and_gzipped_sitemap_agree() -> None:
    plain = parse_sitemap(_corpus("sitemap.xml"), "https://www.sitemaps.org/sitemap.xml")
    zipped = parse_sitemap(_corpus("sitemap.xml.gz"), "https://www.sitemaps.org/sitemap.xml")
    assert plain == zipped


def test_real_sitemap_index() -> None:
    parsed = parse_sitemap(_corpus("sitemap2.xml"), "http://www.example.com/sitemap.xml")
    assert parsed.links == []
    assert [c.url for c in parsed.child_sitemaps] == ["http://www.example.com/sitemap1.xml.gz",
                                                      "http://www.example.com/sitemap2.xml.gz"]
    assert all(c.published_at is not None for c in parsed.child_sitemaps)
