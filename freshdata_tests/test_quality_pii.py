"""PII redaction: typed placeholders, conservative on dates/numbers, shared final-check helpers."""

from __future__ import annotations

import pytest

from freshdata.quality.pii import CARD_CANDIDATE_RE, EMAIL_RE, has_email_or_card, luhn_ok, redact


def test_email():
    text, c = redact("Write to jane.doe+news@mail.example.co.uk today.")
    assert text == "Write to <EMAIL> today." and c["email"] == 1
    assert EMAIL_RE.search("a@b.io")


@pytest.mark.parametrize(
    ("ip", "redacted"),
    [
        ("8.8.8.8", True),
        ("203.0.113.77", True),  # documentation range: redacted rather than leaked
        ("2001:4860:4860::8888", True),
        ("192.168.1.20", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("127.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
    ],
)
def test_ip_public_vs_private(ip, redacted):
    text, c = redact(f"Requests came from {ip} last night.")
    assert (text == "Requests came from <IP> last night.") is redacted
    assert c["ip"] == int(redacted)
    assert c["phone"] == 0  # IPs are masked before phone matching


@pytest.mark.parametrize(
    "phone",
    [
        "+1 415 555 0132",
        "+44 20 7946 0018",
        "(212) 555-0187",
        "+49 30 901820",
        "020 7946 0018",
        "1-876-499-0169",
    ],
)
def test_phone_redacted(phone):
    text, c = redact(f"Call {phone} now.")
    assert c["phone"] == 1 and "<PHONE>" in text, text


@pytest.mark.parametrize(
    "text",
    [
        "The meeting is on 2024-10-12 at 10:30:00.",
        "Dated 12/10/2023 and 12.10.2023.",
        "The population grew to 1,234,567 in 2020.",
        "Order number 20231012 shipped.",
        "Version 1.2.3 was released, ISBN 978-3-16-148410-0.",
        "Scores were 12 34 56 in the final.",
        "Sendung vom 16.10.2019 18:15 Uhr.",
        "Ann Rheum Dis. 2014: p. annrheumdis-2014-205577.",
        "Updated 20.04.2018 16:22 by the editor.",
    ],
)
def test_no_false_positive_on_dates_and_numbers(text):
    out, c = redact(text)
    assert out == text, (out, c)


def test_cards_luhn():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    text, c = redact("Card 4111 1111 1111 1111 and 5500-0000-0000-0004 but not 4111 1111 1111 1112.")
    assert text == "Card <CARD> and <CARD> but not 4111 1111 1111 1112." and c["card"] == 2
    assert CARD_CANDIDATE_RE.search("4111111111111111")


def test_ssn():
    text, c = redact("SSN 123-45-6789 but not 000-12-3456 or 666-12-3456.")
    assert text == "SSN <SSN> but not 000-12-3456 or 666-12-3456." and c["ssn"] == 1


def test_has_email_or_card_and_redaction_is_complete():
    raw = "Mail bob@example.com, card 4012888888881881, call +1 415 555 0132."
    assert has_email_or_card(raw)
    assert not has_email_or_card("card 4111 1111 1111 1112, date 2024-01-01")
    clean, _ = redact(raw)
    assert not has_email_or_card(clean)


def test_types_can_be_disabled():
    text, c = redact("bob@example.com 8.8.8.8", email=False)
    assert text == "bob@example.com <IP>" and c["email"] == 0


def _reference_redact_digits(text: str, regions=("US", "GB"), min_digits: int = 9) -> str:
    """Card -> SSN -> phone as plain whole-text `re.sub` passes (what the region scan must equal)."""
    from freshdata.quality.pii import PHONE_CANDIDATE_RE, SSN_RE, _card_digits, _is_phone

    text = CARD_CANDIDATE_RE.sub(lambda m: "<CARD>" if _card_digits(m.group()) else m.group(), text)
    text = SSN_RE.sub("<SSN>", text)
    return PHONE_CANDIDATE_RE.sub(
        lambda m: "<PHONE>" if _is_phone(m.group(), regions, min_digits) else m.group(), text
    )


@pytest.mark.parametrize("seed", range(3))
def test_region_scan_equals_whole_text_sub(seed):
    import random

    rng = random.Random(seed)
    parts = ["+49 30 1234567", "(030) 123 4567", "4111 1111 1111 1111", "4111-1111-1111-1111",
             "123-45-6789", "12.03.2024 10:30", "+1 415-555-2671", "1-800-555-0199", "020 7946 0958",
             "ID 4532015112830366", " ", "\n", "Text ", "-", ".", "+", "(", "7", "x"]  # fmt: skip
    for _ in range(1500):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(1, 8)))
        for kw in ({}, {"phone_min_digits": 4}):
            got, _ = redact(text, email=False, ip=False, **kw)
            assert got == _reference_redact_digits(text, min_digits=kw.get("phone_min_digits", 9)), text
