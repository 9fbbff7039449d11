"""Real article texts for the semantic benchmarks: the 512 pages of ../shared/corpus, extracted once.

Texts are cached (JSON, keyed on the corpus files and trafilatura's version) under CACHE, so the benchmarks
re-run in seconds. Pages whose text is shorter than MIN_CHARS are left out (nothing to rewrite).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("CORPUS_DIR", ROOT.parent / "shared" / "corpus"))
CACHE = Path(os.environ.get("SEMANTIC_CACHE", "/tmp/freshdata-semantic-cache"))
MIN_CHARS = 600


def _pages() -> list[dict]:
    pages = []
    for e in json.loads((CORPUS / "webpages.json").read_text(encoding="utf-8")):
        pages.append({"key": "web|" + e["file"], "path": str(CORPUS / e["file"]), "url": e.get("url") or "",
                      "date": e.get("date")})
    for e in json.loads((CORPUS / "multilingual" / "index.json").read_text(encoding="utf-8")):
        pages.append({"key": "ml|" + e["file"], "path": str(CORPUS / "multilingual" / e["file"]),
                      "url": e.get("url") or "", "date": e.get("date")})
    return pages


def _extract(page: dict) -> dict:
    import trafilatura

    html = gzip.decompress(Path(page["path"]).read_bytes())
    text = trafilatura.extract(html, url=page["url"] or None, favor_precision=True) or ""
    return {**page, "text": text}


def load_articles() -> list[dict]:
    """[{key, url, date, text}] of every corpus page with at least MIN_CHARS of text, in key order."""
    import trafilatura

    pages = _pages()
    h = hashlib.sha256(trafilatura.__version__.encode())
    for p in pages:
        h.update(f"{p['key']}|{os.stat(p['path']).st_size}".encode())
    cache = CACHE / f"articles-{h.hexdigest()[:16]}.json"
    if cache.exists():
        rows = json.loads(cache.read_text(encoding="utf-8"))
    else:
        with ProcessPoolExecutor(2) as pool:
            rows = list(pool.map(_extract, pages, chunksize=8))
        CACHE.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return sorted((r for r in rows if len(r["text"]) >= MIN_CHARS), key=lambda r: r["key"])


if __name__ == "__main__":
    arts = load_articles()
    print(len(arts), "articles; median chars", sorted(len(a["text"]) for a in arts)[len(arts) // 2])
