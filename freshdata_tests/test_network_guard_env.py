"""The test-wide guard (conftest.py): object-store clients made in tests point at a closed loopback port."""

from __future__ import annotations

import os
import time

import pytest

from freshdata import storage
from freshdata_tests.conftest import CLOSED_LOOPBACK


def test_aws_settings_point_at_loopback() -> None:
    assert os.environ["AWS_ENDPOINT_URL"] == CLOSED_LOOPBACK
    assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
    assert "AWS_PROFILE" not in os.environ


def test_an_s3_path_without_the_loopback_server_fails_fast_on_loopback() -> None:
    started = time.monotonic()
    with pytest.raises(Exception):  # noqa: B017 - botocore's connection error, whatever its wrapping
        storage.exists("s3://no-such-bucket/home/published.json")
    assert time.monotonic() - started < 60  # refused at once; no retries against a remote service
