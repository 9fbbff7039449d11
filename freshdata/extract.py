"""Main-text and metadata extraction with trafilatura, in a process pool with a per-page deadline.

trafilatura is the throughput ceiling of the whole pipeline (~8-9 real pages/s per core), so pages are
spread over every core; some real pages take seconds, and a pathological one must not stall the day:
pebble kills a worker that overruns its deadline and replaces it.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pebble import ProcessExpired, ProcessPool

from freshdata.compute import LOCAL, Deadline, Engine, batched, call_with_deadline, worker_died
from freshdata.crawl.archive import ArchiveDamaged
from freshdata.crawl.content import codec_name, media_type
from freshdata.faults import crash_point
from freshdata.workers import worker_context

DEFAULT_TIMEOUT_S = 30.0
SPOOL_BATCH = 256  # extracted texts handed to the day's texts spool at a time
RAY_BATCH = 8  # pages per Ray task: ~0.2-0.4 s of work, so task overhead stays small and slow pages spread
MIN_TEXT_CHARS = 1  # an empty extraction is a failure ("no_main_text"), anything else is data


@dataclass(frozen=True)
class ArchivedPage:
    """Where a page's raw body lies; the worker reads it, so the parent process stays idle on small machines."""

    raw_root: str
    warc_file: str
    offset: int
    encoding: str | None
    content_type: str | None
    content_hash: str | None = None  # sha256 and length fetch_log recorded: the record is verified against them
    body_bytes: int | None = None

    def load(self) -> str | bytes:
        """The page as trafilatura's input; ArchiveDamaged when the record does not read back as recorded."""
        from freshdata.crawl.archive import read_body

        body = read_body(self.raw_root, self.warc_file, self.offset, self.content_hash, self.body_bytes)
        return page_input(body, self.encoding, self.content_type)


class RawArchiveDamaged(RuntimeError):
    """Some of a day's fetched pages cannot be read back from the raw archive: the day's extraction is refused
    (nothing is written) rather than recording those pages as extraction failures."""

    def __init__(self, day: object, damaged: list[ArchiveDamaged]) -> None:
        files = sorted({d.warc_file for d in damaged})
        first = damaged[0]
        super().__init__(
            f"{day}: {len(damaged)} archived page record(s) are damaged in raw/{', raw/'.join(files)} "
            f"(first at offset {first.offset}: {first.problem}). Nothing was written for {day}: its earlier "
            f"extraction, if any, is kept. Re-run the whole day (freshdata run --date {day}): the fetch stage "
            "verifies the archive and fetches the damaged pages again.")
        self.day, self.damaged, self.files = day, damaged, files


@dataclass(frozen=True)
class ExtractJob:
    key: str  # caller's id for the page (the URL)
    html: str | bytes | ArchivedPage  # bytes: trafilatura detects the charset itself
    url: str
    date_known: bool = False  # the feed/sitemap gave a date: skip trafilatura's costly extensive date search


@dataclass
class Extraction:
    key: str
    ok: bool
    reason: str | None = None  # timeout | no_main_text | worker_crashed | error:<Type> | raw_damaged
    text: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    damage: ArchiveDamaged | None = None  # reason raw_damaged: the page's archived record is unreadable


METADATA_FIELDS = ("title", "author", "date", "sitename", "hostname", "description", "categories", "tags")
# When the feed or sitemap dated the page, trafilatura's costly extensive date search is skipped.
KNOWN_DATE_PARAMS = {"extensive_search": False, "original_date": True}


def extract_one(job: ExtractJob) -> Extraction:
    """Run trafilatura on one page (in whatever process calls it)."""
    import trafilatura

    try:
        html = job.html.load() if isinstance(job.html, ArchivedPage) else job.html
    except ArchiveDamaged as exc:  # not the page's fault: the caller refuses the day (see extract_day)
        return Extraction(job.key, False, "raw_damaged", damage=exc)
    try:
        date_params = dict(KNOWN_DATE_PARAMS) if job.date_known else None
        doc = trafilatura.bare_extraction(html, url=job.url, with_metadata=True,
                                          date_extraction_params=date_params)
    except Exception as exc:  # trafilatura raises many things on broken HTML; each is a recorded failure
        return Extraction(job.key, False, f"error:{type(exc).__name__}")
    body = getattr(doc, "text", None) if doc is not None else None
    comments = getattr(doc, "comments", None) if doc is not None else None
    # Same text trafilatura.extract() returns: main text, then the comments section when present.
    text = f"{body or ''}\n{comments or ''}".strip()
    if not body or len(text) < MIN_TEXT_CHARS:
        return Extraction(job.key, False, "no_main_text")
    meta = {name: _plain(getattr(doc, name, None)) for name in METADATA_FIELDS}
    return Extraction(job.key, True, None, text, meta)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return str(value)


def _warm() -> None:
    """Workers import trafilatura up front (a no-op when the fork server already preloaded it)."""
    import trafilatura  # noqa: F401


def extract_many(
    jobs: Iterable[ExtractJob], workers: int | None = None, timeout_s: float = DEFAULT_TIMEOUT_S
) -> Iterator[Extraction]:
    """Extract every job over a process pool, yielding each result as soon as it is done (any order).

    Completion order, not input order: a slow page must not hold back the results behind it, or the
    bounded window fills up and the other workers idle (callers sort when order matters).
    """
    workers = max(1, workers or os.cpu_count() or 1)
    window = workers * 8  # bounded in-flight pages: memory stays flat whatever the day's size
    iterator = iter(jobs)
    first = next(iterator, None)
    if first is None:
        return
    in_flight: dict[Future, ExtractJob] = {}
    context = worker_context(["freshdata.extract", "trafilatura"])
    with ProcessPool(max_workers=workers, context=context, initializer=_warm) as pool:
        for job in itertools.chain([first], iterator):
            in_flight[pool.schedule(extract_one, args=(job,), timeout=timeout_s)] = job
            if len(in_flight) >= window:
                yield from _completed(in_flight)
        while in_flight:
            yield from _completed(in_flight)


def extract_distributed(jobs: Iterable[ExtractJob], engine: Engine,
                        timeout_s: float = DEFAULT_TIMEOUT_S) -> Iterator[Extraction]:
    """`extract_many` on a distributed engine: batches of pages as tasks, results in input order, each page
    with its own deadline inside its task; a batch whose worker died is re-run page by page, so only the page
    that kills its worker is recorded as worker_crashed (as the local pool records it)."""
    for results in engine.map_stream(partial(_extract_batch, timeout_s=timeout_s), batched(jobs, RAY_BATCH),
                                     on_error=partial(_retry_pages, engine=engine, timeout_s=timeout_s)):
        yield from results


def _extract_batch(jobs: list[ExtractJob], timeout_s: float) -> list[Extraction]:
    return [_extract_in_time(job, timeout_s) for job in jobs]


def _extract_in_time(job: ExtractJob, timeout_s: float) -> Extraction:
    try:
        return call_with_deadline(extract_one, job, timeout_s)
    except Deadline:
        return Extraction(job.key, False, "timeout")


def _retry_pages(jobs: list[ExtractJob], _exc: BaseException, engine: Engine, timeout_s: float) -> list[Extraction]:
    """A failed batch again, one task per page; a page whose own task fails is recorded, not raised."""
    return [r for page in engine.map_stream(partial(_extract_batch, timeout_s=timeout_s), [[job] for job in jobs],
                                             on_error=_crashed) for r in page]


def _crashed(jobs: list[ExtractJob], exc: BaseException) -> list[Extraction]:
    reason = "worker_crashed" if worker_died(exc) else f"error:{type(exc).__name__}"
    return [Extraction(job.key, False, reason) for job in jobs]


def _completed(in_flight: dict[Future, ExtractJob]) -> Iterator[Extraction]:
    """Wait for at least one future; pop and yield every finished one."""
    done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
    for future in done:
        yield _outcome(in_flight.pop(future), future)


def _outcome(job: ExtractJob, future: Future) -> Extraction:
    try:
        return future.result()
    except FutureTimeout:
        return Extraction(job.key, False, "timeout")
    except ProcessExpired:
        return Extraction(job.key, False, "worker_crashed")
    except Exception as exc:  # pickling or pool errors still end as a recorded state
        return Extraction(job.key, False, f"error:{type(exc).__name__}")

def page_input(body: bytes, encoding: str | None, content_type: str | None) -> str | bytes:
    """Text decoded with the charset the server declared in its Content-Type (when the fetcher confirmed it
    decodes cleanly); otherwise the raw bytes, so trafilatura's own detection (meta charset, heuristics)
    decides exactly as a direct trafilatura call would."""
    declared = codec_name(media_type(content_type)[1])
    if declared and declared == codec_name(encoding):
        return decode_body(body, encoding)
    return body


def decode_body(body: bytes, encoding: str | None) -> str:
    """Bytes → text with the charset the fetcher settled on; never raises."""
    try:
        return body.decode(encoding or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def extraction_counts(outcomes: Mapping[str, int]) -> dict[str, int]:
    """Extraction's summary of the day (the asset's metadata): extracted, failed, then failed by reason."""
    return {"extracted": outcomes.get("extracted", 0),
            "extraction_failed": sum(v for k, v in outcomes.items() if k.startswith("extraction_failed")),
            **{k: v for k, v in sorted(outcomes.items()) if k.startswith("extraction_failed:")}}


def extract_day(con, day, raw_root, sources, workers: int | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
                engine: Engine = LOCAL):
    """Extract every page the day fetched (read back from the WARC archive) into `documents`, on this machine's
    pool or, with a distributed `engine` and a day of workers.PARALLEL_MIN_ITEMS pages or more, on its workers
    (the same rows either way: a small day does not pay for readying a cluster's workers).

    Deterministic in the archived bytes, so a re-run or a backfill gives the same rows.
    Returns a Counter of outcomes: extracted, extraction_failed:<reason>.
    """
    from collections import Counter

    import polars as pl

    from freshdata import progress, store, texts
    from freshdata.crawl.archive import require_raw
    from freshdata.crawl.discover import parse_date
    from freshdata.crawl.urls import doc_id

    require_raw(raw_root, day)  # retention deleted this day's raw data: refuse, change nothing
    inputs = store.run(con, "select_extraction_inputs", {"day": day}).fetchall()
    tags = {s.name: s.tags for s in sources.sources}
    counts: Counter[str] = Counter()
    extraction_rows: list[dict] = []
    document_rows: list[dict] = []
    by_url = {row[0]: row for row in inputs}
    position = {row[0]: i for i, row in enumerate(inputs)}
    jobs = (
        ExtractJob(url, ArchivedPage(str(raw_root), warc_file, offset, encoding, content_type, content_hash,
                                     body_bytes), final_url or url, date_known=pub is not None)
        for url, final_url, _source, _fetched, encoding, content_type, warc_file, offset, pub, content_hash,
        body_bytes in inputs
    )
    progress.start("extracted_documents", len(inputs), "documents")
    results: list[Extraction] = []
    with texts.Spool(con, day, "extracted") as spool:
        pending: list[tuple[str, str]] = []
        on_cluster = engine.distributed and engine.parallel(len(inputs))
        extractions = (extract_distributed(jobs, engine, timeout_s) if on_cluster
                       else extract_many(jobs, workers=workers or engine.workers, timeout_s=timeout_s))
        for result in progress.counted(extractions):
            if result.ok:  # the text goes to the spool as it arrives: the day's texts are never all in memory
                pending.append((doc_id(result.key), result.text))
                result.text = None
                if len(pending) >= SPOOL_BATCH:
                    spool.add(pl.DataFrame(pending, schema=texts.TEXT_SCHEMA, orient="row"))
                    pending.clear()
            results.append(result)
        spool.add(pl.DataFrame(pending, schema=texts.TEXT_SCHEMA, orient="row"))
        del pending
        progress.finish()
        results.sort(key=lambda r: position[r.key])
        damaged = [r.damage for r in results if r.damage is not None]
        if damaged:  # never a smaller day: those pages are not extraction failures, their raw data is gone
            raise RawArchiveDamaged(day, damaged)
        for result in results:  # in input order, so the day's rows are written identically on every run
            url, final_url, source, fetched_at, _enc, _ctype, _file, _off, published_at, *_ = by_url[result.key]
            did = doc_id(url)
            state = "extracted" if result.ok else "extraction_failed"
            counts[state if result.ok else f"{state}:{result.reason}"] += 1
            extraction_rows.append({"partition_date": day, "url": url, "doc_id": did, "state": state,
                                    "reason": result.reason})
            if result.ok:
                meta = result.metadata
                document_rows.append({
                    "partition_date": day, "doc_id": did, "url": url, "final_url": final_url, "source": source,
                    "fetched_at": fetched_at, "published_at": published_at or parse_date(meta.get("date")),
                    "title": meta.get("title"), "author": meta.get("author"), "sitename": meta.get("sitename"),
                    "hostname": meta.get("hostname"), "description": meta.get("description"),
                    "categories": meta.get("categories") or [], "page_tags": meta.get("tags") or [],
                    "source_tags": [{"key": k, "value": v} for k, v in sorted(tags.get(source, {}).items())],
                })
        extraction_schema = {"partition_date": pl.Date, "url": pl.Utf8, "doc_id": pl.Utf8, "state": pl.Utf8,
                             "reason": pl.Utf8}
        document_schema = {
            "partition_date": pl.Date, "doc_id": pl.Utf8, "url": pl.Utf8, "final_url": pl.Utf8, "source": pl.Utf8,
            "fetched_at": pl.Datetime("us", "UTC"), "published_at": pl.Datetime("us", "UTC"), "title": pl.Utf8,
            "author": pl.Utf8, "sitename": pl.Utf8, "hostname": pl.Utf8, "description": pl.Utf8,
            "categories": pl.List(pl.Utf8), "page_tags": pl.List(pl.Utf8),
            "source_tags": pl.List(pl.Struct({"key": pl.Utf8, "value": pl.Utf8})),
        }
        documents = pl.DataFrame(document_rows, schema=document_schema)
        crash_point("extract:before_commit")
        with store.transaction(con):
            store.run(con, "delete_extraction_partition", {"day": day})
            store.insert_rows(con, "insert_extractions", pl.DataFrame(extraction_rows, schema=extraction_schema))
            store.insert_rows(con, "insert_documents", documents)
            spool.write_day(con)
    texts.remove_unreferenced(con, day)
    return counts
