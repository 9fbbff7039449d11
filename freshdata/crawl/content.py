"""What a response body is: its media type, the canonical name of its charset, and gunzip with a cap.

Shared by fetching, discovery and extraction, so none of them imports another for these helpers.
"""

from __future__ import annotations

import codecs
import zlib


class TooLarge(ValueError):
    """A compressed body that expands beyond its cap (a gzip bomb, or just too big)."""


def media_type(content_type: str | None) -> tuple[str | None, str | None]:
    """('text/html', 'utf-8') from 'text/html; charset="UTF-8"'."""
    if not content_type:
        return None, None
    parts = content_type.split(";")
    mtype = parts[0].strip().lower() or None
    charset = None
    for p in parts[1:]:
        k, _, v = p.partition("=")
        if k.strip().lower() == "charset":
            charset = v.strip().strip("\"'") or None
    return mtype, charset


def codec_name(name: str | None) -> str | None:
    """Python's canonical name of a charset label ('UTF8' -> 'utf-8'), or None when it names no codec."""
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def gunzip_capped(data: bytes, max_bytes: int) -> bytes:
    """Gunzip a body (sitemap.xml.gz) without letting a bomb past max_bytes: zlib stops one byte over the cap,
    so no more than that is ever allocated. TooLarge beyond it (exactly max_bytes is fine); zlib.error when
    the body is corrupt."""
    out = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, max_bytes + 1)
    if len(out) > max_bytes:
        raise TooLarge(f"gzip body expands beyond {max_bytes} bytes")
    return out
