"""HTTP delivery shared by the chat, webhook and SMS channels."""

import ipaddress
import socket
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from ombud import __version__

TIMEOUT = httpx.Timeout(10.0, connect=3.0)
# httpx logs every request's full URL at INFO; webhook URLs are secrets (Slack's and
# Discord's carry a token in the path, Zulip's an API key in the query), so
# settings.LOGGING holds the "httpx" logger at WARNING.


class DeliveryFailed(Exception):
    """The receiving end did not take the alert. The message names no content."""


def client() -> httpx.Client:
    # Redirects are never followed: an alert goes where it was configured or fails.
    return httpx.Client(
        timeout=TIMEOUT,
        follow_redirects=False,
        headers={"User-Agent": f"Ombud/{__version__}"},
        trust_env=False,
    )


def check_destination(url: str) -> None:
    """Refuse URLs that would make the server reach inside its own network, or send
    what it sends (a webhook's secret path, an import's API token) in clear.

    Every address the server calls: alert channels, the SMS provider's callbacks,
    attendee imports. In production only https to public addresses;
    ``OMBUD_ALLOW_PRIVATE_WEBHOOKS`` (on in demo mode) allows loopback and private
    receivers for testing.
    """
    try:
        parts = urlsplit(url)
        port = parts.port  # a port out of range is a ValueError here
    except ValueError:
        raise DeliveryFailed("not a valid URL") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise DeliveryFailed("not an http(s) URL")
    if settings.ALLOW_PRIVATE_WEBHOOKS:
        return
    if parts.scheme != "https":
        raise DeliveryFailed("only https URLs are allowed")
    try:
        infos = socket.getaddrinfo(parts.hostname, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):  # UnicodeError: a name IDNA cannot encode
        raise DeliveryFailed("the host name does not resolve") from None
    for info in infos:
        if not ipaddress.ip_address(info[4][0]).is_global:
            raise DeliveryFailed("the host resolves to a private address")


def post(session: httpx.Client, method: str, url: str, **kwargs) -> None:
    check_destination(url)
    try:
        # The status is the whole answer: the body is never read, so a receiver
        # that trickles or floods one cannot hold up (or fill) the worker.
        with session.stream(method, url, **kwargs) as response:
            status, redirected = response.status_code, response.is_redirect
    except httpx.TimeoutException:
        raise DeliveryFailed("timed out") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise DeliveryFailed(type(exc).__name__) from None
    finally:
        # One channel's cookies are never sent to another on the same host.
        session.cookies.clear()
    if redirected:
        raise DeliveryFailed(f"HTTP {status}: redirect not followed")
    if not 200 <= status < 300:
        raise DeliveryFailed(f"HTTP {status}")
