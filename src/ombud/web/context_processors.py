from django.conf import settings
from django.core.exceptions import SuspiciousOperation

from ombud import __version__
from ombud.events.models import QUICK_EXIT_DEFAULT
from ombud.web import i18n


def ombud(request):
    return {
        "OMBUD_VERSION": __version__,
        "DEMO_MODE": settings.DEMO_MODE,
        # An event's public pages offer the event's languages; every other page all of them.
        "page_languages": [
            (code, i18n.NAMES[code]) for code in getattr(request, "page_languages", i18n.SUPPORTED)
        ],
        "language_next": _here(request),
        # For public pages with no event to take it from (web/_quick_exit.html).
        "QUICK_EXIT_DEFAULT": QUICK_EXIT_DEFAULT,
    }


def _here(request) -> str:
    """Where the language switch brings the person back: this page, as a GET. Its own
    ``next`` is dropped: a page never carries a link elsewhere into its forms."""
    if request.method != "GET":
        return request.path
    try:
        query = request.GET.copy()
    except SuspiciousOperation:  # too many fields: this is the page that says so
        return request.path
    query.pop("next", None)
    return request.path + (f"?{query.urlencode()}" if query else "")
