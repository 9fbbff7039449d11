"""Running days through Dagster from the command line so that no crash ever blocks the next run.

* One CLI run per data home at a time (a file lock): while a run holds it, it says so, and gives up
  after `wait_timeout_s` (FRESHDATA_WAIT_TIMEOUT, default one hour).
* Holding that lock proves that every earlier CLI run on this home has ended, so a CLI-launched Dagster
  run that is still "started" lost its process (kill -9, OOM, disk full, power cut): it is marked
  failed and its `duckdb` pool slot freed before the next run starts. Slots still held by finished runs
  are freed too.
* The job runs on a worker thread; this thread watches it. A run waiting for a pool slot held by another
  run (one launched from the UI) says which within seconds and gives up after the same timeout, and the
  first Ctrl-C or SIGTERM stops the run at once, like kill -9 would: every stage is crash-safe (its day
  is replaced in one transaction, the archive is salvaged, publication is one rename), so the next run
  resumes where this one stopped.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import signal
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

from freshdata import clock, progress
from freshdata.config import ConfigError, load_sources, wait_timeout_s

REPO_DAGSTER_YAML = Path(__file__).resolve().parent.parent / "dagster.yaml"
PACKAGED_DAGSTER_YAML = Path(__file__).resolve().parent / "dagster.yaml"
POLL_S = 0.5
REMIND_EVERY_S = 60.0
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
EXIT_WAIT_TIMEOUT = 1  # as for a lock wait that timed out
NO_SPACE = re.compile(r"no space left on device|database or disk is full|errno 28\b|\[Errno 28\]", re.IGNORECASE)
_QUOTED_PATH = re.compile(r"""["'](/[^"'\\]+)""")

Say = Callable[[str], None]


_terminal: dict[str, object] = {}


def say(message: str) -> None:
    """One line to stderr, now (whatever the log level): what the run waits for, why it stopped.

    Written to the stderr this process started with: while a step runs, Dagster's compute-log capture
    redirects file descriptors 1 and 2 through `tail` processes of its own."""
    out = _terminal.get("stderr") or sys.stderr
    _LIVE.clear()
    print(f"freshdata: {message}", file=out, flush=True)


class LiveLine:
    """One updating progress line on a terminal's stderr ("\r", erase line); nothing at all when stderr is not
    a terminal (a log file or a pipe gets the one-line messages and the day summaries only)."""

    def __init__(self) -> None:
        self.shown = False

    def enabled(self) -> bool:
        out = _terminal.get("stderr") or sys.stderr
        try:
            return out.isatty()
        except (AttributeError, ValueError, OSError):
            return False

    def show(self, text: str) -> None:
        if not self.enabled():
            return
        out = _terminal.get("stderr") or sys.stderr
        width = shutil.get_terminal_size((100, 20)).columns - 1
        out.write("\r\033[K" + text[:width])
        out.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            out = _terminal.get("stderr") or sys.stderr
            with contextlib.suppress(OSError, ValueError):
                out.write("\r\033[K")
                out.flush()
            self.shown = False


_LIVE = LiveLine()


def _keep_terminal() -> None:
    if "stderr" not in _terminal:
        _terminal["stderr"] = os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1, closefd=True)


class WaitTimeout(Exception):
    """Gave up waiting for another run (the home lock or a Dagster pool slot)."""


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM: stop now. A BaseException so that no `except Exception` swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def prepare_instance(home: Path, sources: Path) -> Path:
    """$FRESHDATA_HOME/dagster holds the CLI's (and `make ui`'s) Dagster instance, with the repo's dagster.yaml.

    Exports the home and the absolute sources path too: Dagster's step and code-server processes inherit them.
    """
    os.environ["FRESHDATA_HOME"] = str(home)
    os.environ["FRESHDATA_SOURCES"] = str(sources.resolve())
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True, exist_ok=True)
    source = REPO_DAGSTER_YAML if REPO_DAGSTER_YAML.exists() else PACKAGED_DAGSTER_YAML
    if source.exists():
        shutil.copyfile(source, dagster_home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    return dagster_home


@contextlib.contextmanager
def home_lock(home: Path, timeout_s: float, tell: Say = say) -> Iterator[None]:
    """One CLI run per data home at a time: DuckDB has one writer. Waits (saying for whom) up to timeout_s."""
    home.mkdir(parents=True, exist_ok=True)
    with (home / ".run.lock").open("a+") as fh:
        started = time.monotonic()
        told = 0.0
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited >= timeout_s:
                    raise WaitTimeout(f"gave up after {timeout_s:.0f} s waiting for the run lock on {home} "
                                      f"({_lock_holder(fh)}); set FRESHDATA_WAIT_TIMEOUT to wait longer") from None
                if not told or time.monotonic() - told >= REMIND_EVERY_S:
                    tell(f"waiting for another run on {home} to finish ({_lock_holder(fh)}); "
                         f"giving up after {timeout_s:.0f} s")
                    told = time.monotonic()
                time.sleep(min(POLL_S, max(0.0, timeout_s - waited)))
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}\n")
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _lock_holder(fh) -> str:
    fh.seek(0)
    return fh.read().strip() or "pid unknown"


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """The first Ctrl-C or SIGTERM raises Interrupted in the main thread (Dagster would delay both)."""

    def handler(signum, _frame):
        raise Interrupted(signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (Linux /proc): the extraction fork server and its workers."""
    children: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            children[int(stat.read_text().rpartition(")")[2].split()[1])].append(int(stat.parent.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def abandon_run(instance, run_id: str, why: str, exit_code: int) -> None:
    """Stop this process now, as kill -9 would, but leave the instance clean: the run marked failed, its
    pool slots freed, its worker processes killed. Every stage is crash-safe, so nothing else is needed."""
    for pid in _descendants(os.getpid()):  # extraction workers, Dagster's compute-log `tail`s
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        run = instance.get_run_by_id(run_id)
        if run is not None and not run.is_finished:
            instance.report_run_failed(run, message=f"freshdata: {why}")
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    say(why)
    os._exit(exit_code)


def _pool_holders(instance, run_id: str) -> str | None:
    """Who holds the pool slot our run waits for, or None when it does not wait."""
    from freshdata.defs.recovery import LAUNCHER_TAG  # Dagster: loaded once a run starts
    from freshdata.defs.resources import DUCKDB_POOL

    info = instance.event_log_storage.get_concurrency_info(DUCKDB_POOL)
    if run_id not in info.pending_run_ids:
        return None
    holders = []
    for other in sorted(info.active_run_ids - {run_id}):
        run = instance.get_run_by_id(other)
        launched = (run.tags.get(LAUNCHER_TAG) if run else None) or "ui/daemon"
        holders.append(f"run {other[:8]} ({run.status.value if run else 'unknown'}, {launched})")
    return ", ".join(holders) or "another run"


def _running_step(instance, run_id: str) -> tuple[str, float] | None:
    """The step the run started last and how long ago (from Dagster's event log), or None before the first."""
    import dagster as dg

    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_START, limit=1,
                                           ascending=False).records
    if not records:
        return None
    entry = records[0].event_log_entry
    return entry.step_key or "", time.time() - entry.timestamp


def progress_line(day: date | str, step: tuple[str, float] | None, current: progress.Progress | None) -> str | None:
    """`2026-11-21 fetched_pages: 37/120 pages (12 s)`: the stage's own count when it reports one, else the step."""
    if current is not None and (step is None or current.stage == step[0]):
        return f"{day} {current.line()} ({current.elapsed_s:.0f} s)"
    if step is not None:
        return f"{day} {step[0]} ({step[1]:.0f} s)"
    return None


def execute_day(job, instance, day: date | str, run_config: dict, timeout_s: float, tell: Say = say,
                partition_key: str | None = None):
    """execute_in_process on a worker thread, watched from here: pool waits, timeout, Ctrl-C/SIGTERM, and the
    live progress line on a terminal. `day` labels the messages; the partition is `partition_key`, else the day."""
    from freshdata.defs.recovery import LAUNCHER_TAG  # Dagster: loaded once a run starts
    from freshdata.defs.resources import DUCKDB_POOL


    run_id = str(uuid.uuid4())  # what Dagster's own (private) make_new_run_id returns
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["result"] = job.execute_in_process(
                partition_key=partition_key or str(day), instance=instance, raise_on_error=False, run_config=run_config,
                run_id=run_id, tags={LAUNCHER_TAG: "cli", "freshdata/pid": str(os.getpid())})
        except BaseException as exc:  # reported by the watching thread
            outcome["error"] = exc
        finally:
            outcome["ended"] = True
            progress.wake()  # the watcher sees the end at once

    worker = threading.Thread(target=target, name=f"freshdata-run-{day}", daemon=True)
    waiting_since: float | None = None
    told = 0.0
    live = _LIVE.enabled()
    progress.finish()
    try:
        worker.start()
        while not outcome.get("ended"):
            progress.wait(POLL_S)
            holders = _pool_holders(instance, run_id) if worker.is_alive() else None
            if holders is None:
                waiting_since = None
                if live and worker.is_alive():
                    with contextlib.suppress(Exception):  # a busy event log: no line this time
                        line = progress_line(day, _running_step(instance, run_id), progress.current())
                        if line:
                            _LIVE.show(line)
                continue
            now = time.monotonic()
            waiting_since = waiting_since or now
            if now - waiting_since >= timeout_s:
                abandon_run(instance, run_id, f"{day}: gave up after {timeout_s:.0f} s waiting for "
                            f"Dagster pool '{DUCKDB_POOL}' held by {holders}; set FRESHDATA_WAIT_TIMEOUT to wait "
                            "longer", EXIT_WAIT_TIMEOUT)
            if not told or now - told >= REMIND_EVERY_S:
                tell(f"{day}: waiting for Dagster pool '{DUCKDB_POOL}' held by {holders}; "
                     f"giving up after {timeout_s:.0f} s")
                told = now
    except Interrupted as exc:
        abandon_run(instance, run_id, f"{day}: stopped by {exc} (the next run resumes this day)",
                    128 + exc.signum)
    finally:
        _LIVE.clear()
        progress.finish()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _error_chain(error) -> Iterator:
    while error is not None:
        yield error
        error = error.cause or getattr(error, "context", None)


def _full_places(home: Path) -> list[str]:
    """The data home's folders that sit on a full file system (under 1 MiB free), one per device."""
    seen, full = set(), []
    for place in (home, home / "raw", home / "snapshots", home / "exports", home / "dedup_index", home / "dagster"):
        with contextlib.suppress(OSError):
            device = place.stat().st_dev
            if device not in seen:
                seen.add(device)
                if shutil.disk_usage(place).free < 1 << 20:
                    full.append(str(place))
    return full


def no_space_line(day: date | str, where: str, text: str, home: Path, path: str | None = None) -> str:
    """'no space left on device' with the path: the one the error names, else the full folders of the home."""
    match = _QUOTED_PATH.search(text)
    places = ([path] if path else []) or ([match.group(1)] if match else []) or _full_places(home) or [str(home)]
    return (f"{day}: {where}no space left on device ({', '.join(places)}); free space and run again: "
            "the next run resumes this day")


def explain_exception(day: date | str, exc: BaseException, home: Path) -> str:
    """One line for an error raised outside any step (e.g. Dagster's own storage)."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC or NO_SPACE.search(text) or (
            "disk I/O error" in text and _full_places(home)):
        path = getattr(exc, "filename2", None) or getattr(exc, "filename", None)  # copyfile: filename is the source
        return no_space_line(day, "Dagster storage: ", text, home, path)
    return f"{day}: {text.splitlines()[0] if text else type(exc).__name__}"


def _still_visible(home: Path, day: date) -> str:
    from freshdata.snapshot import published_entry

    entry = published_entry(home, day)
    if entry is None:
        return "readers see no snapshot of this day"
    return f"readers still see its previous publication ({entry['n_documents']} documents)"


def explain_failure(day: date, result, home: Path, label: str | None = None) -> list[str]:
    """One line per failed blocking check or failed step: its deepest cause, and 'no space left' with the
    path when that is the cause; then what readers see of the day. `label` (an hour) replaces the day in them."""
    lines = []
    said = label or day
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if not data.passed and data.severity.value == "ERROR":
                lines.append(f"{said}: check {data.check_name} failed: {data.description}")
            continue
        if not event.is_step_failure:
            continue
        error = event.step_failure_data.error
        chain = list(_error_chain(error))
        if any(e.cls_name == "DagsterAssetCheckFailedError" for e in chain):
            continue  # said above, with the check's own description
        full = "\n".join(e.message for e in chain)
        if NO_SPACE.search(full):
            lines.append(no_space_line(said, f"step {event.step_key}: ", full, home))
            continue
        deepest = next((e for e in reversed(chain) if e.message.strip()), error)
        message = deepest.message.strip().splitlines()[0] if deepest and deepest.message.strip() else "failed"
        lines.append(f"{said}: step {event.step_key} failed: {message}")
    if not lines:
        lines.append(f"{said}: run {result.run_id} failed")
    lines.append(f"{day}: not published; {_still_visible(home, day)}")
    return lines


DEMO_MARKER = ".freshdata-demo"  # a data home made by `freshdata demo`, which the next demo may wipe


def run_days(days: list[date], sources: Path, home: Path, quiet: bool = False,
             after_day: Callable[[date], None] | None = None, demo: bool = False) -> bool:
    """Materialize the whole pipeline for each day, in order, through Dagster with a persistent instance.

    Any run but the demo's own removes the demo marker first: from then on the home holds real data and
    `freshdata demo` refuses to wipe it."""
    label = days[0].isoformat() + (f"..{days[-1].isoformat()}" if len(days) > 1 else "")
    return _run_locked(label, sources, home, demo, lambda timeout_s, log_level: _run_days_locked(
        days, home, quiet, timeout_s, log_level, after_day))


def _run_locked(label: str, sources: Path, home: Path, demo: bool, work: Callable[[float, str], bool]) -> bool:
    """What every `freshdata run` does around its Dagster runs: the sources file checked first (with the
    file/source/field, before Dagster starts), the demo marker removed unless this is the demo, then `work`
    under the home's lock; a failure outside the runs is one line, never a traceback."""
    try:
        load_sources(sources)
        timeout_s = wait_timeout_s()
        log_level = dagster_log_level()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return False
    if not demo:
        with contextlib.suppress(FileNotFoundError):
            (home / DEMO_MARKER).unlink()
    _keep_terminal()
    try:
        prepare_instance(home, sources)
        with stop_on_signals(), home_lock(home, timeout_s):
            return work(timeout_s, log_level)
    except WaitTimeout as exc:
        say(str(exc))
        return False
    except Exception as exc:  # Dagster's own storage, the lock file, …: one line, never a traceback
        say(explain_exception(label, exc, home))
        return False
    except Interrupted as exc:
        say(f"stopped by {exc} before the run started")
        sys.exit(128 + exc.signum)


def dagster_log_level() -> str:
    """Dagster's console log level from FRESHDATA_LOG_LEVEL; off by default (failures get one line each)."""
    level = (os.environ.get("FRESHDATA_LOG_LEVEL") or "CRITICAL").upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"FRESHDATA_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
    return level


@contextlib.contextmanager
def _dagster(log_level: str) -> Iterator[tuple]:
    """(definitions, the home's instance with its stale runs recovered, the run config every run uses)."""
    import warnings

    import dagster as dg

    from freshdata.defs.recovery import recover_stale_runs  # Dagster: loaded once a run starts

    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    from freshdata.definitions import build_definitions

    defs = build_definitions()
    with dg.DagsterInstance.get() as instance:
        recover_stale_runs(instance, tell=say)
        yield defs, instance, {"loggers": {"console": {"config": {"log_level": log_level}}}}


def _execute_or_explain(job, instance, day: date, run_config: dict, timeout_s: float, home: Path,
                        label: str | None = None, partition_key: str | None = None):
    """One run of `job`; its result when it succeeded, else None with each cause said in one line. `label` (an
    hour) names the run in place of the day."""
    try:
        result = execute_day(job, instance, label or day, run_config, timeout_s, partition_key=partition_key)
    except Exception as exc:
        say(explain_exception(label or day, exc, home))
        return None
    if not result.success:
        for line in explain_failure(day, result, home, label=label):
            say(line)
        return None
    return result


def _run_days_locked(days: list[date], home: Path, quiet: bool, timeout_s: float, log_level: str,
                     after_day: Callable[[date], None] | None) -> bool:
    with _dagster(log_level) as (defs, instance, run_config):
        job = defs.resolve_job_def("daily_pipeline")
        for day in days:
            result = _execute_or_explain(job, instance, day, run_config, timeout_s, home)
            if result is None:
                return False
            if not quiet:
                print(f"{day}: run {result.run_id} succeeded", flush=True)
            if after_day is not None:
                after_day(day)
    return True


HOUR_KEY = "%Y-%m-%d-%H:%M"  # the hourly partitions' keys


def run_hours(hours: list[datetime], sources: Path, home: Path, quiet: bool = False,
              after_hour: Callable[[datetime], None] | None = None, demo: bool = False,
              frozen_clock: bool = False) -> bool:
    """For each UTC hour, in order: its crawl round (job hourly_crawl), then the day's later stages from every
    round of the day so far, republished (job day_refresh), so the hour's pages are queryable when it returns.

    `frozen_clock` (the demo and tests): each hour runs with the clock frozen at the hour's end (freshdata.clock),
    as if it ran on time, so a loopback site that follows the same clock is crawled as it was then."""
    label = hours[0].strftime(HOUR_KEY) + (f"..{hours[-1].strftime(HOUR_KEY)}" if len(hours) > 1 else "")
    return _run_locked(label, sources, home, demo, lambda timeout_s, log_level: _run_hours_locked(
        hours, home, quiet, timeout_s, log_level, after_hour, frozen_clock))


def _run_hours_locked(hours: list[datetime], home: Path, quiet: bool, timeout_s: float, log_level: str,
                      after_hour: Callable[[datetime], None] | None, frozen_clock: bool) -> bool:
    with _dagster(log_level) as (defs, instance, run_config):
        crawl, refresh = defs.resolve_job_def("hourly_crawl"), defs.resolve_job_def("day_refresh")
        for hour in hours:
            key = hour.strftime(HOUR_KEY)
            day = hour.date()
            with clock.frozen_at(hour + timedelta(hours=1)) if frozen_clock else contextlib.nullcontext():
                for job, partition in ((crawl, key), (refresh, day.isoformat())):
                    if _execute_or_explain(job, instance, day, run_config, timeout_s, home, label=key,
                                           partition_key=partition) is None:
                        return False
            if not quiet:
                print(f"{key}: runs succeeded (round, then {day} republished)", flush=True)
            if after_hour is not None:
                after_hour(hour)
    return True
