"""Session rules for staff: second factor, idle and absolute time-outs, sign-out-everywhere."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from ombud.accounts import secondfactor
from ombud.vault import holders

# Reachable before the second factor: signing in, choosing a password, leaving.
_OPEN = ("/staff/login/", "/staff/logout/", "/staff/password/")
_SETUP = "/staff/2fa/"


class SessionPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            expired = self._expired(request)
            if expired:
                logout(request)
                return redirect(f"{reverse('accounts:login')}?{urlencode({'expired': 1})}")
            step = self._second_factor_step(request)
            if step:
                return step
            # Services open per-person case keys with it (cases.services.access).
            user.vault_private = holders.from_request(request, user)
        return self.get_response(request)

    def _expired(self, request) -> bool:
        session, user, now = request.session, request.user, int(time.time())
        if session.get("generation", 0) != user.session_generation:
            return True
        seen = session.get("seen_at", now)
        if now - seen > settings.SESSION_IDLE_SECONDS:
            return True
        # Absolute: saving the session renews its cookie, so the cookie's age alone
        # would let a session used every few minutes live for ever.
        if now - session.get("signed_in_at", 0) > settings.SESSION_COOKIE_AGE:
            return True
        if now - seen >= 60:  # one write a minute, not one per request
            session["seen_at"] = now
        session.setdefault("seen_at", now)
        return False

    def _second_factor_step(self, request):
        path = request.path
        if not path.startswith("/staff/") or path.startswith(_OPEN):
            return None
        user = request.user
        if user.is_verified() or not secondfactor.required_for(user):
            return None
        if path.startswith(_SETUP):
            return None
        target = "accounts:verify" if secondfactor.has_device(user) else "accounts:setup_2fa"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
