"""A real SMTP server for the demo, so alerts can be seen without a mail account.

It accepts mail on loopback and keeps each message as a file in the data
directory's demo mailbox; /demo/mailbox/ shows them. Alerts carry no report
content, so showing them is safe.
"""

import email
import email.policy
import socket
import threading
import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller


def mailbox_dir(data_dir: Path) -> Path:
    path = data_dir / "demo-mailbox"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


class LoopbackSMTPServer:
    """A real SMTP server on 127.0.0.1; subclasses say what becomes of each message.

    The demo keeps messages as files; the tests and benchmarks keep them in memory.
    """

    def __init__(self):
        self.port = 0
        self._controller = None

    def accept(self, envelope) -> None:
        raise NotImplementedError

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 -- aiosmtpd's name
        self.accept(envelope)
        return "250 Message accepted for delivery"

    def start(self, port: int = 0):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port or self.port))
            self.port = probe.getsockname()[1]
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


class MailboxServer(LoopbackSMTPServer):
    def __init__(self, directory: Path):
        super().__init__()
        self.directory = directory

    def accept(self, envelope) -> None:
        name = f"{time.time_ns()}-{uuid.uuid4().hex}.eml"
        (self.directory / name).write_bytes(envelope.original_content or envelope.content)


def serve_forever(data_dir: Path, port: int) -> None:
    server = MailboxServer(mailbox_dir(data_dir)).start(port)
    try:
        threading.Event().wait()
    finally:
        server.stop()


def read_mailbox(data_dir: Path, limit: int = 100) -> list[dict]:
    messages = []
    for path in sorted(mailbox_dir(data_dir).glob("*.eml"), reverse=True)[:limit]:
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        messages.append(
            {
                "subject": (parsed["Subject"] or "").strip(),
                "to": parsed["To"],
                "date": parsed["Date"],
                "message_id": parsed["Message-ID"],
                "body": body.get_content() if body else "",
            }
        )
    return messages
