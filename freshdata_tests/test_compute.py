"""compute.Engine: one ordered, bounded map_stream for the per-document stages, on the local pool or on Ray.

The Ray tests run on a rehearsal of a deployment on this machine: `ray start --head` with 2 worker processes,
loopback-only, no dashboard, no usage stats, its own auth token, stopped afterwards; this process connects to it
by address, as `compute: {engine: ray, address: …}` does. (A second `ray start --address` node is not possible on
loopback: Ray refuses a multi-node cluster once it is kept off the network, RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0.)
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from functools import partial

import pytest

from freshdata import compute
from freshdata.compute import Deadline, Engine, batched, call_with_deadline
from freshdata.extract import ExtractJob, extract_distributed
from freshdata_tests.compute_helpers import (
    RAY_TEST_ENV,
    CrashingPage,
    exit_on,
    ray_head,
    remember,
    slow_square,
    with_state,
)
from freshdata_tests.test_extract import HUGE, article


def test_local_engine_keeps_order_and_today_behaviour() -> None:
    engine = Engine("local", workers=2)
    assert [r for r, _ in engine.map_stream(slow_square, range(40))] == [x * x for x in range(40)]
    assert [r for r, _ in engine.map_stream(slow_square, range(5), parallel=False)] == [0, 1, 4, 9, 16]
    assert engine.describe() == {"compute_engine": "local", "compute_workers": 2}
    assert not engine.parallel(10) and engine.parallel(10**6) and not Engine("local", 1).parallel(10**6)


def test_batched_reads_lazily() -> None:
    pulled: list[int] = []

    def items() -> Iterator[int]:
        for i in range(7):
            pulled.append(i)
            yield i

    batches = batched(items(), 3)
    assert next(batches) == [0, 1, 2] and pulled == [0, 1, 2]
    assert list(batches) == [[3, 4, 5], [6]]


def test_deadline_interrupts_in_the_main_thread_only() -> None:
    with pytest.raises(Deadline):
        call_with_deadline(time.sleep, 5, 0.05)
    assert call_with_deadline(abs, -3, 0.05) == 3
    out: list[object] = []
    thread = threading.Thread(target=lambda: out.append(call_with_deadline(abs, -4, 0.05)))
    thread.start()
    thread.join()
    assert out == [4]


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory) -> Iterator[str]:
    """A head node with 2 CPUs on 127.0.0.1; this process connected to it."""
    with ray_head(tmp_path_factory.mktemp("ray")) as address, pytest.MonkeyPatch.context() as mp:
        for name, value in RAY_TEST_ENV.items():
            mp.setenv(name, value)
        import ray

        try:
            compute.connect_ray(address)
            assert [node["NodeManagerAddress"] for node in ray.nodes()] == ["127.0.0.1"]
            yield address
        finally:
            ray.shutdown()


@pytest.mark.slow
def test_ray_engine_keeps_order_bounds_in_flight_on_two_workers(rehearsal: str) -> None:
    engine = Engine("ray")
    assert engine.describe() == {"compute_engine": "ray", "compute_workers": 2}
    pulled = 0

    def chunks() -> Iterator[int]:
        nonlocal pulled
        for x in range(60):
            pulled += 1
            yield x

    results, most_ahead = [], 0
    for result in engine.map_stream(slow_square, chunks()):
        results.append(result)
        most_ahead = max(most_ahead, pulled - len(results))
    assert [r for r, _ in results] == [x * x for x in range(60)]
    assert most_ahead <= 2 * 2  # at most 2 chunks per worker in flight, as the local pool
    assert len({pid for _, pid in results}) >= 2


@pytest.mark.slow
def test_ray_engine_runs_the_initializer_in_each_worker(rehearsal: str) -> None:
    engine = Engine("ray", workers=2)
    out = list(engine.map_stream(with_state, range(8), initializer=remember, initargs=("recipe",)))
    assert out == [f"recipe:{x}" for x in range(8)]
    assert engine.parallel(10**6) and not engine.parallel(10)  # a small day stays in this process, as locally
    pid = os.getpid()
    assert {p for _, p in engine.map_stream(slow_square, range(3), parallel=False)} == {pid}


@pytest.mark.slow
def test_ray_engine_reports_a_dead_worker_to_on_error(rehearsal: str) -> None:
    engine = Engine("ray", workers=2)
    out = list(engine.map_stream(partial(exit_on, 3), range(5), on_error=lambda chunk, exc: (chunk, "lost")))
    assert out == [0, 1, 2, (3, "lost"), 4]


@pytest.mark.slow
def test_distributed_extraction_keeps_the_local_outcomes(rehearsal: str) -> None:
    """Same texts and metadata as in-process; a page over its deadline is a `timeout`, a page that kills its
    worker is `worker_crashed` (its batch is re-run page by page), the others still extract."""
    from freshdata.extract import extract_one

    jobs = [ExtractJob(f"p{i}", article(f"Story {i}", f"MARKER-{i}"), f"https://ex.com/{i}") for i in range(10)]
    jobs.insert(4, ExtractJob("huge", HUGE, "https://ex.com/huge"))
    jobs.insert(9, ExtractJob("crash", CrashingPage("/nowhere", "x.warc.gz", 0, None, None), "https://ex.com/c"))
    results = list(extract_distributed(jobs, Engine("ray"), timeout_s=2.0))
    assert [r.key for r in results] == [job.key for job in jobs]
    crash, huge = results.pop(9), results.pop(4)
    assert (huge.ok, huge.reason) == (False, "timeout")
    assert (crash.ok, crash.reason) == (False, "worker_crashed")
    for result, job in zip(results, [j for j in jobs if j.key not in ("huge", "crash")], strict=True):
        direct = extract_one(job)
        assert (result.ok, result.text, result.metadata) == (True, direct.text, direct.metadata)
