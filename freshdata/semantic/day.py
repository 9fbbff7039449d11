"""One day of the semantic stage on the catalog: read the kept texts, decide, store, save the index.

Runs inside the caller's transaction for the catalog rows; the index file is saved after the rows are
written (before the caller commits): if the commit then fails, the index holds a day the catalog does not,
and the next run sees that and rebuilds it (index.HistoryIndex.prepare).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from freshdata import store, texts
from freshdata.semantic.config import SemanticConfig
from freshdata.semantic.core import Decision, Earlier, decide_day
from freshdata.semantic.index import HistoryIndex
from freshdata.semantic.personas import persona_tagger
from freshdata.semantic.vectors import DIM, quantize, vectorizer


@dataclass
class SemanticSummary:
    day: date
    documents: int = 0
    semantic_duplicates: int = 0
    dropped: int = 0  # semantic duplicates left out of the snapshot (semantic.duplicates: drop)
    new_stories: int = 0
    joined_stories: int = 0
    with_persona: int = 0
    index_size: int = 0
    index_bytes_per_document: float = 0.0
    index_rebuilt: bool = False
    decisions: list[Decision] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"documents": self.documents, "semantic_duplicates": self.semantic_duplicates,
                "dropped": self.dropped, "new_stories": self.new_stories, "joined_stories": self.joined_stories,
                "with_persona": self.with_persona}


def missing_days(con: duckdb.DuckDBPyConnection, day: date) -> list[date]:
    """Earlier days with quality results but no semantic decision (the stage must run in day order)."""
    return [r[0] for r in store.run(con, "select_semantic_missing_days", {"day": day}).fetchall()]


def _day_vectors(con: duckdb.DuckDBPyConnection, day: date) -> tuple[np.ndarray, np.ndarray]:
    rows = store.run(con, "select_semantic_day_vectors", {"day": day}).fetchall()
    keys = np.array([r[0] for r in rows], dtype=np.uint64)
    codes = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.int8).reshape(len(rows), DIM)
    return keys, codes


def _lookup(con: duckdb.DuckDBPyConnection):
    def lookup(keys: list[int]) -> dict[int, Earlier]:
        rows = store.run(con, "select_semantic_earlier", {"keys": keys}).fetchall()
        return {int(k): Earlier(doc_id, story_id) for k, doc_id, story_id in rows}

    return lookup


def semantic_day(con: duckdb.DuckDBPyConnection, day: date, cfg: SemanticConfig, index_dir: Path) -> SemanticSummary:
    """Decide the day's kept documents and replace its rows (inside the caller's transaction). Every one goes into
    the index, also the semantic duplicates `semantic.duplicates: drop` flags as dropped (they were seen)."""
    order = store.run(con, "select_semantic_order", {"day": day}).fetchall()
    position = {doc_id: i for i, (doc_id, *_) in enumerate(order)}
    embed, tagger = vectorizer(), persona_tagger()
    vectors = np.zeros((len(order), DIM), dtype=np.float32)
    personas: list[list[str]] = [[] for _ in order]
    if order:
        for ids, day_texts in texts.batches(con, day, "quality"):
            for doc_id, text in zip(ids, day_texts, strict=True):
                i = position.get(doc_id)
                if i is None:
                    continue  # a rejected document
                vec, meaning = embed.vectors(text or "")
                vectors[i] = vec
                _, title, url, topic = order[i]
                personas[i] = tagger.tag(meaning, cfg.personas_per_doc, title=title, url=url, topic=topic,
                                         text=text)
    codes = quantize(vectors)
    index = HistoryIndex(index_dir, cfg.index_params())
    earlier = [r[0] for r in store.run(con, "select_semantic_index_days", {"day": day}).fetchall()]
    index.prepare(day, earlier, lambda d: _day_vectors(con, d))
    decisions = decide_day(day, [r[0] for r in order], codes, index, _lookup(con), cfg)
    # decided here, not at the snapshot: the funnel (view url_funnel) and the snapshot read the same stored flag
    dropped = [cfg.duplicates == "drop" and d.semantic_duplicate_of is not None for d in decisions]
    store.run(con, "delete_semantic_partition", {"day": day})
    if decisions:
        store.insert_rows(con, "insert_semantic_documents", pa.table({
            "partition_date": pa.array([day] * len(decisions), pa.date32()),
            "doc_id": [d.doc_id for d in decisions],
            "vector_key": pa.array([d.vector_key for d in decisions], pa.uint64()),
            "vector": pa.array([c.tobytes() for c in codes], pa.binary()),
            "semantic_duplicate_of": [d.semantic_duplicate_of for d in decisions],
            "semantic_similarity": pa.array([d.semantic_similarity for d in decisions], pa.float64()),
            "story_id": [d.story_id for d in decisions],
            "story_similarity": pa.array([d.story_similarity for d in decisions], pa.float64()),
            "personas": pa.array(personas, pa.list_(pa.string())),
            "dropped": pa.array(dropped, pa.bool_()),
        }))
    store.run(con, "insert_semantic_day", {"day": day, "n_documents": len(decisions)})
    index.save()
    return SemanticSummary(
        day, documents=len(decisions),
        semantic_duplicates=sum(d.semantic_duplicate_of is not None for d in decisions), dropped=sum(dropped),
        new_stories=sum(d.story_id == d.doc_id for d in decisions),
        joined_stories=sum(d.story_id != d.doc_id for d in decisions),
        with_persona=sum(bool(p) for p in personas), index_size=len(index),
        index_bytes_per_document=round(index.bytes_per_document(), 1), index_rebuilt=index.rebuilt,
        decisions=decisions)


def day_stories(con: duckdb.DuckDBPyConnection, day: date, limit: int = 10) -> list[dict]:
    """The day's biggest stories (size over all days so far, first/last seen, sources, languages, title), of the
    documents bound for the snapshot (not the dropped ones), as `freshdata stats` counts the published ones."""
    return store.fetch_dicts(con, "select_day_stories", {"day": day, "limit": limit})


def day_diversity(con: duckdb.DuckDBPyConnection, day: date) -> dict[str, list[tuple[str, int]]]:
    """dimension -> [(value, documents)], most common first: topic, format, language, length, story_size,
    semantic_duplicate; of the documents bound for the snapshot (not the dropped ones)."""
    out: dict[str, list[tuple[str, int]]] = {}
    for dimension, value, n in store.run(con, "select_day_diversity", {"day": day}).fetchall():
        out.setdefault(dimension, []).append((value, int(n)))
    return out
