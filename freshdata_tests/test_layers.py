"""The import graph of freshdata/: no cycle, and no import from a lower layer up to a higher one.

Every `import` counts, also those inside functions (a lazy import is still a dependency). Layers, lowest first:
0. plumbing: store, texts, schema, durable, storage, faults, progress, workers, compute, vocab, config, clock (and
   dedup.config and semantic.config, their models);
1. pure cores, one per domain: crawl/, extract, dedup/, quality/, semantic/, snapshot (never Dagster);
2. readers: reader (connection + query), export (writes a mix), summary (terminal summaries);
3. the Dagster layer: defs/, definitions (and dagster, dagster-duckdb, dagster-ray);
4. running it: runs (the CLI's Dagster runner), demo/;
5. cli.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "freshdata"
LAYERS = [
    ("freshdata", 0), ("freshdata.store", 0), ("freshdata.texts", 0), ("freshdata.schema", 0),
    ("freshdata.durable", 0), ("freshdata.storage", 0), ("freshdata.faults", 0), ("freshdata.progress", 0),
    ("freshdata.workers", 0), ("freshdata.compute", 0), ("freshdata.vocab", 0), ("freshdata.config", 0),
    ("freshdata.clock", 0), ("freshdata.dedup.config", 0), ("freshdata.semantic.config", 0),
    ("freshdata.crawl", 1), ("freshdata.extract", 1), ("freshdata.dedup", 1), ("freshdata.quality", 1),
    ("freshdata.semantic", 1), ("freshdata.snapshot", 1),
    ("freshdata.reader", 2), ("freshdata.export", 2), ("freshdata.summary", 2),
    ("freshdata.defs", 3), ("freshdata.definitions", 3), ("dagster", 3), ("dagster_duckdb", 3),
    ("dagster_ray", 3),
    ("freshdata.runs", 4), ("freshdata.demo", 4),
    ("freshdata.cli", 5),
]


def layer(module: str) -> int | None:
    """The layer of the longest matching prefix; None for modules outside the graph (stdlib, other libraries)."""
    best = None
    for prefix, rank in LAYERS:
        if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, rank)
    return best[1] if best else None


def modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The freshdata modules (and dagster) that `name` imports anywhere in its file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import submodule` depends on the submodule, not on all of pkg
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known and not target.startswith("dagster"):
                target = target.rpartition(".")[0]
            if target and target != name and layer(target) is not None:
                out.add(target.split(".")[0] if target.startswith("dagster") else target)
    return out


def test_every_module_has_a_layer() -> None:
    assert [m for m in modules() if layer(m) is None] == []


def test_no_import_goes_up_a_layer() -> None:
    known = modules()
    upward = [f"{name} ({layer(name)}) imports {target} ({layer(target)})"
              for name, path in sorted(known.items()) for target in sorted(imports(name, path, known))
              if layer(target) > layer(name)]
    assert upward == []


def test_no_import_cycle() -> None:
    known = modules()
    graph = {name: {t for t in imports(name, path, known) if t in known} for name, path in known.items()}
    cycles, done = [], set()

    def visit(node: str, stack: list[str]) -> None:
        if node in stack:
            cycles.append(" -> ".join(stack[stack.index(node):] + [node]))
            return
        if node in done:
            return
        for nxt in sorted(graph[node]):
            visit(nxt, [*stack, node])
        done.add(node)

    for name in sorted(graph):
        visit(name, [])
    assert cycles == []
