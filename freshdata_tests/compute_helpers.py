"""Batch functions for the compute tests, in a module of their own so Ray workers import them by name
(`freshdata_tests.compute_helpers`, with the repository on their PYTHONPATH)."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from freshdata.compute import LOCAL_RAY_ENV
from freshdata.extract import ArchivedPage

# The environment of every Ray cluster a test starts: loopback only, no usage stats, and one auth token for the
# whole test process (Ray's driver keeps the first token it reads, so two clusters in one process share it).
RAY_TEST_ENV = {**LOCAL_RAY_ENV, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}

_STATE: list[str] = []
RAY = str(Path(sys.executable).with_name("ray"))
REPO_ROOT = Path(__file__).resolve().parent.parent


START_TIMEOUT_S = 90


@contextlib.contextmanager
def ray_head(temp_dir: Path, num_cpus: int = 2) -> Iterator[str]:
    """A rehearsal of a deployment on this machine: `ray start --head` on 127.0.0.1 with `num_cpus` worker slots,
    this process's environment plus RAY_TEST_ENV (its workers import this repository's modules), no dashboard,
    no usage stats; yields its address ("127.0.0.1:PORT"), stopped afterwards. Ray's session files go to a short
    folder under /tmp: its AF_UNIX socket paths may not exceed 107 bytes, which an xdist worker's pytest folder
    (`/tmp/pytest-of-root/pytest-N/popen-gwK/…`) overshoots. What `ray start` said is in temp_dir/ray-start.log,
    and quoted in the error when the head does not come up."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, **RAY_TEST_ENV, "PYTHONPATH": str(REPO_ROOT)}
    temp_dir.mkdir(parents=True, exist_ok=True)
    log_path = temp_dir / "ray-start.log"
    with (tempfile.TemporaryDirectory(prefix="fd-ray-", dir="/tmp", ignore_cleanup_errors=True) as sessions,
          log_path.open("w") as log):
        head = subprocess.Popen([RAY, "start", "--head", "--port", str(port), "--include-dashboard", "false",
                                 "--temp-dir", sessions, "--block", "--num-cpus", str(num_cpus),
                                 "--node-ip-address", "127.0.0.1", "--disable-usage-stats"], env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        address = f"127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while subprocess.run([RAY, "status", "--address", address], capture_output=True, env=env).returncode:
                if head.poll() is not None or time.monotonic() > deadline:
                    raise TimeoutError(f"the rehearsal Ray head at {address} is not up (exit code {head.poll()}); "
                                       f"`ray start` said:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.5)
            yield address
        finally:
            head.terminate()  # --block: on SIGTERM `ray start` stops the processes it started
            try:
                head.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(head.pid, signal.SIGKILL)
                head.wait()


def slow_square(x: int) -> tuple[int, int]:
    """x², and the worker's pid; later chunks often finish first, so a stream must restore the input order."""
    time.sleep(0.002 * (x % 7))
    return x * x, os.getpid()


def remember(value: str) -> None:
    """An initializer: state built once in each worker."""
    _STATE[:] = [value]


def with_state(x: int) -> str:
    return f"{_STATE[0]}:{x}"


def exit_on(bad: int, x: int) -> int:
    """Kills its worker process on `bad`, as a page that crashes its worker would."""
    if x == bad:
        os._exit(1)
    return x


@dataclass(frozen=True)
class CrashingPage(ArchivedPage):
    """An archived page whose reading kills the worker process (as a segfault in a parser would)."""

    def load(self) -> str | bytes:
        os._exit(1)
