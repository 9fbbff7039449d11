"""Reader personas (Persona Hub's text-to-persona, without an LLM): the few readers a document most likely has.

`data/personas.tsv` ships ~70 short persona descriptions, each with words its reader's documents use. Each
persona is embedded once with the document embedder (vectors.Vectorizer.meaning); a document's personas are
the `k` with the highest cosine to its meaning vector, after removing each persona's mean cosine over the
shipped labelled texts (quality/data/topic_format_train.jsonl: without it a few broad personas would top every
list), plus TOPIC_BONUS when the document's topic (the quality stage's WebOrganizer topic) is one of the
persona's topics: the topic classifier is trained for exactly that decision, in every covered language.
A document the embedder cannot read (uncovered script) is embedded from its
title and URL words; with neither it gets no persona.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from freshdata.quality.embed import MODEL_DIR, url_words
from freshdata.semantic.vectors import Vectorizer, vectorizer

PERSONAS_FILE = Path(__file__).resolve().parent / "data" / "personas.tsv"
CALIBRATION_FILE = MODEL_DIR.parent / "topic_format_train.jsonl"
TOPIC_BONUS = 0.1  # about one standard deviation of a document's persona scores (median over the corpus)


@dataclass(frozen=True)
class Persona:
    id: str
    description: str
    keywords: str
    topics: frozenset[str]


def load_personas(path: Path = PERSONAS_FILE) -> list[Persona]:
    """The persona list: id <TAB> description <TAB> keywords <TAB> topics (comma-separated WebOrganizer topics),
    '#' comments; a bad line names its number."""
    from freshdata.quality.embed import load_model

    known = set(load_model().topics)
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("\t")]
        if len(parts) != 4 or not all(parts):
            raise ValueError(f"{path}:{n}: a persona line is id<TAB>description<TAB>keywords<TAB>topics, "
                             f"got {line!r}")
        topics = frozenset(t.strip() for t in parts[3].split(","))
        if topics - known:
            raise ValueError(f"{path}:{n}: unknown topics {sorted(topics - known)}; known: {sorted(known)}")
        out.append(Persona(*parts[:3], topics))
    if len({p.id for p in out}) != len(out):
        raise ValueError(f"{path}: persona ids repeat")
    return out


class PersonaTagger:
    def __init__(self, personas: list[Persona], embed: Vectorizer) -> None:
        self.personas = personas
        self.embed = embed
        rows = []
        for p in personas:
            m = embed.meaning(f"{p.description}. {p.keywords}")
            if m is None:
                raise ValueError(f"persona {p.id!r}: its description embeds to nothing")
            rows.append(m)
        self.matrix = np.array(rows, dtype=np.float32)  # (P, 128), unit
        self.offset = self._calibration()

    def _calibration(self) -> np.ndarray:
        """Each persona's mean cosine over the shipped labelled texts (a hub correction)."""
        docs = []
        for line in CALIBRATION_FILE.read_text(encoding="utf-8").splitlines():
            text = json.loads(line).get("text") or ""
            m = self.embed.meaning(text)
            if m is not None:
                docs.append(m)
        if not docs:
            return np.zeros(len(self.personas), dtype=np.float32)
        return (np.array(docs, dtype=np.float32) @ self.matrix.T).mean(0)

    def scores(self, meaning: np.ndarray, topic: str | None = None) -> np.ndarray:
        s = self.matrix @ meaning - self.offset
        if topic:
            s = s + TOPIC_BONUS * np.array([topic in p.topics for p in self.personas], dtype=np.float32)
        return s

    def tag(self, meaning: np.ndarray | None, k: int, title: str | None = None,
            url: str | None = None, topic: str | None = None) -> list[str]:
        """Ids of the `k` most likely readers, best first; [] when nothing of the document can be embedded."""
        if meaning is None:
            meaning = self.embed.meaning(" ".join(filter(None, [title or "", url_words(url)])))
            if meaning is None:
                return []
        s = self.scores(meaning, topic)
        order = np.lexsort((np.arange(len(s)), -s))  # best first; ties by list position
        return [self.personas[i].id for i in order[:k]]

    def description(self, persona_id: str) -> str:
        return next(p.description for p in self.personas if p.id == persona_id)


@cache
def persona_tagger() -> PersonaTagger:
    return PersonaTagger(load_personas(), vectorizer())
