"""The pipeline's shared words: funnel states, fetch states and PII kinds, named once.

Python code reads them from here; the SQL in `sql/` spells them out (views cannot import), and
freshdata_tests/test_vocab.py checks those files against this module.
"""

from __future__ import annotations

# What the fetch stage records for a new URL (fetch_log.state of a document); a new URL no fetch reached is
# `not_fetched` in the funnel.
FETCH_STATES = ("fetched", "not_modified", "robots_disallowed", "ai_opt_out", "blocked_address", "deferred",
                "failed")

# Each funnel count splits into these counts, exactly (snapshot.funnel_adds_up checks every identity).
FUNNEL_SPLITS: dict[str, tuple[str, ...]] = {
    "discovered": ("known", "excluded_by_rule", "over_budget", "new"),
    "new": (*FETCH_STATES, "not_fetched"),
    "fetched": ("extraction_failed", "extracted"),
    "extracted": ("exact_duplicate", "near_duplicate", "fresh"),
    "fresh": ("rejected", "semantic_duplicate", "kept"),
}


def _stage_order() -> tuple[str, ...]:
    """Every funnel state, stage by stage (the order of `freshdata run`'s day line)."""
    order, level = ["discovered"], ["discovered"]
    while level:
        level = [child for state in level for child in FUNNEL_SPLITS.get(state, ())]
        order += level
    return tuple(order)


FUNNEL_STATES = _stage_order()
# Columns of view day_funnel, table funnel_days and the funnel export (the stored order, kept for byte-identical
# exports): the same states, with `fetched` after the other fetch exits and `semantic_duplicate` last (it came
# later: homes from before it get the column appended, sql/create_funnel.sql, so old and new homes export the same
# columns in the same order).
FUNNEL_COLUMNS = ("discovered", "known", "excluded_by_rule", "over_budget", "new", *FETCH_STATES[1:],
                  "not_fetched", "fetched", "extraction_failed", "extracted", "exact_duplicate", "near_duplicate",
                  "fresh", "rejected", "kept", "semantic_duplicate")
# The final states of a URL (view url_funnel): every state but the two that always split further; a URL whose
# next stage has not run yet stays `fetched`, `extracted` or `fresh`.
FINAL_STATES = tuple(s for s in FUNNEL_STATES if s not in ("discovered", "new"))

# What pii_redact replaces, each counted in a column pii_<kind> of quality_results and snapshot_documents
# (this is their column order).
PII_KINDS = ("email", "ip", "phone", "card", "ssn")


def final_states_under(state: str) -> set[str]:
    """The final states a funnel count counts (view day_funnel): its own and those of every state below it."""
    below = {state}.union(*(final_states_under(c) for c in FUNNEL_SPLITS.get(state, ())))
    return below & set(FINAL_STATES)

# What a discovery run records for each source in table source_checks (freshdata.crawl.recheck): whether it asked the
# source or its re-check interval had not passed, and what a check found. A not_due source lists no URL, so the URL
# funnel above is unchanged; check sources_answered counts it as answered by policy.
SOURCE_DECISIONS = ("checked", "not_due")
SOURCE_OUTCOMES = ("new_items", "unchanged", "not_modified", "failed")
