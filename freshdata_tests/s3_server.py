"""A real S3-compatible server on loopback for tests: moto's standalone server (what s3fs's own tests use), in a
thread of the test process. The environment points every S3 client at it with fake credentials, so no test
can reach real AWS; nothing of the client is patched."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def loopback_s3() -> Iterator[str]:
    """Start moto's server on 127.0.0.1 (a free port); yields its endpoint URL, stops it on exit."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def point_at(mp: pytest.MonkeyPatch, endpoint: str, scratch: Path) -> None:
    """Every S3 client of this process (and of the processes it starts from now on) talks to `endpoint` only.
    Not those of a fork server started earlier: it keeps its environment (see freshdata_tests/s3_phase.py)."""
    assert endpoint.startswith("http://127."), endpoint
    mp.setenv("AWS_ENDPOINT_URL", endpoint)
    mp.setenv("AWS_ACCESS_KEY_ID", "testing")
    mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
    mp.setenv("AWS_CONFIG_FILE", str(scratch / "no-aws-config"))
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(scratch / "no-aws-credentials"))
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no credential lookup on the instance metadata address
    mp.delenv("AWS_PROFILE", raising=False)
    mp.delenv("FRESHDATA_STORAGE_OPTIONS", raising=False)
    mp.setenv("FRESHDATA_STAGING", str(scratch / "staging"))


def new_bucket() -> str:
    """A fresh bucket on the server the environment points at; returns its s3:// URL."""
    from freshdata import storage

    name = f"freshdata-{uuid.uuid4().hex[:12]}"
    storage.filesystem("s3://").mkdir(name)
    return f"s3://{name}"
