"""Slack, Mattermost, Zulip (its Slack-compatible incoming webhook) and Discord:
an incoming-webhook URL that takes a JSON message."""

from ombud.notify.channels import http
from ombud.notify.channels.text import one_line


def send(session, message, config: dict, kind: str) -> None:
    text = one_line(message)
    payload = {"content": text} if kind == "discord" else {"text": text}
    http.post(session, "POST", config["target"], json=payload)
