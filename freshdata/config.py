"""The sources file: what to crawl and how politely. Validated on load; nothing runs on a bad file."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from freshdata import storage
from freshdata.dedup.config import DedupConfig
from freshdata.semantic.config import SemanticConfig

PARTITIONS_START = "2024-01-01"  # the first daily partition: the first day `freshdata run` accepts
DEFAULT_AI_USER_AGENTS = [
    "CCBot",
    "GPTBot",
    "ChatGPT-User",
    "Google-Extended",
    "ClaudeBot",
    "Claude-Web",
    "anthropic-ai",
    "Applebot-Extended",
    "Bytespider",
    "cohere-ai",
    "PerplexityBot",
    "Meta-ExternalAgent",
    "Diffbot",
    "Omgilibot",
    "FacebookBot",
    "ImagesiftBot",
    "Timpibot",
]


class ConfigError(ValueError):
    """A sources file is invalid; the message names the file, the source and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CrawlConfig(_Strict):
    """Global politeness and safety settings; every field has a safe default."""

    user_agent: str = "freshdata/0.1 (+https://github.com/freshdata/freshdata#for-site-owners)"
    per_host_delay_s: float = Field(1.0, ge=0)
    per_host_concurrency: int = Field(2, ge=1)
    max_concurrency: int = Field(16, ge=1, description="requests in flight at once, over all fetch workers")
    fetch_workers: int = Field(
        1, ge=1, le=64,
        description="processes that fetch, each owning a share of the hosts (a stable hash of the host name) and "
        "of max_concurrency; 1 fetches in the calling process")
    timeout_s: float = Field(20.0, gt=0, description="total deadline for one response, body included")
    connect_timeout_s: float = Field(10.0, gt=0)
    max_bytes: int = Field(10_000_000, gt=0, description="cap on a body after decompression")
    max_redirects: int = Field(5, ge=0)
    max_retries: int = Field(2, ge=0, description="retries for 429/5xx/transient errors")
    max_retry_after_s: float = Field(30.0, ge=0, description="longest Retry-After we wait for in a run")
    max_requests_per_host: int = Field(2000, ge=1, description="budget per host per run")
    autothrottle: bool = True
    autothrottle_max_delay_s: float = Field(30.0, ge=0)
    allow_private_networks: bool = False
    private_hosts_allowed: list[str] = Field(default_factory=list, description='exact "host:port" entries')
    respect_robots: bool = True
    respect_ai_opt_out: bool = True
    ai_user_agents: list[str] = Field(default_factory=lambda: list(DEFAULT_AI_USER_AGENTS))

    @model_validator(mode="after")
    def _workers_share_concurrency(self) -> CrawlConfig:
        if self.fetch_workers > self.max_concurrency:
            raise ValueError(f"fetch_workers ({self.fetch_workers}) must not exceed max_concurrency "
                             f"({self.max_concurrency}): each worker needs at least one request slot")
        return self

    @field_validator("private_hosts_allowed")
    @classmethod
    def _host_port(cls, value: list[str]) -> list[str]:
        for entry in value:
            if not re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[^:/\s]+):\d{1,5}", entry):
                raise ValueError(f'{entry!r} is not "host:port" (IPv6 as "[::1]:8080")')
        return value


class StorageConfig(_Strict):
    """What the data home keeps; by default everything, forever."""

    raw_retention_days: int | None = Field(
        None, ge=1,
        description="keep the raw WARC files of this many days (the day being run and the ones before it); "
        "older days are deleted once published. None (the default) keeps every day forever")


class ComputeConfig(_Strict):
    """Where the per-document CPU work (extraction, quality and tags, dedup features) runs; same output either way."""

    engine: Literal["local", "ray"] = Field(
        "local", description="local: this machine's worker processes; ray: Ray tasks on a Ray cluster")
    address: str | None = Field(
        None, min_length=1, description='engine ray: a running cluster ("HOST:PORT", "ray://HOST:10001", "auto"); '
        "none: the Dagster `ray` resource's cluster (dagster-ray: a local one, or KubeRay in a deployment)")
    workers: int | None = Field(
        None, ge=1, description="worker processes (local) or Ray tasks kept busy (ray); default: every core / "
        "the cluster's CPUs")

    @field_validator("address")
    @classmethod
    def _ray_only(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("engine") != "ray":
            raise ValueError("address is for engine: ray only")
        return value


class ScheduleConfig(_Strict):
    """How often a source is checked: in the daily run of its day (the default), or in every hourly run."""

    cadence: Literal["hourly", "daily"] = Field(
        "daily", description="hourly: checked by every hourly run (`freshdata run --hour`, the hourly schedule), "
        "so its new pages reach the day's snapshot within the hour; daily: checked once a day (by the daily run, "
        "or by the day's last hourly run when the hourly schedule runs)")


WARC_MAX_DOCUMENTS_PER_RUN = 1_000_000  # a WARC file is read once: a budget below its size would lose pages for good
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: object) -> timedelta:
    """'90s', '30m', '1h', '7d' or a number of seconds → timedelta; a clear error otherwise."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{value!r} is not a duration like 90s, 30m, 1h or 7d")
    return timedelta(seconds=float(match[1]) * _DURATION_UNITS[match[2]])


class RecheckConfig(_Strict):
    """Bounds of each source's learned re-check interval (freshdata.crawl.recheck). The default max of 1 day means
    a daily run checks every source as before; a larger max lets quiet sources be checked less often than daily."""

    min: timedelta = Field(timedelta(hours=1), description="shortest interval between two checks of a source")
    max: timedelta = Field(timedelta(days=1), description="longest interval between two checks of a source")

    @field_validator("min", "max", mode="before")
    @classmethod
    def _duration(cls, value: object) -> timedelta:
        return parse_duration(value)

    @model_validator(mode="after")
    def _ordered(self) -> RecheckConfig:
        if self.min <= timedelta(0):
            raise ValueError(f"min must be a positive duration, got {self.min}")
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) must not be shorter than min ({self.min})")
        return self


class SourceConfig(_Strict):
    """One web source: a feed, a sitemap, a seed page, or WARC files (one file, or a listing of them)."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    kind: Literal["feed", "sitemap", "page", "warc"]
    url: str = Field(description="http(s) URL; kind warc: also an absolute path, of a WARC file (*.warc.gz, *.warc) "
                     "or of a listing of WARC paths (one a line, optionally gzipped, like warc.paths.gz)")
    max_documents_per_run: int = Field(500, ge=1)
    include: list[str] = Field(default_factory=list, description="URL regexes; empty means all")
    exclude: list[str] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)
    schedule: ScheduleConfig | None = Field(None, description="default: the file's `schedule`")
    recheck: RecheckConfig | None = Field(None, description="this source's re-check bounds; default: the file's")
    warc_base: str | None = Field(
        None, min_length=1, description="kind warc: what a listing's relative paths are resolved against (Common "
        "Crawl: https://data.commoncrawl.org/); default: the listing's own location")
    max_files_per_run: int = Field(10, ge=1, description="kind warc: new WARC files ingested per run, in listing order")

    @model_validator(mode="before")
    @classmethod
    def _warc_budget(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("kind") == "warc" and "max_documents_per_run" not in data:
            return {**data, "max_documents_per_run": WARC_MAX_DOCUMENTS_PER_RUN}
        return data

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("kind") == "warc" and os.path.isabs(value):
            return value
        if not re.match(r"^https?://[^/\s]+", value):
            also = " or an absolute path" if info.data.get("kind") == "warc" else ""
            raise ValueError(f"{value!r} is not an absolute http(s) URL{also}")
        return value

    @field_validator("warc_base")
    @classmethod
    def _warc_only(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("kind") != "warc":
            raise ValueError("warc_base is for kind: warc only")
        return value

    @field_validator("include", "exclude")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad regex {pattern!r}: {exc}") from exc
        return value

    def admits(self, url: str) -> bool:
        """True when the URL passes this source's include/exclude rules."""
        if self.include and not any(re.search(p, url) for p in self.include):
            return False
        return not any(re.search(p, url) for p in self.exclude)


class SourcesFile(_Strict):
    crawl: CrawlConfig = Field(default_factory=CrawlConfig)
    recipe: str | None = Field(None, description="quality recipe path, relative to this file; default: shipped")
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    semantic: SemanticConfig = Field(default_factory=SemanticConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    compute: ComputeConfig = Field(default_factory=ComputeConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig, description="every source's default cadence")
    recheck: RecheckConfig = Field(default_factory=RecheckConfig)
    sources: list[SourceConfig] = Field(min_length=1)

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, value: list[SourceConfig]) -> list[SourceConfig]:
        seen: set[str] = set()
        for source in value:
            if source.name in seen:
                raise ValueError(f'field "name": source name {source.name!r} is used twice')
            seen.add(source.name)
        return value

    def source(self, name: str) -> SourceConfig:
        return next(s for s in self.sources if s.name == name)

    def cadence(self, source: SourceConfig) -> str:
        """'hourly' or 'daily': the source's own `schedule`, else the file's."""
        return (source.schedule or self.schedule).cadence
    def recheck_for(self, source: SourceConfig) -> RecheckConfig:
        """The source's own re-check bounds, else the file's."""
        return source.recheck or self.recheck


def _describe(loc: tuple[Any, ...], raw: dict[str, Any]) -> str:
    """Turn a pydantic error location into 'source "x", field "y"' wording."""
    parts = list(loc)
    if len(parts) >= 2 and parts[0] == "sources" and isinstance(parts[1], int):
        index = parts[1]
        try:
            name = raw["sources"][index].get("name", f"#{index + 1}")
        except (KeyError, IndexError, TypeError, AttributeError):
            name = f"#{index + 1}"
        field = ".".join(str(p) for p in parts[2:]) or "(entry)"
        return f'source "{name}", field "{field}"'
    return f'field "{".".join(str(p) for p in parts) or "(top level)"}"'


def parse_sources(raw: Any, origin: str) -> SourcesFile:
    """Validate an already-parsed YAML mapping; `origin` names the file in errors."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{origin}: the sources file must be a mapping with 'crawl' and 'sources'")
    try:
        return SourcesFile.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{origin}: invalid sources file"]
        for err in exc.errors():
            lines.append(f"  - {_describe(tuple(err['loc']), raw)}: {err['msg']}")
        raise ConfigError("\n".join(lines)) from None


def load_sources(path: str | os.PathLike[str]) -> SourcesFile:
    """Read and validate a sources file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read sources file: {exc.strerror}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML: {exc}") from None
    parsed = parse_sources(raw, str(file))
    if parsed.recipe and not Path(parsed.recipe).is_absolute():
        parsed = parsed.model_copy(update={"recipe": str((file.parent / parsed.recipe).resolve())})
    return parsed


DEFAULT_CATALOG = ".freshdata-catalog"


def data_home() -> Path:
    """The local folder of the home: FRESHDATA_HOME, default ./.freshdata (DuckDB file, raw archive, texts,
    snapshots, Dagster instance). When FRESHDATA_HOME is a URL (`s3://bucket/prefix`), the files live there and
    this is the *catalog home*, FRESHDATA_CATALOG (default ./.freshdata-catalog): the DuckDB file, dedup index,
    Dagster instance and run lock, bound to that URL (storage.bind; its `staging` folder holds the files on
    their way up)."""
    home = os.environ.get("FRESHDATA_HOME", ".freshdata")
    if storage.is_remote(home):
        local = Path(os.environ.get("FRESHDATA_CATALOG") or DEFAULT_CATALOG).resolve()
        try:
            storage.bind(local, home.rstrip("/"))
        except ValueError as exc:
            raise ConfigError(f"FRESHDATA_HOME={home}: {exc}") from None
    else:
        local = Path(home).resolve()
    if storage.bound_root(local) is not None:
        os.environ.setdefault(storage.STAGING_ENV, str(local / "staging"))
    return local


def default_sources_path() -> Path:
    """FRESHDATA_SOURCES, else ./sources.yaml, else the data home's sources.yaml."""
    env = os.environ.get("FRESHDATA_SOURCES")
    if env:
        return Path(env)
    local = Path("sources.yaml")
    return local if local.exists() else data_home() / "sources.yaml"


DEFAULT_WAIT_TIMEOUT_S = 3600.0


def wait_timeout_s() -> float:
    """How long a run waits for another one (the home lock, a Dagster pool slot, the DuckDB write lock)."""
    text = os.environ.get("FRESHDATA_WAIT_TIMEOUT", "")
    try:
        value = float(text) if text else DEFAULT_WAIT_TIMEOUT_S
    except ValueError:
        value = -1.0
    if value < 0:
        raise ConfigError(f"FRESHDATA_WAIT_TIMEOUT must be a number of seconds >= 0, got {text!r}")
    return value
