"""Bounded memory in the fetch stage: fetch_many hands results to a slow consumer without queueing them all,
and discovery loads validators only for the URLs it asks. Loopback only."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pytest

from freshdata import schema
from freshdata.config import CrawlConfig
from freshdata.crawl.daily import _validators
from freshdata.crawl.fetch import FetchRequest, FetchResult, fetch_many

PAGE = b"<html><head><title>t</title></head><body><p>" + b"word " * 2000 + b"</p></body></html>"


@pytest.fixture(scope="module")
def server():
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            status, body = (404, b"") if self.path == "/robots.txt" else (200, PAGE)
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.handle_error = lambda *args: None  # the failing-consumer test drops connections on purpose
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def _cfg(port: int, **kw) -> CrawlConfig:
    return CrawlConfig(per_host_delay_s=0, autothrottle=False, max_retries=0, timeout_s=5,
                       private_hosts_allowed=[f"127.0.0.1:{port}"], **kw)


def _run(server, n: int, delay_s: float, **kw):
    base, port = server
    requests = [FetchRequest(f"{base}/p/{i}.html", "s", "document") for i in range(n)]
    lock = threading.Lock()
    state = {"received": 0, "handled": 0, "most_waiting": 0}

    def on_result(result: FetchResult) -> None:  # on the loop, as each result completes
        with lock:
            state["received"] += 1
            state["most_waiting"] = max(state["most_waiting"], state["received"] - state["handled"])

    def handle(result: FetchResult) -> str:  # a slow consumer (a slow disk)
        time.sleep(delay_s)
        with lock:
            state["handled"] += 1
        return result.url

    cfg = _cfg(port, per_host_concurrency=4, max_concurrency=4)
    batch = fetch_many(requests, cfg, on_result, handle=handle, **kw)
    return requests, batch, state


def test_a_slow_consumer_pauses_the_fetcher_instead_of_queueing_every_body(server) -> None:
    requests, batch, state = _run(server, 60, 0.02, max_pending=2)
    # at most max_pending - 1 queued when an exchange starts, plus one per global slot (4) that was in flight
    assert state["most_waiting"] <= 2 + 4, state
    assert batch.handled == [r.url for r in requests]  # what handle returned, in request order
    assert batch.results == []  # no FetchResult (nor its body) is kept once handled


def test_without_the_bound_the_same_run_queues_far_more(server) -> None:
    _, _, state = _run(server, 60, 0.02, max_pending=1000)
    assert state["most_waiting"] > 6, state  # the test above measures something


def test_default_bound_is_max_concurrency(server) -> None:
    _, batch, state = _run(server, 40, 0.02)
    assert state["most_waiting"] <= 4 + 4, state
    assert len(batch.handled) == 40


def test_a_failing_consumer_stops_the_whole_call(server) -> None:
    base, port = server
    requests = [FetchRequest(f"{base}/p/{i}.html", "s", "document") for i in range(30)]
    calls = []

    def handle(result: FetchResult) -> None:
        calls.append(result.url)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", "/x/raw")

    with pytest.raises(OSError, match="No space left"):
        fetch_many(requests, _cfg(port), handle=handle)
    assert len(calls) < 30


def test_without_a_consumer_results_are_returned_as_before(server) -> None:
    base, port = server
    batch = fetch_many([FetchRequest(f"{base}/a.html", "s", "document")], _cfg(port))
    assert [r.state for r in batch.results] == ["fetched"] and batch.results[0].body == PAGE
    assert batch.handled == []


def test_validators_are_loaded_only_for_the_urls_asked(tmp_path) -> None:
    con = duckdb.connect(str(tmp_path / "v.duckdb"))
    schema.ensure_schema(con)
    day = date(2026, 1, 5)
    rows = [  # url, day, state, etag, last_modified, fetched_at hour
        ("https://a.example/rss.xml", date(2026, 1, 1), "fetched", '"a1"', None, 1),
        ("https://a.example/rss.xml", date(2026, 1, 2), "fetched", '"a2"', "Fri, 02 Jan 2026 00:00:00 GMT", 2),
        ("https://a.example/rss.xml", date(2026, 1, 3), "failed", '"bad"', None, 3),
        ("https://a.example/rss.xml", date(2026, 1, 5), "fetched", '"today"', None, 4),  # not before the day
        ("https://b.example/sitemap.xml", date(2026, 1, 2), "fetched", None, "Thu, 01 Jan 2026 00:00:00 GMT", 1),
        ("https://c.example/page.html", date(2026, 1, 2), "fetched", '"c"', None, 1),  # not asked
        ("https://d.example/feed.json", date(2026, 1, 2), "fetched", None, None, 1),  # no validator
    ]
    for url, d, state, etag, modified, hour in rows:
        con.execute("INSERT INTO fetch_log (partition_date, stage, source, kind, url, state, etag, last_modified, "
                    "fetched_at) VALUES (?, 'discovery', 's', 'feed', ?, ?, ?, ?, ?)",
                    [d, url, state, etag, modified, datetime(2026, 1, d.day, hour, tzinfo=UTC)])
    asked = ["https://a.example/rss.xml", "https://b.example/sitemap.xml", "https://d.example/feed.json",
             "https://e.example/new.xml"]
    assert _validators(con, day, asked) == {
        "https://a.example/rss.xml": ('"a2"', "Fri, 02 Jan 2026 00:00:00 GMT"),
        "https://b.example/sitemap.xml": (None, "Thu, 01 Jan 2026 00:00:00 GMT"),
    }
    assert _validators(con, day, []) == {}
