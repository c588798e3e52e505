"""E-mail as the tests send it to Ombud."""

import secrets
from email.message import EmailMessage

from ombud.notify import envelope
from ombud.notify.models import OutboxMessage

REPORTING = "conduct@conf.example"
SENDER = "ria.reporter@example.org"
# The smallest PNG there is: a picture attachment Ombud takes.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63fcffff3f0300050001fe0a2db40000000049454e44ae426082"
)


def mail(
    body="Someone kept following me after the talk.",
    *,
    subject="Harassment at the venue",
    sender=SENDER,
    to=REPORTING,
    headers=None,
    html=None,
    files=(),
    message_id=None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Ria Reporter <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or f"<{secrets.token_hex(8)}@example.org>"
    if body is not None:
        message.set_content(body)
    if html is not None:
        if body is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for name, data, maintype, subtype in files:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    # After the content: setting it drops the Content-* headers set before.
    for name, value in (headers or {}).items():
        message[name] = value
    return message


def wire(message: EmailMessage) -> bytes:
    """The bytes as a mail server sends them: CRLF line ends (smtplib sends bytes as given)."""
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def replies() -> list[dict]:
    """What Ombud queued for reporters, opened as the worker opens it."""
    rows = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.TO_REPORTER).order_by("created_at")
    return [envelope.opened(row) for row in rows]


def receipt_in(body: str) -> str:
    """The receipt as the reply shows it: seven groups of four."""
    for line in body.splitlines():
        groups = line.strip().split("-")
        if len(groups) == 7 and all(len(g) == 4 for g in groups):
            return line.strip()
    raise AssertionError("no receipt in the reply")
