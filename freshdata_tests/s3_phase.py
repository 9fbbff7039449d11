"""Test helper: materialize assets of the daily job for some days, in this (new) process, on the home its
environment names. test_s3_home.py runs its S3 home's days here: worker processes come from a fork server,
which keeps the environment it started with, so a fork server started by an earlier test of the same pytest
process would not see the loopback S3 endpoint and credentials; a new process starts its own.

    python -m freshdata_tests.s3_phase ASSET[,ASSET…] DAY [DAY…]
"""

from __future__ import annotations

import sys
from datetime import date

import dagster as dg

from freshdata import workers
from freshdata_tests.pipeline_helpers import build_defs, run_day, step_failures

workers.PARALLEL_MIN_ITEMS = 1  # the test's days are small: still send every stage to the engine's workers


def main(argv: list[str]) -> int:
    """Runs the days; prints the compute engines the per-document steps reported (one line, sorted)."""
    assets, days = argv[0].split(","), [date.fromisoformat(d) for d in argv[1:]]
    defs = build_defs()
    engines: set[str] = set()
    with dg.instance_for_test() as instance:
        for day in days:
            result = run_day(defs, instance, day, assets=assets)
            if not result.success:
                print(f"{day}: {step_failures(result)}", file=sys.stderr)
                return 1
            for event in result.get_asset_materialization_events():
                engine = event.step_materialization_data.materialization.metadata.get("compute_engine")
                if engine is not None:
                    engines.add(str(engine.value))
    print(",".join(sorted(engines)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
