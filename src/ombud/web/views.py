"""The language switch: a plain form on every page, so it works without JavaScript.

A POST with a CSRF token like every other form: no other site can change the language
someone reads Ombud in."""

from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ombud.web.i18n import remember, supported


@require_POST
def set_language(request):
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) or not target.startswith("/"):
        target = "/"
    response = HttpResponseRedirect(target)
    language = supported(request.POST.get("language"))
    if language:
        remember(response, language)
    return response
