import pytest

from ombud.intake.models import IntakeChannel
from tests.intake.mail.messages import REPORTING


@pytest.fixture
def reporting(cast):
    """The event's reporting address, at Ombud's listener."""
    event = cast.event
    event.languages = "en,de"
    event.save(update_fields=["languages"])
    return IntakeChannel.objects.create(
        event=event,
        kind=IntakeChannel.Kind.MAIL,
        provider=IntakeChannel.Provider.LISTENER,
        address=REPORTING,
    )


@pytest.fixture
def in_thread():
    """Run ``target`` in a thread that shares the test's database connection (and its
    transaction), as Django's live server shares an in-memory database."""
    import threading  # noqa: PLC0415

    from django.db import connections  # noqa: PLC0415

    shared = connections["default"]
    shared.inc_thread_sharing()
    threads = []

    def start(target):
        def run():
            connections["default"] = shared
            target()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        threads.append(thread)
        return thread

    yield start
    for thread in threads:
        thread.join(timeout=30)
    shared.dec_thread_sharing()


@pytest.fixture
def dovecot():
    from tests.intake.mail.dovecot import Dovecot, available  # noqa: PLC0415

    if not available():
        pytest.fail("Dovecot is not installed: scripts/test.sh installs dovecot-imapd")
    server = Dovecot().start()
    yield server
    server.cleanup()
