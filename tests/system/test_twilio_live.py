"""Texts and hotline calls against a running `ombud demo`, with its worker: webhooks
form-encoded and signed as Twilio sends them to the demo event's number, a fake
Twilio REST API on loopback receiving the receipt texts and serving (and deleting)
the voicemail. A canary in a text, in a voicemail's audio, the caller's number and
the receipt appear nowhere at rest, in the logs or in any alert e-mail."""

import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from ombud.demo import seed
from tests.fake_twilio import AUDIO, FakeTwilio, sid, sign, signed_headers, sms_params, voice_params
from tests.live import OmbudDemo
from tests.system.test_canary import _database_bytes

pytestmark = pytest.mark.system

HOTLINE = "+12025550142"
TOKEN = "d" * 32


@pytest.fixture
def twilio_demo(tmp_path, mail_sink):
    fake = FakeTwilio(seed.TWILIO_ACCOUNT_SID, TOKEN).start()
    server = OmbudDemo(tmp_path / "data", mail=mail_sink)
    server.env["OMBUD_DEMO_TWILIO_AUTH_TOKEN"] = TOKEN
    server.env["OMBUD_TWILIO_API_URL"] = fake.url
    server.start()
    yield server, fake
    server.stop()
    fake.stop()


def post(server, url, params, *, headers=None):
    """POST as Twilio does; returns (status, body)."""
    if not url.startswith("http"):
        url = server.base_url + url
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(params).encode(),
        headers=headers if headers is not None else signed_headers(TOKEN, url, params),
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def twiml(server, url, params) -> ET.Element:
    status, body = post(server, url, params)
    assert status == 200, body
    return ET.fromstring(body)  # noqa: S314 -- the server under test's answer


def wait_for(predicate, timeout=30.0, what="it"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen in {timeout}s")


def test_texts_and_a_voicemail_leave_nothing_in_clear(twilio_demo, mail_sink):
    server, fake = twilio_demo
    account = seed.TWILIO_ACCOUNT_SID
    canary = f"CANARY{secrets.token_hex(6).upper()}SMS"
    later = f"CANARY{secrets.token_hex(6).upper()}LATER"
    caller = f"+4915{secrets.randbelow(10**8):08d}"
    audio = AUDIO + f"CANARY{secrets.token_hex(6).upper()}AUDIO".encode()
    hook = "/hooks/twilio/pycon-demo/sms"

    # A first text, and Twilio retrying the same webhook.
    params = sms_params(account, caller, HOTLINE, f"{canary} he cornered me after the talk")
    first = twiml(server, hook, params)
    assert list(first) == []
    assert list(twiml(server, hook, params)) == []
    wait_for(lambda: fake.sent_to(caller), what="the receipt text")
    time.sleep(2)  # a second receipt would have been sent by now
    [receipt_text] = fake.sent_to(caller)
    assert receipt_text.sender == HOTLINE
    receipt = next(w for w in receipt_text.body.split() if w.count("-") >= 2)

    # Forged, unsigned, unknown event, malformed: refused, nothing filed.
    forged = sms_params(account, caller, HOTLINE, f"{canary} forged")
    assert (
        post(server, hook, forged, headers={"X-Twilio-Signature": sign("x" * 32, "u", {})})[0]
        == 403
    )
    assert post(server, hook, forged, headers={})[0] == 403
    assert post(server, "/hooks/twilio/no-such-event/sms", forged)[0] == 404
    broken = {k: v for k, v in forged.items() if k != "MessageSid"}
    assert post(server, hook, broken)[0] == 400

    # A later text joins the case, acknowledged without content.
    added = twiml(server, hook, sms_params(account, caller, HOTLINE, f"{later} and again"))
    assert [m.tag for m in added] == ["Message"]
    assert later not in added[0].text

    # A call nobody answers: a voicemail, fetched once the provider serves it.
    recording = sid("RE")
    fake.recordings[recording] = audio
    fake.fail_fetches[recording] = 1
    call_sid = sid("CA")
    doc = twiml(
        server, "/hooks/twilio/pycon-demo/voice", voice_params(account, call_sid, caller, HOTLINE)
    )
    say = doc.find("Gather/Say")
    assert say.get("language") == "en-US"
    doc = twiml(
        server, doc.find("Gather").get("action"), voice_params(account, call_sid, caller, HOTLINE)
    )
    while doc.find("Dial") is not None:
        assert doc.find("Dial").get("callerId") == HOTLINE
        assert caller not in ET.tostring(doc, encoding="unicode")
        params = voice_params(account, call_sid, caller, HOTLINE, DialCallStatus="no-answer")
        doc = twiml(server, doc.find("Dial").get("action"), params)
    params = voice_params(account, call_sid, caller, HOTLINE, RecordingSid=recording)
    params |= {"RecordingDuration": "9", "RecordingUrl": fake.url + "/r", "Digits": "hangup"}
    assert twiml(server, doc.find("Record").get("action"), params).find("Hangup") is not None
    # The first fetch failed; the worker fetches it again, seals it, deletes it there.
    wait_for(lambda: recording in fake.deleted, timeout=60, what="the voicemail's retry")
    assert recording not in fake.recordings
    time.sleep(1)

    stored = _database_bytes(server)
    logs = server.log()
    mails = b"".join(m.raw for m in mail_sink.messages())
    secrets_ = [canary, later, audio[-30:].decode(), caller, caller.removeprefix("+"), receipt]
    secrets_ += [receipt.replace("-", "")]
    for secret in secrets_:
        assert secret.encode() not in stored, f"{secret} at rest"
        assert secret not in logs, f"{secret} in the logs"
        assert secret.encode() not in mails, f"{secret} in an e-mail"
    # Alerts did go out: the report, the reporter's addition, the voicemail.
    assert mails
