"""State every node shares (``web.shared``): rate-limit counts and the hotline's call
state. On PostgreSQL it lives in the database, so N web nodes do not give a flooder N
times the limit; on SQLite in the node's file cache (one machine, one writer lock)."""

import secrets
import threading
import time
import uuid
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection, connections

from ombud.web import ratelimit, shared
from ombud.web.models import SharedState

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


class _From:
    def __init__(self, address):
        self.META = {"REMOTE_ADDR": address}


@pytest.fixture(params=[shared.DATABASE, shared.CACHE])
def store(request, settings):
    settings.RATE_LIMIT_STORE = request.param
    return request.param


@pytest.fixture
def on_database(settings):
    settings.RATE_LIMIT_STORE = shared.DATABASE


def test_the_store_follows_the_database_vendor():
    assert (shared.DATABASE if ON_POSTGRES else shared.CACHE) == settings.RATE_LIMIT_STORE


@pytest.mark.django_db
def test_counts_add_up_in_either_store(store):
    assert shared.count("k") == 0
    for _ in range(3):
        shared.add("k", 60)
    assert shared.count("k") == 3
    assert shared.count("other") == 0
    assert SharedState.objects.exists() == (store == shared.DATABASE)


@pytest.mark.django_db
def test_values_are_kept_and_replaced_in_either_store(store):
    assert shared.get("call") is None
    shared.put("call", {"case": 7, "skipped": [1, 2]}, 60)
    assert shared.get("call") == {"case": 7, "skipped": [1, 2]}
    case = uuid.uuid4()  # a case's id: kept as its string in the database
    shared.put("call", {"case": case}, 60)
    assert str(shared.get("call")["case"]) == str(case)
    shared.put("call", {"case": None}, 60)
    assert shared.get("call") == {"case": None}


def _later(seconds):
    clock = mock.Mock(wraps=time)
    clock.time.return_value = time.time() + seconds
    return mock.patch.object(shared, "time", clock)


@pytest.mark.django_db
def test_an_expired_count_is_gone_and_starts_again_from_one(on_database):
    shared.add("k", 60)
    shared.add("k", 60)
    with _later(61):
        assert shared.count("k") == 0
        shared.add("k", 60)
        assert shared.count("k") == 1
    with _later(119):
        assert shared.count("k") == 1  # the new life began at +61 s
    with _later(122):
        assert shared.count("k") == 0


@pytest.mark.django_db
def test_an_expired_value_is_gone(on_database):
    shared.put("call", {"case": 1}, 60)
    with _later(61):
        assert shared.get("call") is None


@pytest.mark.django_db
def test_the_worker_task_deletes_only_what_expired(on_database):
    shared.add("short", 10)
    shared.add("long", 600)
    shared.put("call", {"case": 1}, 600)
    with _later(11):
        assert shared.forget_expired() == 1
    assert set(SharedState.objects.values_list("key", flat=True)) == {"long", "call"}
    assert shared.count("long") == 1


def test_the_worker_runs_the_cleanup():
    from ombud.notify import worker  # noqa: PLC0415

    assert any(getattr(t, "task", None) is shared.forget_expired for t in worker.periodic_tasks)


@pytest.mark.django_db
def test_rate_limits_count_in_the_database_store(on_database, settings):
    settings.RATE_LIMITS = True
    client = _From("203.0.113.9")
    allowed, _window = ratelimit.LIMITS["login-pair"]
    for _ in range(allowed - 1):
        ratelimit.hit("login-pair", client)
    assert not ratelimit.exceeded("login-pair", client)
    ratelimit.hit("login-pair", client)
    assert ratelimit.exceeded("login-pair", client)
    assert not ratelimit.exceeded("login-pair", _From("203.0.113.10"))
    # Keys are keyed hashes: no address in the database.
    assert not SharedState.objects.filter(key__contains="203.0.113").exists()


@pytest.mark.django_db
def test_a_hit_and_a_check_are_one_statement_each(on_database, settings, django_assert_num_queries):
    settings.RATE_LIMITS = True
    client = _From("203.0.113.9")
    with django_assert_num_queries(1):
        ratelimit.hit("report-api", client)
    with django_assert_num_queries(1):
        ratelimit.exceeded("report-api", client)


@pytest.mark.skipif(
    not ON_POSTGRES,
    reason="PostgreSQL only: on SQLite the counts are in one machine's file cache",
)
@pytest.mark.django_db
def test_concurrent_hits_from_many_connections_count_exactly(on_database):
    """What several web nodes do at once: 8 threads, each with its own connection
    (committing outside the test's transaction), 200 hits on one key in all."""
    key = f"flooder-{secrets.token_hex(8)}"
    start = threading.Barrier(8)
    errors, counted = [], []

    def in_own_connection(work):
        try:
            work()
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def hammer():
        start.wait()
        for _ in range(25):
            shared.add(key, 600)

    threads = [threading.Thread(target=in_own_connection, args=(hammer,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    def count_and_clean_up():
        counted.append(shared.count(key))
        SharedState.objects.filter(key=key).delete()

    last = threading.Thread(target=in_own_connection, args=(count_and_clean_up,))
    last.start()
    last.join()
    assert errors == []
    assert counted == [200]
    assert connection.vendor == "postgresql"
