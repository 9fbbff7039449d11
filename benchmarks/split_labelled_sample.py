"""Split benchmarks/data/labelled_sample.jsonl into `fit` and `test` halves, once, before any tuning.

    .venv/bin/python benchmarks/split_labelled_sample.py     # (re)writes benchmarks/data/labelled_sample_split.tsv

Project rule: when thresholds or a classifier are tuned on data, part of it is set aside first and that
part's numbers are reported. `fit` pages may be used to train/tune the topic/format classifier
(benchmarks/build_topic_model.py); `test` pages are only used to report agreement
(benchmarks/bench_multilingual.py).

Deterministic and blind to topic/format/genuine: rows are ordered by (labelled language,
sha256("corpus|file")) and alternately assigned test, fit, test, fit ... over the whole sequence, so every
language is split within one page and single-page languages alternate between the halves.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "benchmarks" / "data" / "labelled_sample.jsonl"
SPLIT = ROOT / "benchmarks" / "data" / "labelled_sample_split.tsv"


def key(r: dict) -> str:
    return f"{r['corpus']}|{r['file']}"


def split_rows(rows: list[dict]) -> dict[str, str]:
    order = sorted(rows, key=lambda r: (r["language"], hashlib.sha256(key(r).encode()).hexdigest()))
    return {key(r): ("test" if i % 2 == 0 else "fit") for i, r in enumerate(order)}


def load_split(path: Path = SPLIT) -> dict[str, str]:
    """{"corpus|file": "fit" | "test"} from the committed TSV."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("corpus\t"):
            continue
        corpus, file, half = line.split("\t")
        out[f"{corpus}|{file}"] = half
    return out


def main() -> None:
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    split = split_rows(rows)
    lines = [
        "# fit/test split of labelled_sample.jsonl (benchmarks/split_labelled_sample.py); fit may train the",
        "# topic/format classifier, test is only for reporting agreement. Made before any use of the labels.",
        "corpus\tfile\tsplit",
    ]
    lines += [f"{r['corpus']}\t{r['file']}\t{split[key(r)]}" for r in rows]
    SPLIT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    n_test = sum(v == "test" for v in split.values())
    print(f"{SPLIT.relative_to(ROOT)}: {len(split)} pages, fit {len(split) - n_test}, test {n_test}")


if __name__ == "__main__":
    main()
