"""Twilio, the text-message and hotline provider: how it signs its webhooks, the TwiML
Ombud answers with, and the few REST calls Ombud makes (send a text, fetch a file a
reporter sent or a voicemail, delete a voicemail).

Signatures (``X-Twilio-Signature``) are HMAC-SHA1 under the account's auth token over
the URL Twilio requested - ``OMBUD_BASE_URL`` + path + query, as the console was told
- followed by every POST parameter, sorted by name, as name + value; base64. Twilio
signs no timestamp or nonce, so a captured request can be replayed; what makes a
replay harmless is idempotency by the provider's id (MessageSid, CallSid,
RecordingSid): a replay files nothing twice and sends nothing twice.
"""

import base64
import hashlib
import hmac
import re
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit
from xml.sax.saxutils import escape, quoteattr

import httpx
from django.conf import settings

from ombud.intake.channels import config as intake_config
from ombud.notify.channels import http

API_VERSION = "2010-04-01"
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Twilio's media and recording URLs answer with a redirect to its file store.
MAX_REDIRECTS = 3
# Twilio's ids: two letters (SM, MM, CA, RE, AC...) and 32 hex digits.
SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")


# --- Signatures ---------------------------------------------------------------------


def count(value, *, digits: int = 9) -> int | None:
    """A small number from a request (seconds, a stage, a timestamp, a member id): ASCII
    digits only, never so long that ``int`` refuses it; else None, never an exception."""
    value = value or ""
    if value.isascii() and value.isdigit() and len(value) <= digits:
        return int(value)
    return None


def signature(token: str, url: str, params) -> str:
    """What Twilio puts in ``X-Twilio-Signature`` for a POST of ``params`` (pairs) to
    ``url``: as twilio-python's RequestValidator computes it."""
    by_name: dict = {}
    for name, value in params:
        by_name.setdefault(name, []).append(value)
    data = url
    for name in sorted(by_name):
        for value in sorted(set(by_name[name])):
            data += name + value
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _with_and_without_port(url: str) -> list[str]:
    # Twilio's own validator accepts the URL with the scheme's port written out and
    # without it: load balancers and consoles differ in which one Twilio signed.
    parts = urlsplit(url)
    default = _DEFAULT_PORTS.get(parts.scheme)
    host = parts.hostname or ""
    bare = urlunsplit(parts._replace(netloc=host))
    if parts.port is None:
        return [url, urlunsplit(parts._replace(netloc=f"{host}:{default}"))]
    if parts.port == default:
        return [url, bare]
    return [url]


def valid(token: str, url: str, params, given: str) -> bool:
    if not token or not given:
        return False
    given_bytes = given.encode("utf-8", "replace")
    matched = False
    for candidate in _with_and_without_port(url):
        expected = signature(token, candidate, params).encode()
        matched |= hmac.compare_digest(expected, given_bytes)
    return matched


def public_url(request) -> str:
    """The URL Twilio requested, as it signed it: the public base URL, not the Host
    header (which anyone can set), with the query exactly as sent."""
    query = request.META.get("QUERY_STRING", "")
    return settings.BASE_URL + request.path + (f"?{query}" if query else "")


def hook_url(path: str, **query) -> str:
    """An absolute URL for TwiML (action, url attributes): Twilio signs it as written."""
    url = settings.BASE_URL + path
    return f"{url}?{urlencode(query)}" if query else url


# --- TwiML --------------------------------------------------------------------------


def tag(name: str, *inner: str, **attributes) -> str:
    """One TwiML element; ``inner`` is already XML (``text`` escapes words)."""
    attrs = "".join(
        f" {key}={quoteattr(str(value))}" for key, value in attributes.items() if value is not None
    )
    body = "".join(inner)
    return f"<{name}{attrs}>{body}</{name}>" if body else f"<{name}{attrs}/>"


def text(words: str) -> str:
    return escape(str(words))


def twiml(*verbs: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>' + tag("Response", *verbs)


# Ombud's languages as <Say language=...> knows them.
SPEECH_LANGUAGES = {
    "en": "en-US",
    "de": "de-DE",
    "es": "es-ES",
    "fr": "fr-FR",
    "pt-br": "pt-BR",
    "ja": "ja-JP",
    "ar": "ar-XA",
}


def say(words: str, language: str) -> str:
    return tag("Say", text(words), language=SPEECH_LANGUAGES.get(language, "en-US"))


# --- REST API -----------------------------------------------------------------------


class ProviderError(Exception):
    """Twilio's API did not do what was asked. The message names no content."""


def credentials(channel) -> tuple[str, str]:
    config = intake_config.opened(channel)
    return config.get("account_sid", ""), config.get("auth_token", "")


def api_url(account_sid: str, *parts: str) -> str:
    base = settings.TWILIO_API_URL.rstrip("/")
    return f"{base}/{API_VERSION}/Accounts/{account_sid}/" + "/".join(parts)


def on_api_host(url: str) -> bool:
    """Only files at the provider's own API are fetched with the account's credentials
    (a URL in a webhook cannot make Ombud reach anywhere else)."""
    api, given = urlsplit(settings.TWILIO_API_URL), urlsplit(url)
    return (
        given.scheme == api.scheme
        and (given.hostname or "").lower() == (api.hostname or "").lower()
        and (given.port or _DEFAULT_PORTS.get(given.scheme))
        == (api.port or _DEFAULT_PORTS.get(api.scheme))
    )


def send_text(session, message, envelope: dict, channel) -> None:
    """A reporter text sender (``notify.worker.reporter_text_senders["twilio"]``): from
    the event's own number, through the Messages resource."""
    account_sid, token = credentials(channel)
    if not account_sid or not token:
        raise http.DeliveryFailed("the Twilio channel has no account configured")
    http.post(
        session,
        "POST",
        api_url(account_sid, "Messages.json"),
        data={"To": envelope["to"], "From": channel.address, "Body": envelope["body"]},
        auth=(account_sid, token),
    )


def fetch(channel, url: str, *, limit: int) -> bytes:
    """A file at the provider (an MMS attachment, a recording), at most ``limit``
    bytes. Credentials go only to the API host; its redirect to the file store is
    followed without them, and only to public https addresses in production."""
    if not on_api_host(url):
        raise ProviderError("not a URL of the provider's API")
    account_sid, token = credentials(channel)
    auth = (account_sid, token)
    with http.client() as session:
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                http.check_destination(url)
            except http.DeliveryFailed as exc:
                raise ProviderError(str(exc)) from None
            try:
                with session.stream("GET", url, auth=auth) as response:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        auth = None
                        continue
                    if response.status_code != 200:
                        raise ProviderError(f"HTTP {response.status_code}")
                    data = bytearray()
                    for chunk in response.iter_bytes():
                        data += chunk
                        if len(data) > limit:
                            raise ProviderError("too large")
                    return bytes(data)
            except httpx.HTTPError as exc:
                raise ProviderError(type(exc).__name__) from None
    raise ProviderError("too many redirects")


def delete_recording(channel, recording_sid: str) -> None:
    account_sid, token = credentials(channel)
    url = api_url(account_sid, "Recordings", f"{recording_sid}.json")
    with http.client() as session:
        try:
            http.check_destination(url)
            response = session.request("DELETE", url, auth=(account_sid, token))
        except (httpx.HTTPError, http.DeliveryFailed) as exc:
            raise ProviderError(type(exc).__name__) from None
    # Gone already (a retry after a lost answer) is as good as deleted now.
    if response.status_code not in (200, 204, 404):
        raise ProviderError(f"HTTP {response.status_code}")


def recording_url(channel, recording_sid: str) -> str:
    account_sid, _token = credentials(channel)
    return api_url(account_sid, "Recordings", f"{recording_sid}.mp3")
