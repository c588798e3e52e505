"""Signing in past the failed-sign-in limit: the password and the code together.

Failed sign-ins are counted per account and client address, and per account
from anywhere (``web.ratelimit``). Past either limit the password alone signs
nobody in — but the password *with* a valid second factor still does, so
guessing from a venue's shared address cannot keep the response team out.
Accounts without a second factor have nothing else to prove who they are:
they wait for the window to end.

While throttled every failure is the same failure, so a guesser never learns
that a password was right. The password is checked first and the second
factor only when the password is right: guesses never reach the person's
authenticator, whose own back-off after wrong codes (django-otp) would
otherwise be theirs to trip.
"""

import contextlib

from django.contrib.auth import authenticate

from ombud.accounts import secondfactor
from ombud.web import ratelimit


class Throttled(Exception):
    """A sign-in past the limit failed; which part was wrong is never said."""


def throttled(request, username: str) -> bool:
    """Does this account, from this address, need the password and the code together?"""
    return bool(username) and ratelimit.exceeded_login(request, username)


def failed(request, username: str) -> bool:
    """Count a failed sign-in; True when the next one needs the code as well."""
    if not username:
        return False
    ratelimit.login_failed(request, username)
    return ratelimit.exceeded_login(request, username)


def past_throttle(request, username: str, password: str, code: str):
    """The user and the second-factor device that together prove who signs in.

    Raises ``Throttled`` (and counts the failure) for a wrong password, a
    wrong or missing code, an account without a second factor, and a code
    refused by django-otp's back-off alike.
    """
    user = authenticate(request, username=username, password=password) if password else None
    device = second_factor(user, code) if user is not None else None
    if device is None:
        ratelimit.login_failed(request, username)
        raise Throttled
    return user, device


def second_factor(user, code: str):
    """The device a code belongs to, for a user whose password was right; None for a
    wrong code, or one django-otp wants a wait before."""
    with contextlib.suppress(secondfactor.TooSoon):
        return secondfactor.verify(user, code)
    return None
