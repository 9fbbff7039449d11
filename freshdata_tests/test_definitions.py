"""The code location's structure, without running anything (dagster-open-platform style): asset keys, the
dependency graph, partitions, checks, the job, schedule and sensor. Seconds, not a materialization; the runs
themselves are tested end to end in test_pipeline_e2e.py and test_ui.py."""

from __future__ import annotations

import dagster as dg
import pytest

from freshdata.defs.partitions import PARTITIONS_START

ASSET_DEPS = {  # asset -> the assets it depends on
    "discovered_urls": set(),
    "fetched_pages": {"discovered_urls"},
    "hourly_discovered_urls": {"hourly_discovered_urls"},  # its own previous hour
    "hourly_fetched_pages": {"hourly_discovered_urls"},
    "extracted_documents": {"fetched_pages", "hourly_fetched_pages"},  # the day's hours
    "dedup_decisions": {"extracted_documents", "dedup_decisions"},  # and its own previous day
    "quality_results": {"dedup_decisions"},
    "semantic_documents": {"quality_results", "semantic_documents"},  # and its own previous day
    "daily_snapshot": {"quality_results", "semantic_documents"},
    "published_snapshot": {"daily_snapshot"},
}
CHECKS = {  # check -> (asset, blocking)
    "funnel_adds_up": ("daily_snapshot", True),
    "no_document_in_two_snapshots": ("daily_snapshot", True),
    "no_kept_duplicate": ("daily_snapshot", True),
    "required_tags_present": ("daily_snapshot", True),
    "no_email_or_card_left": ("daily_snapshot", True),
    "sources_answered": ("daily_snapshot", True),
    "rates_near_trailing_average": ("daily_snapshot", False),
    "no_silent_source": ("daily_snapshot", False),
    "published_file_matches_manifest": ("published_snapshot", True),
}


@pytest.fixture(scope="module")
def defs(tmp_path_factory: pytest.TempPathFactory) -> dg.Definitions:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FRESHDATA_HOME", str(tmp_path_factory.mktemp("home")))  # resources make the home
        mp.delenv("FRESHDATA_SCHEDULE_ON", raising=False)
        mp.delenv("FRESHDATA_HOURLY_SCHEDULE_ON", raising=False)
        from freshdata.definitions import build_definitions

        yield build_definitions()


@pytest.fixture(scope="module")
def graph(defs: dg.Definitions):
    return defs.resolve_asset_graph()


def test_definitions_load(defs: dg.Definitions) -> None:
    dg.Definitions.validate_loadable(defs)


def test_asset_keys_and_dependencies(graph) -> None:
    deps = {key.to_user_string(): {p.to_user_string() for p in graph.get(key).parent_keys}
            for key in graph.get_all_asset_keys()}
    assert deps == ASSET_DEPS


HOURLY = {"hourly_discovered_urls", "hourly_fetched_pages"}


def test_every_asset_is_daily_or_hourly_from_the_first_partition_in_the_duckdb_pool(graph) -> None:
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        hourly = key.to_user_string() in HOURLY
        kind = dg.HourlyPartitionsDefinition if hourly else dg.DailyPartitionsDefinition
        assert isinstance(node.partitions_def, kind), key
        assert node.partitions_def.start.isoformat() == f"{PARTITIONS_START}T00:00:00+00:00"
        assert node.partitions_def.timezone == "UTC"
        assert node.pools == {"duckdb"}, key


def test_dedup_waits_for_its_previous_day(graph) -> None:
    dedup = dg.AssetKey("dedup_decisions")
    mapping = graph.get_partition_mapping(dedup, dedup)
    assert isinstance(mapping, dg.TimeWindowPartitionMapping)
    assert (mapping.start_offset, mapping.end_offset) == (-1, -1)


def test_hours_wait_for_their_previous_hour_and_feed_their_day(graph) -> None:
    hourly = dg.AssetKey("hourly_discovered_urls")
    mapping = graph.get_partition_mapping(hourly, hourly)
    assert (mapping.start_offset, mapping.end_offset) == (-1, -1)
    extracted, fetched = dg.AssetKey("extracted_documents"), dg.AssetKey("hourly_fetched_pages")
    hours = graph.get_partition_mapping(extracted, fetched).get_upstream_mapped_partitions_result_for_partitions(
        graph.get(extracted).partitions_def.subset_with_partition_keys(["2026-11-20"]),
        graph.get(extracted).partitions_def, graph.get(fetched).partitions_def).partitions_subset.get_partition_keys()
    assert list(hours) == [f"2026-11-20-{h:02d}:00" for h in range(24)]


def test_checks_and_which_ones_block(graph) -> None:
    found = {}
    for check_key in graph.asset_check_keys:
        spec = graph.get_check_spec(check_key)
        found[check_key.name] = (check_key.asset_key.to_user_string(), spec.blocking)
    assert found == CHECKS


def test_job_schedule_and_sensor(defs: dg.Definitions) -> None:
    job = defs.resolve_job_def("daily_pipeline")
    assert job.partitions_def is not None
    schedule = defs.resolve_schedule_def("daily_pipeline_schedule")
    assert schedule.job_name == "daily_pipeline"
    assert schedule.cron_schedule == "0 2 * * *" and schedule.execution_timezone == "UTC"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED  # a fresh clone never crawls by itself
    from datetime import UTC, datetime

    tick = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 12, 2, 2, tzinfo=UTC),
                                     repository_def=defs.get_repository_def())
    assert [r.partition_key for r in schedule.evaluate_tick(tick).run_requests] == ["2026-12-01"]  # yesterday
    today = datetime.now(UTC).date().isoformat()
    assert job.partitions_def.get_last_partition_key() == today  # the day in progress, for hourly runs
    sensor = defs.resolve_sensor_def("stale_run_recovery")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING and not sensor.targets  # launches nothing


def test_intraday_jobs_schedule_and_sensor(defs: dg.Definitions) -> None:
    crawl = defs.resolve_job_def("hourly_crawl")
    assert isinstance(crawl.partitions_def, dg.HourlyPartitionsDefinition)
    assert {k.to_user_string() for k in crawl.asset_layer.selected_asset_keys} == HOURLY
    refresh = defs.resolve_job_def("day_refresh")
    assert {k.to_user_string() for k in refresh.asset_layer.selected_asset_keys} == {
        "extracted_documents", "dedup_decisions", "quality_results", "semantic_documents", "daily_snapshot",
        "published_snapshot"}
    assert {n.name for n in refresh.graph.node_defs} >= {f"{a}_{c}" for c, (a, _) in CHECKS.items()}  # every check
    assert not HOURLY & {k.to_user_string() for k in defs.resolve_job_def("daily_pipeline").asset_layer
                         .selected_asset_keys}
    schedule = defs.resolve_schedule_def("hourly_crawl_schedule")
    assert schedule.cron_schedule == "5 * * * *" and schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    sensor = defs.resolve_sensor_def("intraday_snapshot")
    assert [t.job_name for t in sensor.targets] == ["day_refresh"]
