"""Persona-driven synthesis prompts (Persona Hub's persona-to-text style), grounded in a fresh document.

One prompt per (document, persona): an instruction that asks an LLM to write, *as or for that reader*, a
piece of a chosen kind from the document (questions, an explanation, a problem, a summary, a dialogue).
The kind is picked from TASKS by a hash of (doc_id, persona), so the same export gives the same prompts and
the kinds spread evenly over a mix. Nothing here calls an LLM: the JSONL is for a user's own model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

MAX_SOURCE_CHARS = 6000  # the source text is cut at a paragraph/sentence boundary before this many characters

TASKS = (
    ("questions", "Write three questions {persona} would ask after reading the text below, each followed by an "
                  "answer that uses only facts stated in the text."),
    ("explanation", "Explain the main point of the text below to {persona}: what happened, why it matters to "
                    "them, and what they might do next. Use only facts stated in the text."),
    ("problem", "Create one challenging problem that {persona} could be asked to solve, grounded in the facts "
                "of the text below, followed by a step-by-step solution."),
    ("summary", "Summarize the text below in five bullet points for {persona}, keeping names, numbers and "
                "dates exactly as stated."),
    ("dialogue", "Write a short dialogue in which {persona} discusses the text below with a colleague; every "
                 "fact they mention must come from the text."),
)


def _cut(text: str, limit: int = MAX_SOURCE_CHARS) -> str:
    if len(text) <= limit:
        return text
    head = text[:limit]
    cut = max(head.rfind("\n"), head.rfind(". "))
    return head[: cut + 1] if cut > limit // 2 else head


def task_for(doc_id: str, persona_id: str) -> tuple[str, str]:
    h = int.from_bytes(hashlib.blake2b(f"{doc_id}\x00{persona_id}".encode(), digest_size=8).digest(), "little")
    return TASKS[h % len(TASKS)]


def synthesis_prompts(rows: Iterable[dict[str, Any]], describe: dict[str, str]) -> Iterator[dict[str, Any]]:
    """Prompts for snapshot rows (dicts with doc_id, text, personas, url, …); `describe` maps persona ids to
    their descriptions. A row without personas or text gives none."""
    for row in rows:
        text = row.get("text") or ""
        for persona_id in row.get("personas") or []:
            persona = describe.get(persona_id, persona_id.replace("_", " "))
            kind, template = task_for(row["doc_id"], persona_id)
            instruction = template.format(persona=persona)
            source = _cut(text)
            yield {
                "instruction": instruction,
                "persona": persona,
                "persona_id": persona_id,
                "task": kind,
                "source_text": source,
                "prompt": f"{instruction}\n\nPersona: {persona}\n\nText:\n{source}",
                "provenance": {
                    "doc_id": row["doc_id"], "url": row.get("url"), "source": row.get("source"),
                    "snapshot_date": str(row.get("snapshot_date")), "story_id": row.get("story_id"),
                    "language": row.get("language"), "topic": row.get("topic"), "format": row.get("format"),
                    "title": row.get("title"), "source_text_truncated": len(source) < len(text),
                },
            }
