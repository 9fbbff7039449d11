"""Test-wide guard: no test can reach a real object store or cloud metadata service.

Tests talk only to servers they start on loopback. An `s3://` path used without the loopback S3 server
(s3_server.py sets its own endpoint per test) would otherwise go to AWS with whatever credentials the machine
has, so before any test (and any fork server or Ray worker, which inherit the environment) the AWS settings
point at a closed loopback port with fake credentials, and instance-metadata lookups are off.
"""

from __future__ import annotations

import os

CLOSED_LOOPBACK = "http://127.0.0.1:9"  # the discard port: nothing listens, a stray request fails at once

GUARD_ENV = {
    "AWS_ENDPOINT_URL": CLOSED_LOOPBACK,
    "AWS_ACCESS_KEY_ID": "no-real-credentials",
    "AWS_SECRET_ACCESS_KEY": "no-real-credentials",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def pytest_configure(config: object) -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        os.environ.pop(name, None)
    os.environ.update(GUARD_ENV)
