"""The organiser's pages for an event's reporting channels (secrets sealed, written once,
never shown again), the leads' count of what the channels turned away, and the event's
other ways to report on its public page and printables."""

import pytest

from ombud.audit.models import Entry
from ombud.cases.models import Channel
from ombud.intake.channels import config, inbound
from ombud.intake.models import InboundMessage, IntakeChannel
from tests import factories

pytestmark = pytest.mark.django_db

SECRET = "CHANNELSECRETCANARY-9f"
BASE = "/staff/manage/events/conf/channels/"


@pytest.fixture
def admin(signed_in, cast):
    return signed_in(cast.admin)


def test_the_organiser_adds_an_imap_mailbox_whose_url_is_sealed_and_never_shown(admin, cast):
    assert admin.get(BASE).status_code == 200
    form = admin.get(f"{BASE}new/mail/")
    assert form.status_code == 200
    url = f"imaps://conduct:{SECRET}@imap.example.org/INBOX"
    response = admin.post(
        f"{BASE}new/mail/",
        {
            "address": " Conduct@Conf.Example ",
            "provider": "imap",
            "enabled": "on",
            "imap_url": url,
            "imap_done_folder": "Sealed",
        },
    )
    assert response.status_code == 302
    channel = IntakeChannel.objects.get()
    assert channel.address == "conduct@conf.example"
    assert channel.event == cast.event
    assert channel.imap_done_folder == "Sealed"
    assert SECRET.encode() not in bytes(channel.sealed_config)
    assert config.opened(channel) == {"imap_url": url}
    entry = Entry.objects.get(action="event.channel_changed")
    assert SECRET not in str(entry.__dict__)
    listing = admin.get(BASE).content.decode()
    assert "conduct@conf.example" in listing
    edit = admin.get(f"{BASE}{channel.pk}/").content.decode()
    assert SECRET not in edit
    assert "Leave empty to keep the saved one" in edit
    # Left empty on edit: the sealed URL stays; the address may change.
    saved = admin.post(
        f"{BASE}{channel.pk}/",
        {"address": "report@conf.example", "provider": "imap", "imap_done_folder": ""},
    )
    assert saved.status_code == 302
    channel.refresh_from_db()
    assert not channel.enabled  # unticked: turned off
    assert channel.address == "report@conf.example"
    assert config.opened(channel) == {"imap_url": url}


def test_mistakes_come_back_with_what_was_typed_and_nothing_is_saved(admin, cast):
    IntakeChannel.objects.create(
        event=cast.other_event, kind="mail", provider="listener", address="taken@x.example"
    )
    for data, field in (
        ({"address": "not an address", "provider": "listener"}, "address"),
        ({"address": "TAKEN@x.example", "provider": "listener"}, "address"),
        ({"address": "new@x.example", "provider": "imap"}, "imap_url"),
        ({"address": "new@x.example", "provider": "imap", "imap_url": "http://h/"}, "imap_url"),
    ):
        response = admin.post(f"{BASE}new/mail/", data)
        html = response.content.decode()
        assert response.status_code == 400, data
        assert "error-summary" in html
        assert f'href="#id_{field}"' in html
        assert f'value="{data["address"]}"' in html
    assert IntakeChannel.objects.filter(event=cast.event).count() == 0
    # A secret typed into a form that came back is not echoed.
    response = admin.post(
        f"{BASE}new/mail/",
        {"address": "bad", "provider": "imap", "imap_url": f"imaps://{SECRET}@h/"},
    )
    assert SECRET not in response.content.decode()
    assert "type it once more" in response.content.decode()


def test_a_text_number_is_normalised_and_a_gateway_secret_is_shown_once(admin, cast):
    response = admin.post(
        f"{BASE}new/sms/", {"address": "+49 (30) 555-000", "provider": "gateway", "enabled": "on"}
    )
    assert response.status_code == 200
    channel = IntakeChannel.objects.get()
    assert channel.address == "+4930555000"
    secret = config.opened(channel)["secret"]
    assert secret in response.content.decode()
    assert secret not in admin.get(f"{BASE}{channel.pk}/").content.decode()
    # Saved again without asking: the same secret; asked: a new one, shown once.
    admin.post(f"{BASE}{channel.pk}/", {"address": "+4930555000", "provider": "gateway"})
    channel.refresh_from_db()
    assert config.opened(channel)["secret"] == secret
    again = admin.post(
        f"{BASE}{channel.pk}/",
        {"address": "+4930555000", "provider": "gateway", "new_secret": "on", "enabled": "on"},
    )
    channel.refresh_from_db()
    assert config.opened(channel)["secret"] != secret
    assert config.opened(channel)["secret"] in again.content.decode()


def test_a_hotline_needs_twilio_credentials_and_its_ringing(admin, cast):
    missing = admin.post(
        f"{BASE}new/voice/",
        {"address": "+12025550142", "provider": "twilio", "ringing": "rota", "ring_seconds": 25},
    )
    assert missing.status_code == 400
    assert 'href="#id_auth_token"' in missing.content.decode()
    too_long = admin.post(
        f"{BASE}new/voice/",
        {
            "address": "+12025550142",
            "provider": "twilio",
            "ringing": "rota",
            "ring_seconds": 900,
            "account_sid": "AC123",
            "auth_token": SECRET,
        },
    )
    assert too_long.status_code == 400
    done = admin.post(
        f"{BASE}new/voice/",
        {
            "address": "+1 202 555 0142",
            "provider": "twilio",
            "ringing": "rota",
            "ring_seconds": 30,
            "account_sid": "AC123",
            "auth_token": SECRET,
            "enabled": "on",
        },
    )
    assert done.status_code == 302
    channel = IntakeChannel.objects.get()
    assert (channel.address, channel.ringing, channel.ring_seconds) == ("+12025550142", "rota", 30)
    assert config.opened(channel) == {"account_sid": "AC123", "auth_token": SECRET}


def test_only_the_events_organiser_admins_reach_the_channel_pages(signed_in, cast):
    channel = IntakeChannel.objects.create(
        event=cast.event, kind="mail", provider="listener", address="r@conf.example"
    )
    for person in (cast.lead, cast.responder, cast.staff, cast.outsider):
        client = signed_in(person)
        assert client.get(BASE).status_code == 404
        assert client.get(f"{BASE}new/mail/").status_code == 404
        assert client.post(f"{BASE}{channel.pk}/", {"address": "x@y.example"}).status_code == 404
    admin = signed_in(cast.admin)
    assert admin.get(f"{BASE}new/fax/").status_code == 404
    assert admin.get("/staff/manage/events/other-conf/channels/").status_code == 404


def test_leads_see_what_the_channels_turned_away_counted_without_senders(signed_in, cast):
    texts = IntakeChannel.objects.create(
        event=cast.event, kind="sms", provider="gateway", address="+4930555000"
    )
    for n in range(3):
        inbound.refuse(texts, f"SM{n}", InboundMessage.Reason.FLOOD, sender="+49151999888")
    inbound.refuse(texts, "SMx", InboundMessage.Reason.EMPTY)
    inbound.receive(
        inbound.Arrival(texts, "SMok", "+49151000111", "a real report"), channel_value=Channel.SMS
    )
    page = signed_in(cast.lead).get("/staff/events/conf/turned-away/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Too many messages from one sender" in html
    assert "<dd>3</dd>" in html
    assert "<strong>4</strong>" in html
    assert "151999888" not in html
    for person in (cast.responder, cast.staff, cast.admin, cast.outsider):
        assert signed_in(person).get("/staff/events/conf/turned-away/").status_code == 404


def test_the_event_page_and_printables_list_the_enabled_ways_to_report(signed_in, cast, client):
    IntakeChannel.objects.create(
        event=cast.event, kind="mail", provider="listener", address="report@conf.example"
    )
    IntakeChannel.objects.create(
        event=cast.event, kind="voice", provider="twilio", address="+12025550142"
    )
    IntakeChannel.objects.create(
        event=cast.event, kind="sms", provider="twilio", address="+12025550199", enabled=False
    )
    page = client.get("/e/conf/").content.decode()
    assert 'href="mailto:report@conf.example"' in page
    assert 'href="tel:+12025550142"' in page
    assert "+12025550199" not in page
    lead = signed_in(cast.lead)
    assert "report@conf.example" in lead.get("/staff/manage/events/conf/poster/").content.decode()
    card = lead.get("/staff/events/conf/pocket-card/").content.decode()
    assert "+12025550142" in card


def test_the_dashboard_shows_each_cases_channels(signed_in, cast):
    factories.file_report(cast.event, channel=Channel.PHONE, taken_by=cast.staff)
    html = signed_in(cast.lead).get("/staff/").content.decode()
    assert "By phone, to a staff member" in html
