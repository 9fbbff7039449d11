"""When to check a source again: a re-check interval learned per source from how often it had new items.

The policy is a Poisson rate estimate, as in web-crawler revisit policies (Cho & Garcia-Molina): a source
publishes new items at an unknown rate λ; each successful check adds the new items it found to `events` and the
time since the previous successful check to `exposure_s`, both decayed with a half-life (HALF_LIFE) so the
estimate follows a source whose pace changes. The next interval is the time to one expected new item,

    interval = (exposure_s + min) / (events + 1)        clamped to [min, max] (the sources file's `recheck`)

The prior (one pseudo-item per `min`) makes a new source be checked again after `min`, and while nothing new
comes the interval doubles (min, 2·min, 4·min, …: exponential back-off falls out of the estimate); a source with
new items every hour settles at 1 h, one with an item a day near 1 day. The direction is the one users expect:
a check with nothing new (304 or an unchanged listing) never shortens the interval, one with new items never
lengthens it. A failed check tells nothing about the rate: the state is kept and the source is due again at the
next run (the fetcher's retries and back-off apply within the run, as for any fetch).

Decisions are a pure function of the state before the run, the run's as-of time and its cadence (`run_every`):
a re-run of a partition, or a backfill, decides the same. A source is due when its interval is no longer than
the run cadence (so daily runs never skip a source whose interval is under a day) or when its due time is
nearer to this run than to the next one (rounding to the nearest run instead of always to the later one).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from freshdata.config import RecheckConfig

DAY = timedelta(days=1)
HALF_LIFE = timedelta(days=7)  # old evidence weighs half after a week: a source's change of pace shows in days
NOT_DUE_REASON = "recheck_interval"

Outcome = Literal["new_items", "unchanged", "not_modified", "failed"]  # vocab.SOURCE_OUTCOMES


@dataclass(frozen=True)
class RecheckState:
    """One source's re-check state after a run (a row of table source_checks carries it)."""

    interval_s: float
    next_due_at: datetime
    checked_at: datetime | None  # the last successful check; None before the first
    events: float = 0.0  # decayed count of new items seen since the first successful check
    exposure_s: float = 0.0  # decayed seconds those checks covered


def daily_as_of(day: date) -> datetime:
    """The as-of time of a daily partition: the end of its UTC day (a daily run looks at the whole day)."""
    return datetime.combine(day + DAY, time(), UTC)


def is_due(state: RecheckState | None, as_of: datetime, run_every: timedelta = DAY) -> bool:
    """Is the source to be checked by the run at `as_of`, when runs come every `run_every`?"""
    if state is None:
        return True
    if state.interval_s <= run_every.total_seconds():
        return True
    return state.next_due_at <= as_of + run_every / 2


def estimated_interval(events: float, exposure_s: float, bounds: RecheckConfig) -> float:
    """Seconds to one expected new item under the estimate, within the bounds."""
    low, high = bounds.min.total_seconds(), bounds.max.total_seconds()
    return min(high, max(low, (exposure_s + low) / (events + 1.0)))


def after_check(state: RecheckState | None, as_of: datetime, outcome: Outcome, n_new: int,
                bounds: RecheckConfig) -> RecheckState:
    """The state after a check at `as_of` with `outcome` (`n_new` new items when it succeeded)."""
    low = bounds.min.total_seconds()
    if outcome == "failed":
        if state is None:
            return RecheckState(low, as_of, None)
        return replace(state, next_due_at=as_of)  # due again at the next run; the rate learned nothing
    if state is None or state.checked_at is None:  # the first listing is a backlog, not a rate: start at min
        interval = estimated_interval(0.0, 0.0, bounds)
        return RecheckState(interval, as_of + timedelta(seconds=interval), as_of)
    elapsed = max(0.0, (as_of - state.checked_at).total_seconds())
    weight = 0.5 ** (elapsed / HALF_LIFE.total_seconds())
    events = state.events * weight + n_new
    exposure = state.exposure_s * weight + elapsed
    interval = estimated_interval(events, exposure, bounds)
    # the estimate decides the size, the outcome the direction (also when the bounds changed in between)
    previous = min(bounds.max.total_seconds(), max(low, state.interval_s))
    interval = min(interval, previous) if n_new > 0 else max(interval, previous)
    return RecheckState(interval, as_of + timedelta(seconds=interval), as_of, events, exposure)


def outcome_of(states: list[str], n_new: int) -> Outcome:
    """A source's outcome from the states of its fetches this run (the root document first; a sitemap's children
    after it): failed when the root failed, else new_items / not_modified (every fetch a 304) / unchanged."""
    if not states or states[0] not in ("fetched", "not_modified"):
        return "failed"
    if n_new > 0:
        return "new_items"
    return "not_modified" if all(s == "not_modified" for s in states) else "unchanged"
