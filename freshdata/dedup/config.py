"""Dedup parameters. Everything that changes signatures or band keys is part of the stored index identity."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Bump when normalization or shingling changes: stored hashes would no longer be comparable.
NORMALIZER_VERSION = "1"


class DedupConfig(BaseModel):
    """MinHash-LSH settings. Defaults follow FineWeb: 5-grams, 112 permutations = 14 bands x 8 rows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ngram: int = Field(5, ge=1, description="word n-gram (shingle) size")
    num_perm: int = Field(112, ge=1)
    bands: int = Field(14, ge=1)
    rows: int = Field(8, ge=1)
    seed: int = Field(1, ge=0, description="datasketch permutation seed")
    # affine32 is datasketch 2.0's default: collision-free bijective permutations stored as uint32 (half the
    # bytes of legacy/affine64). 'legacy' is biased on large sets; affine64 pays off only for ~1e8 shingles.
    scheme: Literal["affine32"] = "affine32"
    threshold: float = Field(0.8, gt=0, le=1, description="Jaccard needed to confirm a candidate")
    # Candidates whose estimated Jaccard is in [threshold - margin, threshold + margin) are decided by the
    # exact Jaccard of their shingle sets (an estimate from 112 permutations has sd ~0.04 at J=0.8).
    # 0 disables. A decision parameter like threshold: not part of the stored index identity.
    verify_margin: float = Field(0.1, ge=0, le=1, description="exact-verification band around threshold")
    min_words: int = Field(5, ge=1, description="docs with fewer words are matched by exact hash only")
    bloom_bits_per_key: int = Field(12, ge=4, le=64, description="history prefilter size; ~0.3% FPR at 12")

    @model_validator(mode="after")
    def _check(self) -> DedupConfig:
        if self.bands * self.rows != self.num_perm:
            raise ValueError(f"bands*rows must equal num_perm ({self.bands}*{self.rows} != {self.num_perm})")
        if self.min_words < self.ngram:
            raise ValueError(f"min_words ({self.min_words}) must be >= ngram ({self.ngram})")
        return self

    def index_params(self) -> dict[str, str]:
        """The parameters stored with the index; a later config must match them exactly."""
        return {
            "scheme": self.scheme,
            "num_perm": str(self.num_perm),
            "seed": str(self.seed),
            "ngram": str(self.ngram),
            "bands": str(self.bands),
            "rows": str(self.rows),
            # min_words decides which docs get band entries vs an exact-key entry: changing it would hide
            # exact copies across the boundary, so it is part of the index identity.
            "min_words": str(self.min_words),
            "shingle_hash": "sha1_hash32",
            "normalizer": NORMALIZER_VERSION,
        }
