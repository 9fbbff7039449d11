"""The `freshdata` command: run a day through Dagster, the demo, and read-only queries."""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

# Only the standard library at the top: `freshdata --help` must not pay for Dagster, DuckDB or numpy. Each
# command imports what it runs.

REPO_WORKSPACE_YAML = Path(__file__).resolve().parent.parent / "workspace.yaml"
UI_KNOWN_WARNINGS = (
    "Function `dev_command` is superseded",  # `dagster dev` itself (`dg dev` needs a dg project layout)
    "Parameter `allow_nonexistent_upstream_partitions`",  # beta: dedup's previous-day mapping
    "Specifying a partitions_def on an AssetCheckSpec",  # preview: the daily checks are partitioned
)


def _parse_day(text: str, option: str = "--date") -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"freshdata: {option} must be YYYY-MM-DD, got {text!r}") from None


def run_range(date_text: str, to_text: str | None, today: date | None = None) -> list[date]:
    """The days of `freshdata run --date D [--to E]`, checked against the daily partitions before Dagster starts:
    from PARTITIONS_START to yesterday (UTC); a day can be crawled once it has ended. One line on error."""
    from freshdata.config import PARTITIONS_START

    first = date.fromisoformat(PARTITIONS_START)
    last = (today or datetime.now(UTC).date()) - timedelta(days=1)
    start = _parse_day(date_text, "--date")
    end = _parse_day(to_text, "--to") if to_text else start
    if end < start:
        raise SystemExit(f"freshdata: --to {end} is before --date {start}; a range runs from --date to --to")
    for option, day in (("--date", start), ("--to", end)):
        if day > last:
            raise SystemExit(f"freshdata: {option} {day} has not ended yet (UTC); the latest day that can run "
                             f"is {last}")
        if day < first:
            raise SystemExit(f"freshdata: {option} {day} is before the first daily partition, {first}")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _parse_hour(text: str, option: str) -> datetime:
    for layout in ("%Y-%m-%dT%H", "%Y-%m-%dT%H:%M"):
        try:
            hour = datetime.strptime(text, layout).replace(tzinfo=UTC)
        except ValueError:
            continue
        if hour.minute:
            break
        return hour
    raise SystemExit(f"freshdata: {option} must be a UTC hour YYYY-MM-DDTHH (e.g. 2026-12-01T13), got {text!r}")


def hour_range(hour_text: str, to_text: str | None, now: datetime | None = None) -> list[datetime]:
    """The hours of `freshdata run --hour H [--to-hour K]`: from PARTITIONS_START to the last hour that has
    ended (UTC), in order. One line on error."""
    from freshdata.config import PARTITIONS_START

    first = datetime.fromisoformat(PARTITIONS_START).replace(tzinfo=UTC)
    last = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    start = _parse_hour(hour_text, "--hour")
    end = _parse_hour(to_text, "--to-hour") if to_text else start
    if end < start:
        raise SystemExit(f"freshdata: --to-hour {end:%Y-%m-%dT%H} is before --hour {start:%Y-%m-%dT%H}")
    for option, hour in (("--hour", start), ("--to-hour", end)):
        if hour > last:
            raise SystemExit(f"freshdata: {option} {hour:%Y-%m-%dT%H} has not ended yet (UTC); the latest hour that "
                             f"can run is {last:%Y-%m-%dT%H}")
        if hour < first:
            raise SystemExit(f"freshdata: {option} {hour:%Y-%m-%dT%H} is before the first partition, {first:%Y-%m-%d}")
    return [start + timedelta(hours=i) for i in range(int((end - start).total_seconds() // 3600) + 1)]


def _day_arg(text: str) -> date:
    """An argparse type for a day option (argparse names the option in its one-line error)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day YYYY-MM-DD: {text!r}") from None


def cmd_run(args: argparse.Namespace) -> int:
    from freshdata.config import data_home, default_sources_path

    home = data_home()
    sources = Path(args.sources) if args.sources else default_sources_path()
    if args.hour:
        return _run_hours(args, home, sources)
    if args.to_hour:
        raise SystemExit("freshdata: --to-hour needs --hour")
    days = run_range(args.date, args.to)  # a bad range is one line before Dagster and DuckDB load
    from freshdata.runs import run_days

    def after_day(day: date) -> None:
        from freshdata.summary import print_day_summary  # DuckDB and polars: once a day has run

        print_day_summary(home, day)

    ok = run_days(days, sources, home, after_day=after_day)
    return 0 if ok else 1


def _run_hours(args: argparse.Namespace, home: Path, sources: Path) -> int:
    hours = hour_range(args.hour, args.to_hour)
    from freshdata.runs import run_hours

    def after_hour(hour: datetime) -> None:
        from freshdata.summary import print_hour_summary

        print_hour_summary(home, hour)

    return 0 if run_hours(hours, sources, home, after_hour=after_hour) else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from freshdata.config import data_home
    from freshdata.demo.runner import run_demo

    if args.days < 1:
        raise SystemExit(f"freshdata: --days must be at least 1, got {args.days}")
    if not 0 <= args.hours <= 12:
        raise SystemExit(f"freshdata: --hours must be from 0 to 12, got {args.hours}")
    return run_demo(data_home(), days=args.days, hours=args.hours)


def cmd_query(args: argparse.Namespace) -> int:
    from freshdata.config import data_home
    from freshdata.reader import run_query

    return run_query(data_home(), args.sql, args.format)


def cmd_export(args: argparse.Namespace) -> int:
    import duckdb

    from freshdata.config import data_home
    from freshdata.export import export_mix
    from freshdata.reader import Refused, reader_error
    from freshdata.snapshot import SnapshotMismatch

    try:
        n = export_mix(data_home(), args.date_from, args.date_to, args.where, args.format, args.out,
                       args.sample_per_source, one_per_story=args.one_per_story)
    except (Refused, SnapshotMismatch, duckdb.Error) as exc:
        print(f"freshdata export: {reader_error(exc)}", file=sys.stderr)
        return 1
    print(f"wrote {n} {'prompts' if args.format == 'synthesis-prompts' else 'documents'} to {args.out}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from freshdata.config import data_home
    from freshdata.summary import print_stats

    return print_stats(data_home(), args.date)


def cmd_ui(args: argparse.Namespace) -> int:
    """`dagster dev` on the CLI's instance, so the UI shows the runs of `freshdata run` and the demo.

    Prepares $FRESHDATA_HOME/dagster first, so it also works on a home that has never run anything.
    """
    from freshdata.config import data_home, default_sources_path
    from freshdata.runs import prepare_instance

    dagster_home = prepare_instance(data_home(), default_sources_path())  # sources found from here, before the chdir
    # The repo's workspace.yaml names the location `freshdata`; an installed package has only its module.
    target = ["-w", str(REPO_WORKSPACE_YAML)] if REPO_WORKSPACE_YAML.exists() else ["-m", "freshdata.definitions"]
    dagster = Path(sys.executable).with_name("dagster")
    argv = [str(dagster) if dagster.exists() else "dagster", "dev", *target, "-h", args.host, "-p", str(args.port)]
    print(f"freshdata ui: sources {os.environ['FRESHDATA_SOURCES']}; DAGSTER_HOME={dagster_home} {' '.join(argv)}",
          flush=True)
    os.chdir(dagster_home)  # from the repo root, Dagster would warn that it ignores the repo's dagster.yaml (copied)
    # Dagster's own notices about APIs this project uses on purpose, printed by every process it starts (the CLI,
    # the code server): inherited by all of them through the environment. Literal message prefixes (no commas).
    quiet = [f"ignore:{prefix}:Warning" for prefix in UI_KNOWN_WARNINGS]
    os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS", ""), *quiet]))
    os.execvp(argv[0], argv)
    return 1  # not reached: exec replaces this process


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="freshdata", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="materialize every asset for one day (or a range) through Dagster")
    run.add_argument("--date", default=(datetime.now(UTC).date() - timedelta(days=1)).isoformat(),
                     help="UTC day YYYY-MM-DD, from 2024-01-01 to yesterday (default: yesterday)")
    run.add_argument("--to", metavar="DATE",
                     help="last day of a range YYYY-MM-DD, inclusive, not before --date (days run in order)")
    run.add_argument("--hour", metavar="HOUR",
                     help="run one UTC hour YYYY-MM-DDTHH instead of a day: its crawl round (the sources whose "
                     "schedule cadence is hourly; every source in hour 23), then the day's snapshot republished")
    run.add_argument("--to-hour", metavar="HOUR", help="last hour of a range YYYY-MM-DDTHH, inclusive (with --hour)")
    run.add_argument("--sources", help="sources file (default: $FRESHDATA_SOURCES, ./sources.yaml, "
                                       "$FRESHDATA_HOME/sources.yaml)")
    run.set_defaults(func=cmd_run)

    demo = sub.add_parser("demo", help="serve the bundled demo site on loopback and crawl it for 3 days")
    demo.add_argument("--days", type=int, default=3,
                      help="number of simulated days, ending the day before yesterday (default: 3); refuses a "
                      "data home that holds real runs")
    demo.add_argument("--hours", type=int, default=2,
                      help="hourly runs of yesterday after the days (default: 2; 0: none), on the site's live desk "
                      "that publishes every 15 minutes")
    demo.set_defaults(func=cmd_demo)

    query = sub.add_parser("query", help="read-only SQL over the snapshots and pipeline tables")
    query.add_argument("sql", help="one SQL statement, e.g. \"SELECT * FROM latest_snapshot LIMIT 5\"; views: "
                       "snapshots, latest_snapshot, manifest, funnel, freshness, tag_counts (and pipeline tables)")
    query.add_argument("--format", choices=["table", "csv", "json"], default="table",
                       help="table (default, at most 100 rows shown), csv or json (one object per line; all rows)")
    query.set_defaults(func=cmd_query)

    ui = sub.add_parser("ui", help="open the Dagster UI (webserver + daemon) on this data home's instance")
    ui.add_argument("--host", default="127.0.0.1", help="address the webserver listens on (default: 127.0.0.1)")
    ui.add_argument("--port", type=int, default=3000, help="port of the webserver (default: 3000)")
    ui.set_defaults(func=cmd_ui)

    export = sub.add_parser("export", help="export a training mix from the snapshots by dates and tags")
    export.add_argument("--from", dest="date_from", type=_day_arg, default=date(1970, 1, 1),
                        help="first day YYYY-MM-DD, inclusive (default: every published day)")
    export.add_argument("--to", dest="date_to", type=_day_arg, default=date(9999, 12, 31),
                        help="last day YYYY-MM-DD, inclusive")
    export.add_argument("--where", default="true", help="SQL predicate on snapshot columns, e.g. "
                        "\"language = 'en' AND topic = 'Health' AND quality_score > 0.8\"")
    export.add_argument("--format", choices=["jsonl", "parquet", "synthesis-prompts"], default="jsonl",
                        help="jsonl (one document per line), parquet, or synthesis-prompts (JSONL: one "
                        "persona-driven LLM prompt per document and reader persona, with provenance)")
    export.add_argument("--sample-per-source", type=int, help="at most N documents per source (stable sample)")
    export.add_argument("--one-per-story", action="store_true",
                        help="one document per story (stable sample): the other versions of a story are left out")
    export.add_argument("--out", required=True, type=Path, help="output file (written whole, then renamed)")
    export.set_defaults(func=cmd_export)

    stats = sub.add_parser("stats", help="the funnel and freshness figures in the terminal")
    stats.add_argument("--date", type=_day_arg, help="one day YYYY-MM-DD (default: every day)")
    stats.set_defaults(func=cmd_stats)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()
    except ValueError as exc:  # FRESHDATA_HOME / FRESHDATA_CATALOG that cannot go together: one line
        from freshdata.config import ConfigError

        if not isinstance(exc, ConfigError):
            raise
        print(f"freshdata: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        # `freshdata stats | head`: the reader left. Stop quietly, as Unix tools do (exit 128 + SIGPIPE);
        # stdout goes to /dev/null so that the interpreter's final flush cannot fail again. Polars raises a
        # plain OSError ("Broken pipe (os error 32)"), not BrokenPipeError.
        if not (isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE or "os error 32" in str(exc)):
            raise
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    return code


if __name__ == "__main__":
    sys.exit(main())
