"""Text messages and hotline calls through Twilio's webhooks (intake.hooks,
intake.channels.texts, voice, voicemail): requests form-encoded and signed as Twilio
sends them, a fake Twilio REST API on loopback for what Ombud sends and fetches."""

import json
import time
import urllib.parse
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from ombud.cases.models import (
    Attachment,
    Case,
    Channel,
    Message,
    RepliesTo,
    Report,
    TimelineEntry,
)
from ombud.cases.services import reporter, work
from ombud.intake.channels import config as intake_config
from ombud.intake.channels import texts, twilio, voicemail
from ombud.intake.models import InboundMessage, IntakeChannel, PendingRecording
from ombud.notify import worker
from ombud.notify.models import OutboxMessage
from ombud.staff.models import Membership
from ombud.web.models import SharedState
from tests import factories
from tests.fake_twilio import AUDIO, PNG, FakeTwilio, sid, sign, sms_params, voice_params

pytestmark = pytest.mark.django_db

HOTLINE = "+12025550142"
CALLER = "+4915100000042"
ACCOUNT = "AC" + "a1" * 16
TOKEN = "f3" * 16


@pytest.fixture
def fake(settings):
    provider = FakeTwilio(ACCOUNT, TOKEN).start()
    settings.TWILIO_API_URL = provider.url
    settings.SMS_GATEWAY_URL = provider.url + "/gateway"
    settings.SMS_GATEWAY_TOKEN = "gateway-token"
    yield provider
    provider.stop()


def _channel(event, kind, provider=IntakeChannel.Provider.TWILIO, config=None, **extra):
    channel = IntakeChannel(event=event, kind=kind, provider=provider, address=HOTLINE, **extra)
    intake_config.seal(channel, config or {"account_sid": ACCOUNT, "auth_token": TOKEN})
    channel.save()
    return channel


@pytest.fixture
def sms(cast, fake):
    return _channel(cast.event, IntakeChannel.Kind.SMS)


@pytest.fixture
def phones(cast):
    """Who can be rung: Lena Lead (off duty), Lou Second (lead, on duty), Rita
    Responder (on duty); Otto is off duty, Uma has not acknowledged the code."""
    numbers = {"lead": "+49 30 1111", "lead2": "+49 30 3333", "responder": "+49 30 2222"}
    numbers |= {"responder_off": "+49 30 4444", "unacked": "+49 30 5555"}
    for name, number in numbers.items():
        Membership.objects.filter(pk=cast.memberships[name].pk).update(phone=number)
    return numbers


def hooked(client, url: str, params: dict, *, token=TOKEN, signature=None):
    """POST as Twilio does: form-encoded, signed over the public URL."""
    path = url.removeprefix(settings.BASE_URL)
    headers = {}
    if signature is not False:
        headers["HTTP_X_TWILIO_SIGNATURE"] = signature or sign(
            token, settings.BASE_URL + path, params
        )
    return client.post(
        path,
        data=urllib.parse.urlencode(params),
        content_type="application/x-www-form-urlencoded",
        **headers,
    )


def text(client, body, *, sender=CALLER, message_sid="", **extra):
    params = sms_params(ACCOUNT, sender, HOTLINE, body, message_sid, **extra)
    return hooked(client, "/hooks/twilio/conf/sms", params), params


def xml(response) -> ET.Element:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)  # noqa: S314 -- our own server's answer


# --- Signatures ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("+14158675309", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ("+14158675310", "GvWf1cFY/Q7PnoempGyD5oXAezc="),
    ],
)
def test_the_signature_is_twilios_documented_one(number, expected):
    params = {"CallSid": "CA1234567890ABCDE", "Caller": number, "Digits": "1234"}
    params |= {"From": number, "To": "+18005551212"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio.signature("12345", url, params.items()) == expected
    assert twilio.valid("12345", url, params.items(), expected)
    # With the scheme's port written out, as some set-ups have Twilio sign it.
    assert twilio.valid("12345", url.replace(".com/", ".com:443/"), params.items(), expected)
    assert not twilio.valid("12345", url, [*params.items(), ("Body", "x")], expected)
    assert not twilio.valid("54321", url, params.items(), expected)


def test_unsigned_forged_or_wrongly_signed_requests_are_refused_without_detail(client, sms):
    params = sms_params(ACCOUNT, CALLER, HOTLINE, "FORGEDCANARY")
    for response in (
        hooked(client, "/hooks/twilio/conf/sms", params, signature=False),
        hooked(client, "/hooks/twilio/conf/sms", params, signature="Zm9yZ2Vk"),
        hooked(client, "/hooks/twilio/conf/sms", params, token="0" * 32),
        # Signed for another URL (the Host header is not trusted for this).
        hooked(
            client, "/hooks/twilio/conf/sms", params, signature=sign(TOKEN, "http://evil/x", params)
        ),
    ):
        assert response.status_code == 403
        assert response.content == b""
    assert not Report.objects.exists()
    assert not InboundMessage.objects.exists()


def test_unknown_event_number_or_step_is_a_404_and_malformed_a_400(client, sms):
    params = sms_params(ACCOUNT, CALLER, HOTLINE, "hello")
    assert hooked(client, "/hooks/twilio/nope/sms", params).status_code == 404
    assert hooked(client, "/hooks/twilio/conf/voice", params).status_code == 404  # no hotline
    other = sms_params(ACCOUNT, CALLER, "+12025550199", "hello")
    assert hooked(client, "/hooks/twilio/conf/sms", other).status_code == 404
    for broken in (
        {k: v for k, v in params.items() if k != "MessageSid"},
        {**params, "MessageSid": "SM'; DROP"},
        {**params, "From": ""},
        {**params, "NumMedia": "many"},
        {**params, "NumMedia": "99"},
    ):
        assert hooked(client, "/hooks/twilio/conf/sms", broken).status_code == 400
    assert client.get("/hooks/twilio/conf/sms").status_code == 405
    assert not Report.objects.exists()


# --- Texts -----------------------------------------------------------------------------


def test_a_first_text_files_a_report_and_the_receipt_goes_back_by_text_once(
    client, cast, sms, fake
):
    response, params = text(client, "TEXTCANARY he kept touching me at the bar")
    assert list(xml(response)) == []  # empty TwiML: the receipt goes through the outbox
    report = Report.objects.get()
    assert report.channel == Channel.SMS
    assert report.language == cast.event.default_language
    # The same webhook again (Twilio retrying): no second report, no second text.
    again = hooked(client, "/hooks/twilio/conf/sms", params)
    assert list(xml(again)) == []
    assert Report.objects.count() == 1
    queued = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.TO_REPORTER)
    assert queued.count() == 1
    assert b"TEXTCANARY" not in bytes(queued.get().sealed_envelope)
    assert CALLER.encode() not in bytes(queued.get().sealed_envelope)
    assert TimelineEntry.objects.filter(case=report.case, kind="receipt_sent").exists()

    receipt = delivered_receipt(fake)
    [sent] = fake.sent_to(CALLER)
    assert sent.sender == HOTLINE
    assert "/receipt/" in sent.body
    assert reporter.view(receipt).content["what_happened"].startswith("TEXTCANARY")
    assert reporter.view(receipt).content["contact"] == CALLER
    assert not fake.unauthorised
    # Delivered: nothing of where to or what is left in the outbox.
    assert queued.get().sealed_envelope is None


def test_a_later_text_joins_the_case_with_a_content_free_acknowledgement(client, sms):
    text(client, "first")
    response, _params = text(client, "LATERCANARY and Lou Second saw it")
    reply = xml(response)
    assert [m.tag for m in reply] == ["Message"]
    assert "LATERCANARY" not in reply[0].text
    assert Report.objects.count() == 1
    assert "lead2" in factories.recused(Report.objects.get().case)


def test_mms_files_are_fetched_from_the_provider_only_and_checked(client, sms, fake):
    message_sid = sid("MM")
    picture = fake.media_url(message_sid, PNG)
    response, _params = text(
        client,
        "photo of the note",
        message_sid=message_sid,
        NumMedia="2",
        MediaUrl0=picture,
        MediaContentType0="image/png",
        MediaUrl1="http://169.254.169.254/latest/meta-data",
        MediaContentType1="image/png",
    )
    assert response.status_code == 200
    report = Report.objects.get()
    [attachment] = Attachment.objects.filter(case=report.case)
    assert PNG not in bytes(attachment.sealed_data)
    # Twilio's redirect to its file store is followed without the account's password.
    assert fake.file_store_auth == [""]
    view = reporter.view(delivered_receipt(fake))
    assert [f["type"] for f in view.files] == ["image/png"]
    # The link-local address was never asked; the report says a file could not be kept.
    assert "1 file sent with this text could not be kept" in view.content["what_happened"]


def delivered_receipt(fake, number=CALLER) -> str:
    worker.deliver_due()
    body = fake.sent_to(number)[-1].body
    return next(word for word in body.split() if word.count("-") >= 2)


# --- The generic gateway -------------------------------------------------------------------

SECRET = "gateway-secret-" + "9" * 16


@pytest.fixture
def gateway(cast, fake):
    return _channel(
        cast.event,
        IntakeChannel.Kind.SMS,
        IntakeChannel.Provider.GATEWAY,
        config={"secret": SECRET},
    )


def gateway_post(client, payload, *, at=None, secret=SECRET, raw=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    timestamp = str(int(at if at is not None else time.time()))
    return client.post(
        "/hooks/sms/conf",
        data=body,
        content_type="application/json",
        HTTP_X_OMBUD_TIMESTAMP=timestamp,
        HTTP_X_OMBUD_SIGNATURE=texts.gateway_signature(secret, timestamp, body),
    )


def test_the_gateway_files_a_signed_text_and_sends_the_receipt_back_through_it(
    client, gateway, fake
):
    payload = {"id": "gw-1", "from": CALLER, "to": HOTLINE, "text": "GATEWAYCANARY at lunch"}
    first = gateway_post(client, payload)
    assert first.status_code == 200
    assert first.json() == {"outcome": "filed", "repeated": False, "reply": ""}
    assert gateway_post(client, payload).json()["repeated"] is True
    later = gateway_post(client, {**payload, "id": "gw-2", "text": "more"}).json()
    assert later["outcome"] == "added"
    assert later["reply"]
    assert "more" not in later["reply"]
    assert Report.objects.count() == 1
    worker.deliver_due()
    [sent] = fake.gateway
    assert sent["to"] == CALLER
    assert sent["from"] == HOTLINE
    assert "/receipt/" in sent["text"]
    assert sent["auth"] == "Bearer gateway-token"


def test_the_gateway_refuses_stale_forged_and_malformed_requests(client, gateway):
    payload = {"id": "gw-1", "from": CALLER, "to": HOTLINE, "text": "hello"}
    # A captured request replayed six minutes later.
    assert gateway_post(client, payload, at=time.time() - 360).status_code == 403
    assert gateway_post(client, payload, secret="guessed").status_code == 403
    unsigned = client.post("/hooks/sms/conf", data=payload, content_type="application/json")
    assert unsigned.status_code == 403
    assert gateway_post(client, None, raw=b"{not json").status_code == 400
    assert gateway_post(client, {**payload, "id": 5}).status_code == 400
    assert gateway_post(client, ["a list"]).status_code == 400
    assert gateway_post(client, {**payload, "to": "+100"}).status_code == 404
    assert (
        client.post(
            "/hooks/sms/other-conf", data=b"{}", content_type="application/json"
        ).status_code
        == 404
    )
    assert not Report.objects.exists()


# --- Calls -------------------------------------------------------------------------------


@pytest.fixture
def hotline(cast, fake, phones):
    return _channel(cast.event, IntakeChannel.Kind.VOICE, ring_seconds=20)


def ring(client, url, call_sid, caller=CALLER, **extra) -> ET.Element:
    return xml(hooked(client, url, voice_params(ACCOUNT, call_sid, caller, HOTLINE, **extra)))


def dialled_numbers(doc) -> set[str]:
    return {number.text for number in doc.iter("Number")}


def through_menu(client, call_sid, digits="", caller=CALLER) -> ET.Element:
    menu = ring(client, "/hooks/twilio/conf/voice", call_sid, caller)
    extra = {"Digits": digits} if digits else {}
    return ring(client, menu.find("Gather").get("action"), call_sid, caller, **extra)


def nobody_answered(client, doc, call_sid, caller=CALLER) -> ET.Element:
    action = doc.find("Dial").get("action")
    return ring(client, action, call_sid, caller, DialCallStatus="no-answer", DialCallDuration="0")


def test_a_call_hears_a_menu_in_the_events_language(client, cast, hotline):
    cast.event.default_language = "de"
    cast.event.save(update_fields=["default_language"])
    doc = ring(client, "/hooks/twilio/conf/voice", sid("CA"))
    gather = doc.find("Gather")
    assert gather.get("numDigits") == "1"
    assert gather.find("Say").get("language") == "de-DE"
    assert gather.get("action") == settings.BASE_URL + "/hooks/twilio/conf/voice/menu"
    # No key pressed: on to the ringing, as if the report were not about staff.
    assert doc.find("Redirect").text == gather.get("action")


def test_everyone_on_duty_is_rung_at_once_from_the_hotlines_number(client, hotline):
    call_sid = sid("CA")
    doc = through_menu(client, call_sid)
    dial = doc.find("Dial")
    assert dial.get("callerId") == HOTLINE
    assert dial.get("timeout") == "20"
    # Rita and Lou are on duty; Lena is off duty, Otto off duty, Uma unacknowledged.
    assert dialled_numbers(doc) == {"+49302222", "+49303333"}
    assert all("/voice/whisper?" in n.get("url") for n in doc.iter("Number"))
    assert CALLER not in ET.tostring(doc, encoding="unicode")
    # Nobody answered: the lead off duty is rung (the escalation), then voicemail.
    doc = nobody_answered(client, doc, call_sid)
    assert dialled_numbers(doc) == {"+49301111"}
    assert nobody_answered(client, doc, call_sid).find("Record") is not None


def test_in_rota_order_one_at_a_time_then_the_leads_then_voicemail(client, hotline):
    hotline.ringing = IntakeChannel.Ringing.ROTA
    hotline.save(update_fields=["ringing"])
    call_sid = sid("CA")
    doc = through_menu(client, call_sid)
    rung = []
    while doc.find("Dial") is not None:
        assert len(list(doc.iter("Number"))) == 1
        rung += dialled_numbers(doc)
        doc = nobody_answered(client, doc, call_sid)
    # Lou's shift began first, then Rita's; Lena, the lead off duty, last.
    assert rung == ["+49303333", "+49302222", "+49301111"]
    assert doc.find("Record") is not None


def test_a_report_about_staff_rings_the_incident_leads_only(client, hotline):
    doc = through_menu(client, sid("CA"), digits="1")
    assert dialled_numbers(doc) == {"+49301111", "+49303333"}


def test_nobody_recused_from_the_callers_case_is_rung(client, cast, sms, hotline):
    text(client, "Rita Responder is the one I mean")  # names Rita: she is recused
    assert "responder" in factories.recused(Report.objects.get().case)
    doc = through_menu(client, sid("CA"))
    assert dialled_numbers(doc) == {"+49303333"}


def whisper(client, number_element, digits=None) -> ET.Element:
    url = number_element.get("url")
    child = sid("CA")
    params = voice_params(ACCOUNT, child, HOTLINE, number_element.text, Direction="outbound-dial")
    doc = xml(hooked(client, url, params))
    gather = doc.find("Gather")
    assert gather.get("numDigits") == "1"
    if digits is None:
        return doc
    return xml(hooked(client, gather.get("action"), {**params, "Digits": digits}))


def test_whoever_answers_can_hand_on_and_is_recused_the_call_goes_on(client, cast, sms, hotline):
    text(client, "it happened at the party")
    case = Report.objects.get().case
    call_sid = sid("CA")
    doc = through_menu(client, call_sid)
    rita = next(n for n in doc.iter("Number") if n.text == "+49302222")
    handed = whisper(client, rita, "2")
    assert handed.find("Hangup") is not None
    assert "responder" in factories.recused(case)
    # The <Dial> ended without a connection: the others are rung again, Rita not.
    action = doc.find("Dial").get("action")
    doc = ring(client, action, call_sid, DialCallStatus="completed", DialCallDuration="0")
    assert dialled_numbers(doc) == {"+49303333"}
    [lou] = doc.iter("Number")
    taken = whisper(client, lou, "1")
    assert list(taken) == []  # the whisper ends: the caller is put through
    action = doc.find("Dial").get("action")
    end = ring(client, action, call_sid, DialCallStatus="completed", DialCallDuration="75")
    assert end.find("Hangup") is not None
    # Twilio's end-of-call status callback as well: still one entry, one count.
    ring(
        client,
        "/hooks/twilio/conf/voice/status",
        call_sid,
        CallStatus="completed",
        CallDuration="90",
    )
    [entry] = TimelineEntry.objects.filter(case=case, kind=TimelineEntry.Kind.CALL)
    assert entry.detail == {"seconds": 75, "answered_by": "Lou Second", "voicemail": False}
    assert CALLER not in str(entry.detail)
    assert InboundMessage.objects.filter(outcome=InboundMessage.Outcome.CALL).count() == 1


def test_no_key_at_the_whisper_is_not_taking_the_call(client, hotline):
    call_sid = sid("CA")
    doc = through_menu(client, call_sid)
    number = next(iter(doc.iter("Number")))
    silent = whisper(client, number)
    # Nothing pressed (a phone's own voicemail picked up): on to the others.
    redirect = silent.find("Redirect").text
    child = voice_params(ACCOUNT, sid("CA"), HOTLINE, number.text)
    assert xml(hooked(client, redirect, child)).find("Hangup") is not None
    action = doc.find("Dial").get("action")
    again = ring(client, action, call_sid, DialCallStatus="completed", DialCallDuration="0")
    assert number.text not in dialled_numbers(again)


def voicemail_left(client, fake, call_sid, *, caller=CALLER, fail=0):
    recording = sid("RE")
    fake.recordings[recording] = AUDIO
    fake.fail_fetches[recording] = fail
    doc = through_menu(client, call_sid, caller=caller)
    while doc.find("Dial") is not None:
        doc = nobody_answered(client, doc, call_sid, caller)
    record = doc.find("Record")
    params = voice_params(ACCOUNT, call_sid, caller, HOTLINE)
    params |= {
        "RecordingSid": recording,
        "RecordingUrl": f"{fake.url}/2010-04-01/Accounts/{ACCOUNT}/Recordings/{recording}",
        "RecordingDuration": "12",
        "Digits": "#",
    }
    bye = xml(hooked(client, record.get("action"), params))
    assert bye.find("Hangup") is not None
    status = {
        "AccountSid": ACCOUNT,
        "CallSid": call_sid,
        "RecordingSid": recording,
        "RecordingUrl": params["RecordingUrl"],
        "RecordingStatus": "completed",
        "RecordingDuration": "12",
        "RecordingChannels": "1",
        "RecordingSource": "RecordVerb",
    }
    assert hooked(client, record.get("recordingStatusCallback"), status).status_code == 200
    return recording


def test_a_voicemail_becomes_an_urgent_case_with_the_sealed_recording(client, cast, hotline, fake):
    recording = voicemail_left(client, fake, sid("CA"))
    report = Report.objects.get()
    assert report.channel == Channel.HOTLINE
    assert report.case.urgent
    assert OutboxMessage.objects.filter(
        kind=OutboxMessage.Kind.URGENT_REPORT, subject_id=report.case_id
    ).exists()
    [attachment] = Attachment.objects.filter(case=report.case)
    assert AUDIO not in bytes(attachment.sealed_data)
    factories.declared(report.case, cast.lead)
    opened = work.open_attachment(report.case, attachment.pk, by=factories.holding_key(cast.lead))
    assert (opened.data, opened.content_type) == (AUDIO, "audio/mpeg")
    # Deleted at the provider once sealed; nothing left to fetch.
    assert fake.deleted == [recording]
    assert recording not in fake.recordings
    assert not PendingRecording.objects.exists()
    [entry] = TimelineEntry.objects.filter(case=report.case, kind=TimelineEntry.Kind.CALL)
    assert entry.detail == {"seconds": 12, "answered_by": "", "voicemail": True}


def test_a_failed_fetch_is_retried_until_sealed_and_never_files_twice(client, hotline, fake):
    recording = voicemail_left(client, fake, sid("CA"), fail=2)
    assert not Report.objects.exists()
    pending = PendingRecording.objects.get()
    assert pending.attempts == 1
    assert pending.last_error
    assert recording in fake.recordings  # still at the provider
    assert CALLER.encode() not in bytes(pending.sealed_caller)
    # Retried after its back-off: it fails once more, then it is sealed.
    assert pending.next_attempt_at > timezone.now() - timedelta(seconds=1)
    assert voicemail.settle_due(timezone.now() + timedelta(hours=1)) == 0
    assert PendingRecording.objects.get().attempts == 2
    later = timezone.now() + timedelta(days=1)
    assert voicemail.settle_due(later) == 1
    assert voicemail.settle_due(later) == 0
    assert Report.objects.count() == 1
    assert fake.deleted == [recording]
    assert Case.objects.count() == 1


def test_a_voicemail_from_a_reporter_joins_their_case(client, sms, hotline, fake):
    text(client, "first by text")
    case = Report.objects.get().case
    voicemail_left(client, fake, sid("CA"))
    assert Report.objects.count() == 1
    [attachment] = Attachment.objects.filter(case=case)
    assert attachment.via_inbox
    [entry] = TimelineEntry.objects.filter(case=case, kind=TimelineEntry.Kind.CALL)
    assert entry.detail["voicemail"] is True


def test_staff_replies_reach_a_texter_as_a_notice_or_in_full_only_if_asked(client, cast, sms, fake):
    text(client, "it was at the registration desk")
    delivered_receipt(fake)
    report = Report.objects.get()
    factories.declared(report.case, cast.lead)
    lead = factories.holding_key(cast.lead)
    work.message_reporter(report.case, "REPLYCANARY could you tell us when?", by=lead)
    worker.deliver_due()
    notice = fake.sent_to(CALLER)[-1]
    assert "REPLYCANARY" not in notice.body
    assert "/receipt/" in notice.body
    assert notice.sender == HOTLINE
    # The reporter asked for the team's replies by text: then in full.
    Report.objects.filter(pk=report.pk).update(replies_to=RepliesTo.SMS)
    work.message_reporter(Case.objects.get(), "REPLYCANARY and where?", by=lead)
    queued = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.TO_REPORTER, state="pending")
    assert b"REPLYCANARY" not in bytes(queued.get().sealed_envelope)
    worker.deliver_due()
    assert "REPLYCANARY and where?" in fake.sent_to(CALLER)[-1].body
    assert len(fake.sent_to(CALLER)) == 3


def test_a_sealed_config_that_does_not_open_signs_nothing(client, cast, fake):
    channel = IntakeChannel(event=cast.event, kind="sms", provider="twilio", address="+12025550100")
    intake_config.seal(channel, {"account_sid": ACCOUNT, "auth_token": TOKEN})
    channel.address = HOTLINE  # sealed for another number: it must not open here
    channel.save()
    response, _params = text(client, "hello")
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_a_voicemail_sealed_but_not_yet_deleted_is_deleted_later_not_filed_again(
    client, hotline, fake
):
    fake.fail_deletes = 1
    recording = voicemail_left(client, fake, sid("CA"))
    assert Report.objects.count() == 1
    assert recording in fake.recordings  # the deletion failed: it is still there
    assert PendingRecording.objects.get().attempts == 1
    assert voicemail.settle_due(timezone.now() + timedelta(days=1)) == 1
    assert recording not in fake.recordings
    assert Report.objects.count() == 1
    assert not PendingRecording.objects.exists()


# --- What the review of the channels found (each failed before its fix) ----------------


@pytest.mark.parametrize("timestamp", ["²", "9" * 5000, "１２３"])
def test_a_timestamp_int_cannot_read_is_refused_not_a_500(client, gateway, timestamp):
    body = json.dumps({"id": "gw-1", "from": CALLER, "to": HOTLINE, "text": "x"}).encode()
    response = client.generic(
        "POST",
        "/hooks/sms/conf",
        body,
        content_type="application/json",
        HTTP_X_OMBUD_TIMESTAMP=timestamp,
        HTTP_X_OMBUD_SIGNATURE=texts.gateway_signature(SECRET, timestamp, body),
    )
    assert response.status_code == 403
    assert not Report.objects.exists()


@pytest.mark.parametrize("hidden", ["Anonymous", "+266696687", "+7378742833", "restricted"])
def test_callers_who_hide_their_number_never_share_a_case(client, hotline, fake, hidden):
    voicemail_left(client, fake, sid("CA"), caller=hidden)
    voicemail_left(client, fake, sid("CA"), caller=hidden)
    assert Case.objects.count() == 2
    assert set(Report.objects.values_list("contact_digest", flat=True)) == {""}


def test_a_voicemail_about_staff_reaches_the_incident_leads_only(client, cast, hotline, fake):
    recording = sid("RE")
    fake.recordings[recording] = AUDIO
    call_sid = sid("CA")
    doc = through_menu(client, call_sid, digits="1")  # "about a member of staff"
    while doc.find("Dial") is not None:
        doc = nobody_answered(client, doc, call_sid)
    params = voice_params(ACCOUNT, call_sid, CALLER, HOTLINE)
    params |= {"RecordingSid": recording, "RecordingDuration": "9", "Digits": "#"}
    xml(hooked(client, doc.find("Record").get("action"), params))
    assert voicemail.settle_due(timezone.now() + timedelta(days=1)) == 1
    case = Report.objects.get().case
    assert factories.recused(case) >= {"responder", "offduty", "unacked", "staffer", "desker"}
    assert not factories.recused(case) & {"lead", "lead2"}
    alerted = set(
        OutboxMessage.objects.filter(subject_id=case.pk).values_list(
            "recipient__username", flat=True
        )
    )
    assert alerted
    assert alerted <= {"lead", "lead2"}


def test_whoever_handed_the_call_on_never_gets_its_voicemail(client, cast, hotline, fake):
    recording = sid("RE")
    fake.recordings[recording] = AUDIO
    call_sid = sid("CA")
    doc = through_menu(client, call_sid)
    rita = next(n for n in doc.iter("Number") if n.text == "+49302222")
    whisper(client, rita, "2")
    while doc.find("Dial") is not None:
        doc = nobody_answered(client, doc, call_sid)
    params = voice_params(ACCOUNT, call_sid, CALLER, HOTLINE)
    params |= {"RecordingSid": recording, "RecordingDuration": "9", "Digits": "#"}
    xml(hooked(client, doc.find("Record").get("action"), params))
    voicemail.settle_due(timezone.now() + timedelta(days=1))
    case = Report.objects.get().case
    assert "responder" in factories.recused(case)


def test_a_returning_callers_voicemail_makes_their_case_urgent(client, sms, hotline, fake):
    text(client, "it was at the registration desk")
    case = Report.objects.get().case
    assert not case.urgent
    voicemail_left(client, fake, sid("CA"))
    case.refresh_from_db()
    assert case.urgent
    assert OutboxMessage.objects.filter(
        kind=OutboxMessage.Kind.URGENT_REPORT, subject_id=case.pk
    ).exists()


def test_a_number_that_texts_without_end_is_counted_not_filed(client, sms, settings):
    settings.INTAKE_TEXTS_PER_SENDER_HOUR = 3
    for n in range(5):
        text(client, f"message {n}")
    assert Report.objects.count() == 1
    assert Message.objects.filter(case=Report.objects.get().case).count() == 2
    assert InboundMessage.objects.filter(reason=InboundMessage.Reason.FLOOD).count() == 2


def test_a_voicemail_that_cannot_be_fetched_is_reported_without_it_then_joins(
    client, hotline, fake
):
    recording = voicemail_left(client, fake, sid("CA"), fail=3)
    assert not Report.objects.exists()
    later = timezone.now() + timedelta(minutes=10)
    pending = PendingRecording.objects.get()
    PendingRecording.objects.filter(pk=pending.pk).update(
        created_at=timezone.now() - voicemail.REPORT_UNFETCHED_AFTER
    )
    voicemail.settle_due(later)
    report = Report.objects.get()
    assert report.case.urgent  # the team knows at once
    assert not Attachment.objects.exists()
    # The recording can be had after all: it joins the same case, once.
    voicemail.settle_due(later + timedelta(days=1))
    voicemail.settle_due(later + timedelta(days=2))
    assert Case.objects.count() == 1
    assert Attachment.objects.filter(case=report.case).count() == 1
    assert recording in fake.deleted


def test_a_message_to_a_reporter_that_cannot_be_delivered_keeps_nothing(client, sms, fake):
    text(client, "it was at the registration desk")
    row = OutboxMessage.objects.get(kind=OutboxMessage.Kind.TO_REPORTER)
    OutboxMessage.objects.filter(pk=row.pk).update(attempts=worker.MAX_ATTEMPTS - 1)
    IntakeChannel.objects.filter(pk=sms.pk).update(enabled=False)
    worker.deliver_due()
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.DEAD
    assert row.sealed_envelope is None


def test_a_calls_steps_may_reach_another_node(client, hotline, settings):
    """On PostgreSQL the call's state is in the database: a step that reaches another
    web node (its own empty file cache) goes on where the call was."""
    settings.RATE_LIMIT_STORE = "database"
    hotline.ringing = IntakeChannel.Ringing.ROTA
    hotline.save(update_fields=["ringing"])
    call_sid = sid("CA")
    doc = through_menu(client, call_sid)
    rung = []
    while doc.find("Dial") is not None:
        rung += dialled_numbers(doc)
        cache.clear()  # the next step on a node that has seen nothing of this call
        doc = nobody_answered(client, doc, call_sid)
    assert rung == ["+49303333", "+49302222", "+49301111"]
    assert doc.find("Record") is not None
    assert SharedState.objects.count() == 1
    assert CALLER not in SharedState.objects.get().value
