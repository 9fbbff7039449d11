"""PII redaction with typed placeholders. Conservative by design: false positives destroy text.

`EMAIL_RE`, `CARD_CANDIDATE_RE` and `has_email_or_card` are shared with the blocking asset check,
so redaction removes exactly what the check looks for (same regexes, same Luhn test).
"""

from __future__ import annotations

import ipaddress
import re

import phonenumbers

from .registry import Operator, Params, register
from .text import DocContext

EMAIL_RE = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
CARD_CANDIDATE_RE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])")
SSN_RE = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
IPV4_RE = re.compile(
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.]\d)"
)
IPV6_RE = re.compile(
    r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){1,7}(?::|(?::[0-9A-Fa-f]{1,4}){1,7}|[0-9A-Fa-f]{1,4})(?![0-9A-Fa-f:])"
)
# phone-looking spans: optional +, then digits with common separators; validated with phonenumbers
PHONE_CANDIDATE_RE = re.compile(
    r"(?<![\w+.-])(?:\+\d{1,3}[\s.-]?|1[\s.-])?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,8}){1,4}(?![\w]|:\d|[.-]\d)"
)
DATE_LIKE_RE = re.compile(
    r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|^(?:19|20)\d\d[-./]"
)  # a phone candidate containing a date is a date (+ time), not a phone

# Cheap necessary conditions, checked first: the full patterns (with look-behinds) are ~5x slower.
# The quick patterns start with a literal so `re` can use its fast substring scan.
IPV4_QUICK_RE = re.compile(r"\.\d{1,3}\.\d{1,3}\.\d")
IPV6_QUICK_RE = re.compile(r":[0-9A-Fa-f]{0,4}:")  # a valid IPv6 has two colons <= 4 hex digits apart
DIGIT_RUN_RE = re.compile(r"[\d(+][\d\s().+-]{5,}\d")  # any card / SSN / phone contains such a run
SSN_QUICK_RE = re.compile(r"-\d\d-\d{4}")
# A card / SSN / phone candidate consists only of these characters and contains a digit; it starts
# at the first digit of such a run or (phone: '+' / '(') one character before it.
DIGIT_REGION_RE = re.compile(r"\d[\d\s().+-]*")

PLACEHOLDERS = {"email": "<EMAIL>", "ip": "<IP>", "phone": "<PHONE>", "card": "<CARD>", "ssn": "<SSN>"}


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


def _card_digits(candidate: str) -> str | None:
    digits = candidate.replace(" ", "").replace("-", "")
    return digits if 13 <= len(digits) <= 19 and luhn_ok(digits) else None


def has_email_or_card(text: str) -> bool:
    """True if text still contains an email address or a Luhn-valid card number."""
    if EMAIL_RE.search(text):
        return True
    return any(_card_digits(m.group()) for m in CARD_CANDIDATE_RE.finditer(text))


# Addresses that identify no one outside a local network: left as they are.
_NON_PUBLIC_NETS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.168.0.0/16", "224.0.0.0/4", "255.255.255.255/32",
        "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8",
    )
)  # fmt: skip


def _public_ip(candidate: str) -> bool:
    """Public = not private/loopback/link-local/multicast. Documentation ranges count as public on
    purpose: an address that looks real is redacted rather than leaked."""
    try:
        ip = ipaddress.ip_address(candidate)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not any(ip.version == net.version and ip in net for net in _NON_PUBLIC_NETS)


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


def _digit_regions(text: str, min_len: int) -> list[tuple[int, int]]:
    return [m.span() for m in DIGIT_REGION_RE.finditer(text) if m.end() - m.start() >= min_len]


def _is_phone(candidate: str, regions: tuple[str, ...], min_digits: int) -> bool:
    s = candidate.strip()
    digits = sum(c.isdigit() for c in s)
    if digits < min_digits or digits > 15 or DATE_LIKE_RE.search(s):
        return False
    try:
        if s.startswith("+"):
            return phonenumbers.is_valid_number(phonenumbers.parse(s, None))
        # without '+', only formatted numbers (with separators) valid in a configured region
        if not any(c in s for c in " .-()"):
            return False
        return any(phonenumbers.is_valid_number(phonenumbers.parse(s, r)) for r in regions)
    except phonenumbers.NumberParseException:
        return False


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
    """Redacted text and per-type counts. Order matters: IPs before phones, cards/SSNs before phones."""
    counts = dict.fromkeys(PLACEHOLDERS, 0)

    def repl_for(kind: str, keep_if):
        def repl(m: re.Match[str]) -> str:
            if keep_if(m.group()):
                counts[kind] += 1
                return PLACEHOLDERS[kind]
            return m.group()

        return repl

    def sub(regex: re.Pattern[str], kind: str, keep_if, s: str) -> str:
        return regex.sub(repl_for(kind, keep_if), s)

    if email and "@" in text:
        text = sub(EMAIL_RE, "email", lambda _: True, text)
    if ip:
        if IPV4_QUICK_RE.search(text):
            text = sub(IPV4_RE, "ip", _public_ip, text)
        if IPV6_QUICK_RE.search(text):
            text = sub(IPV6_RE, "ip", _public_ip, text)
    if not DIGIT_RUN_RE.search(text):
        return text, counts
    # Card (13+ digits), SSN (9 digits, 11 chars) and phone (>= phone_min_digits digits) matches
    # only use DIGIT_REGION_RE characters, so only long-enough digit regions are scanned.
    min_len = min(13 if card else 99, 11 if ssn else 99, max(phone_min_digits, 4) if phone else 99)
    regions = _digit_regions(text, min_len)
    if not regions:
        return text, counts
    changed = False
    if card:
        rc = [r for r in regions if r[1] - r[0] >= 13]
        text, changed = _sub_in_regions(
            CARD_CANDIDATE_RE, repl_for("card", lambda c: _card_digits(c) is not None), text, rc
        )
    if ssn and SSN_QUICK_RE.search(text):
        if changed:
            regions = _digit_regions(text, min_len)
        rs = [r for r in regions if r[1] - r[0] >= 11]
        text, ch = _sub_in_regions(SSN_RE, repl_for("ssn", lambda _: True), text, rs)
        changed = changed or ch
    if phone:
        if changed:
            regions = _digit_regions(text, min_len)
        rp = [r for r in regions if r[1] - r[0] >= phone_min_digits]
        text, _ = _sub_in_regions(
            PHONE_CANDIDATE_RE,
            repl_for("phone", lambda c: _is_phone(c, phone_regions, phone_min_digits)),
            text,
            rp,
        )
    return text, counts


class PiiParams(Params):
    email: bool = True
    ip: bool = True
    phone: bool = True
    card: bool = True
    ssn: bool = True
    phone_regions: list[str] = ["US", "GB"]
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

    def compute(self, ctx: DocContext) -> dict[str, float]:
        p = self.params
        ctx.text, counts = redact(
            ctx.text,
            email=p.email,
            ip=p.ip,
            card=p.card,
            ssn=p.ssn,
            phone=p.phone,
            phone_regions=tuple(p.phone_regions),
            phone_min_digits=p.phone_min_digits,
        )
        for kind, n in counts.items():
            ctx.tags[f"pii_{kind}"] = n
        return {kind: float(n) for kind, n in counts.items()}
