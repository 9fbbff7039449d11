"""The quality stage of one day, streamed: the day's fresh documents are read from its extracted texts file
in batches, each batch goes through the recipe in a worker (one pool for the day), and the cleaned texts go
to the day's `quality` texts spool as they come back. Only the small per-document outcomes (decision, tags,
stats) and the line hashes the boilerplate statistics count stay in memory, never the day's texts.

Same outcomes, same rows, same files as applying the recipe to the whole day at once: a document's outcome
depends on the document and the recipe only, and the rows are written in the day's order (fetched_at, url).
"""

from __future__ import annotations

from datetime import date
from functools import partial

import duckdb
import numpy as np
import pyarrow as pa

from freshdata import store, texts
from freshdata.compute import LOCAL, Engine

from . import boilerplate
from . import recipe as recipe_module
from .boilerplate import BoilerplateParams, LineStats
from .recipe import Recipe
from .types import QualityDoc, QualityOutcome

BATCH_DOCS = 64  # documents per worker task
_NO_LINES = np.zeros(0, dtype=np.int64)


def _apply_batch(batch: list[QualityDoc], recipe: Recipe | None = None,
                 line_params: BoilerplateParams | None = None) -> list[tuple[QualityOutcome, np.ndarray]]:
    """Outcomes of a batch, each with the line hashes its text adds to the day's boilerplate statistics."""
    r = recipe if recipe is not None else recipe_module._WORKER_RECIPE
    assert r is not None
    return [(r.apply(d), boilerplate.doc_line_hashes(d.text, line_params) if line_params else _NO_LINES)
            for d in batch]


def apply_day(con: duckdb.DuckDBPyConnection, day: date, recipe: Recipe, spool: texts.Spool,
              engine: Engine = LOCAL) -> tuple[list[QualityOutcome], LineStats | None]:
    """The day's outcomes (in the day's order, `text` None: the cleaned texts are in `spool`) and its
    boilerplate line statistics (None when the recipe does not run the operator). The `engine`'s workers from
    workers.PARALLEL_MIN_ITEMS fresh documents on, this process below."""
    meta = store.run(con, "select_quality_meta", {"day": day}).fetchall()
    position = {row[0]: i for i, row in enumerate(meta)}
    by_id = {row[0]: row for row in meta}
    p = boilerplate.params_of(recipe)
    learned = boilerplate.learned_lines(con, day, {row[2] for row in meta}, p) if p is not None else {}

    def batches():
        batch: list[QualityDoc] = []
        for ids, day_texts in texts.batches(con, day, "extracted", rows=BATCH_DOCS):
            for doc_id, text in zip(ids, day_texts, strict=True):
                row = by_id.get(doc_id)
                if row is None:  # not fresh (a duplicate): no quality decision
                    continue
                _, url, source, published_at, fetched_at, tags = row
                batch.append(QualityDoc(doc_id, url, source, text, published_at, fetched_at,
                                        {e["key"]: e["value"] for e in (tags or [])},
                                        learned.get(source, frozenset())))
                if len(batch) >= BATCH_DOCS:
                    yield batch
                    batch = []
        if batch:
            yield batch

    if engine.parallel(len(meta)):  # read now: tests lower workers.PARALLEL_MIN_ITEMS
        work = engine.map_stream(partial(_apply_batch, line_params=p), batches(), preload=["freshdata.quality"],
                                 initializer=recipe_module._init_worker, initargs=(recipe.path, recipe.config))
    else:
        work = engine.map_stream(partial(_apply_batch, recipe=recipe, line_params=p), batches(), parallel=False)
    outcomes: list[QualityOutcome] = []
    lines: dict[str, list[np.ndarray]] = {}
    for results in work:
        spool.add(pa.table({"doc_id": [o.doc_id for o, _ in results], "text": [o.text for o, _ in results]}))
        for outcome, hashes in results:
            outcome.text = None  # type: ignore[assignment]  # in the spool
            outcomes.append(outcome)
            lines.setdefault(by_id[outcome.doc_id][2], []).append(hashes)
    if len(outcomes) != len(meta):
        missing = sorted(set(position) - {o.doc_id for o in outcomes})[:3]
        raise ValueError(f"{day}: {len(meta) - len(outcomes)} fresh document(s) have no extracted text, e.g. "
                         f"{missing}")
    outcomes.sort(key=lambda o: position[o.doc_id])
    return outcomes, (boilerplate.line_stats_from_hashes(day, lines, p) if p is not None else None)
