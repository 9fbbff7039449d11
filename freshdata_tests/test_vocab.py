"""The SQL in sql/ spells out the funnel states, fetch states and PII kinds: checked against freshdata.vocab."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from freshdata import schema, store
from freshdata.quality.pii import redact
from freshdata.snapshot import funnel_adds_up
from freshdata.vocab import FETCH_STATES, FINAL_STATES, FUNNEL_COLUMNS, FUNNEL_SPLITS, FUNNEL_STATES, PII_KINDS
from freshdata.vocab import final_states_under as under


def _statement(file: str, marker: str) -> str:
    """The one statement of sql/<file>.sql that contains marker."""
    [found] = [s.query for s in duckdb.extract_statements(store.load_sql(file)) if marker in s.query]
    return found


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE {relation}").fetchall()]


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory):
    connection = schema.connect(tmp_path_factory.mktemp("vocab"))
    yield connection
    connection.close()


def test_funnel_states_are_one_tree() -> None:
    assert sorted(FUNNEL_STATES) == sorted(FUNNEL_COLUMNS) and len(set(FUNNEL_STATES)) == len(FUNNEL_STATES)
    assert set(FETCH_STATES) < set(FUNNEL_SPLITS["new"])


def test_funnel_columns_match_the_view_the_table_and_the_export(con: duckdb.DuckDBPyConnection) -> None:
    expected = ["partition_date", *FUNNEL_COLUMNS]
    assert _columns(con, "day_funnel") == expected
    assert _columns(con, "funnel_days") == expected


def test_day_funnel_counts_exactly_the_final_states_below_each_state() -> None:
    """Run the view's own SQL over one URL per final state (one day each): a column counts the URL of day i
    exactly when that URL's final state is the column's own or below it in vocab.FUNNEL_SPLITS."""
    con = duckdb.connect()
    con.execute("CREATE TABLE url_funnel (partition_date DATE, final_state VARCHAR)")
    first = date(2026, 1, 1)
    days = {first + timedelta(days=i): state for i, state in enumerate(FINAL_STATES)}
    con.executemany("INSERT INTO url_funnel VALUES (?, ?)", list(days.items()))
    con.execute(_statement("create_views", "VIEW day_funnel"))
    names = _columns(con, "day_funnel")
    for row in con.execute("SELECT * FROM day_funnel ORDER BY partition_date").fetchall():
        counts = dict(zip(names, row, strict=True))
        state = days[counts.pop("partition_date")]
        expected = {c: int(c == "discovered" or state in under(c)) for c in FUNNEL_COLUMNS}
        assert counts == expected, state


def test_url_funnel_ends_only_in_final_states() -> None:
    case = _statement("create_views", "VIEW url_funnel")
    case = case[case.index("CASE"):case.index("AS final_state")]
    literals = set(re.findall(r"THEN '(\w+)'", case)) | set(re.findall(r"<> '(\w+)'", case))
    assert literals <= set(FINAL_STATES) | {"new"}
    # the states the tables store pass through unchanged: the schema comments name them
    crawl = store.load_sql("create_crawl")
    stored = {word for line in crawl.splitlines() if "state          VARCHAR" in line
              for word in re.findall(r"\w+", line.partition("--")[2])}
    assert stored == set(FETCH_STATES) | set(FUNNEL_SPLITS["discovered"]) | set(FUNNEL_SPLITS["fetched"])


def test_funnel_adds_up_names_the_broken_identity() -> None:
    funnel = {"discovered": 2, "new": 2, "fetched": 2, "extracted": 2, "fresh": 2, "kept": 2}
    assert funnel_adds_up(funnel, 2) == []
    broken = funnel_adds_up({**funnel, "kept": 1, "rejected": 0}, 1)
    assert broken == ["fresh = rejected + semantic_duplicate + kept: 2 != 1"]
    dropped = {**funnel, "kept": 1, "semantic_duplicate": 1}
    assert funnel_adds_up(dropped, 1) == []
    assert funnel_adds_up(dropped, 2) == ["kept = snapshot rows: 1 != 2"]


def test_pii_kinds_match_the_operator_and_the_tables(con: duckdb.DuckDBPyConnection) -> None:
    # the kinds the operator counts (its counters are keyed by kind name) are the vocabulary's, in its order
    text = ("Mail jane.doe@example.com, call +44 20 7946 0958, host 93.184.216.34, card 4111 1111 1111 1111, "
            "SSN 219-09-9999.")
    redacted, counts = redact(text)
    assert tuple(counts) == PII_KINDS and all(counts[k] == 1 for k in PII_KINDS), counts
    assert all(f"<{k.upper()}>" in redacted for k in PII_KINDS)
    for table in ("quality_results", "snapshot_documents"):
        assert [c for c in _columns(con, table) if c.startswith("pii_")] == [f"pii_{k}" for k in PII_KINDS]
    cursor = store.run(con, "select_day_pii", {"day": date(2026, 1, 1)})
    assert sorted(d[0] for d in cursor.description) == sorted([*PII_KINDS, "documents"])
    cursor.fetchall()



def test_the_readme_spells_out_every_split() -> None:
    """README's state block ("One vocabulary of states"): a line per split, naming each state it splits into."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("**One vocabulary of states.**"):]
    block = block[block.index("```") + 3:]
    lines = {line.split("→")[0].strip(): line.split("→")[1] for line in block[:block.index("```")].splitlines()
             if "→" in line}
    assert set(lines) == set(FUNNEL_SPLITS)
    for state, parts in FUNNEL_SPLITS.items():
        named = {re.match(r"\s*(\w+)", part).group(1) for part in lines[state].split("|")}
        assert named == set(parts), state
