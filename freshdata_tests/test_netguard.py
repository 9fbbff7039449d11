"""SSRF classifier and guard as units: addresses are data here, nothing is contacted."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import pytest

from freshdata.crawl.netguard import (
    BlockedAddress,
    GuardedBackend,
    check_url,
    classify_ip,
    parse_allowed,
)

BLOCKED = {
    "169.254.169.254": "link_local",
    "10.0.0.1": "private",
    "172.16.0.1": "private",
    "192.168.1.1": "private",
    "100.64.0.1": "cgnat",
    "127.0.0.1": "loopback",
    "127.0.0.2": "loopback",
    "0.0.0.0": "unspecified",
    "224.0.0.1": "multicast",
    "240.0.0.1": "reserved",
    "255.255.255.255": "broadcast",
    "192.0.2.1": "documentation",
    "198.18.0.1": "reserved",
    "::": "unspecified",
    "::1": "loopback",
    "fc00::1": "ula",
    "fd12:3456::1": "ula",
    "fe80::1": "link_local",
    "fec0::1": "site_local",
    "ff02::1": "multicast",
    "2001:db8::1": "documentation",
    "::ffff:10.0.0.1": "ipv4_mapped:private",
    "::ffff:127.0.0.1": "ipv4_mapped:loopback",
    "::ffff:8.8.8.8": "ipv4_mapped",
    "64:ff9b::a00:1": "nat64:private",
    "64:ff9b::a9fe:a9fe": "nat64:link_local",
    "64:ff9b:1::a00:1": "nat64:private",
    "2002:a00:1::": "6to4:private",
    "2002:7f00:1::": "6to4:loopback",
    "2001:0:4136:e378:8000:63bf:f5ff:fffe": "teredo:private",  # client 10.0.0.1 (obfuscated)
    "2001::1": "teredo:reserved",  # client ~0.0.0.1 = 255.255.255.254
}


@pytest.mark.parametrize(("addr", "category"), BLOCKED.items())
def test_blocked(addr: str, category: str) -> None:
    assert classify_ip(addr) == category


@pytest.mark.parametrize("addr", ["8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700::1", "2a00:1450:4001::1"])
def test_public_allowed(addr: str) -> None:
    assert classify_ip(addr) is None
    assert classify_ip(ipaddress.ip_address(addr)) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.com/", None),
        ("https://example.com:8443/a?b", None),
        ("ftp://example.com/", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("gopher://example.com/", "scheme"),
        ("http://user:pw@example.com/", "credentials"),
        ("http://user@example.com/", "credentials"),
        ("http:///nohost", "bad_url"),
        ("http://[::1", "bad_url"),
        ("http://example.com:99999/", "bad_url"),
    ],
)
def test_check_url(url: str, reason: str | None) -> None:
    assert check_url(url) == reason


def _guard(allowed: list[str], addrs: list[str], allow_private: bool = False) -> GuardedBackend:
    guard = GuardedBackend(allow_private=allow_private, allowed=parse_allowed(allowed))

    async def fake_resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        return [ipaddress.ip_address(a) for a in addrs]

    guard.resolve = fake_resolve  # type: ignore[method-assign]
    return guard


def _vet(guard: GuardedBackend, host: str, port: int) -> None:
    addrs = asyncio.run(guard.resolve(host, port))
    guard.vet(host, port, addrs)


def test_allow_list_is_exact_host_and_port() -> None:
    guard = _guard(["127.0.0.1:8080"], ["127.0.0.1"])
    _vet(guard, "127.0.0.1", 8080)
    with pytest.raises(BlockedAddress) as exc:
        _vet(guard, "127.0.0.1", 8081)
    assert exc.value.category == "loopback"
    with pytest.raises(BlockedAddress):
        _vet(_guard(["127.0.0.1:8080"], ["127.0.0.2"]), "127.0.0.2", 8080)


def test_allow_list_matches_resolved_ip() -> None:
    # a name that resolves to the allowed ip:port is fine...
    _vet(_guard(["127.0.0.1:8080"], ["127.0.0.1"]), "svc.local", 8080)
    # ...one that also resolves to anything else private is not (all records must pass)
    with pytest.raises(BlockedAddress) as exc:
        _vet(_guard(["127.0.0.1:8080"], ["127.0.0.1", "10.0.0.5"]), "svc.local", 8080)
    assert exc.value.category == "private"


def test_allow_list_hostname_entry_and_ipv6() -> None:
    _vet(_guard(["svc.internal:9000"], ["10.1.2.3"]), "SVC.internal", 9000)
    _vet(_guard(["[::1]:8080"], ["::1"]), "[::1]", 8080)
    with pytest.raises(BlockedAddress):
        _vet(_guard(["[::1]:8080"], ["::1"]), "::1", 8081)


def test_dns_rebinding_style_mixed_records_refused() -> None:
    with pytest.raises(BlockedAddress) as exc:
        _vet(_guard([], ["93.184.215.14", "169.254.169.254"]), "rebind.example", 80)
    assert exc.value.category == "link_local"
    _vet(_guard([], ["93.184.215.14"]), "public.example", 80)


def test_allow_private_networks() -> None:
    """The flag opens private addresses: a real connection to a loopback listener this test starts goes
    through with it, and the same connection is refused without it."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]

        async def connect(guard: GuardedBackend) -> bytes:
            stream = await guard.connect_tcp("127.0.0.1", port, timeout=2)
            accepted, _ = server.accept()
            with accepted:
                accepted.sendall(b"hi")
                data = await stream.read(2, timeout=2)
            await stream.aclose()
            return data

        assert asyncio.run(connect(GuardedBackend(allow_private=True))) == b"hi"
        with pytest.raises(BlockedAddress) as exc:
            asyncio.run(connect(GuardedBackend()))
        assert exc.value.category == "loopback"


def test_literal_ip_needs_no_dns() -> None:
    guard = GuardedBackend()
    assert asyncio.run(guard.resolve("127.0.0.2", 80)) == [ipaddress.ip_address("127.0.0.2")]
    assert asyncio.run(guard.resolve("[::1]", 80)) == [ipaddress.ip_address("::1")]


def test_network_path_refuses_other_loopback() -> None:
    """Through a real connect_tcp: 127.0.0.2 is refused before any socket opens."""
    guard = GuardedBackend(allowed=parse_allowed(["127.0.0.1:8080"]))
    with pytest.raises(BlockedAddress):
        asyncio.run(guard.connect_tcp("127.0.0.2", 8080, timeout=1))
    with pytest.raises(BlockedAddress):
        asyncio.run(guard.connect_unix_socket("/var/run/docker.sock"))
