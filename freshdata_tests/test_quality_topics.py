"""topic_format with the shipped multilingual model: every covered language tagged, `unknown` otherwise."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from freshdata.quality import QualityDoc
from freshdata.quality.embed import COVERED_SCRIPTS, UNKNOWN, load_model
from freshdata.quality.recipe import recipe_from_dict
from freshdata.quality.registry import DATA_DIR
from freshdata.quality.taggers import load_taxonomy
from freshdata.quality.text import detect_script

FETCHED = datetime(2025, 3, 1, 12, 0)
TRAIN = [json.loads(x) for x in (DATA_DIR / "topic_format_train.jsonl").read_text(encoding="utf-8").splitlines()]
LANGS = sorted({r["lang"] for r in TRAIN})

# New sentences (not in the training file): clear cases that must land on the right topic.
CLEAR = [
    ("en", "Sports & Fitness",
     "The striker scored twice in the second half as the home team won the league match 3-1."),
    ("en", "Food & Dining",
     "Mix the flour, sugar and butter, add two eggs and bake the cake for 40 minutes at 180 degrees."),
    ("es", "Sports & Fitness",
     "El delantero marcó dos goles y el equipo ganó el partido de liga ante su afición en el estadio."),
    ("es", "Health",
     "Los médicos recomiendan vacunarse contra la gripe; el hospital atendió a cientos de pacientes con fiebre."),
    ("fr", "Food & Dining",
     "Mélangez la farine, le sucre et le beurre, ajoutez deux œufs et faites cuire le gâteau au four."),
    ("de", "Sports & Fitness",
     "Der Stürmer erzielte zwei Tore, und die Mannschaft gewann das Bundesligaspiel vor ausverkauftem Stadion."),
    ("ru", "Sports & Fitness", "Нападающий забил два гола, и команда выиграла матч чемпионата на своём стадионе."),
    ("pt", "Food & Dining",
     "Misture a farinha, o açúcar e a manteiga, junte dois ovos e asse o bolo no forno por 40 minutos."),
    ("it", "Sports & Fitness",
     "L'attaccante ha segnato due gol e la squadra ha vinto la partita di campionato allo stadio."),
    ("ja", "Sports & Fitness", "フォワードが後半に2ゴールを決め、ホームのチームがリーグ戦に3対1で勝利した。"),
    ("zh", "Sports & Fitness", "前锋在下半场打进两球，主队以三比一赢得了这场联赛比赛。"),
    ("ar", "Sports & Fitness", "سجل المهاجم هدفين في الشوط الثاني وفاز الفريق بمباراة الدوري على أرضه."),
    ("ko", "Sports & Fitness", "공격수가 후반에 두 골을 넣었고 홈팀이 리그 경기에서 3대1로 승리했다."),
    ("tr", "Sports & Fitness", "Forvet ikinci yarıda iki gol attı ve ev sahibi takım lig maçını 3-1 kazandı."),
    ("uk", "Sports & Fitness", "Нападник забив два голи, і команда виграла матч чемпіонату на своєму стадіоні."),
]
UNCOVERED = {
    "hi": (
        "भारत की राजधानी नई दिल्ली में आज संसद का शीतकालीन सत्र "
        "शुरू हुआ। प्रधानमंत्री ने किसानों के लिए नई योजना की घोषणा की।"
    ),
    "bn": "ঢাকায় আজ সংসদের বাজেট অধিবেশন শুরু হয়েছে। অর্থমন্ত্রী বলেছেন সরকার কৃষকদের জন্য নতুন প্রকল্প আনবে।",
    "el": (
        "Η κυβέρνηση ανακοίνωσε σήμερα νέα μέτρα για την "
        "οικονομία και τη στήριξη των νοικοκυριών απέναντι στην ακρίβεια."
    ),
    "ka": "მთავრობამ დღეს გამოაცხადა ეკონომიკის მხარდაჭერის ახალი ღონისძიებები და ოჯახების დახმარების პროგრამა.",
}


def doc(text: str, url: str = "https://example.com/a/b.html") -> QualityDoc:
    return QualityDoc("d", url, "s", text, None, FETCHED, {})


@pytest.fixture(scope="module")
def recipe():
    return recipe_from_dict({"process": [{"language_id": {}}, {"topic_format": {}}]})


def test_model_labels_are_the_taxonomy():
    tax = load_taxonomy(DATA_DIR / "taxonomy.yaml")
    m = load_model()
    assert m.topics == list(tax.descriptions["topics"]) and len(m.topics) == 24
    assert m.formats == list(tax.descriptions["formats"]) and len(m.formats) == 24


@pytest.mark.parametrize("lang", LANGS)
def test_every_training_language_is_tagged(recipe, lang):
    assert len(LANGS) >= 10
    for r in [r for r in TRAIN if r["lang"] == lang][:6]:
        tags = recipe.apply(doc(r["text"])).tags
        for key in ("topic", "format"):
            assert tags[key] not in (None, UNKNOWN), (lang, r["text"][:60])
            assert 0.0 < tags[f"{key}_score"] <= 1.0
        assert tags["topic"] in load_model().topics and tags["format"] in load_model().formats


@pytest.mark.parametrize("lang,topic,text", CLEAR)
def test_clear_examples_land_on_their_topic(recipe, lang, topic, text):
    assert recipe.apply(doc(text)).tags["topic"] == topic


@pytest.mark.parametrize("lang", sorted(UNCOVERED))
def test_uncovered_script_is_unknown_not_null(recipe, lang):
    text = UNCOVERED[lang]
    assert detect_script(text) not in COVERED_SCRIPTS
    tags = recipe.apply(doc(text)).tags
    assert (tags["topic"], tags["format"]) == (UNKNOWN, UNKNOWN)
    assert tags["topic_score"] == 0.0 and tags["format_score"] == 0.0


def test_uncovered_script_falls_back_to_url_words(recipe):
    """An uncovered script with >= 3 ASCII words in the URL path is tagged from those words (never NULL)."""
    from freshdata.quality.embed import url_words

    url = "https://www.example.in/sports/cricket/india-beat-australia-in-the-test-match-127064846.html?utm_source=rss"
    assert url_words(url) == "sports cricket india beat australia in the test match"
    tags = recipe.apply(doc(UNCOVERED["hi"], url)).tags
    assert tags["topic"] == "Sports & Fitness"
    assert tags["format"] not in (None, UNKNOWN) and tags["format_score"] > 0.0
    # an uninformative URL (ids only) stays `unknown`
    tags = recipe.apply(doc(UNCOVERED["hi"], "https://www.example.in/article/791661")).tags
    assert (tags["topic"], tags["format"]) == (UNKNOWN, UNKNOWN)


def test_news_page_is_a_news_article(recipe):
    """Real pages are mostly news; the classifier is fitted on real pages, so plain wire copy is News Article."""
    text = (
        "Madrid, 3 mar (EFE).- El Gobierno aprobó este martes en el Consejo de Ministros una subida del salario "
        "mínimo del 5 %, según anunció la portavoz en la rueda de prensa posterior a la reunión. La medida, "
        "pactada con los sindicatos, beneficiará a unos dos millones de trabajadores.\n"
        "La patronal criticó la decisión y advirtió de que puede frenar la creación de empleo."
    )
    assert recipe.apply(doc(text, "https://www.example.es/economia/2025/03/03/subida-salario-minimo.html")).tags[
        "format"
    ] == "News Article"


def test_empty_or_symbol_only_text_is_unknown(recipe):
    for text in ("", "12345 67 89 -- !!"):
        tags = recipe.apply(doc(text)).tags
        assert tags["topic"] == UNKNOWN and tags["format"] == UNKNOWN


def test_deterministic(recipe):
    texts = [r["text"] for r in TRAIN[::37]]
    first = [recipe.apply(doc(t)).tags for t in texts]
    again = recipe_from_dict({"process": [{"language_id": {}}, {"topic_format": {}}]})
    for t, tags in zip(texts, first, strict=True):
        out = again.apply(doc(t)).tags
        assert [out[k] for k in ("topic", "topic_score", "format", "format_score")] == [
            tags[k] for k in ("topic", "topic_score", "format", "format_score")
        ]


def test_product_and_recipe_formats():
    m = load_model()
    shop = "Wireless mouse, 2.4 GHz, 1600 DPI, black. Price: 19.99 EUR. In stock. Free shipping. Add to cart."
    assert m.predict(shop, "Latn").format == "Product Page"
    steps = "How to repot a plant. Step 1: water it the day before. Step 2: lift it out. Step 3: add fresh soil."
    assert m.predict(steps, "Latn").format == "Tutorial / How-To Guide"


def test_languages_param_and_keyword_method():
    german = "Der Stürmer erzielte zwei Tore, und die Mannschaft gewann das Spiel vor ausverkauftem Stadion."
    r = recipe_from_dict({"process": [{"language_id": {}}, {"topic_format": {"languages": ["en"]}}]})
    assert r.apply(doc(german)).tags["topic"] == UNKNOWN
    kw = recipe_from_dict({"process": [{"topic_format": {"method": "keywords"}}]})
    assert kw.apply(doc("The striker scored a goal and the team won the league match.")).tags["topic"] == (
        "Sports & Fitness"
    )


def test_data_files_are_hashed():
    r = recipe_from_dict({"process": [{"topic_format": {}}]})
    files = r.effective_config()[0]["data_files"]
    assert set(files) == {"taxonomy.yaml", "sp.model", "vectors.npz", "classifier.npz"}
