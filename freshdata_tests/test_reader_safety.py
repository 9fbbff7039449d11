"""Readers cannot hurt the data home, for real: `freshdata query` and `freshdata export` against a home one
`freshdata run` of the demo site (loopback only) filled. Every attack of the issue "Safe for the people who
use it" is tried as written: COPY over a published Parquet file or anywhere else, reading /etc files,
DETACH/ATTACH/DROP chains, SET, a --where that closes the query, tampered snapshots, bad --out targets.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest

from freshdata import store
from freshdata.demo.site import DemoSite
from freshdata.durable import file_hash
from freshdata.export import export_mix
from freshdata.reader import Refused, open_reader, run_query
from freshdata.snapshot import published_state
from freshdata_tests.pipeline_helpers import REPO_ROOT
from freshdata_tests.test_crash_recovery import FRESHDATA, _env, run_cli, write_sources

pytestmark = pytest.mark.slow

D1 = date(2026, 5, 1)


@pytest.fixture(scope="module")
def site():
    with DemoSite(days=[D1]) as demo:
        demo.day = 1
        yield demo


@pytest.fixture(scope="module")
def home(site, tmp_path_factory) -> Path:
    """One `freshdata run` of D1, shared by every test; tests that change files work on a copy."""
    home = tmp_path_factory.mktemp("reader") / "home"
    sources = write_sources(home, site)
    result = run_cli(home, sources)
    assert result.returncode == 0, result.stderr[-3000:]
    return home


def cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([FRESHDATA, *args], env=_env(home, home / "sources.yaml"), cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)


def one_line(stderr: str, prefix: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith(prefix), stderr
    assert "Traceback" not in stderr
    return lines[0]


def fingerprint(home: Path) -> dict:
    """Every published file's hash, and the pipeline's tables: what no reader may change."""
    state = published_state(home)
    files = {e["path"]: file_hash(home / e["path"]) for e in state["snapshots"]}
    with duckdb.connect(str(store.db_path(home)), read_only=True) as con:
        tables = sorted(con.execute("SELECT table_name, estimated_size FROM duckdb_tables()").fetchall())
    return {"files": files, "tables": tables, "published": (home / "exports" / "published.json").read_text()}


def copy_home(home: Path, tmp_path: Path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(home, target, ignore=shutil.ignore_patterns("dagster"))
    return target


def snapshot_file(home: Path) -> Path:
    (entry,) = published_state(home)["snapshots"]
    return home / entry["path"]


def statements(home: Path, tmp_path: Path) -> list[str]:
    part = snapshot_file(home)
    db = store.db_path(home)
    return [
        f"COPY (SELECT 1 AS x) TO '{part}'",
        f"COPY (SELECT 1 AS x) TO '{tmp_path / 'anywhere.csv'}'",
        f"DETACH pipeline; ATTACH '{db}' AS w; DROP TABLE w.documents",
        f"ATTACH '{db}' AS w",
        "DETACH pipeline",
        "SET enable_external_access = true",
        f"SET allowed_paths = ['/etc/passwd', '{db}']",
        "RESET lock_configuration",
        "PRAGMA enable_profiling",
        "INSTALL httpfs",
        "LOAD httpfs",
        f"EXPORT DATABASE '{tmp_path / 'dump'}'",
        "CREATE TABLE t AS SELECT 1",
        "CALL pragma_version()",
        "SELECT 1; SELECT 2",
        f"SELECT 1; COPY (SELECT 1) TO '{tmp_path / 'chained.csv'}'",
    ]


def test_query_runs_only_one_select(home, tmp_path, capsys):
    before = fingerprint(home)
    for sql in statements(home, tmp_path):
        assert run_query(home, sql) == 1, sql
        err = capsys.readouterr().err
        one_line(err, "freshdata query: refused: ")
    assert fingerprint(home) == before
    assert list(tmp_path.iterdir()) == []
    assert run_query(home, "SELECT count(*) AS n FROM snapshots", "json") == 0
    assert json.loads(capsys.readouterr().out)["n"] > 5
    assert run_query(home, "SELECT count(*) AS n FROM documents", "json") == 0  # pipeline tables still answer
    assert json.loads(capsys.readouterr().out)["n"] > 5


def test_query_reads_nothing_outside_the_published_files(home, tmp_path, capsys):
    (tmp_path / "secret.txt").write_text("secret")
    for sql in ["SELECT * FROM read_text('/etc/passwd')", "SELECT * FROM read_csv('/etc/hostname')",
                "SELECT * FROM glob('/etc/*')", f"SELECT * FROM read_text('{tmp_path / 'secret.txt'}')",
                f"SELECT * FROM read_text('{snapshot_file(home).parent}/../../../../../../etc/passwd')",
                f"SELECT * FROM read_blob('{store.db_path(home)}')",
                f"SELECT * FROM read_text('{home / 'sources.yaml'}')",
                "SELECT * FROM read_parquet('http://127.0.0.1:9/x.parquet')"]:
        assert run_query(home, sql) == 1, sql
        captured = capsys.readouterr()
        line = one_line(captured.err, "freshdata query: refused: ")
        assert "disabled by configuration" in line, line
        assert "root:" not in captured.out and "secret" not in captured.out


def test_the_cli_says_refused_in_one_line_and_exits_1(home):
    before = fingerprint(home)
    part = snapshot_file(home)
    result = cli(home, "query", f"COPY (SELECT 1 AS x) TO '{part}'")
    assert result.returncode == 1
    assert "only a SELECT" in one_line(result.stderr, "freshdata query: refused: ")
    result = cli(home, "query", "SELECT * FROM read_text('/etc/passwd')")
    assert result.returncode == 1 and "root:" not in result.stdout
    one_line(result.stderr, "freshdata query: refused: ")
    assert fingerprint(home) == before


def test_the_reader_connection_itself_cannot_write_read_or_unlock(home, tmp_path):
    """Below the one-SELECT rule: DuckDB's own settings refuse files, COPY targets and configuration changes."""
    part = snapshot_file(home)
    before = fingerprint(home)
    con = open_reader(home, attach_pipeline=True)
    try:
        assert con.execute("SELECT count(*) FROM documents").fetchall()[0][0] > 5
        for sql in [f"COPY (SELECT 1 AS x) TO '{part}'", f"COPY (SELECT 1 AS x) TO '{tmp_path / 'x.csv'}'",
                    "SELECT * FROM read_text('/etc/passwd')", f"SELECT * FROM read_text('{home / 'sources.yaml'}')",
                    f"ATTACH '{tmp_path / 'new.duckdb'}' AS n"]:
            with pytest.raises(duckdb.PermissionException):
                con.execute(sql).fetchall()
        for sql in ["SET enable_external_access = true", "SET allowed_paths = ['/etc/passwd']",
                    "SET lock_configuration = false", "RESET lock_configuration"]:
            with pytest.raises(duckdb.Error, match="locked|Cannot change"):
                con.execute(sql)
    finally:
        con.close()
    assert fingerprint(home) == before
    assert list(tmp_path.iterdir()) == []


def test_export_where_is_one_filter_expression(home, tmp_path):
    attack = ("true) UNION ALL SELECT NULL, NULL, NULL, content, NULL FROM read_text('/etc/hostname') "
              "WHERE (true")
    out = tmp_path / "mix.jsonl"
    result = cli(home, "export", "--where", attack, "--out", str(out))
    assert result.returncode == 1
    assert "--where must be one SQL expression" in one_line(result.stderr, "freshdata export: refused: ")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(Refused):  # a second statement is no expression either
        export_mix(home, date(1970, 1, 1), date(9999, 1, 1), "true; DROP TABLE snapshots", "jsonl", out,
                   progress=False)
    assert list(tmp_path.iterdir()) == []

    where = "language = 'en' AND quality_score > 0.5"
    result = cli(home, "export", "--where", where, "--out", str(out))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    con = open_reader(home)
    expected = con.execute(f"SELECT count(*) FROM snapshots WHERE {where}").fetchall()[0][0]
    con.close()
    assert len(rows) == expected > 0
    assert all(r["language"] == "en" and r["quality_score"] > 0.5 for r in rows)

    sampled = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    for path in sampled:
        n = export_mix(home, D1, D1, where, "jsonl", path, per_source=1, progress=False)
        assert 0 < n <= len({r["source"] for r in rows})
    assert sampled[0].read_bytes() == sampled[1].read_bytes()
    sample = [json.loads(line) for line in sampled[0].read_text().splitlines()]
    keys = [(r["snapshot_date"], r["source"], r["doc_id"]) for r in sample]
    assert keys == sorted(keys)


@pytest.mark.parametrize("target", ["/proc/x", "directory", "read-only"])
def test_export_to_a_bad_out_is_one_line_and_leaves_nothing(home, tmp_path, target):
    if target == "directory":
        out = tmp_path / "existing"
        out.mkdir()
    elif target == "read-only":
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only directories")
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o555)
        out = folder / "mix.jsonl"
    else:
        out = Path(target)
    result = cli(home, "export", "--out", str(out))
    assert result.returncode == 1
    assert "cannot write" in one_line(result.stderr, "freshdata export: refused: ")
    stray = [p for p in tmp_path.rglob("*") if ".tmp" in p.name]
    assert stray == []


def test_an_export_failing_midway_leaves_no_temp_file(home, tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    def full_disk(self, batch, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq.ParquetWriter, "write_batch", full_disk)
    out = tmp_path / "mix.parquet"
    with pytest.raises(Refused, match="cannot write .*No space left on device"):
        export_mix(home, date(1970, 1, 1), date(9999, 1, 1), "true", "parquet", out, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_an_empty_home_says_nothing_is_published(tmp_path):
    home = tmp_path / "empty"
    home.mkdir()
    (home / "sources.yaml").write_text("sources: []\n")
    result = cli(home, "query", "select * from snapshots")
    assert result.returncode == 1
    line = one_line(result.stderr, "freshdata query: nothing is published yet")
    assert "pg_class" not in line
    result = cli(home, "export", "--out", str(tmp_path / "x.jsonl"))
    assert result.returncode == 1
    one_line(result.stderr, "freshdata export: refused: nothing is published yet")


def test_a_tampered_snapshot_is_refused_naming_its_day(home, tmp_path, capsys):
    copy = copy_home(home, tmp_path)
    part = snapshot_file(copy)
    stat = part.stat()
    os.utime(part, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # touched, same content: still fine
    assert run_query(copy, "SELECT count(*) FROM snapshots", "csv") == 0
    capsys.readouterr()

    with duckdb.connect() as con:  # a different but valid Parquet file in its place
        con.execute(f"COPY (SELECT * FROM read_parquet('{part}') LIMIT 1) TO '{tmp_path / 'other.parquet'}'")
    os.replace(tmp_path / "other.parquet", part)
    assert run_query(copy, "SELECT count(*) FROM snapshots") == 1
    line = one_line(capsys.readouterr().err, "freshdata query: refused: ")
    assert re.search(rf"snapshot {D1} no longer matches its manifest \(sha256 .*\); re-run the day", line), line
    result = cli(copy, "export", "--out", str(tmp_path / "mix.jsonl"))
    assert result.returncode == 1
    assert f"snapshot {D1} no longer matches its manifest" in one_line(result.stderr, "freshdata export: refused: ")
    assert not (tmp_path / "mix.jsonl").exists()

    part.unlink()
    assert run_query(copy, "SELECT 1") == 1
    assert f"snapshot {D1} no longer matches its manifest" in capsys.readouterr().err


def test_published_json_records_size_and_mtime_and_the_check_passed(home):
    (entry,) = published_state(home)["snapshots"]
    stat = (home / entry["path"]).stat()
    assert (entry["size"], entry["mtime_ns"]) == (stat.st_size, stat.st_mtime_ns)
    assert file_hash(home / entry["path"]) == entry["content_hash"]
    evaluations = []
    for db in (home / "dagster" / "history" / "runs").glob("*-*.db"):
        with contextlib.closing(sqlite3.connect(db)) as con:
            evaluations += [e for (e,) in con.execute(
                "SELECT event FROM event_logs WHERE dagster_event_type = 'ASSET_CHECK_EVALUATION' "
                "AND event LIKE '%published_file_matches_manifest%'")]
    assert evaluations and all(f"snapshot {D1} matches its manifest" in e for e in evaluations)


def test_stats_lists_every_day_that_ran(home, tmp_path):
    copy = copy_home(home, tmp_path)
    empty_day = date(2026, 4, 30)  # a day whose only trace is a feed fetch that failed: no funnel row
    with duckdb.connect(str(store.db_path(copy))) as con:
        con.execute("INSERT INTO fetch_log (partition_date, stage, source, kind, url, state, reason, fetched_at) "
                    "VALUES (?, 'discovery', 'gazette-news', 'feed', 'http://127.0.0.1:9/feed', 'failed', "
                    "'connect_error', now())", [empty_day])
    result = cli(copy, "stats")
    assert result.returncode == 0, result.stderr
    header = next(line for line in result.stdout.splitlines() if "partition_date" in line)
    for column in ("discovered", "fetched", "failed", "extracted", "kept"):
        assert column in header
    days = re.findall(r"│ (\d{4}-\d\d-\d\d) +│([^\n]*)", result.stdout.split("Freshness")[0])
    assert [d for d, _ in days] == [str(empty_day), str(D1)]
    assert set(re.findall(r"\d+", days[0][1])) == {"0"}


def test_stats_of_one_day_and_export_by_dates(home, tmp_path):
    """`stats --date` shows that day alone; `export --from/--to` picks days (none outside what ran) and writes
    Parquet with the same rows as JSONL; a malformed day is argparse's one-line error, exit 2."""
    result = cli(home, "stats", "--date", str(D1))
    assert result.returncode == 0, result.stderr
    assert re.findall(r"│ (\d{4}-\d\d-\d\d) +│", result.stdout.split("Freshness")[0]) == [str(D1)]

    jsonl, parquet, none = tmp_path / "d1.jsonl", tmp_path / "d1.parquet", tmp_path / "none.jsonl"
    assert cli(home, "export", "--from", str(D1), "--to", str(D1), "--out", str(jsonl)).returncode == 0
    result = cli(home, "export", "--from", str(D1), "--to", str(D1), "--format", "parquet", "--out", str(parquet))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert rows and duckdb.sql(f"SELECT count(*) FROM '{parquet}'").fetchall()[0][0] == len(rows)
    result = cli(home, "export", "--from", "2026-05-02", "--out", str(none))
    assert result.returncode == 0 and "wrote 0 documents" in result.stdout and none.read_text() == ""

    result = cli(home, "export", "--from", "May 1", "--out", str(none))
    assert result.returncode == 2 and "not a day YYYY-MM-DD: 'May 1'" in result.stderr
