"""A fake Twilio on loopback, and requests signed as Twilio signs them.

The fake REST API answers the calls Ombud makes, with Twilio's paths and basic
auth: it keeps the texts posted to ``Messages.json``, serves recordings (failing
the first N fetches when told to) and MMS media (through a redirect to a file
store, as Twilio does), and accepts ``DELETE`` of a recording.
"""

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# An MP3 as a detector sees one: an ID3 tag, then frames.
AUDIO = b"ID3\x03\x00\x00\x00\x00\x00\x0f" + b"\xff\xfb\x90\x64" + bytes(400)
# The smallest PNG there is, for an MMS.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def sign(token: str, url: str, params: dict) -> str:
    """X-Twilio-Signature, computed independently of Ombud's code: URL, then each
    parameter name + value in name order, HMAC-SHA1, base64."""
    data = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def signed_headers(token: str, url: str, params: dict) -> dict:
    return {
        "X-Twilio-Signature": sign(token, url, params),
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": "TwilioProxy/1.1",
        "I-Twilio-Idempotency-Token": secrets.token_hex(8),
    }


def sms_params(account: str, sender: str, to: str, body: str, message_sid: str = "", **extra):
    """The parameters of Twilio's inbound-message webhook."""
    message_sid = message_sid or sid("SM")
    return {
        "ToCountry": "US",
        "ToState": "DC",
        "SmsMessageSid": message_sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": message_sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "DE",
        "To": to,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": message_sid,
        "AccountSid": account,
        "From": sender,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def voice_params(account: str, call_sid: str, caller: str, to: str, **extra):
    """The parameters of Twilio's voice webhook (and of each action request)."""
    return {
        "Called": to,
        "ToState": "DC",
        "CallerCountry": "DE",
        "Direction": "inbound",
        "CallerState": "",
        "ToZip": "",
        "CallSid": call_sid,
        "To": to,
        "CallerZip": "",
        "ToCountry": "US",
        "CallToken": secrets.token_hex(8),
        "CalledZip": "",
        "ApiVersion": "2010-04-01",
        "CalledCity": "",
        "CallStatus": "in-progress",
        "From": caller,
        "AccountSid": account,
        "CalledCountry": "US",
        "CallerCity": "",
        "Caller": caller,
        "FromCountry": "DE",
        "ToCity": "",
        "FromState": "",
        "CalledState": "DC",
        "FromZip": "",
        **extra,
    }


@dataclass
class Sent:
    account: str
    to: str
    sender: str
    body: str


class FakeTwilio:
    def __init__(self, account: str, token: str):
        self.account, self.token = account, token
        self.texts: list[Sent] = []
        self.recordings: dict[str, bytes] = {}
        self.media: dict[str, bytes] = {}
        self.deleted: list[str] = []
        self.fail_fetches: dict[str, int] = {}
        self.fail_deletes = 0  # the next N deletions answer 500
        self.unauthorised: list[str] = []
        self.file_store_auth: list[str] = []
        self.gateway: list[dict] = []  # requests to the generic SMS gateway at /gateway
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "FakeTwilio":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def media_url(self, message_sid: str, data: bytes) -> str:
        media_sid = sid("ME")
        self.media[media_sid] = data
        message = f"{self.url}/2010-04-01/Accounts/{self.account}/Messages/{message_sid}"
        return f"{message}/Media/{media_sid}"

    def sent_to(self, number: str) -> list[Sent]:
        with self.lock:
            return [t for t in self.texts if t.to == number]

    def _handler(self):
        fake = self
        base = f"/2010-04-01/Accounts/{fake.account}/"

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(
                self, status: int, body: bytes = b"", headers=None, kind="application/json"
            ):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _authorised(self) -> bool:
                expected = base64.b64encode(f"{fake.account}:{fake.token}".encode()).decode()
                if self.headers.get("Authorization") == f"Basic {expected}":
                    return True
                fake.unauthorised.append(self.path)
                self._answer(401, b'{"code": 20003}')
                return False

            def do_GET(self):
                path = urllib.parse.urlsplit(self.path).path
                if path.startswith("/files/"):
                    # The file store behind the redirect: no account credentials here.
                    fake.file_store_auth.append(self.headers.get("Authorization", ""))
                    data = fake.media.get(path.rsplit("/", 1)[-1])
                    return self._answer(200 if data else 404, data or b"", kind="image/png")
                if not path.startswith(base) or not self._authorised():
                    return None if path.startswith(base) else self._answer(404)
                found = re.fullmatch(r"Recordings/(RE[0-9a-f]{32})\.mp3", path[len(base) :])
                if found:
                    recording = found.group(1)
                    with fake.lock:
                        failing = fake.fail_fetches.get(recording, 0)
                        if failing:
                            fake.fail_fetches[recording] = failing - 1
                    if failing:
                        return self._answer(503, b'{"code": 20500}')
                    data = fake.recordings.get(recording)
                    return self._answer(200 if data else 404, data or b"", kind="audio/mpeg")
                found = re.fullmatch(
                    r"Messages/MM[0-9a-f]{32}/Media/(ME[0-9a-f]{32})", path[len(base) :]
                )
                if found:
                    return self._answer(307, headers={"Location": f"/files/{found.group(1)}"})
                return self._answer(404)

            def do_POST(self):
                path = urllib.parse.urlsplit(self.path).path
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                if path == "/gateway":
                    with fake.lock:
                        fake.gateway.append(
                            {**json.loads(raw), "auth": self.headers["Authorization"]}
                        )
                    return self._answer(202, b"{}")
                form = urllib.parse.parse_qs(raw.decode())
                if path != base + "Messages.json":
                    return self._answer(404)
                if not self._authorised():
                    return None
                text = Sent(fake.account, form["To"][0], form["From"][0], form["Body"][0])
                with fake.lock:
                    fake.texts.append(text)
                return self._answer(
                    201, json.dumps({"sid": sid("SM"), "status": "queued"}).encode()
                )

            def do_DELETE(self):
                path = urllib.parse.urlsplit(self.path).path
                found = re.fullmatch(re.escape(base) + r"Recordings/(RE[0-9a-f]{32})\.json", path)
                if not found:
                    return self._answer(404)
                if not self._authorised():
                    return None
                with fake.lock:
                    failing, fake.fail_deletes = fake.fail_deletes, max(0, fake.fail_deletes - 1)
                if failing:
                    return self._answer(500, b'{"code": 20500}')
                with fake.lock:
                    gone = fake.recordings.pop(found.group(1), None)
                    fake.deleted.append(found.group(1))
                return self._answer(204 if gone is not None else 404)

        return Handler
