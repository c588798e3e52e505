import pytest
from django.core.cache import cache

from ombud.cases.services import floods
from ombud.staff import roster
from ombud.vault import keys
from tests import factories


@pytest.fixture(autouse=True, scope="session")
def _vault_key_file():
    keys.ensure_for_demo()


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rolled-back test databases reuse event ids and roster versions: a roster
    # cached by an earlier test would look current.
    cache.clear()
    roster._cache.clear()
    floods.forget()
    yield
    cache.clear()
    roster._cache.clear()
    floods.forget()


@pytest.fixture
def cast(db):
    return factories.personas()


@pytest.fixture
def signed_in(client):
    """Sign a user in on the test client and return the client."""

    def sign_in(user):
        factories.sign_in(client, user)
        return client

    return sign_in


@pytest.fixture
def mail_sink():
    from tests.live import MailSink  # noqa: PLC0415 -- only system tests need aiosmtpd

    sink = MailSink().start()
    yield sink
    sink.stop()


def _demo_on_each_database(request, tmp_path, mail_sink, **options):
    from tests.live import FreshPostgresDatabase, OmbudDemo, postgres_admin_url  # noqa: PLC0415

    if request.param == "sqlite":
        server = OmbudDemo(tmp_path / "data", mail=mail_sink, **options).start()
        yield server
        server.stop()
        return
    admin_url = postgres_admin_url()
    if admin_url is None:
        pytest.skip("no PostgreSQL server given (OMBUD_TEST_POSTGRES_URL)")
    with FreshPostgresDatabase(admin_url) as database_url:
        server = OmbudDemo(
            tmp_path / "data", mail=mail_sink, database_url=database_url, **options
        ).start()
        yield server
        server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def demo_server(request, tmp_path, mail_sink):
    """`ombud demo` serving on loopback with its worker, on each supported database."""
    yield from _demo_on_each_database(request, tmp_path, mail_sink)


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_demo_server(request, tmp_path, mail_sink):
    """The same on an empty data directory and database, as a newcomer first runs it: it
    migrates and seeds everything itself (the others start from a copy of what it makes)."""
    yield from _demo_on_each_database(request, tmp_path, mail_sink, seeded=False)


@pytest.fixture(params=["sqlite", "postgres"])
def rate_limited_demo(request, tmp_path, mail_sink):
    """The same, with OMBUD_RATE_LIMITS on (floods and password guessing)."""
    yield from _demo_on_each_database(request, tmp_path, mail_sink, rate_limits=True)


@pytest.fixture
def sqlite_demo_server(tmp_path, mail_sink):
    """The demo on its embedded SQLite database only (browser tests)."""
    from tests.live import OmbudDemo  # noqa: PLC0415

    server = OmbudDemo(tmp_path / "data", mail=mail_sink).start()
    yield server
    server.stop()
