"""The server key file: wrap keys (with ids, for rotation) and the receipt lookup key.

It lives outside the database, so a dump or backup of the database alone
reveals nothing. Losing it loses every case wrapped only to it: back it up
separately from the database.
"""

import base64
import json
import os
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from ombud.vault import crypto
from ombud.vault.errors import KeyUnavailable

FORMAT = "ombud-vault-keys/1"


@dataclass(frozen=True)
class ServerKeys:
    active_id: str
    wrap_keys: dict
    lookup_key: bytes

    @property
    def active_key(self) -> bytes:
        return self.wrap_keys[self.active_id]

    def derived(self, purpose: str) -> bytes:
        """A key for another purpose (the audit chain's MAC), derived from the lookup key."""
        return _derived(self.lookup_key, purpose)


@cache  # a handful of fixed purposes per key
def _derived(lookup_key: bytes, purpose: str) -> bytes:
    # Every audit entry asks, inside the write lock: derived once per key, not per entry.
    return crypto.derive_key(lookup_key, salt=b"", info=f"ombud {purpose}/1".encode())


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _new_key_id() -> str:
    return f"k{timezone.now():%Y%m%d}-{secrets.token_hex(3)}"


def create(path: Path | None = None) -> ServerKeys:
    """Write a new key file; refuses to replace one, since that would lose every case."""
    path = Path(path or settings.VAULT_KEY_FILE)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_id = _new_key_id()
    document = {
        "format": FORMAT,
        "active": key_id,
        "wrap_keys": {key_id: _b64(crypto.new_key())},
        "lookup_key": _b64(crypto.new_key()),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
    load.cache_clear()
    return load()


@cache
def load() -> ServerKeys:
    path = Path(settings.VAULT_KEY_FILE)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KeyUnavailable(
            "The vault's server key file is missing; restore it from backup "
            "(run `ombud keys init` only for a brand-new installation)."
        ) from None
    except (OSError, ValueError):
        raise KeyUnavailable("The vault's server key file cannot be read.") from None
    try:
        if document["format"] != FORMAT:
            raise KeyUnavailable("The vault's server key file has an unknown format.")
        wrap_keys = {kid: base64.b64decode(raw) for kid, raw in document["wrap_keys"].items()}
        keys = ServerKeys(document["active"], wrap_keys, base64.b64decode(document["lookup_key"]))
    except (KeyError, TypeError, ValueError):
        raise KeyUnavailable("The vault's server key file is damaged.") from None
    if keys.active_id not in wrap_keys or any(
        len(k) != crypto.KEY_BYTES for k in [*wrap_keys.values(), keys.lookup_key]
    ):
        raise KeyUnavailable("The vault's server key file is damaged.")
    return keys


def exists() -> bool:
    return Path(settings.VAULT_KEY_FILE).exists()


def ensure_for_demo() -> None:
    if not exists():
        create()
