"""Semantic-stage settings (the sources file's `semantic:` section). Plumbing: config.py loads it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: Bump when the document vector changes (tokens, weights, blocks): stored vectors would not be comparable.
VECTOR_VERSION = "1"


class SemanticConfig(BaseModel):
    """Thresholds are cosines of the 128-d document vectors (freshdata.semantic.vectors), each tuned on the tune
    half of benchmarks/bench_semantic.py's sets (held-out numbers in benchmarks/README_semantic.md). A story is
    joined through single links (document to its nearest earlier document), so one wrong link merges two whole
    stories: the story threshold is the stricter one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    duplicate_threshold: float = Field(0.54, gt=0, le=1, description="cosine from which a document is a semantic "
                                       "duplicate of its nearest earlier document")
    story_threshold: float = Field(0.64, gt=0, le=1, description="cosine from which a document joins the story of "
                                   "its nearest earlier document within story_window_days")
    story_window_days: int = Field(3, ge=0, description="a story is joined only from documents of the last N days")
    neighbours: int = Field(16, ge=1, le=256, description="nearest earlier documents the index returns per document")
    personas_per_doc: int = Field(3, ge=1, le=10)
    duplicates: Literal["tag", "drop"] = Field(
        "tag", description="what happens to a semantic duplicate: `tag` publishes it with semantic_duplicate_of "
        "set; `drop` leaves it out of the snapshot (funnel state semantic_duplicate, the earlier document and the "
        "cosine as reason). Either way it stays in the vector index and keeps its story. Decided by the semantic "
        "stage: a change applies to the days it (re-)runs")

    def index_params(self) -> dict[str, str]:
        """What the stored vectors and index depend on: a config that differs needs a rebuild."""
        return {"vector_version": VECTOR_VERSION}
