"""Where the per-document CPU work runs: this machine's fork-server pool (engine `local`) or Ray tasks (`ray`).

The stages (extraction, quality, dedup features) hand `Engine.map_stream` a module-level batch function and an
iterator of batches; whichever engine runs them, results come back in input order with at most 2 batches per
worker in flight, so a day gives the same rows in the same order and memory holds a few batches either way.
Ray is imported only when a stream runs on it: `engine: local` (the default) never touches Ray.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from freshdata import workers as worker_pool

T = TypeVar("T")
R = TypeVar("R")

EngineName = Literal["local", "ray"]
_RAY_READY: dict[str, bool] = {}  # in a Ray worker: the streams whose initializer already ran in this process


@dataclass(frozen=True)
class Engine:
    """How a stage's batches are run. `workers`: local processes (default every core) or, on Ray, the tasks a
    stream keeps busy at once (default the cluster's CPUs)."""

    name: EngineName = "local"
    workers: int | None = None

    @property
    def distributed(self) -> bool:
        return self.name == "ray"

    def n_workers(self) -> int:
        """The worker count this engine runs a stream with (asked of the cluster on Ray)."""
        if self.workers:
            return self.workers
        if self.distributed:
            import ray

            return max(1, int(ray.cluster_resources().get("CPU", 1)))
        return max(1, os.cpu_count() or 1)

    def parallel(self, n_items: int) -> bool:
        """Whether a stream of `n_items` documents leaves this process: only from workers.PARALLEL_MIN_ITEMS on, on
        either engine. Below it, readying workers costs more than the work: a pool's workers load the stage's
        modules and models, and on Ray every `freshdata run` step is a new Ray job whose fresh worker processes
        import them again (a 300-page day ran at 0.55x the local engine before this threshold applied to Ray)."""
        if n_items < worker_pool.PARALLEL_MIN_ITEMS:
            return False
        return self.distributed or self.n_workers() > 1

    def describe(self) -> dict[str, object]:
        """What the UI shows on each per-document step: the engine and its worker count."""
        return {"compute_engine": self.name, "compute_workers": self.n_workers()}

    def map_stream(self, func: Callable[[T], R], chunks: Iterable[T], preload: Sequence[str] = (),
                   parallel: bool = True, initializer: Callable[..., None] | None = None,
                   initargs: tuple = (), on_error: Callable[[T, BaseException], R] | None = None) -> Iterator[R]:
        """func over chunks as they come, results in input order, at most 2 chunks per worker in flight.

        In-process when not `parallel` (see Engine.parallel), on either engine. Local: workers.map_stream. Ray:
        one task per chunk, initializer run once per Ray worker process and stream; a chunk whose task fails
        (its worker died) goes to `on_error` when given, else its error is raised. func, initializer and
        on_error must be module-level functions.
        """
        if not self.distributed or not parallel:
            yield from worker_pool.map_stream(func, chunks, preload, workers=self.workers, parallel=parallel,
                                              initializer=initializer, initargs=initargs)
            return
        yield from _ray_stream(func, chunks, self.n_workers(), initializer, initargs, on_error)


LOCAL = Engine()


def _ray_stream(func: Callable[[T], R], chunks: Iterable[T], n_workers: int,
                initializer: Callable[..., None] | None, initargs: tuple,
                on_error: Callable[[T, BaseException], R] | None) -> Iterator[R]:
    import ray

    task = ray.remote(max_retries=0)(_ray_call)  # no silent retry: a page that kills its worker is reported
    setup = ray.put((func, initializer, initargs, uuid.uuid4().hex))
    in_flight: deque[tuple[T, Any]] = deque()

    def result(chunk: T, ref: Any) -> R:
        try:
            return ray.get(ref)
        except (ray.exceptions.WorkerCrashedError, ray.exceptions.RayTaskError) as exc:
            if on_error is None:
                raise
            return on_error(chunk, exc)

    for chunk in chunks:
        in_flight.append((chunk, task.remote(setup, chunk)))
        if len(in_flight) >= 2 * n_workers:
            yield result(*in_flight.popleft())
    while in_flight:
        yield result(*in_flight.popleft())


def _ray_call(setup: tuple[Callable[[Any], Any], Callable[..., None] | None, tuple, str], chunk: Any) -> Any:
    """One chunk in a Ray worker; the stream's initializer first, once per worker process."""
    func, initializer, initargs, token = setup
    if initializer is not None and token not in _RAY_READY:
        initializer(*initargs)
        _RAY_READY.clear()  # one stream's state at a time, as a local pool's worker has
        _RAY_READY[token] = True
    return func(chunk)


def worker_died(exc: BaseException) -> bool:
    """Whether a chunk's task failed because its worker process died (not an error raised by the function)."""
    import ray

    return isinstance(exc, ray.exceptions.WorkerCrashedError)


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of `size` items (the last shorter), read lazily."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Deadline(BaseException):  # not Exception: trafilatura and extract_one catch those
    """Raised inside a call that overran its `deadline` (a Ray task has no pool to kill it from outside)."""


def call_with_deadline(func: Callable[[T], R], arg: T, seconds: float) -> R:
    """func(arg), interrupted by Deadline after `seconds` of wall time (SIGALRM: main thread only, where Ray
    runs a task; elsewhere it runs without a deadline)."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        return func(arg)

    def expire(_signum: int, _frame: object) -> None:
        raise Deadline

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return func(arg)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# A Ray cluster this process starts serves this machine only: every Ray process binds 127.0.0.1 (Ray's own switch
# for single-machine clusters; read when `ray` is imported, so set before) and sends no usage statistics.
LOCAL_RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}


def ray_running() -> bool:
    """Whether this process is connected to Ray (without importing it: the import fixes Ray's address rules)."""
    ray = sys.modules.get("ray")
    return ray is not None and ray.is_initialized()


def prepare_local_ray() -> None:
    """Make the Ray cluster this process is about to start loopback-only and quiet (see LOCAL_RAY_ENV)."""
    if "ray" in sys.modules and os.environ.get("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER") != "0":
        raise RuntimeError("Ray was imported before prepare_local_ray(): its local cluster would not be "
                           "loopback-only")
    for name, value in LOCAL_RAY_ENV.items():
        os.environ.setdefault(name, value)


def ray_init_options(num_cpus: int | None = None) -> dict[str, Any]:
    """ray.init options for a cluster this process starts: no dashboard, quiet, `num_cpus` worker slots (default
    every core). Call prepare_local_ray() before Ray is imported."""
    options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    if num_cpus:
        options["num_cpus"] = num_cpus
    return options


def connect_ray(address: str | None, num_cpus: int | None = None) -> None:
    """Connect this process to Ray once: to `address` (a running cluster: "HOST:PORT", "ray://HOST:10001" or
    "auto"), or, with none, to a loopback cluster started here with `num_cpus` workers."""
    if ray_running():
        return
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if not address:
        prepare_local_ray()
    import ray

    if address:
        ray.init(address=address, log_to_driver=False, configure_logging=False)
    else:
        ray.init(**ray_init_options(num_cpus))
