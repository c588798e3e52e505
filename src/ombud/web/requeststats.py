"""Request counts and latencies by URL name, summed over the server's processes.

gunicorn answers with several processes and a scrape reaches one of them, so each
process writes its own totals to a small file in ``DATA_DIR/cache/metrics`` (at most once a
second, and when it answers a scrape) and ``/metrics`` adds up the files of this
machine. Files of processes that ended stay until the server starts again, so a
counter never goes backwards while it runs. Labels are URL names, never paths: a
path can hold a case id or a password link.
"""

import json
import os
import socket
import threading
import time
from pathlib import Path

from django.conf import settings

# Seconds; the upper bounds of the latency histogram's buckets.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FLUSH_EVERY = 1.0
_HOST = socket.gethostname()
# A client may send any token as its method: one label for the unknown ones, so a
# stranger can neither add series without end nor break the key's "|" separators.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def directory() -> Path:
    # Beside the cache, which backups skip (these files are replaced every second), and
    # out of tmp/, which holds nothing but a command's staging files.
    return Path(settings.DATA_DIR) / "cache" / "metrics"


class _Totals:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests: dict[str, int] = {}  # "view|method|status" -> count
        self.latency: dict[str, list] = {}  # view -> [bucket counts..., +Inf count, sum]
        self.flushed_at = 0.0
        self.pid = os.getpid()

    def add(self, view: str, method: str, status: int, seconds: float) -> None:
        key = f"{view}|{method}|{status}"
        with self.lock:
            self.requests[key] = self.requests.get(key, 0) + 1
            row = self.latency.setdefault(view, [0] * (len(BUCKETS) + 2))
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    row[index] += 1
                    break
            else:
                row[len(BUCKETS)] += 1
            row[-1] += seconds

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "requests": dict(self.requests),
                "latency": {view: list(row) for view, row in self.latency.items()},
            }


_totals = _Totals()


def _path() -> Path:
    return directory() / f"{_HOST}-{os.getpid()}.json"


def record(view: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request; now and then write this process's totals out."""
    if _totals.pid != os.getpid():  # a forked child starts from nothing
        _reset_in_memory()
    _totals.add(view, method if method in METHODS else "other", status, seconds)
    if time.monotonic() - _totals.flushed_at >= FLUSH_EVERY:
        flush()


def _reset_in_memory() -> None:
    global _totals  # noqa: PLW0603 -- one set of totals per process
    _totals = _Totals()


def flush() -> None:
    _totals.flushed_at = time.monotonic()
    folder = directory()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = _path()
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(_totals.snapshot()), encoding="utf-8")
    os.replace(temporary, target)


def clear() -> None:
    """Forget the totals of this machine's earlier processes (the server is starting)."""
    folder = directory()
    if folder.is_dir():
        for path in folder.glob(f"{_HOST}-*"):
            path.unlink(missing_ok=True)
    _reset_in_memory()


def combined() -> dict:
    """The totals of every process of this machine's server since it started."""
    flush()
    requests: dict[str, int] = {}
    latency: dict[str, list] = {}
    for path in directory().glob(f"{_HOST}-*.json"):
        try:
            part = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a file being replaced this instant; its totals come next scrape
        for key, count in part["requests"].items():
            requests[key] = requests.get(key, 0) + count
        for view, row in part["latency"].items():
            mine = latency.setdefault(view, [0] * len(row))
            latency[view] = [a + b for a, b in zip(mine, row, strict=True)]
    return {"requests": requests, "latency": latency}
