"""Where a channel points is a secret (webhook URLs, tokens): sealed at rest."""

import json

from ombud.vault import crypto, keys


def _context(user_id, kind) -> bytes:
    return f"ombud-channel/1|{user_id}|{kind}".encode()


def seal(user_id, kind: str, config: dict) -> bytes:
    key = keys.load().derived("channel config")
    return crypto.seal(key, json.dumps(config).encode(), _context(user_id, kind))


def open_config(channel) -> dict:
    key = keys.load().derived("channel config")
    return json.loads(
        crypto.open_sealed(key, channel.sealed_config, _context(channel.user_id, channel.kind))
    )
