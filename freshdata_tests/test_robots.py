"""robots.txt policy as a unit: groups, wildcards, $, crawl-delay, AI groups, status codes."""

from __future__ import annotations

from freshdata.config import DEFAULT_AI_USER_AGENTS
from freshdata.crawl.robots import RobotsPolicy, origin_of, product_token, robots_url

UA = "freshdata/0.1 (+https://github.com/freshdata/freshdata#for-site-owners)"
BASE = "https://example.com"

ROBOTS = """\
User-agent: *
Disallow: /private/*.html$
Disallow: /tmp/
Allow: /tmp/public/
Crawl-delay: 2

User-agent: GPTBot
User-agent: CCBot
Disallow: /no-ai/

Sitemap: https://example.com/sitemap.xml
Sitemap: https://example.com/news.xml
"""


def test_wildcards_and_end_anchor() -> None:
    p = RobotsPolicy.from_text(ROBOTS)
    assert not p.allows(f"{BASE}/private/a.html", UA)
    assert not p.allows(f"{BASE}/private/deep/b.html", UA)
    assert p.allows(f"{BASE}/private/a.htm", UA)
    assert p.allows(f"{BASE}/private/a.html?x=1", UA)
    assert p.allows(f"{BASE}/private/a.htmlx", UA)
    assert not p.allows(f"{BASE}/tmp/x", UA)
    assert p.allows(f"{BASE}/tmp/public/x", UA)  # longest match wins
    assert p.allows(f"{BASE}/", UA)


def test_crawl_delay_and_sitemaps() -> None:
    p = RobotsPolicy.from_text(ROBOTS)
    assert p.crawl_delay(UA) == 2.0
    assert p.sitemaps == ["https://example.com/sitemap.xml", "https://example.com/news.xml"]


def test_our_group_before_star() -> None:
    text = "User-agent: *\nDisallow: /\n\nUser-agent: freshdata\nDisallow: /secret\nCrawl-delay: 5\n"
    p = RobotsPolicy.from_text(text)
    assert p.allows(f"{BASE}/page", UA)
    assert not p.allows(f"{BASE}/secret/x", UA)
    assert p.crawl_delay(UA) == 5.0
    # the * group still binds a crawler that is not named
    assert not p.allows(f"{BASE}/page", "otherbot/1.0")


def test_url_in_our_ua_does_not_select_groups() -> None:
    # "github" appears in our UA string's URL; only the product token is matched
    p = RobotsPolicy.from_text("User-agent: github\nDisallow: /\n")
    assert p.allows(f"{BASE}/page", UA)


def test_ai_groups() -> None:
    p = RobotsPolicy.from_text(ROBOTS)
    assert p.ai_blocker(f"{BASE}/no-ai/x", DEFAULT_AI_USER_AGENTS) == "CCBot"
    assert p.ai_blocker(f"{BASE}/ok", DEFAULT_AI_USER_AGENTS) is None
    # the * group is not an AI opt-out: if our own group allows, * must not block us via AI check
    q = RobotsPolicy.from_text("User-agent: *\nDisallow: /\n\nUser-agent: freshdata\nAllow: /\n")
    assert q.allows(f"{BASE}/x", UA)
    assert q.ai_blocker(f"{BASE}/x", DEFAULT_AI_USER_AGENTS) is None
    full = RobotsPolicy.from_text("User-agent: Google-Extended\nDisallow: /\n")
    assert full.ai_blocker(f"{BASE}/anything", DEFAULT_AI_USER_AGENTS) == "Google-Extended"
    assert full.allows(f"{BASE}/anything", UA)


def test_status_codes() -> None:
    assert RobotsPolicy.from_response(404, b"").allows(f"{BASE}/x", UA)
    assert RobotsPolicy.from_response(410, b"").allows(f"{BASE}/x", UA)
    assert not RobotsPolicy.from_response(403, b"").allows(f"{BASE}/x", UA)
    assert not RobotsPolicy.from_response(401, b"").allows(f"{BASE}/x", UA)
    assert RobotsPolicy.from_response(503, b"").mode == "unavailable"
    assert RobotsPolicy.from_response(500, b"").mode == "unavailable"
    ok = RobotsPolicy.from_response(200, b"User-agent: *\nDisallow: /a\n")
    assert not ok.allows(f"{BASE}/a", UA) and ok.allows(f"{BASE}/b", UA)


def test_garbage_robots_is_harmless() -> None:
    p = RobotsPolicy.from_response(200, b"\x00\xff<html>not robots</html>\n" * 100)
    assert p.allows(f"{BASE}/x", UA)


def test_helpers() -> None:
    assert product_token(UA) == "freshdata"
    assert origin_of("HTTPS://Example.com/a") == "https://example.com:443"
    assert origin_of("http://example.com:8080/a") == "http://example.com:8080"
    assert robots_url("https://example.com:8443/a/b?c") == "https://example.com:8443/robots.txt"
