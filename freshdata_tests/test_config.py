"""The sources file: a valid file loads; every error names the file, the source and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from freshdata.config import ConfigError, load_sources, parse_sources

VALID = """\
crawl:
  per_host_delay_s: 0.5
  private_hosts_allowed: ["127.0.0.1:8080", "[::1]:8443", "intranet.local:80"]
recipe: recipes/quality.yaml
sources:
  - name: news
    kind: feed
    url: https://example.com/feed.xml
    max_documents_per_run: 50
    include: ['/20\\d\\d/']
    exclude: ['/tag/']
    tags: {lang: en, topic: news}
  - name: docs.site
    kind: sitemap
    url: https://docs.example.org/sitemap.xml
  - name: seed_1
    kind: page
    url: http://example.net/
"""

ONE_SOURCE = "sources:\n  - {name: a, kind: feed, url: 'https://ex.com/f'}\n"


def _write(tmp_path: Path, text: str, name: str = "sources.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, text: str) -> str:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_sources(path)
    message = str(info.value)
    assert str(path) in message  # every error names the file
    return message


def test_valid_file(tmp_path: Path) -> None:
    cfg = load_sources(_write(tmp_path, VALID))
    assert [s.name for s in cfg.sources] == ["news", "docs.site", "seed_1"]
    assert [s.kind for s in cfg.sources] == ["feed", "sitemap", "page"]
    assert cfg.crawl.per_host_delay_s == 0.5
    assert cfg.crawl.per_host_concurrency == 2  # default kept
    assert cfg.crawl.private_hosts_allowed == ["127.0.0.1:8080", "[::1]:8443", "intranet.local:80"]
    news = cfg.source("news")
    assert news.max_documents_per_run == 50
    assert news.tags == {"lang": "en", "topic": "news"}
    assert news.admits("https://example.com/2024/01/x")
    assert not news.admits("https://example.com/2024/tag/x")
    assert not news.admits("https://example.com/about")
    assert cfg.source("docs.site").admits("https://docs.example.org/anything")


def test_relative_recipe_resolved_against_file_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    path = _write(folder, VALID)
    monkeypatch.chdir(tmp_path)  # the working directory must not matter
    cfg = load_sources(Path("conf") / "sources.yaml")
    assert cfg.recipe == str((folder / "recipes" / "quality.yaml").resolve())
    assert Path(cfg.recipe).is_absolute()
    assert load_sources(path).recipe == cfg.recipe


def test_absolute_recipe_kept(tmp_path: Path) -> None:
    recipe = tmp_path / "elsewhere" / "r.yaml"
    cfg = load_sources(_write(tmp_path, ONE_SOURCE + f"recipe: {recipe}\n"))
    assert cfg.recipe == str(recipe)


def test_no_recipe_is_none(tmp_path: Path) -> None:
    assert load_sources(_write(tmp_path, ONE_SOURCE)).recipe is None


@pytest.mark.parametrize(
    ("text", "source", "field", "words"),
    [
        ("sources:\n  - {name: a, kind: rss, url: 'https://ex.com/f'}\n", "a", "kind", "feed"),
        ("sources:\n  - {name: a, kind: feed, url: 'ftp://ex.com/f'}\n", "a", "url", "ftp://ex.com/f"),
        ("sources:\n  - {name: a, kind: feed, url: 'example.com/f'}\n", "a", "url", "absolute"),
        ("sources:\n  - {name: a, kind: feed, url: 'https://ex.com/f', include: ['(']}\n", "a", "include", "regex"),
        ("sources:\n  - {name: ok, kind: feed, url: 'https://ex.com/f'}\n"
         "  - {name: b, kind: feed, url: 'https://ex.com/g', exclude: ['[a-']}\n", "b", "exclude", "regex"),
        ("sources:\n  - {name: a, kind: feed, url: 'https://ex.com/f', colour: red}\n", "a", "colour", "Extra"),
        ("sources:\n  - {name: a, kind: feed, url: 'https://ex.com/f', max_documents_per_run: 0}\n", "a",
         "max_documents_per_run", "greater"),
        ("sources:\n  - {name: 'bad name!', kind: feed, url: 'https://ex.com/f'}\n", "bad name!", "name", "pattern"),
    ],
)
def test_source_errors_name_source_and_field(tmp_path: Path, text: str, source: str, field: str, words: str) -> None:
    message = _error(tmp_path, text)
    assert f'source "{source}"' in message
    assert f'field "{field}"' in message
    assert words in message


def test_unnamed_source_is_numbered(tmp_path: Path) -> None:
    message = _error(tmp_path, "sources:\n  - {name: a, kind: feed, url: 'https://ex.com/f'}\n"
                               "  - {kind: feed, url: 'https://ex.com/g'}\n")
    assert 'source "#2"' in message and 'field "name"' in message


def test_duplicate_names(tmp_path: Path) -> None:
    message = _error(tmp_path, "sources:\n  - {name: dup, kind: feed, url: 'https://ex.com/f'}\n"
                               "  - {name: dup, kind: page, url: 'https://ex.com/g'}\n")
    assert "'dup'" in message and "twice" in message


def test_duplicate_names_name_the_field(tmp_path: Path) -> None:
    message = _error(tmp_path, "sources:\n  - {name: dup, kind: feed, url: 'https://ex.com/f'}\n"
                               "  - {name: dup, kind: page, url: 'https://ex.com/g'}\n")
    assert "(top level)" not in message
    assert "name" in message.replace("source name", "")


@pytest.mark.parametrize("entry", ["127.0.0.1", "127.0.0.1:", "http://127.0.0.1:80", "::1:80", "host:port",
                                   "127.0.0.1:123456", "a b:80"])
def test_private_hosts_allowed_format(tmp_path: Path, entry: str) -> None:
    message = _error(tmp_path, f"crawl:\n  private_hosts_allowed: [{entry!r}]\n" + ONE_SOURCE)
    assert 'field "crawl.private_hosts_allowed"' in message
    assert "host:port" in message


def test_unknown_crawl_key(tmp_path: Path) -> None:
    message = _error(tmp_path, "crawl:\n  per_host_dlay_s: 1\n" + ONE_SOURCE)
    assert 'field "crawl.per_host_dlay_s"' in message


def test_unknown_top_level_key(tmp_path: Path) -> None:
    message = _error(tmp_path, "srcs: []\n" + ONE_SOURCE)
    assert 'field "srcs"' in message


def test_bad_crawl_value(tmp_path: Path) -> None:
    message = _error(tmp_path, "crawl:\n  per_host_concurrency: 0\n" + ONE_SOURCE)
    assert 'field "crawl.per_host_concurrency"' in message


def test_several_errors_reported_together(tmp_path: Path) -> None:
    message = _error(tmp_path, "sources:\n  - {name: a, kind: rss, url: 'ftp://x'}\n")
    assert 'field "kind"' in message and 'field "url"' in message


@pytest.mark.parametrize("text", ["sources: []\n", "crawl: {}\n"])
def test_no_sources(tmp_path: Path, text: str) -> None:
    assert 'field "sources"' in _error(tmp_path, text)


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just a string\n"])
def test_not_a_mapping(tmp_path: Path, text: str) -> None:
    assert "mapping" in _error(tmp_path, text)


def test_yaml_syntax_error(tmp_path: Path) -> None:
    message = _error(tmp_path, "sources: [\n  {name: a, kind: feed\n")
    assert "not valid YAML" in message


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        load_sources(missing)
    assert str(missing) in str(info.value)
    assert "cannot read" in str(info.value)


def test_parse_sources_origin_in_message() -> None:
    with pytest.raises(ConfigError, match="^inline: "):
        parse_sources({"sources": [{"name": "a", "kind": "nope", "url": "https://ex.com/"}]}, "inline")


def test_compute_default_is_local(tmp_path: Path) -> None:
    compute = load_sources(_write(tmp_path, ONE_SOURCE)).compute
    assert (compute.engine, compute.address, compute.workers) == ("local", None, None)


def test_compute_ray(tmp_path: Path) -> None:
    text = "compute: {engine: ray, address: '127.0.0.1:6379', workers: 8}\n" + ONE_SOURCE
    compute = load_sources(_write(tmp_path, text)).compute
    assert (compute.engine, compute.address, compute.workers) == ("ray", "127.0.0.1:6379", 8)


@pytest.mark.parametrize(("text", "field", "words"), [
    ("compute: {engine: spark}\n", "compute.engine", "'local' or 'ray'"),
    ("compute: {engine: ray, workers: 0}\n", "compute.workers", "greater than or equal to 1"),
    ("compute: {address: '127.0.0.1:6379'}\n", "compute.address", "engine: ray only"),
    ("compute: {engine: ray, adress: x}\n", "compute.adress", "Extra inputs"),
])
def test_compute_errors_name_the_field(tmp_path: Path, text: str, field: str, words: str) -> None:
    message = _error(tmp_path, text + ONE_SOURCE)
    assert f'field "{field}"' in message and words in message
