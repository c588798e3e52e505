"""Per-client-address limits for anonymous actions (filing, receipt guessing).

Fixed windows in the shared cache. Limits are set for a venue where
thousands of attendees share one address: they stop floods and guessing,
not ordinary use. ``OMBUD_RATE_LIMITS=off`` disables them for benchmarks.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

LIMITS = {
    # Allowed requests per window of seconds, by scope. A venue NAT puts
    # thousands of attendees behind one address: these stop floods, never a
    # reporter, and a refused report is shown again, ready to resend.
    "report": (300, 600),
    # Only receipts that match nothing count; a valid receipt always opens.
    "receipt-miss": (100, 600),
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
    # Addresses are hashed so the cache directory holds none of them.
    who = hashlib.sha256(f"{settings.SECRET_KEY}|{client_address(request)}".encode()).hexdigest()
    return f"rl:{scope}:{who[:32]}:{int(time.time() // window)}"


def exceeded(scope: str, request) -> bool:
    """True when this client has used up the scope's allowance for now."""
    if not settings.RATE_LIMITS:
        return False
    allowed, window = LIMITS[scope]
    return (cache.get(_key(scope, request, window)) or 0) >= allowed


def hit(scope: str, request) -> None:
    if not settings.RATE_LIMITS:
        return
    _allowed, window = LIMITS[scope]
    key = _key(scope, request, window)
    if not cache.add(key, 1, timeout=window):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=window)
