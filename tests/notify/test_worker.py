"""The outbox worker against a real SMTP server on loopback."""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ombud.accounts.services import send_password_link
from ombud.notify import worker
from ombud.notify.models import OutboxMessage
from tests import factories
from tests.live import MailSink, free_port

pytestmark = pytest.mark.django_db


SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture(autouse=True)
def _real_smtp(settings):
    # Django's test set-up swaps in an in-memory mail backend; these tests want SMTP.
    settings.EMAIL_BACKEND = SMTP_BACKEND


@pytest.fixture
def smtp(settings, mail_sink):
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = mail_sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return mail_sink


def _make_due():
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_alerts_are_delivered_content_free_with_a_stable_message_id(cast, smtp):
    submission = factories.file_report(cast.event, what_happened="MAILCANARY 42", who="Mallory")
    assert worker.deliver_due() == 3
    messages = smtp.wait_for(lambda ms: len(ms) == 3)
    case_url = f"http://testserver/staff/cases/{submission.report.case_id}/"
    for mail in messages:
        raw = mail.raw.decode()
        assert "MAILCANARY" not in raw
        assert "Mallory" not in raw
        assert submission.receipt not in raw
        assert mail.message["Subject"] == "Ombud: a new report needs attention"
        assert case_url in mail.body
    ids = {m.message["Message-ID"] for m in messages}
    assert ids == {f"<{row.id}@testserver>" for row in OutboxMessage.objects.all()}
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"sent"}


def test_an_smtp_outage_loses_nothing_and_retries_with_backoff(cast, settings):
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    factories.file_report(cast.event)
    assert worker.deliver_due() == 0
    rows = list(OutboxMessage.objects.all())
    assert all(r.state == "pending" and r.attempts == 1 for r in rows)
    assert all(r.next_attempt_at > timezone.now() for r in rows)
    assert all(r.last_error.startswith("ConnectionRefusedError") for r in rows)
    assert worker.deliver_due() == 0  # not due yet: backing off

    sink = MailSink().start(settings.EMAIL_PORT)
    try:
        _make_due()
        assert worker.deliver_due() == 3
        sink.wait_for(lambda ms: len(ms) == 3)
    finally:
        sink.stop()
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"sent"}


class _RefusingSink(MailSink):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.startswith("lead2@"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_refused_recipient_is_retried_without_holding_up_the_others(cast, settings):
    sink = _RefusingSink().start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    try:
        factories.file_report(cast.event)
        assert worker.deliver_due() == 2
    finally:
        sink.stop()
    pending = OutboxMessage.objects.get(state="pending")
    assert pending.address == "lead2@example.org"
    assert pending.last_error == "SMTPRecipientsRefused"


def test_a_claimed_alert_is_not_taken_by_a_second_worker_until_its_lease_ends(cast):
    factories.file_report(cast.event)
    first = worker.claim()
    assert len(first) == 3
    assert worker.claim() == []
    OutboxMessage.objects.update(next_attempt_at=timezone.now())  # the first worker died
    assert len(worker.claim()) == 3


def test_backoff_grows_and_is_capped():
    assert worker.backoff(1) <= timedelta(seconds=2)
    assert worker.backoff(5) >= timedelta(seconds=16)
    assert worker.backoff(40) <= timedelta(seconds=worker.MAX_BACKOFF_SECONDS)


def test_password_links_are_removed_from_the_outbox_once_sent(cast, smtp):
    with transaction.atomic():
        send_password_link(cast.staff)
    assert worker.deliver_due() == 1
    mail = smtp.wait_for(lambda ms: len(ms) == 1)[0]
    assert "/staff/password/set/" in mail.body
    assert OutboxMessage.objects.get().context == {}


def test_the_worker_loop_keeps_going_through_errors_until_stopped(cast, smtp, monkeypatch):
    factories.file_report(cast.event)
    stop = threading.Event()
    calls = []
    work_due = worker.work_due

    def flaky_then_real():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        handled = work_due()
        if handled:
            stop.set()
        return handled

    monkeypatch.setattr(worker, "work_due", flaky_then_real)
    # The test's own transaction must survive the loop's connection housekeeping.
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    timer = threading.Timer(10, stop.set)  # a safety net, never the expected path
    timer.start()
    try:
        worker.run(stop, poll_interval=0.01)
    finally:
        timer.cancel()
    assert len(calls) == 2
    assert len(smtp.wait_for(lambda ms: len(ms) == 3)) == 3


UNDELIVERABLE = "p@" + "ü" * 63 + ".com"


def test_one_undeliverable_address_fails_alone_and_ends_as_a_dead_letter(cast, smtp):
    cast.lead2.email = UNDELIVERABLE
    cast.lead2.save()
    factories.file_report(cast.event)
    assert worker.deliver_due() == 2
    smtp.wait_for(lambda ms: len(ms) == 2)
    stuck = OutboxMessage.objects.get(state="pending")
    assert stuck.address == UNDELIVERABLE
    assert stuck.last_error.startswith("UnicodeError")
    for _ in range(worker.MAX_ATTEMPTS - 1):
        _make_due()
        worker.deliver_due()
    stuck.refresh_from_db()
    assert (stuck.state, stuck.attempts) == ("dead", worker.MAX_ATTEMPTS)


def test_delivered_alerts_keep_no_trace_of_who_got_them_about_what(cast, smtp):
    factories.file_report(cast.event)
    worker.deliver_due()
    for row in OutboxMessage.objects.all():
        assert (row.state, row.address, row.recipient_id, row.context) == ("sent", "", None, {})


def test_an_alert_to_someone_recused_after_it_was_queued_is_cancelled(cast, smtp):
    from ombud.cases.models import Recusal  # noqa: PLC0415
    from ombud.cases.services.access import upkeep_key  # noqa: PLC0415
    from ombud.cases.services.recusal import recuse  # noqa: PLC0415

    case = factories.file_report(cast.event).report.case
    waiting = OutboxMessage.objects.get(recipient=cast.lead)
    with transaction.atomic():
        recuse(
            case,
            upkeep_key(case, factories.holding_key(cast.lead2)),
            {cast.lead.pk: Recusal.Reason.SELF},
        )
    assert worker.deliver_due() == 2
    waiting.refresh_from_db()
    assert waiting.state == "cancelled"
    smtp.wait_for(lambda ms: len(ms) == 2)
    assert not smtp.to("lead@example.org")


def test_housekeeping_runs_at_most_once_per_interval():
    runs = []
    task = worker.every(timedelta(minutes=10))(runs.append)
    start = timezone.now()
    task(start)
    task(start + timedelta(minutes=9))
    task(start + timedelta(minutes=10))
    assert runs == [start, start + timedelta(minutes=10)]


def test_a_long_mail_outage_never_turns_alerts_into_dead_letters(cast, settings):
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    factories.file_report(cast.event)
    for _ in range(worker.MAX_ATTEMPTS + 3):
        _make_due()
        worker.deliver_due()
    states = set(OutboxMessage.objects.values_list("state", "attempts"))
    assert states == {("pending", worker.MAX_ATTEMPTS + 3)}


def test_claims_of_a_worker_that_stopped_are_released(cast):
    factories.file_report(cast.event)
    claimed = worker.claim()
    assert claimed
    now = timezone.now()
    worker.beat(now)  # this worker is alive: nothing is released
    assert worker.release_orphaned_claims(now) == 0
    OutboxMessage.objects.update(claimed_by="other-host:4242")  # a worker killed mid-batch
    assert worker.release_orphaned_claims(now) == len(claimed)
    assert len(worker.claim()) == len(claimed)


def test_health_is_bad_while_recent_dead_letters_wait_for_a_human(cast):
    factories.file_report(cast.event)
    worker.beat(timezone.now())
    OutboxMessage.objects.update(state="sent")
    assert worker.health()["healthy"]
    OutboxMessage.objects.filter(recipient=cast.lead).update(state="dead")
    report = worker.health()
    assert (report["healthy"], report["dead_letters"]) == (False, 1)


def test_health_reads_the_heartbeat_the_backlog_and_the_dead_letters_of_the_last_day(cast):
    now = timezone.now()
    factories.file_report(cast.event)
    held, waiting, dead, *others = OutboxMessage.objects.order_by("pk")
    OutboxMessage.objects.filter(pk__in=[m.pk for m in others]).update(state="sent")
    # Held for a digest: waiting by design, so not the backlog however old.
    OutboxMessage.objects.filter(pk=held.pk).update(held=True, created_at=now - timedelta(hours=2))
    OutboxMessage.objects.filter(pk=waiting.pk).update(created_at=now - timedelta(minutes=7))
    OutboxMessage.objects.filter(pk=dead.pk).update(
        state="dead", created_at=now - timedelta(days=2)
    )
    worker.beat(now - timedelta(seconds=12))
    assert worker.health(now) == {
        "alive": True,
        "last_seen_seconds": 12.0,
        "oldest_undelivered_seconds": 420.0,
        "pending": 2,
        "dead_letters": 1,
        "healthy": False,  # seven minutes behind
    }
    OutboxMessage.objects.filter(pk=waiting.pk).update(created_at=now - timedelta(minutes=3))
    assert worker.health(now)["healthy"]  # a dead letter of the day before waits for nobody
    OutboxMessage.objects.filter(pk=dead.pk).update(created_at=now - timedelta(hours=23))
    assert not worker.health(now)["healthy"]
    assert not worker.health(now + timedelta(seconds=19))["alive"]


def test_a_worker_still_sending_a_long_batch_renews_its_claim_on_what_is_unsent(cast, monkeypatch):
    factories.file_report(cast.event)
    claimed = worker.claim()
    assert claimed
    unsent, sent = claimed[1:], claimed[:1]
    keeper = worker._ClaimKeeper()
    keeper.renew(unsent)  # within BEAT_DURING_BATCH: nothing to do yet
    before = {
        m.pk: m.next_attempt_at
        for m in OutboxMessage.objects.filter(pk__in=[m.pk for m in claimed])
    }
    monkeypatch.setattr(worker, "BEAT_DURING_BATCH", -1)
    keeper.renew(unsent)
    after = {
        m.pk: m.next_attempt_at
        for m in OutboxMessage.objects.filter(pk__in=[m.pk for m in claimed])
    }
    assert all(after[m.pk] > before[m.pk] for m in unsent)
    assert all(after[m.pk] == before[m.pk] for m in sent)
    # Another worker still finds nothing due: the claim holds while the batch goes out.
    assert worker.claim(now=timezone.now() + worker.LEASE - timedelta(seconds=1)) == []


def test_a_batch_reads_its_recipients_languages_in_one_query(smtp):
    event = factories.event("large")
    for n in range(9):
        factories.member(event, factories.user(f"responder{n}"), factories.Role.RESPONDER)
    factories.file_report(event)
    with CaptureQueriesContext(connection) as queries:
        assert worker.deliver_due() == 9
    people = get_user_model()._meta.db_table
    # Not one per alert, and not joined to every claimed row (most rows of a flood are
    # only held for a digest): once, for the alerts that go out.
    (read,) = [q["sql"] for q in queries.captured_queries if people in q["sql"]]
    assert OutboxMessage._meta.db_table not in read
