"""decide_day: semantic duplicate, story and neighbours of each kept document of a day, against all history.

Pure: the caller gives the day's documents in their decision order (fetched_at, url: as dedup orders them),
their int8 vectors, an index prepared to hold exactly the earlier days (index.HistoryIndex.prepare) and a
lookup of earlier documents by key. Documents are decided in chunks of CHUNK: a chunk searches the index
(history and the day's earlier chunks), compares with its own earlier members exactly, and is then added.
Decisions of day D therefore depend only on days < D and on D's own documents, in the same order on every
run: a backfill and a day-by-day run agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from freshdata.semantic.config import SemanticConfig
from freshdata.semantic.index import HistoryIndex, key_day, keys_for
from freshdata.semantic.vectors import cosine_i8

CHUNK = 256
NO_KEY = np.iinfo(np.uint64).max


@dataclass(frozen=True)
class Earlier:
    """What a decision needs of an earlier document (of an earlier day, or earlier in the day)."""

    doc_id: str
    story_id: str


@dataclass(frozen=True)
class Decision:
    doc_id: str
    vector_key: int
    semantic_duplicate_of: str | None
    semantic_similarity: float | None  # cosine to semantic_duplicate_of
    story_id: str
    story_similarity: float | None  # cosine to the document whose story it joined (None: it started one)


def decide_day(day: date, doc_ids: Sequence[str], codes: np.ndarray, index: HistoryIndex,
               lookup: Callable[[list[int]], dict[int, Earlier]], cfg: SemanticConfig) -> list[Decision]:
    """Decide the day's documents (in decision order) and add them to `index` (not saved here)."""
    keys = keys_for(day, len(doc_ids))
    story_from = day - timedelta(days=cfg.story_window_days)
    today: dict[int, Earlier] = {}
    out: list[Decision] = []
    for start in range(0, len(doc_ids), CHUNK):
        stop = min(start + CHUNK, len(doc_ids))
        chunk = codes[start:stop]
        hit_keys, hit_sims = index.search(chunk, cfg.neighbours)
        inner = cosine_i8(chunk, chunk)
        wanted = sorted({int(k) for k in hit_keys.ravel() if k != NO_KEY and int(k) not in today})
        known = {**lookup(wanted), **today} if wanted else today
        for i in range(stop - start):
            candidates = [(float(s), int(k)) for k, s in zip(hit_keys[i], hit_sims[i], strict=True) if k != NO_KEY]
            candidates += [(float(inner[i, j]), int(keys[start + j])) for j in range(i)]
            # most similar first; a tie goes to the earlier key (stable, whatever order the index returned)
            candidates.sort(key=lambda c: (-round(c[0], 6), c[1]))
            dup = next(((s, k) for s, k in candidates if s >= cfg.duplicate_threshold and k in known), None)
            story = next(((s, k) for s, k in candidates
                          if s >= cfg.story_threshold and k in known and key_day(k) >= story_from), None)
            doc_id, key = doc_ids[start + i], int(keys[start + i])
            story_id = known[story[1]].story_id if story else doc_id
            out.append(Decision(doc_id, key, known[dup[1]].doc_id if dup else None,
                                round(dup[0], 4) if dup else None, story_id,
                                round(story[0], 4) if story else None))
            today[key] = Earlier(doc_id, story_id)
        index.add(day, keys[start:stop], chunk)
    return out
