"""Waking the worker the moment an alert is committed.

On PostgreSQL the transaction that queues alerts sends NOTIFY (delivered at
commit) and the worker LISTENs; on SQLite the worker polls a cheap index
every fraction of a second, which costs next to nothing with one writer.
"""

import logging

import psycopg
from django.db import connection

log = logging.getLogger(__name__)
CHANNEL = "ombud_outbox"


def notify() -> None:
    """Call inside the queuing transaction; PostgreSQL delivers it only on commit."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {CHANNEL}")


class Listener:
    def __init__(self):
        self._conn = None

    def wait(self, seconds: float, stop) -> None:
        """Sleep up to ``seconds``; return early on a notification or when stopping."""
        if connection.vendor != "postgresql":
            stop.wait(seconds)
            return
        try:
            if self._conn is None:
                params = connection.get_connection_params()
                params.pop("cursor_factory", None)
                params.pop("context", None)
                self._conn = psycopg.connect(**params, autocommit=True)
                self._conn.execute(f"LISTEN {CHANNEL}")
            for _note in self._conn.notifies(timeout=seconds, stop_after=1):
                break
        except psycopg.Error:
            log.warning("lost the LISTEN connection; polling until it is back")
            self.close()
            stop.wait(seconds)

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
