"""robots.txt policy: our own group, AI-training crawler groups, crawl-delay, sitemaps.

Status handling follows RFC 9309: 4xx means "no rules" except 401/403, which we read as
"disallow all" (the owner explicitly keeps crawlers out); 5xx/unreachable means we fetch
nothing from that origin this run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego

ROBOTS_MAX_BYTES = 512_000  # Google's cap; anything after it is ignored


def product_token(user_agent: str) -> str:
    """'freshdata/0.1 (+https://…)' -> 'freshdata': the token robots.txt groups name."""
    token = user_agent.strip().split("/", 1)[0].split(" ", 1)[0]
    return token or user_agent


def origin_of(url: str) -> str:
    """scheme://host:port -- robots.txt is scoped to exactly this."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc}/robots.txt"


@dataclass
class RobotsPolicy:
    """Decisions for one origin. ``mode`` is 'rules', 'allow_all', 'deny_all' or 'unavailable'."""

    mode: str
    parser: Protego | None = None
    status: int | None = None
    why: str | None = None
    sitemaps: list[str] = field(default_factory=list)

    @classmethod
    def from_response(cls, status: int, body: bytes | None) -> RobotsPolicy:
        """Build the policy from the final robots.txt response status and body."""
        if status in (401, 403):
            return cls("deny_all", status=status, why=f"robots_http_{status}")
        if 400 <= status < 500:
            return cls("allow_all", status=status)
        if status >= 500 or status < 200 or status >= 300:
            return cls("unavailable", status=status, why=f"robots_http_{status}")
        text = (body or b"")[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
        return cls.from_text(text, status=status)

    @classmethod
    def from_text(cls, text: str, status: int | None = 200) -> RobotsPolicy:
        try:
            parser = Protego.parse(text)
        except Exception as exc:  # a hostile file must not take the run down
            return cls("allow_all", status=status, why=f"robots_unparseable:{type(exc).__name__}")
        return cls("rules", parser=parser, status=status, sitemaps=list(parser.sitemaps))

    def allows(self, url: str, user_agent: str) -> bool:
        """True when our own group (or ``*``) lets us fetch url."""
        if self.mode == "allow_all":
            return True
        if self.mode in ("deny_all", "unavailable"):
            return False
        assert self.parser is not None
        return bool(self.parser.can_fetch(url, product_token(user_agent)))

    def ai_blocker(self, url: str, ai_user_agents: list[str]) -> str | None:
        """The first AI-training UA whose *own* group disallows url.

        Only explicit groups count: the ``*`` group is already applied to us by
        :meth:`allows`, and counting it here would let ``*`` override our own group.
        """
        if self.mode != "rules" or self.parser is None:
            return None
        for agent in ai_user_agents:
            rule_set = _explicit_group(self.parser, agent)
            if rule_set is not None and not rule_set.can_fetch(url):
                return agent
        return None

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.mode != "rules" or self.parser is None:
            return None
        delay = self.parser.crawl_delay(product_token(user_agent))
        if delay is None:
            return None
        try:
            return max(0.0, float(delay))
        except (TypeError, ValueError):
            return None


def _explicit_group(parser: Protego, agent: str):  # noqa: ANN202 - protego's private _RuleSet
    """Rule set whose User-agent line names `agent` (never the ``*`` fallback).

    Protego has no public way to tell an agent's own group from the ``*`` fallback, so this reads its private
    `_user_agents` (version pinned in pyproject.toml; freshdata_tests/test_private_apis.py fails when it
    changes). Read directly, not with a getattr default: a rename must fail loudly, not ignore AI opt-outs."""
    groups = parser._user_agents
    best = None
    best_score = 0
    for rule_set in groups.values():
        if getattr(rule_set, "user_agent", "*") == "*":
            continue
        score = rule_set.applies_to(agent)
        if score > best_score:
            best, best_score = rule_set, score
    return best
