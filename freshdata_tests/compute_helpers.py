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


START_ATTEMPTS = 3
START_TIMEOUT_S = 90


@contextlib.contextmanager
def ray_head(temp_dir: Path, num_cpus: int = 2) -> Iterator[str]:
    """A rehearsal of a deployment on this machine: `ray start --head` on 127.0.0.1 with `num_cpus` worker slots,
    this process's environment plus RAY_TEST_ENV (its workers import this repository's modules), no dashboard,
    no usage stats; yields its address ("127.0.0.1:PORT"), stopped afterwards. A head that exits while starting
    (its port taken between the probe and its bind, by a test on the other xdist worker) is started again on
    another port (so is one that does not answer in time); its output is in temp_dir/ray-start-N.log, and the error
    quotes it."""
    env = {**os.environ, **RAY_TEST_ENV, "PYTHONPATH": str(REPO_ROOT)}
    for attempt in range(1, START_ATTEMPTS + 1):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        temp_dir.mkdir(parents=True, exist_ok=True)
        log_path = temp_dir / f"ray-start-{attempt}.log"
        with log_path.open("w") as log:
            head = subprocess.Popen([RAY, "start", "--head", "--port", str(port), "--include-dashboard", "false",
                                     "--temp-dir", str(temp_dir), "--block", "--num-cpus", str(num_cpus),
                                     "--node-ip-address", "127.0.0.1", "--disable-usage-stats"], env=env,
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        address = f"127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while subprocess.run([RAY, "status", "--address", address], capture_output=True, env=env).returncode:
                if head.poll() is not None or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            else:
                yield address
                return
            if attempt == START_ATTEMPTS:
                raise TimeoutError(f"the rehearsal Ray head at {address} is not up (exit code {head.poll()}) after "
                                   f"{START_ATTEMPTS} attempts; `ray start` said:\n{log_path.read_text()[-3000:]}")
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
