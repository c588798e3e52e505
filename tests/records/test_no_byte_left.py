"""No byte of a purged case's ciphertexts, key wraps or files remains: in the SQLite
database file, its write-ahead log, or anywhere in the data directory (attachments
live in the database, sealed; nothing of them is written to disk elsewhere).

The purge runs in its own process on a real database file (tests/records/
shred_drill.py); this test then reads every file of that data directory. A live
case's ciphertexts must still be found, so the search is shown to see them. On
PostgreSQL, freed tuples are reclaimed by VACUUM (docs/security.md, "Retention").
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def drill():
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    env.pop("OMBUD_DATABASE_URL", None)  # SQLite: the file format is what is checked
    done = subprocess.run(
        [sys.executable, "-m", "tests.records.shred_drill"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    yield found
    shutil.rmtree(found["data_dir"], ignore_errors=True)


def _every_file(data_dir: str) -> dict[str, bytes]:
    return {str(path): path.read_bytes() for path in Path(data_dir).rglob("*") if path.is_file()}


def test_the_old_case_was_purged_and_the_files_are_where_the_drill_says(drill):
    assert drill["purged"] == [drill["old"]]
    files = _every_file(drill["data_dir"])
    assert drill["database"] in files
    wal = drill["database"] + "-wal"
    assert wal not in files or files[wal] == b""  # checkpointed and truncated


def test_no_byte_of_the_purged_cases_ciphertexts_remains_anywhere(drill):
    files = _every_file(drill["data_dir"])
    assert len(drill["shredded"]) >= 15  # report, files, notes, wraps, decision, …
    left = [
        (sample, path)
        for sample in drill["shredded"]
        for path, data in files.items()
        if bytes.fromhex(sample) in data
    ]
    assert left == []


def test_the_search_finds_a_live_cases_ciphertexts(drill):
    files = _every_file(drill["data_dir"])
    assert len(drill["control"]) >= 15
    missing = [
        sample
        for sample in drill["control"]
        if not any(bytes.fromhex(sample) in data for data in files.values())
    ]
    assert missing == []
