"""A generic signed webhook, for anything else: pagers, bots, home-made tools.

POST, JSON body, and three headers (docs/alert-channels.md shows how to check them):
- ``X-Ombud-Delivery``: the alert's id, the same on every retry: drop repeats;
- ``X-Ombud-Timestamp``: Unix seconds when this attempt was signed;
- ``X-Ombud-Signature``: ``v1=`` + hex HMAC-SHA256 of ``"<timestamp>.<body>"``
  under the channel's secret. Refuse timestamps more than 5 minutes away.
"""

import hashlib
import hmac
import json
import time

from ombud.notify.channels import http
from ombud.notify.services import SUBJECTS

REPLAY_WINDOW_SECONDS = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + digest.hexdigest()


def payload(message) -> dict:
    return {
        "id": str(message.id),
        "type": message.kind,
        "subject": str(SUBJECTS[message.kind]),
        "event": message.context.get("event_name", ""),
        "url": message.context.get("url", ""),
        "created_at": message.created_at.isoformat(),
    }


def send(session, message, config: dict, kind: str) -> None:
    body = json.dumps(payload(message), separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    http.post(
        session,
        "POST",
        config["target"],
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Ombud-Delivery": str(message.id),
            "X-Ombud-Timestamp": timestamp,
            "X-Ombud-Signature": sign(config["secret"], timestamp, body),
        },
    )
