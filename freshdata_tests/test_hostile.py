"""End-to-end: fetch_many against a hostile server on 127.0.0.1. No traffic leaves loopback."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from freshdata.config import CrawlConfig
from freshdata.crawl.fetch import FetchBatch, FetchRequest, FetchResult, fetch_many
from freshdata_tests.hostile_server import CP1251_TEXT, HTML, SITEMAP, HostileServer

MAX_BYTES = 1_000_000
Batch = tuple[FetchBatch, float]
Servers = dict[str, HostileServer]


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, HostileServer]]:
    started = {
        "main": HostileServer("normal").start(),
        "r503": HostileServer("503").start(),
        "r403": HostileServer("403").start(),
        "rtrunc": HostileServer("truncated").start(),
    }
    try:
        yield started
    finally:
        for srv in started.values():
            srv.stop()


def _cfg(servers: Servers, **over: object) -> CrawlConfig:
    base: dict[str, object] = {
        "per_host_delay_s": 0.0,
        "per_host_concurrency": 16,
        "max_concurrency": 32,
        "timeout_s": 2.0,
        "connect_timeout_s": 1.0,
        "max_bytes": MAX_BYTES,
        "max_redirects": 5,
        "max_retries": 2,
        "max_retry_after_s": 5.0,
        "autothrottle": False,
        "private_hosts_allowed": [f"127.0.0.1:{s.port}" for s in servers.values()],
    }
    base.update(over)
    return CrawlConfig(**base)  # type: ignore[arg-type]


# path, kind, expected state, expected reason
CASES: list[tuple[str, str, str, str | None]] = [
    ("/ok", "document", "fetched", None),
    ("/gzip-page", "document", "fetched", None),
    ("/br-page", "document", "fetched", None),
    ("/bomb/gzip", "document", "failed", "too_large"),
    ("/bomb/br", "document", "failed", "too_large"),
    ("/bomb/zstd", "document", "failed", "too_large"),
    ("/bomb/deflate", "document", "failed", "too_large"),
    ("/drip", "document", "failed", "timeout"),
    ("/loop/a", "document", "failed", "redirect_loop"),
    ("/chain/0", "document", "failed", "too_many_redirects"),
    ("/redirect-private", "document", "blocked_address", "blocked_address:loopback"),
    ("/redirect-port", "document", "blocked_address", "blocked_address:loopback"),
    ("/redirect-metadata", "document", "blocked_address", "blocked_address:link_local"),
    ("/redirect-file", "document", "blocked_address", "blocked_address:scheme"),
    ("/redirect-ok", "document", "fetched", None),
    ("/big", "document", "failed", "too_large"),
    ("/big-chunked", "document", "failed", "too_large"),
    ("/binary", "document", "failed", "binary_content"),
    ("/pdf", "document", "failed", "bad_content_type"),
    ("/cp1251", "document", "fetched", None),
    ("/429", "document", "fetched", None),
    ("/429-long", "document", "failed", "retry_after_too_long"),
    ("/503", "document", "fetched", None),
    ("/private/a.html", "document", "robots_disallowed", "robots_txt"),
    ("/private/a.htm", "document", "fetched", None),
    ("/private/a.htmlx", "document", "fetched", None),
    ("/no-ai/page", "document", "ai_opt_out", "ai_robots_txt"),
    ("/meta-noai", "document", "ai_opt_out", "meta_robots:noai"),
    ("/meta-gptbot", "document", "ai_opt_out", "meta_robots:noindex"),
    ("/meta-noindex", "document", "ai_opt_out", "meta_robots:noindex"),
    ("/xrobots", "document", "ai_opt_out", "x_robots_tag:noai"),
    ("/xrobots-other", "document", "fetched", None),
    ("/missing", "document", "failed", "http_404"),
    ("/sitemap.xml.gz", "sitemap", "fetched", None),
    ("/sitemap-octet.xml.gz", "sitemap", "fetched", None),
    ("/sitemap-bomb.xml.gz", "sitemap", "failed", "too_large"),
    ("/feed", "feed", "fetched", None),
]


@pytest.fixture(scope="module")
def batch(servers: Servers) -> tuple[FetchBatch, float]:
    main = servers["main"]
    requests = [FetchRequest(main.url(path), "hostile", kind) for path, kind, _, _ in CASES]
    requests += [
        FetchRequest(main.url("/etag"), "hostile", "document", etag='"v1"'),
        FetchRequest(main.url("/etag"), "hostile", "document"),
        FetchRequest(servers["r503"].url("/ok"), "hostile", "document"),
        FetchRequest(servers["r503"].url("/other"), "hostile", "document"),
        FetchRequest(servers["r403"].url("/ok"), "hostile", "document"),
        FetchRequest(servers["rtrunc"].url("/ok"), "hostile", "document"),
        FetchRequest("http://127.0.0.2:9/x", "hostile", "document"),
        FetchRequest("http://user:pw@127.0.0.1/x", "hostile", "document"),
        FetchRequest("ftp://127.0.0.1/x", "hostile", "document"),
        FetchRequest("http://[::1", "hostile", "document"),
    ]
    started = time.monotonic()
    result = fetch_many(requests, _cfg(servers))
    return result, time.monotonic() - started


def _by_path(batch: FetchBatch, url_suffix: str, n: int = 0) -> FetchResult:
    return [r for r in batch.results if r.url.endswith(url_suffix)][n]


def test_one_result_per_request_in_order(batch: Batch) -> None:
    result, elapsed = batch
    assert len(result.results) == len(CASES) + 10
    for (path, _, _, _), res in zip(CASES, result.results, strict=False):
        assert res.url.endswith(path)
    assert elapsed < 30


@pytest.mark.parametrize(("path", "kind", "state", "reason"), CASES, ids=[c[0] for c in CASES])
def test_case(batch: Batch, path: str, kind: str, state: str, reason: str | None) -> None:
    res = _by_path(batch[0], path)
    assert (res.state, res.reason) == (state, reason), res.detail
    assert res.fetched_at.tzinfo is not None
    if state == "fetched":
        assert res.body
        assert res.encoding
    else:
        assert res.body is None


def test_decoded_bodies(batch: Batch) -> None:
    result = batch[0]
    assert _by_path(result, "/gzip-page").body == HTML
    assert _by_path(result, "/br-page").body == HTML
    assert _by_path(result, "/sitemap.xml.gz").body == SITEMAP  # we gunzip (capped) for the integrator
    redirected = _by_path(result, "/redirect-ok")
    assert redirected.final_url is not None and redirected.final_url.endswith("/ok")
    assert len(redirected.redirects) == 1


def test_lying_charset(batch: Batch) -> None:
    res = _by_path(batch[0], "/cp1251")
    assert res.encoding == "cp1251"
    assert res.body is not None and CP1251_TEXT[:20] in res.body.decode(res.encoding)


def test_retries(batch: Batch, servers: Servers) -> None:
    main = servers["main"]
    assert main.hits["/429"] == 2
    assert main.hits["/503"] == 2
    assert _by_path(batch[0], "/429-long").http_status == 429
    assert main.hits["/429-long"] == 1


def test_robots_not_ignored(servers: Servers) -> None:
    main = servers["main"]
    assert main.hits["/private/a.html"] == 0
    assert main.hits["/no-ai/page"] == 0
    assert main.hits["/robots.txt"] == 1  # cached per origin per run


def test_conditional_get(batch: Batch, servers: Servers) -> None:
    cond = _by_path(batch[0], "/etag", 0)
    plain = _by_path(batch[0], "/etag", 1)
    states = sorted([(cond.state, cond.http_status), (plain.state, plain.http_status)])
    assert states == [("fetched", 200), ("not_modified", 304)]
    nm = cond if cond.state == "not_modified" else plain
    assert nm.body is None and nm.etag == '"v1"'
    full = plain if nm is cond else cond
    assert full.etag == '"v1"' and full.last_modified


def test_robots_unavailable_and_forbidden(batch: Batch, servers: Servers) -> None:
    result = batch[0]
    for suffix in (f"{servers['r503'].port}/ok", f"{servers['r503'].port}/other"):
        res = _by_path(result, suffix)
        assert (res.state, res.reason) == ("deferred", "robots_unavailable")
        assert res.detail == "robots_http_503"
    assert servers["r503"].hits["/ok"] == 0
    assert servers["r503"].hits["/robots.txt"] == 1
    res = _by_path(result, f"{servers['r403'].port}/ok")
    assert (res.state, res.reason) == ("robots_disallowed", "robots_txt")
    assert servers["r403"].hits["/ok"] == 0


def test_robots_200_with_lost_body_is_no_permission(batch: Batch, servers: Servers) -> None:
    res = _by_path(batch[0], f"{servers['rtrunc'].port}/ok")
    assert (res.state, res.reason) == ("deferred", "robots_unavailable")
    assert servers["rtrunc"].hits["/ok"] == 0
    (record,) = [r for r in batch[0].robots if f":{servers['rtrunc'].port}/" in r.url]
    assert record.state == "failed" and record.body is None


def test_robots_policies_shared_across_calls(servers: Servers) -> None:
    main, r503 = servers["main"], servers["r503"]
    before = main.hits["/robots.txt"], r503.hits["/robots.txt"]
    policies: dict = {}
    for _ in range(2):
        fetch_many([FetchRequest(main.url("/ok"), "hostile", "document"),
                    FetchRequest(r503.url("/ok"), "hostile", "document")], _cfg(servers), robots=policies)
    assert main.hits["/robots.txt"] - before[0] == 1  # decided once, reused by the second call
    assert r503.hits["/robots.txt"] - before[1] == 2  # a 503 is asked again
    assert set(policies) == {f"http://127.0.0.1:{main.port}"}


def test_guarded_urls(batch: Batch) -> None:
    result = batch[0]
    assert _by_path(result, "127.0.0.2:9/x").reason == "blocked_address:loopback"
    assert _by_path(result, "user:pw@127.0.0.1/x").reason == "blocked_address:credentials"
    assert _by_path(result, "ftp://127.0.0.1/x").reason == "blocked_address:scheme"
    assert _by_path(result, "http://[::1").reason == "blocked_address:bad_url"


def test_robots_records_and_sitemaps(batch: Batch, servers: Servers) -> None:
    result = batch[0]
    main = servers["main"]
    assert result.robots_sitemaps["127.0.0.1"] == [main.url("/sitemap.xml.gz")]
    by_url = {r.url: r for r in result.robots}
    ok = by_url[main.url("/robots.txt")]
    assert ok.request.kind == "robots" and ok.state == "fetched" and ok.body
    bad = by_url[servers["r503"].url("/robots.txt")]
    assert bad.state == "failed" and bad.reason == "http_503"


def test_user_agent_sent(servers: Servers) -> None:
    headers = servers["main"].seen_headers["/ok"]
    assert headers["user-agent"].startswith("freshdata/")
    assert "br" in headers["accept-encoding"]
    assert "cookie" not in headers


def test_host_budget(servers: Servers) -> None:
    srv = servers["main"]
    reqs = [FetchRequest(srv.url(f"/ok?b={i}"), "s", "document") for i in range(3)]
    result = fetch_many(reqs, _cfg(servers, max_requests_per_host=2))
    states = [(r.state, r.reason) for r in result.results]
    assert states.count(("fetched", None)) == 2
    assert states.count(("deferred", "host_budget")) == 1


def test_per_host_delay_spaces_requests(servers: Servers) -> None:
    srv = servers["main"]
    tag = uuid.uuid4().hex
    reqs = [FetchRequest(srv.url(f"/ok?d={tag}{i}"), "s", "document") for i in range(3)]
    started = time.monotonic()
    result = fetch_many(reqs, _cfg(servers, per_host_delay_s=0.3))
    assert all(r.state == "fetched" for r in result.results)
    # robots.txt + 3 pages, 0.3 s apart
    assert time.monotonic() - started >= 0.85


def test_slow_headers_bounded(servers: Servers) -> None:
    started = time.monotonic()
    result = fetch_many([FetchRequest(servers["main"].url("/slow-headers"), "s", "document")],
                        _cfg(servers, timeout_s=1.0, max_retries=0))
    assert (result.results[0].state, result.results[0].reason) == ("failed", "timeout")
    assert time.monotonic() - started < 5


def test_respect_flags_off(servers: Servers) -> None:
    srv = servers["main"]
    reqs = [FetchRequest(srv.url(p), "s", "document") for p in ("/no-ai/x", "/meta-noai")]
    result = fetch_many(reqs, _cfg(servers, respect_ai_opt_out=False))
    assert [r.state for r in result.results] == ["fetched", "fetched"]


def test_opt_out_keeps_headers_drops_body(batch: Batch) -> None:
    res = _by_path(batch[0], "/xrobots")
    assert res.body is None and res.http_status == 200
    assert ("X-Robots-Tag", "noai") in res.headers


def test_empty_batch() -> None:
    result = fetch_many([], CrawlConfig())
    assert result.results == [] and result.robots == []
