"""Fetch shards: with `crawl.fetch_workers` > 1, the hosts are split over worker processes, each host owned by one.

Why: one asyncio process runs out of CPU (TLS, decompression, charset detection) long before the network does,
but politeness is state: per-host delay and concurrency, AutoThrottle, the request budget, Retry-After/back-off
live in one `Throttle`, robots.txt in one robots cache. So each host (the throttle's key, `host_key`) belongs to
exactly one shard, picked by a stable hash of its name (`shard_of`), and a redirect to a host another shard owns
is handed over to that shard (`Handoff`) instead of followed. Per host, the requests, their order and their
spacing are then those of the single in-process fetcher, whatever the number of shards.

Results stream back to the caller's one `handle` (the WARC writer) through one bounded channel: at most
`max_pending` results wait in it, and each shard keeps the in-process bound on its share of `max_concurrency`
(README, "Memory"). `run_shard` is the whole worker and talks only through two `Channel`s, so a Ray actor per
shard could run it with `ray.util.queue.Queue`s; here each shard is a local process from the fork server
(`freshdata.workers.worker_context`: Dagster step processes are not safe to fork).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import itertools
import multiprocessing
import multiprocessing.queues
import queue
import traceback
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any, Protocol

from freshdata.config import CrawlConfig
from freshdata.crawl.fetch import (
    FetchBatch,
    Fetcher,
    FetchRequest,
    FetchResult,
    Handoff,
    default_max_pending,
    fetch_many,
    host_key,
    run_on_new_loop,
)
from freshdata.crawl.robots import RobotsPolicy
from freshdata.workers import worker_context

SEND_BATCH = 1000  # requests a message: the initial work goes out in slices, not one pickle of the whole day
POLL_S = 1.0  # how often a blocked side checks that the other side still lives

# One piece of work: (index in the caller's request list, the request, where to resume it or None).
Work = tuple[int, FetchRequest, Handoff | None]


class Channel(Protocol):
    """A blocking queue between the parent and one shard (multiprocessing's, or Ray's)."""

    def put(self, item: Any) -> None: ...

    def get(self) -> Any: ...


def shard_of(host: str, shards: int) -> int:
    """The shard that owns `host`: the same on every run, machine and Python (not `hash()`), whatever the order
    in which URLs come."""
    return int.from_bytes(hashlib.blake2b(host.encode(), digest_size=8).digest(), "big") % shards


def shard_config(cfg: CrawlConfig, shard: int) -> CrawlConfig:
    """The settings one shard runs with: its share of max_concurrency (the shares add up to it), one worker."""
    share, extra = divmod(cfg.max_concurrency, cfg.fetch_workers)
    return cfg.model_copy(update={"max_concurrency": share + (shard < extra), "fetch_workers": 1})


def run_shard(shard: int, cfg: CrawlConfig, robots: dict[str, RobotsPolicy], inbox: Channel,
              outbox: Channel) -> None:
    """Serve one shard until the inbox says ("stop",), then report ("done", …). Never raises: a failure is sent
    as ("error", shard, traceback).

    Inbox: ("fetch", [Work, …]), ("stop",). Outbox: ("result", index, FetchResult), ("handoff", index, Handoff),
    ("done", shard, robots results, robots sitemaps, robots policies), ("error", shard, text). Both ways, routed by
    the parent: ("robots_request", asking shard, id, url) for a robots.txt that redirected to a host another shard
    owns, to that shard, and ("robots_answer", asking shard, id, answer) back.
    """
    try:
        run_on_new_loop(_serve(shard, cfg, robots, inbox, outbox))
    except BaseException:  # noqa: BLE001 - the parent must hear of it, whatever it is
        outbox.put(("error", shard, traceback.format_exc()))


async def _serve(shard: int, cfg: CrawlConfig, robots: dict[str, RobotsPolicy], inbox: Channel,
                 outbox: Channel) -> None:
    shards = cfg.fetch_workers
    loop = asyncio.get_running_loop()
    sender = concurrent.futures.ThreadPoolExecutor(1, "freshdata-shard-send")
    receiver = concurrent.futures.ThreadPoolExecutor(1, "freshdata-shard-inbox")
    failed: asyncio.Future[None] = loop.create_future()
    asked: dict[int, asyncio.Future[Any]] = {}  # robots.txt requests this shard asked other shards to send
    ask_ids = itertools.count()

    async def send(message: tuple) -> None:
        try:
            await loop.run_in_executor(sender, outbox.put, message)
        except BaseException as exc:
            if not failed.done():
                failed.set_exception(exc)
            raise

    async def robots_elsewhere(url: str) -> Any:
        ask = next(ask_ids)
        asked[ask] = loop.create_future()
        await send(("robots_request", shard, ask, url))
        return await asked[ask]

    fetcher = Fetcher(shard_config(cfg, shard), robots, owns=lambda url: shard_of(host_key(url), shards) == shard,
                      robots_elsewhere=robots_elsewhere)
    fetcher.max_pending = default_max_pending(fetcher.cfg)

    async def one(index: int, request: FetchRequest, resume: Handoff | None) -> None:
        out = await fetcher.fetch_step(request, resume)
        message = ("handoff" if isinstance(out, Handoff) else "result", index, out)
        fetcher.pending += 1  # as in fetch_many: no await since the exchange ended, so the bound holds
        try:
            await send(message)
        finally:
            del out, message
            fetcher._taken()

    async def robots_for(asker: int, ask: int, url: str) -> None:
        await send(("robots_answer", asker, ask, await fetcher.robots_request(url)))

    tasks: list[asyncio.Task[None]] = []
    try:
        while True:
            receive = loop.run_in_executor(receiver, inbox.get)
            await asyncio.wait([receive, failed], return_when=asyncio.FIRST_COMPLETED)
            if failed.done():
                failed.result()
            message = receive.result()
            if message[0] == "stop":
                break
            if message[0] == "fetch":
                tasks += [asyncio.ensure_future(one(*work)) for work in message[1]]
            elif message[0] == "robots_request":
                tasks.append(asyncio.ensure_future(robots_for(*message[1:])))
            else:  # "robots_answer"
                asked.pop(message[2]).set_result(message[3])
        await asyncio.gather(*tasks)
    finally:
        await fetcher.aclose()
        sender.shutdown(wait=True, cancel_futures=True)
        receiver.shutdown(wait=False, cancel_futures=True)
    outbox.put(("done", shard, fetcher.robots_results, fetcher.robots_sitemaps, fetcher.known_robots))


class _LocalChannel:
    """A multiprocessing queue seen from a shard process: blocking calls give up when the parent is gone, so a
    killed run leaves no shard behind."""

    def __init__(self, q: multiprocessing.queues.Queue) -> None:
        self.q = q

    def put(self, item: Any) -> None:
        while True:
            try:
                return self.q.put(item, timeout=POLL_S)
            except queue.Full:
                _exit_if_orphaned()

    def get(self) -> Any:
        while True:
            try:
                return self.q.get(timeout=POLL_S)
            except queue.Empty:
                _exit_if_orphaned()


def _exit_if_orphaned() -> None:
    parent = multiprocessing.parent_process()
    if parent is not None and not parent.is_alive():
        raise SystemExit("fetch shard: the parent process is gone")


def _shard_process(shard: int, cfg: CrawlConfig, robots: dict[str, RobotsPolicy], inbox: multiprocessing.queues.Queue,
                   outbox: multiprocessing.queues.Queue) -> None:
    """The local-process entry point of a shard."""
    run_shard(shard, cfg, robots, _LocalChannel(inbox), _LocalChannel(outbox))


def fetch_sharded(requests: list[FetchRequest], cfg: CrawlConfig,
                  on_result: Callable[[FetchResult], None] | None = None,
                  robots: dict[str, RobotsPolicy] | None = None, *,
                  handle: Callable[[FetchResult], Any] | None = None, max_pending: int | None = None) -> FetchBatch:
    """`fetch_many` over `cfg.fetch_workers` shard processes (with 1, `fetch_many` itself); same arguments, same
    batch.

    With shards, `on_result` and `handle` run on the calling thread, one result at a time, as results arrive, and
    at most `max_pending` results (default max_concurrency) wait for them in the channel.
    """
    if cfg.fetch_workers == 1 or not requests:
        return fetch_many(requests, cfg, on_result, robots, handle=handle, max_pending=max_pending)
    if max_pending is not None and max_pending < 1:
        raise ValueError("max_pending must be at least 1")
    shards = cfg.fetch_workers
    robots = robots if robots is not None else {}
    work: list[list[Work]] = [[] for _ in range(shards)]
    for index, request in enumerate(requests):
        work[shard_of(host_key(request.url), shards)].append((index, request, None))
    context = worker_context(["freshdata.crawl.shards"])
    outbox = context.Queue(maxsize=max_pending or default_max_pending(cfg))
    inboxes = [context.Queue() for _ in range(shards)]
    procs: list[BaseProcess] = []
    for shard in range(shards):
        known = {origin: p for origin, p in robots.items() if shard_of(host_key(origin), shards) == shard}
        procs.append(context.Process(target=_shard_process, args=(shard, cfg, known, inboxes[shard], outbox),
                                     name=f"freshdata-fetch-{shard}", daemon=True))
    out: list[Any] = [None] * len(requests)
    batch = FetchBatch(results=[])
    try:
        for proc in procs:
            proc.start()
        for shard, items in enumerate(work):
            for start in range(0, len(items), SEND_BATCH):
                inboxes[shard].put(("fetch", items[start : start + SEND_BATCH]))
        del work
        done: set[int] = set()
        remaining = len(requests)
        while remaining:
            message = _receive(outbox, procs, done)
            if message[0] == "handoff":
                _, index, hand = message
                owner = shard_of(host_key(hand.result.redirects[-1]), shards)
                inboxes[owner].put(("fetch", [(index, hand.result.request, hand)]))
            elif message[0] == "robots_request":  # to the shard that owns the URL's host
                inboxes[shard_of(host_key(message[3]), shards)].put(message)
            elif message[0] == "robots_answer":  # back to the shard that asked
                inboxes[message[1]].put(message)
            else:
                _, index, result = message
                if on_result is not None:
                    on_result(result)
                out[index] = result if handle is None else handle(result)
                remaining -= 1
            del message
        for inbox in inboxes:
            inbox.put(("stop",))
        while len(done) < shards:
            _, shard, robots_results, robots_sitemaps, policies = _receive(outbox, procs, done)
            done.add(shard)
            batch.robots += robots_results
            batch.robots_sitemaps.update(robots_sitemaps)  # hosts are disjoint between shards
            robots.update(policies)
        for proc in procs:
            proc.join()
    finally:
        for proc in procs:
            if proc.is_alive():  # an error or an interrupt: nothing more is needed from them
                proc.terminate()
                proc.join()
    if handle is None:
        batch.results = out
    else:
        batch.handled = out
    return batch


def _receive(outbox: multiprocessing.queues.Queue, procs: list[BaseProcess], done: set[int]) -> tuple:
    """The next message from the shards; raises when a shard failed or died before saying it was done."""
    while True:
        try:
            message = outbox.get(timeout=POLL_S)
        except queue.Empty:
            dead = [(k, p) for k, p in enumerate(procs) if k not in done and p.exitcode is not None]
            if not dead:
                continue
            try:  # what it sent before it exited is already in the pipe
                message = outbox.get(timeout=POLL_S)
            except queue.Empty:
                shard, proc = dead[0]
                raise RuntimeError(f"fetch shard {shard} exited (code {proc.exitcode}) before it was done") from None
        if message[0] == "error":
            raise RuntimeError(f"fetch shard {message[1]} failed:\n{message[2]}")
        return message
