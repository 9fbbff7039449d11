"""Extraction over the process pool: results in order, failures as states, the per-page deadline."""

from __future__ import annotations

import pytest

from freshdata.extract import ExtractJob, decode_body, extract_many, extract_one

PARA = "<p>" + "The quick brown fox jumps over the lazy dog near the river bank this morning. " * 8 + "</p>"


def article(title: str, marker: str) -> str:
    return (
        f"<html><head><title>{title}</title><meta name='author' content='Jane Doe'></head><body>"
        "<nav><a href='/'>Home</a> <a href='/about'>About us</a></nav>"
        f"<article><h1>{title}</h1><p>{marker} opens the story.</p>{PARA * 4}</article>"
        "<footer><p>Copyright 2026 Example Corp. All rights reserved.</p></footer></body></html>"
    )


EMPTY = "<html><head><title>nothing</title></head><body></body></html>"


def test_article_page() -> None:
    (result,) = list(extract_many([ExtractJob("k", article("Fox story", "MARKER-ONE"), "https://ex.com/fox")],
                                  workers=1))
    assert result.ok and result.reason is None
    assert result.key == "k"
    assert "MARKER-ONE opens the story." in result.text
    assert "quick brown fox" in result.text
    assert "All rights reserved" not in result.text
    assert result.metadata["title"] == "Fox story"
    assert set(result.metadata) >= {"title", "author", "date", "sitename", "hostname", "description"}


@pytest.mark.parametrize("html", [EMPTY, "", "<<<>>>", "<html><body><script>var x = 1;</script></body></html>"])
def test_no_main_text(html: str) -> None:
    result = extract_one(ExtractJob("k", html, "https://ex.com/"))
    assert not result.ok
    assert result.reason == "no_main_text"
    assert result.text is None


def test_every_job_once_and_mixed_outcomes() -> None:
    jobs = []
    for i in range(7):
        html = EMPTY if i % 3 == 1 else article(f"Story {i}", f"MARKER-{i}")
        jobs.append(ExtractJob(f"https://ex.com/{i}", html, f"https://ex.com/{i}"))
    done = list(extract_many(jobs, workers=2))  # completion order
    assert sorted(r.key for r in done) == sorted(j.key for j in jobs)
    results = sorted(done, key=lambda r: int(r.key.rsplit("/", 1)[1]))
    for i, result in enumerate(results):
        if i % 3 == 1:
            assert (result.ok, result.reason) == (False, "no_main_text")
        else:
            assert result.ok, result.reason
            assert f"MARKER-{i} opens the story." in result.text
            assert result.metadata["title"] == f"Story {i}"


def test_no_jobs() -> None:
    assert list(extract_many([])) == []


# ~10 MB of flat markup: trafilatura needs tens of seconds on it (measured ~40 s), far beyond any deadline below.
HUGE = "<html><body>" + ("<div><p>" + "word " * 50 + "</p></div>") * 40_000 + "</body></html>"


def test_timeout() -> None:
    (result,) = list(extract_many([ExtractJob("huge", HUGE, "https://ex.com/huge")], workers=1, timeout_s=0.05))
    assert (result.key, result.ok, result.reason, result.text) == ("huge", False, "timeout", None)


def test_timeout_then_pool_recovers() -> None:
    # the overrunning worker is killed and replaced; the next page (well under the deadline) still extracts
    jobs = [ExtractJob("huge", HUGE, "https://ex.com/huge"),
            ExtractJob("after", article("After", "MARKER-AFTER"), "https://ex.com/after")]
    results = sorted(extract_many(jobs, workers=1, timeout_s=3.0), key=lambda r: r.key != "huge")
    assert [r.key for r in results] == ["huge", "after"]
    assert (results[0].ok, results[0].reason) == (False, "timeout")
    assert results[1].ok and "MARKER-AFTER" in results[1].text


def test_in_process_and_pool_agree() -> None:
    job = ExtractJob("k", article("Same", "MARKER-SAME"), "https://ex.com/same")
    (pooled,) = list(extract_many([job], workers=1))
    direct = extract_one(job)
    assert (pooled.ok, pooled.text, pooled.metadata) == (direct.ok, direct.text, direct.metadata)


@pytest.mark.parametrize(
    ("body", "encoding", "expected"),
    [
        ("café".encode(), "utf-8", "café"),
        ("café".encode("latin-1"), "latin-1", "café"),
        ("café".encode("cp1252"), "windows-1252", "café"),
        ("café".encode(), None, "café"),  # default utf-8
        ("café".encode(), "no-such-codec", "café"),  # unknown name → utf-8
        ("café".encode(), "", "café"),
        (b"caf\xe9", None, "caf\ufffd"),  # invalid utf-8 never raises
        (b"caf\xe9", "bogus", "caf\ufffd"),
        ("привет".encode("koi8-r"), "koi8-r", "привет"),
    ],
)
def test_decode_body(body: bytes, encoding: str | None, expected: str) -> None:
    assert decode_body(body, encoding) == expected


@pytest.mark.parametrize("encoding", ["rot13", "base64", "hex", "zlib"])
def test_decode_body_non_text_codec_never_raises(encoding: str) -> None:
    # names that exist in the codec registry but are not text encodings: bytes.decode raises LookupError
    assert decode_body("café".encode(), encoding) == "café"


def test_slow_page_does_not_hold_back_the_rest() -> None:
    # results come back as they finish: one overrunning page must not idle the other worker behind it
    jobs = [ExtractJob("huge", HUGE, "https://ex.com/huge")] + [
        ExtractJob(f"small-{i}", article(f"Small {i}", f"MARKER-{i}"), f"https://ex.com/{i}") for i in range(4)]
    keys = [r.key for r in extract_many(jobs, workers=2, timeout_s=3.0)]
    assert sorted(keys) == sorted(j.key for j in jobs)
    assert keys[-1] == "huge"
