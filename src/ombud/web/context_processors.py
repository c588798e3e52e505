from django.conf import settings

from ombud import __version__
from ombud.web import i18n


def ombud(request):
    return {
        "OMBUD_VERSION": __version__,
        "DEMO_MODE": settings.DEMO_MODE,
        # An event's public pages offer the event's languages; every other page all of them.
        "page_languages": [
            (code, i18n.NAMES[code]) for code in getattr(request, "page_languages", i18n.SUPPORTED)
        ],
    }
