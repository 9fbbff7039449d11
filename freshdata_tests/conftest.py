"""Test-wide guard: no test can reach a real object store or cloud metadata service.

Tests talk only to servers they start on loopback. An `s3://` path used without the loopback S3 server
(s3_server.py sets its own endpoint per test) would otherwise go to AWS with whatever credentials the machine
has, so before any test (and any fork server or Ray worker, which inherit the environment) the AWS settings
point at a closed loopback port with fake credentials, and instance-metadata lookups are off.
"""

from __future__ import annotations

import os

import pytest
from xdist.scheduler import LoadScopeScheduling

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


# `make test` runs on two xdist workers (-n 2 --dist loadscope --no-loadscope-reorder). Each module is one unit of
# work, so its module-scoped pipeline fixtures are built once; the modules that start Ray share one unit, because
# two Ray heads at once would compete for Ray's fixed default ports (the client server's 10001). (xdist's own
# `loadgroup` marks do nothing under pytest 9.2: xdist 3.8 renames items through an attribute pytest no longer
# reads.) The longest modules (CI's --durations) go first, so that neither worker is left alone with one of them at
# the end.
RAY_MODULES = {"test_compute", "test_ray_engine", "test_s3_home"}
LONGEST_FIRST = ["test_backfill", "test_ui", "test_s3_home", "test_ray_engine", "test_compute", "test_crash_recovery",
                 "test_storage_growth", "test_semantic_drop", "test_cli_safety", "test_pipeline_e2e", "test_retention",
                 "test_concurrency"]


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")


class ModuleScheduling(LoadScopeScheduling):
    def _split_scope(self, nodeid: str) -> str:
        return "ray" if _module(nodeid) in RAY_MODULES else nodeid.split("::", 1)[0]


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> LoadScopeScheduling | None:
    return ModuleScheduling(config, log) if config.getvalue("dist") == "loadscope" else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(_module(item.nodeid), len(rank)))
