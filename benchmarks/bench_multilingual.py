"""Multilingual evaluation of the quality stage (issue 12, item 7). A benchmark, not a test.

Run:  .venv/bin/python benchmarks/bench_multilingual.py [CORPUS_DIR] [options]

CORPUS_DIR defaults to ../shared/corpus (relative to the repo root). It must hold multilingual/index.json
+ multilingual/pages/ and webpages.json + webpages/*.html.gz. When it is absent, the script says so and
exits 0.

What it does:
  1. Extracts every page of both corpora with freshdata's own per-page call
     (freshdata.extract.extract_many -> extract_one, as the pipeline does). The texts are cached in
     --cache-dir, keyed on the corpus files, the trafilatura version and extract.py's source, so reruns skip
     this step.
  2. Runs the default recipe (or --recipe) on every document: QualityDoc in, outcome.kept / .reason / .text
     / .tags out (public names only).
  3. Reports:
     - false rejections per language on the multilingual set. A page labelled `genuine: false` in
       benchmarks/data/labelled_sample.jsonl is not counted as a false rejection;
     - the English corpus's rejection rate and reasons;
     - the share of kept documents with a topic and a format;
     - topic/format agreement with the labelled sample;
     - PII leaks and false redactions on planted items;
     - quality-stage throughput on one core (median of --passes).
  The Markdown report is printed and written to benchmarks/README_multilingual.md, the numbers to
  benchmarks/README_multilingual.json. --as-baseline stores the run as the baseline section. Otherwise the
  run goes to the "latest" section and the baseline is kept.

Options: --rev REV runs freshdata as of git REV (exported to a temp dir, for a clean baseline while the
working tree is mid-change); --recipe PATH; --passes N; --no-write; --cache-dir DIR; --workers N.
The script is guarded by __main__: extraction (and possibly the recipe) uses worker processes.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
LABELS = ROOT / "benchmarks" / "data" / "labelled_sample.jsonl"
SPLIT = ROOT / "benchmarks" / "data" / "labelled_sample_split.tsv"  # fit/test halves (split_labelled_sample.py)
OUT_MD = ROOT / "benchmarks" / "README_multilingual.md"
OUT_JSON = ROOT / "benchmarks" / "README_multilingual.json"
FETCHED = datetime(2025, 3, 1, 12, tzinfo=UTC)
NO_TAG = (None, "", "unknown", "Unknown")
MIN_PAGES_FOR_LANG_TARGET = 5

# --------------------------------------------------------------------------------------------- planted PII
# (item, country, language of the host text, URL the host doc is served from, sentence template).
# A phone "leaks" when its full digit sequence is still in the output. Everything here is our own invented
# text planted into real pages; the real pages are never written out.
PHONE_SENTENCE = {
    "fr": "Renseignements au {x} du lundi au vendredi.",
    "en": "For details call {x} during office hours.",
    "ja": "詳しくは電話{x}までお問い合わせください。",
    "de": "Informationen erhalten Sie unter {x} werktags.",
    "it": "Per informazioni chiamare il {x} nei giorni feriali.",
    "es": "Más información en el teléfono {x} de lunes a viernes.",
    "pt": "Informações pelo telefone {x} em horário comercial.",
    "zh": "咨询电话：{x}，工作日接听。",
    "ru": "Справки по телефону {x} в рабочие дни.",
}
# (number, country, host language, the host doc's domain suffix[, sentence template])
PHONE_ITEMS: list[tuple[str, ...]] = [
    ("+33 1 42 68 53 00", "FR", "fr", "fr"),
    ("01 42 68 53 00", "FR", "fr", "fr"),
    ("+61 2 9374 4000", "AU", "en", "com.au"),
    ("(02) 9374 4000", "AU", "en", "com.au"),
    ("+81 3 3224 9999", "JP", "ja", "jp"),
    ("03-3224-9999", "JP", "ja", "jp"),
    ("+43 1 531 150", "AT", "de", "at"),
    ("0471 80 60 745", "DE", "de", "de", "Rückfragen bitte unter Tel.: {x} an die Redaktion."),
    ("+49 30 901820", "DE", "de", "de"),
    ("030 901820", "DE", "de", "de"),
    ("+39 06 6988 3145", "IT", "it", "it"),
    ("06 6988 3145", "IT", "it", "it"),
    ("+34 913 66 86 00", "ES", "es", "es"),
    ("913 66 86 00", "ES", "es", "es"),
    ("+55 11 3333-4444", "BR", "pt", "com.br"),
    ("(11) 3333-4444", "BR", "pt", "com.br"),
    ("+91 22 2202 6131", "IN", "en", "in"),
    ("022 2202 6131", "IN", "en", "in"),
    ("+86 10 6552 9999", "CN", "zh", "cn"),
    ("010 6552 9999", "CN", "zh", "cn"),
    ("+7 495 123-45-67", "RU", "ru", "ru"),
    ("8 (495) 123-45-67", "RU", "ru", "ru"),
    ("+27 21 123 4567", "ZA", "en", "co.za"),
    ("021 123 4567", "ZA", "en", "co.za"),
    ("(415) 555-0132", "US", "en", "com"),
    ("020 7946 0958", "GB", "en", "co.uk"),
]
PHONES: list[tuple[str, str, str, str, str]] = [
    (it[0], it[1], it[2], f"https://www.example.{it[3]}/news/{i}", it[4] if len(it) > 4 else PHONE_SENTENCE[it[2]])
    for i, it in enumerate(PHONE_ITEMS)
]
EMAILS: list[tuple[str, str, str, str]] = [
    ("jean.dupont@example.fr", "fr", "https://www.example.fr/actualite/3", "Écrivez à {x} pour toute question."),
    ("info@beispiel.de", "de", "https://www.example.de/news/4", "Fragen bitte per E-Mail an {x} senden."),
    ("press.office+news@example.co.jp", "ja", "https://www.example.jp/news/3", "お問い合わせは{x}までお願いします。"),
    ("j.smith@example.com", "en", "https://www.example.com/news/2", "Readers can write to {x} with tips."),
]
# Non-PII that must come out unchanged: (item, kind, host language, template).
NON_PII: list[tuple[str, str, str, str]] = [
    ("std::vector<int>", "code", "en", "The function now returns a {x} instead of a raw array."),
    ("Vec::new()", "code", "en", "In Rust the buffer is created with {x} before the loop."),
    ("a->b", "code", "en", "In C the field is read as {x} through the pointer."),
    ("978-3-16-148410-0", "ISBN-13", "en", "The book is listed under ISBN {x} in the catalogue."),
    ("0-306-40615-2", "ISBN-10", "en", "The older edition has ISBN {x} on its cover."),
    ("Mo Tu We Th Fr Sa Su 1 2 3 4 5 6 7", "calendar row", "en", "The printed calendar shows {x} for that week."),
    ("15 16 17 18 19 20 21", "calendar row", "en", "The printed calendar shows {x} for the third week."),
    ("22 23 24 25 26 27 28", "calendar row", "en", "The printed calendar shows {x} for the fourth week."),
    ("Mo Tu We Th Fr Sa Su\n1 2 3 4 5 6 7\n8 9 10 11 12 13 14\n15 16 17 18 19 20 21", "calendar block", "en",
     "May 2024\n{x}\nEnd of the calendar."),
    ("978-1-4028-9462-6", "ISBN-13 (passes Luhn)", "en", "The paperback is listed under ISBN {x} in the catalogue."),
    ("2024-05-01", "date", "en", "The meeting took place on {x} as planned."),
    ("01.05.2024", "date", "de", "Die Sitzung fand am {x} wie geplant statt."),
    ("v10.0.19041.1", "version", "en", "The machines run Windows build {x} after the update."),
    ("Python 3.11.7", "version", "en", "The scripts were tested with {x} on the server."),
]


def _ws(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


# ------------------------------------------------------------------------------------------------ corpus
def load_corpus(corpus: Path) -> list[dict[str, Any]]:
    """Every page of both sets: corpus, file, url, path."""
    pages = []
    for e in json.loads((corpus / "multilingual" / "index.json").read_text(encoding="utf-8")):
        pages.append({"corpus": "multilingual", "file": e["file"], "url": e.get("url"),
                      "path": corpus / "multilingual" / e["file"]})
    for e in json.loads((corpus / "webpages.json").read_text(encoding="utf-8")):
        url = e.get("url") or ""
        pages.append({"corpus": "webpages", "file": e["file"], "url": url if url.startswith("http") else None,
                      "path": corpus / e["file"]})
    return pages


def page_url(p: dict[str, Any]) -> str:
    if p["url"]:
        return p["url"]
    name = Path(p["file"]).name.removesuffix(".html.gz")
    return f"https://{p['corpus']}.invalid/{name}"


def extract_all(pages: list[dict[str, Any]], cache_dir: Path, workers: int) -> tuple[dict[str, dict], str]:
    """Texts of every page via freshdata's extraction (process pool, per-page deadline), cached on disk."""
    import trafilatura

    import freshdata.extract as fx

    h = hashlib.sha256()
    h.update(trafilatura.__version__.encode())
    h.update(Path(fx.__file__).read_bytes())
    for p in pages:
        st = p["path"].stat()
        h.update(f"{p['corpus']}|{p['file']}|{p['url']}|{st.st_size}".encode())
    cache = cache_dir / f"extracted-{h.hexdigest()[:16]}.json"
    if cache.exists():
        return json.loads(cache.read_text(encoding="utf-8")), f"cached ({cache})"
    t0 = time.perf_counter()
    jobs = [fx.ExtractJob(key=f"{p['corpus']}|{p['file']}", html=gzip.decompress(p["path"].read_bytes()),
                          url=page_url(p)) for p in pages]
    out: dict[str, dict] = {}
    for r in fx.extract_many(jobs, workers=workers):
        out[r.key] = {"ok": r.ok, "reason": r.reason, "text": r.text}
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    tmp.replace(cache)
    return out, f"extracted in {time.perf_counter() - t0:.0f} s with {workers} workers (cached to {cache})"


def load_labels() -> dict[str, dict[str, Any]]:
    if not LABELS.exists():
        return {}
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {f"{r['corpus']}|{r['file']}": r for r in rows}


# ------------------------------------------------------------------------------------------------ metrics
def has_tag(v: Any) -> bool:
    return v not in NO_TAG


def pct(n: int, d: int) -> str:
    return f"{100 * n / d:.1f} %" if d else "n/a"


def held_out(file: str) -> bool:
    """= benchmarks/bench_quality.py's held_out: the 30 % of pages set aside before tuning."""
    return int(hashlib.sha256(file.encode()).hexdigest(), 16) % 10 < 3


def rejection_report(pages, outcomes, labels) -> dict[str, Any]:
    """False rejections per language (multilingual) and the webpages rejection rate."""
    per_lang: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"pages": 0, "genuine": 0, "rejected": 0, "false_rejections": 0, "reasons": Counter(),
                 "false_reject_files": []})
    no_text: list[str] = []
    web = {"pages": 0, "extracted": 0, "rejected": 0, "reasons": Counter(), "labelled_genuine": 0,
           "labelled_genuine_rejected": 0, "genuine_reasons": Counter()}
    # bench_quality.py's fixed 30 % held-out part (hash of the file name), never looked at while tuning
    held = {"genuine": 0, "false_rejections": 0, "web_genuine": 0, "web_genuine_rejected": 0}
    # the other side of every threshold: pages labelled not genuine (stubs, link lists, ...) that are kept
    not_genuine = {"all": {"pages": 0, "kept": 0}, "held_out": {"pages": 0, "kept": 0}}
    for p in pages:
        lab, o = labels.get(f"{p['corpus']}|{p['file']}"), outcomes.get(f"{p['corpus']}|{p['file']}")
        if lab and lab["genuine"] and o is not None and held_out(p["file"]):
            pre = "web_genuine" if p["corpus"] == "webpages" else "genuine"
            held[pre] += 1
            held["web_genuine_rejected" if pre == "web_genuine" else "false_rejections"] += not o["kept"]
        if lab and not lab["genuine"] and o is not None:
            for part in ("all", "held_out") if held_out(p["file"]) else ("all",):
                not_genuine[part]["pages"] += 1
                not_genuine[part]["kept"] += o["kept"]
    for p in pages:
        key = f"{p['corpus']}|{p['file']}"
        lab = labels.get(key)
        o = outcomes.get(key)
        if p["corpus"] == "webpages":
            web["pages"] += 1
            if o is None:
                continue
            web["extracted"] += 1
            if not o["kept"]:
                web["rejected"] += 1
                web["reasons"][o["reason"]] += 1
            if lab and lab["genuine"]:
                web["labelled_genuine"] += 1
                if not o["kept"]:
                    web["labelled_genuine_rejected"] += 1
                    web["genuine_reasons"][o["reason"]] += 1
            continue
        lang = lab["language"] if lab else ((o or {}).get("language") or "und")
        s = per_lang[lang]
        s["pages"] += 1
        genuine = lab["genuine"] if lab else True
        if o is None:  # extraction gave nothing: not a quality-stage decision
            no_text.append(p["file"])
            continue
        if genuine:
            s["genuine"] += 1
        if not o["kept"]:
            s["rejected"] += 1
            if genuine:
                s["false_rejections"] += 1
                s["reasons"][o["reason"]] += 1
                s["false_reject_files"].append(p["file"])
    tot_g = sum(s["genuine"] for s in per_lang.values())
    tot_f = sum(s["false_rejections"] for s in per_lang.values())
    non_en_g = sum(s["genuine"] for k, s in per_lang.items() if k != "en")
    non_en_f = sum(s["false_rejections"] for k, s in per_lang.items() if k != "en")
    reasons = Counter()
    for s in per_lang.values():
        reasons.update(s["reasons"])
    over = [k for k, s in per_lang.items()
            if s["pages"] >= MIN_PAGES_FOR_LANG_TARGET and s["genuine"] and s["false_rejections"] / s["genuine"] > 0.05]
    return {
        "multilingual": {
            "genuine": tot_g, "false_rejections": tot_f, "rate": tot_f / tot_g if tot_g else None,
            "non_english_genuine": non_en_g, "non_english_false_rejections": non_en_f,
            "no_main_text": no_text, "reasons": dict(reasons.most_common()),
            "languages_over_5pct": sorted(over), "held_out": held, "not_genuine": not_genuine,
            "per_language": {k: {**v, "reasons": dict(v["reasons"].most_common())}
                             for k, v in sorted(per_lang.items(), key=lambda kv: (-kv[1]["pages"], kv[0]))},
        },
        "webpages": {**web, "rate": web["rejected"] / web["extracted"] if web["extracted"] else None,
                     "reasons": dict(web["reasons"].most_common()),
                     "genuine_reasons": dict(web["genuine_reasons"].most_common())},
    }


def tagged_report(pages, outcomes, labels) -> dict[str, Any]:
    """Share of kept documents with a topic and a format (not NULL, not 'unknown'), per language."""
    per: dict[str, Counter] = defaultdict(Counter)
    for p in pages:
        key = f"{p['corpus']}|{p['file']}"
        o = outcomes.get(key)
        if o is None or not o["kept"]:
            continue
        lab = labels.get(key)
        lang = lab["language"] if lab else (o.get("language") or "und")
        c = per[lang]
        c["kept"] += 1
        c["topic"] += has_tag(o["topic"])
        c["format"] += has_tag(o["format"])
        c["both"] += has_tag(o["topic"]) and has_tag(o["format"])
    total = Counter()
    for c in per.values():
        total.update(c)
    return {"total": dict(total),
            "per_language": {k: dict(v) for k, v in sorted(per.items(), key=lambda kv: (-kv[1]["kept"], kv[0]))}}


def agreement_report(outcomes, labels) -> dict[str, Any]:
    """Topic/format accuracy against the hand labels (genuine labelled pages; a missing tag counts as wrong)."""
    per: dict[str, Counter] = defaultdict(Counter)
    conf_t: Counter = Counter()
    conf_f: Counter = Counter()
    for key, lab in labels.items():
        o = outcomes.get(key)
        if o is None or not lab["genuine"]:
            continue
        c = per[lab["language"]]
        c["n"] += 1
        t_ok = o["topic"] == lab["topic"]
        f_ok = o["format"] == lab["format"]
        c["topic"] += t_ok
        c["format"] += f_ok
        if o["kept"]:
            c["kept"] += 1
            c["kept_topic"] += t_ok
            c["kept_format"] += f_ok
        if not t_ok:
            conf_t[(lab["topic"], o["topic"] if has_tag(o["topic"]) else f"({o['topic']})")] += 1
        if not f_ok:
            conf_f[(lab["format"], o["format"] if has_tag(o["format"]) else f"({o['format']})")] += 1
    total = Counter()
    for c in per.values():
        total.update(c)
    return {
        "total": dict(total),
        "per_language": {k: dict(v) for k, v in sorted(per.items(), key=lambda kv: (-kv[1]["n"], kv[0]))},
        "topic_confusions": [[a, b, n] for (a, b), n in conf_t.most_common(12)],
        "format_confusions": [[a, b, n] for (a, b), n in conf_f.most_common(12)],
    }


# ---- fit/test halves: the topic/format classifier is trained on the `fit` half; only `test` is held out
def load_split() -> dict[str, str]:
    if not SPLIT.exists():
        return {}
    rows = [ln.split("\t") for ln in SPLIT.read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.startswith(("#", "corpus\t"))]
    return {f"{c}|{f}": h for c, f, h in rows}


def agreement_by_half(outcomes, labels) -> dict[str, Any]:
    split = load_split()
    return {h: agreement_report(outcomes, {k: v for k, v in labels.items() if split.get(k) == h})
            for h in ("test", "fit")}


def render_halves(res: dict[str, Any]) -> list[str]:
    halves = res.get("agreement_by_half")
    if not halves:
        return []
    t, f = halves["test"]["total"], halves["fit"]["total"]
    L = ["#### Test half (held out; the fit half trained the topic/format classifier)", "",
         f"Split: `benchmarks/data/labelled_sample_split.tsv`. **Test half: {t.get('n', 0)} genuine pages, "
         f"topic {pct(t.get('topic', 0), t.get('n', 0))}, format {pct(t.get('format', 0), t.get('n', 0))}.** "
         f"Fit half (used as training data, not a fair measure): {f.get('n', 0)} pages, topic "
         f"{pct(f.get('topic', 0), f.get('n', 0))}, format {pct(f.get('format', 0), f.get('n', 0))}.", "",
         "| language (test half, ≥ 5 pages) | pages | topic | format |", "|---|---:|---:|---:|"]
    for lang, c in halves["test"]["per_language"].items():
        if c["n"] >= MIN_PAGES_FOR_LANG_TARGET:
            L.append(f"| {lang} | {c['n']} | {pct(c.get('topic', 0), c['n'])} | {pct(c.get('format', 0), c['n'])} |")
    return L + [""]


def _insert(host: str, sentence: str) -> str:
    """Put `sentence` inside the longest line of `host`, after a sentence end near its middle."""
    lines = host.split("\n")
    i = max(range(len(lines)), key=lambda k: len(lines[k]))
    line = lines[i]
    ends = [m.end() for m in re.finditer(r"[.!?。！？](?:\s|$)", line)]
    mid = len(line) // 2
    cut = min(ends, key=lambda e: abs(e - mid)) if ends else len(line)
    left, right = line[:cut].rstrip(), line[cut:].lstrip()
    cjk = sentence[:1] >= "\u3000"
    sep = "" if cjk else " "
    lines[i] = f"{left}{sep}{sentence}{sep}{right}".rstrip() if right else f"{left}{sep}{sentence}"
    return "\n".join(lines)


def _segment(out_text: str, template: str) -> str | None:
    """What stands where {x} was planted in the output, or None when the surrounding sentence is gone."""
    before, after = template.split("{x}")
    text = _ws(out_text)
    b, a = _ws(before), _ws(after)
    start = text.find(b)
    if start < 0:
        return None
    start += len(b)
    end = text.find(a, start) if a else len(text)
    if end < 0 or end - start > 200:
        return None
    return text[start:end].strip()


def pii_report(recipe, QualityDoc, texts, labels) -> dict[str, Any]:
    """Plant phones/emails and non-PII items into real texts of the matching language; look at the output."""
    hosts: dict[str, str] = {}
    for key, lab in sorted(labels.items()):
        t = texts.get(key)
        if not t or not lab["genuine"] or lab["corpus"] != "multilingual":
            continue
        cur = hosts.get(lab["language"])
        # prefer a mid-sized text (1.5-6k chars): long enough for the length rules, short enough to read
        score = abs(len(t) - 3000)
        if cur is None or score < abs(len(cur) - 3000):
            hosts[lab["language"]] = t
    rows = []

    def run(item, kind, lang, url, template, is_pii):
        host = hosts.get(lang) or hosts["en"]
        sentence = template.replace("{x}", item)
        doc = QualityDoc(f"pii-{len(rows)}", url, "bench-pii", _insert(host, sentence), None, FETCHED)
        o = recipe.apply(doc)
        seg = _segment(o.text, template)
        out_digits = _digits(seg or "")
        if is_pii:
            if seg is None:
                # the sentence itself is gone: leak only if the planted value is still anywhere in the text
                leaked = (item in o.text) if kind == "email" else _digits(item) in _digits(o.text)
                result = "leaked" if leaked else "sentence removed"
            elif kind == "email":
                result = "leaked" if item in seg else "redacted"
            elif _digits(item) in out_digits:
                result = "leaked"
            elif re.search(r"\d{3,}", seg):
                result = "partly redacted"
            else:
                result = "redacted"
        else:
            result = "sentence removed" if seg is None else "unchanged" if _ws(seg) == _ws(item) else "changed"
        rows.append({"item": item, "kind": kind, "host_language": lang if lang in hosts else "en", "url": url,
                     "kept": o.kept, "result": result, "output": seg})

    for item, country, lang, url, template in PHONES:
        run(item, f"phone {country}", lang, url, template, True)
    for item, lang, url, template in EMAILS:
        run(item, "email", lang, url, template, True)
    for item, kind, lang, template in NON_PII:
        run(item, kind, lang, "https://www.example.org/notes/1", template, False)
    phones = [r for r in rows if r["kind"].startswith("phone")]
    emails = [r for r in rows if r["kind"] == "email"]
    non = [r for r in rows if not (r["kind"].startswith("phone") or r["kind"] == "email")]
    return {
        "phones": len(phones), "phone_countries": len({r["kind"] for r in phones}),
        "phones_leaked": sum(r["result"] == "leaked" for r in phones),
        "phones_partly_redacted": sum(r["result"] == "partly redacted" for r in phones),
        "emails": len(emails), "emails_leaked": sum(r["result"] == "leaked" for r in emails),
        "non_pii": len(non), "non_pii_changed": sum(r["result"] != "unchanged" for r in non),
        "rows": rows,
    }


def throughput(recipe, docs, passes: int) -> dict[str, Any]:
    """docs/s of recipe.apply in a loop on this one process (one core); median of `passes`."""
    for d in docs[:20]:  # warm caches (lazy models, regex compilation)
        recipe.apply(d)
    rates = []
    for _ in range(passes):
        t0 = time.perf_counter()
        for d in docs:
            recipe.apply(d)
        rates.append(len(docs) / (time.perf_counter() - t0))
    return {"docs": len(docs), "passes": passes, "median_docs_per_s": statistics.median(rates),
            "min": min(rates), "max": max(rates),
            "mean_chars": statistics.mean(len(d.text) for d in docs) if docs else 0}


# ------------------------------------------------------------------------------------------------ report
def _reasons(c: dict[str, int], n: int = 4) -> str:
    items = list(c.items())[:n]
    more = sum(c.values()) - sum(v for _, v in items)
    s = ", ".join(f"`{k}` {v}" for k, v in items)
    return s + (f", +{more} more" if more > 0 else "")


def render(res: dict[str, Any], title: str) -> str:
    r = res["rejections"]
    m, w = r["multilingual"], r["webpages"]
    tg, ag, pii, tp = res["tagged"], res["agreement"], res["pii"], res["throughput"]
    L = [f"## {title}", "",
         f"Run {res['meta']['date']} · freshdata {res['meta']['code']} · recipe `{res['meta']['recipe']}` "
         f"(hash {res['meta']['recipe_hash'][:12]}) · trafilatura {res['meta']['trafilatura']} · "
         f"{res['meta']['extraction']}", ""]
    L += ["### False rejections, multilingual news (212 pages)", "",
          f"**{m['false_rejections']} of {m['genuine']} genuine pages rejected "
          f"({pct(m['false_rejections'], m['genuine'])})**;"
          f" non-English {m['non_english_false_rejections']} of {m['non_english_genuine']} "
          f"({pct(m['non_english_false_rejections'], m['non_english_genuine'])}). "
          f"Languages with ≥ {MIN_PAGES_FOR_LANG_TARGET} pages over 5 %: "
          f"{', '.join(m['languages_over_5pct']) or 'none'}. Pages with no extracted text (not counted): "
          f"{len(m['no_main_text'])}. Pages labelled not genuine are excluded.", "",
          *([f"Held-out part (30 % by a hash of the file name, `bench_quality.held_out`, not used for tuning): "
             f"{m['held_out']['false_rejections']} of {m['held_out']['genuine']} genuine pages rejected "
             f"({pct(m['held_out']['false_rejections'], m['held_out']['genuine'])}); English corpus "
             f"{m['held_out']['web_genuine_rejected']} of {m['held_out']['web_genuine']}.", ""]
            if "held_out" in m else []),
          *([f"Pages labelled not genuine (all corpora) that are kept: {ng['all']['kept']} of {ng['all']['pages']}"
             f"; held-out part {ng['held_out']['kept']} of {ng['held_out']['pages']}.", ""]
            if (ng := m.get("not_genuine")) else []),
          "| language | pages | genuine | false rejections | rate | reasons |", "|---|---:|---:|---:|---:|---|"]
    for lang, s in m["per_language"].items():
        L.append(f"| {lang} | {s['pages']} | {s['genuine']} | {s['false_rejections']} | "
                 f"{pct(s['false_rejections'], s['genuine'])} | {_reasons(s['reasons'], 3)} |")
    L += ["", f"All reasons: {_reasons(m['reasons'], 12) or 'none'}.", "",
          "### English corpus (`webpages/`, 300 mixed pages, not all genuine)", "",
          f"Rejected {w['rejected']} of {w['extracted']} extracted pages ({pct(w['rejected'], w['extracted'])}): "
          f"{_reasons(w['reasons'], 10)}.", "",
          f"Of the {w['labelled_genuine']} labelled-genuine pages there: {w['labelled_genuine_rejected']} rejected"
          f" ({_reasons(w['genuine_reasons'], 6) or 'none'}).", ""]
    t = tg["total"]
    L += ["### Kept documents with a topic and a format (not NULL, not `unknown`)", "",
          f"**Both: {pct(t.get('both', 0), t.get('kept', 0))}** of {t.get('kept', 0)} kept "
          f"(topic {pct(t.get('topic', 0), t.get('kept', 0))}, format {pct(t.get('format', 0), t.get('kept', 0))}),"
          " both corpora.", "",
          "| language | kept | topic | format | both |", "|---|---:|---:|---:|---:|"]
    for lang, c in tg["per_language"].items():
        if c["kept"] >= 2 or lang == "en":
            L.append(f"| {lang} | {c['kept']} | {pct(c.get('topic', 0), c['kept'])} | "
                     f"{pct(c.get('format', 0), c['kept'])} | {pct(c.get('both', 0), c['kept'])} |")
    rare = [(k, c) for k, c in tg["per_language"].items() if c["kept"] < 2 and k != "en"]
    if rare:
        n = sum(c["kept"] for _, c in rare)
        both = sum(c.get("both", 0) for _, c in rare)
        L.append(f"| {len(rare)} languages with 1 page | {n} | | | {pct(both, n)} |")
    a = ag["total"]
    L += ["", "### Agreement with the hand-labelled sample (`benchmarks/data/labelled_sample.jsonl`)", "",
          f"Genuine labelled pages: {a.get('n', 0)}. **Topic {pct(a.get('topic', 0), a.get('n', 0))}, "
          f"format {pct(a.get('format', 0), a.get('n', 0))}**. A missing tag counts as a disagreement. "
          f"On the {a.get('kept', 0)} of them that were kept: topic "
          f"{pct(a.get('kept_topic', 0), a.get('kept', 0))}, format {pct(a.get('kept_format', 0), a.get('kept', 0))}.",
          "", "| language | labelled | topic | format |", "|---|---:|---:|---:|"]
    small_n = small_t = small_f = small_k = 0
    for lang, c in ag["per_language"].items():
        if c["n"] >= 3:
            L.append(f"| {lang} | {c['n']} | {pct(c.get('topic', 0), c['n'])} | {pct(c.get('format', 0), c['n'])} |")
        else:
            small_k += 1
            small_n += c["n"]
            small_t += c.get("topic", 0)
            small_f += c.get("format", 0)
    if small_k:
        L.append(f"| {small_k} languages with < 3 pages | {small_n} | {pct(small_t, small_n)} | "
                 f"{pct(small_f, small_n)} |")
    L += ["", "Most frequent topic disagreements (label → tagged): "
          + "; ".join(f"{x} → {y} ×{n}" for x, y, n in ag["topic_confusions"][:8]) + ".", "",
          "Most frequent format disagreements (label → tagged): "
          + "; ".join(f"{x} → {y} ×{n}" for x, y, n in ag["format_confusions"][:8]) + ".", ""]
    L += render_halves(res)
    L += ["### PII on planted items", "",
          f"**Phones leaked: {pii['phones_leaked']} of {pii['phones']}** ({pii['phone_countries']} countries; "
          f"{pii['phones_partly_redacted']} more only partly redacted); emails leaked {pii['emails_leaked']} of "
          f"{pii['emails']}; **non-PII changed: {pii['non_pii_changed']} of {pii['non_pii']}**.", "",
          "| planted | kind | host text | result | output where it was planted |", "|---|---|---|---|---|"]
    for row in pii["rows"]:
        out = (row["output"] or "—").replace("|", "\\|").replace("\n", " ⏎ ")
        item = row["item"].replace("\n", " ⏎ ")
        L.append(f"| `{item}` | {row['kind']} | {row['host_language']} | {row['result']} | `{out}` |")
    L += ["", "### Throughput of the quality stage (one core, `recipe.apply` in a loop)", "",
          "| texts | docs | mean chars | median docs/s | min–max |", "|---|---:|---:|---:|---|"]
    for name, x in tp.items():
        L.append(f"| {name} | {x['docs']} | {x['mean_chars']:.0f} | **{x['median_docs_per_s']:.0f}** | "
                 f"{x['min']:.0f}–{x['max']:.0f} ({x['passes']} passes) |")
    L += ["", f"Total benchmark time {res['meta']['seconds']:.0f} s on {res['meta']['machine']}.", ""]
    return "\n".join(L)


HEADER = """# Multilingual quality benchmark (issue 12)

`benchmarks/bench_multilingual.py` measures the quality stage on real pages that nobody on this project
wrote: `../shared/corpus/multilingual/` (212 real news pages in ~40 languages) and the 300-page `webpages/`
corpus. It reports false rejections per language, the share of kept documents with a topic and a format,
topic/format agreement with the hand-labelled sample in `benchmarks/data/` (labelled before any tuning),
PII leaks and false redactions on planted items, and docs/s of the quality stage on one core.

    .venv/bin/python benchmarks/bench_multilingual.py                 # working tree, writes the "latest" section
    .venv/bin/python benchmarks/bench_multilingual.py --rev 9f39f7c --as-baseline   # code as of a commit
    .venv/bin/python benchmarks/bench_multilingual.py /path/to/corpus --no-write --passes 3

The corpus path defaults to `../shared/corpus`. Without it the script says so and exits 0. Texts are
extracted with freshdata's own extraction (process pool) and cached in the temp dir (about 1 minute the
first time on 2 cores). A rerun takes about 10-20 s, mostly the 5 throughput passes. Numbers are also in
`README_multilingual.json`.

Targets from issue 12:
- genuine news rejected ≤ 2 % overall and ≤ 5 % in every language with ≥ 5 pages;
- ≥ 98 % of kept documents with topic and format;
- agreement ≥ 0.8 for topic and for format;
- 0 planted phones left and 0 non-PII changed;
- ≥ 300 docs/s per core, tagging included.

Reading the numbers:
- Languages are the labelled ones (a reviewer's reading), not the detector's.
- The 25 labelled pages judged not genuine (junk extraction, stubs, paywalls, link lists) and the pages
  with no extracted text never count as false rejections. How many of them are kept is reported beside
  the false rejections: the other side of every threshold change.
- Topic and format agreement covers the 250 genuine labelled pages, kept or not. The sample is split in
  halves (`data/labelled_sample_split.tsv`): the `fit` half was used to train the topic/format classifier,
  so only the `test` half's agreement is a fair measure; it is reported separately.
- PII items are our own text, planted mid-paragraph into a real text of the matching language, with the
  matching country domain in the URL.
- Throughput is timed on a shared 2-core machine where other jobs run. Passes vary by ±30 %, so compare
  runs made at the same time.
"""


def write_outputs(res: dict[str, Any], as_baseline: bool) -> str:
    data = json.loads(OUT_JSON.read_text(encoding="utf-8")) if OUT_JSON.exists() else {}
    data["baseline" if as_baseline else "latest"] = res
    OUT_JSON.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    parts = [HEADER]
    if "latest" in data:
        latest = render(data["latest"], "Latest run").split("\n", 2)
        parts.append("\n".join([latest[0], latest[1], summary_vs_baseline(data) + latest[2]]))
    if "baseline" in data:
        parts.append(render(data["baseline"], "Baseline, before issue 12"))
    md = "\n".join(parts)
    OUT_MD.write_text(md, encoding="utf-8")
    return md


def headline(res: dict[str, Any]) -> dict[str, str]:
    m = res["rejections"]["multilingual"]
    t = res["tagged"]["total"]
    a = res["agreement"]["total"]
    p = res["pii"]
    tp = res["throughput"]
    return {
        "genuine news falsely rejected": pct(m["false_rejections"], m["genuine"]),
        "webpages rejected": pct(res["rejections"]["webpages"]["rejected"], res["rejections"]["webpages"]["extracted"]),
        "kept with topic+format": pct(t.get("both", 0), t.get("kept", 0)),
        "topic agreement": pct(a.get("topic", 0), a.get("n", 0)),
        "format agreement": pct(a.get("format", 0), a.get("n", 0)),
        **({f"{k} agreement, test half": pct(h.get(k, 0), h.get("n", 0)) for k in ("topic", "format")}
           if (h := res.get("agreement_by_half", {}).get("test", {}).get("total")) else {}),
        "phones leaked": f"{p['phones_leaked']}/{p['phones']}",
        "non-PII changed": f"{p['non_pii_changed']}/{p['non_pii']}",
        **{f"docs/s {k}": f"{v['median_docs_per_s']:.0f}" for k, v in tp.items()},
    }


def summary_vs_baseline(data: dict[str, Any]) -> str:
    if "baseline" not in data:
        return ""
    b, lt = headline(data["baseline"]), headline(data["latest"])
    rows = ["| measure | baseline | latest |", "|---|---:|---:|"]
    rows += [f"| {k} | {b.get(k, '')} | {v} |" for k, v in lt.items()]
    return "\n".join(rows) + "\n\n"


# ------------------------------------------------------------------------------------------------ main
def export_rev(rev: str) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="bench_multilingual_"))
    blob = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "freshdata"], check=True,
                          capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tmp)], input=blob, check=True)
    return tmp


def code_id(rev: str | None) -> str:
    if rev:
        full = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], capture_output=True,
                              text=True).stdout.strip()
        return f"as of commit {full}"
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "freshdata"], capture_output=True,
                           text=True).stdout.strip()
    return f"working tree at {head}" + (" + uncommitted changes in freshdata/" if dirty else "")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    ap.add_argument("--rev", help="run freshdata as of this git revision (exported to a temp dir)")
    ap.add_argument("--recipe", help="recipe YAML (default: the shipped default recipe)")
    ap.add_argument("--passes", type=int, default=5)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--cache-dir", default=str(Path(tempfile.gettempdir()) / "freshdata-bench-multilingual"))
    ap.add_argument("--as-baseline", action="store_true", help="store this run as the baseline section")
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args()

    corpus = Path(args.corpus).expanduser().resolve()
    if not (corpus / "multilingual" / "index.json").exists() or not (corpus / "webpages.json").exists():
        print(f"SKIP: corpus not found at {corpus} (needs multilingual/index.json and webpages.json); "
              "pass its path as the first argument.")
        return 0
    t_start = time.perf_counter()
    sys.path.insert(0, str(export_rev(args.rev) if args.rev else ROOT))

    import trafilatura

    from freshdata.quality import QualityDoc, load_recipe

    pages = load_corpus(corpus)
    labels = load_labels()
    extracted, how = extract_all(pages, Path(args.cache_dir), args.workers)
    texts = {k: v["text"] for k, v in extracted.items() if v["ok"] and v["text"]}
    recipe = load_recipe(args.recipe)

    docs: dict[str, Any] = {}
    for p in pages:
        key = f"{p['corpus']}|{p['file']}"
        if key in texts:
            url = page_url(p)
            docs[key] = QualityDoc(key, url, urlsplit(url).hostname or "bench", texts[key], None, FETCHED)
    outcomes = {}
    for key, d in docs.items():
        o = recipe.apply(d)
        tags = o.tags or {}
        outcomes[key] = {"kept": bool(o.kept), "reason": o.reason, "topic": tags.get("topic"),
                         "format": tags.get("format"), "language": tags.get("language")}

    ml_docs = [d for k, d in docs.items() if k.startswith("multilingual|")]
    web_docs = [d for k, d in docs.items() if k.startswith("webpages|")]
    res = {
        "meta": {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "code": code_id(args.rev),
                 "recipe": args.recipe or "default", "recipe_hash": recipe.hash(),
                 "trafilatura": trafilatura.__version__, "extraction": how,
                 "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"},
        "rejections": rejection_report(pages, outcomes, labels),
        "tagged": tagged_report(pages, outcomes, labels),
        "agreement": agreement_report(outcomes, labels),
        "agreement_by_half": agreement_by_half(outcomes, labels),
        "pii": pii_report(recipe, QualityDoc, texts, labels),
        "throughput": {"webpages (English corpus)": throughput(recipe, web_docs, args.passes),
                       "multilingual news": throughput(recipe, ml_docs, args.passes)},
        "outcomes": outcomes,
    }
    res["meta"]["seconds"] = time.perf_counter() - t_start
    title = "Baseline, before issue 12" if args.as_baseline else "This run"
    if args.no_write:
        print(render(res, title))
    else:
        write_outputs(res, args.as_baseline)
        print(render(res, title))
        print(f"written: {OUT_MD.relative_to(ROOT)}, {OUT_JSON.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
