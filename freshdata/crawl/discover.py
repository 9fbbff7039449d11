"""Turn a fetched feed, sitemap or seed page into candidate URLs, keeping their dates.

trafilatura's feed and sitemap helpers drop dates, so feeds go through feedparser and sitemaps
through a small lxml parser of our own. All functions are pure: bytes in, links out.
"""

from __future__ import annotations

import io
import re
import zlib
from calendar import timegm
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import feedparser
import lxml.etree as etree
import lxml.html

from freshdata.crawl.content import TooLarge, gunzip_capped
from freshdata.crawl.urls import normalize_url, same_host

MAX_SITEMAP_BYTES = 50_000_000  # the sitemaps.org limit for one uncompressed file


class DiscoveryError(ValueError):
    """The document is not a feed/sitemap/page we can read; the message says why."""


@dataclass(frozen=True)
class Link:
    url: str  # normalized
    published_at: datetime | None = None


@dataclass(frozen=True)
class SitemapParse:
    links: list[Link]
    child_sitemaps: list[Link]  # from a <sitemapindex>


def parse_feed(body: bytes, base_url: str) -> list[Link]:
    """RSS 0.9x/1.0/2.0, Atom and JSON Feed entries, each with its published (else updated) date."""
    if body.lstrip()[:1] in (b"{", b"["):
        return _parse_json_feed(body, base_url)
    parsed = feedparser.parse(body, response_headers={"content-location": base_url})
    if parsed.bozo and not parsed.entries:
        raise DiscoveryError(f"not a feed: {type(parsed.bozo_exception).__name__}: {parsed.bozo_exception}")
    links: list[Link] = []
    for entry in parsed.entries:
        href = entry.get("link") or _first_alternate(entry)
        url = normalize_url(href, base_url) if href else None
        if url:
            stamp = entry.get("published_parsed") or entry.get("updated_parsed")
            links.append(Link(url, datetime.fromtimestamp(timegm(stamp), UTC) if stamp else None))
    return links


def _first_alternate(entry: dict) -> str | None:
    for link in entry.get("links", []):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link["href"]
    return None


def _parse_json_feed(body: bytes, base_url: str) -> list[Link]:
    import json

    try:
        data = json.loads(body)
    except ValueError as exc:
        raise DiscoveryError(f"not a JSON feed: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise DiscoveryError("not a JSON feed: no 'items' list")
    links: list[Link] = []
    for item in data["items"]:
        if not isinstance(item, dict):
            continue
        href = item.get("url") or item.get("external_url")
        ident = item.get("id")
        if not href and isinstance(ident, str) and re.match(r"^https?://", ident):  # id is opaque unless a URL
            href = ident
        url = normalize_url(str(href), base_url) if href else None
        if url:
            links.append(Link(url, parse_date(item.get("date_published") or item.get("date_modified"))))
    return links


def parse_date(value: object) -> datetime | None:
    """W3C datetime / ISO 8601 / RFC 822 → aware UTC datetime, None when unparseable."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            stamp = parsedate_to_datetime(text)  # RFC 822 / 2822, as in RSS pubDate
        except (TypeError, ValueError, IndexError):
            return None
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).astimezone(UTC)


def maybe_gunzip(body: bytes, limit: int = MAX_SITEMAP_BYTES) -> bytes:
    """Decompress a gzip body with a hard cap on the output (a sitemap.xml.gz can be a bomb)."""
    if body[:2] != b"\x1f\x8b":
        return body
    try:
        return gunzip_capped(body, limit)
    except zlib.error as exc:
        raise DiscoveryError(f"corrupt gzip body: {exc}") from None
    except TooLarge:
        raise DiscoveryError(f"gzip sitemap expands beyond {limit} bytes") from None


def parse_sitemap(body: bytes, base_url: str) -> SitemapParse:
    """A <urlset> or <sitemapindex>, plain or gzipped, with <lastmod> kept."""
    data = maybe_gunzip(body)
    if not data.lstrip().startswith(b"<"):
        raise DiscoveryError("not an XML sitemap")
    links: list[Link] = []
    children: list[Link] = []
    parser_args = {"resolve_entities": False, "no_network": True, "huge_tree": False, "recover": True}
    try:
        for _, elem in etree.iterparse(io.BytesIO(data), events=("end",), **parser_args):
            tag = etree.QName(elem).localname if isinstance(elem.tag, str) else ""
            if tag not in ("url", "sitemap"):
                continue
            loc = lastmod = None
            for child in elem:
                if not isinstance(child.tag, str):
                    continue
                name = etree.QName(child).localname
                if name == "loc":
                    loc = (child.text or "").strip()
                elif name == "lastmod":
                    lastmod = (child.text or "").strip()
            url = normalize_url(loc, base_url) if loc else None
            if url:
                (links if tag == "url" else children).append(Link(url, parse_date(lastmod)))
            elem.clear()
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError(f"bad sitemap XML: {exc}") from None
    if not links and not children and b"urlset" not in data[:2048] and b"sitemapindex" not in data[:2048]:
        raise DiscoveryError("no <urlset> or <sitemapindex> found")
    return SitemapParse(links, children)


def parse_seed_page(body: bytes, base_url: str, encoding: str | None = None) -> list[Link]:
    """Same-host links of a seed page, in document order, without duplicates."""
    try:
        text = body.decode(encoding or "utf-8", errors="replace")
    except LookupError:  # an encoding name the codec registry does not know
        text = body.decode("utf-8", errors="replace")
    try:
        root = lxml.html.fromstring(text, base_url=base_url)
    except (etree.ParserError, ValueError) as exc:
        raise DiscoveryError(f"unparseable seed page: {exc}") from None
    seen: dict[str, Link] = {}
    for element in root.iter("a"):
        href = element.get("href")
        url = normalize_url(href, base_url) if href else None
        if url and same_host(url, base_url) and url not in seen and url != normalize_url(base_url):
            seen[url] = Link(url)
    return list(seen.values())

