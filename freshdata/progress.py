"""Live progress of the stage running in this process: stages report, `freshdata run`'s watcher thread reads.

A stage calls `start(stage, total, unit)` once and `advance()` per item; both only set fields under a lock
(no I/O, no formatting), so they cost nothing measurable per page. The watcher (freshdata.runs.execute_day)
reads `current()` twice a second, and at once when a stage starts (so a stage shorter than the poll is still
shown), and draws one updating line when stderr is a terminal. Pure Python: no
dagster import, so the core modules (crawl/daily.py, extract.py) stay free of it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    stage: str
    done: int
    total: int | None
    unit: str
    elapsed_s: float

    def line(self) -> str:
        count = f"{self.done}/{self.total}" if self.total is not None else str(self.done)
        return f"{self.stage}: {count} {self.unit}"


_lock = threading.Lock()
_state: dict = {}
_wake = threading.Event()  # set when a stage starts or the run ends: the watcher looks at once


def start(stage: str, total: int | None, unit: str) -> None:
    """A stage begins (or a new phase of it): `total` items of `unit` to go, None when not known."""
    with _lock:
        _state.update(stage=stage, done=0, total=total, unit=unit, started=time.monotonic())
    _wake.set()


def wake() -> None:
    _wake.set()


def wait(timeout_s: float) -> None:
    """Return when a stage starts or wake() is called, or after `timeout_s`: the watcher's poll."""
    _wake.wait(timeout_s)
    _wake.clear()


def advance(count: int = 1, more_total: int = 0) -> None:
    """`count` more items done; `more_total` more found to do (e.g. child sitemaps)."""
    with _lock:
        if _state:
            _state["done"] += count
            if more_total and _state["total"] is not None:
                _state["total"] += more_total


def counted(items: Iterable[T]) -> Iterator[T]:
    """Yield every item, advancing the current stage by one for each."""
    for item in items:
        advance()
        yield item


def finish() -> None:
    with _lock:
        _state.clear()


def current() -> Progress | None:
    with _lock:
        if not _state:
            return None
        return Progress(_state["stage"], _state["done"], _state["total"], _state["unit"],
                        time.monotonic() - _state["started"])
