"""URL normalization and document ids: one page is one row whatever link reached it."""

from __future__ import annotations

import pytest

from freshdata.crawl.urls import doc_id, host_of, normalize_url, same_host

BASE = "https://base.org/dir/page.html"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://example.com/a#frag", "https://example.com/a"),
        ("https://example.com/#", "https://example.com/"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/a/b/../../../c", "https://example.com/c"),
        ("https://example.com/a//b", "https://example.com/a/b"),
        ("https://example.com/a/b/", "https://example.com/a/b/"),  # a trailing slash is kept
        ("https://example.com", "https://example.com/"),
        ("HTTP://WWW.Example.COM/Path", "http://www.example.com/Path"),  # host lowercased, path untouched
        ("https://example.com:443/x", "https://example.com/x"),
        ("http://example.com:80/x", "http://example.com/x"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://example.com/?utm_source=feed&utm_medium=rss&id=2", "https://example.com/?id=2"),
        ("https://example.com/?fbclid=abc&gclid=1", "https://example.com/"),
        ("https://example.com/?b=2&a=1", "https://example.com/?a=1&b=2"),
        ("  https://example.com/x  ", "https://example.com/x"),
        ("https://example.com/a b", "https://example.com/a%20b"),
    ],
)
def test_normalize_absolute(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("x.html", "https://base.org/dir/x.html"),
        ("../x/y", "https://base.org/x/y"),
        ("/root#section", "https://base.org/root"),
        ("//other.org/p", "https://other.org/p"),
        ("?q=1", "https://base.org/dir/page.html?q=1"),
        ("https://elsewhere.net/z", "https://elsewhere.net/z"),
    ],
)
def test_normalize_relative_with_base(raw: str, expected: str) -> None:
    assert normalize_url(raw, BASE) == expected


@pytest.mark.parametrize(
    "raw",
    ["ftp://example.com/a", "mailto:a@example.com", "javascript:void(0)", "data:text/html,hi", "file:///etc/passwd",
     "/relative/without/base", "", "http://"],
)
def test_non_http_or_hostless_is_none(raw: str) -> None:
    assert normalize_url(raw) is None


def test_fragment_only_link_resolves_to_base() -> None:
    assert normalize_url("#top", BASE) == "https://base.org/dir/page.html"


def test_normalize_is_idempotent() -> None:
    for raw in ["HTTP://Example.com/a/../b?utm_source=x&z=1&a=2#f", "https://example.com/a%20b/", "https://x.org"]:
        once = normalize_url(raw)
        assert once is not None
        assert normalize_url(once) == once


def test_doc_id_stable_and_shaped() -> None:
    url = "https://example.com/a"
    assert doc_id(url) == doc_id(url)
    assert len(doc_id(url)) == 32
    assert all(c in "0123456789abcdef" for c in doc_id(url))
    assert doc_id(url) != doc_id("https://example.com/b")


def test_doc_id_is_sha256_prefix() -> None:
    import hashlib

    url = "https://example.com/a"
    assert doc_id(url) == hashlib.sha256(url.encode()).hexdigest()[:32]


def test_same_url_by_different_links_has_one_id() -> None:
    variants = ["https://Example.com/a/./b?utm_campaign=x#top", "https://example.com/a/b", "b?utm_source=y"]
    ids = {doc_id(normalize_url(v, "https://example.com/a/") or "") for v in variants}
    assert len(ids) == 1


def test_host_helpers() -> None:
    assert host_of("https://EXAMPLE.com:8080/x") == "example.com"
    assert host_of("not a url") == ""
    assert same_host("https://Example.com/a", "https://example.com/b")
    assert not same_host("https://example.com/a", "https://example.com:8080/b")
    assert not same_host("https://a.example.com/", "https://example.com/")
