"""Reports by e-mail: one raw message, as the listener or the IMAP poller received
it, becomes a report (``inbound.receive``), joins the sender's case, or is turned
away and counted (``inbound.refuse``) - never a crash, whatever the bytes are.

What is not a report: automatic replies, bounces, mail loops (our own mail coming
back), mail marked as spam by the server in front of us, and more than a bounded
number of messages from one sender in an hour. A message too large is refused so
the sending server tells its sender. Nothing of a message is kept in the clear:
the report is sealed by the intake service, and a refusal keeps only a keyed hash
of the Message-ID and of the sender.
"""

import email
import email.policy
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from email.utils import getaddresses, parseaddr

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ombud.cases.models import Channel
from ombud.cases.services import attachments
from ombud.intake.channels import inbound
from ombud.intake.channels.mail_text import body_text
from ombud.intake.models import InboundMessage, IntakeChannel
from ombud.notify.envelope import LOOP_HEADER
from ombud.vault import receipts

log = logging.getLogger(__name__)

TOKEN_LENGTH = receipts.LENGTH
_TOKEN = re.compile(rf"^[{receipts.ALPHABET}]{{{TOKEN_LENGTH}}}$")
# The Message-ID of a reply Ombud sent: <ombud.TOKEN.random@domain> (see mail_reply).
_OUR_MESSAGE_ID = re.compile(rf"<ombud\.([{receipts.ALPHABET}]{{{TOKEN_LENGTH}}})\.[^>@]*@[^>]+>")
# Not "list": a conduct@ group (Google Groups, Mailman) that forwards to Ombud marks
# every message it passes on that way, reports included.
_AUTO_PRECEDENCE = {"bulk", "junk", "auto_reply"}
_DAEMONS = {"mailer-daemon", "postmaster"}

Reason = InboundMessage.Reason


@dataclass
class Outcome:
    """What became of one message, and what the SMTP listener answers for it."""

    received: inbound.Received
    # 250: taken (filed, added, or counted and dropped); 5xx: the sender is told.
    smtp_code: int = 250
    smtp_text: str = "2.0.0 Received"

    @property
    def reason(self) -> str:
        return self.received.reason

    @property
    def settled(self) -> bool:
        """Whether the message may now be removed from a mailbox (what a person should
        look at stays: too large, unreadable, held back by the flood limit)."""
        return self.received.reason not in (Reason.TOO_LARGE, Reason.MALFORMED, Reason.FLOOD)


def fresh_connections() -> None:
    """Before and after a message in a long-running thread: a database connection that
    died or grew old is replaced (not inside a transaction: a test sharing its own)."""
    if not connection.in_atomic_block:
        close_old_connections()


def max_bytes() -> int:
    return settings.INTAKE_MAIL_MAX_BYTES


def split_address(address: str) -> tuple[str, str]:
    """``local+TOKEN@domain`` -> (``local@domain``, ``TOKEN``); lower case, token upper."""
    address = (address or "").strip().strip("<>").lower()
    local, at, domain = address.rpartition("@")
    if not at:
        return address, ""
    base, plus, token = local.partition("+")
    token = token.upper() if plus else ""
    return f"{base}@{domain}", token if _TOKEN.match(token) else ""


def channel_for(address: str) -> tuple[IntakeChannel | None, str]:
    """The enabled reporting address a recipient names, and the thread token in it."""
    plain, token = split_address(address)
    channel = (
        IntakeChannel.objects.select_related("event")
        .filter(kind=IntakeChannel.Kind.MAIL, address=plain, enabled=True)
        .first()
    )
    return channel, token


def parse(raw: bytes):
    """The message, or None when nothing can be made of it."""
    try:
        return email.message_from_bytes(raw, policy=email.policy.default)
    except Exception:  # a parser bug on hostile bytes must not stop the listener
        return None


def header(message, name: str) -> str:
    """A header as text: invalid bytes replaced, never an exception."""
    try:
        value = message.get(name)
    except Exception:  # a header the policy cannot parse
        value = None
        for key, raw_value in message.raw_items():
            if key.lower() == name.lower():
                value = raw_value
                break
    if value is None:
        return ""
    return clean(str(value))


def clean(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def source_id(channel: IntakeChannel | None, message, raw: bytes) -> str:
    """The Message-ID, or a digest of the bytes when there is none; per channel, so
    one message sent to two events' addresses reaches both."""
    message_id = header(message, "Message-ID").strip() if message is not None else ""
    own = message_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    return f"{channel.pk if channel else '-'}:{own}"


def sender_of(message) -> str:
    addresses = getaddresses([header(message, "From")])
    address = addresses[0][1] if addresses else ""
    return address.strip().lower() if "@" in address else ""


def own_addresses() -> set:
    ours = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}
    ours |= set(
        IntakeChannel.objects.filter(kind=IntakeChannel.Kind.MAIL).values_list("address", flat=True)
    )
    return ours


def not_a_report(message, sender: str, envelope_sender: str | None) -> str:
    """Why this message is not a report, or "" when it may be one."""
    # Presence is enough (``in`` does not parse the value, which may be anything).
    if LOOP_HEADER in message or split_address(sender)[0] in own_addresses():
        return Reason.LOOP
    local = sender.partition("@")[0]
    return_path = envelope_sender
    if return_path is None and "Return-Path" in message:
        return_path = header(message, "Return-Path").strip().strip("<>")
    if return_path == "" or local in _DAEMONS or message.get_content_type() == "multipart/report":
        return Reason.BOUNCE
    auto = header(message, "Auto-Submitted").strip().lower()
    # "auto-forwarded": a forwarding rule passed a person's mail on - a report still.
    if (
        auto not in ("", "no", "auto-forwarded")
        or header(message, "Precedence").strip().lower() in _AUTO_PRECEDENCE
    ):
        return Reason.AUTO_REPLY
    if "X-Autoreply" in message or "X-Autorespond" in message:
        return Reason.AUTO_REPLY
    if header(message, "X-Spam-Flag").strip().upper() == "YES":
        return Reason.SPAM
    return ""


def thread_token(message, token_in_address: str) -> str:
    """The report a reply continues: the token in the reply address, or in the
    Message-ID of our mail it answers."""
    if token_in_address:
        return token_in_address
    for name in ("In-Reply-To", "References"):
        found = _OUR_MESSAGE_ID.search(header(message, name))
        if found:
            return found.group(1)
    return ""


def language_of(message, event) -> str:
    for tag in re.split(r"[,\s]+", header(message, "Content-Language").lower()):
        code = tag.split("-")[0]
        if code in event.offered_languages():
            return code
    return event.default_language


class _Part:
    """An attachment as ``attachments.check`` reads an upload."""

    def __init__(self, name: str, data: bytes):
        self.name = name
        self.data = data
        self.size = len(data)
        self.too_large = False

    def read(self) -> bytes:
        return self.data


def _attachment_parts(message, body):
    """Every part that is a file: not the body, not its HTML twin; a forwarded message
    (message/rfc822) is one file, not opened up."""
    stack = [message]
    while stack:
        part = stack.pop(0)
        if part is body:
            continue
        ctype = part.get_content_type()
        if part.is_multipart() and ctype != "message/rfc822":
            stack[:0] = list(part.iter_parts())
            continue
        disposition = part.get_content_disposition()
        if disposition == "attachment" or part.get_content_maintype() not in ("text", "multipart"):
            yield part


def _file_of(part) -> tuple[str, bytes]:
    name = clean(part.get_filename() or "") or _("attachment")
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        data = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
        return (name if part.get_filename() else "message.eml"), data
    data = part.get_payload(decode=True) or b""
    return name, data


def files_of(message, body) -> tuple[list, list]:
    """The attachments taken, and a sentence for each one not taken."""
    taken, notes, total = [], [], 0
    for part in _attachment_parts(message, body):
        try:
            name, data = _file_of(part)
        except Exception:  # a part whose encoding cannot be undone
            notes.append(_("An attachment could not be read."))
            continue
        if len(taken) >= settings.ATTACHMENT_MAX_FILES:
            notes.append(
                ngettext(
                    "“%(name)s” was not taken: up to %(count)d file is taken from one message.",
                    "“%(name)s” was not taken: up to %(count)d files are taken from one message.",
                    settings.ATTACHMENT_MAX_FILES,
                )
                % {
                    "name": attachments.safe_name(name, "text/plain")[:-4],
                    "count": settings.ATTACHMENT_MAX_FILES,
                }
            )
            continue
        try:
            checked = attachments.check(_Part(name, data))
        except attachments.AttachmentRefused as refused:
            notes.append(str(refused))
            continue
        if total + checked.size > settings.ATTACHMENT_MAX_TOTAL_BYTES:
            notes.append(
                _("“%(name)s” was not taken: the files together are over the size limit.")
                % {"name": checked.name}
            )
            continue
        total += checked.size
        taken.append(checked)
    return taken, notes


def report_text(message, body, notes: list) -> str:
    subject = header(message, "Subject").strip()
    try:
        body = body_text(body)
    except Exception:  # an undecodable body: the subject and files may still carry it
        body = ""
    parts = [p for p in (subject, body.strip()) if p]
    if notes:
        parts.append(
            _("Ombud did not take these from the e-mail:")
            + "\n"
            + "\n".join(f"- {n}" for n in notes)
        )
    return "\n\n".join(parts)


def whole(text: str, files: list) -> tuple[str, list]:
    """A text longer than a report holds is kept whole as a file beside it, so nothing
    of a long message is cut off."""
    if len(text) <= inbound.TEXT_LIMIT:
        return text, files
    data = text.encode("utf-8")
    room = len(files) < settings.ATTACHMENT_MAX_FILES and (
        sum(f.size for f in files) + len(data) <= settings.ATTACHMENT_MAX_TOTAL_BYTES
    )
    if not room:
        note = _("The message is longer than a report holds; its end is cut off.")
        return f"{note}\n\n{text}", files
    kept = attachments.CheckedFile("message.txt", "text/plain", data)
    note = _("The message is longer than a report holds: all of it is in the file message.txt.")
    return f"{note}\n\n{text}", [*files, kept]


def _refused(channel, source, reason, sender="", *, code=250, text="2.0.0 Received") -> Outcome:
    return Outcome(inbound.refuse(channel, source, reason, sender=sender), code, text)


def too_large(channel: IntakeChannel | None, raw_head: bytes, size: int) -> Outcome:
    """Refused by size, before the whole message is read (IMAP) or after (SMTP)."""
    message = parse(raw_head)
    source = source_id(channel, message, raw_head + str(size).encode())
    return _refused(
        channel,
        source,
        Reason.TOO_LARGE,
        code=552,
        text=f"5.3.4 Message too big: reports by e-mail can be up to {max_bytes()} bytes",
    )


def receive(
    raw: bytes,
    channel: IntakeChannel | None,
    token_in_address: str = "",
    *,
    envelope_sender: str | None = None,
) -> Outcome:
    """File one raw message sent to ``channel``'s address (None: to no address of ours)."""
    if len(raw) > max_bytes():
        return too_large(channel, raw[:65536], len(raw))
    message = parse(raw)
    source = source_id(channel, message, raw)
    if channel is None:
        return _refused(
            None, source, Reason.UNKNOWN_ADDRESS, code=550, text="5.1.1 No such reporting address"
        )
    sender = sender_of(message) if message is not None else ""
    if message is None or not sender:
        return _refused(
            channel,
            source,
            Reason.MALFORMED,
            code=554,
            text="5.6.0 Unreadable message: no sender address",
        )
    seen = inbound.already(channel.kind, source)
    if seen is not None:
        again = inbound.Received(seen.outcome, seen.report, repeated=True, reason=seen.reason)
        return Outcome(again)
    return _screened(message, source, channel, sender, envelope_sender) or _filed(
        message, source, channel, sender, token_in_address
    )


def _screened(message, source, channel, sender, envelope_sender) -> Outcome | None:
    """Refused when it is not a report (auto-reply, bounce, loop, spam, flood)."""
    reason = not_a_report(message, sender, envelope_sender)
    if reason:
        return _refused(channel, source, reason, sender)
    if inbound.flooding(channel, sender):
        # Counted under an id of its own: the same message sent again after the hour is
        # judged afresh, not taken for one already handled.
        return _refused(
            channel,
            f"{source}#flood-{secrets.token_hex(8)}",
            Reason.FLOOD,
            sender,
            code=550,
            text="5.7.1 Too many messages from this sender in an hour; please try again later",
        )
    return None


def _filed(message, source, channel, sender, token_in_address) -> Outcome:
    from ombud.intake.channels import mail_reply  # noqa: PLC0415 -- it imports this module

    language = language_of(message, channel.event)
    with translation.override(language):
        body = _body_part(message)
        files, notes = files_of(message, body)
        text, files = whole(report_text(message, body, notes), files)
    arrival = inbound.Arrival(
        channel=channel,
        source_id=source,
        sender=sender,
        text=text,
        files=files,
        language=language,
        thread_token=thread_token(message, token_in_address),
    )
    their_id = header(message, "Message-ID").strip()
    received = inbound.receive(
        arrival,
        channel_value=Channel.MAIL,
        on_filed=lambda report, receipt, token: mail_reply.receipt_reply(
            report, receipt, token, channel=channel, sender=sender, their_id=their_id
        ),
    )
    if received.outcome == InboundMessage.Outcome.FILED and not received.repeated:
        log.info("a report arrived by e-mail")
    return Outcome(received)


def _body_part(message):
    try:
        return message.get_body(preferencelist=("plain", "html"))
    except Exception:  # a structure the policy cannot walk
        return None
