"""Reports from a mailbox Ombud checks over IMAP: the installation-wide one
(OMBUD_INTAKE_IMAP_URL, each message routed by the reporting address it was sent
to) and each event's own (an IMAP reporting channel, its URL sealed in its config).

A message leaves the mailbox only after its report (or its refusal) is committed:
deleted (\\Deleted and UID EXPUNGE) or moved to the folder the organiser named. A
poller killed, or a server gone, between the two finds the message again, and
filing it again is a no-op (``inbound.receive`` by Message-ID). A message Ombud
cannot take (too large, unreadable, for no address of ours) stays in the mailbox,
marked with a keyword so it is not fetched again, for a person to look at.
IDLE where the server offers it, else a poll every few seconds; a server that goes
away is retried with back-off.
"""

import imaplib
import ipaddress
import logging
import re
import select
import ssl
import threading
from dataclasses import dataclass
from email.utils import getaddresses
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from ombud.intake.channels import config, mail
from ombud.intake.models import IntakeChannel

log = logging.getLogger(__name__)

LEFT_KEYWORD = "OmbudNotTaken"
MAX_BACKOFF = 300  # seconds
_ROUTING_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    secure: bool
    user: str
    password: str
    folder: str

    @classmethod
    def from_url(cls, url: str) -> "Mailbox":
        """``imaps://user:password@host[:port]/INBOX``; ``imap://`` for plain text."""
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
            raise ValueError("an IMAP mailbox URL is imaps://user:password@host/FOLDER")
        secure = parts.scheme == "imaps"
        return cls(
            host=parts.hostname,
            port=parts.port or (993 if secure else 143),
            secure=secure,
            user=unquote(parts.username),
            password=unquote(parts.password or ""),
            folder=unquote(parts.path.lstrip("/")) or "INBOX",
        )

    def connect(self, timeout: float = 30) -> imaplib.IMAP4:
        cls = imaplib.IMAP4_SSL if self.secure else imaplib.IMAP4
        imap = cls(self.host, self.port, timeout=timeout)
        if not self.secure:
            # imap://: TLS by STARTTLS where offered; a password in the clear only on
            # this machine's loopback.
            if "STARTTLS" in imap.capabilities:
                imap.starttls(ssl.create_default_context())
            elif not _loopback(self.host):
                imap.shutdown()
                raise ValueError("plain-text IMAP is only for loopback: use imaps://")
        imap.login(self.user, self.password)
        # What the server offers once logged in (UIDPLUS, MOVE) is often more.
        status, data = imap.capability()
        if status == "OK" and data and data[-1]:
            imap.capabilities = tuple(data[-1].decode("ascii", "replace").upper().split())
        status, _data = imap.select(_quoted(self.folder))
        if status != "OK":
            raise imaplib.IMAP4.error("the folder cannot be opened")
        return imap


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def describe(exc: Exception) -> str:
    """What went wrong, for the channel's page: never the server's words (they can
    carry the user name) nor the URL."""
    if isinstance(exc, imaplib.IMAP4.abort | OSError):
        return "The mail server could not be reached or closed the connection."
    if isinstance(exc, imaplib.IMAP4.error):
        return "The mail server refused the login or the folder."
    if isinstance(exc, ValueError) and "loopback" in str(exc):
        return "The server offers no TLS: use imaps:// (plain imap:// only on loopback)."
    if isinstance(exc, ValueError):
        return "The mailbox URL is not an imaps://user:password@host/FOLDER URL."
    return f"Checking the mailbox failed ({type(exc).__name__})."


def routed(raw_head: bytes) -> tuple[IntakeChannel | None, str]:
    """The reporting address a message in the shared mailbox was sent to."""
    message = mail.parse(raw_head)
    if message is None:
        return None, ""
    for name in _ROUTING_HEADERS:
        for _name, address in getaddresses([mail.header(message, name)]):
            channel, token = mail.channel_for(address)
            if channel is not None:
                return channel, token
    return None, ""


class Poller:
    """One mailbox, checked until ``stop`` is set. ``channel``: the event's own IMAP
    channel, or None for the installation-wide mailbox."""

    def __init__(self, url: str, channel: IntakeChannel | None, stop: threading.Event, *, poll=0):
        self.url = url
        self.channel = channel
        self.stop = stop
        self.poll_seconds = poll or settings.INTAKE_IMAP_POLL_SECONDS
        self.done_folder = channel.imap_done_folder if channel is not None else ""

    def run(self) -> None:
        failures = 0
        while not self.stop.is_set():
            try:
                self.session()
            except Exception as exc:  # the server went away: reconnect, nothing is lost
                failures += 1
                self._health(exc)
                log.warning("mailbox check failed (%s); retrying", type(exc).__name__)
                self.stop.wait(min(MAX_BACKOFF, 2 ** min(failures, 9)))
            else:
                failures = 0
            finally:
                mail.fresh_connections()

    def session(self) -> None:
        """One connection: take what is there, then wait for more, until it breaks."""
        imap = Mailbox.from_url(self.url).connect()
        try:
            idle = b"IDLE" in _capabilities(imap)
            while not self.stop.is_set():
                self.take_all(imap)
                self._health(None)
                if idle:
                    _idle(imap, self.poll_seconds, self.stop)
                else:
                    self.stop.wait(self.poll_seconds)
                    imap.noop()
        finally:
            try:
                imap.logout()
            except Exception:  # the connection is already gone
                log.debug("mailbox logout failed")

    def take_all(self, imap) -> int:
        imap.noop()  # the server tells of mail that arrived since the last command
        status, data = imap.uid("SEARCH", None, "UNDELETED", "UNKEYWORD", LEFT_KEYWORD)
        if status != "OK":
            raise imaplib.IMAP4.error("search failed")
        uids = (data[0] or b"").split()
        for uid in uids:
            if self.stop.is_set():
                break
            try:
                self.take(imap, uid)
            except (imaplib.IMAP4.error, OSError, DatabaseError):
                raise  # the server or the database: reconnect and take it again later
            except Exception as exc:  # this message: it must not hold up the others
                log.error(
                    "a message could not be taken (%s); left in the mailbox", type(exc).__name__
                )
                imap.uid("STORE", uid, "+FLAGS", f"({LEFT_KEYWORD})")
        return len(uids)

    def take(self, imap, uid: bytes) -> None:
        status, data = imap.uid("FETCH", uid, "(RFC822.SIZE BODY.PEEK[HEADER])")
        if status != "OK" or not data or not isinstance(data[0], tuple):
            return
        size = int((_SIZE.search(data[0][0]) or [0, b"0"])[1])
        head = data[0][1]
        channel, token = (self.channel, "") if self.channel is not None else routed(head)
        if size > mail.max_bytes():
            outcome = mail.too_large(channel, head, size)
        else:
            status, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")
            if status != "OK" or not data or not isinstance(data[0], tuple):
                return
            if self.channel is not None:
                token = mail.split_address(_to_address(data[0][1], self.channel))[1]
            mail.fresh_connections()
            outcome = mail.receive(data[0][1], channel, token)
        self.settle(imap, uid, outcome)

    def settle(self, imap, uid: bytes, outcome) -> None:
        """Committed: now the message may leave the mailbox."""
        if not outcome.settled or outcome.reason == mail.Reason.UNKNOWN_ADDRESS:
            imap.uid("STORE", uid, "+FLAGS", f"({LEFT_KEYWORD})")
            return
        if self.done_folder:
            status, _data = imap.uid("COPY", uid, _quoted(self.done_folder))
            if status != "OK":
                # A folder not there yet ([TRYCREATE]): made once, then copied into.
                imap.create(_quoted(self.done_folder))
                status, _data = imap.uid("COPY", uid, _quoted(self.done_folder))
            if status != "OK":
                raise imaplib.IMAP4.error("the folder for sealed mail cannot be written")
        imap.uid("STORE", uid, "+FLAGS", r"(\Deleted)")
        if b"UIDPLUS" in _capabilities(imap):
            imap.uid("EXPUNGE", uid)
        else:
            imap.expunge()

    def _health(self, exc) -> None:
        if self.channel is None:
            return
        mail.fresh_connections()
        fields = {"last_error": describe(exc)} if exc else {"last_ok_at": timezone.now()}
        if exc is None:
            fields["last_error"] = ""
        IntakeChannel.objects.filter(pk=self.channel.pk).update(**fields)


def _to_address(raw: bytes, channel: IntakeChannel) -> str:
    """The recipient naming the channel's address, with a thread token if it has one."""
    message = mail.parse(raw)
    base = channel.address
    if message is None:
        return base
    for name in _ROUTING_HEADERS:
        for _name, address in getaddresses([mail.header(message, name)]):
            if mail.split_address(address)[0] == base:
                return address
    return base


def _capabilities(imap) -> tuple:
    return tuple(c.upper().encode() if isinstance(c, str) else c.upper() for c in imap.capabilities)


def _idle(imap, seconds: float, stop: threading.Event) -> None:
    """RFC 2177 IDLE (imaplib has none before Python 3.14): wait until the server says
    something changed, ``seconds`` pass or ``stop`` is set, then DONE."""
    tag = imap._new_tag()  # imaplib's own counter keeps the tags unique
    imap.send(tag + b" IDLE\r\n")
    line = imap.readline()
    if not line.startswith(b"+"):
        raise imaplib.IMAP4.error("IDLE refused")
    waited = 0.0
    while waited < seconds and not stop.is_set():
        ready, _w, _x = select.select([imap.sock], [], [], 1.0)
        if ready or getattr(imap.sock, "pending", lambda: 0)():
            line = imap.readline()
            if not line:
                raise imaplib.IMAP4.abort("connection closed")
            if b"EXISTS" in line or b"RECENT" in line:
                break
        waited += 1.0
    imap.send(b"DONE\r\n")
    while True:
        line = imap.readline()
        if not line:
            raise imaplib.IMAP4.abort("connection closed")
        if line.startswith(tag):
            return


def mailboxes() -> dict:
    """Every mailbox to check now, (url, channel id) -> channel (None: the shared one)."""
    found = {}
    if settings.INTAKE_IMAP_URL:
        found[(settings.INTAKE_IMAP_URL, None)] = None
    channels = IntakeChannel.objects.select_related("event").filter(
        kind=IntakeChannel.Kind.MAIL, provider=IntakeChannel.Provider.IMAP, enabled=True
    )
    for channel in channels:
        url = config.opened(channel).get("imap_url", "")
        if url:
            found[(url, channel.pk)] = channel
    return found
