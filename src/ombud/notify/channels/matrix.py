"""Matrix: a message into a room, as a bot user with an access token.

The outbox id is the transaction id, so the homeserver itself drops a resend.
"""

from urllib.parse import quote

from ombud.notify.channels import http
from ombud.notify.channels.text import one_line


def send(session, message, config: dict, kind: str) -> None:
    base = config["target"].rstrip("/")
    room = quote(config["room"], safe="")
    url = f"{base}/_matrix/client/v3/rooms/{room}/send/m.room.message/{message.id}"
    http.post(
        session,
        "PUT",
        url,
        json={"msgtype": "m.text", "body": one_line(message)},
        headers={"Authorization": f"Bearer {config['secret']}"},
    )
