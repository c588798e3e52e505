"""Per-client-address limits for anonymous actions (filing, receipt guessing).

Fixed windows, counted in ``web.shared``: the database on PostgreSQL, so every
node counts alike, the node's file cache on SQLite. Limits are set for a venue
where thousands of attendees share one address: they stop floods and guessing,
not ordinary use. ``OMBUD_RATE_LIMITS=off`` disables them for benchmarks.
"""

import hashlib
import time

from django.conf import settings

from ombud.web import shared

LIMITS = {
    # Allowed requests per window of seconds, by scope. A venue NAT puts
    # thousands of attendees behind one address: these stop floods, never a
    # reporter, and a refused report is shown again, ready to resend.
    # Reports draw on separate budgets (intake.throttle): a flood through the
    # API cannot lock the form's reporters out, nor a flood of the form those
    # who took a moment to write (forms loaded 10 s or more before sending).
    "report-api": (120, 600),
    "report-form": (300, 600),
    "report-form-late": (100, 600),
    # Files kept, sealed, for the retry of a report form that came back with an
    # error (intake.held): storage anyone can ask for, so bounded.
    "report-held": (30, 600),
    # Only receipts that match nothing count; a valid receipt always opens.
    "receipt-miss": (100, 600),
    # Password guessing: per account from one address (a venue NAT shares one, so
    # others at the venue are not locked out), and per account from anywhere.
    "login-pair": (10, 900),
    "login-account": (50, 3600),
    # The registration desk's ban-list checks, per desk account: a queue of
    # attendees, not a way to enumerate who is banned.
    "desk-check": (120, 600),
}


def client_address(request) -> str:
    """The client's address; behind OMBUD_TRUSTED_PROXIES proxies, from X-Forwarded-For."""
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _key(scope: str, request, window: int) -> str:
    # Addresses are hashed so neither the cache directory nor the database holds them.
    who = hashlib.sha256(f"{settings.SECRET_KEY}|{client_address(request)}".encode()).hexdigest()
    return f"rl:{scope}:{who[:32]}:{int(time.time() // window)}"


def exceeded(scope: str, request) -> bool:
    """True when this client has used up the scope's allowance for now."""
    if not settings.RATE_LIMITS:
        return False
    allowed, window = LIMITS[scope]
    return shared.count(_key(scope, request, window)) >= allowed


def hit(scope: str, request) -> None:
    if not settings.RATE_LIMITS:
        return
    _allowed, window = LIMITS[scope]
    shared.add(_key(scope, request, window), window)


def _account(username: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}|{username.casefold()}".encode()).hexdigest()[:32]


class _Keyed:
    """A stand-in request whose address is a key: limits on something other than a client."""

    def __init__(self, key: str):
        self.META = {"REMOTE_ADDR": key}


def per_account(user) -> _Keyed:
    """A limit counted per signed-in account instead of per address (the desk check)."""
    return _Keyed(f"account|{user.pk}")


def _login_keys(request, username: str):
    account = _account(username)
    return (
        ("login-pair", _Keyed(f"{account}|{client_address(request)}")),
        ("login-account", _Keyed(account)),
    )


def exceeded_login(request, username: str) -> bool:
    """Too many failed sign-ins for this account, from this address or from anywhere.

    Past it, signing in takes the password and a second factor together
    (``accounts.signin``); the re-authentication page waits instead.
    """
    return any(exceeded(scope, key) for scope, key in _login_keys(request, username))


def login_failed(request, username: str) -> None:
    """Count one failed sign-in against the account, from this address and in all."""
    for scope, key in _login_keys(request, username):
        hit(scope, key)
