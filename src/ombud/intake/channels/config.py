"""What a channel needs to work is a secret (an IMAP password, a provider's auth
token): sealed at rest, as alert channels' are (``notify.channels.config``)."""

import json

from ombud.vault import crypto, keys


def _context(channel) -> bytes:
    return f"ombud-intake/1|{channel.event_id}|{channel.kind}|{channel.address}".encode()


def seal(channel, config: dict) -> None:
    """Seal ``config`` onto the (unsaved or saved) channel; bound to its event, kind and
    address, so a sealed config copied onto another channel does not open."""
    key = keys.load().derived("intake channel config")
    channel.sealed_config = crypto.seal(key, json.dumps(config).encode(), _context(channel))


def opened(channel) -> dict:
    if not channel.sealed_config:
        return {}
    key = keys.load().derived("intake channel config")
    return json.loads(crypto.open_sealed(key, bytes(channel.sealed_config), _context(channel)))
