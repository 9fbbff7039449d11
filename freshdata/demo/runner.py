"""`freshdata demo`: serve the demo site on loopback and crawl it for consecutive days through Dagster."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from freshdata import store

DEMO_MARKER = ".freshdata-demo"
DEMO_RECIPE = Path(__file__).resolve().parent / "recipe.yaml"


def _reset_home(home: Path) -> None:
    """Start every demo from an empty data home, but never wipe a home that holds real data."""
    home.mkdir(parents=True, exist_ok=True)
    marker = home / DEMO_MARKER
    if store.db_path(home).exists() and not marker.exists():
        raise SystemExit(f"freshdata demo: {home} holds non-demo data; set FRESHDATA_HOME to another folder")
    for child in home.iterdir():
        if child.name in ("dagster", DEMO_MARKER):  # keep run history so the UI shows every demo run
            continue
        shutil.rmtree(child) if child.is_dir() else child.unlink()
    marker.write_text("this data home was made by `freshdata demo` and is wiped by the next one\n")


def run_demo(home: Path, days: int = 3) -> int:
    from freshdata.demo.site import DemoSite, demo_sources_yaml
    from freshdata.report import print_day_summary
    from freshdata.runs import run_days

    started = time.monotonic()
    _reset_home(home)
    today = datetime.now(UTC).date()
    dates = [today - timedelta(days=days - i) for i in range(days)]  # the days ending yesterday
    with DemoSite(days=dates) as site:
        sources = home / "sources.yaml"
        sources.write_text(demo_sources_yaml(site.base, site.port).replace("{demo_recipe}", str(DEMO_RECIPE)))
        print(f"freshdata demo: site on {site.base}, data home {home}")
        for number, day in enumerate(dates, start=1):
            site.day = number
            if not run_days([day], sources, home, quiet=True):
                return 1
            print_day_summary(home, day)
    from freshdata.report import print_demo_epilogue

    print_demo_epilogue(home, dates)
    print(f"\nDuckDB file: {store.db_path(home)}")
    print(f"Raw WARC archive: {home / 'raw'}")
    print(f"Dagster instance: {home / 'dagster'}   (open the UI with: make ui)")
    print(f"Demo finished in {time.monotonic() - started:.0f} s")
    return 0
