"""Batch functions for the compute tests, in a module of their own so Ray workers import them by name
(`freshdata_tests.compute_helpers`, with the repository on their PYTHONPATH)."""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass

from freshdata.compute import LOCAL_RAY_ENV
from freshdata.extract import ArchivedPage

# The environment of every Ray cluster a test starts: loopback only, no usage stats, and one auth token for the
# whole test process (Ray's driver keeps the first token it reads, so two clusters in one process share it).
RAY_TEST_ENV = {**LOCAL_RAY_ENV, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}

_STATE: list[str] = []


def slow_square(x: int) -> tuple[int, int]:
    """x², and the worker's pid; later chunks often finish first, so a stream must restore the input order."""
    time.sleep(0.002 * (x % 7))
    return x * x, os.getpid()


def remember(value: str) -> None:
    """An initializer: state built once in each worker."""
    _STATE[:] = [value]


def with_state(x: int) -> str:
    return f"{_STATE[0]}:{x}"


def exit_on(bad: int, x: int) -> int:
    """Kills its worker process on `bad`, as a page that crashes its worker would."""
    if x == bad:
        os._exit(1)
    return x


@dataclass(frozen=True)
class CrashingPage(ArchivedPage):
    """An archived page whose reading kills the worker process (as a segfault in a parser would)."""

    def load(self) -> str | bytes:
        os._exit(1)
