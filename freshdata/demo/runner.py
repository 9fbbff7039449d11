"""`freshdata demo`: serve the demo site on loopback and crawl it for consecutive days through Dagster."""

from __future__ import annotations

import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

from freshdata import clock, storage, store
from freshdata.config import ConfigError, wait_timeout_s
from freshdata.runs import DEMO_MARKER, home_lock

# What a home may hold and still be wiped without the marker: the Dagster instance (`freshdata ui` prepares it on
# an empty home) and the run lock. Anything else without the marker is someone's data.
_HARMLESS = {"dagster", ".run.lock", DEMO_MARKER}


def refuse_real_home(home: Path) -> str | None:
    """Why `freshdata demo` must not wipe `home`, or None. The demo writes the marker; every other
    `freshdata run` removes it (freshdata.runs.run_days), so a home that ever held a real run is refused."""
    if not home.exists() or (home / DEMO_MARKER).exists():
        return None
    if not any(child.name not in _HARMLESS for child in home.iterdir()):
        return None
    return (f"freshdata demo: {home} holds data of real runs (or data not made by the demo), and the demo would "
            "wipe it; nothing was changed. Choose another data home, e.g. FRESHDATA_HOME=$PWD/.freshdata-demo "
            "make demo")


def _reset_home(home: Path) -> None:
    """Start every demo from an empty data home, but never wipe a home that holds real data."""
    try:
        timeout_s = wait_timeout_s()
    except ConfigError as exc:
        raise SystemExit(str(exc)) from None
    home.mkdir(parents=True, exist_ok=True)
    with home_lock(home, timeout_s):  # no real run may start on it while we decide and wipe
        why = refuse_real_home(home)
        if why:
            raise SystemExit(why)
        marker = home / DEMO_MARKER
        marker.write_text("this data home was made by `freshdata demo` and is wiped by the next one; any other "
                          "`freshdata run` on it removes this file\n")
        for child in home.iterdir():
            if child.name in _HARMLESS:  # keep run history so the UI shows every demo run
                continue
            shutil.rmtree(child) if child.is_dir() else child.unlink()


DAILY_RUN_HOUR = 2  # the daily schedule's default hour: each demo day is crawled at 02:00 the next day
FIRST_LIVE_HOUR = 9  # the intraday day's hourly runs: 09:00, 10:00, …


def run_demo(home: Path, days: int = 3, hours: int = 2) -> int:
    """`days` daily runs, then `hours` hourly runs of the day after them (yesterday), each on a simulated clock:
    a day is crawled at 02:00 the next day, as the daily schedule would; an hour at its end, as the hourly one
    would. The site's live desk publishes an article every 15 minutes from 09:07 of that day (an hourly
    source); its other sources are daily ones."""
    from freshdata.demo.site import DemoSite, demo_sources_yaml
    from freshdata.runs import run_days, run_hours
    from freshdata.summary import print_day_summary, print_demo_epilogue, print_hour_summary

    started = time.monotonic()
    if storage.bound_root(home) is not None:
        print(f"freshdata demo: runs on a local data home only, and wipes it; {home} is the catalog of "
              f"{storage.bound_root(home)}. Unset FRESHDATA_HOME or point it at a folder.", file=sys.stderr)
        return 1
    _reset_home(home)
    today = datetime.now(UTC).date()
    live_day = today - timedelta(days=1)
    dates = [live_day - timedelta(days=days - i) for i in range(days)]  # the days before yesterday
    hour_starts = [datetime.combine(live_day, dtime(FIRST_LIVE_HOUR + i), UTC) for i in range(hours)]
    live_start = datetime.combine(live_day, dtime(FIRST_LIVE_HOUR, 7), UTC)
    with DemoSite(days=dates, live_start=live_start) as site:
        sources = home / "sources.yaml"
        sources.write_text(demo_sources_yaml(site.base, site.port, live=bool(hour_starts)))
        print(f"freshdata demo: site on {site.base}, data home {home}")
        for number, day in enumerate(dates, start=1):
            site.day = number
            with clock.frozen_at(datetime.combine(day + timedelta(days=1), dtime(DAILY_RUN_HOUR), UTC)):
                if not run_days([day], sources, home, quiet=True, demo=True):
                    return 1
            print_day_summary(home, day)
        if hour_starts:
            print(f"\n=== {live_day}: hourly runs (the live desk publishes every 15 minutes from "
                  f"{live_start:%H:%M}; each hour is crawled at its end and the day's snapshot republished) ===")
        if hour_starts and not run_hours(hour_starts, sources, home, quiet=True, demo=True, frozen_clock=True,
                                         after_hour=lambda hour: print_hour_summary(home, hour)):
            return 1
    print_demo_epilogue(home, dates + ([live_day] if hour_starts else []))
    print(f"\nDuckDB file: {store.db_path(home)}")
    print(f"Raw WARC archive: {home / 'raw'}")
    default = Path(".freshdata").resolve() == home
    print(f"Dagster instance: {home / 'dagster'}   (open the UI with: "
          f"{'make ui' if default else f'FRESHDATA_HOME={home} make ui'})")
    print(f"Demo finished in {time.monotonic() - started:.0f} s")
    return 0
