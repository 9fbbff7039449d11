"""URL normalization and stable document ids, so one page is one row whatever link reached it."""

from __future__ import annotations

import hashlib
import posixpath
from urllib.parse import urljoin, urlsplit, urlunsplit

import courlan


def normalize_url(url: str, base: str | None = None) -> str | None:
    """Absolute, fragment-free, dot-segment-free, tracking-free URL; None when not http(s)."""
    url = url.strip()
    if base:
        url = urljoin(base, url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    path = parts.path or "/"
    trailing = path.endswith("/")
    path = posixpath.normpath(path) if path not in ("", "/") else "/"
    if trailing and not path.endswith("/"):
        path += "/"
    cleaned = urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
    try:
        return courlan.normalize_url(cleaned, strict=False)
    except (ValueError, AttributeError):
        return None


def doc_id(normalized_url: str) -> str:
    """Stable id of a document: the first 16 bytes of SHA-256 over its normalized URL, hex."""
    return hashlib.sha256(normalized_url.encode("utf-8")).hexdigest()[:32]


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def same_host(a: str, b: str) -> bool:
    return urlsplit(a).netloc.lower() == urlsplit(b).netloc.lower()
