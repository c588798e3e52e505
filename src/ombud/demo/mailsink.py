"""A real SMTP server for the demo, so alerts can be seen without a mail account.

It accepts mail on loopback and keeps each message as a file in the data
directory's demo mailbox; /demo/mailbox/ shows them. Alerts carry no report
content, so showing them is safe.
"""

import email
import email.policy
import threading
import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller


def mailbox_dir(data_dir: Path) -> Path:
    path = data_dir / "demo-mailbox"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


class _Handler:
    def __init__(self, directory: Path):
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 -- aiosmtpd's name
        name = f"{time.time_ns()}-{uuid.uuid4().hex}.eml"
        (self.directory / name).write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def start(data_dir: Path, port: int) -> Controller:
    controller = Controller(_Handler(mailbox_dir(data_dir)), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def serve_forever(data_dir: Path, port: int) -> None:
    controller = start(data_dir, port)
    try:
        threading.Event().wait()
    finally:
        controller.stop()


def read_mailbox(data_dir: Path, limit: int = 100) -> list[dict]:
    messages = []
    for path in sorted(mailbox_dir(data_dir).glob("*.eml"), reverse=True)[:limit]:
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        messages.append(
            {
                "subject": parsed["Subject"],
                "to": parsed["To"],
                "date": parsed["Date"],
                "message_id": parsed["Message-ID"],
                "body": body.get_content() if body else "",
            }
        )
    return messages
