import functools
import time

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

# Key-sensitive actions want the password given within this many seconds.
REAUTH_SECONDS = 10 * 60


def recent_auth_required(view):
    """Ask for the password again before key-sensitive actions (older than 10 minutes)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if time.time() - request.session.get("auth_at", 0) > REAUTH_SECONDS:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('accounts:reauth')}?{query}")
        return view(request, *args, **kwargs)

    return wrapped
