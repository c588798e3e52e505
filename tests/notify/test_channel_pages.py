"""A staff member's own page for alert channels."""

import pytest
from django.db import connection

from ombud.audit.models import Entry
from ombud.notify.channels import config
from ombud.notify.models import AlertChannel, OutboxMessage
from tests import factories

pytestmark = pytest.mark.django_db

HOOK = "http://127.0.0.1:9/hooks/SECRET-PATH-123"


def _add(client, **data):
    return client.post("/staff/channels/", {"action": "add", **data})


def test_adding_channels_seals_where_they_point(client, cast):
    factories.sign_in(client, cast.responder)
    response = _add(client, kind="slack", target=HOOK, is_primary="on")
    assert response.status_code == 302
    channel = AlertChannel.objects.get()
    assert (channel.user, channel.kind, channel.is_primary, channel.label) == (
        cast.responder,
        "slack",
        True,
        "127.0.0.1",
    )
    assert config.open_config(channel) == {"target": HOOK}
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed_config FROM notify_alertchannel")
        assert b"SECRET-PATH" not in bytes(cursor.fetchone()[0])
    page = client.get("/staff/channels/").content.decode()
    assert "SECRET-PATH" not in page


def test_a_webhook_secret_is_made_for_you_and_shown_once(client, cast):
    factories.sign_in(client, cast.responder)
    response = _add(client, kind="webhook", target=HOOK)
    assert response.status_code == 200
    secret = config.open_config(AlertChannel.objects.get())["secret"]
    assert len(secret) >= 40
    assert secret in response.content.decode()
    assert secret not in client.get("/staff/channels/").content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "email", "target": "not-an-address"}, "Enter a valid email address."),
        ({"kind": "sms", "target": "call me"}, "Enter a phone number"),
        ({"kind": "slack", "target": "ftp://x"}, "Enter a valid URL."),
        ({"kind": "matrix", "target": "https://m.example.org", "room": "lobby"}, "room ID"),
        ({"kind": "matrix", "target": "https://m.example.org", "room": "!a:b"}, "access token"),
        ({"kind": "telegraph", "target": "x"}, "Select a valid choice."),
        (
            {"kind": "webhook", "target": "https://hooks.example.org:99999/x"},
            "This address cannot be used: not a valid URL.",
        ),
    ],
)
def test_bad_channels_are_refused_with_a_reason(client, cast, data, message):
    factories.sign_in(client, cast.responder)
    response = _add(client, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AlertChannel.objects.exists()


def test_in_production_private_addresses_are_refused(client, cast, settings):
    settings.ALLOW_PRIVATE_WEBHOOKS = False
    factories.sign_in(client, cast.responder)
    response = _add(client, kind="webhook", target=HOOK)
    assert response.status_code == 400
    assert "cannot be used" in response.content.decode()


def test_primary_pause_test_and_remove(client, cast):
    factories.sign_in(client, cast.responder)
    _add(client, kind="email", target="rita.phone@example.org", is_primary="on")
    _add(client, kind="sms", target="+49 170 1234567")
    mail, sms = AlertChannel.objects.order_by("created_at")
    client.post("/staff/channels/", {"action": "primary", "channel": sms.pk})
    mail.refresh_from_db()
    sms.refresh_from_db()
    assert (mail.is_primary, sms.is_primary) == (False, True)
    client.post("/staff/channels/", {"action": "toggle", "channel": mail.pk})
    mail.refresh_from_db()
    assert not mail.enabled
    client.post("/staff/channels/", {"action": "test", "channel": sms.pk})
    test = OutboxMessage.objects.get(kind="channel_test")
    assert (test.channel, test.recipient) == (sms, cast.responder)
    client.post("/staff/channels/", {"action": "delete", "channel": mail.pk})
    assert list(AlertChannel.objects.all()) == [sms]
    done = Entry.objects.filter(
        actor_id=str(cast.responder.pk), action__startswith="channel."
    ).order_by("seq")
    assert [(e.action, e.object_id) for e in done] == [
        ("channel.added", str(mail.pk)),
        ("channel.added", str(sms.pk)),
        ("channel.made_primary", str(sms.pk)),
        ("channel.disabled", str(mail.pk)),
        ("channel.test_sent", str(sms.pk)),
        ("channel.removed", str(mail.pk)),
    ]


def test_someone_elses_channel_is_not_found(client, cast):
    factories.sign_in(client, cast.responder)
    _add(client, kind="sms", target="+49 170 1234567")
    channel = AlertChannel.objects.get()
    factories.sign_in(client, cast.lead)
    for action in ("primary", "toggle", "test", "delete"):
        assert (
            client.post("/staff/channels/", {"action": action, "channel": channel.pk}).status_code
            == 404
        )
    assert client.post("/staff/channels/", {"action": "delete", "channel": "x"}).status_code == 404
    assert AlertChannel.objects.filter(pk=channel.pk, enabled=True).exists()
    assert not Entry.objects.filter(actor_id=str(cast.lead.pk), action__startswith="channel.")
