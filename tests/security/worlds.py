"""A world of data built once per test module and rolled back at its end."""

import contextlib

from django.db import transaction


@contextlib.contextmanager
def rolled_back(django_db_blocker):
    """Each test's own `db` savepoint rolls back what the test changed; this outer
    transaction takes the whole world away when the module is done."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
