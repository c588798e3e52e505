"""Ombud's own inbound SMTP listener (``ombud mail-intake``): mail pointed or
forwarded at it becomes reports.

A recipient that is no enabled reporting address is refused at RCPT (550). DATA
is answered 250 only once the report, or the refusal, is committed: a listener
killed mid-message leaves the sending server without an answer, so it sends the
message again later, and the retry finds the first delivery by its Message-ID
(``inbound.receive`` is idempotent). A database that is down is a 451: try later.
The database work runs in threads, off the event loop, so one slow commit does
not hold up the other connections.
"""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.controller import Controller

from ombud.intake.channels import mail

log = logging.getLogger(__name__)

TRY_LATER = "451 4.3.0 Temporary failure; please send again later"


def bind_address(value: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:25`` for IPv6) as OMBUD_INTAKE_SMTP gives it."""
    host, _colon, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError("OMBUD_INTAKE_SMTP must be host:port, e.g. 127.0.0.1:8026")
    return host.strip("[]"), int(port)


def _in_thread(function, *args):
    """Django work from a pool thread: fresh connections when the old ones died."""
    mail.fresh_connections()
    try:
        return function(*args)
    finally:
        mail.fresh_connections()


def _known(address: str) -> bool:
    return mail.channel_for(address)[0] is not None


def deliver(raw: bytes, recipients: list, mail_from: str | None) -> str:
    """File ``raw`` for each recipient; the SMTP reply to DATA."""
    outcomes = []
    for address in recipients:
        channel, token = mail.channel_for(address)
        outcomes.append(mail.receive(raw, channel, token, envelope_sender=mail_from))
    taken = [o for o in outcomes if o.smtp_code == 250]
    if taken or not outcomes:
        return "250 2.0.0 Received"
    first = outcomes[0]
    return f"{first.smtp_code} {first.smtp_text}"


class IntakeHandler:
    """aiosmtpd's handler: every database call in the thread pool."""

    def __init__(self, executor: ThreadPoolExecutor):
        self.executor = executor

    async def _run(self, function, *args):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, _in_thread, function, *args)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        try:
            known = await self._run(_known, address)
        except Exception as exc:  # the database is away: the sender's server tries later
            log.warning("mail intake could not look up a recipient (%s)", type(exc).__name__)
            return TRY_LATER
        if not known:
            return "550 5.1.1 No such reporting address here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        # The envelope sender: "" is the null sender of a bounce.
        mail_from = envelope.mail_from if envelope.mail_from not in (None, "<>") else ""
        try:
            return await self._run(deliver, raw, list(envelope.rcpt_tos), mail_from)
        except Exception as exc:  # no 250 without a commit: the sender's server retries
            log.warning("mail intake could not file a message (%s)", type(exc).__name__)
            return TRY_LATER


class Listener:
    """The listener on ``host:port``, in its own thread (aiosmtpd's Controller)."""

    def __init__(self, address: str, *, threads: int = 4, executor=None):
        self.host, self.port = bind_address(address)
        self.executor = executor or ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="mail-intake"
        )
        self.controller = Controller(
            IntakeHandler(self.executor),
            hostname=self.host,
            port=self.port,
            # Larger than the limit we enforce, so a too-large message reaches the
            # handler, is counted and refused there; beyond this aiosmtpd refuses it.
            data_size_limit=2 * mail.max_bytes(),
            enable_SMTPUTF8=True,
            ident="Ombud mail intake",
        )

    def start(self) -> "Listener":
        self.controller.start()
        log.info("mail intake listening on %s:%d", self.host, self.port)
        return self

    def stop(self) -> None:
        self.controller.stop()
        # What is being filed is finished: its sender got no 250 and will retry.
        self.executor.shutdown(wait=True)
