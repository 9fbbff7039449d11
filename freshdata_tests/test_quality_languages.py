"""Script detection, per-script word splitting, sentence ends, per-language thresholds and `und`."""

from __future__ import annotations

from datetime import datetime

import pytest

from freshdata.quality import QualityDoc, load_recipe, recipe_from_dict
from freshdata.quality.filters import SENTENCE_END_FAST_RE, SENTENCE_END_RE, detect_language
from freshdata.quality.text import DocContext, detect_script, split_words

FETCHED = datetime(2025, 3, 1, 12, 0)


def doc(text: str) -> QualityDoc:
    return QualityDoc("d", "https://news.example/a", "s", text, None, FETCHED)


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("The council met on Tuesday.", "Latn"),
        ("Le conseil s’est réuni à Genève — “déjà”.", "Latn"),
        ("Совет собрался во вторник.", "Cyrl"),
        ("東京都は２日、新たに感染者を発表した。", "Jpan"),
        ("中国国家统计局周一公布数据。", "Hani"),
        ("시 교육청은 15일 발표했다.", "Hang"),
        ("नगर निगम ने सोमवार को बसें शुरू कीं।", "Deva"),
        ("পৌরসভা সোমবার নতুন বাস চালু করেছে।", "Beng"),
        ("افتتحت البلدية مكتبة جديدة.", "Arab"),
        ("ห้องสมุดเมืองขยายเวลาเปิด", "Thai"),
        ("Հայաստանի կառավարությունը", "Armn"),
        ("12345 !!! ---", "Zyyy"),
        ("", "Zyyy"),
        ("BBC News: 東京都は２日、新たに感染者を発表した。政府は対策を強化する方針だ。", "Jpan"),
    ],
)
def test_detect_script(text, script):
    assert detect_script(text) == script


def test_words_latin_fast_path_unchanged():
    assert split_words("Don't stop-me now, 42 times!", "Latn") == ["Don", "t", "stop", "me", "now", "42", "times"]


def test_words_devanagari_keep_vowel_signs():
    # `re`'s \w cuts हिन्दी at its vowel signs and virama: ['ह', 'न', 'द']
    assert split_words("हिन्दी समाचार, 2024।", "Deva") == ["हिन्दी", "समाचार", "2024"]
    ctx = DocContext(doc("नगर निगम ने सोमवार को शहर के पूर्वी हिस्से के लिए बीस नई बसों की सेवा शुरू की।"))
    assert ctx.script == "Deva" and ctx.word_chars / ctx.n_words > 2.5


def test_words_arabic_with_harakat_and_persian_zwnj():
    assert split_words("كَتَبَ الوَلَدُ", "Arab") == ["كَتَبَ", "الوَلَدُ"]
    assert split_words("می‌خواهم بروم", "Arab") == ["می‌خواهم", "بروم"]


@pytest.mark.parametrize(
    ("text", "script", "expected"),
    [
        ("東京都は発表した。", "Jpan", ["東京", "都", "は", "発表", "した"]),
        ("中国国家统计局周一公布的数据。", "Hani", ["中国", "国家", "统计", "局", "周一", "公布", "的", "数据"]),
        ("กรุงเทพมหานคร เป็นเมืองหลวง", "Thai", ["กรุงเทพมหานคร", "เป็น", "เมือง", "หลวง"]),
    ],
)
def test_words_space_free_scripts_use_icu_dictionaries(text, script, expected):
    assert split_words(text, script) == expected


def test_korean_words_are_space_separated():
    assert split_words("시 교육청은 15일 발표했다.", "Hang") == ["시", "교육청은", "15일", "발표했다"]


def test_words_lower_consistent_across_paths():
    for text in ("İstanbul İİ straße ÆØÅ", "Москва ИЗБРАЛА", "東京 iPhone ＡＢＣ", "हिन्दी ABC"):
        ctx = DocContext(doc(text))
        words = ctx.words
        assert ctx.words_lower == [w.lower() for w in words]
        assert ctx.n_words == len(words) and ctx.word_chars == sum(map(len, words))


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("東京都は発表した。政府は対策を強化する。本当か？はい！", 4),  # no space after 。
        ("नगर निगम ने बसें शुरू कीं। यात्री खुश हैं॥", 2),
        ("هل هذا صحيح؟ نعم", 1),
        ("Ցանկանում եմ։ Այո։", 2),
        ("One. Two! Three? 3.5 kg", 3),
        ("Wait... what?! Really.", 3),
        ("本当？！", 1),
    ],
)
def test_sentence_ends(text, n):
    assert len(SENTENCE_END_RE.findall(text)) == n
    assert len(SENTENCE_END_FAST_RE.findall(text)) == n


def test_fast_sentence_regex_matches_reference_with_other_scripts():
    import random

    rng = random.Random(1)
    alphabet = list("ab .!?。！？।؟։\n\"')”’")
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        assert len(SENTENCE_END_FAST_RE.findall(text)) == len(SENTENCE_END_RE.findall(text)), text


# ------------------------------------------------------------------ language id and `und`
ZULU = (
    "Uhulumeni wesifundazwe uthe uzoqhubeka nokwakha izindlu ezintsha kulo nyaka. Umphathiswa uthe abantu "
    "abaningi basalinde izindlu zabo iminyaka eminingi. Izakhamizi zendawo zithe zijabule kakhulu ngalolu "
    "hlelo kodwa zifuna ukuthi umsebenzi uqale masinyane."
)
XHOSA = (
    "Urhulumente wephondo uthe uza kuqhubeka nokwakha izindlu ezintsha kulo nyaka. Umphathiswa uthe abantu "
    "abaninzi basalinde izindlu zabo iminyaka emininzi. Abahlali bendawo bathi bonwabile kakhulu ngale "
    "nkqubo kodwa bafuna ukuba umsebenzi uqale ngokukhawuleza."
)


@pytest.mark.parametrize("text", [ZULU, XHOSA, ZULU[:160], XHOSA[:160]], ids=["zu", "xh", "zu_short", "xh_short"])
def test_unidentifiable_language_is_und_not_english(text):
    out = load_recipe(None).apply(doc(text))
    assert out.tags["language"] == "und" and out.tags["script"] == "Latn"
    assert out.reason is None or "stop_words" not in out.reason  # no English rule on a guess


def test_und_has_no_stop_word_rule_and_script_generic_thresholds():
    r = recipe_from_dict({"process": [{"language_id": {}}, {"gopher_quality": {}}]})
    op = r.ops[1]
    und = op.params_for("und", "Latn")
    assert und.stop_words == [] and und.min_avg_word_length < 3.0
    assert op.params_for("de", "Latn").stop_words  # German stop words from the table
    assert op.params_for("en", "Latn") is op.params  # English: the recipe's own values
    assert op.params_for("zz", "Latn") == und  # a language the table lacks: script-generic


def test_min_confidence_is_a_recipe_parameter():
    text = "The council met on Tuesday and approved the new budget for the city's libraries."
    lang, score = detect_language(text)
    assert lang == "en"
    strict = recipe_from_dict({"process": [{"language_id": {"min_confidence": min(1.0, score + 0.001)}}]})
    assert strict.apply(doc(text)).tags["language"] == "und"


def test_overrides_win_over_table_and_are_validated():
    r = recipe_from_dict(
        {"process": [{"gopher_quality": {"overrides": {"de": {"min_words": 7}, "und_Hani": {"min_words": 3}}}}]}
    )
    op = r.ops[0]
    assert op.params_for("de", "Latn").min_words == 7 and op.params_for("und", "Hani").min_words == 3
    assert op.params_for("fr", "Latn").min_words == 50
    from freshdata.quality import RecipeError

    with pytest.raises(RecipeError, match="min_wordz"):
        recipe_from_dict({"process": [{"gopher_quality": {"overrides": {"de": {"min_wordz": 7}}}}]})


def test_language_table_is_hashed_into_the_recipe(tmp_path):
    import shutil

    from freshdata.quality.registry import DATA_DIR

    mine = tmp_path / "table.json"
    shutil.copyfile(DATA_DIR / "language_thresholds.json", mine)
    a = recipe_from_dict({"process": [{"fineweb_quality": {"language_table": str(mine)}}]}).hash()
    mine.write_text(mine.read_text().replace('"new_line_ratio": 0.1', '"new_line_ratio": 0.2', 1))
    from freshdata.quality.filters import load_language_table

    load_language_table.cache_clear()
    b = recipe_from_dict({"process": [{"fineweb_quality": {"language_table": str(mine)}}]}).hash()
    assert a != b


def test_short_english_wire_item_kept():
    """Three sentences and a byline: C4's 5-sentence minimum would drop it (the same item in any other
    language has no sentence minimum); the default recipe asks English for 3."""
    wire = ("LONDON - The main railway station of the city will close for two weekends in March while engineers "
            "replace a bridge over the river, the operator said on Monday.\n"
            "Trains to the north will start from the old terminal instead, and buses will link the two stations "
            "every ten minutes.\n"
            "The work, delayed twice last year, is expected to cost about 40 million pounds, it added.\n"
            "Reporting by Ann Writer")
    out = load_recipe(None).apply(doc(wire))
    assert out.kept, out.reason
    assert out.tags["language"] == "en" and out.stats["c4_quality.n_sentences"] == 3
    c4 = recipe_from_dict({"process": [{"language_id": {}}, {"c4_quality": {}}]})  # C4's own 5
    assert c4.apply(doc(wire)).reason == "c4_quality:min_sentences"
    two = wire.replace("every ten minutes.", "every ten minutes and")
    assert load_recipe(None).apply(doc(two)).reason == "c4_quality:min_sentences"


def test_c4_rules_only_for_english():
    few_sentences = " ".join(["Ein Wort und noch ein Wort und viele weitere Wörter ohne Satzende"] * 10)
    r = recipe_from_dict({"process": [{"language_id": {}}, {"c4_quality": {}}]})
    out = r.apply(doc(few_sentences))
    assert out.tags["language"] == "de" and out.kept
    assert out.stats["c4_quality.n_sentences"] == 0  # stats still computed for every document
