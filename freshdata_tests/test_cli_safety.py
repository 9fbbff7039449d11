"""The CLI is safe for the people who use it, for real (subprocesses of `freshdata`, a demo site on loopback):
`freshdata demo` never deletes a home that held a real run; bad input gives one line and a non-zero exit, never
a traceback; a closed pipe ends a command quietly; every option says what it does."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pty
import re
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from freshdata import progress, store
from freshdata.cli import build_parser, run_range
from freshdata.demo.runner import refuse_real_home
from freshdata.demo.site import DemoSite
from freshdata.runs import DEMO_MARKER, progress_line
from freshdata.snapshot import published_state
from freshdata_tests.pipeline_helpers import REPO_ROOT, write_demo_sources

FRESHDATA = str(Path(sys.executable).with_name("freshdata"))
YESTERDAY = datetime.now(UTC).date() - timedelta(days=1)
REAL_DAY = YESTERDAY - timedelta(days=3)  # not one of the demo's days


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRESHDATA_", "DAGSTER_"))}
    env.update(FRESHDATA_HOME=str(home), DAGSTER_HOME=str(home / "dagster"), **extra)
    return env


def cli(home: Path, *args: str, timeout: float = 300, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([FRESHDATA, *args], env=_env(home, **extra), cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=timeout)


def shell(home: Path, command: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], env=_env(home, FD=FRESHDATA, **extra), cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)


def one_line(proc: subprocess.CompletedProcess, *expected: str) -> str:
    assert proc.returncode != 0, proc
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def fingerprint(home: Path) -> dict:
    """What a real run leaves: every raw archive and snapshot file with its hash, the published list, the rows."""
    files = {str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
             for folder in ("raw", "snapshots") for p in sorted((home / folder).rglob("*")) if p.is_file()}
    with duckdb.connect(str(store.db_path(home)), read_only=True) as con:
        rows = {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("fetch_log", "documents", "snapshot_documents")}
    return {"files": files, "published": published_state(home), "rows": rows}


@pytest.fixture(scope="module")
def real_home(tmp_path_factory):
    """A home where the demo ran first (one day) and then a real `freshdata run --sources private.yaml`."""
    home = tmp_path_factory.mktemp("cli") / "home"
    demo = cli(home, "demo", "--days", "1", "--hours", "0")
    assert demo.returncode == 0, demo.stderr
    assert (home / DEMO_MARKER).exists()
    with DemoSite(days=[REAL_DAY]) as site:
        site.day = 1
        private = write_demo_sources(home.parent / "private", site)
        real = cli(home, "run", "--date", REAL_DAY.isoformat(), "--sources", str(private))
    assert real.returncode == 0, real.stderr
    assert "\r" not in real.stderr and "\x1b[" not in real.stderr  # not a terminal: no progress line
    return home


@pytest.mark.slow
def test_demo_refuses_a_home_that_held_a_real_run_and_keeps_its_data(real_home):
    assert not (real_home / DEMO_MARKER).exists()  # the real run took the home over
    before = fingerprint(real_home)
    assert any(name.startswith(f"raw/date={REAL_DAY}") for name in before["files"])
    assert any(e["snapshot_date"] == REAL_DAY.isoformat() for e in before["published"]["snapshots"])
    assert before["rows"]["snapshot_documents"] > 0
    line = one_line(cli(real_home, "demo"), str(real_home), "FRESHDATA_HOME=", "nothing was changed")
    assert line.startswith("freshdata demo:")
    # what `make demo` runs, with the Makefile's own FRESHDATA_HOME handling
    make = subprocess.run(["make", "-s", "demo"], env=_env(real_home), cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=300)
    assert make.returncode != 0 and str(real_home) in make.stderr and "Traceback" not in make.stderr
    assert fingerprint(real_home) == before


def test_refuse_real_home_rules(tmp_path):
    assert refuse_real_home(tmp_path / "missing") is None
    (tmp_path / "dagster").mkdir()
    (tmp_path / ".run.lock").write_text("")
    assert refuse_real_home(tmp_path) is None  # `freshdata ui` prepared it, nothing else
    (tmp_path / "raw").mkdir()
    assert str(tmp_path) in refuse_real_home(tmp_path)
    (tmp_path / DEMO_MARKER).write_text("")
    assert refuse_real_home(tmp_path) is None


TODAY = "{today}"  # filled in when the test runs, not when it is collected (a suite may cross midnight UTC)


@pytest.mark.parametrize(("args", "expected"), [
    (["--date", TODAY], "has not ended yet"),
    (["--date", (datetime.now(UTC).date() + timedelta(days=30)).isoformat()], "has not ended yet"),
    (["--date", "2023-12-31"], "before the first daily partition, 2024-01-01"),
    (["--date", "2026-11-21", "--to", "2026-11-01"], "--to 2026-11-01 is before --date 2026-11-21"),
    (["--date", "2026-11-21", "--to", TODAY], "--to"),
    (["--date", "21.11.2026"], "YYYY-MM-DD"),
])
def test_bad_run_dates_give_one_line_before_dagster_starts(tmp_path, args, expected):
    home = tmp_path / "home"
    args = [datetime.now(UTC).date().isoformat() if a == TODAY else a for a in args]
    one_line(cli(home, "run", *args, timeout=60), "freshdata:", expected)
    assert not (home / "dagster").exists()


def test_run_range_bounds():
    today = date(2026, 12, 1)
    assert run_range("2026-11-29", "2026-11-30", today) == [date(2026, 11, 29), date(2026, 11, 30)]
    assert run_range("2024-01-01", None, today) == [date(2024, 1, 1)]
    with pytest.raises(SystemExit):
        run_range("2026-12-01", None, today)


@pytest.mark.parametrize(("variable", "value"), [("FRESHDATA_LOG_LEVEL", "LOUD"), ("FRESHDATA_WAIT_TIMEOUT", "soon")])
def test_bad_environment_gives_one_line(tmp_path, variable, value):
    with DemoSite(days=[YESTERDAY]) as site:
        sources = write_demo_sources(tmp_path / "src", site)
        proc = cli(tmp_path / "home", "run", "--sources", str(sources), timeout=60, **{variable: value})
    one_line(proc, variable, value)


def test_demo_days_must_be_positive(tmp_path):
    one_line(cli(tmp_path / "home", "demo", "--days", "0", timeout=60), "--days")
    assert not (tmp_path / "home").exists()


@pytest.mark.slow
@pytest.mark.parametrize("command", [
    '"$FD" stats | head -1',
    '"$FD" query "SELECT * FROM range(200000)" | head -1',
    '"$FD" query "SELECT * FROM range(200000)" --format csv | head -1',
    '"$FD" query "SELECT * FROM range(200000)" --format json | head -1',
])
def test_closed_pipe_ends_quietly(real_home, command):
    proc = shell(real_home, f"{command}; echo \"status ${{PIPESTATUS[0]}}\" >&2")
    assert proc.stdout.strip(), proc
    assert proc.stderr.strip() in ("status 0", "status 141"), proc.stderr


def test_every_option_of_run_demo_query_ui_has_help():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command").choices
    missing = [f"{name} {'/'.join(action.option_strings) or action.dest}"
               for name in ("run", "demo", "query", "ui")
               for action in subparsers[name]._actions
               if action.dest != "help" and not (action.help or "").strip()]
    assert not missing


@pytest.mark.slow
def test_range_on_a_terminal_shows_one_updating_progress_line_and_each_summary_when_its_day_ends(real_home, tmp_path):
    first, last = REAL_DAY - timedelta(days=2), REAL_DAY - timedelta(days=1)
    master, slave = pty.openpty()
    seen = bytearray()

    def read() -> None:
        with contextlib.suppress(OSError):
            while chunk := os.read(master, 4096):
                seen.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    with DemoSite(days=[first, last]) as site:
        site.day = 1
        sources = write_demo_sources(tmp_path / "src", site)
        proc = subprocess.run([FRESHDATA, "run", "--date", first.isoformat(), "--to", last.isoformat(),
                               "--sources", str(sources)], env=_env(real_home), cwd=REPO_ROOT, stdout=slave,
                              stderr=slave, timeout=300)
    os.close(slave)
    reader.join(5)
    os.close(master)
    assert proc.returncode == 0
    text = seen.decode(errors="replace").replace("\r\n", "\n")  # the pty turns \n into \r\n
    updates = [u for u in text.split("\r\x1b[K") if u and "\n" not in u]
    assert any(re.fullmatch(rf"{first} fetched_pages: \d+/\d+ pages \(\d+ s\)", u) for u in updates), text
    assert any(re.fullmatch(rf"{first} extracted_documents: \d+/\d+ documents \(\d+ s\)", u) for u in updates)
    # a progress line is always erased, never ended by a newline that would leave it in the scrollback
    assert not any(re.match(r"\d{4}-\d\d-\d\d \w+(: \d+/\d+ \w+)? \(\d+ s\)\n", part)
                   for part in text.split("\r\x1b[K")), text
    # the first day's summary is out before the second day starts
    second_day_progress = text.index(f"\x1b[K{last} ")  # whichever stage the watcher saw first
    assert text.index(f"=== {first} ===") < second_day_progress < text.index(f"=== {last} ===")


def test_progress_registry_and_line():
    progress.start("fetched_pages", 120, "pages")
    for _ in progress.counted(range(37)):
        pass
    now = progress.current()
    assert (now.done, now.total) == (37, 120)
    assert progress_line(date(2026, 11, 21), ("fetched_pages", 3.0), now).startswith(
        "2026-11-21 fetched_pages: 37/120 pages (")
    assert progress_line(date(2026, 11, 21), ("dedup_decisions", 2.4), now) == "2026-11-21 dedup_decisions (2 s)"
    progress.finish()
    assert progress.current() is None


def test_stages_report_progress_without_importing_dagster():
    code = ("import sys, freshdata.progress, freshdata.extract, freshdata.crawl.daily; "
            "sys.exit('dagster' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, timeout=60).returncode == 0
