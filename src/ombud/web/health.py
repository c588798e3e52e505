"""Readiness: can this installation take a report and get its alert out?

Each check answers yes or no and nothing more: what a public endpoint may say. The
numbers behind them (ages, queue depth) are for the operator, on ``/metrics``.
"""

import threading
import time

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from ombud.notify import worker
from ombud.notify.models import OutboxMessage, WorkerHeartbeat

# An alert may stay undelivered this long: past it alerts are not flowing (no worker
# takes them, or the mail server or channel keeps refusing and they are retried).
UNDELIVERED_BOUND = worker.HEALTHY_BACKLOG
# Answers are reused this long in each process: a public URL polled in a loop costs
# a few queries a second, not a few per request.
REUSE_SECONDS = 2.0

_migrated = threading.Event()


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


def _migrations() -> bool:
    """No migration of the code that runs is unapplied. Once true it stays true for
    this process (applying migrations never un-applies them), so the migration files
    are read once, not per request."""
    if _migrated.is_set():
        return True
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return False
    _migrated.set()
    return True


def _worker(now) -> bool:
    return WorkerHeartbeat.objects.filter(seen_at__gte=now - worker.ALIVE_WITHIN).exists()


def _alerts(now) -> bool:
    """No alert written longer ago than the bound is still undelivered. Every message
    is due when it is written, so this catches a stuck worker and a mail outage alike
    (a message retried through an outage stays pending). Alerts held for a digest in a
    flood wait on purpose (notify.coalesce), not for a worker."""
    return not OutboxMessage.objects.filter(
        state=OutboxMessage.State.PENDING, held=False, created_at__lt=now - UNDELIVERED_BOUND
    ).exists()


def checks(now=None) -> dict[str, bool]:
    """Each readiness check by name: True when it passes. The database comes first;
    without it the others cannot be asked and fail with it."""
    now = now or timezone.now()
    if not _database():
        return {"database": False, "migrations": False, "worker": False, "alerts": False}
    try:
        return {
            "database": True,
            "migrations": _migrations(),
            "worker": _worker(now),
            "alerts": _alerts(now),
        }
    except DatabaseError:
        # Reachable but not in shape (tables missing before the first migrate).
        return {"database": True, "migrations": False, "worker": False, "alerts": False}


_last = {"at": float("-inf"), "checks": None}
_lock = threading.Lock()


def cached_checks() -> dict[str, bool]:
    """``checks()``, asked at most once per REUSE_SECONDS in this process."""
    with _lock:
        if time.monotonic() - _last["at"] >= REUSE_SECONDS:
            _last["checks"] = checks()
            _last["at"] = time.monotonic()
        return dict(_last["checks"])


def forget() -> None:
    """Ask again on the next call (tests, after changing what the checks look at)."""
    with _lock:
        _last["at"] = float("-inf")
    _migrated.clear()
