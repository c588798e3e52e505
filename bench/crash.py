"""The crash test at full size: 20 rounds of killing `ombud serve` and `ombud worker`.

`python -m bench.crash` (run by `make bench`) runs the suite's crash test,
`tests/system/test_faults.py::test_killing_the_server_and_the_worker_loses_no_receipted_report_or_alert`,
with 20 rounds instead of the suite's 4 (`OMBUD_TEST_CRASH_ROUNDS`), on the embedded
SQLite database and on a throwaway PostgreSQL cluster it starts (`bench.nodes.Postgres`).
Each round a client files 15 reports through the API while the web server is killed
with SIGKILL a moment after a random receipt and the worker at a random moment; both
are started again. The test's checks are the bars: no error answer instead of a
receipt, every receipted report stored, the audit chain whole, every report alerted
to the four people on duty (on its own or counted in a digest), a killed worker's
claimed alerts retried after its lease, no alert sent more than three times. Its
summary line per database (rounds, receipts, requests cut off, copies sent again) is
printed and written to `bench/results/crash.json`. About 3½ minutes.
"""

import argparse
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.nodes import Postgres

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "crash.json"
TEST = (
    "tests/system/test_faults.py"
    "::test_killing_the_server_and_the_worker_loses_no_receipted_report_or_alert"
)
SUMMARY = re.compile(r"^crash test \((?:SQLite|PostgreSQL)\): .*$", re.MULTILINE)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    database = Postgres()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        env = {
            **os.environ,
            "OMBUD_TEST_CRASH_ROUNDS": str(args.rounds),
            "OMBUD_TEST_POSTGRES_URL": database.start(),
            "OMBUD_TEST_REQUIRE_POSTGRES": "1",
        }
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-s", TEST],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
    finally:
        database.stop()
    summaries = SUMMARY.findall(run.stdout)
    passed = run.returncode == 0 and len(summaries) == 2  # SQLite and PostgreSQL
    result = {"started_at": started, "rounds": args.rounds, "passed": passed, "runs": summaries}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"Crash test, {args.rounds} rounds of kills on each database:")
    for line in summaries:
        print(f"  {line}")
    if not passed:
        print(run.stdout[-4000:] + run.stderr[-2000:], file=sys.stderr)
        print("FAILED: see above", file=sys.stderr)
        return 1
    print("  every receipted report stored and alerted: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
