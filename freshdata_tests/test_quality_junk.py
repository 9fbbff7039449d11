"""Planted junk is rejected by the default recipe (>= 95 %) and genuine prose in many scripts is kept.

The junk is generated here (seeded): repetitive spam, link lists, cookie/consent walls, boilerplate-only
pages, keyword stuffing and dated link lists (archive pages), in English, German, Russian, Japanese, Chinese
and Hindi. The prose fixtures (freshdata_tests/data/quality_prose/*.txt) are short news-style texts written
for these tests.
"""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

import pytest

from freshdata.quality import QualityDoc, load_recipe

PROSE_DIR = Path(__file__).parent / "data" / "quality_prose"
FETCHED = datetime(2025, 3, 1, 12, 0)

# Per language: menu/link items, consent-wall sentences, site boilerplate lines, stuffing keywords,
# one spam sentence. Written for these tests; the words are ordinary site furniture.
VOCAB: dict[str, dict[str, list[str]]] = {
    "en": {
        "menu": ["Home", "News", "Sport", "Business", "Weather", "Contact us", "About", "Login", "Search",
                 "Video", "Opinion", "Culture", "Travel", "Newsletter"],
        "consent": ["We value your privacy.", "We and our partners store and access information on your device.",
                    "Click accept to consent to the processing of your data for personalised ads.",
                    "You can change your choices at any time.", "Accept all", "Reject all", "Manage options",
                    "Legitimate interest", "Vendor list", "Store and access information on a device"],
        "boiler": ["Subscribe to our newsletter", "Follow us on Facebook", "Follow us on Twitter",
                   "All rights reserved.", "Share this article", "Related articles", "Most read",
                   "Advertisement", "Sign up for free", "Terms and conditions", "Back to top"],
        "stuff": ["cheap", "flights", "best", "hotel", "deals", "discount", "online", "buy", "cheap flights",
                  "last minute", "booking"],
        "spam": ["Buy cheap watches online today and save big on every order!"],
    },
    "de": {
        "menu": ["Startseite", "Nachrichten", "Sport", "Wirtschaft", "Wetter", "Kontakt", "Impressum",
                 "Anmelden", "Suche", "Videos", "Meinung", "Kultur", "Reisen", "Newsletter"],
        "consent": ["Wir schätzen Ihre Privatsphäre.",
                    "Wir und unsere Partner speichern Informationen auf Ihrem Gerät.",
                    "Mit Klick auf Zustimmen willigen Sie in die Verarbeitung Ihrer Daten ein.",
                    "Sie können Ihre Auswahl jederzeit ändern.", "Alle akzeptieren", "Alle ablehnen",
                    "Einstellungen verwalten", "Berechtigtes Interesse", "Liste der Partner"],
        "boiler": ["Newsletter abonnieren", "Folgen Sie uns auf Facebook", "Alle Rechte vorbehalten.",
                   "Artikel teilen", "Das könnte Sie auch interessieren", "Meistgelesen", "Anzeige",
                   "Jetzt kostenlos registrieren", "Nach oben"],
        "stuff": ["günstig", "Flüge", "billig", "Hotel", "Angebote", "Rabatt", "online", "kaufen",
                  "günstige Flüge", "Last Minute"],
        "spam": ["Jetzt günstige Uhren online kaufen und bei jeder Bestellung sparen!"],
    },
    "ru": {
        "menu": ["Главная", "Новости", "Спорт", "Экономика", "Погода", "Контакты", "О нас", "Войти", "Поиск",
                 "Видео", "Мнения", "Культура", "Путешествия"],
        "consent": ["Мы ценим вашу конфиденциальность.", "Мы и наши партнёры храним информацию на вашем устройстве.",
                    "Нажимая «Принять», вы соглашаетесь на обработку данных.", "Принять все", "Отклонить все",
                    "Настроить", "Список партнёров"],
        "boiler": ["Подпишитесь на рассылку", "Мы в социальных сетях", "Все права защищены.",
                   "Поделиться", "Читайте также", "Самое популярное", "Реклама", "Наверх"],
        "stuff": ["дешево", "авиабилеты", "купить", "отель", "скидки", "онлайн", "лучшие", "цены", "акция"],
        "spam": ["Купите дешёвые часы онлайн сегодня и сэкономьте на каждом заказе!"],
    },
    "ja": {
        "menu": ["ホーム", "ニュース", "スポーツ", "経済", "天気", "お問い合わせ", "会社概要", "ログイン", "検索",
                 "動画", "オピニオン", "文化", "旅行"],
        "consent": ["当サイトではクッキーを使用しています。", "お客様の端末に情報を保存し、アクセスします。",
                    "同意するをクリックすると、データの処理に同意したことになります。", "すべて同意する",
                    "すべて拒否する", "設定を管理", "パートナー一覧"],
        "boiler": ["メールマガジンに登録", "フェイスブックでフォロー", "無断転載を禁じます。", "この記事をシェア",
                   "関連記事", "アクセスランキング", "広告", "ページの先頭へ"],
        "stuff": ["格安", "航空券", "最安値", "ホテル", "セール", "割引", "通販", "おすすめ", "激安", "予約"],
        "spam": ["今すぐ格安の腕時計を通販で購入して、すべての注文でお得に！"],
    },
    "zh": {
        "menu": ["首页", "新闻", "体育", "财经", "天气", "联系我们", "关于我们", "登录", "搜索", "视频", "评论",
                 "文化", "旅游"],
        "consent": ["我们重视您的隐私。", "我们和合作伙伴会在您的设备上存储信息。",
                    "点击接受即表示您同意我们处理您的数据。",
                    "全部接受", "全部拒绝", "管理设置", "合作伙伴列表"],
        "boiler": ["订阅我们的新闻", "关注我们的微博", "版权所有。", "分享本文", "相关文章", "热门排行", "广告",
                   "返回顶部"],
        "stuff": ["便宜", "机票", "最低价", "酒店", "特价", "折扣", "网购", "推荐", "优惠", "预订"],
        "spam": ["今天就在网上购买便宜手表，每笔订单都能省钱！"],
    },
    "hi": {
        "menu": ["होम", "समाचार", "खेल", "व्यापार", "मौसम", "संपर्क करें", "हमारे बारे में", "लॉगिन", "खोजें",
                 "वीडियो", "राय", "संस्कृति", "यात्रा"],
        "consent": ["हम आपकी गोपनीयता का सम्मान करते हैं।", "हम और हमारे साझेदार आपके डिवाइस पर जानकारी संग्रहीत करते हैं।",
                    "स्वीकार करें पर क्लिक करके आप डेटा प्रोसेसिंग के लिए सहमति देते हैं।", "सभी स्वीकार करें",
                    "सभी अस्वीकार करें", "सेटिंग प्रबंधित करें"],
        "boiler": ["न्यूज़लेटर की सदस्यता लें", "फेसबुक पर फॉलो करें", "सर्वाधिकार सुरक्षित।", "यह लेख शेयर करें",
                   "संबंधित लेख", "सबसे ज़्यादा पढ़े गए", "विज्ञापन", "ऊपर जाएं"],
        "stuff": ["सस्ते", "फ्लाइट", "टिकट", "होटल", "ऑफर", "छूट", "ऑनलाइन", "खरीदें", "बेस्ट", "डील"],
        "spam": ["आज ही ऑनलाइन सस्ती घड़ियां खरीदें और हर ऑर्डर पर बचत करें!"],
    },
}
KINDS = ("spam", "links", "consent", "boilerplate", "stuffing", "dated_links")


def make_junk(kind: str, lang: str, rng: random.Random) -> str:
    """One junk page of `kind` in `lang`."""
    v = VOCAB[lang]
    if kind == "spam":  # one sales line over and over, with a little variation
        line = v["spam"][0]
        return "\n".join(line if rng.random() < 0.8 else f"{line} {rng.choice(v['stuff'])}" for _ in range(30))
    if kind == "links":  # navigation/link list: menu items and "item item" link texts, one per line
        return "\n".join(
            rng.choice(v["menu"]) if rng.random() < 0.6 else f"{rng.choice(v['menu'])} {rng.choice(v['menu'])}"
            for _ in range(rng.randint(40, 90))
        )
    if kind == "consent":  # a consent wall: the same few sentences and buttons, repeated per vendor
        lines = []
        for _ in range(rng.randint(4, 8)):
            lines.extend(rng.sample(v["consent"], k=min(5, len(v["consent"]))))
        return "\n".join(lines)
    if kind == "boilerplate":  # site furniture only: menus + footer lines
        lines = [rng.choice(v["menu"] + v["boiler"]) for _ in range(rng.randint(30, 60))]
        return "\n".join(lines)
    if kind == "dated_links":  # an archive/section front: link texts with a date each (lines with numbers,
        # which the line-punctuation rule may set aside as data) under a consent sentence or two
        head = rng.sample([c for c in v["consent"] if c.endswith((".", "。", "।"))], k=2)[: rng.randint(1, 2)]
        return "\n".join(head + [
            f"{rng.choice(v['menu'])} {rng.choice(v['stuff'])} {rng.choice(v['menu'])} – "
            f"{rng.randint(1, 28)}.{rng.randint(1, 12)}.{rng.choice((2019, 2020))}"
            for _ in range(rng.randint(30, 60))
        ])
    # keyword stuffing: shuffled keywords, half as one long line, half dressed up as short sentences
    words = [rng.choice(v["stuff"]) for _ in range(rng.randint(150, 300))]
    if rng.random() < 0.5:
        return " ".join(words)
    sentences = [" ".join(words[i : i + 6]) + "." for i in range(0, len(words), 6)]
    return "\n".join(" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3))


def junk_docs() -> list[tuple[str, str, str]]:
    rng = random.Random(12)
    return [(kind, lang, make_junk(kind, lang, rng)) for kind in KINDS for lang in VOCAB for _ in range(4)]


def doc(text: str, name: str = "d") -> QualityDoc:
    return QualityDoc(name, f"https://news.example/{name}", "test", text, None, FETCHED)


@pytest.fixture(scope="module")
def recipe():
    return load_recipe(None)


def test_planted_junk_rejected(recipe):
    docs = junk_docs()
    kept = [(kind, lang, text[:80]) for kind, lang, text in docs if recipe.apply(doc(text)).kept]
    assert len(docs) == len(KINDS) * len(VOCAB) * 4
    assert len(kept) <= 0.05 * len(docs), kept


@pytest.mark.parametrize("path", sorted(PROSE_DIR.glob("*.txt")), ids=lambda p: p.stem)
def test_genuine_prose_kept(recipe, path):
    out = recipe.apply(doc(path.read_text(encoding="utf-8"), path.stem))
    assert out.kept, (out.reason, out.tags["language"], out.tags["script"])
    assert out.tags["language"] == path.stem


def test_prose_fixtures_cover_required_languages():
    assert {"ja", "zh", "hi", "ko", "ar", "ru"} <= {p.stem for p in PROSE_DIR.glob("*.txt")}
