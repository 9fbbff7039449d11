"""The corpus suite: tests on real web material from ../shared/corpus (not part of the product, not shipped).

Run it by hand with `make test-corpus` (= `pytest corpus_tests`), from a checkout that has ../shared/corpus
next to it. It is not in `make test` (or CI): there the corpus may be absent. Here a missing corpus is an
error, never a silent skip.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not CORPUS.is_dir():
        raise pytest.UsageError(f"the corpus suite needs the shared corpus at {CORPUS}; it is not there")
