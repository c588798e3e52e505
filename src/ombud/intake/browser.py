"""The report form's own browser secret: how the same report sent again from the same
browser is recognised (``intake.services.BROWSER_RESEND_WINDOW``).

A random value in an HttpOnly cookie, set when the form is shown, kept while the
browser keeps coming back to the form and sent only to the reporting pages. The
server stores it nowhere: only keyed hashes of it together with a report's
content, for minutes. Another browser, or someone who knows the words of a
report, cannot get that report's receipt without this browser's value.
"""

import re
import secrets

from django.conf import settings

COOKIE = "ombud_browser"
MAX_AGE = 12 * 60 * 60
_PATH = "/e/"
_VALUE = re.compile(r"^[A-Za-z0-9_-]{32}$")


def secret(request) -> str:
    """This browser's value, or "" when it sent none (or not one of ours)."""
    value = request.COOKIES.get(COOKIE, "")
    return value if _VALUE.match(value) else ""


def keep(request, response) -> None:
    """Give the browser its value, or renew the one it has."""
    response.set_cookie(
        COOKIE,
        secret(request) or secrets.token_urlsafe(24),
        max_age=MAX_AGE,
        path=_PATH,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )
