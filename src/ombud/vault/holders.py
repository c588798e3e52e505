"""Who holds an unlocked private key, for how long, and where.

At sign-in the password unlocks the person's private key (``people.unlock``).
It is then kept for the session only, sealed under a random secret that is
stored nowhere but in the browser's cookie ``ombud_key``: the server-side
session holds ciphertext, the cookie holds the key to it, and neither alone
opens anything. API tokens hold it the same way, sealed under the token.
"""

import base64
import os

from django.conf import settings

from ombud.vault import crypto
from ombud.vault.errors import Tampered

COOKIE = "ombud_key"
SESSION_FIELD = "vault_private"
_SESSION_FIELD = SESSION_FIELD


def _context(user_id) -> bytes:
    return f"ombud-session-key/1|{user_id}".encode()


def sealed_pair(user, private: bytes) -> tuple[str, str]:
    """(what the session keeps, what the cookie keeps): each useless without the other."""
    secret = os.urandom(crypto.KEY_BYTES)
    sealed = crypto.seal(secret, private, _context(user.pk))
    return base64.b64encode(sealed).decode(), base64.urlsafe_b64encode(secret).decode()


def stash(request, response, user, private: bytes) -> None:
    in_session, in_cookie = sealed_pair(user, private)
    request.session[_SESSION_FIELD] = in_session
    response.set_cookie(
        COOKIE,
        in_cookie,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
        path="/",
    )


def forget(request, response) -> None:
    request.session.pop(_SESSION_FIELD, None)
    response.delete_cookie(COOKIE, path="/", samesite="Lax")


def from_request(request, user) -> bytes:
    """The signed-in person's private key, or b"" when it is not unlocked."""
    sealed, secret = request.session.get(_SESSION_FIELD), request.COOKIES.get(COOKIE)
    if not sealed or not secret:
        return b""
    try:
        return crypto.open_sealed(
            base64.urlsafe_b64decode(secret.encode()),
            base64.b64decode(sealed.encode()),
            _context(user.pk),
        )
    except (Tampered, ValueError):
        return b""


def _token_key(token: str) -> bytes:
    # From the token itself, never from its SHA-256: that digest is what the database
    # keeps to look tokens up (accounts.models), and must not open anything.
    return crypto.derive_key(token.encode(), salt=b"ombud token key", info=b"ombud token key/2")


def seal_for_token(token: str, user_id, private: bytes) -> bytes:
    return crypto.seal(_token_key(token), private, _context(user_id))


def open_for_token(token: str, user_id, sealed: bytes | None) -> bytes:
    if not sealed:
        return b""
    try:
        return crypto.open_sealed(_token_key(token), sealed, _context(user_id))
    except Tampered:
        return b""
