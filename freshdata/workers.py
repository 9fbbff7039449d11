"""Worker processes for CPU-bound per-document stages (extraction, quality), all forked from one fork server.

Workers are forked from a small server process, never from the caller (which holds Dagster and DuckDB
threads and locks, unsafe to fork), and the server imports the heavy modules once: a new worker is ready in
milliseconds instead of re-importing trafilatura or the quality models for a second or more each.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext
from typing import TypeVar

# Everything a pool of any stage needs; the server imports them once, when the first pool of the process starts.
PRELOAD = ["freshdata.extract", "trafilatura", "freshdata.quality", "freshdata.dedup.core"]
PARALLEL_MIN_ITEMS = 200  # below this, starting workers costs more than splitting the work saves

T = TypeVar("T")
R = TypeVar("R")


def worker_context() -> BaseContext:
    """The multiprocessing context every freshdata pool uses."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # no effect once this process's server runs; it already has them
    return context


def map_chunks(func: Callable[[Sequence[T]], list[R]], items: Sequence[T], workers: int | None = None) -> list[R]:
    """func over consecutive chunks of items, results concatenated in input order; in-process when small.

    func must be a module-level function (it is pickled by name) returning one result per item.
    """
    workers = max(1, workers or os.cpu_count() or 1)
    if workers == 1 or len(items) < PARALLEL_MIN_ITEMS:
        return list(func(items))
    size = max(16, min(256, len(items) // (workers * 4) or 1))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=worker_context()) as pool:
        return [result for chunk_results in pool.map(func, chunks) for result in chunk_results]
