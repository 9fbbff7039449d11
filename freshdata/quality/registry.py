"""Operator registry (data-juicer style): operators are looked up by name from a recipe.

An operator computes statistics for every document (`compute`) and, separately, decides from those
statistics (`decide`), so thresholds can be changed and re-applied without new heuristics.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from .text import DocContext

DATA_DIR = Path(__file__).resolve().parent / "data"


class Params(BaseModel):
    """Base for operator parameters: unknown keys and wrong types are load-time errors."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Operator:
    """Base class. Subclasses set `name`, `Params`, and implement `compute` (+ `decide` for filters)."""

    name: ClassVar[str] = ""
    Params: ClassVar[type[Params]] = Params

    def __init__(self, params: Params, base_dir: Path) -> None:
        self.params = params
        self.base_dir = base_dir

    def compute(self, ctx: DocContext) -> dict[str, float]:
        """Statistics for this doc (keys without the operator prefix). May edit ctx.text/tags."""
        return {}

    def decide(self, stats: dict[str, float], ctx: DocContext) -> str | None:
        """None to keep, else the failing rule name (becomes reason `<op>:<rule>`)."""
        return None

    def resolve(self, path: str | None, default: str) -> Path:
        """A data-file parameter: relative to the recipe file, or the packaged default."""
        if path is None:
            return DATA_DIR / default
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    def data_files(self) -> list[Path]:
        """Files whose content is part of the effective config (hashed into recipe.hash())."""
        return []


REGISTRY: dict[str, type[Operator]] = {}


def register(name: str) -> Callable[[type[Operator]], type[Operator]]:
    def deco(cls: type[Operator]) -> type[Operator]:
        if name in REGISTRY:
            raise ValueError(f"operator {name!r} registered twice")
        cls.name = name
        REGISTRY[name] = cls
        return cls

    return deco
