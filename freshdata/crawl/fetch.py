"""The one fetch path: polite (robots, AI opt-outs, throttling), safe (SSRF guard, caps,
deadlines) and total (every request ends in exactly one state + reason, never an exception).

``fetch_many`` is synchronous and runs its own event loop, so Dagster ops can call it as is.
"""

from __future__ import annotations

import asyncio
import codecs
import concurrent.futures
import http.cookiejar
import re
import ssl
import time
import zlib
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import urljoin, urlsplit

import brotli
import charset_normalizer
import httpcore
import httpx
import zstandard

from freshdata import clock
from freshdata.config import CrawlConfig
from freshdata.crawl.content import TooLarge, codec_name, gunzip_capped, media_type
from freshdata.crawl.netguard import BlockedAddress, DNSFailure, GuardedBackend, check_url, parse_allowed
from freshdata.crawl.robots import ROBOTS_MAX_BYTES, RobotsPolicy, origin_of, product_token, robots_url
from freshdata.crawl.throttle import Throttle, backoff_s, parse_retry_after

T = TypeVar("T")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_REASONS = frozenset({"connect_error", "network_error", "protocol_error"})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset({
    "application/xml", "text/xml", "application/rss+xml", "application/atom+xml", "application/rdf+xml",
    "application/json", "application/feed+json", "text/plain", "application/gzip", "application/x-gzip",
    "application/octet-stream", "binary/octet-stream", "application/x-rss+xml",
})
DECODE_CHUNK = 64 * 1024  # bound on what one decompression call may emit
ZSTD_FEED = 64  # zstd has no output limit per call: feed tiny slices (<= ~2 MB out per call)
ZSTD_MAX_WINDOW = 1 << 24
ROBOTS_MAX_REDIRECTS = 5
META_SCAN_BYTES = 256 * 1024
OPT_OUT_TOKENS = ("noai", "noimageai", "noindex", "none")
_MAGIC = (
    b"\x89PNG", b"%PDF", b"PK\x03\x04", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"BZh", b"\x7fELF",
    b"MZ", b"RIFF", b"OggS", b"7z\xbc\xaf", b"Rar!", b"\x28\xb5\x2f\xfd", b"ID3", b"\x00\x00\x01\x00",
    b"wOFF", b"wOF2", b"\xd0\xcf\x11\xe0",
)


@dataclass(frozen=True)
class FetchRequest:
    """One URL to fetch; etag/last_modified make it a conditional GET."""

    url: str
    source: str
    kind: str  # "feed" | "sitemap" | "seed" | "document" (| "robots", internal)
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class FetchResult:
    """Outcome of one request. ``body`` is only set for state "fetched" (and robots.txt)."""

    request: FetchRequest
    state: str
    reason: str | None
    http_status: int | None
    url: str
    final_url: str | None
    redirects: list[str]
    headers: list[tuple[str, str]]
    body: bytes | None
    encoding: str | None
    fetched_at: datetime
    elapsed_s: float
    etag: str | None = None
    last_modified: str | None = None
    detail: str | None = None  # human-readable extra context (e.g. why robots was unavailable)


@dataclass
class FetchBatch:
    results: list[FetchResult]  # empty when a `handle` function took each result (see `handled`)
    robots: list[FetchResult] = field(default_factory=list)
    robots_sitemaps: dict[str, list[str]] = field(default_factory=dict)
    handled: list[Any] = field(default_factory=list)  # what `handle` returned for each request, in order


# Robots answers worth reusing for the rest of the day; "unavailable" (5xx, network) is asked again.
REUSABLE_ROBOTS_MODES = ("rules", "allow_all", "deny_all")


class _Stop(Exception):
    """Ends a request early with a final state/reason (internal control flow)."""

    def __init__(self, state: str, reason: str, detail: str | None = None) -> None:
        super().__init__(reason)
        self.state, self.reason, self.detail = state, reason, detail


class _HandOff(Exception):
    """The next hop goes to a host this fetcher does not own (internal control flow)."""

    def __init__(self, hop: int) -> None:
        super().__init__(hop)
        self.hop = hop


@dataclass
class Handoff:
    """A request that redirected to a host another fetch shard owns: that shard resumes it at `hop` (the URL is
    the last of `result.redirects`; `result` holds the hops so far and the time they took)."""

    result: FetchResult
    hop: int


@dataclass
class _Attempt:
    """One HTTP exchange (a single hop, a single try)."""

    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    error: str | None = None  # reason code when the exchange itself failed
    state: str = "failed"
    detail: str | None = None
    latency: float = 0.0

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]


# ---------------------------------------------------------------- decoding


class _Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data


class _Zlib:
    """gzip / deflate with bounded output per call (zlib's max_length)."""

    def __init__(self, wbits: int | None) -> None:
        self.wbits = wbits
        self.d: zlib._Decompress | None = None if wbits is None else zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self.d is None:  # "deflate" is zlib-wrapped per RFC, raw in practice: sniff
            if len(data) < 2:
                self.d = zlib.decompressobj(-zlib.MAX_WBITS)
            else:
                zlib_hdr = (data[0] & 0x0F) == 8 and ((data[0] << 8) | data[1]) % 31 == 0
                self.d = zlib.decompressobj(zlib.MAX_WBITS if zlib_hdr else -zlib.MAX_WBITS)
        buf = data
        while not self.d.eof:
            out = self.d.decompress(buf, DECODE_CHUNK)
            if out:
                yield out
            buf = self.d.unconsumed_tail
            if not buf and len(out) < DECODE_CHUNK:
                break


class _Brotli:
    def __init__(self) -> None:
        self.d = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self.d.is_finished():
            return
        out = self.d.process(data, output_buffer_limit=DECODE_CHUNK)
        if out:
            yield out
        while not self.d.is_finished() and not self.d.can_accept_more_data():
            out = self.d.process(b"", output_buffer_limit=DECODE_CHUNK)
            if not out:
                break
            yield out


class _Zstd:
    def __init__(self) -> None:
        self.d = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW).decompressobj()

    def feed(self, data: bytes) -> Iterator[bytes]:
        view = memoryview(data)
        for i in range(0, len(view), ZSTD_FEED):
            if self.d.eof:
                return
            out = self.d.decompress(bytes(view[i : i + ZSTD_FEED]))
            if out:
                yield out


def _decoder_for(coding: str) -> _Decoder | None:
    coding = coding.strip().lower()
    if coding in ("gzip", "x-gzip"):
        return _Zlib(16 + zlib.MAX_WBITS)
    if coding == "deflate":
        return _Zlib(None)
    if coding == "br":
        return _Brotli()
    if coding == "zstd":
        return _Zstd()
    if coding in ("identity", ""):
        return _Identity()
    return None


class _Chain:
    """Undo Content-Encoding layers (last applied first) chunk by chunk."""

    def __init__(self, decoders: list[_Decoder]) -> None:
        self.decoders = decoders

    def feed(self, data: bytes) -> Iterator[bytes]:
        yield from self._feed(0, data)

    def _feed(self, i: int, data: bytes) -> Iterator[bytes]:
        if i == len(self.decoders):
            if data:
                yield data
            return
        for out in self.decoders[i].feed(data):
            yield from self._feed(i + 1, out)


# ---------------------------------------------------------------- content checks


def looks_binary(body: bytes) -> bool:
    """Magic numbers or NUL bytes near the start mean "not a text document"."""
    head = body[:1024]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 BOM: NULs are expected
        return False
    if head.startswith(_MAGIC) or (len(head) > 12 and head[4:8] == b"ftyp"):
        return True
    return b"\x00" in head


def _type_ok(kind: str, mtype: str | None) -> bool:
    if mtype is None:
        return True  # decided by sniffing the body
    if kind in ("seed", "document"):
        return mtype in HTML_TYPES
    if kind in ("feed", "sitemap"):
        return mtype in FEED_TYPES or mtype.endswith(("+xml", "+json")) or mtype in HTML_TYPES
    return True


_META_RE = re.compile(rb"<meta\b[^>]*>", re.I)
_ATTR_RE = re.compile(rb"""([a-zA-Z_:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_XML_ENC_RE = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9._-]+)""", re.I)


def _meta_tags(body: bytes) -> Iterator[dict[str, str]]:
    head = body[:META_SCAN_BYTES]
    end = head.lower().find(b"</head")
    if end != -1:
        head = head[:end]
    for m in _META_RE.finditer(head):
        attrs: dict[str, str] = {}
        for a in _ATTR_RE.finditer(m.group(0)):
            raw = next(g for g in (a.group(2), a.group(3), a.group(4), b"") if g is not None)
            attrs[a.group(1).decode("latin-1").lower()] = raw.decode("latin-1")
        yield attrs


def _tokens(value: str) -> list[str]:
    return [t for t in re.split(r"[\s,]+", value.strip().lower()) if t]


def opt_out_reason(
    headers: list[tuple[str, str]], body: bytes | None, *, our_token: str, ai_agents: list[str],
    respect_robots: bool, respect_ai: bool,
) -> str | None:
    """'x_robots_tag:noai' / 'meta_robots:noindex' when the page opts out, else None.

    noindex/none count when robots are respected; noai/noimageai (and anything addressed to
    an AI-training crawler by name) when AI opt-outs are respected.
    """
    ours = {"robots", our_token.lower()}
    ai = {a.lower() for a in ai_agents}
    scoped_directives = {"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"}

    def verdict(tokens: list[str], addressed_to_ai: bool) -> str | None:
        for tok in OPT_OUT_TOKENS:
            if tok not in tokens:
                continue
            if addressed_to_ai and respect_ai:
                return tok
            if tok in ("noai", "noimageai") and respect_ai:
                return tok
            if tok in ("noindex", "none") and respect_robots and not addressed_to_ai:
                return tok
        return None

    for key, value in headers:
        if key.lower() != "x-robots-tag":
            continue
        agent = None
        m = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*:\s*(.*)$", value)
        if m and m.group(1).lower() not in scoped_directives:
            agent, value = m.group(1).lower(), m.group(2)
        if agent is not None and agent not in ours and agent not in ai:
            continue
        tok = verdict(_tokens(value), agent in ai if agent else False)
        if tok:
            return f"x_robots_tag:{tok}"
    if body:
        for attrs in _meta_tags(body):
            name = attrs.get("name", "").strip().lower()
            if name not in ours and name not in ai:
                continue
            tok = verdict(_tokens(attrs.get("content", "")), name in ai)
            if tok:
                return f"meta_robots:{tok}"
    return None


def detect_encoding(body: bytes, declared: str | None, kind: str) -> str:
    """Declared charset if the body decodes cleanly with it, else charset-normalizer's guess."""
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    candidates = [codec_name(declared)]
    head = body[:4096]
    m = _XML_ENC_RE.match(head)
    if m:
        candidates.append(codec_name(m.group(1).decode("ascii")))
    if kind in ("seed", "document", "feed"):
        m2 = _META_CHARSET_RE.search(head)
        if m2:
            candidates.append(codec_name(m2.group(1).decode("ascii")))
    for cand in candidates:
        if cand is None:
            continue
        try:
            body.decode(cand)
            return cand
        except (UnicodeDecodeError, LookupError):
            continue
    if not any(candidates):
        try:
            body.decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError:
            pass
    best = charset_normalizer.from_bytes(body).best()
    if best is not None and best.encoding:
        return codec_name(best.encoding) or best.encoding
    return "utf-8"  # nothing fits: the consumer decodes with errors="replace"


@dataclass
class Verdict:
    """What a 2xx response's body makes of it: fetched (with the body to keep and its encoding), or the state and
    reason that stop it (binary content, an opt-out, a gzip body over the cap)."""

    state: str
    reason: str | None = None
    detail: str | None = None
    body: bytes | None = None
    encoding: str | None = None


def page_verdict(kind: str, headers: list[tuple[str, str]], body: bytes, cfg: CrawlConfig) -> Verdict:
    """The checks every received 2xx body goes through, whether fetched live or read from a WARC file: gunzip of
    feeds and sitemaps, binary content, the page's own opt-outs (X-Robots-Tag, robots meta, noai), encoding."""
    mtype, charset = media_type(next((v for k, v in headers if k.lower() == "content-type"), None))
    if kind in ("feed", "sitemap") and body.startswith(b"\x1f\x8b"):
        try:
            body = gunzip_capped(body, cfg.max_bytes)
        except TooLarge:
            return Verdict("failed", "too_large", "gzip body over max_bytes")
    if looks_binary(body):
        return Verdict("failed", "binary_content", mtype)
    if kind in ("seed", "document"):
        reason = opt_out_reason(
            headers, body, our_token=product_token(cfg.user_agent), ai_agents=cfg.ai_user_agents,
            respect_robots=cfg.respect_robots, respect_ai=cfg.respect_ai_opt_out,
        )
        if reason:
            return Verdict("ai_opt_out", reason)
    return Verdict("fetched", body=body, encoding=detect_encoding(body, charset, kind))


# ---------------------------------------------------------------- the fetcher


def _error_reason(exc: BaseException) -> tuple[str, str]:
    """(state, reason) for an exception raised during one exchange."""
    if isinstance(exc, BlockedAddress):
        return "blocked_address", f"blocked_address:{exc.category}"
    if isinstance(exc, DNSFailure):
        return "failed", "dns_error"
    if isinstance(exc, TimeoutError | httpx.TimeoutException | httpcore.TimeoutException):
        return "failed", "timeout"
    if isinstance(exc, httpx.ConnectError | httpcore.ConnectError):
        text = str(exc)
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ssl.SSLError) or "SSL" in text or "CERTIFICATE" in text.upper():
            return "failed", "tls_error"
        if "Name or service not known" in text or "nodename nor servname" in text:
            return "failed", "dns_error"
        return "failed", "connect_error"
    if isinstance(exc, ssl.SSLError):
        return "failed", "tls_error"
    if isinstance(exc, httpx.ProtocolError | httpcore.ProtocolError):
        return "failed", "protocol_error"
    if isinstance(exc, httpx.NetworkError | httpcore.NetworkError | OSError):
        return "failed", "network_error"
    if isinstance(exc, zlib.error | brotli.error | zstandard.ZstdError):
        return "failed", "decoding_error"
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return "blocked_address", "blocked_address:bad_url"
    return "failed", f"error:{type(exc).__name__}"


def guarded_client(cfg: CrawlConfig, *, timeout: httpx.Timeout | None = None,
                   headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    """The one HTTP client every request of freshdata goes through: connections pass the SSRF guard (netguard),
    no proxy from the environment, no cookies, no automatic redirects (callers check each hop)."""
    backend = GuardedBackend(
        allow_private=cfg.allow_private_networks, allowed=parse_allowed(cfg.private_hosts_allowed)
    )
    transport = httpx.AsyncHTTPTransport(retries=0)
    # Swap in a pool that connects through the guard: httpx has no public knob for this, so this sets its private
    # `_pool` (httpx pinned in pyproject.toml; freshdata_tests/test_private_apis.py fails when it changes).
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=cfg.max_concurrency * 2,
        max_keepalive_connections=cfg.max_concurrency,
        keepalive_expiry=5.0,
        http1=True,
        http2=False,
        retries=0,
        network_backend=backend,
    )
    no_cookies = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        transport=transport,
        trust_env=False,  # an env proxy would bypass the address guard
        follow_redirects=False,
        cookies=no_cookies,
        timeout=timeout or httpx.Timeout(cfg.timeout_s, connect=cfg.connect_timeout_s),
        headers={"User-Agent": cfg.user_agent, "Accept-Encoding": "gzip, deflate, br, zstd", **(headers or {})},
    )


def host_key(url: str) -> str:
    """The host the throttle (delay, concurrency, budget, back-off) keys on; fetch shards are assigned by it."""
    return (urlsplit(url).hostname or "").lower()


class Fetcher:
    """Shared state for one fetch_many call (or one fetch shard): client, robots cache, throttle.

    `owns` (a fetch shard's) says which hosts this fetcher may talk to: a redirect to any other host is handed
    off (`Handoff`) to the host's owner instead of followed here, and a robots.txt redirect to one is sent by its
    owner through `robots_elsewhere` (its `robots_request`), so each host's politeness lives in one place.
    """

    def __init__(self, cfg: CrawlConfig, robots: dict[str, RobotsPolicy] | None = None,
                 owns: Callable[[str], bool] | None = None,
                 robots_elsewhere: Callable[[str], Awaitable[_Attempt]] | None = None) -> None:
        self.cfg = cfg
        self.owns, self.robots_elsewhere = owns, robots_elsewhere
        self.token = product_token(cfg.user_agent)
        self.robots_cache: dict[str, asyncio.Task[RobotsPolicy]] = {}
        # origin -> policy decided earlier the same day; shared with the caller, who passes it to the next call
        self.known_robots: dict[str, RobotsPolicy] = robots if robots is not None else {}
        self.robots_results: list[FetchResult] = []
        self.robots_sitemaps: dict[str, list[str]] = {}
        # Backpressure: results handed to a slower consumer (the archive writer) and not yet taken. While
        # `max_pending` of them wait, no new exchange starts (see `_room`).
        self.max_pending: int | None = None
        self.pending = 0
        self._room_freed = asyncio.Event()
        self.throttle = Throttle(
            per_host_delay_s=cfg.per_host_delay_s, per_host_concurrency=cfg.per_host_concurrency,
            max_concurrency=cfg.max_concurrency, autothrottle=cfg.autothrottle,
            autothrottle_max_delay_s=cfg.autothrottle_max_delay_s,
            max_requests_per_host=cfg.max_requests_per_host,
        )
        self.client = guarded_client(cfg)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _room(self) -> None:
        """Wait while `max_pending` results wait for the consumer. Called holding the host and global slots,
        right before an exchange: so at most max_pending - 1 + max_concurrency results are ever queued, and
        max_concurrency more are being received."""
        while self.max_pending is not None and self.pending >= self.max_pending:
            self._room_freed.clear()
            await self._room_freed.wait()

    def _taken(self) -> None:
        """The consumer took one pending result."""
        self.pending -= 1
        self._room_freed.set()

    # -- one exchange -----------------------------------------------------------

    async def exchange(self, url: str, kind: str, headers: dict[str, str]) -> _Attempt:
        """One GET under the total deadline; reads the body only when it will be used."""
        att = _Attempt()
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.cfg.timeout_s):
                request = self.client.build_request("GET", url, headers=headers)
                response = await self.client.send(request, stream=True)
                try:
                    att.status = response.status_code
                    raw_headers = response.headers.raw
                    att.headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw_headers]
                    if kind == "robots" and 200 <= response.status_code < 300:
                        att.body = await self._read(response, ROBOTS_MAX_BYTES, truncate=True)
                    elif 200 <= response.status_code < 300:
                        mtype, _ = media_type(response.headers.get("content-type"))
                        if not _type_ok(kind, mtype):
                            raise _Stop("failed", "bad_content_type", mtype)
                        att.body = await self._read(response, self.cfg.max_bytes, truncate=False)
                finally:
                    await response.aclose()
        except _Stop as stop:
            att.state, att.error, att.detail = stop.state, stop.reason, stop.detail
        except Exception as exc:  # noqa: BLE001 - every failure becomes a reason code
            att.state, att.error = _error_reason(exc)
            att.detail = f"{type(exc).__name__}: {exc}"[:300]
        att.latency = time.monotonic() - started
        return att

    async def _read(self, response: httpx.Response, cap: int, *, truncate: bool) -> bytes:
        """Stream, decompress and cap the body; over the cap is too_large (or cut for robots)."""
        length = response.headers.get("content-length")
        if not truncate and length and length.strip().isdigit() and int(length) > cap:
            raise _Stop("failed", "too_large", f"Content-Length {length}")
        codings = [c for c in response.headers.get_list("content-encoding", split_commas=True) if c.strip()]
        decoders: list[_Decoder] = []
        for coding in reversed(codings):
            dec = _decoder_for(coding)
            if dec is None:
                raise _Stop("failed", "bad_content_encoding", coding)
            decoders.append(dec)
        chain = _Chain(decoders)
        out = bytearray()
        async for raw in response.aiter_raw(DECODE_CHUNK):
            for chunk in chain.feed(raw):
                out += chunk
                if len(out) > cap:
                    if truncate:
                        return bytes(out[:cap])
                    raise _Stop("failed", "too_large", f"body over {cap} bytes")
        return bytes(out)

    # -- robots -------------------------------------------------------------------

    async def robots_for(self, url: str) -> RobotsPolicy:
        """The (cached, fetched once per origin per run) robots policy for url's origin."""
        origin = origin_of(url)
        task = self.robots_cache.get(origin)
        if task is None:
            known = self.known_robots.get(origin)
            task = asyncio.ensure_future(self._reuse_robots(url, known) if known else self._load_robots(url))
            self.robots_cache[origin] = task
        return await asyncio.shield(task)

    async def _reuse_robots(self, url: str, policy: RobotsPolicy) -> RobotsPolicy:
        """A policy already decided today: no second robots.txt request, same Crawl-delay."""
        self.throttle.set_min_delay(host_key(url), policy.crawl_delay(self.cfg.user_agent))
        return policy

    async def _load_robots(self, url: str) -> RobotsPolicy:
        target = robots_url(url)
        req = FetchRequest(url=target, source="robots", kind="robots")
        fetched_at = clock.now()
        started = time.monotonic()
        redirects: list[str] = []
        current = target
        att = _Attempt()
        policy: RobotsPolicy
        for _hop in range(ROBOTS_MAX_REDIRECTS + 1):
            bad = check_url(current)
            if bad:
                att = _Attempt(state="blocked_address", error=f"blocked_address:{bad}")
                break
            if self.owns is None or self.owns(current) or self.robots_elsewhere is None:
                att = await self.robots_request(current)
            else:  # a robots.txt that redirected to another shard's host: that shard sends the request
                att = await self.robots_elsewhere(current)
            loc = att.header("location")
            if att.status is not None and 300 <= att.status < 400 and loc:
                current = urljoin(current, loc.strip())
                redirects.append(current)
                continue
            break
        else:
            att = _Attempt(status=404, error="too_many_redirects")  # RFC 9309: treat as unavailable->allow
        body_lost = att.error is not None and att.status is not None and 200 <= att.status < 300
        if att.status is None:
            if att.state == "blocked_address" and not redirects:
                policy = RobotsPolicy("blocked", why=att.error)
            else:
                policy = RobotsPolicy("unavailable", why=att.error)
        elif body_lost:  # a 2xx whose body never arrived is no permission: ask again later
            policy = RobotsPolicy("unavailable", status=att.status, why=att.error)
        else:
            policy = RobotsPolicy.from_response(att.status, att.body)
        host = host_key(url)
        self.throttle.set_min_delay(host, policy.crawl_delay(self.cfg.user_agent))
        if policy.mode in REUSABLE_ROBOTS_MODES:
            self.known_robots[origin_of(url)] = policy
        if policy.sitemaps:
            self.robots_sitemaps.setdefault(host, [])
            for sm in policy.sitemaps:
                if sm not in self.robots_sitemaps[host]:
                    self.robots_sitemaps[host].append(sm)
        ok = att.status is not None and 200 <= att.status < 300 and not body_lost
        self.robots_results.append(FetchResult(
            request=req,
            state="fetched" if ok else att.state if att.status is None else "failed",
            reason=None if ok else (att.error or f"http_{att.status}"),
            http_status=att.status, url=target, final_url=current, redirects=redirects,
            headers=att.headers, body=att.body if ok else None, encoding="utf-8" if ok else None,
            fetched_at=fetched_at, elapsed_s=time.monotonic() - started,
            detail=policy.why or att.detail,
        ))
        return policy

    async def robots_request(self, url: str) -> _Attempt:
        """One robots.txt request (one hop), in its host's turn."""
        await self.throttle.wait_turn(host_key(url))
        async with self.throttle.global_sem:
            self.throttle.sending(host_key(url))
            return await self.exchange(url, "robots", {"Accept": "text/plain, */*;q=0.5"})

    async def check_robots(self, url: str) -> None:
        """Raise _Stop when robots.txt (ours, or an AI crawler's group) keeps us out of url."""
        if not (self.cfg.respect_robots or self.cfg.respect_ai_opt_out):
            return
        policy = await self.robots_for(url)
        if policy.mode == "blocked":
            raise _Stop("blocked_address", policy.why or "blocked_address", "robots.txt host refused")
        if policy.mode == "unavailable":
            raise _Stop("deferred", "robots_unavailable", policy.why)
        if self.cfg.respect_robots and not policy.allows(url, self.cfg.user_agent):
            raise _Stop("robots_disallowed", "robots_txt", policy.why)
        if self.cfg.respect_ai_opt_out:
            agent = policy.ai_blocker(url, self.cfg.ai_user_agents)
            if agent:
                raise _Stop("ai_opt_out", "ai_robots_txt", f"User-agent: {agent}")

    # -- one request -------------------------------------------------------------------

    async def fetch_one(self, req: FetchRequest) -> FetchResult:
        """Never raises: the result carries one state + reason."""
        out = await self.fetch_step(req)
        assert isinstance(out, FetchResult), "a fetcher that owns every host never hands off"
        return out

    async def fetch_step(self, req: FetchRequest, resume: Handoff | None = None) -> FetchResult | Handoff:
        """fetch_one, or a Handoff at a redirect to a host this fetcher does not own; `resume` goes on from
        another fetcher's Handoff. Never raises."""
        if resume is None:
            res = FetchResult(
                request=req, state="failed", reason=None, http_status=None, url=req.url, final_url=None,
                redirects=[], headers=[], body=None, encoding=None, fetched_at=clock.now(), elapsed_s=0.0,
            )
            first_hop = 0
        else:
            res, first_hop = resume.result, resume.hop
        started = time.monotonic() - res.elapsed_s  # a resumed request counts the time it took elsewhere
        try:
            await self._fetch_into(req, res, first_hop)
        except _HandOff as hand:
            res.elapsed_s = time.monotonic() - started
            return Handoff(res, hand.hop)
        except _Stop as stop:
            res.state, res.reason, res.detail = stop.state, stop.reason, stop.detail or res.detail
            res.body, res.encoding = None, None
        except Exception as exc:  # noqa: BLE001 - the contract is "never raises"
            res.state, res.reason = "failed", f"error:{type(exc).__name__}"
            res.detail = str(exc)[:300]
            res.body, res.encoding = None, None
        res.elapsed_s = time.monotonic() - started
        return res

    def _request_headers(self, req: FetchRequest, first_hop: bool) -> dict[str, str]:
        if req.kind in ("seed", "document"):
            accept = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
        else:
            accept = ("application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,"
                      "application/feed+json,application/json;q=0.8,*/*;q=0.1")
        headers = {"Accept": accept}
        if first_hop and req.etag:
            headers["If-None-Match"] = req.etag
        if first_hop and req.last_modified:
            headers["If-Modified-Since"] = req.last_modified
        return headers

    async def _fetch_into(self, req: FetchRequest, res: FetchResult, first_hop: int = 0) -> None:
        cfg = self.cfg
        current = res.redirects[-1] if first_hop else req.url
        seen = {req.url, *res.redirects}
        for hop in range(first_hop, cfg.max_redirects + 1):
            res.final_url = current
            if hop > first_hop and self.owns is not None and not self.owns(current):
                raise _HandOff(hop)
            bad = check_url(current)
            if bad:
                raise _Stop("blocked_address", f"blocked_address:{bad}", current)
            await self.check_robots(current)
            att = await self._with_retries(current, req.kind, self._request_headers(req, hop == 0))
            res.http_status, res.headers = att.status, att.headers
            res.etag, res.last_modified = att.header("etag"), att.header("last-modified")
            if att.error:
                raise _Stop(att.state, att.error, att.detail)
            assert att.status is not None
            location = att.header("location")
            if att.status in (301, 302, 303, 307, 308) and location:
                nxt = urljoin(current, location.strip())
                nxt = nxt.split("#", 1)[0]
                if nxt in seen:
                    res.redirects.append(nxt)
                    raise _Stop("failed", "redirect_loop", nxt)
                seen.add(nxt)
                res.redirects.append(nxt)
                current = nxt
                continue
            self._finish(req, res, att)
            return
        raise _Stop("failed", "too_many_redirects", f"more than {cfg.max_redirects}")

    def _finish(self, req: FetchRequest, res: FetchResult, att: _Attempt) -> None:
        """Turn the final response into a state, checking type, binary content and opt-outs."""
        status = att.status or 0
        if status == 304:
            res.state, res.reason = "not_modified", None
            res.etag = res.etag or req.etag
            res.last_modified = res.last_modified or req.last_modified
            return
        if not 200 <= status < 300:
            raise _Stop("failed", f"http_{status}")
        verdict = page_verdict(req.kind, att.headers, att.body or b"", self.cfg)
        if verdict.state != "fetched":
            raise _Stop(verdict.state, verdict.reason or verdict.state, verdict.detail)
        res.state, res.reason = "fetched", None
        res.body = verdict.body
        res.encoding = verdict.encoding

    async def _with_retries(self, url: str, kind: str, headers: dict[str, str]) -> _Attempt:
        """Budget, throttle, send; retry 429/5xx/transient errors with backoff and Retry-After."""
        cfg = self.cfg
        host = host_key(url)
        att = _Attempt()
        for attempt in range(cfg.max_retries + 1):
            if not self.throttle.take_budget(host):
                raise _Stop("deferred", "host_budget", f"{cfg.max_requests_per_host} requests")
            # the turn is taken holding the host slot, and booked again when the request goes out: so with
            # per_host_concurrency 1 the host receives one request at a time, per_host_delay_s apart at least
            slot = self.throttle.slot(host)
            async with slot.sem:
                await self.throttle.wait_turn(host)
                async with self.throttle.global_sem:
                    await self._room()
                    self.throttle.sending(host)
                    att = await self.exchange(url, kind, headers)
            if att.status is not None:
                self.throttle.observe(host, att.latency, att.status)
            retryable = att.status in RETRY_STATUSES or (att.status is None and att.error in RETRY_REASONS)
            if not retryable:
                return att
            wait = backoff_s(attempt)
            retry_after = parse_retry_after(att.header("retry-after")) if att.status else None
            if retry_after is not None:
                if retry_after > cfg.max_retry_after_s:
                    detail = f"http_{att.status}: Retry-After {retry_after:.0f}s > {cfg.max_retry_after_s}s"
                    att.state, att.error, att.detail = "failed", "retry_after_too_long", detail
                    return att  # keeps status + headers on the result
                wait = max(wait, retry_after) if att.status != 429 else retry_after
            if attempt < cfg.max_retries:
                self.throttle.push_back(host, wait)
        return att


async def _fetch_many_async(requests: list[FetchRequest], cfg: CrawlConfig,
                            on_result: Callable[[FetchResult], None] | None,
                            robots: dict[str, RobotsPolicy] | None,
                            handle: Callable[[FetchResult], Any] | None, max_pending: int | None) -> FetchBatch:
    fetcher = Fetcher(cfg, robots)
    loop = asyncio.get_running_loop()
    consumer = concurrent.futures.ThreadPoolExecutor(1, "freshdata-results") if handle is not None else None
    if consumer is not None:
        fetcher.max_pending = max_pending if max_pending is not None else default_max_pending(cfg)

    async def one(request: FetchRequest) -> Any:
        result = await fetcher.fetch_one(request)
        if on_result is not None:
            on_result(result)
        if consumer is None:
            return result
        fetcher.pending += 1  # no await between the exchange's end and here: the bound holds
        try:
            return await loop.run_in_executor(consumer, handle, result)
        finally:
            del result  # only what `handle` returned is kept
            fetcher._taken()

    try:
        results = await asyncio.gather(*(one(r) for r in requests))
    finally:
        try:
            await fetcher.aclose()
        finally:
            if consumer is not None:  # lets the result being handled finish; drops the queued ones
                consumer.shutdown(wait=True, cancel_futures=True)
    if consumer is not None:
        return FetchBatch(results=[], robots=fetcher.robots_results, robots_sitemaps=fetcher.robots_sitemaps,
                          handled=list(results))
    return FetchBatch(
        results=list(results), robots=fetcher.robots_results, robots_sitemaps=fetcher.robots_sitemaps
    )


def default_max_pending(cfg: CrawlConfig) -> int:
    """Results that may wait for a `handle` consumer before the fetcher pauses: one per global slot."""
    return cfg.max_concurrency


def fetch_many(requests: list[FetchRequest], cfg: CrawlConfig,
               on_result: Callable[[FetchResult], None] | None = None,
               robots: dict[str, RobotsPolicy] | None = None, *,
               handle: Callable[[FetchResult], Any] | None = None, max_pending: int | None = None) -> FetchBatch:
    """Fetch every request politely; one FetchResult per request, in order. Never raises per URL.

    `on_result` is called with each document result as soon as it completes (on the event loop, so it
    must be quick). `handle`, when given, is called with each result on one worker thread, in completion
    order (e.g. to archive it); the batch then keeps what it returns (`handled`, in request order) instead
    of the results, and an exception it raises stops the whole call. At most `max_pending` results (default
    `max_concurrency`) wait for it: while they do, no new request is sent, so memory stays bounded by
    about (max_pending + 2 × max_concurrency) bodies however many requests there are. `robots` maps origins
    to policies already decided today (not fetched again) and receives every policy this call fetches, so
    one dict passed to each call of a day means one robots.txt request per origin per day.

    Always one process: `freshdata.crawl.shards.fetch_sharded` honours `cfg.fetch_workers` (and calls this with 1).
    """
    if max_pending is not None and max_pending < 1:
        raise ValueError("max_pending must be at least 1")
    work = _fetch_many_async(list(requests), cfg, on_result, robots, handle, max_pending)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run_on_new_loop(work)
    # Called from inside an event loop (e.g. a notebook): run ours on a worker thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run_on_new_loop, work).result()


def run_on_new_loop(work: Coroutine[Any, Any, T]) -> T:
    """asyncio.run without its SIGINT handler: on Python 3.11 removing that handler formats repr() of the
    main task, i.e. of every fetched body (measured 0.4 s and a transient string the size of the day's
    pages for 44 MB). Ctrl-C still interrupts: KeyboardInterrupt propagates from the loop."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(work)
    finally:
        try:
            leftover = asyncio.all_tasks(loop)  # only after an error or an interrupt
            if leftover:
                for task in leftover:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())  # the DNS lookup threads
        finally:
            loop.close()
