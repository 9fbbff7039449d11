"""Worker processes for CPU-bound per-document stages (extraction, quality, dedup), forked from a fork server.

Workers are forked from a small server process, never from the caller (which holds Dagster and DuckDB
threads and locks, unsafe to fork), and the server imports the stage's heavy modules once: a new worker
(or the replacement of one killed at its deadline) is ready in milliseconds instead of re-importing
trafilatura for a second or more. Small batches stay in-process: a pool only pays off on big days.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.context import BaseContext
from typing import TypeVar

PARALLEL_MIN_ITEMS = 500  # below this, starting workers (and maybe the fork server) costs more than it saves

T = TypeVar("T")
R = TypeVar("R")


def worker_context(preload: Sequence[str]) -> BaseContext:
    """The multiprocessing context every freshdata pool uses.

    `preload` is what the fork server imports when this call is the first of the process to start it (each
    Dagster step process starts its own); otherwise the workers import what they need themselves.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    return context


def map_chunks(func: Callable[[Sequence[T]], list[R]], items: Sequence[T], preload: Sequence[str],
               workers: int | None = None, initializer: Callable[..., None] | None = None,
               initargs: tuple = ()) -> list[R]:
    """func over consecutive chunks of items, results concatenated in input order; in-process when small.

    func must be a module-level function (it is pickled by name) returning one result per item; initializer
    (with initargs) runs once in each worker, e.g. to build state too costly to send with every chunk.
    """
    workers = max(1, workers or os.cpu_count() or 1)
    if workers == 1 or len(items) < PARALLEL_MIN_ITEMS:
        return list(func(items))
    size = max(16, min(256, len(items) // (workers * 4) or 1))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=worker_context(preload), initializer=initializer,
                             initargs=initargs) as pool:
        return [result for chunk_results in pool.map(func, chunks) for result in chunk_results]


def map_stream(func: Callable[[T], R], chunks: Iterable[T], preload: Sequence[str], workers: int | None = None,
               parallel: bool = True, initializer: Callable[..., None] | None = None,
               initargs: tuple = ()) -> Iterator[R]:
    """func over chunks as they come (an iterator that reads them lazily), results in input order, with at
    most 2 chunks per worker in flight: memory holds a few chunks, whatever the number of chunks.

    One pool for the whole stream; in-process when `parallel` is false (a small day) or with one worker.
    func (and initializer) must be module-level functions.
    """
    workers = max(1, workers or os.cpu_count() or 1)
    if not parallel or workers == 1:
        if initializer is not None:
            initializer(*initargs)
        yield from map(func, chunks)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=worker_context(preload), initializer=initializer,
                             initargs=initargs) as pool:
        in_flight: deque[Future] = deque()
        for chunk in chunks:
            in_flight.append(pool.submit(func, chunk))
            if len(in_flight) >= 2 * workers:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()
