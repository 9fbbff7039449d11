"""PII redaction with typed placeholders. Conservative by design: false positives destroy text.

`EMAIL_RE`, `CARD_CANDIDATE_RE` and `has_email_or_card` are shared with the blocking asset check,
so redaction removes exactly what the check looks for (same regexes, same Luhn + ISBN test).

Phones are found by phonenumbers' own matcher (`Leniency.VALID`) in the regions of the page's
language and country TLD plus the recipe's defaults (`+` numbers in any region). The matcher costs
0.1-0.5 ms per call, so it only sees runs of phone characters holding enough digits, and runs
whose whole shape is a date, calendar row, version, ISBN, year list or thousands-grouped amount
never reach it: each of those is a valid phone number somewhere.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlsplit

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

# the matcher's own character classes (its candidates consist only of these + digits)
from freshdata.vocab import PII_KINDS

from .registry import Operator, Params, register
from .text import DocContext

EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
CARD_CANDIDATE_RE = re.compile(r"(?<![\d+-])\d(?:[ -]?\d){12,18}(?![\d])")
SSN_RE = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
IPV4_RE = re.compile(
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\d|\.\d)"
)  # not part of a longer dotted number (+33.1.42.68.53.00, 1.2.3.45)
# no word character or ':' on either side: `std::vector`, `Vec::new`, `a::b` are code, not addresses
IPV6_RE = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{1,4}:){1,7}(?::|(?::[0-9A-Fa-f]{1,4}){1,7}|[0-9A-Fa-f]{1,4})(?![\w:])"
)
# A phone candidate containing a date is a date (+ time), not a phone. A date has day/month parts
# <= 31 and one separator that does not continue (06.12.34.56.78 holds no date; 2020/7/11-12 is a
# date); or the candidate starts with a year.
_DM = r"(?:0?[1-9]|[12]\d|3[01])"
DATE_LIKE_RE = re.compile(
    rf"(?<![\d.\-/])(?:\d{{4}}([-./]){_DM}\1{_DM}(?!\1?\d)|{_DM}([-./]){_DM}\2(?:\d\d)?\d\d(?!\2?\d))"
    r"|^(?:19|20)\d\d[-./]"
)

# Cheap necessary conditions, checked first: the full patterns (with look-behinds) are ~5x slower.
# The quick patterns start with a literal so `re` can use its fast substring scan.
IPV4_QUICK_RE = re.compile(r"\.\d{1,3}\.\d{1,3}\.\d")
IPV6_QUICK_RE = re.compile(r":[0-9A-Fa-f]{0,4}:")  # a valid IPv6 has two colons <= 4 hex digits apart
SSN_QUICK_RE = re.compile(r"-\d\d-\d{4}")
# What phonenumbers' matcher reads as part of a number: plus signs, and the punctuation its documentation
# lists (ASCII and full-width dashes, slashes, dots, brackets, tilde, x, spaces incl. NBSP and ideographic
# space). Written out here rather than imported from phonenumbers' private module constants.
_PLUS_CHARS = "+\uff0b"
_VALID_PUNCTUATION = (
    "-x\u2010-\u2015\u2212\u30fc\uff0d-\uff0f \u00a0\u00ad\u200b\u2060\u3000()\uff08\uff09\uff3b\uff3d."
    "\\[\\]/~\u2053\u223c\uff5e"
)
# A phone-matcher candidate consists only of these characters (punctuation incl. space, '/', dashes;
# not newline), and so does every card / SSN candidate: all three only scan the runs of them that
# start with a digit and are long enough (PHONE_RUN_RE; `re` finds `[0-9]` 2x faster than `\d`, so
# an ASCII text, where they are the same, uses the [0-9] variant).
_PHONE_CLASS = f"[{_VALID_PUNCTUATION}{_PLUS_CHARS}\\d]"
PHONE_RUN_RE = re.compile(f"\\d{_PHONE_CLASS}*")
PHONE_RUN_ASCII_RE = re.compile(f"[0-9]{_PHONE_CLASS}*")
_PHONE_CHAR_RE = re.compile(_PHONE_CLASS)
_DIGITS_RE = re.compile(r"\d+")

PLACEHOLDERS = {kind: f"<{kind.upper()}>" for kind in PII_KINDS}  # "<EMAIL>", …

# ---------------------------------------------------------------- regions for phone matching

# Language (lid.176 code) -> its main countries, most likely first. English leaves out NANPA
# countries other than the US: one region per country calling code is enough (see _dedupe_by_code).
LANGUAGE_REGIONS: dict[str, tuple[str, ...]] = {
    "en": ("US", "GB", "AU", "IN", "IE", "NZ", "ZA", "NG", "PH", "SG", "KE"),
    "de": ("DE", "AT", "CH", "LU", "LI"),
    "fr": ("FR", "BE", "CH", "CA", "LU", "MA", "SN", "CI", "CM", "DZ", "TN"),
    "es": ("ES", "MX", "AR", "CO", "CL", "PE", "VE", "EC", "GT", "CU", "BO", "UY", "US"),
    "pt": ("BR", "PT", "AO", "MZ"),
    "it": ("IT", "CH", "SM"),
    "nl": ("NL", "BE", "SR"),
    "ru": ("RU", "BY", "UA", "KZ"),
    "uk": ("UA",), "be": ("BY",), "pl": ("PL",), "cs": ("CZ",), "sk": ("SK",), "hu": ("HU",),
    "ro": ("RO", "MD"), "bg": ("BG",), "el": ("GR", "CY"), "tr": ("TR", "CY"),
    "sv": ("SE", "FI"), "da": ("DK",), "no": ("NO",), "nb": ("NO",), "nn": ("NO",), "fi": ("FI",),
    "is": ("IS",), "et": ("EE",), "lv": ("LV",), "lt": ("LT",), "sl": ("SI",),
    "hr": ("HR", "BA"), "sr": ("RS", "BA", "ME"), "bs": ("BA",), "sh": ("RS", "HR", "BA"),
    "mk": ("MK",), "sq": ("AL", "XK", "MK"), "mt": ("MT",), "ga": ("IE",), "cy": ("GB",),
    "lb": ("LU",), "ca": ("ES", "AD"), "eu": ("ES",), "gl": ("ES",),
    "ja": ("JP",), "zh": ("CN", "TW", "HK", "SG", "MO"), "yue": ("HK", "MO"), "wuu": ("CN",),
    "ko": ("KR",), "vi": ("VN",), "th": ("TH",), "id": ("ID",), "ms": ("MY", "SG", "BN"),
    "tl": ("PH",), "km": ("KH",), "lo": ("LA",), "my": ("MM",), "mn": ("MN",),
    "hi": ("IN",), "bn": ("BD", "IN"), "ur": ("PK", "IN"), "pa": ("IN", "PK"), "ta": ("IN", "LK", "SG"),
    "te": ("IN",), "kn": ("IN",), "ml": ("IN",), "mr": ("IN",), "gu": ("IN",), "or": ("IN",),
    "as": ("IN",), "ne": ("NP",), "si": ("LK",),
    "ar": ("EG", "SA", "AE", "MA", "DZ", "IQ", "JO", "LB", "KW", "QA", "TN", "SY", "OM", "BH", "LY"),
    "fa": ("IR", "AF"), "ps": ("AF", "PK"), "he": ("IL",), "ka": ("GE",), "hy": ("AM",),
    "az": ("AZ",), "kk": ("KZ",), "uz": ("UZ",), "ky": ("KG",), "tg": ("TJ",), "tk": ("TM",),
    "sw": ("KE", "TZ", "UG"), "am": ("ET",), "so": ("SO",), "af": ("ZA", "NA"), "zu": ("ZA",),
    "xh": ("ZA",), "st": ("ZA", "LS"), "tn": ("ZA", "BW"), "yo": ("NG",), "ha": ("NG",), "ig": ("NG",),
    "rw": ("RW",), "mg": ("MG",),
}  # fmt: skip

# Country-code TLDs mostly used as generic names (.io, .co, .tv, .me, .ai, ...): no region.
GENERIC_CC_TLDS = frozenset({
    "ac", "ad", "ag", "ai", "am", "as", "bz", "cc", "cd", "co", "dj", "fm", "gg", "gl", "gs", "io", "im",
    "je", "la", "ly", "me", "ms", "mu", "nu", "pw", "sc", "sh", "so", "st", "tk", "to", "tv", "vc", "vg",
    "ws",
})  # fmt: skip


def tld_region(url: str | None) -> str | None:
    """The phone region of a URL's country-code TLD (`.co.uk` -> GB, `.de` -> DE), None if generic."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    tld = host.rstrip(".").rpartition(".")[2]
    if len(tld) != 2 or tld in GENERIC_CC_TLDS:
        return None
    region = "GB" if tld == "uk" else tld.upper()
    return region if region in phonenumbers.SUPPORTED_REGIONS else None


@lru_cache(maxsize=4096)
def phone_regions_for(
    language: str | None, url_region: str | None, defaults: tuple[str, ...]
) -> tuple[str, ...]:
    """TLD region, then the language's countries, then the defaults; one region per calling code
    (parsing a national number in CA or US gives the same validity, so a second pass is wasted)."""
    lang = (language or "").lower().replace("_", "-").partition("-")[0]
    wanted = ((url_region,) if url_region else ()) + LANGUAGE_REGIONS.get(lang, ()) + defaults
    out: list[str] = []
    codes: set[int] = set()
    for region in wanted:
        code = phonenumbers.country_code_for_region(region)
        if code and code not in codes:
            codes.add(code)
            out.append(region)
    return tuple(out)


# ---------------------------------------------------------------- shapes that are not PII

_VERSION_WORDS = (
    r"v|ver|vers|version|versión|versão|versione|versie|wersja|verze|verzió|versio|версия|версії|"
    r"版本|バージョン|버전|release|build|rev|revision|update|patch|firmware|kernel|python|node|"
    r"php|ruby|java|perl|gcc|clang|ios|android|windows|macos|chrome|firefox|safari|edge"
)
# version number just before: "version 1.2.3.4", "Build 10.0.22631.2428"
VERSION_BEFORE_RE = re.compile(rf"(?i)(?<![^\W\d_])(?:{_VERSION_WORDS})\.?\s?[:=]?\s?$")
# a reference, not a phone: ISBN/ISSN/DOI, pages, figures, tables, volumes, or a version
NOT_PHONE_BEFORE_RE = re.compile(
    r"(?i)(?<![^\W\d_])(?:(?:isbn(?:-?1[03])?|issn|doi|arxiv|pmid|pages?|seiten?|figures?|table|"
    rf"tabelle|chapter|{_VERSION_WORDS})\.?|(?:pp?|pag|págs?|pgs?|s|стр|fig|figs|abb|tab|vol|chap|"
    r"kap|art)\.|§)\s?[:#]?\s?$"
)
# a phone label makes an unformatted digit run a phone ("电话：13812345678", "Tel. 0301234567")
PHONE_LABEL_RE = re.compile(
    r"(?i)(?:tel|tél|phone|telephone|téléphone|telefon|telefoon|teléfono|telefone|telefono|"
    r"telefonu|puhelin|mobile?|móvil|cell|handy|fax|whatsapp|тел|телефон|моб|"
    r"电话|電話|手机|手機|联系电话|전화|โทร|फोन|फ़ोन|ফোন|هاتف|جوال|טלפון)\.?\s?(?:nr|no|n°|№)?\.?\s?[:：]?\s?$"
)
_CURRENCY_WORDS = (
    r"rp|rs|inr|idr|usd|us\$|r\$|eur|gbp|chf|cad|aud|jpy|cny|rmb|krw|rub|uah|brl|mxn|ars|cop|clp|"
    r"zar|try|pln|czk|huf|sek|nok|dkk|kes|ngn|egp|aed|sar|thb|myr|php|vnd|fcfa|cfa|gs?"
)
ISBN10_X_AFTER_RE = re.compile(r"-?[Xx](?!\w)")
CURRENCY_BEFORE_RE = re.compile(rf"(?i)(?<![^\W\d_])(?:{_CURRENCY_WORDS})\.?\s?$")
CURRENCY_AFTER_RE = re.compile(
    rf"(?i)\s?(?:(?:{_CURRENCY_WORDS}|euros?|dollars?|pesos?|reais|rupees?|rupiah|yen|yuan|won|"
    r"roubles?|rubles?|руб|рублей|грн|лв|zł|kč|ft|kr|lei|dong|đồng|tl|lira|rand|naira|"
    r"shillings?|francs?)(?![^\W\d_])|[円元万億원₫%])"
)


def isbn10_ok(digits: str) -> bool:
    """ISBN-10 checksum; the last character may be X (= 10)."""
    if len(digits) != 10 or not digits[:9].isdigit():
        return False
    last = 10 if digits[9] in "Xx" else int(digits[9]) if digits[9].isdigit() else -1
    return last >= 0 and (sum((10 - i) * int(c) for i, c in enumerate(digits[:9])) + last) % 11 == 0


def isbn13_ok(digits: str) -> bool:
    """ISBN-13 (EAN, Bookland prefix 978/979) checksum."""
    if len(digits) != 13 or not digits.isdigit() or digits[:3] not in ("978", "979"):
        return False
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(digits)) % 10 == 0


COMPACT_DATE_RE = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")


def _calendar_row(nums: list[int]) -> bool:
    """Consecutive day numbers (a week row, wrapping at the month end): 8 9 10 11 / 29 30 31 1 2."""
    return all(b == a + 1 or (b == 1 and a >= 28) for a, b in zip(nums, nums[1:], strict=False))


def _not_phone_shape(s: str, groups: list[str]) -> bool:
    """Digit layouts that phonenumbers may accept somewhere but that are something else.
    `groups`: the digit groups of s (at least one)."""
    if any(c in _PLUS_CHARS for c in s):
        return False  # an international number is none of these
    s = s[s.index(groups[0]) : s.rindex(groups[-1]) + len(groups[-1])]  # first to last digit
    if DATE_LIKE_RE.search(s):
        return True
    n = len(groups)
    lens = [len(g) for g in groups]
    seps = set(_DIGITS_RE.sub("", s))
    if n >= 3 and max(lens) <= 2 and (lens.count(1) >= 3 or _calendar_row([int(g) for g in groups])):
        return True  # calendar row / row of small numbers
    if n >= 4 and max(lens) <= 2 and groups[0][0] != "0" and (lens[0] == 2 or 1 in lens[1:]):
        return True  # row of scores; phones in pairs start with their trunk 0 (01 42 68 53 00) or
        # with one single digit (Cameroon 6 71 23 45 67)
    if n >= 2 and all(k == 4 and 1800 <= int(g) <= 2199 for k, g in zip(lens, groups, strict=True)):
        return True  # years
    if n >= 4 and lens[0] <= 3 and all(k == 3 for k in lens[1:]) and len(seps) == 1:
        return True  # thousands-grouped amount: 1 234 567 890, 1.250.000.000
    if n >= 3 and seps == {"."} and 1 in lens:
        return True  # version: 10.0.19041.1, 59.0.3071.125
    if n == 2 and seps == {"."} and groups[0][0] != "0":
        return True  # decimal: 53.3683998 (a national number starts with its trunk 0)
    if any(k in (8, 12, 14) and COMPACT_DATE_RE.match(g) for k, g in zip(lens, groups, strict=True)):
        return True  # yyyymmdd[hhmm[ss]]: 0.0.0-20180720214833-f61, backup-20240501
    if n >= 2 and lens[0] == lens[1] >= 3 and 0 < int(groups[1]) - int(groups[0]) <= 50:
        sep = s[lens[0] : s.index(groups[1], lens[0])].strip()
        if sep and all(c in "-‐‑‒–—" for c in sep):
            return True  # range: pages 198-203, house numbers 8109-8111
    # ISBN-13; ISBN-10 only hyphenated as group-publisher-title-check (a checksum alone passes
    # 1 in 11 numbers, e.g. 03-3224-9999)
    digits = "".join(groups)
    return isbn13_ok(digits) or (n == 4 and lens[3] == 1 and "-" in seps and isbn10_ok(digits))


def _labelled(text: str, run_start: int) -> bool:
    """A phone label ends where the run of phone characters starts ("Tel. ", "电话：")."""
    return PHONE_LABEL_RE.search(text, max(0, run_start - 24), run_start) is not None


def _run_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The maximal run of phone characters around text[start:end]."""
    while start > 0 and _PHONE_CHAR_RE.match(text, start - 1):
        start -= 1
    n = len(text)
    while end < n and _PHONE_CHAR_RE.match(text, end):
        end += 1
    return start, end


def _is_phone_match(text: str, start: int, end: int, min_digits: int) -> bool:
    """A matcher hit text[start:end] that is really a phone: enough digits, formatted (or labelled),
    not inside a date/calendar/version/ISBN/amount-shaped run, not a reference, version or price."""
    raw = text[start:end]
    groups = _DIGITS_RE.findall(raw)
    if sum(map(len, groups)) < min_digits:
        return False
    a, b = _run_bounds(text, start, end)
    if raw[0] not in _PLUS_CHARS and len(groups) == 1 and not _labelled(text, a):
        return False  # a bare digit run is an id / order number unless labelled as a phone
    run = text[a:b]
    if _not_phone_shape(raw, groups) or (
        run != raw and _not_phone_shape(run, _DIGITS_RE.findall(run))
    ):
        return False  # (a run with a '+' in it passes: "2024-05-01 +33 1 42 68 53 00")
    if raw[0] not in _PLUS_CHARS and NOT_PHONE_BEFORE_RE.search(text, max(0, start - 24), start):
        return False
    if ISBN10_X_AFTER_RE.match(text, end) and isbn10_ok("".join(groups) + "X"):
        return False  # ISBN-10 with check character X
    if CURRENCY_BEFORE_RE.search(text, max(0, start - 6), start):
        return False
    prev = text[max(0, a - 2) : a].strip()[-1:]
    nxt = text[b : b + 2].strip()[:1]
    if any(c and unicodedata.category(c) == "Sc" for c in (prev, nxt)):
        return False
    return not CURRENCY_AFTER_RE.match(text, b)


def _runs(text: str, min_len: int) -> list[tuple[int, int]]:
    """Spans of PHONE_RUN_RE matches at least min_len characters long."""
    regex = PHONE_RUN_ASCII_RE if text.isascii() else PHONE_RUN_RE
    return [m.span() for m in regex.finditer(text) if m.end() - m.start() >= min_len]


def _phone_windows(text: str, runs: list[tuple[int, int]], min_digits: int) -> list[tuple[int, int]]:
    """Slices worth a matcher call: each maximal run of phone characters with >= min_digits digits
    whose shape is not a date/calendar/version/..., with 1 character of context before (the
    matcher rejects a number glued to a letter) and 3 after (its time-stamp check reads ':dd')."""
    out: list[tuple[int, int]] = []
    n = len(text)
    for s, e in runs:
        if e - s < min_digits:
            continue
        groups = _DIGITS_RE.findall(text, s, e)
        if sum(map(len, groups)) < min_digits:
            continue
        a, _ = _run_bounds(text, s, s)
        run = text[a:e]
        if not any(c in _PLUS_CHARS for c in run) and (
            _not_phone_shape(run, groups) or (len(groups) == 1 and not _labelled(text, a))
        ):
            continue  # every hit inside would be rejected by _is_phone_match
        out.append((max(0, a - 1), min(n, e + 3)))
    return out


def phone_spans(
    text: str,
    regions: tuple[str, ...],
    min_digits: int,
    windows: list[tuple[int, int]] | None = None,
) -> list[tuple[int, int]]:
    """Sorted, non-overlapping phone spans found by the matcher in `windows` (default: the whole text)
    for each region; a window stops early once too few of its digits are left uncovered."""
    spans: set[tuple[int, int]] = set()
    for ws, we in windows if windows is not None else [(0, len(text))]:
        chunk = text[ws:we]
        total = sum(c.isdigit() for c in chunk)
        found: set[tuple[int, int]] = set()
        for region in regions:
            for m in PhoneNumberMatcher(chunk, region, leniency=Leniency.VALID):
                s, e = ws + m.start, ws + m.end
                if _is_phone_match(text, s, e, min_digits):
                    found.add((s, e))
            if found and total - _covered_digits(text, found) < min_digits:
                break
        spans |= found
    return _merge(spans)


def _merge(spans: set[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _covered_digits(text: str, spans: set[tuple[int, int]]) -> int:
    return sum(sum(c.isdigit() for c in text[s:e]) for s, e in _merge(spans))


# ---------------------------------------------------------------- cards, IPs


def luhn_ok(digits: str) -> bool:
    """Luhn checksum over a string of digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


_CARD_SHORT_GROUP_RE = re.compile(r"(?:^|[ -])\d{1,2}(?:[ -]|$)")


def _card_digits(candidate: str) -> str | None:
    """The digits of a Luhn-valid card number. Not a card: an ISBN-13 (978/979 + its own checksum),
    or groups of 1-2 digits (cards are grouped 4-4-4-4, 4-6-5, ...; "19 20 21 22 23 24 25" is a
    calendar row)."""
    digits = candidate.replace(" ", "").replace("-", "")
    if not (13 <= len(digits) <= 19 and luhn_ok(digits)) or isbn13_ok(digits):
        return None
    return None if len(digits) != len(candidate) and _CARD_SHORT_GROUP_RE.search(candidate) else digits


def has_email_or_card(text: str) -> bool:
    """True if text still contains an email address or a Luhn-valid card number."""
    if EMAIL_RE.search(text):
        return True
    return any(_card_digits(m.group()) for m in CARD_CANDIDATE_RE.finditer(text))


# IPv4 addresses that identify no one outside a local network: left as they are.
_NON_PUBLIC_V4 = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.168.0.0/16", "224.0.0.0/4", "255.255.255.255/32",
    )
)  # fmt: skip
# IPv6: only global unicast is assigned to anyone; ::1, fe80::, fc00::, ff00:: and the unassigned
# rest (where code tokens like `dead::beef` or `ab::cd` land) are outside it.
_V6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")


def _public_ip(candidate: str) -> bool:
    """Public = not private/loopback/link-local/multicast (v6: global unicast). Documentation ranges
    count as public on purpose: an address that looks real is redacted rather than leaked."""
    try:
        ip = ipaddress.ip_address(candidate)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is None:
            return ip in _V6_GLOBAL_UNICAST
        ip = ip.ipv4_mapped
    return not any(ip in net for net in _NON_PUBLIC_V4)


def _public_ipv4_not_version(m: re.Match[str]) -> bool:
    """A public IPv4 not written as a version ("version 1.2.3.4")."""
    return _public_ip(m.group()) and not VERSION_BEFORE_RE.search(m.string, max(0, m.start() - 24), m.start())


# ---------------------------------------------------------------- redaction


def _sub_in_regions(
    regex: re.Pattern[str], repl, text: str, regions: list[tuple[int, int]]
) -> tuple[str, bool]:
    """= regex.sub(repl, text) when every match lies in [start - 1, end) of one region and looks at
    most 2 characters past its end; only the regions are scanned (the heavy patterns start with a
    look-behind, so a whole-text scan tries every position). Returns (text, whether it changed)."""
    out: list[str] = []
    last = 0
    n = len(text)
    for a, b in regions:
        for m in regex.finditer(text, max(a - 1, last), min(n, b + 2)):
            if m.start() >= b:
                break
            out.append(text[last : m.start()])
            out.append(repl(m))
            last = m.end()
    if not out:
        return text, False
    out.append(text[last:])
    new = "".join(out)
    return new, new != text


def _replace_spans(text: str, spans: list[tuple[int, int]], placeholder: str) -> str:
    out: list[str] = []
    last = 0
    for s, e in spans:
        out += (text[last:s], placeholder)
        last = e
    out.append(text[last:])
    return "".join(out)


def redact(
    text: str,
    *,
    email: bool = True,
    ip: bool = True,
    card: bool = True,
    ssn: bool = True,
    phone: bool = True,
    phone_regions: tuple[str, ...] = ("US", "GB"),
    phone_min_digits: int = 9,
) -> tuple[str, dict[str, int]]:
    """Redacted text and per-type counts. Order matters: IPs before phones, cards/SSNs before phones.
    `phone_regions`: regions for numbers written without `+` (see `phone_regions_for`)."""
    counts = dict.fromkeys(PLACEHOLDERS, 0)

    def repl_for(kind: str, keep_if: Callable[[re.Match[str]], bool]):
        def repl(m: re.Match[str]) -> str:
            if keep_if(m):
                counts[kind] += 1
                return PLACEHOLDERS[kind]
            return m.group()

        return repl

    if email and "@" in text:
        text = EMAIL_RE.sub(repl_for("email", lambda _: True), text)
    if ip:
        if IPV4_QUICK_RE.search(text):
            text = IPV4_RE.sub(repl_for("ip", _public_ipv4_not_version), text)
        if IPV6_QUICK_RE.search(text):
            text = IPV6_RE.sub(repl_for("ip", lambda m: _public_ip(m.group())), text)
    # Card (13+ digits, 13+ chars), SSN (11 chars) and phone (>= min_digits) candidates consist of
    # phone characters: one scan finds the runs long enough to hold any of them.
    min_digits = max(phone_min_digits, 4)
    min_len = min(13 if card else 99, 11 if ssn else 99, min_digits if phone else 99)
    runs = _runs(text, min_len) if min_len < 99 else []
    if not runs:
        return text, counts
    changed = False
    if card:
        rc = [r for r in runs if r[1] - r[0] >= 13]
        text, changed = _sub_in_regions(
            CARD_CANDIDATE_RE, repl_for("card", lambda m: _card_digits(m.group()) is not None), text, rc
        )
    if ssn and SSN_QUICK_RE.search(text):
        if changed:
            runs = _runs(text, min_len)
        rs = [r for r in runs if r[1] - r[0] >= 11]
        text, ch = _sub_in_regions(SSN_RE, repl_for("ssn", lambda _: True), text, rs)
        changed = changed or ch
    if phone:
        if changed:
            runs = _runs(text, min_len)
        windows = _phone_windows(text, runs, min_digits)
        if windows:
            spans = phone_spans(text, phone_regions, min_digits, windows)
            if spans:
                counts["phone"] = len(spans)
                text = _replace_spans(text, spans, PLACEHOLDERS["phone"])
    return text, counts


class PiiParams(Params):
    email: bool = True
    ip: bool = True
    phone: bool = True
    card: bool = True
    ssn: bool = True
    phone_regions: list[str] = ["US", "GB"]  # always tried, after the page's own regions
    phone_regions_from_language: bool = True  # ctx.language -> LANGUAGE_REGIONS (needs language_id first)
    phone_regions_from_tld: bool = True  # the URL's country TLD (.de -> DE, .co.uk -> GB)
    phone_min_digits: int = 9


@register("pii_redact")
class PiiRedact(Operator):
    """Replaces PII with typed placeholders; counts become `pii_<type>` tags. Never rejects."""

    Params = PiiParams

    def __init__(self, params: PiiParams, base_dir) -> None:
        super().__init__(params, base_dir)
        bad = [r for r in params.phone_regions if r not in phonenumbers.SUPPORTED_REGIONS]
        if bad:
            raise ValueError(f"phone_regions: unknown region code(s) {bad}")
        self._defaults = tuple(params.phone_regions)

    def regions(self, ctx: DocContext) -> tuple[str, ...]:
        """Phone regions for this document: its TLD's, its language's, then the recipe's."""
        p = self.params
        return phone_regions_for(
            ctx.language if p.phone_regions_from_language else None,
            tld_region(ctx.doc.url) if p.phone_regions_from_tld else None,
            self._defaults,
        )

    def compute(self, ctx: DocContext) -> dict[str, float]:
        p = self.params
        ctx.text, counts = redact(
            ctx.text,
            email=p.email,
            ip=p.ip,
            card=p.card,
            ssn=p.ssn,
            phone=p.phone,
            phone_regions=self.regions(ctx),
            phone_min_digits=p.phone_min_digits,
        )
        for kind, n in counts.items():
            ctx.tags[f"pii_{kind}"] = n
        return {kind: float(n) for kind, n in counts.items()}
