from django.conf import settings

from ombud import __version__


def ombud(request):
    return {"OMBUD_VERSION": __version__, "DEMO_MODE": settings.DEMO_MODE}
