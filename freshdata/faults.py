"""Named crash points, so tests can kill a real run at an exact place (kill -9, not a mock).

`FRESHDATA_CRASH_AT=<name>` (or `<name>:<n>` for the n-th time the point is reached) makes the process
SIGKILL itself there; unset, a crash point costs one dict lookup. When the run leads its own process
group (a test starts it with `start_new_session=True`), the whole group dies, workers included, exactly
as with `kill -9 -<pgid>`.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

_hits: Counter[str] = Counter()


def crash_point(name: str) -> None:
    """SIGKILL this run here if FRESHDATA_CRASH_AT names this point (and this is the n-th hit)."""
    wanted = os.environ.get("FRESHDATA_CRASH_AT")
    if not wanted:
        return
    point, _, nth = wanted.rpartition(":")
    if not nth.isdigit():
        point, nth = wanted, "1"
    if point != name:
        return
    _hits[name] += 1
    if _hits[name] < int(nth or 1):
        return
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
