"""Fetch-path units: throttle math, Retry-After, decoders, sniffing, charsets, opt-out parsing."""

from __future__ import annotations

import asyncio
import gzip
import time
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import brotli
import pytest
import zstandard

from freshdata.crawl.content import TooLarge, gunzip_capped
from freshdata.crawl.fetch import (
    _Brotli,
    _Chain,
    _Zlib,
    _Zstd,
    detect_encoding,
    looks_binary,
    opt_out_reason,
)
from freshdata.crawl.throttle import Throttle, autothrottle_delay, backoff_s, parse_retry_after

AI = ["GPTBot", "CCBot"]


def test_autothrottle_follows_latency() -> None:
    # Scrapy: new = max(target, (current + target) / 2), clamped to [min, max]
    assert autothrottle_delay(1.0, 3.0, 200, min_delay=0.5, max_delay=10) == 3.0
    assert autothrottle_delay(4.0, 1.0, 200, min_delay=0.5, max_delay=10) == 2.5
    assert autothrottle_delay(1.0, 0.01, 200, min_delay=0.5, max_delay=10) == 0.505
    assert autothrottle_delay(1.0, 100.0, 200, min_delay=0.5, max_delay=10) == 10
    # never below the configured / crawl-delay minimum
    assert autothrottle_delay(2.0, 0.0, 200, min_delay=2.0, max_delay=10) == 2.0
    # non-200 may not lower the delay
    assert autothrottle_delay(4.0, 0.1, 404, min_delay=0.5, max_delay=10) == 4.0
    assert autothrottle_delay(1.0, 3.0, 404, min_delay=0.5, max_delay=10) == 3.0


def test_autothrottle_slows_down_on_429_503() -> None:
    assert autothrottle_delay(1.0, 0.01, 429, min_delay=0.0, max_delay=10) == 2.0
    assert autothrottle_delay(8.0, 0.01, 503, min_delay=0.0, max_delay=10) == 10
    assert autothrottle_delay(0.0, 0.01, 503, min_delay=0.0, max_delay=10) == 0.5


def test_backoff_and_retry_after() -> None:
    assert [backoff_s(i) for i in range(4)] == [0.5, 1.0, 2.0, 4.0]
    assert backoff_s(20) == 30.0
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=90), usegmt=True), now) == 0.0


def test_throttle_budget_crawl_delay_and_spacing() -> None:
    async def run() -> float:
        t = Throttle(per_host_delay_s=0.1, per_host_concurrency=1, max_concurrency=4,
                     autothrottle=True, autothrottle_max_delay_s=5, max_requests_per_host=2)
        assert t.take_budget("a") and t.take_budget("a") and not t.take_budget("a")
        assert t.take_budget("b")
        t.set_min_delay("a", 0.05)  # smaller than per_host_delay_s: ignored
        assert t.slot("a").min_delay == 0.1
        t.set_min_delay("a", 0.2)  # larger Crawl-delay wins
        assert t.slot("a").min_delay == 0.2 and t.slot("a").delay == 0.2
        t.observe("a", 0.0, 200)
        assert t.slot("a").delay == 0.2  # floor holds
        start = time.monotonic()
        for _ in range(3):
            await t.wait_turn("a")
        return time.monotonic() - start

    assert asyncio.run(run()) >= 0.38


def test_throttle_back_off_and_crawl_delay_move_a_turn_already_booked() -> None:
    """A Retry-After/back-off that arrives while a request sleeps for its turn still holds it back, and a
    robots.txt Crawl-delay learnt after robots.txt went out lengthens the gap that request booked."""

    async def run() -> tuple[float, float]:
        t = Throttle(per_host_delay_s=0.05, per_host_concurrency=2, max_concurrency=4,
                     autothrottle=False, autothrottle_max_delay_s=5, max_requests_per_host=100)
        await t.wait_turn("a")
        t.sending("a")  # robots.txt goes out: the next turn is booked 0.05 s later
        t.set_min_delay("a", 0.2)  # its Crawl-delay
        start = time.monotonic()
        await t.wait_turn("a")
        after_crawl_delay = time.monotonic() - start
        sleeper = asyncio.ensure_future(t.wait_turn("a"))  # sleeps ~0.2 s for its turn
        await asyncio.sleep(0.05)
        t.push_back("a", 0.4)  # a 503 with Retry-After: 0.4 meanwhile
        start = time.monotonic()
        await sleeper
        return after_crawl_delay, time.monotonic() - start

    after_crawl_delay, after_back_off = asyncio.run(run())
    assert after_crawl_delay >= 0.19
    assert after_back_off >= 0.39


def _run(dec: object, data: bytes, cap: int) -> tuple[bytes, int]:
    out = bytearray()
    biggest = 0
    for i in range(0, len(data), 65536):
        for chunk in _Chain([dec]).feed(data[i : i + 65536]):  # type: ignore[list-item]
            biggest = max(biggest, len(chunk))
            out += chunk
            if len(out) > cap:
                return bytes(out), biggest
    return bytes(out), biggest


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate", "br", "zstd"])
def test_decoders_roundtrip_and_bound(coding: str) -> None:
    text = b"hello world " * 1000
    zeros = bytes(50_000_000)
    comp = {
        "gzip": (gzip.compress, lambda: _Zlib(16 + zlib.MAX_WBITS)),
        "deflate": (zlib.compress, lambda: _Zlib(None)),
        "raw-deflate": (_raw, lambda: _Zlib(None)),
        "br": (lambda b: brotli.compress(b, quality=5), _Brotli),
        "zstd": (lambda b: zstandard.ZstdCompressor().compress(b), _Zstd),
    }[coding]
    compress, make = comp
    assert _run(make(), compress(text), 10**9)[0] == text
    out, biggest = _run(make(), compress(zeros), 1_000_000)
    assert 1_000_000 < len(out) < 5_000_000  # stopped near the cap, never inflated it all
    assert biggest <= 2_200_000


def _raw(b: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(b) + c.flush()


def test_gunzip_capped() -> None:
    assert gunzip_capped(gzip.compress(b"<urlset/>"), 100) == b"<urlset/>"
    with pytest.raises(TooLarge):
        gunzip_capped(gzip.compress(bytes(10_000_000)), 1_000_000)


def test_looks_binary() -> None:
    assert looks_binary(b"\x89PNG\r\n\x1a\n....")
    assert looks_binary(b"%PDF-1.7")
    assert looks_binary(b"PK\x03\x04zip")
    assert looks_binary(b"<html>\x00</html>")
    assert not looks_binary(b"<html><body>ok</body></html>")
    assert not looks_binary("<html>é</html>".encode("utf-16"))


def test_detect_encoding() -> None:
    ru = ("Съешь же ещё этих мягких французских булок, да выпей чаю. " * 20).encode("cp1251")
    assert detect_encoding(ru, "utf-8", "document") == "cp1251"
    assert detect_encoding("héllo".encode(), "utf-8", "document") == "utf-8"
    assert detect_encoding("héllo".encode("latin-1"), "iso-8859-1", "document") == "iso8859-1"
    assert detect_encoding(b"plain ascii", None, "document") == "utf-8"
    assert detect_encoding(b"<meta charset='windows-1252'><p>caf\xe9</p>", None, "document") == "cp1252"
    assert detect_encoding(b"x", "no-such-charset", "document") == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbfhi", "latin-1", "document") == "utf-8-sig"


def test_opt_out_reason() -> None:
    def reason(
        headers: list[tuple[str, str]], body: bytes = b"", ai: bool = True, robots: bool = True
    ) -> str | None:
        return opt_out_reason(
            headers, body, our_token="freshdata", ai_agents=AI, respect_robots=robots, respect_ai=ai
        )

    assert reason([("X-Robots-Tag", "noai")]) == "x_robots_tag:noai"
    assert reason([("x-robots-tag", "noindex, nofollow")]) == "x_robots_tag:noindex"
    assert reason([("X-Robots-Tag", "googlebot: noindex")]) is None
    assert reason([("X-Robots-Tag", "freshdata: noindex")]) == "x_robots_tag:noindex"
    assert reason([("X-Robots-Tag", "GPTBot: none")]) == "x_robots_tag:none"
    assert reason([("X-Robots-Tag", "unavailable_after: 2030-01-01")]) is None
    assert reason([("X-Robots-Tag", "nofollow")]) is None
    assert reason([], b'<head><meta name="robots" content="noimageai"></head>') == "meta_robots:noimageai"
    assert reason([], b'<head><meta name="CCBot" content="nofollow,noindex"></head>') == "meta_robots:noindex"
    assert reason([], b"<head></head><body><meta name=robots content=noai></body>") is None  # head only
    assert reason([("X-Robots-Tag", "noai")], ai=False) is None
    assert reason([("X-Robots-Tag", "noindex")], robots=False) is None
