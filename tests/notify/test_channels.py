"""Alert channels (chat webhooks, Matrix, signed webhook, SMS) against a real HTTP
receiver on loopback: what each kind sends, that it never carries report content,
that retries are recognisably the same alert, and how failures are recorded."""

import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ombud.intake.services import FIELD_LIMITS
from ombud.notify import services as notify
from ombud.notify import worker
from ombud.notify.channels import http as channel_http
from ombud.notify.channels import webhook
from ombud.notify.channels.config import seal
from ombud.notify.models import AlertChannel, OutboxMessage
from tests import factories
from tests.live import free_port
from tests.notify.receivers import OK, fail, receiver_fixture, redirect, slow, trickle  # noqa: F401

pytestmark = pytest.mark.django_db

EVENT_NAME = "Conf"
PATH = "/staff/cases/2f1c0d4e-0000-4000-8000-000000000001/"
LINK = "http://testserver" + PATH
# The whole alert, as chat and SMS channels carry it (docs/alert-channels.md quotes it).
TEXT = f"Ombud: a new report needs attention (Conf): {LINK}"

WEBHOOK_SECRET = "whsec-for-tests-only"
MATRIX_ROOM = "!ops:example.org"
MATRIX_TOKEN = "syt_bot_token_for_tests"
GATEWAY_TOKEN = "gateway-token-for-tests"
PHONE = "+15550100"

CHAT_KINDS = ["slack", "mattermost", "zulip", "discord"]
HTTP_KINDS = [*CHAT_KINDS, "matrix", "webhook", "sms"]
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture(autouse=True)
def _short_timeouts(monkeypatch):
    # A receiver that "hangs" only has to outlast half a second.
    monkeypatch.setattr(channel_http, "TIMEOUT", httpx.Timeout(0.5))


@pytest.fixture(autouse=True)
def _private_receivers_allowed(settings):
    # As in demo mode: the receiver lives on loopback. The SSRF tests turn it off.
    settings.ALLOW_PRIVATE_WEBHOOKS = True


@pytest.fixture
def smtp(settings, mail_sink):
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", mail_sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return mail_sink


def channel(user, kind, *, primary=True, enabled=True, **config) -> AlertChannel:
    """An alert channel set up the way the app stores one: its config sealed."""
    return AlertChannel.objects.create(
        user=user,
        kind=kind,
        label=f"{kind} for tests",
        sealed_config=seal(user.pk, kind, config),
        is_primary=primary,
        enabled=enabled,
    )


def channel_to(receiver, settings, user, kind, *, path="/hook", primary=True) -> AlertChannel:
    """A channel of ``kind`` whose deliveries reach ``receiver`` at ``path`` (a prefix)."""
    if kind == "matrix":
        return channel(
            user,
            kind,
            primary=primary,
            target=receiver.url(path),
            room=MATRIX_ROOM,
            secret=MATRIX_TOKEN,
        )
    if kind == "sms":
        settings.SMS_GATEWAY_URL = receiver.url(path)
        settings.SMS_GATEWAY_TOKEN = GATEWAY_TOKEN
        return channel(user, kind, primary=primary, target=PHONE)
    return channel(user, kind, primary=primary, target=receiver.url(path), secret=WEBHOOK_SECRET)


def queue_to(*channels, kind=OutboxMessage.Kind.NEW_REPORT) -> list[OutboxMessage]:
    with transaction.atomic():
        return notify.queue(
            kind, [(c.user_id, "", c.pk) for c in channels], event_name=EVENT_NAME, path=PATH
        )


def make_due() -> None:
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def verify(secret: str, headers: dict, body: bytes, now: float | None = None) -> bool:
    """The receiving end's check, as docs/alert-channels.md shows it."""
    timestamp = headers["x-ombud-timestamp"]
    if abs((time.time() if now is None else now) - int(timestamp)) > 300:
        return False
    signed = timestamp.encode() + b"." + body
    expected = "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-ombud-signature"])


def delivery_key(kind: str, request) -> str:
    """What lets the receiving end recognise a resend of the same alert."""
    if kind == "matrix":
        return request.path.rsplit("/", 1)[1]  # the transaction id
    if kind == "sms":
        return request.header("Idempotency-Key")
    return request.header("X-Ombud-Delivery")


def assert_sent(row: OutboxMessage) -> None:
    channel_id = row.channel_id
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == ("sent", 1, "")
    # Delivered: which channel (so whose) it went through is forgotten, like the recipient.
    assert (row.channel_id, row.recipient_id) == (None, None)
    health = AlertChannel.objects.get(pk=channel_id)
    assert health.last_ok_at is not None
    assert (health.last_failed_at, health.last_error) == (None, "")


# What each kind sends ------------------------------------------------------------------


@pytest.mark.parametrize("kind", CHAT_KINDS)
def test_chat_webhooks_get_the_one_line_alert_as_json(cast, receiver, kind):
    row = queue_to(channel(cast.lead, kind, target=receiver.url("/services/T0/B0/xyz")))[0]
    assert worker.deliver_due() == 1
    (request,) = receiver.requests()
    assert (request.method, request.path) == ("POST", "/services/T0/B0/xyz")
    assert request.header("Content-Type") == "application/json"
    assert request.header("User-Agent").startswith("Ombud/")
    assert request.json() == ({"content": TEXT} if kind == "discord" else {"text": TEXT})
    assert_sent(row)


def test_matrix_puts_the_alert_into_the_room_with_the_alert_id_as_transaction_id(cast, receiver):
    row = queue_to(
        channel(
            cast.lead,
            "matrix",
            target=receiver.url("/"),  # a trailing slash, as pasted from a browser
            room=MATRIX_ROOM,
            secret=MATRIX_TOKEN,
        )
    )[0]
    assert worker.deliver_due() == 1
    (request,) = receiver.requests()
    assert request.method == "PUT"
    assert request.path == (
        f"/_matrix/client/v3/rooms/%21ops%3Aexample.org/send/m.room.message/{row.id}"
    )
    assert request.header("Authorization") == f"Bearer {MATRIX_TOKEN}"
    assert request.json() == {"msgtype": "m.text", "body": TEXT}
    assert_sent(row)


def test_the_signed_webhook_can_be_verified_and_says_only_what_an_alert_may(cast, receiver):
    row = queue_to(
        channel(cast.lead, "webhook", target=receiver.url("/ombud"), secret=WEBHOOK_SECRET)
    )[0]
    assert worker.deliver_due() == 1
    (request,) = receiver.requests()
    assert (request.method, request.path) == ("POST", "/ombud")
    assert request.header("Content-Type") == "application/json"
    assert request.header("X-Ombud-Delivery") == str(row.id)
    assert abs(int(request.header("X-Ombud-Timestamp")) - request.at) <= 300
    assert request.header("X-Ombud-Signature").startswith("v1=")
    assert verify(WEBHOOK_SECRET, request.headers, request.body)
    # The recipe refuses what it should: another secret, a changed body, an old timestamp.
    assert not verify("another secret", request.headers, request.body)
    assert not verify(WEBHOOK_SECRET, request.headers, request.body.replace(b"Conf", b"Conv"))
    assert not verify(WEBHOOK_SECRET, request.headers, request.body, now=request.at + 301)
    body = request.json()
    assert body == {
        "id": str(row.id),
        "type": "new_report",
        "subject": "Ombud: a new report needs attention",
        "event": EVENT_NAME,
        "url": LINK,
        "created_at": body["created_at"],
    }
    assert datetime.fromisoformat(body["created_at"]) == row.created_at
    assert_sent(row)


DOCS = Path(__file__).resolve().parents[2] / "docs" / "alert-channels.md"


def test_the_documented_verification_recipe_accepts_ombuds_webhooks(cast, receiver):
    (recipe,) = re.findall(r"```python\n(.*?)```", DOCS.read_text(), flags=re.DOTALL)
    documented: dict = {}
    exec(compile(recipe, str(DOCS), "exec"), documented)  # noqa: S102 -- our own docs
    row = queue_to(
        channel(cast.lead, "webhook", target=receiver.url("/ombud"), secret=WEBHOOK_SECRET)
    )[0]
    assert worker.deliver_due() == 1
    (request,) = receiver.requests()
    headers = httpx.Headers(request.headers)  # any casing, as web frameworks offer them
    assert documented["handle"](WEBHOOK_SECRET, headers, request.body) == 200
    assert documented["seen"] == {str(row.id)}
    assert documented["handle"](WEBHOOK_SECRET, headers, request.body) == 200  # a resend
    assert documented["seen"] == {str(row.id)}
    assert documented["handle"]("not the secret", headers, request.body) == 401
    assert documented["handle"](WEBHOOK_SECRET, headers, request.body + b" ") == 401

    def signed_at(timestamp: int) -> httpx.Headers:
        return httpx.Headers(
            {
                **request.headers,
                "x-ombud-timestamp": str(timestamp),
                "x-ombud-signature": webhook.sign(WEBHOOK_SECRET, str(timestamp), request.body),
            }
        )

    now = int(time.time())
    assert documented["verify"](WEBHOOK_SECRET, signed_at(now - 290), request.body)
    assert not documented["verify"](WEBHOOK_SECRET, signed_at(now - 310), request.body)  # replay
    assert not documented["verify"](WEBHOOK_SECRET, signed_at(now + 310), request.body)


def test_sms_goes_to_the_configured_gateway_with_a_bearer_token_and_idempotency_key(
    cast, receiver, settings
):
    settings.SMS_GATEWAY_URL = receiver.url("/v1/sms")
    settings.SMS_GATEWAY_TOKEN = GATEWAY_TOKEN
    row = queue_to(channel(cast.lead, "sms", target=PHONE))[0]
    assert worker.deliver_due() == 1
    (request,) = receiver.requests()
    assert (request.method, request.path) == ("POST", "/v1/sms")
    assert request.header("Authorization") == f"Bearer {GATEWAY_TOKEN}"
    assert request.header("Idempotency-Key") == str(row.id)
    assert request.json() == {"id": str(row.id), "to": PHONE, "text": TEXT}
    assert_sent(row)


def test_sms_without_a_gateway_fails_and_says_what_is_missing(cast, settings):
    settings.SMS_GATEWAY_URL = ""
    row = queue_to(channel(cast.lead, "sms", target=PHONE))[0]
    assert worker.deliver_due() == 0
    row.refresh_from_db()
    assert row.state == "pending"
    assert row.last_error == (
        "DeliveryFailed: no SMS gateway is configured (OMBUD_SMS_GATEWAY_URL)"
    )


# Content-free ------------------------------------------------------------------------


def test_alerts_about_a_filed_report_never_carry_its_content_or_receipt(
    cast, receiver, settings, mailoutbox
):
    channel_to(receiver, settings, cast.lead, "slack", path="/slack")
    channel_to(receiver, settings, cast.lead, "mattermost", path="/mattermost", primary=False)
    channel_to(receiver, settings, cast.lead, "zulip", path="/zulip", primary=False)
    channel_to(receiver, settings, cast.lead2, "webhook", path="/webhook")
    channel_to(receiver, settings, cast.lead2, "discord", path="/discord", primary=False)
    channel_to(receiver, settings, cast.responder, "matrix", path="/matrix")
    channel_to(receiver, settings, cast.responder, "sms", path="/sms", primary=False)

    canary = f"CANARY{secrets.token_hex(8)}"
    fields = {name: f"{canary} in {name}" for name in FIELD_LIMITS}
    submission = factories.file_report(cast.event, **fields)
    case = submission.report.case
    link = "http://testserver" + reverse("cases:detail", args=[case.pk])

    # First alert: leads and the responder on duty, each through their primary channel only.
    assert worker.deliver_due() == 3
    first = receiver.requests()
    assert sorted(r.path.split("/")[1] for r in first) == ["matrix", "slack", "webhook"]
    assert mailoutbox == []  # a primary channel replaces the account e-mail
    # Delivered rows forget the channel: the paths above say which ones were used.
    assert set(OutboxMessage.objects.values_list("channel_id", flat=True)) == {None}

    # Escalated: every channel they set up, and their account e-mail as well.
    people = {p.pk: p.email for p in (cast.lead, cast.lead2, cast.responder)}
    with transaction.atomic():
        notify.queue(
            OutboxMessage.Kind.ESCALATION,
            notify.reach(people, every_channel=True),
            event_name=case.event.name,
            path=reverse("cases:detail", args=[case.pk]),
            subject_id=case.pk,
        )
    assert worker.deliver_due() == 7 + 3
    received = receiver.requests()
    assert len(received) == 3 + 7
    assert len(mailoutbox) == 3
    for request in received:
        raw = request.raw()
        assert canary not in raw
        assert submission.receipt not in raw
        assert link in raw
    for mail in mailoutbox:
        raw = mail.message().as_string()
        assert canary not in raw
        assert submission.receipt not in raw
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"sent"}


# Retries are the same alert -----------------------------------------------------------


@pytest.mark.parametrize("kind", ["webhook", "matrix", "sms"])
def test_a_retry_carries_the_same_idempotency_key(cast, receiver, settings, kind):
    receiver.script("/hook*", fail(500), OK)
    row = queue_to(channel_to(receiver, settings, cast.lead, kind))[0]

    assert worker.deliver_due() == 0
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == ("pending", 1, "DeliveryFailed: HTTP 500")
    health = AlertChannel.objects.get(pk=row.channel_id)
    assert health.last_failed_at is not None
    assert health.last_error == "DeliveryFailed: HTTP 500"
    assert health.last_ok_at is None

    make_due()
    assert worker.deliver_due() == 1
    first, retry = receiver.requests()
    assert delivery_key(kind, first) == delivery_key(kind, retry) == str(row.id)
    assert first.path == retry.path
    assert first.json() == retry.json()
    if kind == "webhook":
        assert verify(WEBHOOK_SECRET, retry.headers, retry.body)
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 2)
    health.refresh_from_db()
    assert health.last_ok_at >= health.last_failed_at


# Failures ------------------------------------------------------------------------------


FAILURES = {
    "server error": (lambda receiver: fail(500), "DeliveryFailed: HTTP 500"),
    "not found": (lambda receiver: fail(404), "DeliveryFailed: HTTP 404"),
    "timeout": (lambda receiver: slow(10), "DeliveryFailed: timed out"),
    "redirect": (
        lambda receiver: redirect(receiver.url("/elsewhere")),
        "DeliveryFailed: HTTP 302: redirect not followed",
    ),
}


@pytest.mark.parametrize("kind", ["slack", "matrix", "webhook", "sms"])
@pytest.mark.parametrize("failure", list(FAILURES))
def test_a_failed_delivery_stays_pending_with_a_content_free_error(
    cast, receiver, settings, kind, failure
):
    answer, error = FAILURES[failure]
    receiver.script("/hook*", answer(receiver))
    row = queue_to(channel_to(receiver, settings, cast.lead, kind))[0]

    started = time.monotonic()
    assert worker.deliver_due() == 0
    assert time.monotonic() - started < 5

    (request,) = receiver.wait_for(lambda received: len(received) >= 1)
    assert request.path.startswith("/hook")
    assert receiver.requests("/elsewhere") == []  # a redirect is never followed
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == ("pending", 1, error)
    assert row.next_attempt_at > timezone.now()
    health = AlertChannel.objects.get(pk=row.channel_id)
    assert (health.last_error, health.last_ok_at) == (error, None)
    assert health.last_failed_at is not None
    for said in (row.last_error, health.last_error):
        for secret in (str(receiver.port), "/hook", EVENT_NAME, "testserver", PHONE):
            assert secret not in said
        for secret in (WEBHOOK_SECRET, MATRIX_TOKEN, GATEWAY_TOKEN, "receiver error"):
            assert secret not in said


def test_an_alert_that_keeps_failing_becomes_a_dead_letter(cast, receiver, settings):
    receiver.script("/hook*", fail(503))
    row = queue_to(channel_to(receiver, settings, cast.lead, "webhook"))[0]
    for attempt in range(1, worker.MAX_ATTEMPTS + 1):
        make_due()
        assert worker.deliver_due() == 0
        row.refresh_from_db()
        assert row.attempts == attempt
    assert (row.state, row.last_error) == ("dead", "DeliveryFailed: HTTP 503")
    make_due()
    assert worker.deliver_due() == 0
    received = receiver.requests()
    assert len(received) == worker.MAX_ATTEMPTS  # nothing more once dead
    assert {r.header("X-Ombud-Delivery") for r in received} == {str(row.id)}


def test_unreachable_receivers_fail_alone_and_the_rest_of_the_batch_is_delivered(
    cast, receiver, smtp
):
    refused = channel(
        cast.lead,
        "webhook",
        target=f"http://127.0.0.1:{free_port()}/hook",
        secret=WEBHOOK_SECRET,
    )
    unresolvable = channel(cast.lead2, "slack", target="http://alerts.ombud-test.invalid/hook")
    working = channel(cast.responder, "discord", target=receiver.url("/discord"))
    with transaction.atomic():
        rows = notify.queue(
            OutboxMessage.Kind.NEW_REPORT,
            [
                (cast.lead.pk, "", refused.pk),
                (cast.lead2.pk, "", unresolvable.pk),
                (cast.responder.pk, "", working.pk),
                (cast.staff.pk, cast.staff.email, None),
            ],
            event_name=EVENT_NAME,
            path=PATH,
        )
    assert worker.deliver_due() == 2
    assert len(receiver.requests("/discord")) == 1
    (mail,) = smtp.wait_for(lambda ms: len(ms) == 1)
    assert mail.envelope_to == [cast.staff.email]
    states = {r.channel_id: r for r in OutboxMessage.objects.filter(id__in=[r.id for r in rows])}
    assert (states[refused.pk].state, states[refused.pk].last_error) == (
        "pending",
        "DeliveryFailed: ConnectError",
    )
    assert (states[unresolvable.pk].state, states[unresolvable.pk].last_error) == (
        "pending",
        "DeliveryFailed: ConnectError",
    )
    assert [
        r.state for r in OutboxMessage.objects.filter(id__in=[r.id for r in rows], channel=None)
    ] == ["sent", "sent"]
    assert working.pk not in states  # delivered: its channel forgotten


def test_a_receiver_trickling_its_answer_does_not_hold_up_the_worker(cast, receiver, settings):
    # Headers at once, then one byte of body every 0.3 s: never idle long enough
    # for the read time-out, and 15 s in all. The status is all an alert needs.
    receiver.script("/hook*", trickle(0.3, size=50))
    row = queue_to(channel_to(receiver, settings, cast.lead, "slack"))[0]
    started = time.monotonic()
    assert worker.deliver_due() == 1
    assert time.monotonic() - started < 3
    assert_sent(row)


# SSRF guard -----------------------------------------------------------------------------

REFUSED_IN_PRODUCTION = [
    ("http://127.0.0.1:{port}/hook", "only https URLs are allowed"),
    ("http://example.org/hook", "only https URLs are allowed"),
    ("https://127.0.0.1:{port}/hook", "the host resolves to a private address"),
    ("https://localhost:{port}/hook", "the host resolves to a private address"),
    ("https://[::1]:{port}/hook", "the host resolves to a private address"),
    ("https://[::ffff:127.0.0.1]:{port}/hook", "the host resolves to a private address"),
    ("https://2130706433:{port}/hook", "the host resolves to a private address"),
    ("https://10.20.30.40/hook", "the host resolves to a private address"),
    ("https://169.254.169.254/latest/meta-data/", "the host resolves to a private address"),
    ("https://alerts.ombud-test.invalid/hook", "the host name does not resolve"),
    ("https://example.org:99999/hook", "not a valid URL"),
    ("https://" + "ä" * 60 + ".example/hook", "the host name does not resolve"),
]


@pytest.mark.parametrize(("target", "error"), REFUSED_IN_PRODUCTION)
def test_production_refuses_plain_http_and_private_destinations(
    cast, receiver, settings, target, error
):
    settings.ALLOW_PRIVATE_WEBHOOKS = False
    row = queue_to(
        channel(cast.lead, "webhook", target=target.format(port=receiver.port), secret="s")
    )[0]
    assert worker.deliver_due() == 0
    assert receiver.connections == 0  # refused before connecting, not after
    row.refresh_from_db()
    assert (row.state, row.last_error) == ("pending", f"DeliveryFailed: {error}")


@pytest.mark.parametrize("kind", HTTP_KINDS)
def test_every_http_channel_kind_is_guarded(cast, receiver, settings, kind):
    settings.ALLOW_PRIVATE_WEBHOOKS = False
    row = queue_to(channel_to(receiver, settings, cast.lead, kind))[0]
    assert worker.deliver_due() == 0
    assert receiver.connections == 0
    row.refresh_from_db()
    assert row.last_error == "DeliveryFailed: only https URLs are allowed"


def test_private_receivers_are_delivered_to_when_allowed(cast, receiver, settings):
    settings.ALLOW_PRIVATE_WEBHOOKS = True
    row = queue_to(channel(cast.lead, "webhook", target=receiver.url("/hook"), secret="s"))[0]
    assert worker.deliver_due() == 1
    assert len(receiver.requests("/hook")) == 1
    assert_sent(row)


@pytest.mark.parametrize(
    "target", ["ftp://127.0.0.1:{port}/hook", "file:///etc/passwd", "127.0.0.1:{port}/hook"]
)
def test_only_http_urls_are_ever_requested(cast, receiver, settings, target):
    settings.ALLOW_PRIVATE_WEBHOOKS = True
    row = queue_to(channel(cast.lead, "slack", target=target.format(port=receiver.port)))[0]
    assert worker.deliver_due() == 0
    assert receiver.connections == 0
    row.refresh_from_db()
    assert row.last_error == "DeliveryFailed: not an http(s) URL"


# Who is reached through what -----------------------------------------------------------


def test_the_primary_channel_alone_or_every_channel_and_the_account_email(cast, receiver):
    slack = channel(cast.lead, "slack", target=receiver.url("/slack"))
    hook = channel(cast.lead, "webhook", primary=False, target=receiver.url("/h"), secret="s")
    people = {cast.lead.pk: cast.lead.email}
    assert notify.reach(people, every_channel=False) == [(cast.lead.pk, "", slack.pk)]
    assert sorted(notify.reach(people, every_channel=True), key=str) == sorted(
        [
            (cast.lead.pk, "", slack.pk),
            (cast.lead.pk, "", hook.pk),
            (cast.lead.pk, cast.lead.email, None),
        ],
        key=str,
    )


@pytest.mark.parametrize("every_channel", [False, True])
def test_someone_without_channels_gets_their_account_email(cast, every_channel):
    people = {cast.lead2.pk: cast.lead2.email}
    assert notify.reach(people, every_channel=every_channel) == [
        (cast.lead2.pk, cast.lead2.email, None)
    ]


def test_a_disabled_channel_is_never_used(cast, receiver):
    channel(cast.lead, "slack", enabled=False, target=receiver.url("/slack"))
    channel(cast.lead, "webhook", primary=False, enabled=False, target=receiver.url("/h"))
    people = {cast.lead.pk: cast.lead.email}
    for every_channel in (False, True):
        assert notify.reach(people, every_channel=every_channel) == [
            (cast.lead.pk, cast.lead.email, None)
        ]


def test_an_email_channel_is_not_doubled_by_the_account_email(cast):
    own = channel(cast.lead, "email", target=cast.lead.email.upper())
    other = channel(cast.lead, "email", primary=False, target="lena@pager.example.org")
    people = {cast.lead.pk: cast.lead.email}
    assert notify.reach(people, every_channel=False) == [
        (cast.lead.pk, cast.lead.email.upper(), own.pk)
    ]
    assert sorted(notify.reach(people, every_channel=True), key=str) == sorted(
        [
            (cast.lead.pk, cast.lead.email.upper(), own.pk),
            (cast.lead.pk, "lena@pager.example.org", other.pk),
        ],
        key=str,
    )


def test_a_filed_report_reaches_each_person_once_by_their_primary_channel(
    cast, receiver, mailoutbox
):
    channel(cast.lead, "slack", target=receiver.url("/lead"))
    channel(cast.lead, "discord", primary=False, target=receiver.url("/lead-too"))
    channel(cast.lead2, "slack", enabled=False, target=receiver.url("/lead2-disabled"))
    factories.file_report(cast.event)
    assert worker.deliver_due() == 3
    assert [r.path for r in receiver.requests()] == ["/lead"]
    assert receiver.connections == 1
    assert sorted(m.to[0] for m in mailoutbox) == sorted([cast.lead2.email, cast.responder.email])
    assert json.loads(receiver.requests()[0].body)["text"].startswith(
        "Ombud: a new report needs attention (Conf): http://testserver/staff/cases/"
    )


def test_secret_webhook_urls_stay_out_of_the_log(cast, receiver, caplog):
    # Slack and Discord carry their token in the path, Zulip its API key in the query.
    token, api_key = secrets.token_hex(12), secrets.token_hex(12)
    caplog.set_level(logging.DEBUG)
    queue_to(
        channel(cast.lead, "slack", target=receiver.url(f"/services/T0/B0/{token}")),
        channel(
            cast.lead2,
            "zulip",
            target=receiver.url(f"/api/v1/external/slack_incoming?api_key={api_key}"),
        ),
    )
    assert worker.deliver_due() == 2
    assert caplog.records  # the worker did log; only not the secrets
    assert token not in caplog.text
    assert api_key not in caplog.text
