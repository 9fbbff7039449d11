"""A simulated week of feeds on loopback, crawled hour by hour through the real discovery and fetch code.

`ClockSite` serves RSS feeds whose items appear at publish times the caller chooses, as seen at the site's
simulated clock `now` (set by the driver, no sleeping); feeds answer conditional GETs (ETag and Last-Modified)
with 304. `simulate` runs `discover_day` and `fetch_day` once per simulated hour with the hour as the as-of time.
Each run is its own partition (partition dates are run ordinals: the daily partitions stand in for the intraday
runs, so every run's discovery, fetch and source_checks rows are separate and decide from earlier runs only).
Latency is publish time → the as-of time of the run that first discovered the item.

Used by freshdata_tests/test_recheck.py (short runs) and benchmarks/bench_recheck.py (the week).
"""

from __future__ import annotations

import hashlib
import random
import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from freshdata import schema
from freshdata.config import parse_sources
from freshdata.crawl.daily import discover_day, fetch_day
from freshdata.demo.site import LoopbackSite

HOUR = timedelta(hours=1)
START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday, 00:00 UTC
FIRST_PARTITION = date(2024, 1, 1)
FEED_ITEMS = 20  # a feed lists its newest items only, as real feeds do
PERIODS = {"hourly": HOUR, "daily": 24 * HOUR, "weekly": 168 * HOUR}
BACKLOG = 3  # items each feed already has before the simulation starts (not counted in latency)


def publish_times(hours: int, seed: int = 18) -> dict[str, list[datetime]]:
    """Per feed, one item in every period (hour, day, week) at a random moment of it, plus a backlog before START."""
    rng = random.Random(seed)
    out = {}
    for name, period in PERIODS.items():
        n = -(-hours * HOUR // period)  # the periods that start within the simulated time
        out[name] = [START + period * i + rng.uniform(0, 1) * period for i in range(-BACKLOG, n)]
    return out


class ClockSite(LoopbackSite):
    """Feeds at /<feed>/feed.xml and their items at /<feed>/item-<i>.html, as of the simulated `now`."""

    def __init__(self, feeds: dict[str, list[datetime]]) -> None:
        self.feeds = feeds
        self.now = START
        self.requests: list[tuple[str, int]] = []  # (path, status) of every request
        super().__init__()

    def _items(self, feed: str) -> list[tuple[int, datetime]]:
        listed = [(i, t) for i, t in enumerate(self.feeds[feed]) if t <= self.now]
        return listed[-FEED_ITEMS:]

    def _rss(self, feed: str) -> tuple[bytes, datetime]:
        items = self._items(feed)
        entries = "".join(f"<item><title>{feed} item {i}</title><link>{self.base}/{feed}/item-{i}.html</link>"
                          f"<pubDate>{format_datetime(t)}</pubDate></item>" for i, t in reversed(items))
        body = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{feed}</title>'
                f"<link>{self.base}/{feed}/</link><description>{feed}</description>{entries}</channel></rss>")
        return body.encode(), items[-1][1] if items else START

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = handler.path.strip("/").split("/")
        status, body, headers = 404, b"not found", {"Content-Type": "text/plain"}
        if handler.path == "/robots.txt":
            status, body = 200, b"User-agent: *\nAllow: /\n"
        elif len(parts) == 2 and parts[0] in self.feeds and parts[1] == "feed.xml":
            body, modified = self._rss(parts[0])
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            headers = {"Content-Type": "application/rss+xml", "ETag": etag,
                       "Last-Modified": format_datetime(modified, usegmt=True)}
            since = handler.headers.get("If-Modified-Since")
            fresh = handler.headers.get("If-None-Match") == etag or (
                since is not None and handler.headers.get("If-None-Match") is None
                and parsedate_to_datetime(since) >= modified.replace(microsecond=0))
            status = 304 if fresh else 200
        elif len(parts) == 2 and parts[0] in self.feeds and parts[1].startswith("item-"):
            index = int(parts[1].removeprefix("item-").removesuffix(".html"))
            if index < len(self.feeds[parts[0]]) and self.feeds[parts[0]][index] <= self.now:
                status, headers = 200, {"Content-Type": "text/html; charset=utf-8"}
                body = (f"<html><head><title>{parts[0]} item {index}</title></head><body><article><h1>Item {index}"
                        f"</h1><p>Story number {index} of the {parts[0]} desk, published on schedule.</p>"
                        "</article></body></html>").encode()
        self.requests.append((handler.path, status))
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if status == 304:
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


@dataclass
class FeedResult:
    requests: int = 0  # feed requests (200 and 304)
    not_modified: int = 0
    published: int = 0  # items published during the run, up to its last as-of time
    latencies_h: list[float] = field(default_factory=list)  # publish → first discovered, of those found

    @property
    def p50_h(self) -> float | None:
        return statistics.median(self.latencies_h) if self.latencies_h else None

    @property
    def p90_h(self) -> float | None:
        return statistics.quantiles(self.latencies_h, n=10)[-1] if len(self.latencies_h) > 1 else self.p50_h


def sources_for(site: ClockSite, recheck: dict[str, str]) -> dict:
    return {
        "crawl": {"per_host_delay_s": 0, "per_host_concurrency": 4, "timeout_s": 5, "max_retries": 0,
                  "autothrottle": False, "private_hosts_allowed": [f"127.0.0.1:{site.port}"]},
        "recheck": recheck,
        "sources": [{"name": name, "kind": "feed", "url": f"{site.base}/{name}/feed.xml"} for name in site.feeds],
    }


def simulate(home: Path, recheck: dict[str, str], hours: int, site: ClockSite | None = None,
             ) -> dict[str, FeedResult]:
    """Crawl a ClockSite (default: a new one with `publish_times(hours)`) once per simulated hour for `hours`
    hours; per feed, its feed requests and the latencies of the items published during the run."""
    if site is None:
        with ClockSite(publish_times(hours)) as new_site:
            return simulate(home, recheck, hours, new_site)
    feeds = site.feeds
    con = schema.connect(home)
    as_of: dict[date, datetime] = {}
    try:
        sources = parse_sources(sources_for(site, recheck), "recheck simulation")
        site.requests = []
        for hour in range(hours):
            day = FIRST_PARTITION + timedelta(days=hour)
            site.now = as_of[day] = START + hour * HOUR
            discover_day(con, day, sources, home / "raw", as_of=site.now, run_every=HOUR)
            fetch_day(con, day, sources, home / "raw")
        requests = list(site.requests)
        first_seen = con.execute("SELECT url, min(partition_date) FROM discovered_urls GROUP BY url").fetchall()
    finally:
        con.close()
    last = START + (hours - 1) * HOUR
    results = {name: FeedResult(published=sum(START <= t <= last for t in times)) for name, times in feeds.items()}
    for path, status in requests:
        name, _, leaf = path.strip("/").partition("/")
        if leaf == "feed.xml":
            results[name].requests += 1
            results[name].not_modified += status == 304
    for url, day in first_seen:
        name, _, leaf = url.split("/", 3)[3].partition("/")
        published = feeds[name][int(leaf.removeprefix("item-").removesuffix(".html"))]
        if published >= START:
            results[name].latencies_h.append((as_of[day] - published) / HOUR)
    return results


def total(results: dict[str, FeedResult]) -> FeedResult:
    out = FeedResult()
    for r in results.values():
        out.requests += r.requests
        out.not_modified += r.not_modified
        out.published += r.published
        out.latencies_h += r.latencies_h
    return out
