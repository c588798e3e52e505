from django.conf import settings

from ombud import __version__
from ombud.events.models import QUICK_EXIT_DEFAULT


def ombud(request):
    return {
        "OMBUD_VERSION": __version__,
        "DEMO_MODE": settings.DEMO_MODE,
        # For public pages with no event to take it from (web/_quick_exit.html).
        "QUICK_EXIT_DEFAULT": QUICK_EXIT_DEFAULT,
    }
