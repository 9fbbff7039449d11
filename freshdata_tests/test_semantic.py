"""freshdata.semantic without Dagster: vectors, decisions across days through the persisted index, the same
decisions whatever the run history (day by day, a re-run of an earlier day, a rebuild from the catalog), the
story window, personas and synthesis prompts. Texts: freshdata_tests/data/semantic_stories.yaml (written
for these tests)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
import yaml

from freshdata.semantic.config import SemanticConfig
from freshdata.semantic.core import Decision, Earlier, decide_day
from freshdata.semantic.index import INDEX_FILE, HistoryIndex, key_day, keys_for
from freshdata.semantic.personas import load_personas, persona_tagger
from freshdata.semantic.vectors import DIM, MEANING_DIMS, cosine_i8, quantize, vectorizer

DATA = yaml.safe_load((Path(__file__).parent / "data" / "semantic_stories.yaml").read_text(encoding="utf-8"))
STORIES = DATA["stories"]
UNRELATED = DATA["unrelated"]
D1 = date(2026, 5, 1)
CFG = SemanticConfig()


class Catalog:
    """What the catalog keeps per day for the stage (semantic_documents): keys, vectors, decisions."""

    def __init__(self) -> None:
        self.days: dict[date, tuple[np.ndarray, np.ndarray, list[Decision]]] = {}

    def lookup(self, keys: list[int]) -> dict[int, Earlier]:
        out = {}
        for k in keys:
            for d in self.days.get(key_day(k), (None, None, []))[2]:
                if d.vector_key == k:
                    out[k] = Earlier(d.doc_id, d.story_id)
        return out

    def run_day(self, folder: Path, day: date, docs: list[tuple[str, str]], cfg: SemanticConfig = CFG
                ) -> list[Decision]:
        """As semantic.day.semantic_day does: prepare the index from earlier days, decide, store, save."""
        self.days.pop(day, None)
        codes = quantize(np.array([vectorizer().vectors(t)[0] for _, t in docs]).reshape(-1, DIM))
        index = HistoryIndex(folder, cfg.index_params())
        earlier = sorted(d for d, v in self.days.items() if d < day and len(v[0]))
        index.prepare(day, earlier, lambda d: self.days[d][:2])
        decisions = decide_day(day, [i for i, _ in docs], codes, index, self.lookup, cfg)
        self.days[day] = (keys_for(day, len(docs)), codes, decisions)
        index.save()
        return decisions


def three_days() -> dict[date, list[tuple[str, str]]]:
    """Originals on day 1 with two unrelated texts; rewrites on days 2 and 3 with the other unrelated ones."""
    return {
        D1: [("tram-0", STORIES["tram"][0]), ("catalyst-0", STORIES["catalyst"][0]), ("bus", UNRELATED[0]),
             ("soup", UNRELATED[2])],
        D1 + timedelta(days=1): [("tram-1", STORIES["tram"][1]), ("cycle", UNRELATED[1]),
                                 ("derby-0", STORIES["derby"][0])],
        D1 + timedelta(days=2): [("catalyst-1", STORIES["catalyst"][1]), ("derby-1", STORIES["derby"][1]),
                                 ("lumen", UNRELATED[3])],
    }


def by_id(decisions: list[Decision]) -> dict[str, Decision]:
    return {d.doc_id: d for d in decisions}


def test_vectors_are_unit_deterministic_and_see_rewrites() -> None:
    v = vectorizer()
    a, _ = v.vectors(STORIES["tram"][0])
    assert a.shape == (DIM,) and abs(float(a @ a) - 1) < 1e-5
    assert np.array_equal(a, v.vectors(STORIES["tram"][0])[0])
    rewrite, other = v.vectors(STORIES["tram"][1])[0], v.vectors(UNRELATED[0])[0]  # the bus: same topic
    assert float(a @ rewrite) >= max(CFG.duplicate_threshold, CFG.story_threshold)
    assert min(CFG.duplicate_threshold, CFG.story_threshold) > float(a @ other)


def test_a_text_the_embedder_cannot_read_is_compared_by_its_words_alone() -> None:
    text = "ሰላም ለዓለም ይሁን። ዛሬ በአዲስ አበባ ከተማ ትልቅ ስብሰባ ተካሄደ። " * 5  # Ethiopic: <unk> pieces to mUSE
    doc, meaning = vectorizer().vectors(text)
    assert meaning is None
    assert not doc[:MEANING_DIMS].any() and abs(float(doc @ doc) - 1) < 1e-5
    assert vectorizer().vectors("")[0].any() is np.False_  # empty text: a zero vector, never a NaN


def test_rewrites_are_duplicates_of_the_original_and_join_its_story(tmp_path: Path) -> None:
    catalog = Catalog()
    out = {}
    for day, docs in three_days().items():
        out.update(by_id(catalog.run_day(tmp_path, day, docs)))
    for name in ("tram", "catalyst"):
        rewrite, original = out[f"{name}-1"], out[f"{name}-0"]
        assert rewrite.semantic_duplicate_of == original.doc_id, rewrite
        assert rewrite.semantic_similarity >= CFG.duplicate_threshold
        assert rewrite.story_id == original.story_id == original.doc_id
    assert out["derby-1"].semantic_duplicate_of == "derby-0" and out["derby-1"].story_id == "derby-0"
    for doc_id in ("bus", "soup", "cycle", "lumen", "tram-0", "catalyst-0", "derby-0"):
        assert out[doc_id].semantic_duplicate_of is None, out[doc_id]
        assert out[doc_id].story_id == doc_id and out[doc_id].story_similarity is None


def test_a_rewrite_later_the_same_day_is_caught_within_the_day(tmp_path: Path) -> None:
    docs = [("derby-0", STORIES["derby"][0]), ("soup", UNRELATED[2]), ("derby-1", STORIES["derby"][1])]
    out = by_id(Catalog().run_day(tmp_path, D1, docs))
    assert out["derby-1"].semantic_duplicate_of == "derby-0" and out["derby-1"].story_id == "derby-0"
    assert out["derby-0"].semantic_duplicate_of is None  # the earlier one in the day's order is the original


def test_rerunning_an_earlier_day_and_a_backfill_give_the_day_by_day_decisions(tmp_path: Path) -> None:
    days = three_days()
    catalog = Catalog()
    first = {day: catalog.run_day(tmp_path / "a", day, docs) for day, docs in days.items()}
    index_bytes = (tmp_path / "a" / INDEX_FILE).read_bytes()
    # re-run day 2 after day 3 exists: the index holds days 1-3, so it is rebuilt from days < 2
    again = catalog.run_day(tmp_path / "a", D1 + timedelta(days=1), days[D1 + timedelta(days=1)])
    assert again == first[D1 + timedelta(days=1)]
    assert catalog.run_day(tmp_path / "a", D1 + timedelta(days=2), days[D1 + timedelta(days=2)]) == first[
        D1 + timedelta(days=2)]
    assert (tmp_path / "a" / INDEX_FILE).read_bytes() == index_bytes  # the same graph, byte for byte
    # the index file lost: day 3 re-run rebuilds it from the catalog's vectors of days 1 and 2
    (tmp_path / "a" / INDEX_FILE).unlink()
    assert catalog.run_day(tmp_path / "a", D1 + timedelta(days=2), days[D1 + timedelta(days=2)]) == first[
        D1 + timedelta(days=2)]
    assert (tmp_path / "a" / INDEX_FILE).read_bytes() == index_bytes
    # a second home deciding the same days in one go (a backfill) agrees row for row
    other = Catalog()
    assert {day: other.run_day(tmp_path / "b", day, docs) for day, docs in days.items()} == first


def _clustered_days(n_days: int = 6, per_day: int = 150, seed: int = 3) -> list[tuple[date, np.ndarray]]:
    """Synthetic int8 vectors in clusters (many stories), a day's worth at a time."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, DIM)) * 1.2
    days = []
    for i in range(n_days):
        x = centres[rng.integers(0, len(centres), per_day)] + rng.standard_normal((per_day, DIM))
        days.append((D1 + timedelta(days=i), quantize(x / np.linalg.norm(x, axis=1, keepdims=True))))
    return days


def test_the_index_retrains_the_same_way_whatever_the_run_history(tmp_path: Path, monkeypatch) -> None:
    """Small lists so the centroids are trained and retrained within a few days: day-by-day runs (saved and
    loaded between days, each day added in decide_day's chunks) and a rebuild from the stored vectors give the
    same file byte for byte and the same neighbours; the neighbours are the exact ones when every list is
    scanned."""
    from freshdata.semantic import index as index_module

    monkeypatch.setattr(index_module, "LIST_SIZE", 16)
    monkeypatch.setattr(index_module, "PROBES", 4)
    days = _clustered_days()
    stored = {day: (keys_for(day, len(codes)), codes) for day, codes in days}
    queries = _clustered_days(1, 64, seed=4)[0][1]
    for day, codes in days:  # day by day, as semantic_day runs
        index = HistoryIndex(tmp_path / "a", CFG.index_params())
        index.prepare(day, sorted(d for d in stored if d < day), stored.get)
        assert not index.rebuilt
        for start in range(0, len(codes), 64):
            index.add(day, stored[day][0][start:start + 64], codes[start:start + 64])
        index.save()
    assert len(index.centroids) > 1 and index.trained_at > 2 * index_module.LIST_SIZE  # retrained at least once
    rebuilt = HistoryIndex(tmp_path / "b", CFG.index_params())
    rebuilt.prepare(D1 + timedelta(days=len(days)), sorted(stored), stored.get)
    rebuilt.save()
    assert (tmp_path / "a" / INDEX_FILE).read_bytes() == (tmp_path / "b" / INDEX_FILE).read_bytes()
    loaded = HistoryIndex(tmp_path / "a", CFG.index_params())
    loaded.load()
    first = index.search(queries, 8)
    for other in (rebuilt, loaded):
        found = other.search(queries, 8)
        assert np.array_equal(found[0], first[0]) and np.array_equal(found[1], first[1])
    # every list scanned: the exact nearest neighbours, cosines as cosine_i8 gives them
    monkeypatch.setattr(index_module, "PROBES", len(index.centroids))
    index._ivf.nprobe = len(index.centroids)
    keys, sims = index.search(queries, 3)
    all_keys = np.concatenate([k for k, _ in stored.values()])
    exact = cosine_i8(queries, np.concatenate([c for _, c in stored.values()]))
    best = np.argsort(-exact, axis=1, kind="stable")[:, :3]
    assert np.array_equal(keys, all_keys[best])
    assert np.array_equal(sims, np.take_along_axis(exact, best, 1))


def test_an_index_of_another_format_is_rebuilt(tmp_path: Path) -> None:
    days = _clustered_days(2, 20)
    stored = {day: (keys_for(day, len(codes)), codes) for day, codes in days}
    index = HistoryIndex(tmp_path, CFG.index_params())
    index.prepare(days[1][0], [days[0][0]], stored.get)
    index.save()
    meta = tmp_path / "index.json"
    meta.write_text(meta.read_text().replace('"index_format": "', '"index_format": "old-'))
    again = HistoryIndex(tmp_path, CFG.index_params())
    again.load()
    assert len(again) == 0 and again.days == []  # not read: built anew from the stored vectors
    again.prepare(days[1][0], [days[0][0]], stored.get)
    assert len(again) == 20 and again.days == [days[0][0]]


def test_a_story_is_joined_only_within_its_window(tmp_path: Path) -> None:
    catalog = Catalog()
    cfg = SemanticConfig(story_window_days=3)
    catalog.run_day(tmp_path, D1, [("tram-0", STORIES["tram"][0])], cfg)
    late = by_id(catalog.run_day(tmp_path, D1 + timedelta(days=5), [("tram-1", STORIES["tram"][1])], cfg))
    assert late["tram-1"].semantic_duplicate_of == "tram-0"  # duplicates look at all history …
    assert late["tram-1"].story_id == "tram-1"  # … stories only at the window


def test_persona_list_and_tags() -> None:
    personas = load_personas()
    assert 40 <= len(personas) <= 100 and len({p.id for p in personas}) == len(personas)
    tagger = persona_tagger()
    tags = tagger.tag(vectorizer().meaning(STORIES["catalyst"][0]), 3)
    assert len(tags) == 3 and len(set(tags)) == 3
    assert set(tags) & {"high_school_chemistry_teacher", "physicist", "energy_engineer", "biology_researcher",
                        "startup_founder", "climate_scientist"}, tags
    assert "football_fan" in tagger.tag(vectorizer().meaning(STORIES["derby"][0]), 3)
    assert tagger.tag(None, 3) == []  # nothing readable, no title or URL words
    assert tagger.tag(None, 2, title="City council approves tram line to the harbour") != []


def test_persona_words_count_whole_words_in_any_case_capped() -> None:
    tagger = persona_tagger()
    i = [p.id for p in tagger.personas].index("firefighter")
    assert tagger.word_hits("FEUERWEHR")[i] == 1
    assert tagger.word_hits("Feuerwehrhaus Feuerwehrmann")[i] == 0  # whole words only
    assert tagger.word_hits("Feuerwehr Brand Einsatz Rettung pompiers bomberos")[i] == 3  # capped
    assert not tagger.word_hits("").any()


def test_persona_words_and_title_pull_a_non_english_text_to_its_reader() -> None:
    """Static vectors of a German text drift from English keywords; its words and title name the reader."""
    text = ("Am Samstag übten die Kameradinnen und Kameraden der Freiwilligen Feuerwehr gemeinsam mit dem "
            "Rettungsdienst. Nach der Alarmierung rückten drei Fahrzeuge aus, der Brand im Dachstuhl war nach "
            "zwanzig Minuten gelöscht, und der Einsatzleiter lobte die Zusammenarbeit. ") * 3
    tags = persona_tagger().tag(vectorizer().meaning(text), 3, title="Feuerwehr übt den Ernstfall",
                                url="https://ff-beispiel.de/aktuelles/feuerwehr-uebung", text=text)
    assert tags[0] == "firefighter", tags


def test_a_title_in_an_uncovered_script_falls_back_to_the_url_words() -> None:
    tagger = persona_tagger()
    burmese = "\u1014\u102d\u102f\u1004\u103a\u1004\u1036\u1010\u1031\u102c\u103a " * 5
    assert tagger.tag(None, 2, title=burmese) == []
    assert tagger.tag(None, 2, title=burmese, url="https://example.org/news/football-club-wins-the-league-cup")


def test_a_bad_persona_line_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "personas.tsv"
    bad.write_text("# comment\nchemist\ta chemist\tmolecules\tHealth\nno_tabs here\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"personas.tsv:3: a persona line is id<TAB>description<TAB>keywords"):
        load_personas(bad)
    bad.write_text("chemist\ta chemist\tmolecules\tChemistry\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"personas.tsv:1: unknown topics \['Chemistry'\]"):
        load_personas(bad)


def test_synthesis_prompts_pair_each_persona_with_the_text_and_its_provenance() -> None:
    from freshdata.semantic.prompts import MAX_SOURCE_CHARS, synthesis_prompts

    describe = {p.id: p.description for p in load_personas()}
    row = {"doc_id": "d1", "text": STORIES["catalyst"][0] * 40, "personas": ["physicist", "farmer"],
           "url": "https://example.org/a", "source": "s", "snapshot_date": D1, "story_id": "d0"}
    prompts = list(synthesis_prompts([row, {**row, "doc_id": "d2", "personas": []}], describe))
    assert [p["persona_id"] for p in prompts] == ["physicist", "farmer"]  # d2 has no persona: no prompt
    assert prompts[0]["persona"] == "a physicist" and "a physicist" in prompts[0]["instruction"]
    assert len(prompts[0]["source_text"]) <= MAX_SOURCE_CHARS and prompts[0]["provenance"]["source_text_truncated"]
    assert prompts[0]["provenance"] | {"doc_id": "d1", "story_id": "d0", "snapshot_date": "2026-05-01"} == prompts[
        0]["provenance"]
    assert list(synthesis_prompts([row], describe)) == prompts  # the same export gives the same prompts
