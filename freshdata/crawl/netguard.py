"""SSRF guard: classify addresses and connect only to checked IPs.

The check runs inside the httpcore network backend, *after* DNS resolution, on every
connection (redirect hops included), and the socket is opened to the very IP that was
checked -- so DNS rebinding between "check" and "connect" cannot sneak a private address in.
TLS still uses the hostname for SNI and certificate checks because httpcore passes
``server_hostname`` from the URL, not from the address we connected to.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
from httpcore import AnyIOBackend, AsyncNetworkBackend, AsyncNetworkStream

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NET = ipaddress.ip_network
# Ranges that are not "ordinary public unicast". Order matters only for the label.
_V4_BLOCKS: list[tuple[ipaddress.IPv4Network, str]] = [
    (_NET("0.0.0.0/8"), "unspecified"),
    (_NET("10.0.0.0/8"), "private"),
    (_NET("100.64.0.0/10"), "cgnat"),
    (_NET("127.0.0.0/8"), "loopback"),
    (_NET("169.254.0.0/16"), "link_local"),
    (_NET("172.16.0.0/12"), "private"),
    (_NET("192.0.0.0/24"), "reserved"),
    (_NET("192.0.2.0/24"), "documentation"),
    (_NET("192.88.99.0/24"), "reserved"),  # 6to4 relay anycast
    (_NET("192.168.0.0/16"), "private"),
    (_NET("198.18.0.0/15"), "reserved"),  # benchmarking
    (_NET("198.51.100.0/24"), "documentation"),
    (_NET("203.0.113.0/24"), "documentation"),
    (_NET("224.0.0.0/4"), "multicast"),
    (_NET("255.255.255.255/32"), "broadcast"),
    (_NET("240.0.0.0/4"), "reserved"),
]
_V6_BLOCKS: list[tuple[ipaddress.IPv6Network, str]] = [
    (_NET("::/128"), "unspecified"),
    (_NET("::1/128"), "loopback"),
    (_NET("::/96"), "reserved"),  # deprecated IPv4-compatible
    (_NET("100::/64"), "reserved"),  # discard-only
    (_NET("2001:db8::/32"), "documentation"),
    (_NET("3fff::/20"), "documentation"),
    (_NET("2001::/23"), "reserved"),  # IETF protocol assignments (Teredo handled before)
    (_NET("fc00::/7"), "ula"),
    (_NET("fe80::/10"), "link_local"),
    (_NET("fec0::/10"), "site_local"),
    (_NET("ff00::/8"), "multicast"),
]
_NAT64 = [_NET("64:ff9b::/96"), _NET("64:ff9b:1::/48")]
_6TO4 = _NET("2002::/16")
_TEREDO = _NET("2001::/32")


class BlockedAddress(Exception):
    """A connection target is not allowed; ``category`` is a stable code like ``loopback``."""

    def __init__(self, category: str, detail: str = "") -> None:
        super().__init__(f"{category}: {detail}" if detail else category)
        self.category = category


class DNSFailure(Exception):
    """The host name did not resolve (kept apart from connect errors for the reason code)."""


def classify_ip(ip: str | IPAddress) -> str | None:
    """Return why an address must not be contacted, or None for public unicast.

    IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4, Teredo) are refused
    outright with their own label: a crawler has no business reaching public sites via
    translation prefixes, and refusing them closes every "wrap a private IPv4" trick.
    The label carries the wrapped address's class when that is private, for the logs.
    """
    addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    if isinstance(addr, ipaddress.IPv6Address):
        wrapped: ipaddress.IPv4Address | None = None
        label = ""
        if addr.ipv4_mapped is not None:
            wrapped, label = addr.ipv4_mapped, "ipv4_mapped"
        elif any(addr in n for n in _NAT64):
            wrapped, label = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF), "nat64"
        elif addr in _6TO4:
            wrapped, label = addr.sixtofour, "6to4"
        elif addr in _TEREDO:
            teredo = addr.teredo
            wrapped, label = (teredo[1] if teredo else None), "teredo"
        if label:
            inner = classify_ip(wrapped) if wrapped is not None else None
            return f"{label}:{inner}" if inner else label
        for net6, name in _V6_BLOCKS:
            if addr in net6:
                return name
        if not addr.is_global:
            return "reserved"
        return None
    for net4, name in _V4_BLOCKS:
        if addr in net4:
            return name
    if not addr.is_global:
        return "reserved"
    return None


def _norm_host(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        return host.rstrip(".")


def parse_allowed(entries: Iterable[str]) -> frozenset[tuple[str, int]]:
    """Turn ``["127.0.0.1:8080", "[::1]:8080"]`` into normalised (host, port) pairs."""
    out: set[tuple[str, int]] = set()
    for entry in entries:
        host, _, port = entry.rpartition(":")
        if host and port.isdigit():
            out.add((_norm_host(host), int(port)))
    return frozenset(out)


def check_url(url: str) -> str | None:
    """Refuse URLs we never fetch: non-http(s) schemes, credentials, no host, bad port."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "bad_url"
    if parts.scheme.lower() not in ("http", "https"):
        return "scheme"
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "credentials"
    if not parts.hostname:
        return "bad_url"
    if port == 0:
        return "bad_url"
    return None


class GuardedBackend(AsyncNetworkBackend):
    """httpcore backend that resolves, vets every address, then connects to a vetted IP."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        allowed: frozenset[tuple[str, int]] = frozenset(),
        inner: AsyncNetworkBackend | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.allowed = allowed
        self.inner = inner or AnyIOBackend()  # httpx's own choice under asyncio

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """All addresses for host (a literal IP resolves to itself, no DNS query)."""
        try:
            return [ipaddress.ip_address(_norm_host(host))]
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise DNSFailure(f"{host}: {exc}") from exc
        seen: list[IPAddress] = []
        for _family, _type, _proto, _canon, sockaddr in infos:
            addr = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if addr not in seen:
                seen.append(addr)
        if not seen:
            raise DNSFailure(f"{host}: no addresses")
        return seen

    def vet(self, host: str, port: int, addrs: list[IPAddress]) -> None:
        """Raise BlockedAddress unless every resolved address may be contacted.

        All addresses must pass (not just the one we pick), so a name that mixes a
        public and a private record is refused as a whole.
        """
        if self.allow_private:
            return
        host_ok = (_norm_host(host), port) in self.allowed
        for addr in addrs:
            category = classify_ip(addr)
            if category is None:
                continue
            if host_ok or (addr.compressed, port) in self.allowed:
                continue
            raise BlockedAddress(category, f"{host}:{port} -> {addr}")

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncNetworkStream:
        addrs = await self.resolve(host, port)
        self.vet(host, port, addrs)
        last: Exception | None = None
        for addr in addrs:
            try:
                return await self.inner.connect_tcp(
                    addr.compressed, port, timeout=timeout, local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> AsyncNetworkStream:
        raise BlockedAddress("unix_socket", path)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
