"""Snapshot asset and its checks: publish the day, then prove it is sound. Logic in freshdata.snapshot."""

from datetime import timedelta

import dagster as dg
from dagster_duckdb import DuckDBResource

from freshdata import storage, store, texts
from freshdata.defs.metadata import counts_metadata, day_of
from freshdata.defs.partitions import daily_partitions
from freshdata.defs.quality.assets import quality_results
from freshdata.defs.resources import DUCKDB_POOL, FreshdataResource, connection
from freshdata.defs.semantic.assets import semantic_documents
from freshdata.quality import has_email_or_card, load_recipe
from freshdata.snapshot import (
    MIN_TRAILING_DAYS,
    TRAILING_DAYS,
    funnel_adds_up,
    funnel_rates,
    latency_by_source,
    publish_snapshot,
    published_state,
    rates_off_trailing,
    read_rows,
    stage_snapshot,
)


@dg.asset(
    partitions_def=daily_partitions, pool=DUCKDB_POOL, group_name="snapshot",
    deps=[quality_results, semantic_documents],
    description="The day's kept documents with all tags, staged in DuckDB table snapshot_documents. Readers "
    "see nothing of it until the blocking checks below pass and published_snapshot publishes it.",
)
def daily_snapshot(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
    day = day_of(context)
    with connection(duckdb) as con:
        staged = stage_snapshot(con, day)
        by_source = latency_by_source(con, day)
    latency = {f"{q}_publish_to_ingest_hours": dg.MetadataValue.float(float(staged.metrics.get(
        f"{q}_publish_to_ingest_hours") or 0.0)) for q in ("p50", "p90")}  # plotted per partition
    return dg.MaterializeResult(metadata=counts_metadata(
        "funnel", staged.funnel,
        **{"dagster/row_count": staged.n_documents, "dagster/partition_row_count": staged.n_documents,
           "dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn(n, t) for n, t in staged.columns])},
        **{name: dg.MetadataValue.float(rate) for name, rate in funnel_rates(staged.funnel).items()},
        **latency, latency_by_source=dg.MetadataValue.md(_latency_table(by_source)),
        **{f"p50_publish_to_ingest_hours__{r['source']}":  # a plot per source too
           dg.MetadataValue.float(float(r["p50_publish_to_ingest_hours"]))
           for r in by_source if r["p50_publish_to_ingest_hours"] is not None},
    ))


def _latency_table(rows: list[dict]) -> str:
    """Markdown: publish -> ingest hours per source (p50, p90; '-' when no document of it has a date)."""
    def hours(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"
    lines = [f"| {r['source']} | {r['documents']} | {hours(r['p50_publish_to_ingest_hours'])} | "
             f"{hours(r['p90_publish_to_ingest_hours'])} |" for r in rows]
    return "\n".join(["| source | documents | p50 publish→ingest h | p90 publish→ingest h |", "|---|---|---|---|",
                      *lines])


@dg.asset(
    partitions_def=daily_partitions, pool=DUCKDB_POOL, group_name="snapshot", deps=[daily_snapshot],
    freshness_policy=dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=54),
                                                    warn_window=timedelta(hours=30)),
    description="The checked day made visible to readers in one step: Parquet "
    "snapshots/snapshot_date=YYYY-MM-DD/part-<hash>.parquet, its manifest row, the manifest and funnel "
    "exports, and exports/published.json, renamed last, which lists them. Runs only when every blocking "
    "check of daily_snapshot passed, so a failed check leaves the previous publication visible.",
)
def published_snapshot(context: dg.AssetExecutionContext, freshdata: FreshdataResource,
                       duckdb: DuckDBResource) -> dg.MaterializeResult:
    day = day_of(context)
    sources = freshdata.sources()
    recipe_hash = load_recipe(sources.recipe).hash()
    with connection(duckdb) as con:
        result = publish_snapshot(con, day, freshdata.home_dir, sources, recipe_hash)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": result.n_documents, "dagster/partition_row_count": result.n_documents,
        "content_hash": result.content_hash, "generation": result.generation,
        "export": dg.MetadataValue.path(str(result.export_path)),
    })


def _check(passed: bool, description: str, rows: list[dict], severity=dg.AssetCheckSeverity.ERROR,
           **metadata: object) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=passed, severity=severity, description=description,
                               metadata={"offending_rows": len(rows), "examples": dg.MetadataValue.json(
                                   [{k: str(v) for k, v in r.items()} for r in rows[:5]]), **metadata})


def _snapshot_check(name: str, description: str, blocking: bool = True):
    return dg.asset_check(asset=daily_snapshot, name=name, description=description, blocking=blocking,
                          partitions_def=daily_partitions, pool=DUCKDB_POOL)


def _no_rows_check(name: str, description: str, sql_name: str, failure: str):
    """A blocking check that passes when the named SQL finds no offending row for the day."""

    @_snapshot_check(name, description)
    def check(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
        with connection(duckdb) as con:
            rows = read_rows(con, sql_name, day_of(context))
        return _check(not rows, f"{len(rows)} {failure}", rows)

    return check


no_document_in_two_snapshots = _no_rows_check(
    "no_document_in_two_snapshots", "No doc id or URL appears in two snapshots.",
    "check_snapshot_repeats", "documents already published on another day")
no_kept_duplicate = _no_rows_check(
    "no_kept_duplicate", "No kept document is marked as an exact or near duplicate.",
    "check_snapshot_duplicates", "kept documents are duplicates")
required_tags_present = _no_rows_check(
    "required_tags_present", "url, source, language, registered_domain, word_count, fetched_at set.",
    "check_snapshot_required_tags", "kept documents miss a required tag")


@_snapshot_check("no_email_or_card_left", "No kept text still matches the email or (Luhn-valid) card patterns.")
def no_email_or_card_left(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    day = day_of(context)
    with connection(duckdb) as con:
        kept = [doc_id for (doc_id,) in store.run(con, "select_snapshot_doc_ids", {"day": day}).fetchall()]
        wanted, clean = set(kept), set()
        for ids, day_texts in texts.batches(con, day, "snapshot"):  # a batch at a time, never the day's texts
            clean.update(i for i, t in zip(ids, day_texts, strict=True)
                         if i in wanted and t is not None and not has_email_or_card(t))
    # a kept document whose text is missing from its texts file is unchecked: it fails the check too
    offending = [{"doc_id": doc_id} for doc_id in kept if doc_id not in clean]
    return _check(not offending, f"{len(offending)} kept documents still contain an email or card number (or "
                  "have no text)", offending, checked=len(kept))


@_snapshot_check("funnel_adds_up", "Every discovered URL ends in exactly one state and the counts add up.")
def funnel_adds_up_check(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    day = day_of(context)
    with connection(duckdb) as con:
        funnel = store.fetch_dicts(con, "select_day_funnel", {"day": day})
        kept_rows = store.run(con, "select_snapshot_metrics", {"day": day}).fetchone()[0]
    counts = {k: int(v) for k, v in (funnel[0] if funnel else {}).items() if k != "partition_date"}
    broken = funnel_adds_up(counts, int(kept_rows))
    return _check(not broken, "; ".join(broken) or "all funnel identities hold",
                  [{"rule": b} for b in broken], funnel=dg.MetadataValue.json(counts))


@_snapshot_check("rates_near_trailing_average", "Near-dup and reject rates are not far from their "
                 f"{TRAILING_DAYS}-day trailing average.", blocking=False)
def rates_near_trailing_average(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    with connection(duckdb) as con:
        r = read_rows(con, "select_trailing_rates", day_of(context), window=TRAILING_DAYS)[0]
    if (r["trailing_days"] or 0) < MIN_TRAILING_DAYS:
        return _check(True, f"only {int(r['trailing_days'] or 0)} earlier days: no baseline yet", [],
                      severity=dg.AssetCheckSeverity.WARN, trailing_days=int(r["trailing_days"] or 0))
    problems = rates_off_trailing(r)
    return _check(not problems, f"{len(problems)} rates far from their trailing average", problems,
                  severity=dg.AssetCheckSeverity.WARN, trailing_days=int(r["trailing_days"] or 0))


@_snapshot_check("no_silent_source", "No source that produced documents recently went silent today.",
                 blocking=False)
def no_silent_source(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    with connection(duckdb) as con:
        rows = read_rows(con, "select_silent_sources", day_of(context), window=TRAILING_DAYS)
    return _check(not rows, f"{len(rows)} sources produced nothing new today", rows,
                  severity=dg.AssetCheckSeverity.WARN)


@_snapshot_check("sources_answered", "Some source answered today (ERROR, blocking: nothing is published when "
                 "none did; a source the re-check policy did not ask counts as answered); WARN for each source that "
                 "returned nothing at all, from the first day on.")
def sources_answered(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    with connection(duckdb) as con:
        rows = read_rows(con, "check_sources_answered", day_of(context))
    silent = [r for r in rows if not r["answered"] and not r["by_policy"]]  # by_policy: not due (re-check policy)
    if rows and len(silent) == len(rows):
        return _check(False, f"no source answered today: all {len(rows)} returned nothing", silent)
    return _check(not silent, f"{len(silent)} of {len(rows)} sources returned nothing today", silent,
                  severity=dg.AssetCheckSeverity.WARN)


def _published_check(name: str, description: str, blocking: bool = True):
    return dg.asset_check(asset=published_snapshot, name=name, description=description, blocking=blocking,
                          partitions_def=daily_partitions, pool=DUCKDB_POOL)


@_published_check("published_file_matches_manifest", "The day's published Parquet file hashes (sha256) to the "
                  "content_hash of its manifest row, and exports/published.json lists that file and hash. Blocking: "
                  "nothing is downstream, but a mismatch fails the run, so `freshdata run` says so.")
def published_file_matches_manifest(context: dg.AssetCheckExecutionContext, freshdata: FreshdataResource,
                                    duckdb: DuckDBResource):
    day = day_of(context)
    home = freshdata.home_dir
    with connection(duckdb) as con:
        rows = [r for r in store.fetch_dicts(con, "select_published_snapshots") if r["snapshot_date"] == day]
    listed = [e for e in (published_state(home) or {}).get("snapshots", []) if e["snapshot_date"] == day.isoformat()]
    problems = []
    if not rows:
        problems.append({"problem": "no manifest row for the day"})
    if not listed:
        problems.append({"problem": "exports/published.json does not list the day"})
    for row in rows:
        if listed and (listed[0]["path"], listed[0]["content_hash"]) != (row["export_path"], row["content_hash"]):
            problems.append({"problem": "published.json and the manifest name different files",
                             "published": listed[0]["path"], "manifest": row["export_path"]})
        try:
            actual = storage.file_hash(storage.join(storage.data_root(home), row["export_path"]))
        except OSError as exc:
            problems.append({"problem": f"file unreadable: {exc.strerror}", "path": row["export_path"]})
            continue
        if actual != row["content_hash"]:
            problems.append({"problem": "sha256 differs from the manifest", "path": row["export_path"],
                             "sha256": actual, "content_hash": row["content_hash"]})
    description = (f"snapshot {day} matches its manifest" if not problems else
                   f"snapshot {day} no longer matches its manifest: {problems[0]['problem']}; "
                   "re-run the day to republish it")
    return _check(not problems, description, problems)
