"""Durable file writes: what an atomic rename needs to survive a power cut, not only a crash, and the content
hash that names and verifies the written files."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import BinaryIO


def fsync_path(path: Path) -> None:
    """fsync a file or a folder (a folder's fsync makes a rename inside it durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_hash(path: Path) -> str:
    """sha256 of a file, read in 1 MiB chunks (snapshots and text files are named and verified by it)."""
    with path.open("rb") as fh:
        return stream_hash(fh)


def stream_hash(fh: BinaryIO) -> str:
    """sha256 of what is left to read of a binary file object, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: fh.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()
