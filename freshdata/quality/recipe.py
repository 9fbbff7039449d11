"""Recipe = ordered list of named operators loaded from YAML; applies them to documents.

Bad recipes fail at load time with the file, operator and parameter named, before any doc runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from freshdata import workers as worker_pool

from . import boilerplate, filters, pii, taggers  # noqa: F401  (import registers the operators)
from .registry import REGISTRY, Operator
from .taggers import fetch_lag_hours, registered_domain, url_path_depth
from .text import DocContext
from .types import QualityDoc, QualityOutcome

DEFAULT_RECIPE = Path(__file__).resolve().parent / "default_recipe.yaml"


class RecipeError(ValueError):
    """An invalid recipe; the message names the file, the operator and the parameter."""


class Recipe:
    """Loaded, validated operators in order. Build with `load_recipe`."""

    def __init__(self, path: Path, config: dict[str, Any]) -> None:
        self.path = path
        self.config = config
        self.ops: list[Operator] = []
        self.timings: dict[str, float] = {}
        self.profile = False
        self._build()

    def _build(self) -> None:
        where = str(self.path)
        if not isinstance(self.config, dict):
            raise RecipeError(f"{where}: top level must be a mapping with a 'process' list")
        unknown = set(self.config) - {"process"}
        if unknown:
            raise RecipeError(f"{where}: unknown top-level key(s) {sorted(unknown)}; expected only 'process'")
        process = self.config.get("process")
        if not isinstance(process, list) or not process:
            raise RecipeError(f"{where}: 'process' must be a non-empty list of operators")
        seen: set[str] = set()
        for i, item in enumerate(process):
            if isinstance(item, str):
                item = {item: {}}
            if not isinstance(item, dict) or len(item) != 1:
                raise RecipeError(
                    f"{where}: process[{i}] must be a single 'operator_name: {{params}}' mapping"
                )
            ((name, params),) = item.items()
            if name not in REGISTRY:
                raise RecipeError(
                    f"{where}: process[{i}]: unknown operator {name!r}; known: {', '.join(sorted(REGISTRY))}"
                )
            if name in seen:
                raise RecipeError(f"{where}: process[{i}]: operator {name!r} listed twice")
            seen.add(name)
            cls = REGISTRY[name]
            try:
                p = cls.Params.model_validate(params or {})
                self.ops.append(cls(p, self.path.parent))
            except ValidationError as e:
                errs = "; ".join(
                    f"parameter {'.'.join(str(x) for x in err['loc']) or '?'!r}: {err['msg']}"
                    for err in e.errors()
                )
                raise RecipeError(f"{where}: operator {name!r}: {errs}") from None
            except (ValueError, OSError) as e:
                raise RecipeError(f"{where}: operator {name!r}: {e}") from None

    def operator(self, name: str) -> Operator | None:
        """The recipe's operator of that name (each is listed at most once), or None."""
        return next((op for op in self.ops if op.name == name), None)

    # ------------------------------------------------------------------ identity
    def effective_config(self) -> list[dict[str, Any]]:
        """Operators with every parameter (defaults filled in) plus data-file content hashes."""
        out = []
        for op in self.ops:
            files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in op.data_files()}
            out.append({"op": op.name, "params": op.params.model_dump(mode="json"), "data_files": files})
        return out

    def hash(self) -> str:
        """Stable sha256 of the effective config (not of YAML formatting or file location)."""
        blob = json.dumps(self.effective_config(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    # ------------------------------------------------------------------ apply
    def apply(self, doc: QualityDoc) -> QualityOutcome:
        """Run every operator (all stats for all docs); the first failing rule is the reason."""
        ctx = DocContext(doc)
        reason: str | None = None
        prof = self.profile
        for op in self.ops:
            t0 = time.perf_counter() if prof else 0.0
            stats = op.compute(ctx)
            for k, v in stats.items():
                ctx.stats[f"{op.name}.{k}"] = float(v)
            if reason is None:
                r = op.decide(stats, ctx)
                if r:
                    reason = f"{op.name}:{r}"
            if prof:
                self.timings[op.name] = self.timings.get(op.name, 0.0) + time.perf_counter() - t0
        t0 = time.perf_counter() if prof else 0.0
        text = ctx.text
        tags = ctx.tags
        tags.setdefault("language", None)
        tags.setdefault("language_score", None)
        tags.setdefault("script", None)
        tags["source"] = doc.source
        tags["registered_domain"] = registered_domain(doc.url)
        tags["url_path_depth"] = url_path_depth(doc.url)
        tags["word_count"] = ctx.n_words
        tags["char_count"] = len(text)
        tags["fetch_lag_hours"] = fetch_lag_hours(doc.published_at, doc.fetched_at)
        for kind in pii.PLACEHOLDERS:
            tags.setdefault(f"pii_{kind}", None)
        for key in ("quality_score", "topic", "topic_score", "format", "format_score"):
            tags.setdefault(key, None)
        if prof:
            self.timings["_tags"] = self.timings.get("_tags", 0.0) + time.perf_counter() - t0
        return QualityOutcome(
            doc_id=doc.doc_id,
            kept=reason is None,
            reason=reason,
            text=text,
            stats=ctx.stats,
            tags=tags,
            source_tags=dict(doc.source_tags),
        )

    def apply_many(self, docs: Iterable[QualityDoc], workers: int | None = None) -> list[QualityOutcome]:
        """Apply to many docs, in input order. Uses worker processes for big batches.

        workers=None -> os.cpu_count(); workers<=1 or small batches run in-process.
        """
        docs = list(docs)
        n = workers if workers is not None else (os.cpu_count() or 1)
        if n <= 1 or len(docs) < worker_pool.PARALLEL_MIN_ITEMS:
            return [self.apply(d) for d in docs]
        return worker_pool.map_chunks(_apply_batch, docs, ["freshdata.quality"], workers=n, initializer=_init_worker,
                                      initargs=(self.path, self.config))


_WORKER_RECIPE: Recipe | None = None


def _init_worker(path: Path, config: dict[str, Any]) -> None:
    global _WORKER_RECIPE
    _WORKER_RECIPE = Recipe(path, config)


def _apply_batch(batch: Sequence[QualityDoc]) -> list[QualityOutcome]:
    assert _WORKER_RECIPE is not None
    return [_WORKER_RECIPE.apply(d) for d in batch]


def load_recipe(path: str | Path | None = None) -> Recipe:
    """Load and validate a recipe YAML; None -> the shipped default recipe."""
    p = Path(path).expanduser().resolve() if path is not None else DEFAULT_RECIPE
    try:
        config = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise RecipeError(f"{p}: cannot read recipe: {e}") from None
    except yaml.YAMLError as e:
        raise RecipeError(f"{p}: invalid YAML: {e}") from None
    return Recipe(p, config)


def recipe_from_dict(config: dict[str, Any], base_dir: str | Path = ".") -> Recipe:
    """A recipe from an in-memory mapping (tests, notebooks); data paths resolve against base_dir."""
    return Recipe(Path(base_dir).resolve() / "<inline recipe>", config)
