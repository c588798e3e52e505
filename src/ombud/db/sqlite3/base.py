"""SQLite whose writers queue on a file lock instead of polling.

SQLite has one writer at a time. When the lock is taken, its busy handler
sleeps 1 ms, then 2, 5, 10 … up to 100 ms between polls, so under load the
lock often sits free while every waiter sleeps: that is where multi-second
tail latencies come from. Here each write transaction first takes an
exclusive flock(2) on ``<database>.writelock``; waiters block in the kernel
and the next one starts the moment the previous one commits. SQLite's own
locking stays in place underneath, so correctness never depends on the
flock; only the waiting gets fair and prompt.
"""

import fcntl
import os

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_fd = None
    _writing = False

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if self._writer_fd is None and not self.is_in_memory_db():
            self._writer_fd = os.open(
                f"{self.settings_dict['NAME']}.writelock", os.O_RDWR | os.O_CREAT, 0o600
            )
        return connection

    def _start_transaction_under_autocommit(self):
        if self._writer_fd is not None:
            self._take_writer_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer()
            raise

    def _take_writer_lock(self):
        # Blocking on purpose: a timed poll would bring back the idle gaps this
        # exists to remove. A holder cannot hang on for ever: request workers are
        # killed by gunicorn's timeout, and the kernel drops a dead process's lock.
        fcntl.flock(self._writer_fd, fcntl.LOCK_EX)
        self._writing = True

    def _release_writer(self):
        if self._writing:
            self._writing = False
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writer()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_writer()
            if self._writer_fd is not None:
                os.close(self._writer_fd)
                self._writer_fd = None
