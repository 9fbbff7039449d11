"""Per-host politeness: delay, concurrency, AutoThrottle, retry backoff, request budget.

AutoThrottle follows Scrapy's algorithm: the delay drifts towards ``latency /
target_concurrency`` (averaged with the current delay), never goes below the configured
minimum (per_host_delay_s or a larger robots.txt Crawl-delay) nor above the maximum, and
error responses may only raise it. 429/503 double it outright.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0  # no CrawlConfig field yet; Scrapy's default
BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 30.0
SLOWDOWN_FLOOR_S = 0.5  # a 429/503 from a zero-delay host still buys it some air


def autothrottle_delay(
    current: float, latency: float, status: int, *, min_delay: float, max_delay: float,
    target_concurrency: float = AUTOTHROTTLE_TARGET_CONCURRENCY,
) -> float:
    """Next per-host delay after a response that took ``latency`` seconds."""
    if status in (429, 503):
        return min(max(current * 2, min_delay, SLOWDOWN_FLOOR_S), max(max_delay, min_delay))
    target = latency / max(target_concurrency, 0.01)
    new = max(target, (current + target) / 2.0)
    new = min(max(min_delay, new), max(max_delay, min_delay))
    if status != 200 and new <= current:
        return current  # small error pages would otherwise speed us up
    return new


def backoff_s(attempt: int, base: float = BACKOFF_BASE_S, cap: float = BACKOFF_MAX_S) -> float:
    """Exponential backoff for retry ``attempt`` (0-based): base, 2*base, 4*base…"""
    return min(cap, base * (2**attempt))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent/bad."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class HostSlot:
    """Scheduling state for one host."""

    min_delay: float
    delay: float
    sem: asyncio.Semaphore
    next_at: float = 0.0
    requests: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Throttle:
    """Hands out request slots: global concurrency, per-host concurrency and spacing."""

    def __init__(
        self, *, per_host_delay_s: float, per_host_concurrency: int, max_concurrency: int,
        autothrottle: bool, autothrottle_max_delay_s: float, max_requests_per_host: int,
    ) -> None:
        self.base_delay = per_host_delay_s
        self.per_host_concurrency = per_host_concurrency
        self.global_sem = asyncio.Semaphore(max_concurrency)
        self.autothrottle = autothrottle
        self.max_delay = autothrottle_max_delay_s
        self.budget = max_requests_per_host
        self.slots: dict[str, HostSlot] = {}

    def slot(self, host: str) -> HostSlot:
        slot = self.slots.get(host)
        if slot is None:
            slot = HostSlot(self.base_delay, self.base_delay, asyncio.Semaphore(self.per_host_concurrency))
            self.slots[host] = slot
        return slot

    def set_min_delay(self, host: str, crawl_delay: float | None) -> None:
        """robots.txt Crawl-delay wins over per_host_delay_s when larger."""
        slot = self.slot(host)
        if crawl_delay is not None and crawl_delay > slot.min_delay:
            slot.min_delay = crawl_delay
            if crawl_delay > slot.delay:
                slot.next_at += crawl_delay - slot.delay  # the gap after robots.txt itself already counts it
                slot.delay = crawl_delay

    def take_budget(self, host: str) -> bool:
        """Count one request against the host's per-run budget; False when it is spent."""
        slot = self.slot(host)
        if slot.requests >= self.budget:
            return False
        slot.requests += 1
        return True

    async def wait_turn(self, host: str) -> None:
        """Sleep until this host may receive another request, and book the next gap.

        Sleeps again if a back-off (`push_back`) moved the host's next turn while it slept."""
        slot = self.slot(host)
        async with slot.lock:
            while (wait := slot.next_at - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            slot.next_at = time.monotonic() + slot.delay

    def sending(self, host: str) -> None:
        """A request to host goes out now (it may have waited for a global slot since its turn): the next one waits
        the delay from now, so the delay holds between the requests the host receives."""
        slot = self.slot(host)
        slot.next_at = max(slot.next_at, time.monotonic() + slot.delay)

    def push_back(self, host: str, seconds: float) -> None:
        """Nobody talks to this host for ``seconds`` (Retry-After / backoff)."""
        slot = self.slot(host)
        slot.next_at = max(slot.next_at, time.monotonic() + seconds)

    def observe(self, host: str, latency: float, status: int) -> None:
        """Feed a response back into AutoThrottle."""
        slot = self.slot(host)
        if self.autothrottle:
            slot.delay = autothrottle_delay(
                slot.delay, latency, status, min_delay=slot.min_delay, max_delay=self.max_delay
            )
        # Without AutoThrottle the delay stays fixed; 429/503 are still honoured through
        # Retry-After / backoff (push_back), which holds the whole host.
