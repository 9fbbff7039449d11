"""Every command of the README's "Daily use" section runs as written and exits 0, in a checkout-like folder
(`.venv`, `workspace.yaml`, `sources.yaml`, the default data home `./.freshdata` made by `freshdata demo`) with
the virtualenv activated as the README says. Only long-running servers (`make ui`, `freshdata ui`, `dagster dev`)
and the demo itself (test_cli_safety runs it) are skipped. The demo site is served on 127.0.0.1 only."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from freshdata.demo.site import DemoSite
from freshdata_tests.pipeline_helpers import REPO_ROOT, write_demo_sources

pytestmark = pytest.mark.slow

README = REPO_ROOT / "README.md"
RUNNABLE = ("freshdata ", "python ", "dagster ", "DAGSTER_HOME=", "make ", "head ")
LONG_RUNNING = ("make ui", "make demo", "freshdata ui", "freshdata demo", "dagster dev")
FRESHDATA = str(Path(sys.executable).with_name("freshdata"))


def daily_use_commands() -> list[str]:
    text = README.read_text()
    section = text.split("## Daily use", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    rows = "\n".join(line for line in section.splitlines() if line.startswith("|"))  # the table, not the prose
    spans = [span.replace("\\|", "|") for span in re.findall(r"`([^`\n]+)`", rows)]  # GFM table escape
    return [span for span in spans if span.startswith(RUNNABLE) and not span.startswith(LONG_RUNNING)]


def test_daily_use_lists_the_commands_people_need():
    commands = daily_use_commands()
    for needed in ("freshdata run ", "freshdata query ", "python -c ", "freshdata export ", "freshdata stats",
                   "DAGSTER_HOME=$PWD/.freshdata/dagster dagster schedule list"):
        assert any(c.startswith(needed) for c in commands), (needed, commands)
    assert not any(c.startswith("duckdb ") for c in commands)  # the duckdb CLI is not installed


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """A folder laid out like the repository root, whose ./.freshdata is a demo home, and a sources.yaml whose
    site serves the day the README crawls."""
    root = tmp_path_factory.mktemp("readme")
    for name in (".venv", "workspace.yaml", "dagster.yaml", "Makefile", "pyproject.toml"):
        (root / name).symlink_to(REPO_ROOT / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRESHDATA_", "DAGSTER_"))}
    demo = subprocess.run([FRESHDATA, "demo", "--days", "1", "--hours", "0"], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300)
    assert demo.returncode == 0, demo.stderr
    assert (root / ".freshdata" / "freshdata.duckdb").exists()
    yield root, env


@pytest.mark.parametrize("command", daily_use_commands())
def test_daily_use_command_runs_as_written(checkout, command):
    root, env = checkout
    day = re.search(r"--date (\d{4}-\d\d-\d\d)", command)
    site_days = [date.fromisoformat(day.group(1))] if day and command.startswith("freshdata run") else []
    with DemoSite(days=site_days or [date(2026, 11, 21)]) as site:
        site.day = 1
        write_demo_sources(root, site)  # ./sources.yaml, as the README's `--sources sources.yaml`
        proc = subprocess.run(["bash", "-c", f". .venv/bin/activate && {command}"], cwd=root, env=env,
                              capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (command, proc.stdout[-2000:], proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "wrote 0 documents" not in proc.stdout, proc.stdout
    assert proc.stdout.strip() or proc.stderr.strip()
