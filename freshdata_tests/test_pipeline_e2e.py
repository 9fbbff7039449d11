"""End to end: the bundled demo site crawled for three consecutive days through Dagster, then day 2 again.

One module-scoped run (≈3 pipeline days + one re-run) feeds every test below; each test asserts one
property of the result. Only a loopback DemoSite is contacted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import pytest

from freshdata import texts
from freshdata.demo.site import COMMENTS_NOTE, DemoSite
from freshdata.snapshot import funnel_adds_up, snapshot_path
from freshdata_tests.pipeline_helpers import (
    PARTITION_TABLES,
    all_partition_rows,
    build_defs,
    check_evaluations,
    read_db,
    run_day,
    run_demo_days,
    set_env,
    step_failures,
    write_demo_sources,
)

pytestmark = pytest.mark.slow

DAYS = [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
D1, D2, D3 = DAYS
BLOCKING_CHECKS = {"funnel_adds_up", "no_document_in_two_snapshots", "no_kept_duplicate",
                   "required_tags_present", "no_email_or_card_left", "sources_answered",
                   "published_file_matches_manifest"}
WARN_CHECKS = {"rates_near_trailing_average", "no_silent_source"}
TRANSIENT_REASONS = {"timeout", "connect_error", "dns_error", "network_error", "protocol_error", "tls_error",
                     "http_429", "retry_after_too_long"}
DISCOVERY_PATHS = {"/rss.xml", "/atom.xml", "/feed.json", "/sitemap_index.xml", "/sitemaps/pages.xml.gz",
                   "/sitemaps/static.xml", "/index.html"}


@dataclass
class E2E:
    home: Path
    results: dict[date, dg.ExecuteInProcessResult] = field(default_factory=dict)
    requests: dict[date, list[tuple[str, str, dict]]] = field(default_factory=dict)
    before_rerun: dict[str, list] = field(default_factory=dict)
    after_rerun: dict[str, list] = field(default_factory=dict)
    hash_before: tuple[str, str] = ("", "")
    hash_after: tuple[str, str] = ("", "")
    rerun: dg.ExecuteInProcessResult | None = None
    rerun_requests: list[tuple[str, str, dict]] = field(default_factory=list)


def _hashes(home: Path, day: date) -> tuple[str, str]:
    """(sha256 of the Parquet file, content_hash in snapshot_manifest) for a day."""
    digest = hashlib.sha256(Path(snapshot_path(home, day)).read_bytes()).hexdigest()
    with read_db(home) as con:
        rows = con.execute("SELECT content_hash FROM snapshot_manifest WHERE snapshot_date = ? "
                           "ORDER BY created_at DESC", [day]).fetchall()
    return digest, rows[0][0] if rows else ""


@pytest.fixture(scope="module")
def e2e(tmp_path_factory) -> E2E:
    home = tmp_path_factory.mktemp("e2e") / "home"
    out = E2E(home=home)
    with pytest.MonkeyPatch.context() as mp, DemoSite(days=DAYS) as site:
        set_env(mp, home, write_demo_sources(home, site))
        defs = build_defs()
        with dg.instance_for_test() as instance:
            start = 0
            for day, result in run_demo_days(site, defs, instance, DAYS):
                out.results[day], out.requests[day] = result, list(site.requests[start:])
                start = len(site.requests)
            # Re-materialize day 2 with the site showing day 2 again.
            out.before_rerun = all_partition_rows(home, D2)
            out.hash_before = _hashes(home, D2)
            site.day = 2
            start = len(site.requests)
            out.rerun = run_day(defs, instance, D2)
            out.rerun_requests = list(site.requests[start:])
            out.after_rerun = all_partition_rows(home, D2)
            out.hash_after = _hashes(home, D2)
    return out


def _paths(requests) -> list[str]:
    return [urlsplit(path).path for _method, path, _headers in requests]


def test_every_day_succeeds_and_every_blocking_check_passes(e2e: E2E):
    for day in DAYS:
        result = e2e.results[day]
        assert result.success, step_failures(result)
        checks = check_evaluations(result)
        assert set(checks) == BLOCKING_CHECKS | WARN_CHECKS, (day, checks)
        failed = {name: c for name, c in checks.items() if not c[0] and name in BLOCKING_CHECKS}
        assert not failed, (day, failed)


def test_every_warn_check_passes_too(e2e: E2E):
    for day in DAYS:
        checks = check_evaluations(e2e.results[day])
        failed = {name: c for name, c in checks.items() if not c[0]}
        assert not failed, (day, failed)


def test_every_discovered_url_has_exactly_one_final_state_and_funnel_adds_up(e2e: E2E):
    with read_db(e2e.home) as con:
        for day in DAYS:
            discovered = con.execute("SELECT count(*), count(DISTINCT url) FROM discovered_urls "
                                     "WHERE partition_date = ?", [day]).fetchone()
            assert discovered[0] == discovered[1] > 0
            per_url = con.execute("SELECT url, count(*), count(final_state) FROM url_funnel "
                                  "WHERE partition_date = ? GROUP BY url", [day]).fetchall()
            assert len(per_url) == discovered[0]
            assert all(n == 1 and n_state == 1 for _url, n, n_state in per_url), per_url

            cursor = con.execute("SELECT * FROM day_funnel WHERE partition_date = ?", [day])
            names = [d[0] for d in cursor.description]
            funnel = {k: int(v) for k, v in zip(names, cursor.fetchone(), strict=True) if k != "partition_date"}
            kept_rows = con.execute("SELECT count(*) FROM snapshot_documents WHERE snapshot_date = ?",
                                    [day]).fetchone()[0]
            assert funnel_adds_up(funnel, kept_rows) == [], (day, funnel)

            states = dict(con.execute("SELECT final_state, count(*) FROM url_funnel WHERE partition_date = ? "
                                      "GROUP BY ALL", [day]).fetchall())
            assert sum(states.values()) == funnel["discovered"]
            assert states.get("kept", 0) == funnel["kept"] == kept_rows
            pre_fetch = {"known", "excluded_by_rule", "over_budget"}
            assert sum(n for s, n in states.items() if s not in pre_fetch) == funnel["new"]
            fetched_states = {"fetched", "extraction_failed", "extracted", "exact_duplicate", "near_duplicate",
                              "fresh", "kept", "rejected", "semantic_duplicate"}
            assert sum(states.get(s, 0) for s in fetched_states) == funnel["fetched"]
            assert states.get("fetched", 0) == states.get("extracted", 0) == states.get("fresh", 0) == 0
            # the documents table agrees with the funnel, and the manifest with the snapshot
            docs = con.execute("SELECT count(*) FROM documents WHERE partition_date = ?", [day]).fetchone()[0]
            assert docs == funnel["extracted"]
            manifest = con.execute("SELECT n_documents, n_discovered, n_extracted, n_exact_duplicate, "
                                   "n_near_duplicate, n_rejected, n_semantic_duplicate FROM snapshot_manifest "
                                   "WHERE snapshot_date = ? ORDER BY created_at DESC LIMIT 1", [day]).fetchone()
            assert manifest == (kept_rows, funnel["discovered"], funnel["extracted"], funnel["exact_duplicate"],
                                funnel["near_duplicate"], funnel["rejected"], funnel["semantic_duplicate"])


def test_day2_fetches_only_what_is_new(e2e: E2E):
    with read_db(e2e.home) as con:
        day1 = con.execute("SELECT url, state, reason FROM fetch_log WHERE partition_date = ? "
                           "AND stage = 'fetch' AND kind = 'document'", [D1]).fetchall()
        day2_fetch = {r[0] for r in con.execute(
            "SELECT url FROM fetch_log WHERE partition_date = ? AND stage = 'fetch' AND kind = 'document'",
            [D2]).fetchall()}
        known = {r[0] for r in con.execute("SELECT url FROM discovered_urls WHERE partition_date = ? "
                                           "AND state = 'known'", [D2]).fetchall()}
    settled = {url for url, state, reason in day1 if not (state == "failed" and reason in TRANSIENT_REASONS)}
    fetched_day1 = {url for url, state, _ in day1 if state == "fetched"}
    assert fetched_day1 and settled >= fetched_day1
    # nothing settled on day 1 is requested again on day 2, neither in the log nor on the wire
    assert not settled & day2_fetch
    day2_paths = set(_paths(e2e.requests[D2]))
    assert not {urlsplit(u).path for u in settled} & day2_paths
    # day-1 pages listed again on day 2 are 'known', never re-fetched
    assert known, "day 2 should list day-1 pages again as known"
    assert known <= settled
    # day 2 did fetch its new pages
    assert day2_fetch and any("/partner/" in u for u in day2_fetch)
    # transient failures (the slow page's timeout) are retried on later days by design
    transient = {url for url, state, reason in day1 if state == "failed" and reason in TRANSIENT_REASONS}
    assert {urlsplit(u).path for u in transient} == {"/slow/page.html"}


def test_day2_sends_conditional_requests_and_logs_not_modified(e2e: E2E):
    def validators(day):
        return {urlsplit(p).path: h.get("If-None-Match") for _m, p, h in e2e.requests[day]
                if urlsplit(p).path in DISCOVERY_PATHS}

    day1, day2 = validators(D1), validators(D2)
    assert set(day1) == DISCOVERY_PATHS and not any(day1.values()), day1
    assert set(day2) == DISCOVERY_PATHS and all(day2.values()), day2
    with read_db(e2e.home) as con:
        not_modified = {r[0] for r in con.execute(
            "SELECT url FROM fetch_log WHERE partition_date = ? AND stage = 'discovery' AND state = 'not_modified'",
            [D2]).fetchall()}
    paths = {urlsplit(u).path for u in not_modified}
    assert {"/sitemap_index.xml", "/sitemaps/static.xml"} <= paths, paths


def _reasons(con, day) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for state, reason in con.execute("SELECT final_state, reason FROM url_funnel WHERE partition_date = ?",
                                     [day]).fetchall():
        out.setdefault(state, set()).add(reason)
    return out


def test_failure_robots_and_ai_opt_out_reasons(e2e: E2E):
    with read_db(e2e.home) as con:
        day1, day2 = _reasons(con, D1), _reasons(con, D2)
    assert {"http_404", "timeout", "bad_content_type"} <= day1["failed"]
    assert day1["robots_disallowed"] == {"robots_txt"}
    assert day1["ai_opt_out"] == {"ai_robots_txt"}
    assert day2["ai_opt_out"] and day2["ai_opt_out"] <= {"x_robots_tag:noai", "meta_robots:noai"}
    assert "excluded_by_rule" in day1  # the /tag/ page excluded by the sitemap source's rule


def test_exact_and_near_duplicates_point_at_earlier_documents(e2e: E2E):
    with read_db(e2e.home) as con:
        rows = con.execute(
            "SELECT x.partition_date, x.status, x.duplicate_of, x.duplicate_of_date, o.partition_date, "
            "       (SELECT count(*) FROM dedup_decisions y WHERE y.doc_id = x.duplicate_of "
            "        AND y.status = 'fresh') "
            "FROM dedup_decisions x LEFT JOIN documents o ON o.doc_id = x.duplicate_of "
            "WHERE x.status <> 'fresh' ORDER BY ALL").fetchall()
    by_day = {}
    for day, status, dup_of, dup_date, original_day, original_fresh in rows:
        by_day.setdefault(day, set()).add(status)
        assert dup_of and original_day == dup_date, (day, status, dup_of)
        assert dup_date < day and dup_date in DAYS[:2]
        assert original_fresh == 1
    assert by_day.get(D1) is None
    assert by_day[D2] == {"exact_duplicate", "near_duplicate"}
    assert by_day[D3] == {"exact_duplicate", "near_duplicate"}


def test_quality_rejections_carry_reasons(e2e: E2E):
    with read_db(e2e.home) as con:
        reasons = {r[0] for r in con.execute("SELECT reason FROM quality_results WHERE NOT kept").fetchall()}
        kept_null = con.execute("SELECT count(*) FROM quality_results WHERE kept AND reason IS NOT NULL").fetchone()
    assert None not in reasons
    assert "url_blocklist:domain" in reasons, reasons
    assert any(r.startswith("bad_words:") for r in reasons), reasons
    assert any(r.startswith("gopher_") for r in reasons), reasons
    assert kept_null == (0,)


def test_quality_decisions_in_every_language(e2e: E2E):
    """The demo's German, Japanese and Hindi articles are kept and tagged with their language and script; the
    isiZulu notice, which the language model cannot place, is 'und'; the comments note printed under every
    article is removed once the source's earlier days have shown it to be boilerplate."""
    with read_db(e2e.home) as con:
        kept = {(r[0], r[1]) for r in con.execute(
            "SELECT language, script FROM quality_results WHERE kept").fetchall()}
        learned = con.execute(
            "SELECT partition_date, sum(stats['boilerplate.lines_removed_learned']) FROM quality_results "
            "GROUP BY 1 ORDER BY 1").fetchall()
        last_texts = [r[0] for r in con.execute(
            "SELECT t.text FROM quality_results q JOIN read_parquet(?) t USING (doc_id) "
            "WHERE q.kept AND q.partition_date = ? AND q.source = 'gazette-news'",
            [texts.path(con, DAYS[-1], "quality"), DAYS[-1]]).fetchall()]
    assert {("de", "Latn"), ("ja", "Jpan"), ("hi", "Deva"), ("und", "Latn")} <= kept, kept
    assert learned[0][1] == 0 and learned[-1][1] > 0, learned
    assert last_texts and not any(COMMENTS_NOTE in t for t in last_texts)


def test_snapshot_parquet_per_day_matches_manifest_hash(e2e: E2E):
    import pyarrow.parquet as pq

    with read_db(e2e.home) as con:
        for day in DAYS:
            path = Path(snapshot_path(e2e.home, day))
            assert path.is_file()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            hashes = {r[0] for r in con.execute("SELECT content_hash FROM snapshot_manifest "
                                                "WHERE snapshot_date = ?", [day]).fetchall()}
            assert hashes == {digest}, day
            kept = con.execute("SELECT count(*) FROM snapshot_documents WHERE snapshot_date = ?",
                               [day]).fetchone()[0]
            assert pq.read_metadata(path).num_rows == kept > 0


def _diff(before: list, after: list) -> str:
    only_before = [r for r in before if r not in after]
    only_after = [r for r in after if r not in before]
    return f"{len(before)} rows before, {len(after)} after\nonly before: {only_before}\nonly after: {only_after}"


def _rerun_transient_urls(e2e: E2E) -> set[str]:
    """Document URLs whose day-2 outcome was a transient failure: the fetcher retries those by design."""
    return {row[4] for row in e2e.before_rerun["fetch_log"]
            if row[1] == "fetch" and row[3] == "document" and row[6] == "failed" and row[7] in TRANSIENT_REASONS}


def test_rerun_of_day2_is_identical_row_for_row(e2e: E2E):
    assert e2e.rerun is not None and e2e.rerun.success, step_failures(e2e.rerun)
    checks = check_evaluations(e2e.rerun)
    assert all(checks[name][0] for name in BLOCKING_CHECKS), checks
    assert set(e2e.before_rerun) == set(PARTITION_TABLES)
    for table in PARTITION_TABLES:
        if table == "fetch_log":
            continue  # compared in test_rerun_of_day2_keeps_discovery_stage_rows
        before, after = e2e.before_rerun[table], e2e.after_rerun[table]
        assert before, table
        assert after == before, f"{table}: {_diff(before, after)}"


def test_rerun_of_day2_reuses_every_settled_fetch_log_row(e2e: E2E):
    """Every source fetch and every settled document outcome comes back byte-identical (fetched_at, WARC
    offsets and elapsed_s included: the re-run reuses the archived rows). Rows for transient failures and
    the fetch-stage robots.txt needed to retry them are new by design."""
    transient = _rerun_transient_urls(e2e)

    def settled(rows):
        return [r for r in rows if r[3] != "robots" and r[4] not in transient]

    before, after = settled(e2e.before_rerun["fetch_log"]), settled(e2e.after_rerun["fetch_log"])
    assert before and after == before, _diff(before, after)
    retried = [r for r in e2e.after_rerun["fetch_log"] if r[4] in transient]
    assert [(r[6], r[7]) for r in retried] == [("failed", "timeout")] * len(transient)


def test_rerun_of_day2_keeps_discovery_stage_rows(e2e: E2E):
    before = [r for r in e2e.before_rerun["fetch_log"] if r[1] == "discovery"]
    after = [r for r in e2e.after_rerun["fetch_log"] if r[1] == "discovery"]
    assert after == before, _diff(before, after)


def test_rerun_of_day2_fetches_no_settled_document_over_the_network(e2e: E2E):
    transient_paths = {urlsplit(u).path for u in _rerun_transient_urls(e2e)}
    document_requests = [p for p in _paths(e2e.rerun_requests) if p not in DISCOVERY_PATHS | {"/robots.txt"}]
    assert set(document_requests) <= transient_paths, document_requests
    assert transient_paths == {"/slow/page.html"}
    # sources are replayed from the day's archive, not fetched again
    assert not [p for p in _paths(e2e.rerun_requests) if p in DISCOVERY_PATHS]


def test_rerun_of_day2_keeps_the_parquet_hash(e2e: E2E):
    digest_before, manifest_before = e2e.hash_before
    digest_after, manifest_after = e2e.hash_after
    assert digest_before == manifest_before
    assert digest_after == manifest_after == digest_before


def test_robots_txt_requested_once_per_origin_per_day(e2e: E2E):
    # discovery rounds (feeds, sitemap index, child sitemaps) and the fetch stage share the day's answer
    for day in (D1, D2):
        assert _paths(e2e.requests[day]).count("/robots.txt") == 1, day


def test_snapshots_carry_stories_and_personas_and_export_prompts(e2e: E2E, tmp_path: Path, monkeypatch):
    """Every published document has a story and reader personas; `freshdata export --format synthesis-prompts`
    writes one prompt per document and persona with provenance, and --one-per-story one document per story."""
    import json

    from freshdata.cli import main
    from freshdata.reader import open_reader

    con = open_reader(e2e.home)
    try:
        rows = con.sql("SELECT doc_id, story_id, personas, semantic_duplicate_of FROM snapshots").fetchall()
    finally:
        con.close()
    assert rows and all(story for _, story, _, _ in rows)
    assert sum(bool(p) for _, _, p, _ in rows) >= 0.95 * len(rows)
    monkeypatch.setenv("FRESHDATA_HOME", str(e2e.home))
    prompts, one = tmp_path / "prompts.jsonl", tmp_path / "one.jsonl"
    assert main(["export", "--format", "synthesis-prompts", "--out", str(prompts)]) == 0
    lines = [json.loads(line) for line in prompts.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == sum(len(p or []) for _, _, p, _ in rows)
    first = lines[0]
    assert {"instruction", "persona", "source_text", "provenance"} <= set(first)
    assert first["persona"] in first["instruction"] and first["source_text"]
    assert first["provenance"]["doc_id"] in {r[0] for r in rows} and first["provenance"]["url"].startswith("http")
    assert main(["export", "--one-per-story", "--out", str(one)]) == 0
    exported = [json.loads(line) for line in one.read_text(encoding="utf-8").splitlines()]
    assert len(exported) == len({story for _, story, _, _ in rows})
    assert len({r["story_id"] for r in exported}) == len(exported)
