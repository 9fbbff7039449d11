"""A deliberately nasty HTTP server on 127.0.0.1 for the fetch tests.

Every misbehaviour the crawler must survive has a path here. The server runs in daemon
threads and shuts itself down after ``lifetime_s`` even if a test forgets to stop it.
"""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
import zlib
from collections import Counter
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import brotli
import zstandard

BOMB_SIZE = 20_000_000
BIG_SIZE = 20_000_000
CP1251_TEXT = "Привет, мир! Это страница в кодировке Windows-1251. " * 40
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(200)
HTML = b"<!doctype html><html><head><title>ok</title></head><body><p>Hello, polite crawler.</p></body></html>"
SITEMAP = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://example.com/a</loc></url>'
    b"</urlset>"
)
FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    b"<item><link>http://example.com/a</link></item></channel></rss>"
)


@cache
def bomb(coding: str) -> bytes:
    """BOMB_SIZE zero bytes compressed with `coding` (computed once per process)."""
    zeros = bytes(BOMB_SIZE)
    if coding == "gzip":
        return gzip.compress(zeros, compresslevel=9)
    if coding == "deflate":
        return zlib.compress(zeros, 9)
    if coding == "br":
        return brotli.compress(zeros, quality=5)
    if coding == "zstd":
        return zstandard.ZstdCompressor(level=3).compress(zeros)
    raise ValueError(coding)


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # the crawler opens many connections at once

    def __init__(self, robots_mode: str = "normal", lifetime_s: float = 120.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.robots_mode = robots_mode
        self.hits: Counter[str] = Counter()
        self.seen_headers: dict[str, dict[str, str]] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._timer = threading.Timer(lifetime_s, self.stop)
        self._timer.daemon = True

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> HostileServer:
        self._thread.start()
        self._timer.start()
        return self

    def stop(self) -> None:
        if self.stopping.is_set():
            return
        self.stopping.set()
        self._timer.cancel()
        self.shutdown()
        self.server_close()

    def count(self, path: str) -> int:
        with self.lock:
            self.hits[path] += 1
            return self.hits[path]


class _Handler(BaseHTTPRequestHandler):
    server: HostileServer
    protocol_version = "HTTP/1.0"  # close-delimited bodies are allowed; keeps the server simple

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        # the crawler hanging up on us is the expected outcome for most paths
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, TimeoutError):
            self._route()

    def _send(self, status: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None, length: bool = True) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _route(self) -> None:
        srv = self.server
        parts = urlsplit(self.path)
        path = parts.path
        key = self.path
        n = srv.count(key)
        with srv.lock:
            srv.seen_headers[key] = {k.lower(): v for k, v in self.headers.items()}
        if path == "/robots.txt":
            return self._robots()
        if path in ("/ok", "/private/a.htm", "/private/a.htmlx", "/allowed"):
            return self._send(200, HTML)
        if path.startswith("/private/") or path.startswith("/no-ai/"):
            return self._send(200, HTML)  # only reachable if robots.txt was ignored
        if path.startswith("/bomb/"):
            coding = path.rsplit("/", 1)[1]
            return self._send(200, bomb(coding), headers={"Content-Encoding": coding})
        if path == "/gzip-page":
            return self._send(200, gzip.compress(HTML), headers={"Content-Encoding": "gzip"})
        if path == "/br-page":
            return self._send(200, brotli.compress(HTML), headers={"Content-Encoding": "br"})
        if path == "/drip":
            self._send(200, b"", headers={"Content-Length": "60"}, length=False)
            for _ in range(60):
                if srv.stopping.is_set():
                    return None
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(1.0)
            return None
        if path == "/slow-headers":
            time.sleep(30)
            return self._send(200, HTML)
        if path == "/loop/a":
            return self._send(302, b"", headers={"Location": "/loop/b"})
        if path == "/loop/b":
            return self._send(301, b"", headers={"Location": srv.url("/loop/a")})
        if path.startswith("/chain/"):
            i = int(path.rsplit("/", 1)[1])
            return self._send(302, b"", headers={"Location": f"/chain/{i + 1}"})
        if path == "/redirect-private":
            return self._send(302, b"", headers={"Location": f"http://127.0.0.2:{srv.port}/ok"})
        if path == "/redirect-port":
            return self._send(302, b"", headers={"Location": "http://127.0.0.1:1/ok"})
        if path == "/redirect-metadata":
            return self._send(302, b"", headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        if path == "/redirect-file":
            return self._send(302, b"", headers={"Location": "file:///etc/passwd"})
        if path == "/redirect-ok":
            return self._send(301, b"", headers={"Location": "/ok"})
        if path == "/big":
            self._send(200, b"", headers={"Content-Length": str(BIG_SIZE)}, length=False)
            return self._stream(BIG_SIZE)
        if path == "/big-chunked":
            self._send(200, b"", length=False)
            return self._stream(BIG_SIZE)
        if path == "/binary":
            return self._send(200, PNG)
        if path == "/pdf":
            return self._send(200, b"%PDF-1.4\n", ctype="application/pdf")
        if path == "/cp1251":
            body = f"<html><head><title>т</title></head><body><p>{CP1251_TEXT}</p></body></html>"
            return self._send(200, body.encode("cp1251"))
        if path == "/429":
            if n == 1:
                return self._send(429, b"slow down", headers={"Retry-After": "1"})
            return self._send(200, HTML)
        if path == "/429-long":
            return self._send(429, b"go away", headers={"Retry-After": "3600"})
        if path == "/503":
            if n == 1:
                return self._send(503, b"busy")
            return self._send(200, HTML)
        if path == "/meta-noai":
            body = b'<html><head><meta name="robots" content="noai, noimageai"></head><body>x</body></html>'
            return self._send(200, body)
        if path == "/meta-gptbot":
            body = b'<html><head><meta name="GPTBot" content="noindex"></head><body>x</body></html>'
            return self._send(200, body)
        if path == "/meta-noindex":
            body = b"<html><head><meta content='noindex' name='robots'></head><body>x</body></html>"
            return self._send(200, body)
        if path == "/xrobots":
            return self._send(200, HTML, headers={"X-Robots-Tag": "noai"})
        if path == "/xrobots-other":
            return self._send(200, HTML, headers={"X-Robots-Tag": "googlebot: noindex"})
        if path == "/etag":
            if self.headers.get("If-None-Match") == '"v1"':
                return self._send(304, b"", ctype="", headers={"ETag": '"v1"'}, length=False)
            validators = {"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"}
            return self._send(200, HTML, headers=validators)
        if path == "/sitemap.xml.gz":
            return self._send(200, gzip.compress(SITEMAP), ctype="application/gzip")
        if path == "/sitemap-octet.xml.gz":
            return self._send(200, gzip.compress(SITEMAP), ctype="application/octet-stream")
        if path == "/sitemap-bomb.xml.gz":
            return self._send(200, bomb("gzip"), ctype="application/x-gzip")
        if path == "/feed":
            return self._send(200, FEED, ctype="application/rss+xml")
        return self._send(404, b"not here")

    def _stream(self, size: int) -> None:
        chunk = b"<p>" + b"a" * 65_529 + b"</p>"
        sent = 0
        while sent < size and not self.server.stopping.is_set():
            self.wfile.write(chunk)
            sent += len(chunk)

    def _robots(self) -> None:
        mode = self.server.robots_mode
        if mode == "503":
            return self._send(503, b"down", ctype="text/plain")
        if mode == "403":
            return self._send(403, b"no", ctype="text/plain")
        if mode == "404":
            return self._send(404, b"none", ctype="text/plain")
        if mode == "truncated":  # 200, then the connection drops long before Content-Length
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "5000")
            self.end_headers()
            self.wfile.write(b"User-agent: *\nDis")
            self.wfile.flush()
            self.close_connection = True
            return None
        body = (
            "User-agent: *\n"
            "Disallow: /private/*.html$\n"
            "\n"
            "User-agent: GPTBot\n"
            "Disallow: /no-ai/\n"
            "\n"
            f"Sitemap: http://127.0.0.1:{self.server.port}/sitemap.xml.gz\n"
        )
        return self._send(200, body.encode(), ctype="text/plain")
