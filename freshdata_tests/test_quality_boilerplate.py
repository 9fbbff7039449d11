"""The `boilerplate` operator: in-document repeats and per-source learned lines removed, not punished."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import polars as pl
import pytest

from freshdata import schema, store, texts
from freshdata.compute import Engine
from freshdata.quality import QualityDoc, RecipeError, boilerplate, recipe_from_dict, write_quality_day
from freshdata.quality.day import apply_day
from freshdata.quality.recipe import Recipe

FETCHED = datetime(2025, 3, 1, 12, 0)
DAY1 = date(2025, 3, 1)
FOOTER = "© 2025 Example Daily. All rights reserved."
NEWSLETTER = "Sign up for our newsletter to get the morning briefing."
LINES_RECIPE = {"process": [{"c4_lines": {}}, {"boilerplate": {}}]}

_TOPICS = ["harbour", "library", "orchard", "railway", "museum", "bakery", "stadium", "bridge", "market"]


def article(source: str, day: date, i: int) -> str:
    """A unique article body: every line differs from every other page's lines."""
    topic = _TOPICS[(i + day.day) % len(_TOPICS)]
    return "\n".join(
        f"The {topic} story number {i} of {source} on {day.isoformat()} has its own paragraph {k} with details."
        for k in range(4)
    )


def page(source: str, day: date, i: int, extra: tuple[str, ...] = ()) -> QualityDoc:
    text = "\n".join([article(source, day, i), *extra, NEWSLETTER, FOOTER])
    return QualityDoc(f"{source}-{day}-{i}", f"https://{source}.example/{day}/{i}", source, text, None, FETCHED)


def day_docs(day: date) -> list[QualityDoc]:
    """Source a: 3 pages a day sharing the footer and newsletter lines (one page also has a line of its own);
    source b: one page a day carrying the same footer text."""
    docs = [page("a", day, i) for i in range(2)]
    docs.append(page("a", day, 2, extra=(f"Correction appended only to this page on {day}.",)))
    docs.append(page("a", day, 3, extra=("A sentence that appears on one page every day only.",)))
    docs.append(page("b", day, 0))
    return docs


def store_fresh_day(con, day: date, docs: list[QualityDoc]) -> None:
    """The day as extraction and dedup leave it for quality: documents rows, each `fresh`, and the texts file."""
    with store.transaction(con):
        con.execute("DELETE FROM documents WHERE partition_date = ?", [day])
        con.execute("DELETE FROM dedup_decisions WHERE partition_date = ?", [day])
        for i, d in enumerate(docs):
            con.execute("INSERT INTO documents (partition_date, doc_id, url, source, fetched_at, published_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)", [day, d.doc_id, d.url, d.source, d.fetched_at, d.published_at])
            con.execute("INSERT INTO dedup_decisions (partition_date, doc_id, ord, status, too_short, text_hash, "
                        "n_words) VALUES (?, ?, ?, 'fresh', false, 0, 0)", [day, d.doc_id, i])
        texts.write_day(con, day, "extracted", pl.DataFrame(
            {"doc_id": [d.doc_id for d in docs], "text": [d.text for d in docs]}, schema=texts.TEXT_SCHEMA))
    texts.remove_unreferenced(con, day)


def run_quality_day(con, recipe: Recipe, day: date, docs: list[QualityDoc], workers: int = 1):
    """What the quality asset does (defs/quality/assets.py): apply_day through a texts spool (worker processes
    when `workers` > 1 and the day has workers.PARALLEL_MIN_ITEMS documents), outcomes + line stats written in
    one transaction. Returns the outcomes with their cleaned texts read back from the day's quality file."""
    store_fresh_day(con, day, docs)
    with texts.Spool(con, day, "quality") as spool:
        outcomes, line_stats = apply_day(con, day, recipe, spool, Engine(workers=workers))
        with store.transaction(con):
            write_quality_day(con, day, outcomes, line_stats, spool=spool)
    texts.remove_unreferenced(con, day)
    cleaned = {i: t for ids, ts in texts.batches(con, day, "quality") for i, t in zip(ids, ts, strict=True)}
    for o in outcomes:
        o.text = cleaned.get(o.doc_id)
    return outcomes


def by_id(outcomes) -> dict:
    return {o.doc_id: o for o in outcomes}


def doc(text: str, source: str = "s") -> QualityDoc:
    return QualityDoc("d", f"https://{source}.example/x", source, text, None, FETCHED)


# ---------------------------------------------------------------- in-document repeats
def test_in_doc_repeats_removed_and_counted():
    body = "\n".join(f"Paragraph {k} of a long and genuine article about the harbour and its boats." for k in range(12))
    text = f"{body}\nCommunity Guidelines\n\nLog in to comment\n\nCommunity  Guidelines\n\nLog in to comment\nEnd."
    out = recipe_from_dict(LINES_RECIPE).apply(doc(text))
    assert out.text.count("Community Guidelines") == 1 and out.text.count("Log in to comment") == 1
    assert "Community  Guidelines" not in out.text  # whitespace-normalized comparison
    assert "\n\n\n" not in out.text  # no blank-line pile-up where lines were removed
    assert out.stats["boilerplate.lines_removed_repeated"] == 2
    assert out.stats["boilerplate.lines_removed_learned"] == 0
    assert 0 < out.stats["boilerplate.chars_removed_frac"] < 0.1


def test_short_and_letterless_lines_are_structure_not_repeats():
    rows = "\n".join(f"Team {k} played a fine match in the league this weekend.\n•\n1\n12:30\nYes" for k in range(8))
    out = recipe_from_dict(LINES_RECIPE).apply(doc(rows))
    assert out.text == rows
    assert out.stats["boilerplate.lines_removed_repeated"] == 0


def test_heavy_repetition_is_left_for_the_repetition_rules():
    spam = "\n".join(["Buy cheap watches online today at the best price!"] * 20 + ["Contact us."])
    recipe = recipe_from_dict({"process": [{"boilerplate": {}}, {"gopher_repetition": {}}]})
    out = recipe.apply(doc(spam))
    assert out.text == spam and out.stats["boilerplate.lines_removed_repeated"] == 0
    assert out.stats["boilerplate.repeated_char_frac"] > 0.5
    assert out.reason is not None and out.reason.startswith("gopher_repetition:")


GENUINE = """\
The city council voted on Tuesday to extend the riverside park by four hectares, ending a two-year debate.
Supporters said the new green space would give families in the eastern districts somewhere to walk and play.
Opponents had argued that the land should be used for housing, which the city badly needs.
The mayor said the decision balanced both needs, because a housing plan for the old depot was approved too.
Construction of the new paths and a playground will begin in the spring and should take about a year.
Community Guidelines
Residents can comment on the plans at the library until the end of the month, the council said.
Community Guidelines
"""


def test_community_guidelines_twice_no_longer_rejected_by_char_dup_ratio():
    without = recipe_from_dict({"process": [{"c4_lines": {}}, {"fineweb_quality": {}}]}).apply(doc(GENUINE))
    assert without.reason == "fineweb_quality:char_dup_ratio"  # the false rejection
    recipe = recipe_from_dict({"process": [{"c4_lines": {}}, {"boilerplate": {}}, {"fineweb_quality": {}}]})
    out = recipe.apply(doc(GENUINE))
    assert out.kept, out.reason
    assert out.text.count("Community Guidelines") == 1
    assert out.stats["boilerplate.lines_removed_repeated"] == 1
    assert out.stats["fineweb_quality.char_dup_ratio"] == 0.0


def test_line_hash_stable_and_normalized():
    h = boilerplate.line_hash("Community Guidelines")
    assert h == boilerplate.line_hash(boilerplate.normalize_line(" Community \t Guidelines "))
    assert h == 5629499534213120 | (h & ((1 << 48) - 1))  # length 20 in the top bits
    assert 0 < h < 2**63  # fits a BIGINT


@pytest.mark.parametrize("params", [{"min_pages": 1}, {"min_share": 1.5}, {"max_line_chars": 2}, {"window": 3}])
def test_bad_parameters_are_load_errors(params):
    with pytest.raises(RecipeError, match="boilerplate"):
        recipe_from_dict({"process": [{"boilerplate": params}]})


# ---------------------------------------------------------------- learned per-source lines
@pytest.fixture
def con(tmp_path):
    c = schema.connect(tmp_path)
    yield c
    c.close()


def test_source_footer_learned_from_earlier_days(con):
    recipe = recipe_from_dict(LINES_RECIPE)
    outs = {}
    for k in range(4):
        day = DAY1 + timedelta(days=k)
        outs[day] = by_id(run_quality_day(con, recipe, day, day_docs(day)))
    d1, d2, d3, d4 = (outs[DAY1 + timedelta(days=k)] for k in range(4))
    # day 1 has no history; day 2 has 4 earlier pages with the footer (min_pages 4): removed from then on
    assert all(FOOTER in o.text for o in d1.values())
    for day_out, day in ((d2, DAY1 + timedelta(days=1)), (d4, DAY1 + timedelta(days=3))):
        a0 = day_out[f"a-{day}-0"]
        assert FOOTER not in a0.text and NEWSLETTER not in a0.text
        assert a0.stats["boilerplate.lines_removed_learned"] == 2
        assert a0.stats["boilerplate.chars_removed_frac"] > 0
        assert a0.text == article("a", day, 0)
        # a line on one page (every day) is never stored, so never learned
        assert "appears on one page every day only" in day_out[f"a-{day}-3"].text
        # another source with the same footer text learns nothing from source a
        b0 = day_out[f"b-{day}-0"]
        assert FOOTER in b0.text and b0.stats["boilerplate.lines_removed_learned"] == 0
    assert "Correction appended only to this page" in d3[f"a-{DAY1 + timedelta(days=2)}-2"].text
    # what is stored: only lines on >= 2 pages of a source that day (footer + newsletter of source a)
    rows = con.execute(
        "SELECT partition_date, source, count(*), min(n_pages) FROM boilerplate_lines GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert rows == [(DAY1 + timedelta(days=k), "a", 2, 4) for k in range(4)]
    assert con.execute("SELECT count(*) FROM boilerplate_sources").fetchone()[0] == 8


def test_rerun_of_past_day_is_identical_and_replaces_line_stats(con):
    recipe = recipe_from_dict(LINES_RECIPE)
    days = [DAY1 + timedelta(days=k) for k in range(4)]
    first = {}
    for day in days:
        first[day] = run_quality_day(con, recipe, day, day_docs(day))
    stored = con.execute("SELECT * FROM boilerplate_lines ORDER BY ALL").fetchall()
    # re-run day 2 after days 3 and 4 exist: the learned lines come from earlier days only
    for day in (days[1], days[0], days[3]):
        again = run_quality_day(con, recipe, day, day_docs(day))
        assert [(o.doc_id, o.kept, o.reason, o.text, o.stats) for o in again] == [
            (o.doc_id, o.kept, o.reason, o.text, o.stats) for o in first[day]
        ]
    assert con.execute("SELECT * FROM boilerplate_lines ORDER BY ALL").fetchall() == stored  # replaced, not added
    counts = con.execute(
        "SELECT partition_date, count(*) FROM boilerplate_sources GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert counts == [(day, 2) for day in days]


def test_window_bounds_what_is_learned(con):
    recipe = recipe_from_dict({"process": [{"boilerplate": {"window_days": 2}}]})
    run_quality_day(con, recipe, DAY1, day_docs(DAY1))
    run_quality_day(con, recipe, DAY1 + timedelta(days=1), day_docs(DAY1 + timedelta(days=1)))
    p = boilerplate.params_of(recipe)
    assert boilerplate.learned_lines(con, DAY1 + timedelta(days=2), ["a", "b"], p).keys() == {"a"}
    # four days later both stored days are outside the two-day window
    assert boilerplate.learned_lines(con, DAY1 + timedelta(days=4), ["a", "b"], p) == {}


def test_recipe_without_operator_stores_nothing_and_clears_the_day(con):
    with_op = recipe_from_dict(LINES_RECIPE)
    run_quality_day(con, with_op, DAY1, day_docs(DAY1))
    assert con.execute("SELECT count(*) FROM boilerplate_lines").fetchone()[0] == 2
    run_quality_day(con, recipe_from_dict({"process": [{"c4_lines": {}}]}), DAY1, day_docs(DAY1))
    assert con.execute("SELECT count(*) FROM boilerplate_lines").fetchone()[0] == 0


def test_learned_lines_reach_worker_processes(con, monkeypatch):
    from freshdata import workers

    monkeypatch.setattr(workers, "PARALLEL_MIN_ITEMS", 4)
    recipe = recipe_from_dict(LINES_RECIPE)
    run_quality_day(con, recipe, DAY1, day_docs(DAY1))
    day2 = DAY1 + timedelta(days=1)
    docs = [dataclasses.replace(d, doc_id=f"{d.doc_id}-{k}") for k in range(3) for d in day_docs(day2)]
    serial = run_quality_day(con, recipe, day2, docs, workers=1)
    parallel = run_quality_day(con, recipe, day2, docs, workers=2)
    assert [(o.text, o.stats) for o in parallel] == [(o.text, o.stats) for o in serial]
    assert sum(o.stats["boilerplate.lines_removed_learned"] for o in parallel) == 2 * 4 * 3


def test_line_stats_from_per_page_hashes_equal_line_stats():
    """The streamed quality stage counts each page's line hashes (computed in the workers): same tables."""
    p = boilerplate.params_of(recipe_from_dict(LINES_RECIPE))
    docs = day_docs(DAY1) + day_docs(DAY1 + timedelta(days=1))
    per_source: dict[str, list] = {}
    for d in docs:
        per_source.setdefault(d.source, []).append(boilerplate.doc_line_hashes(d.text, p))
    expected = boilerplate.line_stats(DAY1, docs, p)
    got = boilerplate.line_stats_from_hashes(DAY1, per_source, p)
    assert got.lines.equals(expected.lines) and got.sources.equals(expected.sources)
    assert expected.lines.num_rows > 0
