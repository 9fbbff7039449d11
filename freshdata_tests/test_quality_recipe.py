"""Recipe loading, errors, hashing, determinism, parallel apply and the demo samples."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from freshdata import schema, store
from freshdata.quality import (
    REGISTRY,
    QualityDoc,
    RecipeError,
    load_recipe,
    recipe_from_dict,
    write_quality_day,
)
from freshdata.quality.demo_samples import DEMO_SAMPLES, DEMO_URL_PATHS, EXPECTED

FETCHED = datetime(2025, 3, 1, 12, 0)


def demo_doc(name: str) -> QualityDoc:
    url = "http://127.0.0.1:8000" + DEMO_URL_PATHS[name]
    return QualityDoc(name, url, "demo", DEMO_SAMPLES[name], datetime(2025, 3, 1, 6), FETCHED, {"lang": "x"})


def write(tmp_path, body: str):
    p = tmp_path / "my_recipe.yaml"
    p.write_text(body)
    return p


def test_default_recipe_loads_and_names_ops():
    r = load_recipe(None)
    names = [op.name for op in r.ops]
    # line removal before anything measures the text; language before PII (phone regions follow it)
    assert names[:4] == ["c4_lines", "boilerplate", "language_id", "pii_redact"]
    assert set(names) <= set(REGISTRY)


def test_unknown_operator_error_names_file_and_op(tmp_path):
    p = write(tmp_path, "process:\n  - c4_lines: {}\n  - gopher_qualiti: {}\n")
    with pytest.raises(RecipeError, match=r"my_recipe\.yaml.*gopher_qualiti"):
        load_recipe(p)


@pytest.mark.parametrize(
    ("params", "param_name"),
    [
        ("{min_wordz: 3}", "min_wordz"),
        ("{min_words: fifty}", "min_words"),
        ("{min_words: '50'}", "min_words"),
    ],
)
def test_bad_parameter_error_names_file_op_and_param(tmp_path, params, param_name):
    p = write(tmp_path, f"process:\n  - gopher_quality: {params}\n")
    with pytest.raises(RecipeError) as e:
        load_recipe(p)
    msg = str(e.value)
    assert "my_recipe.yaml" in msg and "gopher_quality" in msg and param_name in msg


@pytest.mark.parametrize(
    "body",
    ["process: []\n", "steps: []\n", "process:\n  - {a: {}, b: {}}\n", "process: [", "- x\n"],
)
def test_malformed_recipes(tmp_path, body):
    with pytest.raises(RecipeError, match="my_recipe.yaml"):
        load_recipe(write(tmp_path, body))


def test_missing_data_file_is_load_error(tmp_path):
    p = write(tmp_path, "process:\n  - bad_words: {words_file: nope.txt}\n")
    with pytest.raises(RecipeError, match="bad_words"):
        load_recipe(p)


def test_hash_stable_and_sensitive(tmp_path):
    a = load_recipe(None).hash()
    assert a == load_recipe(None).hash()
    same = write(tmp_path, load_recipe(None).path.read_text() + "\n# a comment\n")
    assert load_recipe(same).hash() == a  # formatting/location do not matter
    other = recipe_from_dict({"process": [{"gopher_quality": {"min_words": 51}}]}).hash()
    assert other != recipe_from_dict({"process": [{"gopher_quality": {}}]}).hash()


def test_threshold_change_redecides_deterministically():
    d = demo_doc("good_sports")
    a = recipe_from_dict({"process": [{"gopher_quality": {}}]}).apply(d)
    b = recipe_from_dict({"process": [{"gopher_quality": {"min_words": 1000}}]}).apply(d)
    assert a.kept and b.reason == "gopher_quality:min_words"
    assert a.stats == b.stats  # same stats, different decision


def test_first_failing_rule_decides_but_all_stats_computed():
    out = load_recipe(None).apply(demo_doc("repetition_spam"))
    assert out.reason.startswith("gopher_repetition:")
    for prefix in ("c4_quality.", "fineweb_quality.", "gopher_quality.", "bad_words."):
        assert any(k.startswith(prefix) for k in out.stats), prefix


@pytest.mark.parametrize("name", list(DEMO_SAMPLES))
def test_demo_samples_hit_their_rule(name):
    out = load_recipe(None).apply(demo_doc(name))
    expected = EXPECTED[name]
    if expected is None:
        assert out.kept, out.reason
    else:
        assert out.reason is not None and out.reason.startswith(expected), out.reason


def test_demo_good_articles_are_long_enough():
    for name in ("good_health", "good_sports", "good_software", "good_garden"):
        assert len(DEMO_SAMPLES[name].split()) >= 250


def test_demo_pii_and_language_tags():
    r = load_recipe(None)
    pii = r.apply(demo_doc("pii_article"))
    assert {k: pii.tags[k] for k in ("pii_email", "pii_phone", "pii_card", "pii_ssn")} == dict.fromkeys(
        ("pii_email", "pii_phone", "pii_card", "pii_ssn"), 1
    )
    assert pii.tags["pii_ip"] == 2 and "192.168.1.20" in pii.text
    de = r.apply(demo_doc("german_article"))
    assert de.kept and de.tags["language"] == "de"
    strict = recipe_from_dict({"process": [{"language_id": {"allowed": ["en"]}}]})
    assert strict.apply(demo_doc("german_article")).reason == "language_id:not_allowed"


def test_tags_complete():
    out = load_recipe(None).apply(demo_doc("good_health"))
    keys = "language language_score source registered_domain url_path_depth word_count char_count"
    keys += " fetch_lag_hours quality_score topic format pii_email"
    for key in keys.split():
        assert key in out.tags, key
    assert out.tags["fetch_lag_hours"] == 6.0 and out.tags["url_path_depth"] == 2
    assert out.source_tags == {"lang": "x"}


def test_apply_many_parallel_matches_serial(monkeypatch):
    from freshdata import workers

    monkeypatch.setattr(workers, "PARALLEL_MIN_ITEMS", 4)
    r = load_recipe(None)
    docs = [demo_doc(n) for n in DEMO_SAMPLES] * 2
    serial = r.apply_many(docs, workers=1)
    parallel = r.apply_many(docs, workers=2)
    assert [o.doc_id for o in parallel] == [d.doc_id for d in docs]
    assert [(o.kept, o.reason, o.text, o.stats, o.tags) for o in parallel] == [
        (o.kept, o.reason, o.text, o.stats, o.tags) for o in serial
    ]


def test_write_quality_day_idempotent(tmp_path):
    con = duckdb.connect(str(tmp_path / "q.duckdb"))
    schema.ensure_schema(con)
    schema.ensure_schema(con)  # DDL idempotent
    r = load_recipe(None)
    outs = [r.apply(demo_doc(n)) for n in DEMO_SAMPLES]
    day = date(2025, 3, 1)
    for _ in range(2):
        with store.transaction(con):
            write_quality_day(con, day, outs)
    with store.transaction(con):
        write_quality_day(con, date(2025, 3, 2), outs[:3])
    assert con.execute("SELECT count(*) FROM quality_results WHERE partition_date = ?", [day]).fetchone()[
        0
    ] == len(outs)
    row = con.execute(
        "SELECT kept, reason, language, stats['gopher_quality.n_words'], source_tags['lang'], pii_card "
        "FROM quality_results WHERE doc_id = 'pii_article' AND partition_date = ?",
        [day],
    ).fetchone()
    assert (
        row[0] is True and row[1] is None and row[2] == "en" and row[3] > 50 and row[4] == "x" and row[5] == 1
    )
    with store.transaction(con):
        write_quality_day(con, day, [])
    assert con.execute("SELECT count(*) FROM quality_results").fetchone()[0] == 3
    con.close()
