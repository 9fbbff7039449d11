"""Reader personas (Persona Hub's text-to-persona, without an LLM): the few readers a document most likely has.

`data/personas.tsv` ships ~80 short persona descriptions, each with words its reader's documents use (English,
German, Spanish, French, Portuguese). Each persona is embedded once with the document embedder
(vectors.Vectorizer.meaning). A document's score for a persona adds three pieces of evidence:

* the cosine of the persona's vector to the document's meaning vector, blended with that of its title and URL
  words (x TITLE_WEIGHT: a title names the subject in few words), minus the persona's mean cosine over the
  shipped labelled texts (quality/data/topic_format_train.jsonl: without it a few broad personas would top
  every list);
* TOPIC_BONUS when the document's topic (the quality stage's WebOrganizer topic) is one of the persona's
  topics: the topic classifier is trained for exactly that decision, in every covered language;
* WORD_BONUS per persona word (4+ letters, at most MAX_WORD_HITS) found as a whole word in the title or the
  first WORD_CHARS characters: static token vectors of a German or French text drift away from English
  keywords, an exact "Feuerwehr" or "pompiers" does not.

The `k` best are its personas. A document the embedder cannot read (uncovered script) is embedded from its
title and URL words; with neither it gets no persona. The weights were tuned on the 94 documents of the two
hand-judged samples (benchmarks/README_semantic.md, Personas) and then checked on a fresh sample.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from freshdata.quality.embed import MODEL_DIR, url_words
from freshdata.semantic.vectors import Vectorizer, vectorizer

PERSONAS_FILE = Path(__file__).resolve().parent / "data" / "personas.tsv"
CALIBRATION_FILE = MODEL_DIR.parent / "topic_format_train.jsonl"
TOPIC_BONUS = 0.15  # chosen on the tune set with the two below (0.05-0.15 all within 2 of the best 94)
TITLE_WEIGHT = 0.5  # the title-and-URL vector's weight against the text's (both unit) in the blended vector
WORD_BONUS = 0.05  # per persona word found in the title or the text's start
MAX_WORD_HITS = 3
WORD_CHARS = 1000
MIN_WORD_LEN = 4  # shorter keywords ("art", "gol", "IT") match too much as whole words
_WORDS = re.compile(r"\w+")


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
        lists = [{w.lower() for w in _WORDS.findall(p.keywords) if len(w) >= MIN_WORD_LEN} for p in personas]
        self.word_row = {w: n for n, w in enumerate(sorted(set().union(*lists)))}  # keyword -> row of word_matrix
        self.word_matrix = np.zeros((len(self.word_row) + 1, len(personas)), dtype=np.float32)  # last row: none
        for i, words in enumerate(lists):
            self.word_matrix[[self.word_row[w] for w in words], i] = 1.0
        self.topic_member = {t: np.array([t in p.topics for p in personas], dtype=np.float32)
                             for p in personas for t in p.topics}

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

    def word_hits(self, text: str) -> np.ndarray:
        """Per persona: how many of its keywords occur as whole words in `text` (lower-cased), capped."""
        rows = [self.word_row[w] for w in self.word_row.keys() & _WORDS.findall(text.lower())]
        return np.minimum(self.word_matrix[rows or [-1]].sum(0), MAX_WORD_HITS)

    def scores(self, meaning: np.ndarray, topic: str | None = None, words: str = "") -> np.ndarray:
        s = self.matrix @ meaning - self.offset
        member = self.topic_member.get(topic or "")
        if member is not None:
            s = s + TOPIC_BONUS * member
        if words:
            s = s + WORD_BONUS * self.word_hits(words)
        return s

    def tag(self, meaning: np.ndarray | None, k: int, title: str | None = None,
            url: str | None = None, topic: str | None = None, text: str | None = None) -> list[str]:
        """Ids of the `k` most likely readers, best first; [] when nothing of the document can be embedded.

        meaning: the text's meaning vector (None: unreadable); text: the document text (for the word hits)."""
        slug = url_words(url)
        title_vec = self.embed.meaning(f"{title or ''} {slug}")
        if title_vec is None and slug:  # a title in an uncovered script: the URL words alone
            title_vec = self.embed.meaning(slug)
        if meaning is None:
            meaning = title_vec
            if meaning is None:
                return []
        elif title_vec is not None:
            meaning = meaning + TITLE_WEIGHT * title_vec
            meaning = meaning / max(float(np.sqrt(meaning @ meaning)), 1e-12)
        s = self.scores(meaning, topic, f"{title or ''} {(text or '')[:WORD_CHARS]}")
        order = np.argsort(-s, kind="stable")  # best first; ties by list position
        return [self.personas[i].id for i in order[:k]]

    def description(self, persona_id: str) -> str:
        return next(p.description for p in self.personas if p.id == persona_id)


@cache
def persona_tagger() -> PersonaTagger:
    return PersonaTagger(load_personas(), vectorizer())
