"""State that every web node and worker must share: rate-limit counters and the
hotline's call state between Twilio's webhook steps.

Two stores, chosen by ``settings.RATE_LIMIT_STORE``:

- ``cache``: Django's file cache in the node's data directory. Right for one
  machine (SQLite): writes to the database would contend for SQLite's single
  writer lock on every request.
- ``database``: the ``SharedState`` table, the default on PostgreSQL, where
  several ``ombud serve`` nodes would otherwise each count on their own and a
  flooder get N times the limit. A count is one atomic upsert, so concurrent
  hits from any number of nodes count exactly; expired rows are deleted by a
  worker task (``forget_expired``).
"""

import json
import time

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from ombud.web.models import SharedState

DATABASE, CACHE = "database", "cache"


def _on_database() -> bool:
    return settings.RATE_LIMIT_STORE == DATABASE


# Constant SQL (the table name is the model's): one statement each, so each is atomic in
# autocommit on both databases and holds a row's lock only for itself.
_ADD = (
    "INSERT INTO web_sharedstate (key, count, value, expires) VALUES (%s, 1, '', %s) "
    "ON CONFLICT (key) DO UPDATE SET "
    # An expired row starts again from one.
    "count = CASE WHEN web_sharedstate.expires <= %s THEN 1 "
    "ELSE web_sharedstate.count + 1 END, "
    "expires = CASE WHEN web_sharedstate.expires <= %s THEN EXCLUDED.expires "
    "ELSE web_sharedstate.expires END"
)
_COUNT = "SELECT count FROM web_sharedstate WHERE key = %s AND expires > %s"
_GET = "SELECT value FROM web_sharedstate WHERE key = %s AND expires > %s"
_PUT = (
    "INSERT INTO web_sharedstate (key, count, value, expires) VALUES (%s, 0, %s, %s) "
    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires = EXCLUDED.expires"
)


def add(key: str, ttl: int) -> None:
    """Count one against ``key``; the count lasts ``ttl`` seconds from its first hit."""
    if not _on_database():
        if not cache.add(key, 1, timeout=ttl):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=ttl)
        return
    now = int(time.time())
    with connection.cursor() as cursor:
        cursor.execute(_ADD, [key, now + ttl, now, now])


def count(key: str) -> int:
    """How many times ``key`` was counted in its current life (0 once expired)."""
    if not _on_database():
        return cache.get(key) or 0
    with connection.cursor() as cursor:
        cursor.execute(_COUNT, [key, int(time.time())])
        row = cursor.fetchone()
    return row[0] if row else 0


def get(key: str) -> dict | None:
    """The value kept under ``key``, or None when there is none (or it expired)."""
    if not _on_database():
        return cache.get(key)
    with connection.cursor() as cursor:
        cursor.execute(_GET, [key, int(time.time())])
        row = cursor.fetchone()
    return json.loads(row[0]) if row and row[0] else None


def put(key: str, value: dict, ttl: int) -> None:
    """Keep ``value`` under ``key`` for ``ttl`` seconds, replacing what was there. In the
    database it is JSON: ids such as UUIDs come back as strings."""
    if not _on_database():
        cache.set(key, value, ttl)
        return
    with connection.cursor() as cursor:
        text = json.dumps(value, cls=DjangoJSONEncoder)
        cursor.execute(_PUT, [key, text, int(time.time()) + ttl])


def forget_expired(now=None) -> int:
    """The worker's task (``notify.worker.register``): drop what has expired."""
    at = int(now.timestamp()) if now is not None else int(time.time())
    deleted, _rows = SharedState.objects.filter(expires__lte=at).delete()
    return deleted
