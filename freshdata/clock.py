"""The pipeline's clock: when a response was received (fetched_at, so publish -> ingest latency) is read here.

`FRESHDATA_NOW` (an ISO 8601 UTC time) freezes it: the demo and the tests run hours of a simulated day with it,
against a loopback site whose feeds follow the same simulated clock, so an hour's run sees the site as it was
at the hour's end without anyone sleeping. An environment variable, not a module setting, so Dagster's step
processes see it too. Never set it in production: every fetch of the run would get that one time.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime

NOW_ENV = "FRESHDATA_NOW"


def now() -> datetime:
    """The current UTC time, or the frozen one of FRESHDATA_NOW."""
    frozen = os.environ.get(NOW_ENV)
    if not frozen:
        return datetime.now(UTC)
    at = datetime.fromisoformat(frozen)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@contextlib.contextmanager
def frozen_at(at: datetime) -> Iterator[None]:
    """Run the block with the clock frozen at `at` (the variable restored after)."""
    previous = os.environ.get(NOW_ENV)
    os.environ[NOW_ENV] = at.astimezone(UTC).isoformat()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(NOW_ENV, None)
        else:
            os.environ[NOW_ENV] = previous
